"""One real store per base path for the linked-data tests, built from the repository.

The store is built with the base of a loopback address (``http://127.0.0.1:PORT/`` or
``…/data/``) so that the same build serves both the in-process TestClient (pointed at
that base URL) and a real ``publisher serve`` process on that port, where links can be
crawled.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from publisher.app import create_app
from publisher.pipeline.build import build
from publisher.settings import Settings
from tests.conftest import free_port, start_server, stop_server

ROOT = Path(__file__).resolve().parents[2]


def make_app(settings: Settings, prewarm: bool = False) -> FastAPI:
    """The one application; TestClient tests switch background preparation off, so each
    test sees exactly what it asks for."""
    return create_app(settings.model_copy(update={"prewarm": prewarm}))


@pytest.fixture(scope="session")
def port() -> int:
    return free_port()


@pytest.fixture(scope="session")
def settings(tmp_path_factory: pytest.TempPathFactory, port: int, base_path: str) -> Settings:
    store_dir = tmp_path_factory.mktemp("linked-data") / "store"
    built = Settings(base=f"http://127.0.0.1:{port}{base_path}", project_dir=ROOT,
                     store_dir=store_dir)
    build(built, progress=lambda _line: None)
    return built


@pytest.fixture(scope="session")
def base(settings: Settings) -> str:
    return settings.base


@pytest.fixture(scope="session")
def app(settings: Settings) -> FastAPI:
    return make_app(settings)


@pytest.fixture(scope="session")
def client(app: FastAPI, base: str) -> Iterator[TestClient]:
    with TestClient(app, base_url=base.rstrip("/"), follow_redirects=False) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def server(settings: Settings, port: int,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``publisher serve`` (background preparation on, as deployed) on the base's port,
    serving the session's build (one per module); yields the base's URL."""
    log = tmp_path_factory.mktemp("live-server") / "serve.log"
    running = start_server(settings, log, ready_path="static/css/site.css", port=port)
    try:
        yield running.root
    finally:
        stop_server(running)
