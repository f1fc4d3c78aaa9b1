"""The one store interface: every read of the published data goes through here.

The live store is a directory symlink (``settings.store_dir``) to one complete build under
``settings.builds_dir``. Builds are swapped by replacing the symlink atomically, so a
reader holding the old build keeps a consistent view, and :class:`LiveStore` reopens the
new build on its next request after the symlink changes.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from .settings import Settings

BUILD_INFO = "build.json"


class StoreMissing(RuntimeError):
    """No build has been published yet at the configured store path."""


@dataclass(frozen=True)
class BuildInfo:
    """What a build records about itself; ``build_id`` drives ETags and Last-Modified."""

    build_id: str
    built_at: str  # RFC 3339, UTC
    base: str
    path: Path
    stats: dict[str, Any]

    @classmethod
    def read(cls, path: Path) -> BuildInfo:
        data = json.loads((path / BUILD_INFO).read_text(encoding="utf-8"))
        return cls(
            build_id=data["build_id"],
            built_at=data["built_at"],
            base=data["base"],
            path=path,
            stats=data.get("stats", {}),
        )


def resolve_live_build(settings: Settings) -> Path:
    """The build directory the live symlink points at, or StoreMissing."""
    link = settings.store_dir
    if not link.exists():
        raise StoreMissing(
            f"no store at {link}: run `publisher build` first (it builds from {settings.data_dir})"
        )
    return link.resolve()


class LiveStore:
    """Read-only access to the current build, reopened when a new build is swapped in.

    Opening is cheap (RocksDB read-only), so checking the symlink target costs one
    ``readlink`` per request at most; that is what lets ``publisher build`` publish a new
    build to a running server without a restart.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._path: Path | None = None
        self._store: ox.Store | None = None
        self._info: BuildInfo | None = None

    def _current(self) -> tuple[ox.Store, BuildInfo]:
        path = resolve_live_build(self.settings)
        with self._lock:
            if path != self._path or self._store is None or self._info is None:
                self._store = ox.Store.read_only(str(path))
                self._info = BuildInfo.read(path)
                self._path = path
            return self._store, self._info

    @property
    def oxigraph(self) -> ox.Store:
        return self._current()[0]

    @property
    def info(self) -> BuildInfo:
        return self._current()[1]

    def query(self, sparql: str, **options: Any) -> Any:
        """SPARQL over the union of all graphs unless a dataset is given explicitly."""
        if "default_graph" not in options:
            options.setdefault("use_default_graph_as_union", True)
        return self.oxigraph.query(sparql, **options)

    def quads(
        self,
        subject: ox.NamedNode | ox.BlankNode | None = None,
        predicate: ox.NamedNode | None = None,
        object: ox.NamedNode | ox.BlankNode | ox.Literal | None = None,
        graph: ox.NamedNode | ox.BlankNode | ox.DefaultGraph | None = None,
    ) -> Iterator[ox.Quad]:
        return self.oxigraph.quads_for_pattern(subject, predicate, object, graph)

    def exists(self, iri: str) -> bool:
        """An IRI exists when it is the subject or object of some quad, or names a graph."""
        node = ox.NamedNode(iri)
        store = self.oxigraph
        if next(iter(store.quads_for_pattern(node, None, None, None)), None) is not None:
            return True
        if next(iter(store.quads_for_pattern(None, None, node, None)), None) is not None:
            return True
        return store.contains_named_graph(node)


def open_store(settings: Settings) -> LiveStore:
    return LiveStore(settings)


def swap_in(settings: Settings, build_path: Path) -> None:
    """Point the live symlink at ``build_path`` atomically (rename over the old link)."""
    link = settings.store_dir
    link.parent.mkdir(parents=True, exist_ok=True)
    if link.exists() and not link.is_symlink():
        raise RuntimeError(
            f"{link} exists and is not a symlink made by `publisher build`; move it away first"
        )
    tmp = link.with_name(f".{link.name}.swap-{os.getpid()}")
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    os.symlink(os.path.relpath(build_path, link.parent), tmp)
    try:
        os.replace(tmp, link)
    except OSError:
        tmp.unlink(missing_ok=True)
        raise
