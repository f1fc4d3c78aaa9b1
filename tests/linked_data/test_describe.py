"""What a description contains: CBD, labels, incoming links and provenance."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from publisher.linked_data.describe import describe
from publisher.settings import Settings
from publisher.snapshot import open_live

RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
PROV_DERIVED = "http://www.w3.org/ns/prov#wasDerivedFrom"


@pytest.fixture(scope="module")
def lavrov(settings: Settings) -> list[ox.Quad]:
    return describe(open_live(settings).store, settings.base + "id/person/sergey-lavrov")


def test_concise_bounded_description(lavrov: list[ox.Quad], base: str) -> None:
    me = ox.NamedNode(base + "id/person/sergey-lavrov")
    predicates = {q.predicate.value for q in lavrov if q.subject == me}
    assert RDFS_LABEL in predicates
    assert base + "ontology#nationality" in predicates


def test_incoming_links_name_the_meetings(lavrov: list[ox.Quad], base: str) -> None:
    me = ox.NamedNode(base + "id/person/sergey-lavrov")
    meetings = {q.subject.value for q in lavrov
                if q.object == me and q.predicate.value == base + "ontology#participant"}
    assert base + "id/event/2025-07-10-lavrov-rubio-kuala-lumpur" in meetings
    assert len(meetings) >= 10


def test_capacity_kept_through_the_participation_node(lavrov: list[ox.Quad], base: str) -> None:
    capacities = {q.object.value for q in lavrov
                  if q.predicate.value == base + "ontology#capacity"}
    assert base + "id/post/foreign-minister-rus" in capacities


def test_everything_pointed_to_is_labelled(lavrov: list[ox.Quad], base: str) -> None:
    labelled = {q.subject.value for q in lavrov if q.predicate.value == RDFS_LABEL}
    assert base + "id/country/RUS" in labelled
    assert base + "id/event/2025-07-10-lavrov-rubio-kuala-lumpur" in labelled
    assert base + "id/post/foreign-minister-rus" in labelled


def test_each_source_graph_is_described_with_its_article(lavrov: list[ox.Quad],
                                                         base: str) -> None:
    graphs = {q.graph_name.value for q in lavrov if isinstance(q.graph_name, ox.NamedNode)}
    assert base + "id/graph/001-bernama-lavrov-rubio-meeting-being-finalised" in graphs
    described = {q.subject.value for q in lavrov
                 if isinstance(q.graph_name, ox.DefaultGraph) and q.predicate.value == PROV_DERIVED}
    source_graphs = {g for g in graphs if "/id/graph/" in g and not g.endswith("/reference")}
    assert source_graphs <= described
    headline = "http://schema.org/headline"
    assert any(q.predicate.value == headline for q in lavrov)


def test_unknown_iri_has_no_description(settings: Settings) -> None:
    snapshot = open_live(settings).store
    assert describe(snapshot, settings.base + "id/person/nobody") == []


def test_every_document_describes_what_its_typed_resources_refer_to(
        settings: Settings) -> None:
    """The closure invariant, checked by a full pass over every document of the build:
    each resource under id/ that a typed resource (or a part of one) refers to has all
    its outgoing statements *of the document's graphs* in the document (the graphs it
    holds, and the graphs that are no source's: the reference data), and everything
    referenced is labelled with every label those graphs give. The description is
    computed incrementally (each pass reads only new quads); this full pass is the plain
    statement of what it must reach."""
    from publisher.linked_data.describe import RDF_TYPE, WAS_DERIVED_FROM, _is_part, _referenced

    store = open_live(settings).store
    id_base = settings.id_base
    names = sorted({q.subject.value for q in store.quads(None, RDF_TYPE, None, None)
                    if isinstance(q.subject, ox.NamedNode) and q.subject.value.startswith(
                        id_base) and "#" not in q.subject.value})
    assert len(names) > 300
    sources = {q.subject for q in store.quads(None, WAS_DERIVED_FROM, None, ox.DefaultGraph())}
    for iri in names:
        quads = describe(store, iri, id_base)
        held = set(quads)
        graphs = {q.graph_name for q in quads} | {ox.NamedNode(iri)}

        def in_scope(quad: ox.Quad, graphs: set = graphs) -> bool:
            return (quad.graph_name in graphs or quad.graph_name not in sources)

        terms = [(q.subject, q.predicate, q.object) for q in quads]
        typed = {s for s, p, _ in terms if p == RDF_TYPE}
        described = typed | {o for s, _, o in terms if s in typed and _is_part(o, s)}
        referred = {o for s, _, o in terms if s in described
                    and isinstance(o, ox.NamedNode) and o.value.startswith(id_base)
                    and o not in typed and not _is_part(o, s)}
        for resource in referred:
            missing = [q for q in store.quads(resource, None, None, None)
                       if in_scope(q) and q not in held]
            assert not missing, (iri, resource.value, missing[:3])
        node = ox.NamedNode(iri)
        for resource in _referenced(terms, node):
            labels = [q for q in store.quads(resource, ox.NamedNode(RDFS_LABEL), None, None)]
            assert all(q in held for q in labels if in_scope(q)), (iri, resource.value)
            assert not labels or any(q in held for q in labels), (iri, resource.value)


def test_an_article_document_carries_its_own_sources_not_theirs(settings: Settings) -> None:
    """An article's document says what the article states, in the article's graph: the
    other sources of the facts it states are in those facts' own documents, not here (a
    source graph in the document mentions the article, or only labels what no graph of
    the document labels). Non-vacuous: some fact it describes has another source."""
    from publisher.linked_data.describe import LABEL_PREDICATES, RDF_TYPE

    store = open_live(settings).store
    source_of = ox.NamedNode("http://purl.org/dc/terms/source")
    sources = {q.subject for q in store.quads(None, ox.NamedNode(PROV_DERIVED), None,
                                              ox.DefaultGraph())}
    articles = sorted({q.object.value for q in store.quads(
        None, ox.NamedNode(PROV_DERIVED), None, ox.DefaultGraph())})
    assert len(articles) >= 5
    labels = set(LABEL_PREDICATES)
    shared_facts = 0
    for iri in articles:
        article = ox.NamedNode(iri)
        quads = describe(store, iri, settings.id_base)
        mentioning = {q.graph_name for q in store.quads(article, None, None, None)} | {
            q.graph_name for q in store.quads(None, None, article, None)}
        for graph in {q.graph_name for q in quads} & sources - mentioning:
            assert all(q.predicate in labels for q in quads if q.graph_name == graph), (
                iri, graph.value)
        typed = {q.subject for q in quads if q.predicate == RDF_TYPE}
        for fact in typed:
            everywhere = {q.object for q in store.quads(fact, source_of, None, None)}
            here = {q.object for q in quads if q.subject == fact and q.predicate == source_of}
            if len(everywhere) > len(here) >= 1:
                shared_facts += 1
    assert shared_facts > 0
