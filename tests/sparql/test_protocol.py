"""Plain HTTP against a live server: every row of the SPARQL 1.1 Protocol, and its failures."""

from __future__ import annotations

import csv
import html
import io
import re
import urllib.parse
from collections.abc import Iterator

import httpx
import pyoxigraph as ox
import pytest
from fastapi.testclient import TestClient

from publisher.app import create_app

from .conftest import BASE, GENERATED, SOURCE_A, SOURCE_B, Server

DIP = BASE + "ontology#"
EVENT = BASE + "id/event/lavrov-wang-yi"
SELECT_EVENT = f"SELECT ?type WHERE {{ <{EVENT}> a ?type }}"
FORM = "application/x-www-form-urlencoded"
SRJ = "application/sparql-results+json"


def bindings(response: httpx.Response) -> list[dict[str, str]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith(SRJ)
    return [{k: v["value"] for k, v in row.items()}
            for row in response.json()["results"]["bindings"]]


# --- the three ways to send a query ------------------------------------------------------

def test_get_query(client: httpx.Client, server: Server) -> None:
    rows = bindings(client.get(server.url, params={"query": SELECT_EVENT}))
    assert rows == [{"type": DIP + "BilateralMeeting"}]


def test_post_form(client: httpx.Client, server: Server) -> None:
    response = client.post(server.url, data={"query": SELECT_EVENT})
    assert response.request.headers["content-type"] == FORM
    assert bindings(response) == [{"type": DIP + "BilateralMeeting"}]


def test_post_direct(client: httpx.Client, server: Server) -> None:
    response = client.post(server.url, content=SELECT_EVENT.encode(),
                           headers={"Content-Type": "application/sparql-query; charset=utf-8"})
    assert bindings(response) == [{"type": DIP + "BilateralMeeting"}]


def test_post_with_other_content_type_is_415(client: httpx.Client, server: Server) -> None:
    response = client.post(server.url, content=SELECT_EVENT.encode(),
                           headers={"Content-Type": "text/plain"})
    assert response.status_code == 415
    assert "application/sparql-query" in response.text


def test_two_queries_is_400(client: httpx.Client, server: Server) -> None:
    response = client.get(server.url, params=[("query", "ASK {}"), ("query", "ASK {}")])
    assert response.status_code == 400


# --- the dataset -------------------------------------------------------------------------

def test_default_graph_is_the_union_of_the_named_graphs(client: httpx.Client,
                                                         server: Server) -> None:
    """Facts from two source graphs join in one pattern without GRAPH."""
    query = f"""PREFIX dip: <{DIP}> PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
    SELECT ?name WHERE {{ <{EVENT}> dip:participant ?p . ?p rdfs:label ?name }} ORDER BY ?name"""
    rows = bindings(client.get(server.url, params={"query": query}))
    # The event is in source-a, the labels in the reference graph.
    assert [row["name"] for row in rows] == ["Sergey Lavrov", "Wang Yi"]


def test_graph_still_sees_each_source_graph(client: httpx.Client, server: Server) -> None:
    query = f"SELECT ?g WHERE {{ GRAPH ?g {{ <{EVENT}> a ?t }} }}"
    assert bindings(client.get(server.url, params={"query": query})) == [{"g": SOURCE_A}]


def test_default_graph_uri(client: httpx.Client, server: Server) -> None:
    query = f"ASK {{ <{EVENT}> a ?t }}"
    in_a = client.get(server.url, params={"query": query, "default-graph-uri": SOURCE_A})
    in_b = client.get(server.url, params={"query": query, "default-graph-uri": SOURCE_B})
    assert in_a.json()["boolean"] is True
    assert in_b.json()["boolean"] is False


def test_several_default_graph_uris_merge(client: httpx.Client, server: Server) -> None:
    query = f"SELECT ?t WHERE {{ <{EVENT}> a ?t }}"
    response = client.get(server.url, params=[
        ("query", query), ("default-graph-uri", SOURCE_B), ("default-graph-uri", SOURCE_A)])
    assert bindings(response) == [{"t": DIP + "BilateralMeeting"}]


def test_named_graph_uri(client: httpx.Client, server: Server) -> None:
    query = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"
    response = client.get(server.url, params={"query": query, "named-graph-uri": SOURCE_B})
    assert bindings(response) == [{"g": SOURCE_B}]
    # The protocol's dataset has an empty default graph when only named graphs are given.
    ask = client.get(server.url, params={"query": f"ASK {{ <{EVENT}> ?p ?o }}",
                                         "named-graph-uri": SOURCE_A})
    assert ask.json()["boolean"] is False


def test_dataset_parameters_in_the_url_of_a_direct_post(client: httpx.Client,
                                                        server: Server) -> None:
    response = client.post(server.url, params={"default-graph-uri": SOURCE_B},
                           content=f"ASK {{ <{EVENT}> ?p ?o }}".encode(),
                           headers={"Content-Type": "application/sparql-query"})
    assert response.json()["boolean"] is False


def test_from_in_the_query_is_honoured(client: httpx.Client, server: Server) -> None:
    """FROM narrows the default graph; the union applies only when the query names none."""
    query = f"SELECT ?t FROM <{SOURCE_B}> WHERE {{ <{EVENT}> a ?t }}"
    assert bindings(client.get(server.url, params={"query": query})) == []


def test_invalid_graph_iri_is_400(client: httpx.Client, server: Server) -> None:
    response = client.get(server.url, params={"query": "ASK {}",
                                              "default-graph-uri": "not an iri"})
    assert response.status_code == 400
    assert "default-graph-uri" in response.text


# --- result formats ----------------------------------------------------------------------

SELECT_TWO = f"""SELECT ?s ?n WHERE {{ GRAPH <{GENERATED}> {{ ?s ?p ?n }}
  FILTER(?n < 2) }} ORDER BY ?n"""


@pytest.mark.parametrize("accept, media_type", [
    (SRJ, SRJ),
    ("application/sparql-results+xml", "application/sparql-results+xml"),
    ("text/csv", "text/csv"),
    ("text/tab-separated-values", "text/tab-separated-values"),
    ("application/json", SRJ),
    ("*/*", SRJ),
    ("text/csv;q=0.5, application/sparql-results+xml;q=0.9", "application/sparql-results+xml"),
    ("text/turtle, text/tab-separated-values;q=0.1", "text/tab-separated-values"),
])
def test_select_result_formats_by_accept(client: httpx.Client, server: Server, accept: str,
                                         media_type: str) -> None:
    response = client.get(server.url, params={"query": SELECT_TWO}, headers={"Accept": accept})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].split(";")[0] == media_type
    if media_type != "text/csv":  # pyoxigraph reads every SPARQL format but CSV
        fmt = {SRJ: ox.QueryResultsFormat.JSON,
               "application/sparql-results+xml": ox.QueryResultsFormat.XML,
               "text/tab-separated-values": ox.QueryResultsFormat.TSV}[media_type]
        parsed = ox.parse_query_results(response.content, fmt)
        assert [sol["n"].value for sol in parsed] == ["0", "1"]
    else:
        rows = list(csv.reader(io.StringIO(response.text)))
        assert rows == [["s", "n"], ["http://example.org/n0", "0"],
                        ["http://example.org/n1", "1"]]
        assert response.content.endswith(b"\r\n")


