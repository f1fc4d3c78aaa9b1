"""A published build of the repository's data and ``publisher serve`` over it, per base path,
for the tests of the HTTP layer as a whole (OpenAPI, fuzzing, connection limits)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from publisher.pipeline.build import build
from publisher.settings import Settings
from tests.conftest import ROOT, Server, free_port, start_server, stop_server


@pytest.fixture(scope="session")
def shipped(tmp_path_factory: pytest.TempPathFactory, base_path: str) -> Settings:
    """The shipped data, built for a base on a free loopback port (it will listen there)."""
    port = free_port()
    settings = Settings(base=f"http://127.0.0.1:{port}{base_path}", project_dir=ROOT,
                        store_dir=tmp_path_factory.mktemp("http") / "store", port=port)
    build(settings, progress=lambda _line: None)
    return settings


@pytest.fixture(scope="module")
def served(shipped: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    log = tmp_path_factory.mktemp("served") / "serve.log"
    running = start_server(shipped, log, port=shipped.port, prewarm=False)
    try:
        yield running
    finally:
        stop_server(running)
