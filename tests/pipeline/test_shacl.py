"""The SHACL stage's own machinery: memoised SHACL-SPARQL parsing must not change results."""

from __future__ import annotations

import pyshacl
from rdflib import Graph

from publisher.pipeline.shacl import parse_report, run_shacl
from publisher.settings import Settings
from tests.conftest import ROOT

BASE = "http://localhost:8000/"

DATA = """
@prefix time: <http://www.w3.org/2006/time#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix ex: <http://example.org/> .
ex:span1 a time:Interval ;
    time:hasBeginning [ a time:Instant ; time:inXSDDate "2024-07-25"^^xsd:date ] ;
    time:hasEnd [ a time:Instant ; time:inXSDDate "2024-07-20"^^xsd:date ] .
ex:span2 a time:Interval ;
    time:hasBeginning [ a time:Instant ; time:inXSDgYear "2020"^^xsd:gYear ] ;
    time:hasEnd [ a time:Instant ; time:inXSDgYear "2025"^^xsd:gYear ] .
ex:span3 a time:Interval ;
    time:hasBeginning [ a time:Instant ; time:inXSDgYearMonth "2019-05"^^xsd:gYearMonth ] ;
    time:hasEnd [ a time:Instant ; time:inXSDgYear "2018"^^xsd:gYear ] .
"""


def _shapes() -> Graph:
    settings = Settings(project_dir=ROOT, base=BASE)
    from publisher.pipeline.mapping import parse_turtle_dir
    from publisher.pipeline.shacl import to_rdflib_graph

    shapes = to_rdflib_graph(parse_turtle_dir(settings.shapes_dir, BASE, None))
    # The interval shape is reached through sh:node in the real shapes; target it here.
    return shapes.parse(data=f"""<{BASE}shapes#IntervalShape>
        <http://www.w3.org/ns/shacl#targetClass> <http://www.w3.org/2006/time#Interval> .""",
                        format="turtle")


def test_each_focus_node_is_checked_with_its_own_bindings() -> None:
    data = Graph().parse(data=DATA, format="turtle")
    report = run_shacl(data, _shapes())
    ended_early = sorted(r.focus for r in report.results if "ends" in r.message)
    assert ended_early == ["http://example.org/span1", "http://example.org/span3"]


def test_memoised_parsing_gives_pyshacls_own_report() -> None:
    data = Graph().parse(data=DATA, format="turtle")
    shapes = _shapes()
    _conforms, plain_graph, _text = pyshacl.validate(
        data, shacl_graph=shapes, inference="none", advanced=True, allow_warnings=True)
    plain = parse_report(plain_graph)
    memoised = run_shacl(data, shapes).results
    assert plain and memoised == plain
