"""The URL space under the base: which path is which resource, and how it is rendered.

:class:`Site` is the core the HTTP layer calls: ``route(path)`` says whether a path is
a redirect (``id/…`` -> ``doc/…``), a document with its offered formats, a missing IRI
under the base, or not ours at all (``/sparql``, ``/validate``: left to FastAPI);
``representation(key, format)`` renders a document in one format. Both are cached per
store build in a :class:`~publisher.linked_data.cache.BuildCache`.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import logging
import os
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

import pyoxigraph as ox

from .. import __version__, formats
from ..formats import DOCUMENT_FORMATS, GRAPH_FORMATS, HTML, Format
from ..pages import dataset_page, vocabulary
from ..pages import entity as entity_page
from ..pipeline.mapping import parse_turtle_dir
from ..settings import Settings
from ..store import LiveStore
from . import dataset, html
from .cache import BuildCache, Representation, variant_tag
from .describe import LABEL_PREDICATES, RDF_TYPE, Snapshot, describe, graph_quads
from .render import serialize
from .views import Labeler, labels_of

#: Formats of the ontology, shapes and dataset documents (HTML for people first).
VOCABULARY_FORMATS: tuple[Format, ...] = DOCUMENT_FORMATS
VOID_FORMATS: tuple[Format, ...] = (HTML, *GRAPH_FORMATS)
GZIP_FILE = Format("gzip", "application/gzip", "gz", "gzip")
#: The data behind a page's pictures (timeline, network, map).
FIGURE_JSON = Format("figure-json", "application/json", "json", "JSON")
STATIC_TYPES = {".css": "text/css; charset=utf-8", ".svg": "image/svg+xml",
                ".png": "image/png", ".ico": "image/x-icon"}


def _renderer_version() -> str:
    """Part of every ETag: a new template or stylesheet must not be hidden by a 304."""
    digest = hashlib.sha256(__version__.encode())
    for folder in (html.TEMPLATES_DIR, html.STATIC_DIR, Path(__file__).parent):
        for path in sorted(folder.rglob("*")):
            if path.is_file() and path.suffix in (".html", ".css", ".py"):
                digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()[:16]


RENDERER_VERSION = _renderer_version()
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Redirect:
    """303 See Other to ``location`` (a path); ``offered`` lets 406 be answered early."""

    location: str
    offered: tuple[Format, ...] | None = None


@dataclass(frozen=True)
class Document:
    """A negotiable document; ``fixed`` when the path names the format (``.ttl``)."""

    key: str
    offered: tuple[Format, ...]
    variant_paths: tuple[str, ...]  # one per offered format, path-absolute
    fixed: Format | None = None
    compressible: bool = True

    def variant_path(self, fmt: Format) -> str:
        for index, offered in enumerate(self.offered):
            if offered is fmt:
                return self.variant_paths[index]
        raise ValueError(f"{fmt.name} is not offered by {self.key}")


@dataclass(frozen=True)
class Missing:
    """An IRI under the base that names nothing; ``suggestions`` are (label, IRI)."""

    what: str
    suggestions: tuple[tuple[str, str], ...] = ()


Route = Redirect | Document | Missing


class Site:
    """Routes and renderers over the live store, cached per build."""

    def __init__(self, settings: Settings, store: LiveStore) -> None:
        self.settings = settings
        self.store = store
        self.base = settings.base
        self.base_path = urlsplit(settings.base).path or "/"
        self.prewarm = True
        self._cache: BuildCache | None = None
        self._lock = threading.Lock()
        self._prewarmed: set[str] = set()

    # -- builds ---------------------------------------------------------------------
    def current(self) -> BuildCache:
        """The cache of the live build; one ``readlink`` when nothing changed."""
        try:
            target: str | None = os.readlink(self.settings.store_dir)
        except OSError:
            target = None
        cache = self._cache
        if cache is not None and target is not None and target == cache.link_target:
            return cache
        info = self.store.info
        with self._lock:
            cache = self._cache
            if cache is None or cache.build_id != info.build_id:
                seed = variant_tag(info.build_id, RENDERER_VERSION)
                built = datetime.fromisoformat(info.built_at)
                cache = BuildCache(info.build_id, built, seed, target)
                self._cache = cache
                self._start_prewarm(cache)
            elif cache.link_target != target:
                cache.link_target = target
            return cache

    def snapshot(self) -> Snapshot:
        return Snapshot(self.store.oxigraph)

    # -- routing --------------------------------------------------------------------
    def owns(self, path: str) -> str | None:
        """The part of ``path`` after the base path when it is one of ours, else None."""
        if not path.startswith(self.base_path):
            return None
        rest = path[len(self.base_path):]
        head = rest.split("/", 1)[0]
        if head in ("", "index.html", "id", "doc", "dumps", "static", "meetings",
                    "favicon.ico", "figures") or head.split(".")[0] in (
                "ontology", "shapes", "void") or rest == ".well-known/void":
            return rest
        return None

    def route(self, cache: BuildCache, rest: str) -> Route:
        found = cache.routes.get(rest)
        if found is None:
            found = self._resolve(cache, rest)
            if not isinstance(found, Missing):
                cache.remember_route(rest, found)
        return found

    def _resolve(self, cache: BuildCache, rest: str) -> Route:
        p = self.base_path
        if rest in ("", "index.html"):
            paths = tuple(p if f is HTML else f"{p}void.{f.extension}" for f in VOID_FORMATS)
            return Document("home", VOID_FORMATS, paths, HTML if rest else None)
        if rest == ".well-known/void":
            return Redirect(p + "void")
        head, _, tail = rest.partition("/")
        if head == "id":
            if tail and self._exists(cache, self.base + rest):
                return Redirect(f"{p}doc/{tail}", DOCUMENT_FORMATS)
            return self._missing(cache, rest)
        if head == "doc":
            owner, _, last = tail.rpartition("/")
            if last.removesuffix(".json") in entity_page.FIGURES and last.endswith(".json") \
                    and self._entity_document(cache, owner) is not None:
                return self._figure(cache, f"entity/{owner}", last.removesuffix(".json"), rest)
            return self._entity_document(cache, tail) or self._missing(cache, rest)
        if head == "dumps":
            return self._dumps_route(cache, rest, tail)
        if head == "static":
            return self._static_route(tail) or Missing(rest)
        if rest == "favicon.ico":
            found = self._static_route("favicon.ico")
            return Document(found.key, found.offered, (p + "favicon.ico",), found.fixed)
        if rest == "meetings":
            return Document("meetings", (HTML,), (p + "meetings",), HTML)
        if rest == "meetings/timeline.json":
            return self._figure(cache, "meetings", "timeline", rest)
        if head == "figures" and tail.endswith(".json"):
            return self._figure(cache, "home", tail.removesuffix(".json"), rest)
        stem, dot, ext = head.partition(".")
        if stem in ("ontology", "shapes", "void"):
            offered = VOID_FORMATS if stem == "void" else VOCABULARY_FORMATS
            paths = tuple(f"{p}{stem}.{f.extension}" for f in offered)
            if not tail and not dot:
                return Document(stem, offered, paths)
            if not tail:
                fmt = formats.by_extension(ext, offered)
                return Document(stem, offered, paths, fmt) if fmt else Missing(rest)
            if stem != "void" and not dot:
                return self._term_redirect(cache, stem, tail) or Missing(rest)
        return Missing(rest)

    def _entity_document(self, cache: BuildCache, tail: str) -> Document | None:
        p = self.base_path
        stem, dot, ext = tail.rpartition(".")
        candidates = []
        if dot and "/" not in ext:
            fmt = formats.by_extension(ext, DOCUMENT_FORMATS)
            if fmt is not None:
                candidates.append((stem, fmt))
        candidates.append((tail, None))
        for name, fmt in candidates:
            if name and self._exists(cache, f"{self.base}id/{name}"):
                paths = tuple(f"{p}doc/{name}.{f.extension}" for f in DOCUMENT_FORMATS)
                return Document(f"entity:{name}", DOCUMENT_FORMATS, paths, fmt)
        return None

    def _figure(self, cache: BuildCache, owner: str, name: str, rest: str) -> Route:
        """A picture's data, when the page has that picture."""
        if name not in self._figures_of(cache, owner):
            return Missing(rest)
        return Document(f"figure:{owner}:{name}", (FIGURE_JSON,), (self.base_path + rest,),
                        FIGURE_JSON)

    def _figures_of(self, cache: BuildCache, owner: str) -> dict[str, dict]:
        """The data of the pictures of a page (``home``, ``meetings``, ``entity/{name}``)."""

        def compute() -> dict[str, dict]:
            context = self._page_context(cache)
            if owner == "home":
                figures = entity_page.home_figures(context, self.base)
            elif owner == "meetings":
                figures = entity_page.meetings_page(context, self.base + "meetings").figures
            else:
                thing = owner.removeprefix("entity/")
                figures = entity_page.build_page(context, f"{self.base}id/{thing}",
                                                 f"{self.base}doc/{thing}").figures
            return {f.id: f.data for f in figures if f.data is not None}

        return cache.once(f"figures:{owner}", compute)

    def _term_redirect(self, cache: BuildCache, stem: str, tail: str) -> Redirect | None:
        """Slash form of a hash term (``ontology/Meeting``) or the ontology's version IRI."""
        quads = self._vocabulary_quads(cache, stem)
        subjects = {q.subject.value for q in quads if isinstance(q.subject, ox.NamedNode)}
        objects = {q.object.value for q in quads if isinstance(q.object, ox.NamedNode)}
        if f"{self.base}{stem}#{tail}" in subjects:
            return Redirect(f"{self.base_path}{stem}#{tail}")
        if f"{self.base}{stem}/{tail}" in subjects | objects:
            return Redirect(f"{self.base_path}{stem}")
        return None

    def _dumps_route(self, cache: BuildCache, rest: str, tail: str) -> Route:
        p = self.base_path
        if rest == "dumps":
            return Redirect(p + "dumps/")
        if not tail:
            return Document("dumps", (HTML,), (p + "dumps/",), HTML)
        for dump in self._dumps(cache):
            if dump.name == tail:
                return Document(f"dump:{dump.name}", (GZIP_FILE,), (p + "dumps/" + tail,),
                                GZIP_FILE, compressible=False)
        return Missing(rest)

    def _static_route(self, tail: str) -> Document | None:
        path = (html.STATIC_DIR / tail).resolve()
        if not path.is_file() or not path.is_relative_to(html.STATIC_DIR):
            return None
        kind = STATIC_TYPES.get(path.suffix)
        if kind is None:
            return None
        fmt = Format(path.suffix.lstrip("."), kind.split(";")[0], path.suffix.lstrip("."),
                     path.suffix)
        return Document(f"static:{tail}", (fmt,), (self.base_path + "static/" + tail,), fmt)

    def _exists(self, cache: BuildCache, iri: str) -> bool:
        node = ox.NamedNode(iri)
        store = self.store.oxigraph
        if next(iter(store.quads_for_pattern(node, None, None, None)), None) is not None:
            return True
        if next(iter(store.quads_for_pattern(None, None, node, None)), None) is not None:
            return True
        return store.contains_named_graph(node)

    def _missing(self, cache: BuildCache, rest: str) -> Missing:
        """Suggest entities of the same kind whose name is close to the one asked for
        (a typo: ``person/sergei-lavrov``), never merely similar-looking others."""
        wanted = rest.removeprefix("id/").removeprefix("doc/").rsplit(".", 1)[0]
        kind, _, slug = wanted.partition("/")
        index = cache.once("entity_paths", lambda: self._entity_paths(cache))
        same_kind = {name.partition("/")[2]: name for name in index
                     if name.partition("/")[0] == kind}
        close = difflib.get_close_matches(slug, list(same_kind), n=3, cutoff=0.8)
        return Missing(rest, tuple((index[same_kind[s]], f"{self.base}id/{same_kind[s]}")
                                   for s in close))

    def _entity_paths(self, cache: BuildCache) -> dict[str, str]:
        labeler = self.labeler(cache)
        id_base = self.base + "id/"
        names = {}
        for quad in self.store.oxigraph.quads_for_pattern(None, RDF_TYPE, None, None):
            if isinstance(quad.subject, ox.NamedNode) and quad.subject.value.startswith(id_base):
                names[quad.subject.value[len(id_base):]] = labeler.label(quad.subject.value)
        return names

    # -- per-build data -------------------------------------------------------------
    def labeler(self, cache: BuildCache) -> Labeler:
        """Labels of every IRI (for pages) and comments of ontology terms (tooltips)."""

        def compute() -> Labeler:
            store = self.store.oxigraph
            label_quads = [q for p in LABEL_PREDICATES
                           for q in store.quads_for_pattern(None, p, None, None)]
            comment = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#comment")
            comments = {q.subject.value: q.object.value for q in store.quads_for_pattern(
                None, comment, None, ox.NamedNode(self.settings.ontology_iri))
                if isinstance(q.subject, ox.NamedNode)}
            return Labeler(self.base, labels_of(label_quads), comments)

        return cache.once("labeler", compute)

    def site_context(self, cache: BuildCache) -> html.SiteContext:
        summary = self._summary(cache)
        built = cache.built_at.strftime("%d %B %Y, %H:%M UTC")
        return html.SiteContext.make(self.base, cache.build_id, built, summary.licence)

    def _summary(self, cache: BuildCache) -> dataset.Summary:
        return cache.once("summary", lambda: dataset.summarize(
            self.snapshot(), self.store.info.stats, self.base, self.settings.ontology_iri))

    def _dumps(self, cache: BuildCache) -> list[dataset.Dump]:
        return cache.once("dumps", lambda: dataset.make_dumps(self.snapshot(), self.base))

    def _void(self, cache: BuildCache) -> list[ox.Quad]:
        return cache.once("void", lambda: dataset.void_quads(
            self._summary(cache), self._dumps(cache), self.base,
            cache.built_at.isoformat(), cache.build_id))

    def _vocabulary_quads(self, cache: BuildCache, stem: str) -> list[ox.Quad]:
        if stem == "ontology":
            return cache.once("ontology", lambda: graph_quads(self.snapshot(),
                                                              self.settings.ontology_iri))

        def shapes() -> list[ox.Quad]:
            # The build validates with the shapes but does not load them into the
            # store, so they are read from the project, in a graph of their own.
            graph = ox.NamedNode(self.settings.shapes_iri)
            return [ox.Quad(q.subject, q.predicate, q.object, graph) for q in
                    parse_turtle_dir(self.settings.shapes_dir, self.base, None)]

        return cache.once("shapes", shapes)

    def _entity_quads(self, cache: BuildCache, name: str) -> list[ox.Quad]:
        return cache.description(
            name, lambda: describe(self.snapshot(), f"{self.base}id/{name}"))

    # -- rendering ------------------------------------------------------------------
    def representation(self, cache: BuildCache, document: Document,
                       fmt: Format) -> Representation:
        """The prepared variant, rendering it now if this build has not yet."""
        key = (document.key, fmt.name)
        found = cache.representations.get(key)
        if found is None:
            body = self._render(cache, document, fmt)
            tag = variant_tag(cache.seed, document.key, fmt.name)
            found = Representation.prepare(body, fmt.content_type, tag, document.compressible)
            cache.remember(key, found)
        return found

    def _render(self, cache: BuildCache, document: Document, fmt: Format) -> bytes:
        kind, _, name = document.key.partition(":")
        renderers: dict[str, Callable[[], bytes]] = {
            "entity": lambda: self._render_entity(cache, name, fmt),
            "ontology": lambda: self._render_vocabulary(cache, "ontology", fmt),
            "shapes": lambda: self._render_vocabulary(cache, "shapes", fmt),
            "void": lambda: self._render_void(cache, fmt),
            "home": lambda: (self._render_home(cache) if fmt is HTML
                             else self._render_void(cache, fmt)),
            "dumps": lambda: self._render_dumps(cache),
            "meetings": lambda: self._render_meetings(cache),
            "figure": lambda: self._render_figure(cache, name),
            "dump": lambda: next(d.body for d in self._dumps(cache) if d.name == name),
            "static": lambda: (html.STATIC_DIR / name).read_bytes(),
        }
        return renderers[kind]()

    def _rdf_or_html(self, cache: BuildCache, quads: Sequence[ox.Quad], fmt: Format,
                     subject: str, page: Callable[[bytes], bytes]) -> bytes:
        if fmt is HTML:
            return page(serialize(quads, formats.JSON_LD, self.base, subject))
        return serialize(quads, fmt, self.base, subject)

    def _render_entity(self, cache: BuildCache, name: str, fmt: Format) -> bytes:
        iri = f"{self.base}id/{name}"
        quads = self._entity_quads(cache, name)
        doc_iri = f"{self.base}doc/{name}"
        return self._rdf_or_html(cache, quads, fmt, iri, lambda jsonld: entity_page.entity_html(
            self._page_context(cache), iri, doc_iri, self.site_context(cache),
            html.alternates(doc_iri, DOCUMENT_FORMATS, None), jsonld))

    def _render_vocabulary(self, cache: BuildCache, stem: str, fmt: Format) -> bytes:
        quads = self._vocabulary_quads(cache, stem)
        iri = self.base + stem
        return self._rdf_or_html(cache, quads, fmt, iri, lambda jsonld: entity_page.render_page(
            self._vocabulary_page(cache, stem, quads, iri), self.site_context(cache),
            html.alternates(iri, VOCABULARY_FORMATS, None), jsonld))

    def _vocabulary_page(self, cache: BuildCache, stem: str, quads, iri: str):
        label = self.labeler(cache).label
        if stem == "shapes":
            return vocabulary.shapes_page(quads, iri, iri, label)
        counts = {row["c"].value: int(row["n"].value) for row in self.store.oxigraph.query(
            "SELECT ?c (COUNT(DISTINCT ?x) AS ?n) WHERE { ?x a/<http://www.w3.org/2000/01/"
            "rdf-schema#subClassOf>* ?c } GROUP BY ?c", use_default_graph_as_union=True)}
        return vocabulary.ontology_page(quads, iri, iri, label, counts,
                                        self.base + entity_page.INVERSE_LABEL)

    def _render_void(self, cache: BuildCache, fmt: Format) -> bytes:
        quads = self._void(cache)
        doc = self.base + "void"
        iri = dataset.dataset_iri(self.base)
        return self._rdf_or_html(cache, quads, fmt, iri, lambda jsonld: entity_page.render_page(
            dataset_page.void_page(self._summary(cache), self._dumps(cache), self.base, iri,
                                   doc, self.labeler(cache).label, dataset.TITLE,
                                   dataset.DESCRIPTION),
            self.site_context(cache), html.alternates(doc, VOID_FORMATS, None), jsonld))

    def _render_home(self, cache: BuildCache) -> bytes:
        summary = self._summary(cache)
        labeler = self.labeler(cache)
        jsonld = serialize(self._void(cache), formats.JSON_LD, self.base,
                           dataset.dataset_iri(self.base))
        return html.render(
            "home.html", self.site_context(cache), summary=summary, label=labeler.label,
            title=dataset.TITLE, description=dataset.DESCRIPTION, dumps=self._dumps(cache),
            queries=dataset.example_queries(self.base), jsonld=jsonld,
            figures=cache.once("home-figures", lambda: entity_page.home_figures(
                self._page_context(cache), self.base)),
            alternates=html.alternates(self.base + "void", VOID_FORMATS[1:], None))

    def _page_context(self, cache: BuildCache):
        store = self.store.oxigraph

        def query(sparql: str):
            return store.query(sparql, use_default_graph_as_union=True)

        inverse = cache.once("inverse-labels", lambda: entity_page.inverse_labels(
            self._vocabulary_quads(cache, "ontology"), self.base))
        sources = cache.once("source-index", lambda: entity_page.source_index(query, self.base))
        return entity_page.Context(query, self.base, self.labeler(cache).label, inverse,
                                   sources)

    def _render_figure(self, cache: BuildCache, name: str) -> bytes:
        """The data of one picture, as the page draws it."""
        owner, _, figure = name.rpartition(":")
        return json.dumps(self._figures_of(cache, owner)[figure], ensure_ascii=False,
                          sort_keys=True, indent=1).encode("utf-8")

    def _render_meetings(self, cache: BuildCache) -> bytes:
        page = entity_page.meetings_page(self._page_context(cache), self.base + "meetings")
        return entity_page.render_page(page, self.site_context(cache))

    def _render_dumps(self, cache: BuildCache) -> bytes:
        return html.render("dumps.html", self.site_context(cache), dumps=self._dumps(cache),
                           summary=self._summary(cache))

    # -- prewarm --------------------------------------------------------------------
    def _start_prewarm(self, cache: BuildCache) -> None:
        if not self.prewarm or cache.build_id in self._prewarmed:
            return
        self._prewarmed.add(cache.build_id)
        thread = threading.Thread(target=self._prewarm, args=(cache,), daemon=True,
                                  name=f"linked-data-prewarm-{cache.build_id[:8]}")
        thread.start()

    def _prewarm(self, cache: BuildCache) -> None:
        """Render the documents of the build in the background, so requests find
        prepared bytes. A failure here only means a render on request.

        HTML and Turtle of every document come first (what browsers and most RDF
        clients ask for), then the other formats; preparation stops when the cache's
        byte budget is mostly used, so a large build is not rendered into more memory
        than the process may keep (the rest is rendered when asked for)."""
        started = time.perf_counter()
        try:
            names = list(self._entity_paths(cache))
            graphs = [g for g, _ in self._summary(cache).graphs]
            names += [g[len(self.base) + 3:] for g in graphs if g.startswith(self.base + "id/")]
            targets = ["", "ontology", "shapes", "void", "dumps/"] + [f"id/{n}" for n in names]
            documents = []
            for rest in targets:
                if self._cache is not cache:
                    return  # a newer build took over
                route = self.route(cache, rest)
                if isinstance(route, Redirect):
                    route = self.route(cache, route.location[len(self.base_path):])
                if isinstance(route, Document):
                    documents.append(route)
            first = (HTML, formats.TURTLE)
            passes = [list(first), [f for f in DOCUMENT_FORMATS if f not in first]]
            complete = True
            for wanted in passes:
                for route in documents:
                    if self._cache is not cache:
                        return
                    if not cache.has_room_to_prewarm():
                        complete = False
                        break
                    for fmt in route.offered:
                        if fmt in wanted or (wanted is passes[0] and len(route.offered) == 1):
                            self.representation(cache, route, fmt)
            logger.info("linked data: %d variants (%.0f MB) of build %s prepared in %.1f s%s",
                        len(cache.representations), cache.prepared_bytes / 2**20,
                        cache.build_id[:12], time.perf_counter() - started,
                        "" if complete else "; stopped at the memory budget, the rest is "
                        "rendered on request")
        except Exception:  # noqa: BLE001 - prewarming is an optimisation, never fatal
            logger.exception("prewarming the linked-data cache failed")
