"""A document in a format, as bytes: rendered once per build, then kept.

RDF formats are written by the format registry (:func:`publisher.formats.serialize`);
HTML pages by :mod:`.html` in the site's one layout, with the same graph embedded as
JSON-LD. Everything per build (labels, the dataset summary, the dumps, VoID) is computed
once from the request's :class:`~publisher.snapshot.Snapshot`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pyoxigraph as ox

from .. import formats, pages
from ..formats import HTML, Format
from ..prepared import Representation, variant_tag
from ..snapshot import Snapshot
from . import dataset, html
from .describe import LABEL_PREDICATES, describe
from .urls import VOCABULARY_FORMATS, VOID_FORMATS, Document
from .views import Labeler, labels_of

RDFS_COMMENT = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#comment")


def representation(snapshot: Snapshot, document: Document, fmt: Format) -> Representation:
    """The prepared variant, rendering it now if this build has not yet."""
    prepared = snapshot.prepared
    key = (document.key, fmt.name)
    found = prepared.representations.get(key)
    if found is None:
        body = render(snapshot, document, fmt)
        tag = variant_tag(prepared.seed, document.key, fmt.name)
        found = Representation.prepare(body, fmt.content_type, tag, document.compressible)
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


def dumps(snapshot: Snapshot) -> list[dataset.Dump]:
    """The files the build wrote (the bytes a reverse proxy serves from the artifact),
    else made from the store, through the store interface."""
    return snapshot.once("dumps", lambda: dataset.read_dumps(
        snapshot.build.path / dataset.DUMPS_FOLDER) or dataset.make_dumps(
        snapshot.store, snapshot.settings.base))


def void(snapshot: Snapshot) -> list[ox.Quad]:
    return snapshot.once("void", lambda: dataset.void_quads(
        summary(snapshot), dumps(snapshot), snapshot.settings,
        snapshot.build.built_at.isoformat(), snapshot.build_id))


def site(snapshot: Snapshot) -> pages.SiteContext:
    return snapshot.once("site", lambda: pages.site_context(snapshot.settings, snapshot))


# -- renderers ------------------------------------------------------------------------------

def _rdf_or_html(snapshot: Snapshot, quads: Sequence[ox.Quad], fmt: Format, subject: str,
                 page: Callable[[bytes], bytes]) -> bytes:
    base = snapshot.settings.base
    if fmt is HTML:
        return page(formats.serialize(quads, formats.JSON_LD, base=base,
                                      subject_first=subject))
    return formats.serialize(quads, fmt, base=base, subject_first=subject)


def _entity(snapshot: Snapshot, name: str, fmt: Format) -> bytes:
    settings = snapshot.settings
    iri = settings.id_base + name
    quads = snapshot.prepared.description(name, lambda: describe(snapshot.store, iri,
                                                                  settings.id_base))
    doc_iri = settings.doc_base + name
    return _rdf_or_html(snapshot, quads, fmt, iri, lambda jsonld: html.entity_page(
        quads, iri, labeler(snapshot), site(snapshot), doc_iri, jsonld))


def _vocabulary(snapshot: Snapshot, stem: str, quads: list[ox.Quad], fmt: Format) -> bytes:
    iri = snapshot.settings.base + stem
    return _rdf_or_html(snapshot, quads, fmt, iri, lambda jsonld: html.vocabulary_page(
        quads, iri, labeler(snapshot), site(snapshot), jsonld, VOCABULARY_FORMATS))


def _void(snapshot: Snapshot, fmt: Format) -> bytes:
    base = snapshot.settings.base
    quads = void(snapshot)
    dataset_iri = dataset.dataset_iri(base)
    return _rdf_or_html(snapshot, quads, fmt, dataset_iri, lambda jsonld: html.entity_page(
        quads, dataset_iri, labeler(snapshot), site(snapshot), base + "void", jsonld,
        secondary=True, offered=VOID_FORMATS))


def _home(snapshot: Snapshot) -> bytes:
    base = snapshot.settings.base
    jsonld = formats.serialize(void(snapshot), formats.JSON_LD, base=base,
                               subject_first=dataset.dataset_iri(base))
    return pages.render(
        "home.html", site(snapshot), summary=summary(snapshot), label=labeler(snapshot).label,
        title=dataset.TITLE, description=dataset.DESCRIPTION, dumps=dumps(snapshot),
        queries=dataset.example_queries(base), jsonld=jsonld,
        alternates=html.alternates(base + "void", VOID_FORMATS[1:], None))


def _dumps_page(snapshot: Snapshot) -> bytes:
    return pages.render("dumps.html", site(snapshot), dumps=dumps(snapshot),
                        summary=summary(snapshot))