@pytest.mark.parametrize("format_param, media_type", [
    ("json", SRJ), ("xml", "application/sparql-results+xml"), ("csv", "text/csv"),
    ("tsv", "text/tab-separated-values"), ("text/csv", "text/csv"),
])
def test_format_parameter_overrides_accept(client: httpx.Client, server: Server,
                                           format_param: str, media_type: str) -> None:
    response = client.get(server.url, params={"query": SELECT_TWO, "format": format_param},
                          headers={"Accept": "application/sparql-results+json"})
    assert response.headers["content-type"].split(";")[0] == media_type


@pytest.mark.parametrize("fmt", [SRJ, "application/sparql-results+xml", "text/csv",
                                 "text/tab-separated-values"])
def test_ask_in_every_result_format(client: httpx.Client, server: Server, fmt: str) -> None:
    response = client.get(server.url, params={"query": f"ASK {{ <{EVENT}> ?p ?o }}"},
                          headers={"Accept": fmt})
    assert response.status_code == 200
    assert "true" in response.text


CONSTRUCT = f"CONSTRUCT {{ <{EVENT}> ?p ?o }} WHERE {{ <{EVENT}> ?p ?o }}"


@pytest.mark.parametrize("accept, rdf_format", [
    ("text/turtle", ox.RdfFormat.TURTLE),
    ("application/n-triples", ox.RdfFormat.N_TRIPLES),
    ("application/ld+json", ox.RdfFormat.JSON_LD),
    ("application/rdf+xml", ox.RdfFormat.RDF_XML),
])
def test_construct_formats(client: httpx.Client, server: Server, accept: str,
                           rdf_format: ox.RdfFormat) -> None:
    response = client.post(server.url, data={"query": CONSTRUCT}, headers={"Accept": accept})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].split(";")[0] == accept
    triples = list(ox.parse(response.content, rdf_format))
    assert len(triples) == 8
    assert all(t.subject == ox.NamedNode(EVENT) for t in triples)


