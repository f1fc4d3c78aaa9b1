"""What a build may reuse from the builds before it: mapped fact files, SHACL results.

At a million triples, mapping every fact file and validating every graph are most of a
build; after a change to one file, nearly all of that work would give what it gave last
time. So both are remembered on disk, each under the hash of **everything its result
depends on**, never under a file name or a time:

- a fact file's mapping (:class:`MappingCache`): the file's bytes and its path as reports
  show it, every file of ``mappings/``, ``ontology/`` and ``shapes/`` (the schema of the
  fact files is derived from the context and the ontology), the base IRI, the read limits,
  and the versions of the publisher and of pyoxigraph (its JSON-LD processor maps);
- a SHACL run (:class:`ValidationCache`): the exact data handed to the engine (canonical
  N-Quads: the graph with its context, or the union on the shared nodes), the focus
  nodes, the shapes, and the engine with its version.

A changed input therefore gives a new key, never a stale answer; an entry nobody asks
for again is removed when the build that stopped using it succeeds. Only successes are
remembered: a file that fails is read again, so its errors always come from the file as
it is. Entries are written to a temporary name and renamed, so a killed build leaves
whole entries or none; an entry that cannot be read back is treated as missing.
``PUBLISHER_BUILD_CACHE=false`` turns the cache off; deleting the folder is always safe.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import shutil
from collections.abc import Callable
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import __version__
from .inputs import digest_input, find_inputs

if TYPE_CHECKING:  # not imported at run time: the dumps process reads this module, and
    # the SHACL engines (pyshacl, rdflib) took half a second of its start
    from .shacl import ShaclResult

#: Bumped whenever what an entry holds changes shape.
FORMAT = "1"


def _version(package: str) -> str:
    try:
        return version(package)
    except PackageNotFoundError:
        return "none"


class Entries:
    """One kind of entry on disk: ``<folder>/<key[:2]>/<key>``, read whole, written
    atomically; which keys this build used, so the others can be removed after it."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        self.used: set[str] = set()
        self.hits = 0
        self.misses = 0

    def _path(self, key: str) -> Path:
        assert self.folder is not None
        return self.folder / key[:2] / key

    def get(self, key: str) -> bytes | None:
        if self.folder is None:
            self.misses += 1
            return None
        self.used.add(key)
        try:
            data = self._path(key).read_bytes()
        except OSError:
            self.misses += 1
            return None
        self.hits += 1
        return data

    def unusable(self) -> None:
        """The entry just read cannot be used after all (its content checked by the
        caller): a miss, as counted."""
        self.hits -= 1
        self.misses += 1

    def has(self, key: str) -> bool:
        """Whether an entry is there (not read, not counted)."""
        return self.folder is not None and self._path(key).is_file()

    def put(self, key: str, data: bytes) -> None:
        """Best effort: a cache that cannot be written makes the next build slower, not
        wrong, so a full disk here does not fail the build."""
        if self.folder is None:
            return
        self.used.add(key)
        path = self._path(key)
        temporary = path.with_name(f".{key}.{os.getpid()}.tmp")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            temporary.write_bytes(data)
            temporary.replace(path)
        except OSError:
            temporary.unlink(missing_ok=True)

    def load(self, key: str) -> Any:
        """The value pickled under ``key``, or None: missing, or damaged (a miss too)."""
        data = self.get(key)
        if data is None:
            return None
        try:
            return pickle.loads(data)
        except Exception:  # a damaged entry is a miss
            return None

    def store(self, key: str, value: object) -> None:
        self.put(key, pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))

    def prune(self) -> None:
        """Remove every entry this build did not use (and leftovers of killed builds)."""
        if self.folder is None or not self.folder.is_dir():
            return
        for sub in self.folder.iterdir():
            if not sub.is_dir():
                continue
            for entry in sub.iterdir():
                if entry.name not in self.used:
                    entry.unlink(missing_ok=True)


def environment_digest(settings_items: list[tuple[str, object]], folders: list[Path],
                       root: Path, max_bytes: int) -> hashlib._Hash:
    """A hash of the settings given, the versions, and every file of ``folders``."""
    digest = hashlib.sha256(f"publisher build cache {FORMAT}\n{__version__}\n".encode())
    for name, value in settings_items:
        digest.update(f"{name}={value!r}\n".encode())
    for folder in folders:
        paths = find_inputs(folder, root) if folder.is_dir() else []
        digest.update(f"{folder.name}/ {len(paths)}\n".encode())
        for path in paths:
            digest.update(str(path.relative_to(folder)).encode() + b"\0")
            digest_input(path, root, max_bytes, digest)
            digest.update(b"\0")
    return digest


