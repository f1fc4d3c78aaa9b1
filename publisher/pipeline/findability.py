"""What the build adds so entities can be found and their IRIs trusted.

- The **search index** of the build (:mod:`publisher.search`), written by a process
  (or a thread) of its own from the prepared dataset while SHACL validation runs, then
  placed in the build folder (``search.sqlite``) beside the store, with the same build
  id. With the build cache on and a content key per graph, it is read graph by graph and
  each graph's part is remembered (``search/`` in the cache): a rebuild reads only the
  graphs whose key changed (:func:`publisher.search.extract_by_graph`).
- The **stable-IRI check** (:mod:`publisher.stable_uris`): before validation, every IRI
  in ``data/published-iris.txt`` must still be an entity or be retired in the data; the
  build writes what each retired IRI answers (``retired.json``) into the build folder
  and, once published, adds its new entities to the list.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from .. import stable_uris
from ..builds import RETIRED_FILE
from ..process import die_with_parent, forking
from ..search import INDEX_FILE, Reuse, build_search_index, partial_keys
from ..settings import Settings
from .build_cache import Entries

__all__ = ["RETIRED_FILE", "IndexFailed", "SearchIndexing", "StableIris", "check_stable_iris"]


class IndexFailed(Exception):
    """Writing the search index failed; the message says how."""


class SearchIndexing:
    """The search index being written beside a build.

    The dataset is only read, so the index is written while validation, the store's
    load and the document pack run: by a process forked from the build while it has no
    other thread (it shares the dataset, and its Python runs beside validation's rather
    than taking turns with it for one interpreter's lock), else by a thread of the build
    (pyoxigraph releases that lock while a query runs). :meth:`place` moves it into the
    finished build folder.
    """

    def __init__(self, settings: Settings, name: str, dataset: ox.Store,
                 build_id: str, fork: bool | None = None, *,
                 graph_keys: Mapping[ox.NamedNode, str] | None = None,
                 caches: list[Entries] | None = None) -> None:
        """``fork``: a process (True) or a thread (False); by default a process when
        this process has no other thread. ``graph_keys``: each named graph's content key
        (:attr:`.build.Prepared.graph_keys`); with the build cache on, the parts of the
        graphs whose key is unchanged come from the cache. ``caches``: the build's
        caches, which this one joins once the index is written, so that the build prunes
        the parts it no longer uses."""
        self.path = settings.builds_dir / f"{name}.{INDEX_FILE}.partial"
        self.started = time.perf_counter()
        self._finished = self.started
        self._failure: str | None = None
        self._process: multiprocessing.process.BaseProcess | None = None
        self._thread: threading.Thread | None = None
        # With the cache on but no keys (rules that are not graph-local), the whole
        # dataset is read and the parts of earlier builds, no longer used, are pruned.
        self.cache = Entries(settings.build_cache_dir / "search" if settings.build_cache
                             else None)
        self.graph_keys = dict(graph_keys or {}) if self.cache.folder is not None else {}
        # The parts are written by the index's process, whose own record of the keys it
        # used never comes back here: they are marked used now, or the prune would
        # remove every one of them.
        self.cache.used.update(partial_keys(self.graph_keys, settings.base,
                                            settings.ontology_iri).values())
        self._caches = caches
        #: How the index's graphs were read (None: the whole dataset at once).
        self.reuse: Reuse | None = None
        args = (settings, dataset, build_id)
        if fork if fork is not None else threading.active_count() == 1:
            receive, self._send = multiprocessing.Pipe(duplex=False)
            self._receive = receive
            self._process = multiprocessing.get_context("fork").Process(
                target=self._in_process, args=(*args, os.getpid()), name="build-search-index",
                daemon=True)
            try:
                with forking():
                    self._process.start()
            except OSError:  # no memory or processes left to fork: a thread does it
                self._process = None
                receive.close()
            self._send.close()  # the child's end: a child that dies leaves EOF, not a hang
        if self._process is None:
            self._thread = threading.Thread(target=self._run, args=args,
                                            name="build-search-index", daemon=True)
            self._thread.start()

    def _run(self, settings: Settings, dataset: ox.Store, build_id: str) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.reuse = build_search_index(dataset, self.path, build_id, settings.base,
                                            settings.ontology_iri, self.graph_keys,
                                            self.cache)
        except Exception as error:  # reported by wait()
            self._failure = f"writing the search index {self.path}: {type(error).__name__}: " \
                            f"{error}"
        finally:
            self._finished = time.perf_counter()

    def _in_process(self, settings: Settings, dataset: ox.Store, build_id: str,
                    parent: int) -> None:
        die_with_parent(parent)
        self._receive.close()
        self._run(settings, dataset, build_id)
        self._send.send((self._failure, self._finished - self.started, self.reuse))

    def settle(self) -> None:
        """Return once no thread of this process writes the index (a process may still:
        it holds no lock of ours), so that this process can fork."""
        if self._thread is not None:
            self._thread.join()

    def join(self) -> None:
        """Block until it is done (whatever came of it: :meth:`wait` says)."""
        if self._thread is not None:
            self._thread.join()
        elif self._process is not None and self._process.pid is not None:
            # read before joining: a child whose message fills the pipe waits for it
            outcome = None
            if not self._receive.closed:
                try:
                    outcome = self._receive.recv()  # or EOF once the child is gone
                except (EOFError, OSError):
                    pass
                self._receive.close()
                self._process.join()
                if outcome is None:
                    self._failure = (f"writing the search index {self.path}: its process "
                                     f"ended with {self._process.exitcode}")
                    self._finished = time.perf_counter()
                else:
                    self._failure, seconds, self.reuse = outcome
                    self._finished = self.started + seconds
            self._process.join()

    def wait(self) -> float:
        """Block until the index is written: the seconds it took, or IndexFailed."""
        self.join()
        if self._failure is not None:
            self.discard()
            raise IndexFailed(self._failure)
        if self._caches is not None and self.cache.folder is not None:
            # joined only now: validation's caches come first, where the build reads them
            self._caches.append(self.cache)
            self._caches = None
        return round(self._finished - self.started, 3)

    def place(self, build: Path) -> None:
        os.replace(self.path, build / INDEX_FILE)

    def discard(self) -> None:
        if self._process is not None and self._process.is_alive():
            self._process.kill()
        self.join()
        self.path.unlink(missing_ok=True)
        self.path.with_name(self.path.name + ".partial").unlink(missing_ok=True)


@dataclass(frozen=True)
class StableIris:
    """This build's entities, its retired IRIs and what the published list lacks."""

    listed: list[str]
    entities: set[str]
    retired: dict[str, stable_uris.Retired]
    problems: list[str]

    @property
    def live(self) -> set[str]:
        return self.entities - set(self.retired)

    def write_outcomes(self, build: Path) -> None:
        stable_uris.write_outcomes(build / RETIRED_FILE,
                                   stable_uris.outcomes(self.retired, self.entities))

    def record(self, settings: Settings) -> list[str]:
        """Add this build's new entities to the published list; the paths added."""
        new, added = stable_uris.updated(self.listed, self.live)
        if added:
            stable_uris.write_published(published_list(settings), new)
        return added


def published_list(settings: Settings) -> Path:
    return settings.data_dir / stable_uris.PUBLISHED_FILE


def check_stable_iris(settings: Settings, dataset: ox.Store) -> StableIris:
    """Compare the dataset with the published list (problems are the build's to report)."""
    retired = stable_uris.retirements(dataset, settings.base)
    entities = stable_uris.entity_paths(dataset, settings.base)
    listed = stable_uris.read_published(published_list(settings))
    return StableIris(listed, entities, retired,
                      stable_uris.check(listed, entities, retired))
