"""The process that writes a new store: ``python -m publisher.pipeline.bulk_load NQ DIR``.

With ``--onto LIVE --clear GRAPHS.json``, the new store starts as a checkpoint of the live
build's store (RocksDB hard-links its immutable files: nothing is copied, and the live
store is only read), the graphs listed are removed from it, and NQ (their new content)
is added: the incremental write of :mod:`.load`.

A separate interpreter, not a thread or a multiprocessing child: pyoxigraph holds the
GIL while it bulk-loads, so a thread would only take turns with the SHACL validator; a
forked child could inherit RocksDB locks held by the threads of a store opened earlier
in the parent; and ``spawn`` would re-import the caller's ``__main__``. Any failure is
one line on stderr and a non-zero exit code, which :mod:`.load` turns into the build's
error.
"""

from __future__ import annotations

import json
import os
import sys

import pyoxigraph as ox

from publisher.process import die_with_parent

#: Added to this process's nice value: Oxigraph's bulk loader starts a thread per core,
#: and on a small machine the validator, single-threaded and the build's critical path,
#: should keep its core.
NICENESS = 10


def main(nquads: str, directory: str, onto: str | None = None,
         clear: str | None = None) -> int:
    die_with_parent()  # a killed build must not leave a writer behind
    os.nice(NICENESS)
    try:
        if onto is not None:
            os.rmdir(directory)  # the build claimed it empty; a checkpoint makes its own
            ox.Store.read_only(onto).backup(directory)
            store = ox.Store(directory)
            with open(clear or "", encoding="utf-8") as listed:
                for key in json.load(listed):
                    if key == "":
                        store.clear_graph(ox.DefaultGraph())
                    elif key.startswith("_:"):
                        store.remove_graph(ox.BlankNode(key[2:]))
                    else:
                        store.remove_graph(ox.NamedNode(key.strip("<>")))
        else:
            store = ox.Store(directory)
        # Not ``bulk_load``, which relabels blank nodes at random: the build gave them
        # stable labels so that the same inputs give the same bytes of every document.
        store.bulk_extend(ox.parse(path=nquads, format=ox.RdfFormat.N_QUADS,
                                   rename_blank_nodes=False))
        store.flush()
        if onto is None:
            store.optimize()
        del store  # release the RocksDB lock before readers open it
    except Exception as error:
        print(f"writing the store {directory}: {type(error).__name__}: {error}",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    arguments = sys.argv[1:]
    options: dict[str, str] = {}
    while len(arguments) > 2 and arguments[0] in ("--onto", "--clear"):
        options[arguments[0][2:]] = arguments[1]
        arguments = arguments[2:]
    if len(arguments) != 2 or ("onto" in options) != ("clear" in options):
        print("usage: python -m publisher.pipeline.bulk_load [--onto LIVE_STORE --clear "
              "GRAPHS.json] DUMP.nq NEW_STORE_DIR (internal to `publisher build`)",
              file=sys.stderr)
        sys.exit(2)
    sys.exit(main(arguments[0], arguments[1], options.get("onto"), options.get("clear")))
