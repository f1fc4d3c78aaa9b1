"""The published OpenAPI document: every route in it, and schemathesis finds no 5xx."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from publisher.app import create_app
from publisher.http.routing import openapi_path
from tests.conftest import Server

#: Bounded: this many examples per operation and phase; a couple of minutes at most.
MAX_EXAMPLES = 15
CHECKS = ("not_a_server_error", "status_code_conformance", "content_type_conformance",
          "response_headers_conformance")


def test_every_route_is_documented(served: Server) -> None:
    document = httpx.get(served.url("api/openapi.json"), timeout=30).json()
    assert document["openapi"].startswith("3.1")
    app = create_app(served.settings)
    paths = document["paths"]
    for spec in app.state.table:
        item = paths[openapi_path(spec)]
        for method in spec.methods:
            operation = item[method.lower()]
            assert operation["summary"] and operation["responses"], (spec.path, method)
            for outcome in spec.responses:
                assert str(outcome.status) in operation["responses"] or (
                    method == "POST" and outcome.status == 304)
    sparql = paths["/sparql"]
    assert set(sparql["post"]["requestBody"]["content"]) == {
        "application/x-www-form-urlencoded", "application/sparql-query"}
    assert {p["name"] for p in sparql["get"]["parameters"]} >= {
        "query", "default-graph-uri", "named-graph-uri", "format", "Accept"}
    errors = sparql["get"]["responses"]["400"]["content"]
    assert set(errors) == {"text/plain", "text/html", "application/problem+json"}
    assert "text/turtle" in paths["/validate"]["post"]["requestBody"]["content"]
    assert document["servers"] == [{"url": served.settings.base.rstrip("/")}]


def test_schemathesis_finds_no_server_error(served: Server, tmp_path: Path) -> None:
    """Every operation, every phase (examples, coverage, fuzzing, stateful), a bounded
    number of examples each: no 5xx, and responses as documented."""
    report = tmp_path / "report.json"
    command = [sys.executable, "-m", "schemathesis.cli", "run",
               served.url("api/openapi.json"), "--checks", ",".join(CHECKS),
               "--max-examples", str(MAX_EXAMPLES), "--seed", "20261123",
               "--generation-database", "none", "--suppress-health-check", "all",
               "--request-timeout", "60", "--no-color", "--workers", "1",
               "--report", "json", "--report-json-path", str(report)]
    result = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True,
                            timeout=600, env={**os.environ, "NO_COLOR": "1"})
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-6000:]
    generated = re.search(r"(\d+) generated, (\d+) passed", output)
    assert generated and generated.group(1) == generated.group(2), output[-3000:]
    assert int(generated.group(1)) > 500  # every operation was really exercised
    assert "Traceback" not in served.log.read_text()
    print(f"schemathesis: {generated.group(0)}")  # figures for the record (pytest -s)
    if report.exists():
        json.loads(report.read_text())  # the machine-readable record parses


@pytest.mark.parametrize("path", ["api/openapi.json"])
def test_the_document_is_served_without_a_build(tmp_path: Path, path: str) -> None:
    from fastapi.testclient import TestClient

    from publisher.settings import Settings

    settings = Settings(store_dir=tmp_path / "none", prewarm=False)
    with TestClient(create_app(settings)) as client:
        assert client.get("/" + path).status_code == 200