def test_describe_defaults_to_turtle(client: httpx.Client, server: Server) -> None:
    response = client.get(server.url, params={"query": f"DESCRIBE <{EVENT}>"})
    assert response.headers["content-type"].startswith("text/turtle")
    assert len(list(ox.parse(response.content, ox.RdfFormat.TURTLE))) == 8


@pytest.mark.parametrize("format_param, rdf_format", [
    ("ttl", ox.RdfFormat.TURTLE), ("nt", ox.RdfFormat.N_TRIPLES),
    ("jsonld", ox.RdfFormat.JSON_LD), ("rdf", ox.RdfFormat.RDF_XML),
])
def test_construct_format_parameter(client: httpx.Client, server: Server, format_param: str,
                                    rdf_format: ox.RdfFormat) -> None:
    response = client.get(server.url, params={"query": CONSTRUCT, "format": format_param})
    assert len(list(ox.parse(response.content, rdf_format))) == 8


def test_unsupported_result_type_is_406(client: httpx.Client, server: Server) -> None:
    select = client.get(server.url, params={"query": SELECT_TWO},
                        headers={"Accept": "text/turtle"})
    assert select.status_code == 406
    assert "application/sparql-results+json" in select.text
    construct = client.get(server.url, params={"query": CONSTRUCT},
                           headers={"Accept": "text/csv"})
    assert construct.status_code == 406
    assert "text/turtle" in construct.text
    bad_param = client.get(server.url, params={"query": SELECT_TWO, "format": "pdf"})
    assert bad_param.status_code == 406


# --- errors ------------------------------------------------------------------------------

def test_syntax_error_is_400_with_message_and_position(client: httpx.Client,
                                                       server: Server) -> None:
    response = client.get(server.url, params={"query": "SELECT ?s WHERE {\n  ?s ?p }"})
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("text/plain")
    assert "syntax error" in response.text
    assert re.search(r"\b2:\d+\b", response.text), response.text  # line 2, some column


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
def test_wrong_method_is_405(client: httpx.Client, server: Server, method: str) -> None:
    response = client.request(method, server.url, params={"query": "ASK {}"})
    assert response.status_code == 405
    assert set(response.headers["allow"].replace(" ", "").split(",")) >= {"GET", "POST"}


EX_P = "http://example.org/p"
UPDATE = f'INSERT DATA {{ GRAPH <{SOURCE_A}> {{ <{EVENT}> <{EX_P}> "changed" }} }}'


@pytest.mark.parametrize("send", ["form-update", "direct-update", "update-as-query-get",
                                  "update-as-query-post", "delete-where"])
def test_update_is_refused_and_changes_nothing(client: httpx.Client, server: Server,
                                               send: str) -> None:
    if send == "form-update":
        response = client.post(server.url, data={"update": UPDATE})
    elif send == "direct-update":
        response = client.post(server.url, content=UPDATE.encode(),
                               headers={"Content-Type": "application/sparql-update"})
    elif send == "update-as-query-get":
        response = client.get(server.url, params={"query": UPDATE})
    elif send == "update-as-query-post":
        response = client.post(server.url, data={"query": UPDATE})
    else:
        response = client.post(server.url, data={"query": "DELETE WHERE { ?s ?p ?o }"})
    assert response.status_code == 403
    assert "read-only" in response.text
    still = client.get(server.url, params={"query": f"ASK {{ ?s <{EX_P}> ?o }}"})
    assert still.json()["boolean"] is False
    events = client.get(server.url, params={"query": f"ASK {{ <{EVENT}> a ?t }}"})
    assert events.json()["boolean"] is True


