"""The SPARQL Protocol client: answers parsed the same from every engine, and no
incomplete answer ever passed on as complete."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from publisher.remote.client import (
    QueryRejected,
    SparqlClient,
    StoreError,
    StoreTimeout,
    StoreUnavailable,
    UpdateRefused,
)
from publisher.remote.dialects import OXIGRAPH, VIRTUOSO, VirtuosoBlankNodes, detect

from .conftest import counts, dataset
from .helpers import Remote, remote_for

BASE = "http://client.test/"


@pytest.fixture(scope="module", params=["oxigraph", "virtuoso"])
def remote(request: pytest.FixtureRequest) -> Remote:
    engine = request.getfixturevalue(f"{request.param}_engine")
    remote = remote_for(engine, BASE)
    quads = dataset(BASE, 1)
    remote.loader.load(quads, "client-v1", counts(quads))
    return remote


def test_dialect_is_detected_from_the_server_header(remote: Remote) -> None:
    server = remote.client.probe()
    assert detect(server) is (OXIGRAPH if remote.engine.name == "oxigraph" else VIRTUOSO)


def test_select_answers_are_the_same_terms_as_the_embedded_store(remote: Remote) -> None:
    quads = dataset(BASE, 1)
    embedded = ox.Store()
    embedded.extend(quads)
    query = (f"SELECT ?s ?p ?o WHERE {{ GRAPH <{BASE}id/graph/g1> {{ ?s ?p ?o "
             f"FILTER(!isBlank(?s) && !isBlank(?o)) }} }} ORDER BY ?s ?p ?o")
    expected = [tuple(row) for row in embedded.query(query)]
    rows = remote.client.select(query)
    assert [(r["s"], r["p"], r["o"]) for r in rows] == expected
    # Virtuoso's SPARQL JSON says "typed-literal": still the same typed terms.
    kinds = {type(r["o"]) for r in rows}
    assert ox.Literal in kinds
    datatypes = {r["o"].datatype.value for r in rows if isinstance(r["o"], ox.Literal)}
    assert {"http://www.w3.org/2001/XMLSchema#date",
            "http://www.w3.org/2001/XMLSchema#dateTime",
            "http://www.w3.org/2001/XMLSchema#integer"} <= datatypes


def test_union_dataset_holds_exactly_the_build(remote: Remote) -> None:
    quads = dataset(BASE, 1)
    graphs = sorted(g for g in counts(quads) if g)
    rows = remote.select_union("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", graphs)
    assert int(rows[0]["n"].value) == len(quads)
    named = remote.select_union("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }", graphs)
    assert sorted(r["g"].value for r in named) == graphs


def test_blank_nodes_parse_from_every_engine(remote: Remote) -> None:
    rows = remote.client.select(f"SELECT ?b WHERE {{ ?s <{BASE}p/part> ?b }} LIMIT 3")
    assert rows and all(isinstance(r["b"], ox.BlankNode) for r in rows)


def test_construct_streams_triples(remote: Remote) -> None:
    query = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{BASE}id/graph/g2> {{ ?s ?p ?o }} }}"
    with remote.client.query(query, returns_graph=True) as answer:
        triples = list(answer)
    assert answer.kind == "graph"
    assert len(triples) == counts(dataset(BASE, 1))[BASE + "id/graph/g2"]
    assert all(isinstance(t, ox.Triple) for t in triples)


def test_ask(remote: Remote) -> None:
    assert remote.client.ask(f"ASK {{ GRAPH ?g {{ <{BASE}id/thing/t0-0> ?p ?o }} }}") is True
    assert remote.client.ask("ASK { <urn:nothing> ?p ?o }") is False


def test_many_dataset_parameters_go_as_a_form_post(remote: Remote) -> None:
    """300 graph IRIs (~10 kB, past common URL limits) go in a form POST, which Virtuoso
    answers (it never answers a direct POST)."""
    graphs = [f"{BASE}id/graph/unused-{i}" for i in range(300)] + [BASE + "id/graph/g0"]
    rows = remote.client.select("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
                                default_graphs=graphs, named_graphs=graphs)
    assert int(rows[0]["n"].value) == counts(dataset(BASE, 1))[BASE + "id/graph/g0"]


def test_syntax_error_is_the_clients_fault(remote: Remote) -> None:
    with pytest.raises(QueryRejected) as caught:
        remote.client.select("SELEC nothing")
    assert caught.value.status == 400


def test_anonymous_update_is_refused(virtuoso_engine) -> None:  # noqa: ANN001
    """Virtuoso answers an anonymous update with 500 "SR186": the client says 403."""
    anonymous = SparqlClient(virtuoso_engine.query_url, update_url=virtuoso_engine.query_url)
    with pytest.raises(UpdateRefused) as caught:
        anonymous.update("INSERT DATA { GRAPH <urn:x:g> { <urn:x:a> <urn:x:b> <urn:x:c> } }")
    assert caught.value.status == 403
    assert not anonymous.ask("ASK { GRAPH <urn:x:g> { ?s ?p ?o } }")


def test_read_only_oxigraph_refuses_updates(tmp_path) -> None:  # noqa: ANN001
    from bench.engines import OxigraphEngine

    engine = OxigraphEngine(tmp_path / "ro", read_only=True)
    nquads = tmp_path / "data.nq"
    nquads.write_bytes(ox.serialize(dataset(BASE, 1), format=ox.RdfFormat.N_QUADS))
    engine.load(nquads)
    with engine:
        client = SparqlClient(engine.query_url, update_url=engine.base_url + "/update")
        with pytest.raises(UpdateRefused) as caught:
            client.update("INSERT DATA { <urn:x:a> <urn:x:b> <urn:x:c> }")
    assert caught.value.status == 403


def test_virtuoso_refuses_remote_fetches_to_anonymous(virtuoso_engine, fake_store) -> None:  # noqa: ANN001
    """SERVICE and the sponger (FROM <url> with get:soft) never fetch for anonymous users."""
    client = SparqlClient(virtuoso_engine.query_url)
    for query in (f"SELECT * WHERE {{ SERVICE <{fake_store}/ok> {{ ?s ?p ?o }} }}",
                  f'define get:soft "replace" SELECT * FROM <{fake_store}/ok> '
                  f"WHERE {{ ?s ?p ?o }}"):
        with pytest.raises(StoreError) as caught:
            client.select(query)
        assert "SECURITY" in caught.value.message


# --- failures, from the fake store --------------------------------------------------------

def test_oxigraph_cancellation_text_is_a_timeout_not_an_answer(fake_store: str) -> None:
    client = SparqlClient(fake_store + "/cancelled")
    with pytest.raises(StoreTimeout) as caught:
        client.select("SELECT * WHERE { ?s ?p ?o }")
    assert caught.value.status == 503 and caught.value.by_engine
    assert "timed out" in caught.value.message


def test_connection_lost_mid_answer_is_unavailable(fake_store: str) -> None:
    client = SparqlClient(fake_store + "/reset")
    with pytest.raises(StoreUnavailable) as caught:
        client.select("SELECT * WHERE { ?s ?p ?o }")
    assert caught.value.headers["Retry-After"]


def test_trickling_answer_is_bounded_by_the_deadline(fake_store: str) -> None:
    client = SparqlClient(fake_store + "/trickle", timeout_s=0.5)
    with pytest.raises(StoreTimeout):
        client.select("SELECT * WHERE { ?s ?p ?o }")


def test_silent_store_is_bounded_by_the_deadline(fake_store: str) -> None:
    client = SparqlClient(fake_store + "/silent", timeout_s=0.5)
    with pytest.raises(StoreTimeout):
        client.select("SELECT * WHERE { ?s ?p ?o }")


def test_virtuoso_timeout_500_is_a_timeout(fake_store: str) -> None:
    with pytest.raises(StoreTimeout):
        SparqlClient(fake_store + "/virtuoso-timeout").select("SELECT * { ?s ?p ?o }")


def test_virtuoso_no_permission_500_is_a_refused_update(fake_store: str) -> None:
    client = SparqlClient(fake_store, update_url=fake_store + "/no-permission")
    with pytest.raises(UpdateRefused) as caught:
        client.update("INSERT DATA { <urn:a> <urn:b> <urn:c> }")
    assert caught.value.status == 403


def test_busy_store_is_unavailable(fake_store: str) -> None:
    with pytest.raises(StoreUnavailable):
        SparqlClient(fake_store + "/busy").select("SELECT * { ?s ?p ?o }")


def test_nothing_listening_is_unavailable() -> None:
    from bench.harness import free_port

    with pytest.raises(StoreUnavailable) as caught:
        SparqlClient(f"http://127.0.0.1:{free_port()}/query").probe()
    assert "unreachable" in caught.value.message


def test_complete_answer_passes(fake_store: str) -> None:
    rows = SparqlClient(fake_store + "/ok").select("SELECT * { ?s ?p ?o }")
    assert rows == [{"s": ox.NamedNode("http://a/1")}]


@pytest.mark.parametrize("cut", [1, 7, 20, 33, 50, 64])
def test_virtuoso_blank_node_rewriting_survives_any_chunk_boundary(cut: int) -> None:
    body = (b'{"results":{"bindings":[{"b":{ "type": "bnode", "value": "nodeID://b10018" }},'
            b'{"l":{"type":"literal","value":"\\"type\\": \\"bnode\\", \\"value\\": '
            b'\\"nodeID://kept"}}]}}')
    rewriter = VirtuosoBlankNodes()
    out = rewriter.feed(body[:cut]) + rewriter.feed(body[cut:]) + rewriter.flush()
    assert b'"value": "b10018"' in out
    assert b"nodeID://kept" in out  # inside a literal: untouched


# --- the real Oxigraph server on its own timeout, and killed mid-answer -------------------

@pytest.fixture
def short_timeout_oxigraph(tmp_path, oxigraph_engine):  # noqa: ANN001
    from bench.engines import OxigraphEngine

    engine = OxigraphEngine(tmp_path / "short", timeout_s=1)
    nquads = tmp_path / "data.nq"
    nquads.write_bytes(ox.serialize(dataset(BASE, 1, graphs=20, per_graph=20),
                                    format=ox.RdfFormat.N_QUADS))
    engine.load(nquads)
    with engine:
        yield engine


CARTESIAN = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
#: Oxigraph sends the head of its answer, then evaluates; on its timeout it cuts there.
COUNT_ALL = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


def test_real_oxigraph_timeout_is_never_a_complete_answer(short_timeout_oxigraph) -> None:  # noqa: ANN001
    client = SparqlClient(short_timeout_oxigraph.query_url, timeout_s=30)
    with pytest.raises(StoreTimeout) as caught:
        client.select(COUNT_ALL)
    assert caught.value.by_engine  # its cancellation text was seen, not our deadline
    assert caught.value.status == 503


def test_store_killed_mid_answer_is_unavailable(short_timeout_oxigraph) -> None:  # noqa: ANN001
    client = SparqlClient(short_timeout_oxigraph.query_url, timeout_s=30)
    with pytest.raises(StoreUnavailable):
        with client.query(CARTESIAN, returns_graph=False) as answer:
            for index, _ in enumerate(answer):
                if index == 10:
                    short_timeout_oxigraph.kill()
