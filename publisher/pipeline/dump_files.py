"""The process that writes the dataset's dumps: ``python -m publisher.pipeline.dump_files
NQ FOLDER BASE``.

A separate interpreter, as the store writer (:mod:`.bulk_load`) is, and for the same
reason: a thread of the build sorting and serialising every quad three times took turns
with the SHACL validator for the GIL. At 1M triples a cold build's validation took
50.7 s with the dumps made on a thread and 35.2 s without them (same machine, minutes
apart). It reads the N-Quads the build dumped (blank node labels kept, so the bytes are
those a build always made: :func:`publisher.linked_data.dataset.make_dumps`), writes the
gzipped files into FOLDER, and reports any failure as one line on stderr with a non-zero
exit code. Niced like the store writer: validation, the build's critical path, keeps its
core.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox

from publisher.linked_data.dataset import make_dumps, write_dumps
from publisher.pipeline.bulk_load import NICENESS
from publisher.process import die_with_parent


class _Parsed:
    """The quads of an N-Quads file, as the one pattern :func:`make_dumps` asks for."""

    def __init__(self, path: str) -> None:
        self.path = path

    def quads(self, *_pattern: object) -> Iterator[ox.Quad]:
        return ox.parse(path=self.path, format=ox.RdfFormat.N_QUADS, rename_blank_nodes=False)


def main(nquads: str, folder: str, base: str) -> int:
    die_with_parent()  # a killed build must not leave a writer behind
    os.nice(NICENESS)
    try:
        write_dumps(make_dumps(_Parsed(nquads), base), Path(folder))  # type: ignore[arg-type]
    except Exception as error:
        print(f"making the dumps in {folder}: {type(error).__name__}: {error}",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 4:
        print("usage: python -m publisher.pipeline.dump_files DATASET.nq FOLDER BASE "
              "(internal to `publisher build`)", file=sys.stderr)
        sys.exit(2)
    sys.exit(main(*sys.argv[1:]))