def test_body_larger_than_the_limit_is_413(client: httpx.Client, server: Server) -> None:
    padding = "#" + "x" * 30_000 + "\n"
    response = client.post(server.url, data={"query": padding + "ASK {}"})
    assert response.status_code == 413
    assert "20,000 bytes" in response.text  # one body reader, one message for all routes
    direct = client.post(server.url, content=(padding + "ASK {}").encode(),
                         headers={"Content-Type": "application/sparql-query"})
    assert direct.status_code == 413


def test_long_get_is_refused_with_a_hint_to_post(client: httpx.Client, server: Server) -> None:
    response = client.get(server.url, params={"query": "#" + "x" * 25_000 + "\nASK {}"})
    assert response.status_code == 414
    assert "POST" in response.text


# --- service description and the query page ---------------------------------------------

SD = "http://www.w3.org/ns/sparql-service-description#"


def test_service_description_for_machines(client: httpx.Client, server: Server) -> None:
    response = client.get(server.url)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/turtle")
    store = ox.Store()
    store.load(response.content, ox.RdfFormat.TURTLE)
    service = ox.NamedNode(server.settings.sparql_endpoint)
    rdf_type = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
    assert ox.Quad(service, rdf_type, ox.NamedNode(SD + "Service")) in store
    assert ox.Quad(service, ox.NamedNode(SD + "endpoint"), service) in store
    assert ox.Quad(service, ox.NamedNode(SD + "feature"),
                   ox.NamedNode(SD + "UnionDefaultGraph")) in store
    assert ox.Quad(service, ox.NamedNode(SD + "feature"),
                   ox.NamedNode(SD + "BasicFederatedQuery")) not in store
    formats = {q.object.value for q in store.quads_for_pattern(
        service, ox.NamedNode(SD + "resultFormat"), None)}
    assert "http://www.w3.org/ns/formats/SPARQL_Results_JSON" in formats
    assert "http://www.w3.org/ns/formats/RDF_XML" in formats
    names = {q.object.value for q in store.quads_for_pattern(None, ox.NamedNode(SD + "name"),
                                                               None)}
    assert {SOURCE_A, SOURCE_B, GENERATED} <= names


@pytest.mark.parametrize("accept, rdf_format", [
    ("application/ld+json", ox.RdfFormat.JSON_LD),
    ("application/n-triples", ox.RdfFormat.N_TRIPLES),
    ("application/rdf+xml", ox.RdfFormat.RDF_XML),
])
def test_service_description_by_conneg(client: httpx.Client, server: Server, accept: str,
                                       rdf_format: ox.RdfFormat) -> None:
    response = client.get(server.url, headers={"Accept": accept})
    assert response.headers["content-type"].split(";")[0] == accept
    triples = list(ox.parse(response.content, rdf_format))
    assert any(t.object == ox.NamedNode(SD + "Service") for t in triples)


BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def page_examples(page: str) -> list[tuple[str, str]]:
    """(question, query) of each example the query page's menu links to."""
    menu = page[page.index('<details class="examples"'):]
    return [(html.unescape(question), urllib.parse.unquote_plus(html.unescape(query)))
            for query, question in re.findall(r'<li><a href="[^"?]*\?query=([^"]+)"[^>]*>'
                                              r'([^<]+)</a>', menu)]


def test_query_page_for_browsers_works_offline(client: httpx.Client, server: Server) -> None:
    response = client.get(server.url, headers={"Accept": BROWSER_ACCEPT})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    # Nothing is loaded from another host, and nothing needs JavaScript: the one script
    # only adds suggestions to the search box, a plain GET form without it.
    sources = re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', page)
    assert sources, page
    assert not [src for src in sources if "//" in src and "127.0.0.1" not in src], sources
    scripts = re.findall(r'<script src="([^"]+)"', page)
    assert [src.rsplit("/", 1)[-1] for src in scripts] == ["search.js"]
    assert "autofocus" not in page
    assert '<nav aria-label="Site">' in page          # inside the site's layout
    # One example open in the editor, the others in a menu named by their questions.
    examples = page_examples(page)
    assert len(examples) >= 5
    assert "Whom did Sergey Lavrov meet in Vientiane" in examples[0][0]
    assert not [q for q, _ in examples if re.fullmatch(r"CQ\d+", q)]
    editor = html.unescape(re.search(r'<textarea id="query"[^>]*>(.*?)</textarea>', page,
                                     re.S).group(1))
    assert editor == examples[0][1]


