"""Stages 1–2 over many files at once: read and map fact files in worker processes.

Reading YAML and running the JSON-LD processor are per-file work with nothing shared,
and at a million triples they are most of the build's time, all of it on one core. Each
worker reads and maps a slice of the files and hands back the parsed files and their
quads as N-Quads bytes (pyoxigraph's serializer and parser are native and fast, and
quads themselves do not pickle); the parent parses them back keeping blank node labels,
so the result is exactly what the single-process path produces, in the same file order.
"""

from __future__ import annotations

import multiprocessing
import threading
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from .facts import FactFile, discover, read_fact_file
from .mapping import MappedFile, map_file, shown_path

# Below this many files a pool costs more (starting interpreters) than it saves.
MIN_FILES_PER_WORKER = 64


def read_and_map(data_dir: Path, context: dict[str, Any], base: str, root: Path,
                 workers: int) -> list[MappedFile]:
    """Every fact file under ``data_dir``, read and mapped; the first error stops it all."""
    paths = discover(data_dir)
    workers = min(workers, len(paths) // MIN_FILES_PER_WORKER)
    if workers <= 1:
        return [_map_one(path, context, base, root) for path in paths]
    slices = [paths[i::workers * 4] for i in range(workers * 4)]
    with ProcessPoolExecutor(workers, mp_context=_start_method()) as pool:
        done = list(pool.map(_map_slice, slices, [context] * len(slices),
                             [base] * len(slices), [root] * len(slices)))
    by_path: dict[Path, MappedFile] = {}
    for results in done:
        for fact_file, graph, nquads in results:
            quads = list(ox.parse(nquads, format=ox.RdfFormat.N_QUADS, rename_blank_nodes=False))
            by_path[fact_file.path] = MappedFile(fact_file, ox.NamedNode(graph), quads)
    return [by_path[path] for path in paths]


def _start_method() -> multiprocessing.context.BaseContext:
    """fork when it is safe (no other thread could hold a lock), which costs nothing and
    needs no ``__main__`` guard in the caller; spawn in threaded callers (servers, tests)."""
    return multiprocessing.get_context("fork" if threading.active_count() == 1 else "spawn")


def _map_one(path: Path, context: dict[str, Any], base: str, root: Path) -> MappedFile:
    fact_file: FactFile = read_fact_file(path, root)
    return map_file(fact_file, context, base, shown_path(path, root))


def _map_slice(paths: list[Path], context: dict[str, Any], base: str,
               root: Path) -> list[tuple[FactFile, str, bytes]]:
    out = []
    for path in paths:
        mapped = _map_one(path, context, base, root)
        nquads = ox.serialize(mapped.quads, format=ox.RdfFormat.N_QUADS) or b""
        out.append((mapped.fact_file, mapped.graph.value, nquads))
    return out
