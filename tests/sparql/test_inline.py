"""Queries proved cheap run in the web process: same answers, and only those are proved.

The in-process path (:mod:`publisher.sparql.inline`) must give byte for byte what a
worker gives (status, type, body) and must never take a query whose work it cannot
bound: anything with a path, a filter, a sub-query, an aggregate or an ordering, and any
pattern that matches more quads than the budget, stays with the workers.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from publisher.app import create_app
from publisher.settings import Settings
from publisher.sparql import inline
from publisher.store.embedded import EmbeddedStore

from .conftest import BASE, BIG, EX, make_build

P = ("PREFIX dip: <http://localhost:8000/ontology#> "
     "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> "
     "PREFIX foaf: <http://xmlns.com/foaf/0.1/> ")
LAVROV = f"<{BASE}id/person/sergey-lavrov>"
TALKS = f"<{BASE}id/event/lavrov-wang-yi>"

CHEAP = [
    f"SELECT ?p ?o WHERE {{ {LAVROV} ?p ?o }}",
    f"{P}SELECT ?label ?type WHERE {{ {TALKS} rdfs:label ?label ; a ?type }}",
    f"{P}SELECT DISTINCT ?who WHERE {{ {TALKS} dip:participant ?who . }} LIMIT 1",
    f"{P}SELECT * {{ {TALKS} dip:participant ?who, {LAVROV} ; dip:place ?where }}",
    f"{P}ASK {{ <{BASE}id/country/RUS> a dip:Country }}",
    f"{P}ASK {{ <{BASE}id/country/RUS> a dip:City }}",
    f"{P}SELECT ?s WHERE {{ ?s dip:participant {LAVROV} }} OFFSET 0 LIMIT 10",
    f"{P}SELECT * WHERE {{ {LAVROV} rdfs:label \"Sergey Lavrov\"@en }}",
    f"SELECT ?o WHERE {{ <{EX}b7> ?p ?o }}",  # a 2 KB literal
]
NOT_CHEAP = [
    "SELECT * WHERE { ?s ?p ?o }",  # nothing bound: the whole store
    f"SELECT ?n WHERE {{ ?s <{EX}num> ?n }}",  # 3,000 quads, over the budget
    f"{P}SELECT ?o WHERE {{ {TALKS} dip:participant/rdfs:label ?o }}",
    f"{P}SELECT ?o WHERE {{ {TALKS} dip:participant? ?o }}",
    f"{P}SELECT ?o WHERE {{ {TALKS} dip:participant+ ?o }}",
    f"{P}SELECT ?o WHERE {{ {TALKS} ^dip:participant ?o }}",
    f"{P}SELECT ?o WHERE {{ {TALKS} ?p ?o FILTER(isIRI(?o)) }}",
    f"{P}SELECT ?o WHERE {{ {TALKS} ?p ?o OPTIONAL {{ ?o ?q ?r }} }}",
    f"{P}SELECT ?o WHERE {{ {{ {TALKS} ?p ?o }} UNION {{ {LAVROV} ?p ?o }} }}",
    f"{P}SELECT ?o WHERE {{ GRAPH ?g {{ {TALKS} ?p ?o }} }}",
    f"{P}SELECT (COUNT(*) AS ?n) WHERE {{ {TALKS} ?p ?o }}",
    f"{P}SELECT ?o WHERE {{ {TALKS} ?p ?o }} ORDER BY ?o",
    f"{P}SELECT ?o WHERE {{ {TALKS} ?p ?o }} VALUES ?o {{ 1 }}",
    f"{P}SELECT ?o WHERE {{ SELECT ?o {{ {TALKS} ?p ?o }} }}",
    f"BASE <{BASE}> SELECT ?p ?o WHERE {{ <id/person/sergey-lavrov> ?p ?o }}",
    f"SELECT ?o FROM <{BIG}> WHERE {{ <{EX}b7> ?p ?o }}",
    f"CONSTRUCT {{ {LAVROV} ?p ?o }} WHERE {{ {LAVROV} ?p ?o }}",
    f"SELECT ?a ?b WHERE {{ <{EX}n1> ?p ?x . ?a <{EX}num> ?x }}",  # one pattern over budget
]
ERRORS = [
    f"SELECT ?o WHERE {{ {LAVROV} ?p ?o ",  # unclosed
    f"SELECT ?o WHERE {{ {LAVROV} undeclared:p ?o }}",
    f"SELECT ?o WHERE {{ {LAVROV} <http://x/a b> ?o }}",
    f"ASK {{ {LAVROV} ?p ?o }} LIMIT x",
]
ACCEPTS = ["application/sparql-results+json", "application/sparql-results+xml", "text/csv",
           "text/tab-separated-values"]


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return make_build(Path(tmp_path_factory.mktemp("inline"))).model_copy(
        update={"prewarm": False, "sparql_cache_bytes": 0})


@pytest.fixture(scope="module")
def clients(settings: Settings) -> Iterator[tuple[TestClient, TestClient]]:
    """The same build served with the in-process path on, and with every query on a
    worker (``sparql_inline_quads=0``)."""
    on = TestClient(create_app(settings))
    off = TestClient(create_app(settings.model_copy(update={"sparql_inline_quads": 0})))
    with on, off:
        yield on, off


def _ask(client: TestClient, query: str, accept: str) -> tuple[int, str, bytes]:
    response = client.get("/sparql?query=" + quote(query), headers={"Accept": accept})
    return response.status_code, response.headers["content-type"], response.content


@pytest.mark.parametrize("query", CHEAP + NOT_CHEAP[:4] + ERRORS)
def test_answers_are_the_workers_answers(clients: tuple[TestClient, TestClient],
                                         query: str) -> None:
    on, off = clients
    for accept in ACCEPTS:
        assert _ask(on, query, accept) == _ask(off, query, accept), accept


def _job(settings: Settings, query: str, fmt: str = "json") -> dict[str, object]:
    store = EmbeddedStore.open_read_only(settings.store_dir.resolve())
    return {"query": query, "store": store.location, "format": fmt, "max_rows": 100_000,
            "base_iri": settings.sparql_endpoint, "union": True, "default_graph": None,
            "named_graphs": None}, store


@pytest.mark.parametrize("query", CHEAP)
def test_cheap_queries_are_answered_in_process(settings: Settings, query: str) -> None:
    job, store = _job(settings, query)
    assert inline.answer(store, job, 1000) is not None


@pytest.mark.parametrize("query", NOT_CHEAP)
def test_everything_else_goes_to_a_worker(settings: Settings, query: str) -> None:
    job, store = _job(settings, query)
    assert inline.answer(store, job, 1000) is None


def test_the_budget_is_counted_in_the_store(settings: Settings) -> None:
    """Three participants of one meeting: within a budget of 3, not within 2; a join
    counts the product of its patterns."""
    query = f"{P}SELECT ?who WHERE {{ <{BASE}id/event/baku-talks> dip:participant ?who }}"
    job, store = _job(settings, query)
    found = inline.shape(query)
    assert found is not None
    count = sum(1 for _ in store.quads(*found.patterns[0], None))
    assert inline.bounded(store, found, count)
    assert not inline.bounded(store, found, count - 1)
    join = inline.shape(f"{P}SELECT * WHERE {{ <{BASE}id/event/baku-talks> "
                        f"dip:participant ?a . <{BASE}id/event/baku-talks> dip:participant ?b }}")
    assert join is not None
    assert inline.bounded(store, join, count * count)
    assert not inline.bounded(store, join, count * count - 1)
    assert inline.answer(store, job, count - 1) is None
    assert inline.answer(store, job, 0) is None


def test_a_named_dataset_goes_to_a_worker(settings: Settings) -> None:
    job, store = _job(settings, CHEAP[0])
    job.update({"union": False, "default_graph": [f"{BASE}id/graph/reference"],
                "named_graphs": []})
    assert inline.answer(store, job, 1000) is None