def test_every_example_query_runs(client: httpx.Client, server: Server) -> None:
    page = client.get(server.url, headers={"Accept": "text/html"}).text
    examples = page_examples(page)
    answered = 0
    for question, query in examples:
        response = client.post(server.url, data={"query": query})
        assert response.status_code == 200, (question, response.text)
        answered += bool(response.json()["results"]["bindings"])
    if server.settings.base == BASE:  # the fixture's IRIs are under the root base only
        assert answered == len(examples)  # the fixture data answers every question


def test_plain_options_lists_methods(client: httpx.Client, server: Server) -> None:
    response = client.options(server.url)
    assert response.status_code == 204
    assert "POST" in response.headers["allow"]


# --- caching -----------------------------------------------------------------------------

def test_etag_and_304(client: httpx.Client, server: Server) -> None:
    first = client.get(server.url, params={"query": SELECT_TWO})
    tag = first.headers["etag"]
    assert tag.startswith('W/"')
    again = client.get(server.url, params={"query": SELECT_TWO},
                       headers={"If-None-Match": tag})
    assert again.status_code == 304
    assert again.headers["etag"] == tag
    assert again.content == b""
    other_format = client.get(server.url, params={"query": SELECT_TWO, "format": "csv"},
                              headers={"If-None-Match": tag})
    assert other_format.status_code == 200
    assert other_format.headers["etag"] != tag
    other_query = client.get(server.url, params={"query": SELECT_TWO + " LIMIT 1"},
                             headers={"If-None-Match": tag})
    assert other_query.status_code == 200


def test_no_etag_for_queries_whose_answer_changes(client: httpx.Client, server: Server) -> None:
    response = client.get(server.url, params={"query": "SELECT (NOW() AS ?now) WHERE {}"})
    assert response.status_code == 200
    assert "etag" not in response.headers
    assert "no-store" in response.headers["cache-control"]


def test_post_responses_carry_no_etag(client: httpx.Client, server: Server) -> None:
    response = client.post(server.url, data={"query": SELECT_TWO})
    assert "etag" not in response.headers


def test_nesting_deeper_than_the_parser_can_take_is_400(client: httpx.Client,
                                                        server: Server) -> None:
    """Thousands of nested brackets would overflow Oxigraph's recursive parser."""
    direct = {"Content-Type": "application/sparql-query"}
    deep = "SELECT * WHERE " + "{" * 5000 + "}" * 5000
    response = client.post(server.url, content=deep.encode(), headers=direct)
    assert response.status_code == 400
    assert "nests" in response.text
    for limit_query in ("SELECT * WHERE " + "{" * 200 + "}" * 200,
                        "SELECT * WHERE { FILTER(" + "(" * 198 + "1" + ")" * 198 + ") }"):
        answer = client.post(server.url, content=limit_query.encode(), headers=direct)
        assert answer.status_code == 200, answer.text


# --- ``publisher serve`` and the test client run the same application -------------------

@pytest.fixture(scope="module")
def in_process(server: Server) -> Iterator[TestClient]:
    """The application object TestClient users get, with the served one's settings."""
    with TestClient(create_app(server.settings.model_copy(update={"prewarm": False})),
                    base_url=server.url.rsplit("/", 1)[0]) as test_client:
        yield test_client


ORIGIN = {"Origin": "https://client.example"}
COMPARED_HEADERS = ("content-type", "content-encoding", "etag", "vary", "cache-control",
                    "allow", "retry-after", "accept-post", "access-control-allow-origin",
                    "access-control-expose-headers", "access-control-allow-methods",
                    "access-control-allow-headers", "access-control-max-age")
