"""The union's SHACL run is remembered by what its data is read from: a rebuild whose
changed graphs do not touch the shared nodes reuses it without assembling the union, and
any change that would change the union's data runs it again (a new disagreement is never
hidden)."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

from publisher.pipeline import per_source
from publisher.pipeline.build import prepare
from publisher.pipeline.build_cache import GraphChecks, ValidationCache
from publisher.pipeline.nquads import canonical_nquads
from publisher.pipeline.per_source import (
    SourceValidation,
    UnionRun,
    engine_check,
    shared_nodes,
    validate_sources,
)
from publisher.pipeline.shacl import run_shacl_turbo, to_rdflib_graph

from .conftest import BASE

DATE = ox.NamedNode(BASE + "ontology#date")
XSD_DATE = ox.NamedNode("http://www.w3.org/2001/XMLSchema#date")


@pytest.fixture()
def prepared(built):
    settings, _result = built
    return prepare(settings)  # a dataset of its own: these tests change it


def _engine(data, shapes, focus):
    return run_shacl_turbo(data, shapes, focus)


def _validate(prepared, cache: Path | None, keys: dict) -> SourceValidation:
    shapes = to_rdflib_graph(prepared.shapes)
    ontology = ox.NamedNode(BASE + "ontology")
    if cache is None:  # from nothing: the reference result
        return validate_sources(prepared.dataset, BASE, ontology, shapes, _engine)
    runs = ValidationCache(cache / "shacl", "turbo", canonical_nquads(prepared.shapes))
    remembered = GraphChecks(cache / "graphs", runs, keys,
                             canonical_nquads(prepared.ontology))
    return validate_sources(prepared.dataset, BASE, ontology, shapes, _engine,
                            runs.wrap(engine_check(_engine, shapes)), remembered)


def _found(checked: SourceValidation) -> list[tuple]:
    return sorted((d.result.focus, d.result.path, d.result.component,
                   tuple(sorted((g.value, tuple(v)) for g, v in d.values.items())))
                  for d in checked.disagreements)


@pytest.fixture()
def reads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many times the union was assembled."""
    calls: list[int] = []
    real = per_source.union_read

    def counted(index, nodes):
        calls.append(1)
        return real(index, nodes)

    monkeypatch.setattr(per_source, "union_read", counted)
    return calls


def _run_remembered(cache: Path) -> UnionRun:
    runs = [r for r in (GraphChecks(cache / "graphs", ValidationCache(None, "", b""), {"x": 1},
                                    b"").get(p.name) for p in (cache / "graphs").glob("*/*"))
            if isinstance(r, UnionRun)]
    assert len(runs) == 1
    return runs[0]


def test_an_unrelated_change_reuses_the_union_run(prepared, tmp_path: Path,
                                                  reads: list[int]) -> None:
    keys = dict(prepared.graph_keys)
    assert keys
    first = _validate(prepared, tmp_path, keys)
    assert len(reads) == 1 and first.shared_nodes > 10
    again = _validate(prepared, tmp_path, keys)
    assert len(reads) == 1  # nothing changed: not assembled
    assert _found(again) == _found(first)
    # a graph changes, but not what it says about the nodes the union reads
    run = _run_remembered(tmp_path)
    graph, subject = next((g, s) for g in sorted(keys, key=lambda g: g.value)
                          for s in sorted({q.subject.value for q in
                                           prepared.dataset.quads_for_pattern(None, None,
                                                                              None, g)})
                          if s not in run.read and s not in run.typed)
    prepared.dataset.add(ox.Quad(ox.NamedNode(subject), ox.NamedNode(
        "http://www.w3.org/2000/01/rdf-schema#comment"), ox.Literal("changed"), graph))
    keys[graph] = "changed"
    changed = _validate(prepared, tmp_path, keys)
    assert len(reads) == 1
    assert _found(changed) == _found(_validate(prepared, None, keys))


def _dated_shared_node(prepared) -> tuple[ox.NamedNode, ox.NamedNode, set[ox.NamedNode]]:
    """A node two or more graphs describe, a graph that gives its date, and its graphs."""
    index = per_source.GraphIndex(prepared.dataset, BASE, ox.NamedNode(BASE + "ontology"))
    shared = shared_nodes(index)
    for node in sorted(shared, key=lambda n: n.value):
        if any(index.kinds[g] != "source" for g in shared[node]):
            continue  # a reference graph is every source's context: not a disagreement
        for quad in prepared.dataset.quads_for_pattern(node, DATE, None, None):
            return node, quad.graph_name, shared[node]
    raise AssertionError("no shared node with a date")


OTHER_DATE = ox.Literal("1901-01-01", datatype=XSD_DATE)


def _restate(dataset: ox.Store, node: ox.NamedNode, source: ox.NamedNode,
             target: ox.NamedNode) -> None:
    """``target`` says what ``source`` says of ``node``, with another date: a second
    source disagreeing on the date."""
    for quad in list(dataset.quads_for_pattern(node, None, None, source)):
        dataset.add(ox.Quad(node, quad.predicate,
                            OTHER_DATE if quad.predicate == DATE else quad.object, target))


@pytest.mark.parametrize("where", ["a graph that describes it", "a graph that did not"])
def test_a_change_to_what_the_union_reads_runs_it_again(prepared, tmp_path: Path,
                                                        reads: list[int], where: str) -> None:
    keys = dict(prepared.graph_keys)
    first = _validate(prepared, tmp_path, keys)
    assert len(reads) == 1 and not first.disagreements
    node, dated, graphs = _dated_shared_node(prepared)
    if where == "a graph that describes it":  # and gives no date: now it gives one
        graph = next(g for g in sorted(graphs, key=lambda g: g.value) if g != dated)
        prepared.dataset.add(ox.Quad(node, DATE, OTHER_DATE, graph))
    else:  # it contributed nothing: it is not in the run's record of contributions
        run = _run_remembered(tmp_path)
        kinds = per_source.GraphIndex(prepared.dataset, BASE,
                                      ox.NamedNode(BASE + "ontology")).kinds
        graph = next(g for g in sorted(keys, key=lambda g: g.value)
                     if g not in graphs and g.value not in run.contributions
                     and kinds.get(g) == "source")
        _restate(prepared.dataset, node, dated, graph)
    keys[graph] = "changed"
    changed = _validate(prepared, tmp_path, keys)
    assert len(reads) == 2  # assembled again
    expected = _found(_validate(prepared, None, keys))
    assert _found(changed) == expected
    assert any(focus == node.value and path == DATE.value for focus, path, *_ in expected)


def test_a_graph_that_contributed_and_is_gone_runs_it_again(prepared, tmp_path: Path,
                                                            reads: list[int]) -> None:
    keys = dict(prepared.graph_keys)
    _validate(prepared, tmp_path, keys)
    run = _run_remembered(tmp_path)
    graph = next(g for g in sorted(keys, key=lambda g: g.value)
                 if g.value in run.contributions)
    prepared.dataset.remove_graph(graph)
    for quad in list(prepared.dataset.quads_for_pattern(graph, None, None, ox.DefaultGraph())):
        prepared.dataset.remove(quad)
    del keys[graph]
    changed = _validate(prepared, tmp_path, keys)
    assert len(reads) == 2
    assert _found(changed) == _found(_validate(prepared, None, keys))
