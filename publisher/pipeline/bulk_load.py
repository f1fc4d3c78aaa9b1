"""The process that writes a new store: ``python -m publisher.pipeline.bulk_load NQ DIR``.

A separate interpreter, not a thread or a multiprocessing child: pyoxigraph holds the
GIL while it bulk-loads, so a thread would only take turns with the SHACL validator; a
forked child could inherit RocksDB locks held by the threads of a store opened earlier
in the parent; and ``spawn`` would re-import the caller's ``__main__``. Any failure is
one line on stderr and a non-zero exit code, which :mod:`.load` turns into the build's
error.

With ``--onto LIVE --previous RECORD.json`` (the live build's store and the hash of each
of its graphs' canonical N-Quads, :mod:`.nquads`, which the build recorded), the new store
starts as a checkpoint of the live one (RocksDB hard-links its immutable files: nothing
is copied, and the live store is only read); only the graphs whose hash differs are
replaced, and those no longer in NQ removed: the same quads as a full write, in a
fraction of the time after a small change. The hashing happens here, off the build
process, so it does not take turns with validation; ``--hashes OUT.json`` writes the new
hashes and how many graphs changed. With ``--onto LIVE --replace GRAPHS.json`` instead,
the build has already found which graphs changed (it knows each graph's hash from what it
was made of, :mod:`.build_cache`): NQ holds only their new content, and nothing else is
read or hashed.
"""

from __future__ import annotations

import json
import os
import sys

import pyoxigraph as ox

from publisher.pipeline.nquads import graph_hashes, graph_of
from publisher.process import die_with_parent

#: Added to this process's nice value: Oxigraph's bulk loader starts a thread per core,
#: and on a small machine the validator, single-threaded and the build's critical path,
#: should keep its core.
NICENESS = 10


def _parse(nquads: str):
    # Not ``bulk_load``, which relabels blank nodes at random: the build gave them stable
    # labels so that the same inputs give the same bytes of every document.
    return ox.parse(path=nquads, format=ox.RdfFormat.N_QUADS, rename_blank_nodes=False)


def write_whole(nquads: str, directory: str) -> ox.Store:
    store = ox.Store(directory)
    store.bulk_extend(_parse(nquads))
    store.flush()
    store.optimize()
    return store


def write_changes(nquads: str, directory: str, live: str,
                  previous: dict[str, str]) -> tuple[dict[str, str], int]:
    """A checkpoint of ``live`` with the graphs that differ from NQ replaced; the new
    hashes and how many graphs were replaced or removed."""
    new = ox.Store()
    new.bulk_extend(_parse(nquads))
    hashes = graph_hashes(new)
    replaced = [key for key, digest in hashes.items() if previous.get(key) != digest]
    removed = [key for key in previous if key not in hashes]
    os.rmdir(directory)  # the build claimed it empty; a checkpoint makes its own
    ox.Store.read_only(live).backup(directory)
    store = ox.Store(directory)
    for key in replaced + removed:
        graph = graph_of(key)
        if isinstance(graph, ox.DefaultGraph):
            store.clear_graph(graph)
        else:
            store.remove_graph(graph)
    for key in replaced:
        store.bulk_extend(new.quads_for_pattern(None, None, None, graph_of(key)))
    store.flush()
    del store  # release the RocksDB lock before readers open it
    return hashes, len(replaced) + len(removed)


def write_replacing(nquads: str, directory: str, live: str, replace: list[str]) -> None:
    """A checkpoint of ``live`` with the graphs ``replace`` names removed and NQ (the new
    content of those of them that still exist, and nothing else) added: the build knows
    what changed, so nothing else is read."""
    os.rmdir(directory)  # the build claimed it empty; a checkpoint makes its own
    ox.Store.read_only(live).backup(directory)
    store = ox.Store(directory)
    for key in replace:
        graph = graph_of(key)
        if isinstance(graph, ox.DefaultGraph):
            store.clear_graph(graph)
        else:
            store.remove_graph(graph)
    store.bulk_extend(_parse(nquads))
    store.flush()
    del store  # release the RocksDB lock before readers open it


def main(nquads: str, directory: str, options: dict[str, str]) -> int:
    die_with_parent()  # a killed build must not leave a writer behind
    os.nice(NICENESS)
    try:
        if "replace" in options:
            with open(options["replace"], encoding="utf-8") as listed:
                write_replacing(nquads, directory, options["onto"], json.load(listed))
        elif "onto" in options:
            with open(options["previous"], encoding="utf-8") as record:
                previous = json.load(record)["graphs"]
            hashes, changed = write_changes(nquads, directory, options["onto"], previous)
            if "hashes" in options:
                with open(options["hashes"], "w", encoding="utf-8") as out:
                    json.dump({"graphs": hashes, "changed": changed}, out)
        else:
            store = write_whole(nquads, directory)
            del store  # release the RocksDB lock before readers open it
    except Exception as error:
        print(f"writing the store {directory}: {type(error).__name__}: {error}",
              file=sys.stderr)
        return 1
    return 0


OPTIONS = ("--onto", "--previous", "--hashes", "--replace")

if __name__ == "__main__":
    arguments = sys.argv[1:]
    given: dict[str, str] = {}
    while len(arguments) > 2 and arguments[0] in OPTIONS:
        given[arguments[0][2:]] = arguments[1]
        arguments = arguments[2:]
    if len(arguments) != 2 or ("onto" in given) != ("previous" in given or "replace" in given) \
            or ("hashes" in given and "previous" not in given) \
            or ("previous" in given and "replace" in given):
        print("usage: python -m publisher.pipeline.bulk_load [--onto LIVE_STORE (--previous "
              "RECORD.json [--hashes OUT.json] | --replace GRAPHS.json)] DUMP.nq "
              "NEW_STORE_DIR (internal to `publisher build`)", file=sys.stderr)
        sys.exit(2)
    sys.exit(main(arguments[0], arguments[1], given))