DIRECT = {"Content-Type": "application/sparql-query"}
REQUESTS = {
    "get": ("GET", {"params": {"query": SELECT_TWO}}),
    "get-identity": ("GET", {"params": {"query": SELECT_EVENT},
                             "headers": {"Accept-Encoding": "identity"}}),
    "get-origin-gzip": ("GET", {"params": {"query": SELECT_TWO, "format": "xml"},
                                "headers": {**ORIGIN, "Accept-Encoding": "gzip"}}),
    "get-br-large": ("GET", {"params": {"query": f"SELECT * {{ GRAPH <{GENERATED}> "
                                                 f"{{ ?s ?p ?o }} }} LIMIT 200"},
                             "headers": {"Accept-Encoding": "br"}}),
    "post-form": ("POST", {"data": {"query": SELECT_EVENT}}),
    "post-direct": ("POST", {"content": CONSTRUCT.encode(),
                             "headers": {**DIRECT, "Accept": "application/n-triples"}}),
    "head": ("HEAD", {"params": {"query": SELECT_EVENT}}),
    "not-modified": ("GET", {"params": {"query": SELECT_TWO},
                             "headers": {"If-None-Match": "*"}}),
    "put": ("PUT", {"params": {"query": "ASK {}"}}),
    "options": ("OPTIONS", {}),
    "preflight": ("OPTIONS", {"headers": {**ORIGIN, "Access-Control-Request-Method": "POST",
                                          "Access-Control-Request-Headers": "Content-Type"}}),
    "syntax-error": ("GET", {"params": {"query": "SELEC"}, "headers": ORIGIN}),
    "not-acceptable": ("GET", {"params": {"query": SELECT_TWO},
                               "headers": {"Accept": "text/turtle"}}),
    "update": ("POST", {"data": {"update": UPDATE}}),
    "too-large": ("POST", {"content": b"#" + b"x" * 30_000, "headers": DIRECT}),
    "unsupported-media": ("POST", {"content": b"ASK {}", "headers": {"Content-Type": "a/b"}}),
    "service": ("GET", {"params": {"query": "ASK { SERVICE <http://127.0.0.1:9/> {} }"}}),
    "row-cap": ("GET", {"params": {"query": f"SELECT ?s {{ GRAPH <{GENERATED}> "
                                            f"{{ ?s ?p ?o }} }}"}}),
    "description": ("GET", {"headers": {"Accept": "application/n-triples"}}),
    "page": ("GET", {"headers": {"Accept": "text/html"}}),
}


@pytest.mark.parametrize("name", list(REQUESTS))
def test_served_app_answers_like_the_test_client(server: Server, in_process: TestClient,
                                                 name: str) -> None:
    method, options = REQUESTS[name]
    served = httpx.request(method, server.url, timeout=30, **options)
    tested = in_process.request(method, "sparql", **options)
    assert served.status_code == tested.status_code, (served.text, tested.text)
    for header in COMPARED_HEADERS:
        assert served.headers.get(header) == tested.headers.get(header), header
    if name == "post-direct":  # same triples; blank nodes and order aside
        assert len(list(ox.parse(served.content, ox.RdfFormat.N_TRIPLES))) == len(
            list(ox.parse(tested.content, ox.RdfFormat.N_TRIPLES)))
    else:
        assert served.content == tested.content


# --- bugs of issue 12, each held here -----------------------------------------------------

def test_relative_iris_resolve_against_the_endpoint(client: httpx.Client,
                                                    server: Server) -> None:
    """W3C ``query_content_type_construct``: ``<s>`` is relative, the endpoint is its base."""
    response = client.post(server.url, content=b"CONSTRUCT { <s> <p> 1 } WHERE {}",
                           headers={"Content-Type": "application/sparql-query",
                                    "Accept": "application/n-triples"})
    assert response.status_code == 200, response.text
    [triple] = [q.triple for q in ox.parse(response.content, ox.RdfFormat.N_TRIPLES)]
    base = server.settings.base
    assert (triple.subject.value, triple.predicate.value) == (base + "s", base + "p")


def test_a_query_in_another_charset_is_refused(client: httpx.Client, server: Server) -> None:
    """W3C ``bad_query_non_utf8``: the protocol reads UTF-8 only."""
    response = client.post(server.url, content="ASK {}".encode("utf-16"),
                           headers={"Content-Type": "application/sparql-query; charset=UTF-16"})
    assert response.status_code == 415 and "UTF-8" in response.text
    form = client.post(server.url, content=b"query=ASK%20%7B%7D", headers={
        "Content-Type": "application/x-www-form-urlencoded; charset=latin1"})
    assert form.status_code == 415


def test_a_get_with_a_body_is_refused(client: httpx.Client, server: Server) -> None:
    response = client.request("GET", server.url, params={"query": "ASK {}"},
                              content=b"ASK { ?s ?p ?o }")
    assert response.status_code == 400 and "GET" in response.text


