"""The process that writes the dataset's dumps: ``python -m publisher.pipeline.dump_files
NQ FOLDER BASE [--cache DIR] [--graphs JSON]``.

A separate interpreter, as the store writer (:mod:`.bulk_load`) is, and for the same
reason: a thread of the build serialising every quad took turns with the SHACL validator
for the GIL. At 1M triples a cold build's validation took 50.7 s with the dumps made on a
thread and 35.2 s without them (same machine, minutes apart).

It reads the N-Quads the build dumped (blank node labels kept) and writes the dumps into
FOLDER, graph by graph (:mod:`publisher.linked_data.dumps`: the same bytes the
application makes from the store). With ``--cache``, each graph's gzip members are kept
in the build cache under the graph's hash, and with ``--graphs`` (every graph's key and
hash, known once validation has hashed them) a graph whose members are kept is not
read at all: the build then dumps for it only the graphs that changed. Any failure is
one line on stderr and a non-zero exit code. Niced like the store writer: validation,
the build's critical path, keeps its core.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import defaultdict
from pathlib import Path

import pyoxigraph as ox

from publisher.linked_data.dumps import (
    DUMPS,
    Members,
    assemble,
    graph_members,
    graph_order,
    member_key,
    write_dumps,
)
from publisher.pipeline.build_cache import Entries
from publisher.pipeline.bulk_load import NICENESS
from publisher.pipeline.nquads import DEFAULT_GRAPH_KEY, graph_key
from publisher.process import die_with_parent


def kept_members(cache: Entries, key: str, digest: str, base: str) -> Members | None:
    """A graph's members from the cache, or None unless every dump's is there."""
    found = {}
    for name, _, _ in DUMPS:
        member = cache.get(member_key(name, key, digest, base))
        if member is None:
            return None
        found[name] = member
    return found


def make(nquads: Path, folder: Path, base: str, cache: Entries | None,
         listed: dict[str, str]) -> None:
    by_graph: defaultdict[str, list[ox.Quad]] = defaultdict(list)
    for quad in ox.parse(path=nquads, format=ox.RdfFormat.N_QUADS, rename_blank_nodes=False):
        by_graph[graph_key(quad.graph_name)].append(quad)
    members = []
    for key in graph_order([*by_graph, *listed]):
        digest = listed.get(key)
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
        members.append(found)
    write_dumps(assemble(members, base), folder)


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
                             "cache need not be in NQUADS)")
    arguments = parser.parse_args(argv)
    die_with_parent()  # a killed build must not leave a writer behind
    os.nice(NICENESS)
    try:
        listed = (json.loads(arguments.graphs.read_text(encoding="utf-8"))
                  if arguments.graphs is not None else {})
        make(arguments.nquads, arguments.folder, arguments.base,
             Entries(arguments.cache) if arguments.cache is not None else None, listed)
    except Exception as error:
        print(f"making the dumps in {arguments.folder}: {type(error).__name__}: {error}",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
