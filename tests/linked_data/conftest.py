"""One real store for the linked-data tests, built once per session from the repository.

The store is built with the base of a loopback address (``http://127.0.0.1:PORT/``) so
that the same build serves both the in-process TestClient (pointed at that base URL)
and a real uvicorn process listening on that port, where links can be crawled.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from publisher.pipeline.build import build
from publisher.settings import Settings

from .server_app import make_app

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def port() -> int:
    return free_port()


@pytest.fixture(scope="session")
def settings(tmp_path_factory: pytest.TempPathFactory, port: int) -> Settings:
    store_dir = tmp_path_factory.mktemp("linked-data") / "store"
    built = Settings(base=f"http://127.0.0.1:{port}/", project_dir=ROOT, store_dir=store_dir)
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
