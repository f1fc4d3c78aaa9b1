"""The W3C SPARQL 1.1 Protocol test suite, run from its manifest against ``publisher serve``.

Every query test must pass as written; the update tests pass by the refusal a read-only
endpoint owes them (403, and nothing changes). See ``w3c_protocol/README.md``.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest
import rdflib
from rdflib.collection import Collection

from publisher.builds import BUILD_INFO, swap_in
from publisher.settings import Settings
from tests.conftest import ROOT, Server, start_server, stop_server

SUITE = Path(__file__).resolve().parent / "w3c_protocol"
MF = rdflib.Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = rdflib.Namespace("http://www.w3.org/2011/http#")
HTS = rdflib.Namespace("http://www.w3.org/2011/http-statusCodes#")
CNT = rdflib.Namespace("http://www.w3.org/2011/content#")
UT = rdflib.Namespace("http://www.w3.org/2009/sparql/tests/test-update#")
RESULTS = {"application/sparql-results+json", "application/sparql-results+xml", "text/csv",
           "text/tab-separated-values"}
RDF_TYPES = {"text/turtle": ox.RdfFormat.TURTLE, "application/n-triples":
             ox.RdfFormat.N_TRIPLES, "application/rdf+xml": ox.RdfFormat.RDF_XML,
             "application/ld+json": ox.RdfFormat.JSON_LD}


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes | None
    statuses: set[str]  # "2xx", "3xx", "4xx"
    boolean: bool | None = None
    result_format: str | None = None


@dataclass
class ProtocolTest:
    name: str
    title: str
    graphs: dict[str, str] = field(default_factory=dict)  # graph IRI -> data file
    requests: list[Request] = field(default_factory=list)

    @property
    def is_update(self) -> bool:
        return "update" in self.name


def load_manifest() -> list[ProtocolTest]:
    graph = rdflib.Graph().parse(SUITE / "manifest.ttl", format="turtle",
                                 publicID=(SUITE / "manifest.ttl").as_uri())
    manifest = next(graph.subjects(MF.entries, None))
    tests = []
    for entry in Collection(graph, graph.value(manifest, MF.entries)):
        test = ProtocolTest(str(entry).rsplit("#", 1)[1], str(graph.value(entry, MF.name)))
        for data in graph.objects(entry, UT.graphData):
            test.graphs[str(graph.value(data, rdflib.RDFS.label))] = Path(
                str(graph.value(data, UT.graph))).name
        action = graph.value(entry, MF.action)
        for node in Collection(graph, graph.value(action, HT.requests)):
            headers = {}
            listed = graph.value(node, HT.headers)
            for header in Collection(graph, listed) if listed is not None else []:
                headers[str(graph.value(header, HT.fieldName))] = str(
                    graph.value(header, HT.fieldValue))
            body = None
            content = graph.value(node, HT.body)
            if content is not None:
                encoding = str(graph.value(content, CNT.characterEncoding) or "UTF-8")
                body = str(graph.value(content, CNT.chars)).encode(encoding)
            response = graph.value(node, HT.resp)
            statuses = {str(s).rsplit("#StatusCode", 1)[1].lower()
                        for s in graph.objects(response, MF.expectedStatus)}
            boolean = graph.value(response, MF.expectedBoolean)
            result_format = graph.value(response, MF.expectedFormat)
            test.requests.append(Request(
                str(graph.value(node, HT.methodName)), str(graph.value(node, HT.absolutePath)),
                headers, body, statuses, None if boolean is None else boolean.toPython(),
                None if result_format is None else str(result_format)))
        tests.append(test)
    return tests


TESTS = load_manifest()


def publish(root: Path, base: str) -> Settings:
    """A build holding the suite's data, each file in the named graph its tests name."""
    settings = Settings(store_dir=root / "var" / "store", project_dir=root, base=base)
    build = settings.builds_dir / "w3c-protocol"
    build.mkdir(parents=True)
    store = ox.Store(str(build))
    graphs = {label: name for test in TESTS for label, name in test.graphs.items()}
    for label, name in sorted(graphs.items()):
        store.load(path=str(SUITE / name), format=ox.RdfFormat.N_TRIPLES,
                   to_graph=ox.NamedNode(label))
    store.flush()
    del store
    (build / BUILD_INFO).write_text(json.dumps({
        "build_id": "w3c-protocol", "built_at": "2026-11-23T00:00:00+00:00", "base": base,
        "stats": {}}), encoding="utf-8")
    for folder in ("shapes", "ontology", "queries"):
        shutil.copytree(ROOT / folder, build / folder)
    swap_in(settings, build)
    return settings


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory: pytest.TempPathFactory, base_path: str) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("w3c-protocol")
    settings = publish(root, f"http://www.example{base_path}")
    running = start_server(settings, root / "serve.log")
    try:
        yield running
    finally:
        stop_server(running)


def check_response(test: ProtocolTest, request: Request, response: httpx.Response) -> None:
    where = f"{test.name} ({test.title}): {response.status_code} {response.text[:300]!r}"
    assert f"{response.status_code // 100}xx" in request.statuses, where
    media_type = response.headers.get("content-type", "").split(";")[0]
    if request.result_format == "boolean":
        assert media_type in ("application/sparql-results+json",
                              "application/sparql-results+xml"), where
        answer = ox.parse_query_results(response.content, ox.QueryResultsFormat.from_media_type(
            media_type))
        assert isinstance(answer, ox.QueryBoolean), where
        if request.boolean is not None:
            assert bool(answer) is request.boolean, where
    elif request.result_format == "tabular":
        assert media_type in RESULTS, where
        answer = ox.parse_query_results(response.content, ox.QueryResultsFormat.from_media_type(
            media_type))
        assert isinstance(answer, ox.QuerySolutions), where
        assert len(list(answer)) == 1, where
    elif request.result_format == "RDF":
        assert media_type in RDF_TYPES, where
        list(ox.parse(response.content, RDF_TYPES[media_type]))


@pytest.mark.parametrize("test", TESTS, ids=[test.name for test in TESTS])
def test_w3c_protocol(endpoint: Server, test: ProtocolTest) -> None:
    with httpx.Client(timeout=30, follow_redirects=True) as client:
        for request in test.requests:
            url = endpoint.url("sparql") + request.path.removeprefix("/sparql/")
            response = client.request(request.method, url, headers=request.headers,
                                      content=request.body)
            if test.is_update:
                # Read-only: the update (the first request) is refused, and nothing after
                # it could observe a change, so the follow-up checks are not sent.
                assert response.status_code == 403 if not test.name.startswith(
                    "bad_") else 400 <= response.status_code < 500, (
                    test.name, response.status_code, response.text)
                return
            check_response(test, request, response)


def test_the_manifest_was_read_whole() -> None:
    names = [test.name for test in TESTS]
    assert len(names) == 34 and "query_content_type_construct" in names
    assert sum(not test.is_update for test in TESTS) == 20  # 13 queries, 7 bad queries
