"""The process that writes the dataset's dumps: ``python -m publisher.pipeline.dump_files
NQ FOLDER BASE [--cache DIR] [--graphs JSON] [--live DIR]``.

A separate interpreter, as the store writer (:mod:`.bulk_load`) is, and for the same
reason: a thread of the build serialising every quad took turns with the SHACL validator
for the GIL. At 1M triples a cold build's validation took 50.7 s with the dumps made on a
thread and 35.2 s without them (same machine, minutes apart).

It reads the N-Quads the build dumped (blank node labels kept) and writes the dumps into
FOLDER, graph by graph (:mod:`publisher.linked_data.dumps`: the same bytes the
application makes from the store), with their layout (:data:`LAYOUT_FILE`: where each
graph's member lies in each file). With ``--graphs`` (every graph's key and hash, known
once validation has hashed them) a graph is not read at all when its members can be
had without it: copied from the live build's dumps (``--live``, the live build's
folder, whose layout says where they lie; the kernel copies the ranges, nothing passes
through Python), else read from the build cache (``--cache``, each graph's members kept
under the graph's hash). The build then dumps for it only the graphs that changed. Any
failure is one line on stderr and a non-zero exit code. Niced like the store writer:
validation, the build's critical path, keeps its core.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import pyoxigraph as ox

from publisher import formats
from publisher.linked_data.dumps import (
    DUMP_GZIP_LEVEL,
    DUMPS,
    DUMPS_FOLDER,
    MEMBER_SCHEME,
    Members,
    graph_members,
    graph_order,
    header_member,
    member_key,
)
from publisher.pipeline.build_cache import Entries
from publisher.pipeline.bulk_load import NICENESS
from publisher.pipeline.nquads import DEFAULT_GRAPH_KEY, graph_key
from publisher.process import die_with_parent

#: Beside a build's ``dumps/`` folder (not in it: that folder may be served as it is):
#: for each dump file, its size and where each graph's member lies in it.
LAYOUT_FILE = "dumps.layout.json"


def kept_members(cache: Entries, key: str, digest: str, base: str) -> Members | None:
    """A graph's members from the cache, or None unless every dump's is there."""
    found = {}
    for name, _, _ in DUMPS:
        member = cache.get(member_key(name, key, digest, base))
        if member is None:
            return None
        found[name] = member
    return found


def _identity(base: str) -> dict[str, Any]:
    """What a member's bytes depend on besides its graph (as :func:`member_key`)."""
    return {"scheme": MEMBER_SCHEME, "base": base, "gzip_level": DUMP_GZIP_LEVEL,
            "pyoxigraph": ox.__version__}


@dataclass(frozen=True)
class Span:
    """Where one graph's member lies in one dump file."""

    offset: int
    length: int


class LiveDumps:
    """The live build's dump files and their layout, trusted only when the layout was
    written for members made as this process makes them and every file still has the
    size the layout gives (else a graph's members come from the cache or are made)."""

    def __init__(self, folder: Path, spans: dict[str, dict[tuple[str, str], Span]]) -> None:
        self.folder = folder
        self.spans = spans

    @classmethod
    def open(cls, build: Path | None, base: str) -> LiveDumps | None:
        if build is None:
            return None
        try:
            layout = json.loads((build / LAYOUT_FILE).read_text(encoding="utf-8"))
            if layout.get("identity") != _identity(base):
                return None
            spans: dict[str, dict[tuple[str, str], Span]] = {}
            for name, _, _ in DUMPS:
                found = layout["files"][name]
                if (build / DUMPS_FOLDER / name).stat().st_size != found["size"]:
                    return None
                spans[name] = {(key, digest): Span(int(offset), int(length))
                               for key, digest, offset, length in found["members"]}
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None
        return cls(build / DUMPS_FOLDER, spans)

    def has(self, key: str, digest: str) -> bool:
        return all((key, digest) in self.spans[name] for name, _, _ in DUMPS)


def _quads_by_graph(nquads: Path) -> dict[str, list[ox.Quad]]:
    """The quads of each graph in the N-Quads the build wrote, by graph key."""
    by_graph: defaultdict[str, list[ox.Quad]] = defaultdict(list)
    for quad in ox.parse(path=nquads, format=ox.RdfFormat.N_QUADS, rename_blank_nodes=False):
        by_graph[graph_key(quad.graph_name)].append(quad)
    return by_graph


#: One graph's part of every dump: its members, or (key, digest) to copy from the live
#: build's files.
Part = tuple[str, str, Members | None]


