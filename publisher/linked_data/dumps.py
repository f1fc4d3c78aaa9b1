"""The dataset's dumps: N-Quads, TriG and Turtle files of every statement, gzipped.

Each file is a run of gzip members, one per graph (the default graph first, then the
named graphs in the order of their IRIs), after one member of ``@prefix`` lines for the
two Turtle-family files. A graph's member depends on that graph alone, so a build can keep
the members of the graphs that did not change and compress only the new ones: a rebuild
after a one-file edit makes its dumps in the time of that file's graph, not of the
dataset. A multi-member file is one gzip file (RFC 1952, section 2.2): ``gzip -d``,
``zcat``, Python's ``gzip``, Java's ``GZIPInputStream`` and Node's ``zlib`` read it whole.

Within a graph the statements are the graph's canonical N-Quads (sorted lines, which is
also the form the build hashes a graph in: :func:`publisher.pipeline.nquads.canonical_nquads`),
so the bytes, and the size and SHA-256 the dataset description advertises, are the same
in every process and every build of the same inputs. The Turtle file is the union of
the graphs, written graph by graph: a statement that several sources make appears once
per source, which any reader merges (an RDF graph is a set).
"""

from __future__ import annotations

import gzip
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from .. import formats
from ..formats import Format
from ..formats.rdf import EXTRA_PREFIXES
from ..namespaces import prefixes
from ..pipeline.nquads import DEFAULT_GRAPH_KEY, canonical_nquads, graph_key, graph_of
from ..store import Store


@dataclass(frozen=True)
class Dump:
    """One downloadable file of the whole dataset, gzipped."""

    name: str
    title: str
    inner: Format
    body: bytes

    @property
    def size(self) -> int:
        return len(self.body)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.body).hexdigest()


#: The dumps: file name, title, format of what is inside the gzip.
DUMPS: tuple[tuple[str, str, Format], ...] = (
    ("dataset.nq.gz", "N-Quads, every statement with its source graph", formats.N_QUADS),
    ("dataset.trig.gz", "TriG, every statement with its source graph", formats.TRIG),
    ("dataset.ttl.gz", "Turtle, the union of all graphs", formats.TURTLE),
)

#: gzip level of the dumps: level 9 made files 1-2% smaller for 60% more time.
DUMP_GZIP_LEVEL = 6
#: Bumped whenever a member's bytes would change for the same graph (the build's cache
#: of members is keyed by it).
MEMBER_SCHEME = "1"
#: The folder of a build artifact holding its dumps, as files a reverse proxy can serve.
DUMPS_FOLDER = "dumps"

#: One graph's members: dump file name -> gzip member.
Members = dict[str, bytes]


def dump_prefixes(base: str) -> dict[str, str]:
    """Every prefix the site knows, not only those a graph uses: a graph's member must
    not depend on the other graphs."""
    return dict(sorted({**prefixes(base), **EXTRA_PREFIXES}.items()))


def _header(base: str) -> bytes:
    return "".join(f"@prefix {name}: <{namespace}> .\n"
                   for name, namespace in dump_prefixes(base).items()).encode()


def _without_header(text: bytes) -> bytes:
    """The statements of a Turtle or TriG text (the file's own header declares them)."""
    at = 0
    while text.startswith(b"@prefix ", at):
        at = text.index(b"\n", at) + 1
    return text[at:]


def _gzip(data: bytes) -> bytes:
    return gzip.compress(data, compresslevel=DUMP_GZIP_LEVEL, mtime=0)


def graph_members(quads: Iterable[ox.Quad], base: str) -> tuple[str, Members]:
    """One graph's gzip members in each dump, and the graph's hash (the SHA-256 of its
    canonical N-Quads, as :func:`publisher.pipeline.nquads.graph_hashes` gives it)."""
    canonical = canonical_nquads(quads)
    ordered = list(ox.parse(canonical, format=ox.RdfFormat.N_QUADS, rename_blank_nodes=False))
    chosen = dump_prefixes(base)
    texts = {
        formats.N_QUADS: canonical,
        formats.TRIG: _without_header(
            ox.serialize(ordered, format=ox.RdfFormat.TRIG, prefixes=chosen) or b""),
        formats.TURTLE: _without_header(ox.serialize(
            [quad.triple for quad in ordered], format=ox.RdfFormat.TURTLE,
            prefixes=chosen) or b""),
    }
    return (hashlib.sha256(canonical).hexdigest(),
            {name: _gzip(texts[fmt]) for name, _, fmt in DUMPS})


def member_key(name: str, graph: str, digest: str, base: str) -> str:
    """The build cache's key of one graph's member in one dump."""
    return hashlib.blake2b("\0".join((
        "dump member", MEMBER_SCHEME, name, graph, digest, base, ox.__version__,
        str(DUMP_GZIP_LEVEL))).encode(), digest_size=20).hexdigest()


def header_member(base: str) -> bytes:
    """The gzip member of ``@prefix`` lines that starts the Turtle and TriG dumps."""
    return _gzip(_header(base))


def assemble(members: list[Members], base: str) -> list[Dump]:
    """The dumps from each graph's members, in the graphs' order."""
    header = header_member(base)
    return [Dump(name, title, fmt, b"".join(
        [*([] if fmt is formats.N_QUADS else [header]), *(found[name] for found in members)]))
        for name, title, fmt in DUMPS]


def graph_order(keys: Iterable[str]) -> list[str]:
    """The graphs of a dump, by key: the default graph (always, even empty) first."""
    return sorted({DEFAULT_GRAPH_KEY, *keys})


def make_dumps(store: Store, base: str) -> list[Dump]:
    """The dumps of everything in ``store``, graph by graph (the bytes a build writes:
    :mod:`publisher.pipeline.dump_files`)."""
    keys = graph_order(graph_key(graph) for graph in store.named_graphs())
    return assemble([graph_members(store.quads(None, None, None, graph_of(key)), base)[1]
                     for key in keys], base)


def write_dumps(dumps: list[Dump], folder: Path) -> None:
    """Write the dumps as files (a build artifact's ``dumps/``)."""
    folder.mkdir(parents=True, exist_ok=True)
    for dump in dumps:
        (folder / dump.name).write_bytes(dump.body)


def read_dumps(folder: Path) -> list[Dump] | None:
    """The dumps a build wrote, or None when it wrote none (an older build)."""
    if not all((folder / name).is_file() for name, _, _ in DUMPS):
        return None
    return [Dump(name, title, fmt, (folder / name).read_bytes()) for name, title, fmt in DUMPS]
