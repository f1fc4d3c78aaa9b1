"""/health, /ready, /metrics and the access log as the one application serves them."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from publisher.app import create_app
from publisher.ops import access_log
from publisher.pipeline.build import build
from publisher.settings import Settings

from ..conftest import ROOT

BASE = "http://ops.test/"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    settings = Settings(base=BASE, project_dir=ROOT,
                        store_dir=tmp_path_factory.mktemp("ops") / "store", prewarm=False)
    build(settings, progress=lambda _line: None)
    return settings


@pytest.fixture
def logged(monkeypatch: pytest.MonkeyPatch) -> Iterator[io.StringIO]:
    stream = io.StringIO()
    writer = access_log.JsonLinesWriter(stream, flush_after_s=0.01)
    monkeypatch.setattr(access_log, "_WRITER", [writer])
    yield stream
    writer.close()


def samples(text: str, name: str) -> dict[tuple, float]:
    return {tuple(sorted(s.labels.items())): s.value
            for family in text_string_to_metric_families(text)
            for s in family.samples if s.name == name}


def test_probes_metrics_and_log(built: Settings, logged: io.StringIO) -> None:
    with TestClient(create_app(built), base_url=BASE.rstrip("/")) as client:
        assert client.get("/health").json() == {"status": "ok"}
        ready = client.get("/ready").json()
        assert ready["status"] == "ready"
        build_id = ready["checks"]["build"]["build_id"]
        assert ready["checks"]["store"]["kind"] == "embedded"
        for _ in range(2):
            client.get("/doc/person/sergey-lavrov", headers={"Accept": "text/turtle"})
        query = quote("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
        client.get(f"/sparql?query={query}")
        client.get(f"/sparql?query={query}")
        metrics = client.get("/metrics").text
    requests = samples(metrics, "publisher_http_requests_total")
    assert requests[(("method", "GET"), ("route", "doc"), ("status", "200"))] == 2
    assert requests[(("method", "GET"), ("route", "sparql"), ("status", "200"))] == 2
    assert samples(metrics, "publisher_build_info") == {(("build_id", build_id),): 1.0}
    assert samples(metrics, "publisher_build_timestamp_seconds")[()] > 0
    assert samples(metrics, "publisher_sparql_queries_total") == {
        (("outcome", "completed"),): 1.0}  # the second was answered from the answers kept
    hits = samples(metrics, "publisher_cache_lookups_total")
    assert hits[(("cache", "answers"), ("result", "hit"))] >= 2
    assert samples(metrics, "publisher_store_up") == {(): 1.0}


def test_access_log_names_the_build(built: Settings, logged: io.StringIO) -> None:
    with TestClient(create_app(built), base_url=BASE.rstrip("/")) as client:
        client.get("/doc/person/sergey-lavrov", headers={"Accept": "text/turtle",
                                                          "User-Agent": "ops-test"})
        build_id = client.get("/ready").json()["checks"]["build"]["build_id"]
    access_log._WRITER[0].close()
    records = [json.loads(line) for line in logged.getvalue().splitlines()]
    doc = next(r for r in records if r["path"] == "/doc/person/sergey-lavrov")
    assert doc["status"] == 200 and doc["build"] == build_id and doc["route"] == "doc"
    assert doc["bytes"] > 0 and doc["user_agent"] == "ops-test"


def test_ready_without_a_build_is_503(tmp_path: Path) -> None:
    settings = Settings(base=BASE, project_dir=ROOT, store_dir=tmp_path / "none" / "store")
    with TestClient(create_app(settings), base_url=BASE.rstrip("/")) as client:
        ready = client.get("/ready")
        assert ready.status_code == 503 and ready.headers["retry-after"]
        assert "publisher build" in ready.json()["checks"]["build"]["problem"]
        assert client.get("/health").status_code == 200


def test_serve_with_workers_sums_every_process_at_each_scrape(built: Settings,
                                                              tmp_path: Path) -> None:
    """``publisher serve --workers 2`` shares one metrics folder between its processes
    (PROMETHEUS_MULTIPROC_DIR unless the operator set one), so whichever process answers a
    scrape reports the requests every process answered."""
    import httpx

    from ..conftest import start_server, stop_server

    server = start_server(built, tmp_path / "serve.log", ready_path="health", workers=2,
                          base=BASE)
    try:
        sent = 12
        for _ in range(sent):  # a new connection each: spread over both processes
            assert httpx.get(server.url("health"), timeout=10).status_code == 200
        for _ in range(4):
            text = httpx.get(server.url("metrics"), timeout=10).text
            counted = {tuple(sorted(s.labels.items())): s.value
                       for family in text_string_to_metric_families(text)
                       for s in family.samples if s.name == "publisher_http_requests_total"}
            health = [v for labels, v in counted.items() if ("route", "health") in labels]
            # The readiness probe of start_server is one more /health request.
            assert health == [sent + 1]
    finally:
        stop_server(server)
