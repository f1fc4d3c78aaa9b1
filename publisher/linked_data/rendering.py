"""A document in a format, as bytes: rendered once per build, then kept.

RDF formats are written by the format registry (:func:`publisher.formats.serialize`);
HTML pages by :mod:`.html` in the site's one layout, with the same graph embedded as
JSON-LD. Everything per build (labels, the dataset summary, the dumps, VoID) is computed
once from the request's :class:`~publisher.snapshot.Snapshot`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence

import pyoxigraph as ox

from .. import formats, pages
from ..formats import DOCUMENT_FORMATS, HTML, Format
from ..formats.rdf import Ordered
from ..http.compression import CODINGS, PACKED_CODINGS
from ..pages import dataset_page, vocabulary
from ..pages import entity as entity_page
from ..prepared import Representation, variant_tag
from ..snapshot import Snapshot
from . import dataset, html
from . import dumps as dump_files
from .describe import LABEL_PREDICATES, describe
from .pack import packed
from .urls import VOCABULARY_FORMATS, VOID_FORMATS, Document
from .views import Labeler, labels_of

RDFS_COMMENT = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#comment")


def representation(snapshot: Snapshot, document: Document, fmt: Format) -> Representation:
    """The prepared variant: from the build's document pack, else rendered now (and
    kept in this process's bounded cache)."""
    prepared = snapshot.prepared
    key = (document.key, fmt.name)
    found = prepared.representations.get(key)
    if found is None:
        pack = snapshot.document_pack()
        if pack is not None:
            found = pack.representation(document.key, fmt.name)
            if found is not None:
                return found
        body = render(snapshot, document, fmt)
        tag = variant_tag(prepared.seed, document.key, fmt.name)
        found = Representation.prepare(body, fmt.content_type, tag, document.compressible,
                                       PACKED_CODINGS if packed(document.key, fmt)
                                       else CODINGS)
        prepared.remember(key, found)
    return found


def render(snapshot: Snapshot, document: Document, fmt: Format) -> bytes:
    kind, _, name = document.key.partition(":")
    renderers: dict[str, Callable[[], bytes]] = {
        "entity": lambda: _entity(snapshot, name, fmt),
        "ontology": lambda: _vocabulary(snapshot, "ontology", snapshot.ontology(), fmt),
        "shapes": lambda: _vocabulary(snapshot, "shapes", snapshot.shapes(), fmt),
        "void": lambda: _void(snapshot, fmt),
        "home": lambda: _home(snapshot) if fmt is HTML else _void(snapshot, fmt),
        "dumps": lambda: _dumps_page(snapshot),
        "meetings": lambda: _meetings(snapshot),
        "figure": lambda: _figure(snapshot, name),
        "dump": lambda: next(d.body for d in dumps(snapshot) if d.name == name),
        "static": lambda: (pages.STATIC_DIR / name).read_bytes(),
    }
    return renderers[kind]()


# -- per-build values ---------------------------------------------------------------------

def labeler(snapshot: Snapshot) -> Labeler:
    """Labels of every IRI (for pages) and comments of ontology terms (tooltips)."""

    def compute() -> Labeler:
        store = snapshot.store
        label_quads = [q for p in LABEL_PREDICATES for q in store.quads(None, p, None, None)]
        comments = {q.subject.value: q.object.value for q in snapshot.ontology()
                    if q.predicate == RDFS_COMMENT and isinstance(q.subject, ox.NamedNode)}
        return Labeler(snapshot.settings.base, labels_of(label_quads), comments,
                       id_base=snapshot.settings.id_base)

    return snapshot.once("labeler", compute)


def summary(snapshot: Snapshot) -> dataset.Summary:
    settings = snapshot.settings
    return snapshot.once("summary", lambda: dataset.summarize(
        snapshot.store, snapshot.build.stats, settings))


def dumps(snapshot: Snapshot) -> list[dump_files.Dump]:
    """The files the build wrote (the bytes a reverse proxy serves from the artifact),
    else made from the store, through the store interface."""
    return snapshot.once("dumps", lambda: dump_files.read_dumps(
        snapshot.build.path / dump_files.DUMPS_FOLDER) or dump_files.make_dumps(
        snapshot.store, snapshot.settings.base))


def void(snapshot: Snapshot) -> list[ox.Quad]:
    return snapshot.once("void", lambda: dataset.void_quads(
        summary(snapshot), dumps(snapshot), snapshot.settings,
        snapshot.build.built_at.isoformat(), snapshot.build_id))


def site(snapshot: Snapshot) -> pages.SiteContext:
    return snapshot.once("site", lambda: pages.site_context(snapshot.settings, snapshot))


# -- renderers ------------------------------------------------------------------------------

def rdf_document(quads: Sequence[ox.Quad], fmt: Format, base: str, subject: str) -> bytes:
    """A description in an RDF format: what the build's document pack holds too."""
    return formats.serialize(quads, fmt, base=base, subject_first=subject)


def rdf_documents(quads: Sequence[ox.Quad], wanted: Sequence[Format], base: str,
                  subject: str, ordered: Ordered | None = None) -> dict[Format, bytes]:
    """One description in several RDF formats, the same bytes as :func:`rdf_document`
    gives each: the statements are sorted and their prefixes found once, not once per
    format (the build's document pack writes six formats of every document).
    ``ordered``: the quads already ordered (:class:`~publisher.formats.rdf.Ordered`)."""
    if not wanted:
        return {}
    ordered = ordered or Ordered(quads, subject)
    chosen = ordered.prefixes(base)
    return {fmt: ordered.serialize(fmt, chosen) for fmt in wanted}


