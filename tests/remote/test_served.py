"""The publisher over each store: every endpoint and page kind answered the same.

One fixture, parametrised over the embedded store, the Oxigraph server and Virtuoso (not
copies of the suites): the same inputs are built for each, the remote ones loaded by
``publisher build --store-url`` (blue/green), and the one application is asked the same
requests. The embedded store's answers are the reference: status, media type, ETag and
bytes must be the same, except where the engine renames blank nodes on loading (both do,
docs/remote-stores.md), where the RDF must be the same graph.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pyoxigraph as ox
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from publisher.app import create_app
from publisher.pipeline.build import build
from publisher.settings import Settings

from ..conftest import ROOT

BASE = "http://served.test/"
ENGINES = ("embedded", "oxigraph", "virtuoso")


@dataclass
class Served:
    engine: str
    settings: Settings
    client: TestClient


def _settings(tmp: Path, engine: str, request: pytest.FixtureRequest) -> Settings:
    settings = Settings(base=BASE, project_dir=ROOT, store_dir=tmp / engine / "store",
                        prewarm=False, access_log=False)
    if engine == "oxigraph":
        from bench.engines import OxigraphEngine

        server = OxigraphEngine(tmp / "oxigraph-data").start()
        request.addfinalizer(server.stop)
        return settings.model_copy(update={"store_url": server.query_url,
                                           "store_update_url": server.update_url})
    if engine == "virtuoso":
        virtuoso = request.getfixturevalue("virtuoso_engine")
        return settings.model_copy(update={
            "store_url": virtuoso.query_url, "store_update_url": virtuoso.update_url,
            "store_user": virtuoso.user, "store_password": SecretStr(virtuoso.password),
            "store_auth": "digest", "store_isql": virtuoso.isql_address,
            "store_load_dir": virtuoso.load_dir})
    return settings


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory,
              request: pytest.FixtureRequest) -> Iterator[Served]:
    yield from _served("embedded", tmp_path_factory, request)


@pytest.fixture(scope="module", params=ENGINES[1:])
def remote(tmp_path_factory: pytest.TempPathFactory,
           request: pytest.FixtureRequest) -> Iterator[Served]:
    yield from _served(request.param, tmp_path_factory, request)


def _served(engine: str, factory: pytest.TempPathFactory,
            request: pytest.FixtureRequest) -> Iterator[Served]:
    settings = _settings(factory.mktemp(f"served-{engine}"), engine, request)
    build(settings, progress=lambda _line: None)
    with TestClient(create_app(settings), base_url=BASE.rstrip("/"),
                    follow_redirects=False) as client:
        yield Served(engine, settings, client)


# --- what is asked ---------------------------------------------------------------------

def one_per_kind() -> list[str]:
    """``kind/slug`` of one entity of every kind in the shipped data."""
    from publisher.pipeline.build import prepare

    prepared = prepare(Settings(base=BASE, project_dir=ROOT))
    rdf_type = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
    kinds: dict[str, str] = {}
    for quad in prepared.dataset.quads_for_pattern(None, rdf_type, None, None):
        iri = quad.subject.value if isinstance(quad.subject, ox.NamedNode) else ""
        if iri.startswith(BASE + "id/") and "#" not in iri:
            name = iri[len(BASE) + 3:]
            kind = name.split("/", 1)[0]
            kinds[kind] = min(kinds.get(kind, name), name)
    return sorted(kinds.values())


ENTITIES = one_per_kind()
SELECTS = {
    "classes": "SELECT ?c (COUNT(?s) AS ?n) WHERE { ?s a ?c } GROUP BY ?c ORDER BY ?c",
    "graphs": "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g "
              "ORDER BY ?g",
    "labels": "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> SELECT ?s ?l WHERE "
              "{ ?s rdfs:label ?l } ORDER BY ?s ?l LIMIT 200",
    "dates": "SELECT ?s ?d WHERE { ?s <http://served.test/ontology#date> ?d } ORDER BY ?s ?d",
    "relative": "SELECT ?o WHERE { <id/person/sergey-lavrov> ?p ?o } ORDER BY ?o",
    "everything-counted": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
}
GRAPH_QUERIES = {
    "construct": "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o FILTER(?s = "
                 "<http://served.test/id/person/sergey-lavrov>) }",
    "describe": "DESCRIBE <http://served.test/id/country/RUS>",
}


def requests() -> list[tuple[str, str, dict[str, str]]]:
    """(id, path, headers): every endpoint and page kind."""
    asked = [("home", "/", {"Accept": "text/html"}),
             ("home-void", "/", {"Accept": "text/turtle"}),
             ("ontology", "/ontology", {"Accept": "text/turtle"}),
             ("ontology-html", "/ontology", {"Accept": "text/html"}),
             ("shapes", "/shapes.ttl", {}),
             ("term", "/ontology/Meeting", {}),
             ("void", "/void.ttl", {}),
             ("well-known-void", "/.well-known/void", {}),
             ("dumps", "/dumps/", {}),
             ("dump", "/dumps/dataset.nq.gz", {}),
             ("missing", "/id/person/nobody-at-all", {"Accept": "text/html"}),
             ("sparql-description", "/sparql", {"Accept": "text/turtle"}),
             ("sparql-page", "/sparql", {"Accept": "text/html"})]
    for name in ENTITIES:
        asked += [(f"id:{name}", f"/id/{name}", {"Accept": "text/turtle"}),
                  (f"doc:{name}:turtle", f"/doc/{name}", {"Accept": "text/turtle"}),
                  (f"doc:{name}:html", f"/doc/{name}", {"Accept": "text/html"}),
                  (f"doc:{name}.nq", f"/doc/{name}.nq", {})]
    name = "person/sergey-lavrov"
    for ext in ("jsonld", "nt", "rdf", "trig"):
        asked.append((f"doc:{name}.{ext}", f"/doc/{name}.{ext}", {}))
    for label, query in SELECTS.items():
        for accept in ("application/sparql-results+json", "application/sparql-results+xml",
                       "text/csv", "text/tab-separated-values"):
            asked.append((f"select:{label}:{accept}", "/sparql?query=" + quote(query),
                          {"Accept": accept}))
    for label, query in GRAPH_QUERIES.items():
        for accept in ("text/turtle", "application/n-triples", "application/ld+json",
                       "application/rdf+xml"):
            asked.append((f"{label}:{accept}", "/sparql?query=" + quote(query),
                          {"Accept": accept}))
    ask = "ASK { <http://served.test/id/person/sergey-lavrov> ?p ?o }"
    asked += [
        ("ask", "/sparql?query=" + quote(ask), {"Accept": "application/sparql-results+json"}),
        ("ask-false", "/sparql?query=" + quote("ASK { <urn:x:no> ?p ?o }"),
         {"Accept": "application/sparql-results+xml"}),
        ("dataset", "/sparql?query=" + quote(SELECTS["graphs"]) + "&named-graph-uri="
         + quote(BASE + "id/graph/reference") + "&default-graph-uri="
         + quote(BASE + "id/graph/reference"), {}),
        ("syntax-error", "/sparql?query=" + quote("SELEC ?x"), {}),
        # Search and reconciliation read the build's index; extend and preview read the
        # store through the store interface.
        ("search", "/search?q=lavrov", {"Accept": "application/json"}),
        ("reconcile", "/reconcile?queries=" + quote(
            '{"q0": {"query": "Lavrov", "type": "foaf:Person"}}'), {}),
        ("reconcile-extend", "/reconcile?extend=" + quote(
            '{"ids": ["country/MYS"], "properties": [{"id": "iso3166Alpha2"}]}'), {}),
        ("reconcile-preview", "/reconcile/preview?id=person/sergey-lavrov", {}),
    ]
    return asked


REQUESTS = requests()


def _rdf(body: bytes, media_type: str) -> set[ox.Quad]:
    """The quads of a document with blank nodes canonically labelled (RDFC-1.0)."""
    fmt = ox.RdfFormat.from_media_type(media_type)
    assert fmt is not None, media_type
    dataset = ox.Dataset(ox.parse(body, format=fmt))
    dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    return set(dataset)


#: Result formats whose rows are compared as a multiset where an engine orders
#: differently from the SPARQL 1.1 rules (Virtuoso sorts literals before IRIs).
RESULTS = {"application/sparql-results+json": ox.QueryResultsFormat.JSON,
           "application/sparql-results+xml": ox.QueryResultsFormat.XML,
           "text/csv": ox.QueryResultsFormat.CSV,
           "text/tab-separated-values": ox.QueryResultsFormat.TSV}


def _rows(body: bytes, media_type: str) -> list[str]:
    if media_type == "text/csv":  # pyoxigraph reads CSV results only as far as strings go
        return sorted(body.decode().splitlines()[1:])
    parsed = ox.parse_query_results(body, RESULTS[media_type])
    return sorted(repr(row) for row in parsed)


def _same(ours: Any, theirs: Any, engine: str = "") -> None:
    assert ours.status_code == theirs.status_code, ours.text[:500]
    assert ours.headers.get("content-type") == theirs.headers.get("content-type")
    for header in ("etag", "location", "content-location", "last-modified"):
        assert ours.headers.get(header) == theirs.headers.get(header), header
    if ours.content == theirs.content:
        return
    media = ours.headers.get("content-type", "").split(";")[0]
    if engine == "virtuoso" and media in RESULTS:
        assert _rows(ours.content, media) == _rows(theirs.content, media)
        return
    # The engines rename blank nodes when they load (the ontology's OWL lists): the
    # same graph, other labels; a page embeds its data as JSON-LD. Virtuoso also gives
    # a CONSTRUCT's triples in its own order (which SPARQL leaves open).
    assert b"_:" in theirs.content or b"rdf:nodeID" in theirs.content or (
        engine == "virtuoso" and ox.RdfFormat.from_media_type(media) is not None), \
        (ours.text[:800], theirs.text[:800])
    if media == "text/html":
        ours_page, ours_data = _split_page(ours.content)
        theirs_page, theirs_data = _split_page(theirs.content)
        assert ours_page == theirs_page
        ours_content, theirs_content, media = ours_data, theirs_data, "application/ld+json"
    else:
        ours_content, theirs_content = ours.content, theirs.content
    assert _rdf(ours_content, media) == _rdf(theirs_content, media)


def _split_page(body: bytes) -> tuple[bytes, bytes]:
    """A page without its embedded JSON-LD, and that JSON-LD."""
    start = body.index(b'<script type="application/ld+json">')
    end = body.index(b"</script>", start)
    data = body[start + len(b'<script type="application/ld+json">'):end]
    return body[:start] + body[end:], data


#: Known bugs, open: pages whose words differ over Virtuoso (found when the per-kind pages
#: met the remote stores). On Virtuoso the topic page's "events about it" query
#: (``?e dip:topic T ; a/rdfs:subClassOf* dip:DiplomaticEvent``) also returns the topic's
#: statements (spelling the path as a UNION with ``subClassOf+`` did not change that;
#: cause not found); a person's statement shows another of its quotes.
VIRTUOSO_KNOWN_PAGE_DIFFERENCES = {
    "doc:topic/aerospace-industry:html": "Virtuoso: topic page counts statements as events",
    "doc:person/amran-mohamed-zin:html": "Virtuoso: a statement's quote chosen in engine order",
}


@pytest.mark.parametrize("asked", REQUESTS, ids=[r[0] for r in REQUESTS])
def test_same_answer_as_the_embedded_store(asked: tuple[str, str, dict[str, str]],
                                           reference: Served, remote: Served) -> None:
    name, path, headers = asked
    if remote.engine == "virtuoso" and name in VIRTUOSO_KNOWN_PAGE_DIFFERENCES:
        pytest.xfail(VIRTUOSO_KNOWN_PAGE_DIFFERENCES[name])
    ours, theirs = remote.client.get(path, headers=headers), reference.client.get(path,
                                                                               headers=headers)
    if name.startswith("describe:") and remote.engine == "virtuoso":
        # DESCRIBE's answer is the engine's choice (SPARQL 1.1, 16.4): Virtuoso adds the
        # statements that point at the resource. It says at least what Oxigraph says.
        media = theirs.headers["content-type"].split(";")[0]
        assert ours.status_code == 200 and ours.headers["content-type"] == \
            theirs.headers["content-type"]
        assert _rdf(ours.content, media) >= _rdf(theirs.content, media)
        return
    if name.startswith(("search", "reconcile")):
        assert theirs.status_code == 200, theirs.text[:300]  # an answer, not two 404s
    _same(ours, theirs, remote.engine)


def test_the_build_record_names_the_remote_store(remote: Served) -> None:
    record = json.loads((remote.settings.store_dir / "build.json").read_text())
    assert record["store"]["kind"] == "remote"
    assert record["store"]["engine"] == remote.engine
    assert record["store"]["query_url"] == remote.settings.store_urls[0]


def test_validation_checks_what_is_published_in_the_remote_store(
        reference: Served, remote: Served) -> None:
    """The service resolves references against the published data: the same report."""
    submission = (f"@prefix dip: <{BASE}ontology#> .\n"
                  f"<{BASE}id/person/sergey-lavrov> dip:nationality <{BASE}id/country/RUS> .\n"
                  f"<{BASE}id/person/new-one> a <http://xmlns.com/foaf/0.1/Person> ;\n"
                  f"  dip:nationality <{BASE}id/country/NOWHERE> .\n")
    headers = {"Content-Type": "text/turtle", "Accept": "text/turtle"}
    ours = remote.client.post("/validate", content=submission, headers=headers)
    theirs = reference.client.post("/validate", content=submission, headers=headers)
    assert ours.status_code == theirs.status_code
    assert _rdf(ours.content, "text/turtle") == _rdf(theirs.content, "text/turtle")


def test_ready_names_the_store(remote: Served) -> None:
    ready = remote.client.get("/ready")
    assert ready.status_code == 200, ready.text
    assert ready.json()["checks"]["store"]["kind"] == "remote"