def _parts(nquads: Path, base: str, cache: Entries | None, listed: dict[str, str],
           live: LiveDumps | None) -> Iterator[Part]:
    by_graph = _quads_by_graph(nquads)
    for key in graph_order([*by_graph, *listed]):
        digest = listed.get(key)
        if digest is not None and live is not None and live.has(key, digest):
            yield key, digest, None
            continue
        found = None
        if digest is not None and cache is not None:
            found = kept_members(cache, key, digest, base)
        if found is None:
            if key in listed and key not in by_graph and key != DEFAULT_GRAPH_KEY:
                raise ValueError(f"graph {key} is neither in {nquads} nor kept in the cache")
            digest, found = graph_members(by_graph.pop(key, []), base)
            if cache is not None:
                for name, member in found.items():
                    cache.put(member_key(name, key, digest, base), member)
        yield key, digest, found


def _copy(source: BinaryIO, target: BinaryIO, span: Span) -> None:
    """``span`` of ``source`` appended to ``target``, by the kernel where it can."""
    target.flush()
    offset, left = span.offset, span.length
    try:
        while left:
            copied = os.copy_file_range(source.fileno(), target.fileno(), left, offset)
            if copied == 0:
                raise ValueError(f"{source.name} ends before its layout says")
            offset += copied
            left -= copied
        target.seek(0, os.SEEK_END)
        return
    except (AttributeError, OSError):  # no copy_file_range here (or across filesystems)
        target.seek(0, os.SEEK_END)
    source.seek(offset)
    while left:
        chunk = source.read(min(left, 1 << 20))
        if not chunk:
            raise ValueError(f"{source.name} ends before its layout says")
        target.write(chunk)
        left -= len(chunk)


def make(nquads: Path, folder: Path, base: str, cache: Entries | None,
         listed: dict[str, str], live_build: Path | None = None) -> None:
    """The dumps in ``folder`` and their layout beside it (``folder``'s parent)."""
    live = LiveDumps.open(live_build, base) if listed else None
    folder.mkdir(parents=True)
    try:
        _write(nquads, folder, base, cache, listed, live)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)  # no half-written dumps
        raise


def _write(nquads: Path, folder: Path, base: str, cache: Entries | None,
           listed: dict[str, str], live: LiveDumps | None) -> None:
    outputs = {name: open(folder / name, "wb") for name, _, _ in DUMPS}
    sources = ({name: open(live.folder / name, "rb") for name, _, _ in DUMPS}
               if live is not None else {})
    layout: dict[str, list[list[Any]]] = {name: [] for name, _, _ in DUMPS}
    try:
        header = header_member(base)
        for name, _, fmt in DUMPS:
            if fmt is not formats.N_QUADS:
                outputs[name].write(header)
        for key, digest, found in _parts(nquads, base, cache, listed, live):
            for name, _, _ in DUMPS:
                out = outputs[name]
                offset = out.tell()
                if found is None:
                    assert live is not None
                    span = live.spans[name][(key, digest)]
                    _copy(sources[name], out, span)
                    length = span.length
                else:
                    length = out.write(found[name])
                layout[name].append([key, digest, offset, length])
        sizes = {}
        for name, out in outputs.items():
            out.flush()
            sizes[name] = out.tell()
    finally:
        for handle in (*outputs.values(), *sources.values()):
            handle.close()
    (folder.parent / LAYOUT_FILE).write_text(json.dumps({
        "identity": _identity(base),
        "files": {name: {"size": sizes[name], "members": layout[name]} for name in layout},
    }), encoding="utf-8")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m publisher.pipeline.dump_files",
        description="Write the dataset's dumps (internal to `publisher build`).")
    parser.add_argument("nquads", type=Path)
    parser.add_argument("folder", type=Path)
    parser.add_argument("base")
    parser.add_argument("--cache", type=Path, help="the build cache's folder of members")
    parser.add_argument("--graphs", type=Path,
                        help="JSON: every graph's key and hash (then graphs kept in the "
                             "cache or the live dumps need not be in NQUADS)")
    parser.add_argument("--live", type=Path,
                        help="the live build's folder, whose dumps hold unchanged graphs")
    arguments = parser.parse_args(argv)
    die_with_parent()  # a killed build must not leave a writer behind
    os.nice(NICENESS)
    try:
        listed = (json.loads(arguments.graphs.read_text(encoding="utf-8"))
                  if arguments.graphs is not None else {})
        make(arguments.nquads, arguments.folder, arguments.base,
             Entries(arguments.cache) if arguments.cache is not None else None, listed,
             arguments.live)
    except Exception as error:
        print(f"making the dumps in {arguments.folder}: {type(error).__name__}: {error}",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
