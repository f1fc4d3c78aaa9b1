"""Shapes in words: generated from the shapes graph, so they say what is checked."""

from __future__ import annotations

import rdflib

from publisher.linked_data.views import humanize, local_name
from publisher.pages.shape_words import describe_shapes

from ..conftest import ROOT

SHAPES = """
@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <http://ex/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
ex:MeetingShape a sh:NodeShape ; sh:targetClass ex:Meeting ; rdfs:label "meeting" ;
  sh:property [ sh:path ex:place ; sh:minCount 1 ; sh:maxCount 1 ; sh:class ex:Place ;
                sh:message "A meeting happens in one place." ] ;
  sh:property [ sh:path ex:participant ; sh:minCount 2 ; sh:class ex:Agent ] ;
  sh:property [ sh:path ex:status ; sh:in ( ex:Scheduled ex:Held ) ] ;
  sh:property [ sh:path [ sh:inversePath ex:about ] ; sh:maxCount 0 ] ;
  sh:property [ sh:path ex:code ; sh:datatype xsd:string ; sh:pattern "^[A-Z]{3}$" ] ;
  sh:or ( [ sh:path ex:date ; sh:minCount 1 ] [ sh:path ex:start ; sh:minCount 1 ] ) ;
  sh:sparql [ sh:message "The meeting ends before it starts." ; sh:select "SELECT $this {}" ] .
ex:Orphan a sh:NodeShape ; sh:property [ sh:path ex:x ; sh:node ex:MeetingShape ] .
"""


def words(graph: rdflib.Graph):
    labels = {str(s): str(o) for s, o in graph.subject_objects(rdflib.RDFS.label)}
    return {s.label: s for s in describe_shapes(
        graph, lambda iri: labels.get(iri) or humanize(local_name(iri)))}


def test_a_node_shape_in_words() -> None:
    meeting = words(rdflib.Graph().parse(data=SHAPES, format="turtle"))["meeting"]
    assert meeting.target == "Applies to every meeting."
    rows = {c.field: c for c in meeting.constraints if c.field}
    assert (rows["place"].count, rows["place"].values) == ("exactly one", "a place")
    assert rows["place"].message == "A meeting happens in one place."
    assert rows["participant"].text == "participant: at least 2, each an agent"
    assert rows["status"].values == "one of scheduled, held"
    assert rows["about (pointing here)"].count == "no"
    assert rows["code"].values == "text, matching ^[A-Z]{3}$"
    sentences = [c.text for c in meeting.constraints if not c.field]
    assert "at least one of: date: at least one; start: at least one" in sentences
    assert "checked by a query: The meeting ends before it starts." in sentences
    first_optional = next(i for i, c in enumerate(meeting.constraints)
                          if c.count and c.count.startswith(("any", "at most")))
    assert all(c.count.startswith(("any", "at most")) for c in
               meeting.constraints[first_optional:] if c.field)  # required ones first


def test_a_shape_used_by_another_says_so() -> None:
    orphan = words(rdflib.Graph().parse(data=SHAPES, format="turtle"))["orphan"]
    assert orphan.target == "Applies where another shape refers to it."
    assert orphan.constraints[0].values == "described as a meeting"


def test_every_shipped_shape_gets_words() -> None:
    graph = rdflib.Graph().parse(ROOT / "shapes" / "diplomacy.ttl", publicID="http://x/shapes")
    graph.parse(ROOT / "ontology" / "diplomacy.ttl", publicID="http://x/ontology")
    described = words(graph)
    assert len(described) >= 15
    for shape in described.values():
        assert shape.target.endswith(".")
        assert shape.constraints, shape.label
        assert all("(a path)" not in c.text and "(no path)" not in c.text
                   for c in shape.constraints)
