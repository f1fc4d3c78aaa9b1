"""The process that writes a new store: ``python -m publisher.pipeline.bulk_load NQ DIR``.

A separate interpreter, not a thread or a multiprocessing child: pyoxigraph holds the
GIL while it bulk-loads, so a thread would only take turns with the SHACL validator; a
forked child could inherit RocksDB locks held by the threads of a store opened earlier
in the parent; and ``spawn`` would re-import the caller's ``__main__``. Any failure is
one line on stderr and a non-zero exit code, which :mod:`.load` turns into the build's
error.
"""

from __future__ import annotations

import os
import sys

import pyoxigraph as ox

from publisher.process import die_with_parent

#: Added to this process's nice value: Oxigraph's bulk loader starts a thread per core,
#: and on a small machine the validator, single-threaded and the build's critical path,
#: should keep its core.
NICENESS = 10


def main(nquads: str, directory: str) -> int:
    die_with_parent()  # a killed build must not leave a writer behind
    os.nice(NICENESS)
    try:
        store = ox.Store(directory)
        # Not ``bulk_load``, which relabels blank nodes at random: the build gave them
        # stable labels so that the same inputs give the same bytes of every document.
        store.bulk_extend(ox.parse(path=nquads, format=ox.RdfFormat.N_QUADS,
                                   rename_blank_nodes=False))
        store.flush()
        store.optimize()
        del store  # release the RocksDB lock before readers open it
    except Exception as error:
        print(f"writing the store {directory}: {type(error).__name__}: {error}",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        print("usage: python -m publisher.pipeline.bulk_load DUMP.nq NEW_STORE_DIR (internal to"
              " `publisher build`)", file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1], sys.argv[2]))