class MappingCache:
    """A fact file's mapping (its FactFile and its quads as N-Quads), by content."""

    def __init__(self, folder: Path | None, environment: hashlib._Hash) -> None:
        self.entries = Entries(folder)
        self.environment = environment

    @property
    def enabled(self) -> bool:
        return self.entries.folder is not None

    def key(self, shown: str, data: bytes) -> str:
        digest = self.environment.copy()
        digest.update(shown.encode() + b"\0")
        digest.update(hashlib.sha256(data).digest())
        return digest.hexdigest()

    def get(self, key: str) -> tuple | None:
        return self.entries.load(key)

    def put(self, key: str, value: tuple) -> None:
        self.entries.store(key, value)


class ValidationCache:
    """SHACL results by the exact data, focus nodes, shapes and engine of the run."""

    def __init__(self, folder: Path | None, engine: str, shapes: bytes) -> None:
        self.entries = Entries(folder)
        self.prefix = hashlib.sha256(
            f"{FORMAT}\n{__version__}\n{engine}\n{_version('pyshacl-turbo')}\n"
            f"{_version('pyshacl')}\n{_version('pyoxigraph')}\n".encode() + shapes).digest()

    def key(self, data: bytes, focus: list[str]) -> str:
        digest = hashlib.sha256(self.prefix)
        digest.update("\n".join(focus).encode() + b"\0")
        digest.update(data)
        return digest.hexdigest()

    def wrap(self, run: Callable[[bytes, list[str]], list[ShaclResult]]
             ) -> Callable[[bytes, list[str]], list[ShaclResult]]:
        """``run`` behind the cache: the engine runs only for data it has not seen."""

        def check(data: bytes, focus: list[str]) -> list[ShaclResult]:
            key = self.key(data, focus)
            cached = self.entries.load(key)
            if cached is not None:
                return cached
            results = run(data, focus)
            self.entries.store(key, results)
            return results

        return check


def clear(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)


class GraphChecks:
    """A graph's SHACL run remembered by what its data is made of rather than by the data:
    the graph's content key (:func:`.derive_local.content_keys`: its files' mapping keys,
    the rules, the codes added), the keys of the reference graphs and the hash of the
    ontology (its context comes from nothing else), the shapes and the engine (``prefix``,
    as in :class:`ValidationCache`). A hit skips assembling the graph with its context,
    which is most of a rebuild's validation; the entry holds what that assembly yields:
    the results, the counts, the hash of the graph's own quads, its named subjects, and
    the key of the same run by its data."""

    def __init__(self, folder: Path | None, runs: ValidationCache, keys: dict,
                 ontology: bytes) -> None:
        self.entries = Entries(folder if keys else None)
        self.runs = runs
        self.keys = keys
        self.context: bytes | None = None
        self.prefix = hashlib.sha256(runs.prefix + b"graph checks\n" + ontology).digest()

    def data_key(self, data: bytes, focus: list[str]) -> str:
        """The key of the same run by its data (:class:`ValidationCache`)."""
        return self.runs.key(data, focus)

    def keep(self, data_key: str) -> None:
        """A run found here is still this build's: its entry by data is not pruned, so a
        later build that changes its context (not its data) still finds it."""
        self.runs.entries.used.add(data_key)

    def bind(self, reference: list) -> None:
        """Fold in the reference graphs (every graph's context draws on them)."""
        if self.entries.folder is None or any(g not in self.keys for g in reference):
            self.context = None
            return
        digest = hashlib.sha256(self.prefix)
        for graph in sorted(reference, key=lambda g: g.value):
            digest.update(f"{graph.value}\n{self.keys[graph]}\n".encode())
        self.context = digest.digest()

    def key(self, graph, kind: str) -> str | None:
        if self.context is None or graph not in self.keys:
            return None
        return hashlib.sha256(self.context + f"{kind}\n{graph.value}\n"
                              f"{self.keys[graph]}".encode()).hexdigest()

    def union_key(self, focus: list[str]) -> str | None:
        """The key of the union's run on the nodes ``focus`` (what else its data is
        read from, the run itself checks: :class:`.per_source.UnionRun`)."""
        if self.entries.folder is None:
            return None
        digest = hashlib.sha256(self.prefix + b"union run\n")
        digest.update("\n".join(focus).encode())
        return digest.hexdigest()

    def get(self, key: str) -> Any:
        return self.entries.load(key)

    def put(self, key: str, value: object) -> None:
        self.entries.store(key, value)
