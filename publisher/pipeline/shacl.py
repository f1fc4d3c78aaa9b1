"""SHACL validation shared by the build and the validation service.

pyshacl gets an rdflib graph, never a pyoxigraph Store: with a Store as data graph,
pyshacl 0.40 counts the whole store once per violation (see shared/research). Inference
is off on purpose: RDFS domain/range inference would type every referenced IRI and so
hide exactly the dangling references ``sh:class`` is there to catch. The ontology is mixed
in only for its ``rdfs:subClassOf`` hierarchy.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import pyoxigraph as ox
import pyshacl
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, SH
from rdflib.plugins.sparql import processor as sparql_processor
from rdflib.plugins.sparql.algebra import translateQuery
from rdflib.plugins.sparql.evaluate import evalQuery
from rdflib.plugins.sparql.parser import parseQuery
from rdflib.term import Node

from ..namespaces import compact

SEVERITY_ORDER = {"Violation": 0, "Warning": 1, "Info": 2}


def to_rdflib_term(term: ox.NamedNode | ox.BlankNode | ox.Literal):
    """Convert a pyoxigraph term without a serialize/parse round trip (it is 5x faster)."""
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        return Literal(term.value, datatype=URIRef(term.datatype.value))
    raise TypeError(f"unsupported RDF term {term!r}")


def to_rdflib_graph(quads: Iterable[ox.Quad | ox.Triple], graph: Graph | None = None) -> Graph:
    """Merge the triples of ``quads`` (graph names dropped) into an rdflib Graph."""
    graph = graph if graph is not None else Graph()
    add = graph.add
    convert = to_rdflib_term
    for quad in quads:
        add((convert(quad.subject), convert(quad.predicate), convert(quad.object)))
    return graph


@dataclass(frozen=True)
class ShaclResult:
    """One sh:ValidationResult, flattened for tables and locating."""

    focus: str
    path: str | None
    value: str | None
    message: str
    severity: str  # Violation | Warning | Info
    shape: str
    component: str
    focus_is_blank: bool = False
    shape_node: Node | None = None  # the sh:sourceShape term, to look up in the shapes


@dataclass
class ShaclReport:
    conforms: bool
    graph: Graph
    results: list[ShaclResult] = field(default_factory=list)


def _text(node) -> str | None:
    return None if node is None else str(node)


def parse_report(report_graph: Graph) -> list[ShaclResult]:
    results = []
    for result in report_graph.subjects(RDF.type, SH.ValidationResult):
        focus = report_graph.value(result, SH.focusNode)
        path = report_graph.value(result, SH.resultPath)
        severity = report_graph.value(result, SH.resultSeverity)
        messages = sorted(str(m) for m in report_graph.objects(result, SH.resultMessage))
        results.append(ShaclResult(
            focus=str(focus),
            path=None if path is None or isinstance(path, BNode) else str(path),
            value=_text(report_graph.value(result, SH.value)),
            message="; ".join(messages) or "constraint not met",
            severity=str(severity).rsplit("#", 1)[-1] if severity else "Violation",
            shape=str(report_graph.value(result, SH.sourceShape)),
            shape_node=report_graph.value(result, SH.sourceShape),
            component=str(report_graph.value(result, SH.sourceConstraintComponent))
            .rsplit("#", 1)[-1],
            focus_is_blank=isinstance(focus, BNode),
        ))
    results.sort(key=lambda r: (SEVERITY_ORDER.get(r.severity, 9), r.focus, r.path or "",
                                r.message))
    return results


@lru_cache(maxsize=512)
def _prepared_query(text: str, base: str | None, namespaces: tuple) -> Any:
    return translateQuery(parseQuery(text), base, dict(namespaces) or None)


def _query_with_prepared_text(self: Any, strOrQuery: Any,  # noqa: N803 - rdflib's name
                              initBindings: Mapping | None = None,  # noqa: N803
                              initNs: Mapping | None = None,  # noqa: N803
                              base: str | None = None, DEBUG: bool = False) -> Any:  # noqa: N803
    if isinstance(strOrQuery, str):
        namespaces = tuple(sorted((k, str(v)) for k, v in (initNs or {}).items()))
        strOrQuery = _prepared_query(strOrQuery, base, namespaces)
    return evalQuery(self.graph, strOrQuery, initBindings, base)


@contextmanager
def prepared_sparql_constraints() -> Iterator[None]:
    """Parse each SHACL-SPARQL query once, not once per focus node.

    pyshacl hands rdflib the same query text with new ``$this`` bindings for every focus
    node, and rdflib re-parses it with pyparsing each time: 80 % of the build's
    validation time on the shipped data went there. A translated query is reusable
    with other bindings (that is what rdflib's ``prepareQuery`` is for), so the parse is
    memoised for the duration of a validation run.
    """
    original = sparql_processor.SPARQLProcessor.query
    sparql_processor.SPARQLProcessor.query = _query_with_prepared_text
    try:
        yield
    finally:
        sparql_processor.SPARQLProcessor.query = original


_compiled_shapes: dict[int, tuple[Graph, Any]] = {}


def compiled_shapes(shapes: Graph) -> Any:
    """pyshacl-turbo's compiled form of ``shapes``, made once per shapes graph.

    Compiling takes about 5 ms; the build validates every source graph on its own, a few
    thousand runs at a million triples, so the compiled program is kept and reused.
    """
    import pyshacl_turbo

    cached = _compiled_shapes.get(id(shapes))
    if cached is None or cached[0] is not shapes:
        cached = (shapes, pyshacl_turbo.compile_shapes(shapes, advanced=True))
        _compiled_shapes.clear()  # one shapes graph at a time: the build's
        _compiled_shapes[id(shapes)] = cached
    return cached[1]


def run_shacl_turbo(data: ox.Store | Graph, shapes: Graph,
                    focus_nodes: list[str] | None = None) -> ShaclReport:
    """The same validation with pyshacl-turbo, a Rust engine with pyshacl's API.

    At build scale pyshacl is the bottleneck (70 s for 100k triples here, most of it
    re-evaluating nested shapes in Python); pyshacl-turbo took 1.5 s on the same data and
    reads a pyoxigraph Store directly, so the build skips the rdflib copy as well.
    ``tests/pipeline/test_shacl_engines.py`` checks that both engines give the same
    results on our shapes; ``PUBLISHER_SHACL_ENGINE=pyshacl`` builds with the reference.
    Not ``inplace``: with a Store, turbo would write its (empty) additions back, 3 s at 100k.
    ``focus_nodes`` limits the run to those nodes (and the shapes that target them).
    """
    conforms, report_graph, _text_report = compiled_shapes(shapes).validate(
        data, inference="none", allow_warnings=True, inplace=False, focus_nodes=focus_nodes)
    return ShaclReport(bool(conforms), report_graph, parse_report(report_graph))


def run_shacl(data: Graph, shapes: Graph, ontology: Graph | None = None,
              focus_nodes: list | None = None) -> ShaclReport:
    """Validate ``data`` against ``shapes`` with pyshacl; SHACL-SPARQL is enabled."""
    with prepared_sparql_constraints():
        conforms, report_graph, _text_report = pyshacl.validate(
            data,
            shacl_graph=shapes,
            ont_graph=ontology,
            inference="none",
            advanced=True,
            allow_warnings=True,
            inplace=False,
            focus_nodes=focus_nodes,
        )
    return ShaclReport(bool(conforms), report_graph, parse_report(report_graph))


def shape_owner(shapes: Graph, node: Node | None, max_steps: int = 32) -> URIRef | None:
    """The named shape a (possibly blank) shape belongs to: its documentation anchor.

    Property shapes and ``sh:or`` members are usually blank nodes; walking up through
    ``sh:property`` and RDF lists reaches the named node shape that holds them.
    """
    for _ in range(max_steps):
        if node is None or isinstance(node, URIRef):
            return node
        node = next(shapes.subjects(None, node), None)
    return None


def shape_label(shapes: Graph, node: Node | None, owner: URIRef | None, base: str) -> str:
    """``shape:DiplomaticEventShape › place``: the named shape and the property's name."""
    if node is None:
        return "(unknown shape)"
    owner_text = compact(str(owner), base) if owner is not None else "(anonymous shape)"
    if node == owner:
        return owner_text
    name = shapes.value(node, SH.name)
    if name is None:
        path = shapes.value(node, SH.path)
        name = compact(str(path), base) if isinstance(path, URIRef) else None
    return f"{owner_text} › {name}" if name else owner_text
