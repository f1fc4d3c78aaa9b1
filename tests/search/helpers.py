"""Small hand-made datasets for search and reconciliation tests, as pyoxigraph stores.

The index is built from quads, so these tests control exactly which labels, types and
links each entity has (a ranking test must be able to make the word match the most
linked entity, to show that tiers come first).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from publisher.search import SearchIndex, build_search_index

BASE = "http://example.org/"
VOCAB = BASE + "ontology#"
ONTOLOGY = BASE + "ontology"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
OWL = "http://www.w3.org/2002/07/owl#"
DCTERMS = "http://purl.org/dc/terms/"
GRAPH = ox.NamedNode(BASE + "id/graph/test")


@dataclass
class E:
    """One entity: ``id`` relative to ``{BASE}id/``, its types (short ids), names."""

    id: str
    label: str
    types: tuple[str, ...] = ("Country",)
    alt: tuple[str, ...] = ()
    acronym: str | None = None
    links: int = 0
    values: dict[str, list[str]] = field(default_factory=dict)  # dip:prop -> values

    @property
    def iri(self) -> str:
        return BASE + "id/" + self.id


def node(value: str) -> ox.NamedNode:
    if value.startswith("http"):
        return ox.NamedNode(value)
    if ":" in value:
        prefix, local = value.split(":", 1)
        namespaces = {"foaf": "http://xmlns.com/foaf/0.1/", "org": "http://www.w3.org/ns/org#",
                      "skos": SKOS, "owl": OWL, "rdfs": RDFS, "dcterms": DCTERMS}
        return ox.NamedNode(namespaces[prefix] + local)
    return ox.NamedNode(VOCAB + value)


def ontology_quads() -> list[ox.Quad]:
    graph = ox.NamedNode(ONTOLOGY)
    sub = ox.NamedNode(RDFS + "subClassOf")
    label = ox.NamedNode(RDFS + "label")
    quads = []
    for child, parent in [("BilateralMeeting", "Meeting"), ("Meeting", "DiplomaticEvent"),
                          ("City", "Place"), ("Country", "Organization")]:
        quads.append(ox.Quad(node(child), sub, node(parent), graph))
    for term, name in [("BilateralMeeting", "bilateral meeting"), ("Meeting", "meeting"),
                       ("DiplomaticEvent", "diplomatic event"), ("City", "city"),
                       ("Place", "place"), ("Country", "country"),
                       ("Organization", "organisation"), ("nationality", "nationality"),
                       ("date", "date"), ("place", "place of the event"),
                       ("iso3166Alpha2", "ISO 3166-1 alpha-2 code")]:
        quads.append(ox.Quad(node(term), label, ox.Literal(name, language="en"), graph))
    quads.append(ox.Quad(node("acronym"), ox.NamedNode(RDFS + "subPropertyOf"),
                         ox.NamedNode(SKOS + "altLabel"), graph))
    quads.append(ox.Quad(node("iso3166Alpha2"), ox.NamedNode(RDFS + "subPropertyOf"),
                         ox.NamedNode(SKOS + "notation"), graph))
    return quads


def dataset(entities: list[E]) -> ox.Store:
    store = ox.Store()
    quads = ontology_quads()
    for number, entity in enumerate(entities):
        subject = ox.NamedNode(entity.iri)
        quads.append(ox.Quad(subject, ox.NamedNode(RDFS + "label"),
                             ox.Literal(entity.label, language="en"), GRAPH))
        for type_id in entity.types:
            quads.append(ox.Quad(subject, RDF_TYPE, node(type_id), GRAPH))
        for alt in entity.alt:
            quads.append(ox.Quad(subject, ox.NamedNode(SKOS + "altLabel"),
                                 ox.Literal(alt, language="en"), GRAPH))
        if entity.acronym:
            quads.append(ox.Quad(subject, node("acronym"), ox.Literal(entity.acronym), GRAPH))
        for prop, values in entity.values.items():
            for value in values:
                if value.startswith("id/"):
                    obj: ox.NamedNode | ox.Literal = ox.NamedNode(BASE + value)
                elif value.startswith("http"):
                    obj = ox.NamedNode(value)
                elif len(value) == 10 and value[4] == "-":
                    obj = ox.Literal(value, datatype=ox.NamedNode(
                        "http://www.w3.org/2001/XMLSchema#date"))
                else:
                    obj = ox.Literal(value)
                quads.append(ox.Quad(subject, node(prop), obj, GRAPH))
        # Statements linking to the entity from unlabelled records (not entities).
        for link in range(entity.links):
            quads.append(ox.Quad(ox.NamedNode(f"{BASE}id/record/{number}-{link}"),
                                 node("mentions"), subject, GRAPH))
    store.bulk_extend(quads)
    return store


def make_index(folder: Path, entities: list[E], build_id: str = "test-build",
               store: ox.Store | None = None) -> SearchIndex:
    path = folder / "search.sqlite"
    build_search_index(store or dataset(entities), path, build_id, BASE, ONTOLOGY)
    return SearchIndex(path, build_id)


def make_service(folder: Path, entities: list[E], **limits: int):
    """A reconciliation service over a hand-made dataset: its index and its store."""
    from publisher.reconcile import Limits, ReconciliationService, StoreValues

    store = dataset(entities)
    index = make_index(folder, entities, store=store)
    values = StoreValues(lambda sparql: store.query(sparql, use_default_graph_as_union=True),
                         index)
    return ReconciliationService(index, values, Limits(**limits))
