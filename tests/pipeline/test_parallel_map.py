"""Reading and mapping in worker processes gives what the single-process path gives."""

from __future__ import annotations

import pytest
from rdflib.compare import isomorphic

from publisher.pipeline import parallel_map
from publisher.pipeline.facts import FactFileError
from publisher.pipeline.mapping import load_context
from publisher.pipeline.shacl import to_rdflib_graph
from tests.conftest import ROOT

BASE = "http://localhost:8000/"


def _map(root, workers: int):
    return parallel_map.read_and_map(root / "data", load_context(root / "mappings"), BASE,
                                     root, workers)


def test_workers_give_the_same_files_records_and_graphs(monkeypatch) -> None:
    monkeypatch.setattr(parallel_map, "MIN_FILES_PER_WORKER", 1)  # 13 files: use the pool
    alone, pooled = _map(ROOT, 1), _map(ROOT, 2)
    assert [m.fact_file.path for m in pooled] == [m.fact_file.path for m in alone]
    for one, other in zip(alone, pooled, strict=True):
        assert other.graph == one.graph
        assert [(r.line, r.id, r.body) for r in other.fact_file.records] == \
            [(r.line, r.id, r.body) for r in one.fact_file.records]
        assert {q.graph_name for q in other.quads} == {q.graph_name for q in one.quads}
        assert isomorphic(to_rdflib_graph(other.quads), to_rdflib_graph(one.quads))


def test_an_error_in_a_worker_names_the_file(monkeypatch, project_copy) -> None:
    monkeypatch.setattr(parallel_map, "MIN_FILES_PER_WORKER", 1)
    bad = project_copy / "data" / "sources" / "zz-broken.yaml"
    bad.write_text("id: graph/x\nfacts:\n  - {id: event/a, label: [unclosed\n", encoding="utf-8")
    with pytest.raises(FactFileError, match=r"zz-broken.yaml:\d+:\d+: not valid YAML"):
        _map(project_copy, 2)


def test_blank_nodes_of_different_workers_never_collide(monkeypatch) -> None:
    """Forked workers inherit the parent's random state: had the parent made a blank node
    before (it parses the ontology first), every worker would mint the same labels, and
    two participations in two files would merge into one node with two agents."""
    import pyoxigraph as ox

    list(ox.parse(b"[] <http://example.org/p> [] .", format=ox.RdfFormat.TURTLE))
    monkeypatch.setattr(parallel_map, "MIN_FILES_PER_WORKER", 1)

    def blank_nodes(mapped) -> set[str]:
        return {term.value for m in mapped for q in m.quads
                for term in (q.subject, q.object) if isinstance(term, ox.BlankNode)}

    alone, pooled = _map(ROOT, 1), _map(ROOT, 2)
    assert len(blank_nodes(pooled)) == len(blank_nodes(alone)) > 100
