"""Build stage: write the document pack (every entity document in every RDF format).

Serving reads documents from the pack (:mod:`publisher.linked_data.pack`) instead of
describing and serializing them per process, so start-up costs nothing and memory does
not grow with the dataset. The stage runs after the new store is written and before the
build is published; a failure fails the build (the live build stays).

Cheap in bulk: the store is read once into an in-memory index (:class:`QuadIndex`) and
:func:`publisher.linked_data.describe.describe` runs over it, so a document's quads are
exactly those the on-request path gives (the same function) for a few dictionary lookups
instead of dozens of store reads. Documents are split over ``build_workers`` processes
(forked: they share the index). A document whose description, renderer and base are
those of a variant in the live build's pack is copied from it, not serialized and
compressed again, so a one-file rebuild re-renders only what changed.

HTML pages are not in the pack: they are rendered on first request and kept in the
process's bounded cache (``max_prepared_bytes``), as a page costs far more to render
than all the RDF formats together (``docs/linked-data.md`` gives the figures).
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import sqlite3
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import pyoxigraph as ox

from ..builds import BuildRecord, StoreUnavailable, resolve_live_build
from ..formats import DOCUMENT_FORMATS, HTML, Format
from ..http.compression import precompress
from ..linked_data.describe import describe
from ..linked_data.pack import PACK_FILE, SCHEMA, SCHEMA_VERSION
from ..linked_data.rendering import rdf_documents
from ..prepared import RENDERER_VERSION, variant_tag
from ..settings import Settings
from ..store.embedded import EmbeddedStore

#: The formats the pack holds (HTML is rendered on request: see the module docstring).
PACK_FORMATS: tuple[Format, ...] = tuple(f for f in DOCUMENT_FORMATS if f is not HTML)
#: Documents per unit of work handed to a worker process.
CHUNK = 200

Progress = Callable[[str], None]


class PackFailed(Exception):
    """The pack could not be written (the build fails, the live build stays)."""


class QuadIndex:
    """Every quad of a store, indexed by subject and by object: the quad patterns
    :func:`describe` asks for, answered from memory."""

    def __init__(self, quads: Iterable[ox.Quad]) -> None:
        by_subject: defaultdict[ox.Term, list[ox.Quad]] = defaultdict(list)
        by_object: defaultdict[ox.Term, list[ox.Quad]] = defaultdict(list)
        by_subject_predicate: defaultdict[tuple, list[ox.Quad]] = defaultdict(list)
        graphs: set[ox.NamedNode] = set()
        for quad in quads:
            by_subject[quad.subject].append(quad)
            by_object[quad.object].append(quad)
            by_subject_predicate[(quad.subject, quad.predicate)].append(quad)
            if isinstance(quad.graph_name, ox.NamedNode):
                graphs.add(quad.graph_name)
        self.by_subject = dict(by_subject)
        self.by_object = dict(by_object)
        self.by_subject_predicate = dict(by_subject_predicate)
        self.graphs = graphs

    def quads(self, subject: ox.Term | None = None, predicate: ox.NamedNode | None = None,
              object: ox.Term | None = None,  # noqa: A002 - the store interface's name
              graph: ox.NamedNode | ox.DefaultGraph | None = None) -> Iterator[ox.Quad]:
        if subject is not None and predicate is not None:
            found = self.by_subject_predicate.get((subject, predicate), ())
        elif subject is not None:
            found = self.by_subject.get(subject, ())
        elif object is not None:
            found = self.by_object.get(object, ())
        else:
            raise ValueError("the index answers patterns with a subject or an object")
        for quad in found:
            if predicate is not None and quad.predicate != predicate:
                continue
            if object is not None and quad.object != object:
                continue
            if graph is not None and quad.graph_name != graph:
                continue
            yield quad

    def document_names(self, id_base: str) -> list[str]:
        """Every name ``doc/{name}`` answers for: IRIs under ``id/`` in subject or object
        position or naming a graph (hash IRIs are parts of their owner's document)."""
        names: set[str] = set()
        for term in (*self.by_subject, *self.by_object, *self.graphs):
            if isinstance(term, ox.NamedNode) and term.value.startswith(id_base) \
                    and "#" not in term.value and len(term.value) > len(id_base):
                names.add(term.value[len(id_base):])
        return sorted(names)


def input_digest(base: str, quads: list[ox.Quad]) -> str:
    """What a document's bytes depend on: its quads, the base, the renderer's code."""
    digest = hashlib.blake2b(f"{RENDERER_VERSION}\0{base}\0".encode(), digest_size=16)
    for line in sorted(str(quad) for quad in quads):
        digest.update(line.encode())
        digest.update(b"\n")
    return digest.hexdigest()


# The state a worker reads (set in the parent before forking, inherited by the workers).
_INDEX: QuadIndex | None = None
_SETTINGS: tuple[str, str] | None = None  # base, id_base
_PREVIOUS: Path | None = None


def _previous_inputs(connection: sqlite3.Connection | None, key: str) -> dict[str, str]:
    if connection is None:
        return {}
    return dict(connection.execute("SELECT format, input FROM variants WHERE document = ?",
                                   (key,)))


def _render_chunk(names: list[str]) -> tuple[list[tuple], list[tuple[str, str]], int]:
    """Rows for a chunk of documents: new rows, (key, format) to copy from the previous
    pack, and the number of variants serialized."""
    assert _INDEX is not None and _SETTINGS is not None
    base, id_base = _SETTINGS
    previous = (sqlite3.connect(f"{_PREVIOUS.resolve().as_uri()}?mode=ro&immutable=1",
                                uri=True) if _PREVIOUS is not None else None)
    rows: list[tuple] = []  # one per coding of each variant (see the pack's schema)
    reused: list[tuple[str, str]] = []
    rendered = 0
    try:
        for name in names:
            iri = id_base + name
            key = f"entity:{name}"
            quads = describe(_INDEX, iri, id_base)  # type: ignore[arg-type]
            digest = input_digest(base, quads)
            before = _previous_inputs(previous, key)
            for fmt in PACK_FORMATS:
                if before.get(fmt.name) == digest:
                    reused.append((key, fmt.name))
            wanted = [fmt for fmt in PACK_FORMATS if before.get(fmt.name) != digest]
            for fmt, body in rdf_documents(quads, wanted, base, iri).items():
                codings = precompress(body)
                names_of = " ".join(codings)
                if "gzip" not in codings:  # else identity is the gzip body, decompressed
                    rows.append((key, fmt.name, "", fmt.content_type, names_of, digest, body))
                rows.extend((key, fmt.name, coding, fmt.content_type, names_of, digest, packed)
                            for coding, packed in codings.items())
                rendered += 1
    finally:
        if previous is not None:
            previous.close()
    return rows, reused, rendered


def _chunks(names: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(names), CHUNK):
        yield names[start:start + CHUNK]


def previous_pack(settings: Settings) -> Path | None:
    """The live build's pack, whose unchanged variants the new build copies."""
    try:
        found = resolve_live_build(settings) / PACK_FILE
    except StoreUnavailable:
        return None
    return found if found.is_file() else None


def write_pack(settings: Settings, build: BuildRecord, progress: Progress = print,
               previous: Path | None = None) -> dict[str, float]:
    """Write ``documents.sqlite`` into the build folder ``build.path``; figures of it."""
    global _INDEX, _SETTINGS, _PREVIOUS
    started = time.perf_counter()
    store = EmbeddedStore.open_read_only(build.path)
    index = QuadIndex(store.quads())
    del store
    names = index.document_names(settings.id_base)
    indexed = time.perf_counter() - started
    seed = variant_tag(build.build_id, build.built_at.isoformat(), RENDERER_VERSION)
    target = build.path / PACK_FILE
    partial = target.with_name(PACK_FILE + ".partial")
    partial.unlink(missing_ok=True)
    workers = max(1, min(settings.build_workers, len(names) // CHUNK + 1))
    _INDEX, _SETTINGS, _PREVIOUS = index, (settings.base, settings.id_base), previous
    variants = rendered = reused = 0
    try:
        connection = sqlite3.connect(partial)
        connection.executescript("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;" + SCHEMA)
        if previous is not None:
            connection.execute("ATTACH DATABASE ? AS previous",
                               (f"{previous.resolve().as_uri()}?mode=ro&immutable=1",))
        for rows, copied, count in _run(names, workers):
            connection.executemany("INSERT INTO variants VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
            variants += len({(row[0], row[1]) for row in rows})
            if copied:
                connection.executemany(
                    "INSERT INTO variants SELECT * FROM previous.variants "
                    "WHERE document = ? AND format = ?", copied)
            variants += len(copied)
            rendered += count
            reused += len(copied)
        connection.executemany("INSERT INTO meta VALUES (?, ?)", [
            ("schema", SCHEMA_VERSION), ("seed", seed), ("build_id", build.build_id),
            ("renderer", RENDERER_VERSION), ("base", settings.base),
            ("formats", " ".join(f.name for f in PACK_FORMATS)),
            ("documents", str(len(names))), ("variants", str(variants))])
        connection.commit()
        if previous is not None:
            connection.execute("DETACH DATABASE previous")
        connection.close()
        with open(partial, "rb+") as written:
            os.fsync(written.fileno())
        partial.rename(target)
    except (OSError, sqlite3.Error) as error:
        partial.unlink(missing_ok=True)
        why = ("No space left on device" if getattr(error, "sqlite_errorcode", None)
               == sqlite3.SQLITE_FULL else str(error))
        raise PackFailed(f"cannot write the document pack {target}: {why}") from error
    finally:
        _INDEX = _SETTINGS = _PREVIOUS = None
    seconds = time.perf_counter() - started
    size = target.stat().st_size
    progress(f"  {len(names)} documents, {variants} variants ({reused} as in the live "
             f"build), {size / 2**20:.1f} MiB, store read in {indexed:.2f} s, "
             f"{workers} process{'es' if workers > 1 else ''}")
    return {"documents": len(names), "variants": variants, "reused": reused,
            "rendered": rendered, "bytes": size, "seconds": round(seconds, 3)}


def _run(names: list[str], workers: int) -> Iterator[tuple[list[tuple], list, int]]:
    if workers <= 1:
        for chunk in _chunks(names):
            yield _render_chunk(chunk)
        return
    # fork: the workers inherit the index instead of receiving a copy of it.
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        yield from pool.imap_unordered(_render_chunk, _chunks(names))