def _rdf_or_html(snapshot: Snapshot, quads: Sequence[ox.Quad], fmt: Format, subject: str,
                 page: Callable[[bytes], bytes]) -> bytes:
    base = snapshot.settings.base
    if fmt is HTML:
        return page(rdf_document(quads, formats.JSON_LD, base, subject))
    return rdf_document(quads, fmt, base, subject)


def page_context(snapshot: Snapshot) -> entity_page.Context:
    """A fresh context for one page (it numbers the page's sources), sharing the build's
    labels, inverse labels and source index."""
    settings = snapshot.settings
    inverse = snapshot.once("inverse-labels", lambda: entity_page.inverse_labels(
        snapshot.ontology(), settings.base))
    sources = snapshot.once("source-index", lambda: entity_page.source_index(
        snapshot.store.query, settings.base))
    return entity_page.Context(snapshot.store.query, settings.base, labeler(snapshot).label,
                               inverse, sources)


def _entity(snapshot: Snapshot, name: str, fmt: Format) -> bytes:
    settings = snapshot.settings
    iri = settings.id_base + name
    quads = snapshot.prepared.description(name, lambda: describe(snapshot.store, iri,
                                                                  settings.id_base))
    doc_iri = settings.doc_base + name
    return _rdf_or_html(snapshot, quads, fmt, iri, lambda jsonld: entity_page.entity_html(
        page_context(snapshot), iri, doc_iri, site(snapshot),
        html.alternates(doc_iri, DOCUMENT_FORMATS, None), jsonld))


def _vocabulary(snapshot: Snapshot, stem: str, quads: list[ox.Quad], fmt: Format) -> bytes:
    iri = snapshot.settings.base + stem
    return _rdf_or_html(snapshot, quads, fmt, iri, lambda jsonld: entity_page.render_page(
        _vocabulary_page(snapshot, stem, quads, iri), site(snapshot),
        html.alternates(iri, VOCABULARY_FORMATS, None), jsonld))


def _vocabulary_page(snapshot: Snapshot, stem: str, quads: list[ox.Quad], iri: str):
    label = labeler(snapshot).label
    if stem == "shapes":
        return vocabulary.shapes_page(quads, iri, iri, label)
    counts = {row["c"].value: int(row["n"].value) for row in snapshot.store.query(
        "SELECT ?c (COUNT(DISTINCT ?x) AS ?n) WHERE { ?x a/<http://www.w3.org/2000/01/"
        "rdf-schema#subClassOf>* ?c } GROUP BY ?c")}
    return vocabulary.ontology_page(quads, iri, iri, label, counts,
                                    snapshot.settings.base + entity_page.INVERSE_LABEL)


def _void(snapshot: Snapshot, fmt: Format) -> bytes:
    base = snapshot.settings.base
    quads = void(snapshot)
    iri = dataset.dataset_iri(base)
    return _rdf_or_html(snapshot, quads, fmt, iri, lambda jsonld: entity_page.render_page(
        dataset_page.void_page(summary(snapshot), dumps(snapshot), base, iri, base + "void",
                               labeler(snapshot).label, dataset.TITLE, dataset.DESCRIPTION),
        site(snapshot), html.alternates(base + "void", VOID_FORMATS, None), jsonld))


def _home(snapshot: Snapshot) -> bytes:
    base = snapshot.settings.base
    jsonld = formats.serialize(void(snapshot), formats.JSON_LD, base=base,
                               subject_first=dataset.dataset_iri(base))
    return pages.render(
        "home.html", site(snapshot), summary=summary(snapshot), label=labeler(snapshot).label,
        title=dataset.TITLE, description=dataset.DESCRIPTION, dumps=dumps(snapshot),
        queries=dataset.example_queries(base), jsonld=jsonld,
        alternates=html.alternates(base + "void", VOID_FORMATS[1:], None),
        figures=_home_figures(snapshot), current_nav="Home")


def _home_figures(snapshot: Snapshot):
    return snapshot.once("home-figures", lambda: entity_page.home_figures(
        page_context(snapshot), snapshot.settings.base))


def _meetings(snapshot: Snapshot) -> bytes:
    page = entity_page.meetings_page(page_context(snapshot),
                                     snapshot.settings.base + "meetings")
    return entity_page.render_page(page, site(snapshot), current_nav="Meetings")


def figures_of(snapshot: Snapshot, owner: str) -> dict[str, dict]:
    """The data of the pictures of a page (``home``, ``meetings``, ``entity/{name}``)."""

    def compute() -> dict[str, dict]:
        base = snapshot.settings.base
        if owner == "home":
            figures = _home_figures(snapshot)
        elif owner == "meetings":
            figures = entity_page.meetings_page(page_context(snapshot),
                                                base + "meetings").figures
        else:
            thing = owner.removeprefix("entity/")
            figures = entity_page.build_page(page_context(snapshot), f"{base}id/{thing}",
                                             f"{base}doc/{thing}").figures
        return {f.id: f.data for f in figures if f.data is not None}

    return snapshot.once(f"figures:{owner}", compute)


def _figure(snapshot: Snapshot, name: str) -> bytes:
    """The data of one picture, as its page draws it."""
    owner, _, figure = name.rpartition(":")
    return json.dumps(figures_of(snapshot, owner)[figure], ensure_ascii=False,
                      sort_keys=True, indent=1).encode("utf-8")


def _dumps_page(snapshot: Snapshot) -> bytes:
    return pages.render("dumps.html", site(snapshot), dumps=dumps(snapshot),
                        summary=summary(snapshot))
