"""Stages 1–2 over many files at once: read and map fact files in worker processes.

Reading YAML and running the JSON-LD processor are per-file work with nothing shared,
and at a million triples they are most of the build's time, all of it on one core. Each
worker reads and maps a slice of the files and hands back the parsed files and their
quads as N-Quads bytes (pyoxigraph's serializer and parser are native and fast, and
quads themselves do not pickle); the parent parses them back when they are used
(:class:`.mapping.MappedFile`), keeping the blank node labels the mapping gave (unique
per file and the same in every run), so the result is what the single-process path
produces, in the same file order. The same bytes are what the mapping cache
(:mod:`.build_cache`) keeps.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import pickle
import threading
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from ..process import die_with_parent
from .build_cache import MappingCache
from .fact_check import FactChecker
from .facts import FactFile, FactFileError, ReadLimits, discover, read_fact_file
from .inputs import InputError, read_input
from .mapping import MappedFile, MappingError, Remembered, map_file, shown_path

# Below this many files a pool costs more (starting interpreters) than it saves.
MIN_FILES_PER_WORKER = 64


#: Problems reported in all, across files, before the rest are counted in one line.
MAX_PROBLEMS = 50


def read_and_map(data_dir: Path, context: dict[str, Any], base: str, root: Path,
                 workers: int, limits: ReadLimits | None = None,
                 checker: FactChecker | None = None,
                 cache: MappingCache | None = None) -> list[MappedFile]:
    """Every fact file under ``data_dir``, read, checked and mapped.

    Every file is read even after one fails, so a curator sees every problem of a change
    at once: FactFileError then lists them all, mapping errors included. With a
    ``cache``, a file whose content (and everything else its mapping depends on, see
    :mod:`.build_cache`) is unchanged is not mapped again.
    """
    paths = discover(data_dir, root)
    limits = limits or ReadLimits()
    by_path: dict[Path, MappedFile] = {}
    todo: list[tuple[Path, bytes | None]] = []
    keys: dict[Path, str] = {}
    for path in paths:
        if cache is None or not cache.enabled:
            todo.append((path, None))
            continue
        try:
            data = read_input(path, root, limits.max_file_bytes)
        except InputError:
            todo.append((path, None))  # read again below, which reports it
            continue
        keys[path] = key = cache.key(shown_path(path, root), data)
        entry = cache.get(key)
        hit = remembered(entry, path)
        if hit is None:
            if entry is not None:
                cache.entries.unusable()
            todo.append((path, data))
            continue
        fact, graph, nquads = hit
        by_path[path] = MappedFile(fact, ox.NamedNode(graph), nquads, key)
    workers = min(workers, len(todo) // MIN_FILES_PER_WORKER)
    if workers <= 1:
        done = [_map_slice(todo, context, base, root, limits, checker)]
    else:
        slices = [todo[i::workers * 4] for i in range(workers * 4)]
        count = len(slices)
        # Workers die with the build (PR_SET_PDEATHSIG): a killed build must not leave
        # them waiting forever for work, holding its caller's stdout.
        with ProcessPoolExecutor(workers, mp_context=_start_method(),
                                 initializer=die_with_parent, initargs=(os.getpid(),)) as pool:
            done = list(pool.map(_map_slice, slices, [context] * count, [base] * count,
                                 [root] * count, [limits] * count, [checker] * count))
    problems: list[str] = []
    for results in done:
        for result in results:
            if isinstance(result, Exception):
                problems.extend(result.problems if isinstance(result, FactFileError)
                                else [str(result)])
                continue
            fact_file, graph, nquads = result
            by_path[fact_file.path] = MappedFile(fact_file, ox.NamedNode(graph), nquads,
                                                 keys.get(fact_file.path, ""))
            if fact_file.path in keys:
                pickled = pickle.dumps(fact_file, protocol=pickle.HIGHEST_PROTOCOL)
                kind = fact_file.document.get("type")
                cache.put(keys[fact_file.path], (
                    REMEMBERED, hashlib.sha256(pickled).digest(), pickled, graph,
                    nquads if isinstance(nquads, bytes)
                    else ox.serialize(nquads, format=ox.RdfFormat.N_QUADS) or b"",
                    len(fact_file.records), str(kind) if kind is not None else None))
    if problems:
        if len(problems) > MAX_PROBLEMS:
            problems = [*problems[:MAX_PROBLEMS], f"… and {len(problems) - MAX_PROBLEMS} more"]
        raise FactFileError(problems)
    return [by_path[path] for path in paths]


#: The shape of a mapping cache entry (:func:`remembered`).
REMEMBERED = "mapped file, pickled apart"


def remembered(entry: Any, path: Path) -> tuple[Remembered, str, bytes] | None:
    """A mapping cache entry read back (the file pickled apart, checked by its hash
    rather than unpickled: see :class:`.mapping.Remembered`), or None: missing, of
    another shape, or damaged."""
    if not isinstance(entry, tuple) or len(entry) != 7 or entry[0] != REMEMBERED:
        return None
    _, digest, pickled, graph, nquads, records, kind = entry
    if not isinstance(pickled, bytes) or hashlib.sha256(pickled).digest() != digest:
        return None
    return Remembered(pickled, path, records, kind), graph, nquads


def _start_method() -> multiprocessing.context.BaseContext:
    """fork when it is safe (no other thread could hold a lock), which costs nothing and
    needs no ``__main__`` guard in the caller; spawn in threaded callers (servers, tests)."""
    return multiprocessing.get_context("fork" if threading.active_count() == 1 else "spawn")


MapResult = tuple[FactFile, str, bytes | list[ox.Quad]] | FactFileError | MappingError


def _map_slice(items: list[tuple[Path, bytes | None]], context: dict[str, Any], base: str,
               root: Path, limits: ReadLimits, checker: FactChecker | None) -> list[MapResult]:
    """Read (unless the content is given) and map each file; a file's problems are
    returned, not raised, so the other files are still read. Quads cross a process
    boundary as N-Quads bytes."""
    in_worker = multiprocessing.parent_process() is not None
    out: list[MapResult] = []
    for path, data in items:
        try:
            fact_file: FactFile = read_fact_file(path, root, limits, checker, data)
            mapped = map_file(fact_file, context, base, shown_path(path, root))
        except (FactFileError, MappingError) as error:
            out.append(error)
            continue
        quads: bytes | list[ox.Quad] = mapped.quads
        if in_worker:
            quads = ox.serialize(mapped.quads, format=ox.RdfFormat.N_QUADS) or b""
        out.append((mapped.fact_file, mapped.graph.value, quads))
    return out
