"""A bounded SPARQL fuzzer: mutated queries, sent every way, never a 5xx or a traceback.

Seed queries cover the language (forms, dataset clauses, OPTIONAL, UNION, MINUS, FILTER,
BIND, VALUES, paths, aggregates, sub-queries, SERVICE, updates, escapes); each case
applies a few random mutations (tokens deleted, duplicated, swapped or replaced by
hostile snippets: unbalanced brackets, control and bidi characters, lone surrogates,
huge numbers, deep nesting, bad IRIs and language tags) and is sent by GET, form POST
or direct POST with a random Accept and dataset. The data is a few dozen triples, so no
mutation can make a query expensive: every 5xx would be a bug. Seeded, so a failure is
reproducible; bounded by :data:`CASES`.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from urllib.parse import quote

import httpx
import pytest

from tests.conftest import Server, start_server, stop_server
from tests.sparql.conftest import make_build

CASES = 1200
SEED = 20261123
SEEDS = [
    "SELECT * WHERE { ?s ?p ?o } LIMIT 10",
    "ASK { ?s a ?type }",
    "CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } } LIMIT 5",
    "DESCRIBE <http://localhost:8000/id/person/sergey-lavrov>",
    "PREFIX dip: <http://localhost:8000/ontology#>\nPREFIX rdfs: <http://www.w3.org/2000/01/"
    "rdf-schema#>\nSELECT ?e ?label WHERE { ?e a dip:BilateralMeeting ; rdfs:label ?label "
    "FILTER(LANG(?label) = \"en\" && CONTAINS(LCASE(?label), \"wang\")) } ORDER BY ?label",
    "BASE <http://localhost:8000/> SELECT ?p (COUNT(*) AS ?n) FROM <id/graph/source-a> "
    "WHERE { ?s ?p ?o } GROUP BY ?p HAVING (COUNT(*) > 0)",
    "SELECT ?s ?o WHERE { { ?s ?p ?o } UNION { ?o ?p ?s } MINUS { ?s a ?t } } OFFSET 1",
    "SELECT ?x ?y WHERE { VALUES (?x ?y) { (1 \"a\"@en) (UNDEF 2.5e3) } BIND(?x + 1 AS ?z) }",
    "SELECT ?s WHERE { ?s <http://www.w3.org/2000/01/rdf-schema#label>/^<http://www.w3.org/"
    "2000/01/rdf-schema#label>* ?o OPTIONAL { ?s !(<http://a/p>|^<http://a/q>) ?z } }",
    "SELECT * WHERE { { SELECT ?s (SAMPLE(?o) AS ?any) WHERE { ?s ?p ?o } GROUP BY ?s } "
    "FILTER EXISTS { ?s ?q ?any } }",
    "SELECT ?d WHERE { ?e <http://localhost:8000/ontology#date> ?d "
    "FILTER(?d >= \"2024-01-01\"^^<http://www.w3.org/2001/XMLSchema#date>) }",
    "SELECT (STRLEN(\"\\u00e9t\\U0001F600\") AS ?n) (IRI(\"rel\") AS ?i) (BNODE() AS ?b) "
    "(REPLACE(\"abc\", \"b+\", \"x\") AS ?r) (NOW() AS ?t) WHERE {}",
    "SELECT * WHERE { SERVICE <http://127.0.0.1:1/sparql> { ?s ?p ?o } }",
    "INSERT DATA { <http://a/s> <http://a/p> \"o\" }",
    "SELECT * FROM NAMED <http://localhost:8000/id/graph/source-b> WHERE { GRAPH ?g { ?s ?p "
    "?o } }",
    "ASK { <<( <http://a/s> <http://a/p> <http://a/o> )>> ?p ?o }",
]
SNIPPETS = ["{", "}", "(", ")", "[", "]", "<", ">", "\"", "'", "\"\"\"", "\\", "\\u", "#",
            "?", "$", "*", ".", ";", ",", "|", "^^", "@", "@en-", "_:b0", "a", "UNION",
            "OPTIONAL", "FILTER(", "GRAPH", "SERVICE", "SILENT", "FROM", "NAMED", "BASE <>",
            "PREFIX : <>", "LOAD <http://127.0.0.1:1/>", "DELETE WHERE", "WITH", "LIMIT -1",
            "OFFSET 99999999999999999999", "9" * 300, "1e99999", "-0.0", "\u0000", "\u0001",
            "\u007f", "\u0085", "\u202e", "\ud800", "\ufeff", "\U0010ffff", "é", "\t", "\r\n",
            "<http://a/ b>", "<javascript:alert(1)>", "<%>", "<\\u0000>", "\"\\uD800\"",
            "\"x\"^^<>", "REGEX(?s, \"(a+)+$\")", "COUNT(DISTINCT *)", "GROUP_CONCAT(?s; "
            "separator=\"\\\\\")", "(" * 50, ")" * 50, "{" * 40 + "}" * 40, "?" + "v" * 500]
ACCEPTS = [None, "*/*", "application/sparql-results+json", "application/sparql-results+xml",
           "text/csv", "text/tab-separated-values", "text/turtle", "application/ld+json",
           "application/n-triples", "application/rdf+xml", "text/html", "image/png",
           "x/y;q=nonsense", "text/*;q=0.1, */*;q=0", ""]
GRAPHS = ["http://localhost:8000/id/graph/source-a", "http://localhost:8000/id/graph/nowhere",
          "not an iri", "http://a/ b", "", "urn:x:\u202e"]
TOKEN = re.compile(r"\s+|[{}()\[\];,.|^*/!=<>&]|\"[^\"]*\"|<[^<>\s]*>|[^\s{}()\[\];,.|^*/!=<>&]+")


def tokens(query: str) -> list[str]:
    return TOKEN.findall(query) or [query]


def mutate(query: str, rng: random.Random) -> str:
    parts = tokens(query)
    for _ in range(rng.randint(1, 4)):
        choice = rng.random()
        position = rng.randrange(len(parts)) if parts else 0
        if choice < 0.2 and parts:
            del parts[position]
        elif choice < 0.45:
            parts.insert(position, rng.choice(SNIPPETS))
        elif choice < 0.55 and parts:
            parts.insert(position, parts[position])
        elif choice < 0.65 and len(parts) > 1:
            other = rng.randrange(len(parts))
            parts[position], parts[other] = parts[other], parts[position]
        elif choice < 0.75 and parts:
            parts[position] = rng.choice(SNIPPETS)
        elif choice < 0.8:
            parts = parts[:position]
        elif choice < 0.9 and parts:
            text = parts[position]
            cut = rng.randrange(len(text) + 1)
            parts[position] = text[:cut] + chr(rng.randrange(0, 0x3000)) + text[cut:]
        else:
            parts = [rng.choice(SEEDS)[: rng.randrange(80)], *parts]
    return "".join(parts)


def cases() -> Iterator[tuple[str, str, dict]]:
    rng = random.Random(SEED)
    for _ in range(CASES):
        query = mutate(rng.choice(SEEDS), rng)
        headers = {}
        accept = rng.choice(ACCEPTS)
        if accept is not None:
            headers["Accept"] = accept
        params: list[tuple[str, str]] = []
        if rng.random() < 0.2:
            params.append((rng.choice(["default-graph-uri", "named-graph-uri"]),
                           rng.choice(GRAPHS)))
        if rng.random() < 0.1:
            params.append(("format", rng.choice(["json", "xml", "csv", "ttl", "html", "pdf",
                                                 ""])))
        way = rng.choice(["get", "form", "direct"])
        if way == "get":
            yield "GET", way, {"query_string": _encoded([("query", query), *params]),
                               "headers": headers}
        elif way == "form":
            yield "POST", way, {"content": _encoded([("query", query), *params]).encode(),
                                "headers": {**headers, "Content-Type":
                                            "application/x-www-form-urlencoded"}}
        else:
            yield "POST", way, {"query_string": _encoded(params),
                                "content": query.encode("utf-8", "surrogatepass"),
                                "headers": {**headers,
                                            "Content-Type": "application/sparql-query"}}


def _encoded(params: list[tuple[str, str]]) -> str:
    """As a client would put them on the wire, lone surrogates and all (CESU-8 bytes)."""
    return "&".join(f"{quote(name)}={quote(value.encode('utf-8', 'surrogatepass'))}"
                    for name, value in params)


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory: pytest.TempPathFactory, base_path: str) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("fuzz")
    settings = make_build(root, "fuzz", base=f"http://localhost:8000{base_path}", small=True)
    running = start_server(settings, root / "serve.log", sparql_max_rows=500)
    try:
        yield running
    finally:
        stop_server(running)


def test_mutated_queries_never_get_a_5xx_or_a_traceback(endpoint: Server) -> None:
    statuses: dict[int, int] = {}
    with httpx.Client(timeout=60) as client:
        for method, way, options in cases():
            query_string = options.pop("query_string", "")
            url = endpoint.url("sparql") + (f"?{query_string}" if query_string else "")
            response = client.request(method, url, **options)
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
            assert response.status_code < 500, (way, options, response.text[:500])
            assert "Traceback" not in response.text, (way, options)
    log = endpoint.log.read_text()
    assert "Traceback" not in log and "Exception in ASGI application" not in log
    assert sum(statuses.values()) == CASES
    # A browser's GET (Accept: text/html first) runs the query too and gets its status,
    # so broken queries sent that way are 400s as well: fewer 200s than for data clients.
    assert statuses.get(200, 0) > CASES // 25 and statuses.get(400, 0) > CASES // 4
    print(f"SPARQL fuzz: {CASES} cases, statuses {dict(sorted(statuses.items()))}")
