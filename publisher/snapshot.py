"""One Snapshot per request: the build being served, pinned for the whole request.

A :class:`Snapshot` holds everything a reader needs from one build: its record (id,
time, statistics), its store handle, its shapes and ontology as they were at build time,
and what this process prepared from it (:mod:`publisher.prepared`). :class:`Snapshots`
is the only thing that resolves which build is live; the outermost layer of the
application (:mod:`publisher.http.snapshot_layer`) takes one per request and every route
reads that one, so a page, its ETag and its bytes always come from the same build, even
while ``publisher build`` swaps a new one in.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TypeVar

import pyoxigraph as ox
from starlette.types import Scope

from .builds import BuildRecord, StoreUnavailable, live_target, resolve_live_build
from .linked_data.pack import DocumentPack, open_pack
from .prepared import RENDERER_VERSION, ByteBudgetCache, PreparedDocuments, variant_tag
from .search.index import INDEX_FILE, IndexUnavailable, SearchIndex
from .settings import Settings
from .stable_uris import Gone, Moved, read_outcomes
from .store import Store
from .store.opening import opener

T = TypeVar("T")
log = logging.getLogger(__name__)

#: Where the outermost layer puts the request's Snapshot (None: no build to serve).
SCOPE_KEY = "publisher.snapshot"
#: Why there is none, when there is none (a StoreUnavailable).
SCOPE_PROBLEM = "publisher.snapshot.problem"
DCTERMS_LICENSE = ox.NamedNode("http://purl.org/dc/terms/license")


class Snapshot:
    """One published build, as this process serves it."""

    def __init__(self, settings: Settings, build: BuildRecord, store: Store,
                 key: str | None) -> None:
        self.settings = settings
        self.build = build
        self.store = store
        self.key = key  # the live link's target it was opened for
        seed = variant_tag(build.build_id, build.built_at.isoformat(), RENDERER_VERSION)
        self.prepared = PreparedDocuments(seed, settings.max_prepared_bytes,
                                          loose_budget=settings.sparql_cache_bytes)
        self.sparql_answers = ByteBudgetCache(settings.sparql_cache_bytes)

    @property
    def build_id(self) -> str:
        return self.build.build_id

    @property
    def last_modified(self) -> str:
        return self.build.last_modified

    def once(self, name: str, compute: Callable[[], T]) -> T:
        """A value derived from this build, computed at most once in this process."""
        return self.prepared.once(name, compute)

    def document_pack(self) -> DocumentPack | None:
        """The build's document pack (its documents prepared by the build), or None: a
        build made before packs, or by other renderer code (documents render on request).
        Opened once per build, so a swap never serves another build's bytes."""
        try:
            return self.prepared.memo["document pack"]
        except KeyError:
            return self.once("document pack", lambda: open_pack(
                self.build.path, self.prepared.seed))

    def shapes(self) -> list[ox.Quad]:
        """The SHACL shapes the build was validated with, in the graph ``<base>shapes``."""

        def parse() -> list[ox.Quad]:
            from .pipeline.mapping import MappingError, parse_turtle_dir

            graph = ox.NamedNode(self.settings.shapes_iri)
            try:
                triples = parse_turtle_dir(self.build.shapes_dir, self.build.base, None)
            except MappingError as error:
                raise StoreUnavailable(f"build {self.build_id} has no readable shapes "
                                       f"({error}); run `publisher build` again") from None
            return [ox.Quad(q.subject, q.predicate, q.object, graph) for q in triples]

        return self.once("shapes", parse)

    def ontology(self) -> list[ox.Quad]:
        """The ontology graph as loaded into the build."""
        return self.once("ontology", lambda: list(self.store.quads(
            None, None, None, ox.NamedNode(self.settings.ontology_iri))))

    def search_index(self) -> SearchIndex:
        """The build's own search index (written by the build into its folder, never
        rebuilt here); StoreUnavailable (503) for a build that has none."""

        def open_index() -> SearchIndex:
            try:
                return SearchIndex(self.build.path / INDEX_FILE, self.build_id)
            except IndexUnavailable as error:
                raise StoreUnavailable(f"build {self.build_id[:12]} has no usable search "
                                       f"index ({error}); run `publisher build` again") from None

        return self.once("search index", open_index)

    def retired(self) -> dict[str, Moved | Gone]:
        """What each IRI the build retired answers, by path under the base (``id/…``)."""

        def read() -> dict[str, Moved | Gone]:
            try:
                return read_outcomes(self.build.retired_file)
            except (OSError, ValueError, KeyError, TypeError) as error:
                raise StoreUnavailable(f"build {self.build_id[:12]} has an unreadable "
                                       f"{self.build.retired_file.name} ({error}); run "
                                       "`publisher build` again") from None

        return self.once("retired", read)

    def licence(self) -> str | None:
        """The data licence the ontology declares (``dcterms:license``), if any."""

        def find() -> str | None:
            node = next((q.object for q in self.store.quads(
                ox.NamedNode(self.settings.ontology_iri), DCTERMS_LICENSE, None, None)
                if isinstance(q.object, ox.NamedNode)), None)
            return node.value if node is not None else None

        return self.once("licence", find)


