"""Metrics, access log, health and readiness, on a small app of their own."""

from __future__ import annotations

import io
import json

import pytest
from prometheus_client.parser import text_string_to_metric_families
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from publisher.http.front_door import FrontDoor
from publisher.ops.access_log import AccessLog, JsonLinesWriter
from publisher.ops.health import NotReady, Readiness, health
from publisher.ops.metrics import Metrics, first_segment_route


def make_app(metrics: Metrics, readiness: Readiness, log: JsonLinesWriter) -> object:
    async def doc(request):  # noqa: ANN001, ANN202
        return PlainTextResponse("x" * 100, headers={"ETag": '"b1"'})

    async def boom(request):  # noqa: ANN001, ANN202
        raise RuntimeError("bug")

    app = Starlette(routes=[
        Route("/doc/{kind}/{slug}", doc), Route("/sparql", boom),
        Route("/health", health), Route("/ready", readiness),
        Route("/metrics", metrics.endpoint),
    ])
    return FrontDoor(app, metrics, AccessLog(log, build_of=lambda _scope: "b1"))


def samples(metrics: Metrics, name: str) -> dict[tuple[tuple[str, str], ...], float]:
    found = {}
    for family in text_string_to_metric_families(metrics.exposition().decode()):
        for sample in family.samples:
            if sample.name == name:
                found[tuple(sorted(sample.labels.items()))] = sample.value
    return found


@pytest.fixture
def parts():  # noqa: ANN201
    state = {"store": True}

    def store() -> dict[str, object]:
        if not state["store"]:
            raise NotReady("the SPARQL store at http://127.0.0.1:1/query is unreachable")
        return {"server": "Oxigraph/0.5.13"}

    metrics = Metrics()
    readiness = Readiness({"build": lambda: {"build_id": "b1"}, "store": store}, ttl_s=0,
                          on_result=lambda name, ok: metrics.store_up.set(int(ok))
                          if name == "store" else None)
    stream = io.StringIO()
    log = JsonLinesWriter(stream, flush_after_s=0.01)
    app = make_app(metrics, readiness, log)
    return metrics, readiness, log, stream, state, TestClient(app, raise_server_exceptions=False)


def test_requests_are_counted_by_route_and_status(parts) -> None:  # noqa: ANN001
    metrics, _, _, _, _, client = parts
    for _ in range(3):
        assert client.get("/doc/person/x").status_code == 200
    assert client.get("/sparql").status_code == 500
    assert client.get("/no/such/thing").status_code == 404
    counts = samples(metrics, "publisher_http_requests_total")
    assert counts[(("method", "GET"), ("route", "doc"), ("status", "200"))] == 3
    assert counts[(("method", "GET"), ("route", "sparql"), ("status", "500"))] == 1
    assert counts[(("method", "GET"), ("route", "other"), ("status", "404"))] == 1
    latency = samples(metrics, "publisher_http_request_duration_seconds_count")
    assert latency[(("route", "doc"),)] == 3
    assert samples(metrics, "publisher_http_response_bytes_total")[(("route", "doc"),)] == 300


def test_metrics_endpoint_speaks_prometheus(parts) -> None:  # noqa: ANN001
    metrics, *_, client = parts
    metrics.served_build("b1", 1_700_000_000)
    metrics.served_build("b2", 1_700_000_100)
    metrics.query_started()
    metrics.query_finished("timed_out")
    metrics.query_started()
    metrics.cache_lookup("documents", hit=True)
    metrics.worker_restarted("sparql")
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=")
    assert samples(metrics, "publisher_build_info") == {(("build_id", "b2"),): 1.0}
    assert samples(metrics, "publisher_build_timestamp_seconds") == {(): 1_700_000_100}
    assert samples(metrics, "publisher_sparql_queries_running") == {(): 1}
    assert samples(metrics, "publisher_sparql_queries_total") == {
        (("outcome", "timed_out"),): 1}
    assert samples(metrics, "publisher_cache_lookups_total") == {
        (("cache", "documents"), ("result", "hit")): 1}
    assert samples(metrics, "publisher_worker_restarts_total") == {(("pool", "sparql"),): 1}


def test_route_labels_stay_bounded() -> None:
    paths = ["/", "/doc/a/b", "/id/x", "/sparql", "/dumps/dataset.nq.gz", "/%00", "/random-1",
             "/random-2", "/.well-known/void"]
    assert {first_segment_route({"path": p}) for p in paths} == {
        "home", "doc", "id", "sparql", "dumps", "other", ".well-known"}
    # Under a base with a path, the segment after it; nothing outside the base is a route.
    assert [first_segment_route({"path": p}, "/data/") for p in (
        "/data/", "/data", "/data/doc/a/b", "/data/sparql", "/doc/a/b", "/database/x")] == [
        "home", "home", "doc", "sparql", "other", "other"]


def test_access_log_is_one_json_line_per_request(parts) -> None:  # noqa: ANN001
    _, _, log, stream, _, client = parts
    client.get("/doc/person/x?secret=1", headers={"User-Agent": "tester"})
    client.get("/sparql")
    log.close()
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [line["status"] for line in lines] == [200, 500]
    first = lines[0]
    assert first["path"] == "/doc/person/x" and first["query_bytes"] == len("secret=1")
    assert first["bytes"] == 100 and first["route"] == "doc" and first["build"] == "b1"
    assert first["user_agent"] == "tester" and first["method"] == "GET"
    assert first["time"].endswith("Z") and first["duration_ms"] >= 0
    assert "secret" not in stream.getvalue()


def test_health_does_not_depend_on_the_store(parts) -> None:  # noqa: ANN001
    *_, state, client = parts
    state["store"] = False
    response = client.get("/health")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_ready_turns_503_when_the_store_goes_and_recovers_by_itself(parts) -> None:  # noqa: ANN001
    metrics, _, _, _, state, client = parts
    ready = client.get("/ready")
    assert ready.status_code == 200
    assert ready.json()["checks"]["build"] == {"ok": True, "build_id": "b1"}
    state["store"] = False
    down = client.get("/ready")
    assert down.status_code == 503 and down.headers["retry-after"] == "5"
    assert "unreachable" in down.json()["checks"]["store"]["problem"]
    assert samples(metrics, "publisher_store_up") == {(): 0}
    state["store"] = True
    assert client.get("/ready").status_code == 200
    assert samples(metrics, "publisher_store_up") == {(): 1}


def test_readiness_checks_are_cached_for_their_ttl() -> None:
    calls = []
    readiness = Readiness({"store": lambda: calls.append(1) or {}}, ttl_s=3600)
    for _ in range(5):
        assert readiness.status()[0]
    assert len(calls) == 1


def test_a_crashing_check_is_not_ready_not_a_500() -> None:
    readiness = Readiness({"store": lambda: 1 / 0}, ttl_s=0)
    ready, report = readiness.status()
    assert not ready and "ZeroDivisionError" in report["store"]["problem"]