def test_a_browser_following_a_query_link_gets_the_query_page(client: httpx.Client,
                                                              server: Server) -> None:
    """The home page's "run it" links: a browser gets the query page with the query in
    it, not raw JSON; ``Accept: text/html`` alone is no 406."""
    query = "SELECT ?s WHERE { ?s ?p ?o } LIMIT 3"
    for accept in (BROWSER_ACCEPT, "text/html"):
        page = client.get(server.url, params={"query": query}, headers={"Accept": accept})
        assert page.status_code == 200, page.text
        assert page.headers["content-type"].startswith("text/html")
        editor = re.search(r'<textarea id="query"[^>]*>(.*?)</textarea>', page.text, re.S)
        assert html.unescape(editor.group(1)) == query
    data = client.get(server.url, params={"query": query})  # */* still gets data
    assert data.headers["content-type"].startswith(SRJ)


def test_the_endpoint_lives_under_the_base_path(client: httpx.Client, server: Server,
                                                base_path: str) -> None:
    """With ``PUBLISHER_BASE=http://host/data/`` the endpoint the service description,
    VoID and the pages advertise (``/data/sparql``) is the one that answers."""
    assert server.url.endswith(f"{base_path}sparql")
    assert client.get(server.url, params={"query": "ASK {}"}).status_code == 200
    description = client.get(server.url, headers={"Accept": "application/n-triples"}).text
    assert f"<{server.settings.base}sparql>" in description
    if base_path != "/":
        root = server.url.replace(f"{base_path}sparql", "/sparql")
        assert client.get(root, params={"query": "ASK {}"}).status_code == 404


def test_a_path_that_only_looks_like_the_endpoint_is_404(client: httpx.Client,
                                                         server: Server) -> None:
    for suffix in ("%0A", "%00", "x", "%20"):
        response = client.get(server.url + suffix, params={"query": "ASK {}"})
        assert response.status_code == 404, suffix
    slash = client.get(server.url + "/", params={"query": "ASK {}"})  # the router's courtesy
    assert slash.status_code == 307 and slash.headers["location"].startswith(server.url + "?")


def test_a_browser_following_a_query_link_sees_a_readable_table(client: httpx.Client,
                                                                server: Server) -> None:
    query = ("SELECT ?person ?year WHERE { ?person a <http://xmlns.com/foaf/0.1/Person> "
             "BIND(2024 AS ?year) } LIMIT 3")
    page = client.get(server.url, params={"query": query},
                      headers={"Accept": BROWSER_ACCEPT})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    text = page.text
    assert '<table class="results">' in text and text.count("<tr>") >= 4
    assert "^^" not in text and "XMLSchema#integer" not in text.split("<table")[1].split(
        'title="')[0]                                      # no datatype noise in the cells
    if server.settings.base == BASE:  # the fixture's IRIs are under the root base only
        assert re.search(r'<a href="[^"]+/id/person/[^"]+">[^<]+</a> <code class="short">'
                         r'id/person/', text)              # a label, the IRI beside it
    # Clients are unaffected: the same URL still gives SPARQL JSON to them.
    data = client.get(server.url, params={"query": query},
                      headers={"Accept": "application/sparql-results+json"})
    assert len(data.json()["results"]["bindings"]) == 3
    broken = client.get(server.url, params={"query": "SELECT nonsense"},
                        headers={"Accept": BROWSER_ACCEPT})
    assert broken.status_code == 400                      # a syntax error is still a 400


def test_a_syntax_error_on_the_query_page_is_told_for_a_person(client: httpx.Client,
                                                               server: Server) -> None:
    """A prefix used without its declaration: the page names it, shows the line, and gives
    the declaration to add with a link that runs the query with it; no character classes."""
    query = "SELECT ?name WHERE {\n  ?p a foaf:Person ; rdfs:label ?name }\nLIMIT 2"
    page = client.get(server.url, params={"query": query}, headers={"Accept": BROWSER_ACCEPT})
    assert page.status_code == 400
    text = html.unescape(page.text)
    assert "The prefixes foaf:, rdfs: are used without a PREFIX declaration" in text
    assert "PREFIX foaf: <http://xmlns.com/foaf/0.1/>" in text
    assert "\\u{" not in text                                  # Oxigraph's expectations
    fixed = re.search(r'<a class="fixed" href="[^"?]+\?([^"]+)"', page.text).group(1)
    rerun = client.get(server.url + "?" + html.unescape(fixed),
                       headers={"Accept": BROWSER_ACCEPT})
    assert rerun.status_code == 200 and '<table class="results">' in rerun.text
