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