class Snapshots:
    """The live build of ``settings.store_dir``, opened once per build in this process.

    :meth:`current` costs one ``readlink`` while the build is unchanged. A new build is
    opened under a lock (once, however many requests arrive together); the previous
    Snapshot stays valid for requests that pinned it. ``open_store`` makes the store a
    build's readers use: the embedded store in the build's folder by default; a remote
    store (a SPARQL endpoint the build was loaded into) is another such function.
    """

    def __init__(self, settings: Settings,
                 on_open: list[Callable[[Snapshot], None]] | None = None,
                 open_store: Callable[[BuildRecord], Store] | None = None) -> None:
        self.settings = settings
        self.on_open = list(on_open or [])
        self.open_store = open_store or opener(settings)
        self._current: Snapshot | None = None
        self._lock = threading.Lock()

    @property
    def latest(self) -> Snapshot | None:
        """The Snapshot most recently opened (background work stops when it changes)."""
        return self._current

    def current(self) -> Snapshot:
        """The live build's Snapshot, or StoreUnavailable saying why there is none."""
        target = live_target(self.settings)
        found = self._current
        if found is not None and target is not None and target == found.key:
            return found
        with self._lock:
            path = resolve_live_build(self.settings)
            found = self._current
            if found is not None and found.build.path == path:
                found.key = target
                return found
            build = BuildRecord.read(path)
            if build.base != self.settings.base:
                raise StoreUnavailable(
                    f"the live build {build.build_id[:12]} was made for the base "
                    f"{build.base}, but this server's base is {self.settings.base}: run "
                    "`publisher build` with the same base (PUBLISHER_BASE or --base)")
            snapshot = Snapshot(self.settings, build, self.open_store(build), target)
            self._current = snapshot
        for listener in self.on_open:
            try:
                listener(snapshot)
            except Exception:  # noqa: BLE001 - a listener (metrics) is never fatal
                log.exception("after opening build %s", snapshot.build_id)
        return snapshot


def pinned(scope: Scope) -> Snapshot | None:
    """The request's Snapshot, if the outermost layer found a build to pin."""
    return scope.get(SCOPE_KEY)


def snapshot_of(scope: Scope) -> Snapshot:
    """The request's Snapshot; StoreUnavailable (503) when there is no build to serve."""
    found = scope.get(SCOPE_KEY)
    if found is None:
        problem = scope.get(SCOPE_PROBLEM)
        raise problem if isinstance(problem, StoreUnavailable) else StoreUnavailable(
            "no build is being served")
    return found


def pin(scope: Scope, snapshots: Snapshots) -> Snapshot | None:
    """Pin the live build to ``scope`` (or the reason there is none)."""
    try:
        snapshot = snapshots.current()
    except StoreUnavailable as problem:
        scope[SCOPE_KEY] = None
        scope[SCOPE_PROBLEM] = problem
        return None
    scope[SCOPE_KEY] = snapshot
    return snapshot


def open_live(settings: Settings) -> Snapshot:
    """The live build for a one-off reader (the CLI): a Snapshot without a server."""
    return Snapshots(settings).current()


