"""The shapes themselves are valid SHACL (SHACL-for-SHACL), checked as the build loads them.

pyshacl's ``meta_shacl=True`` validates the shapes graph against the W3C "shapes for
shapes" graph before validating any data, and raises if it does not conform. A shapes
typo (``sh:minCount "one"``, ``sh:path`` on a node shape) would otherwise be silently
ignored, and every fact it was meant to check would pass.
"""

from __future__ import annotations

import pyoxigraph as ox
import pyshacl
import pytest
from pyshacl.errors import ReportableRuntimeError
from rdflib import Graph

from publisher.pipeline.mapping import parse_turtle_dir
from publisher.pipeline.shacl import to_rdflib_graph

from .conftest import BASE, ROOT


def shapes_graph() -> Graph:
    return to_rdflib_graph(parse_turtle_dir(ROOT / "shapes", BASE, None))


def meta_validate(shapes: Graph) -> bool:
    conforms, _graph, _text = pyshacl.validate(Graph(), shacl_graph=shapes, meta_shacl=True,
                                               advanced=True, inference="none")
    return bool(conforms)


def test_the_shapes_conform_to_shacl_shacl():
    assert meta_validate(shapes_graph())


def test_a_broken_shape_is_caught():
    """The check can fail: a non-integer sh:minCount is refused by SHACL-SHACL."""
    broken = shapes_graph()
    broken += Graph().parse(data=f"""
        @prefix sh: <http://www.w3.org/ns/shacl#> .
        <{BASE}shapes#Broken> a sh:NodeShape ;
            sh:property [ sh:path <{BASE}ontology#date> ; sh:minCount "one" ] .
        """, format="turtle")
    with pytest.raises(ReportableRuntimeError, match="SHACL Shapes SHACL"):
        meta_validate(broken)


def test_the_shapes_parse_without_the_ontology_being_fetched():
    """``<shapes> owl:imports <ontology>`` is documentation: nothing resolves it."""
    quads = parse_turtle_dir(ROOT / "shapes", BASE, None)
    imports = [q for q in quads if q.predicate == ox.NamedNode(
        "http://www.w3.org/2002/07/owl#imports")]
    assert [q.object.value for q in imports] == [BASE + "ontology"]
