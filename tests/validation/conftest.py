"""Fixtures of the validation-service tests: one real store, apps, a tripwire listener.

The store is built once per session from the repository into a temporary folder, with
the TestClient's base (``http://testserver/``), so submissions can use the same
relative IRIs as our own data files and resolve to entities that really exist.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from publisher.app import create_app
from publisher.pipeline.build import build
from publisher.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = Path(__file__).resolve().parent / "examples"
BASE = "http://testserver/"


@pytest.fixture(scope="session")
def base(base_path: str) -> str:
    """The deployment's base: the TestClient's host, at its root or under ``/data/``."""
    return f"http://testserver{base_path}"


@pytest.fixture(scope="session")
def settings(tmp_path_factory: pytest.TempPathFactory, base: str) -> Settings:
    store_dir = tmp_path_factory.mktemp("validation") / "store"
    built = Settings(project_dir=ROOT, store_dir=store_dir, base=base)
    build(built, progress=lambda _line: None)
    return built


def make_app(settings: Settings) -> FastAPI:
    """The one application, without background preparation of documents."""
    return create_app(settings.model_copy(update={"prewarm": False}))


@pytest.fixture(scope="session")
def app(settings: Settings) -> FastAPI:
    return make_app(settings)


@pytest.fixture(scope="session")
def client(app: FastAPI, base: str) -> Iterator[TestClient]:
    with TestClient(app, base_url=base.rstrip("/")) as test_client:
        yield test_client


@pytest.fixture
def client_with(settings: Settings, base: str):
    """A client whose settings differ (smaller limits): ``client_with(timeout_s=…)``."""
    opened: list[TestClient] = []

    def make(**overrides: object) -> TestClient:
        changed = settings.model_copy(update=overrides)
        test_client = TestClient(make_app(changed), base_url=base.rstrip("/"))
        opened.append(test_client)
        return test_client

    yield make
    for test_client in opened:
        test_client.close()


def example(name: str) -> bytes:
    return (EXAMPLES / name).read_bytes()


class Tripwire:
    """A TCP listener on 127.0.0.1 that records every connection made to it.

    Hostile documents point their remote contexts, DTDs and imports here; a test passes
    only if, after validating, nobody has connected.
    """

    def __init__(self) -> None:
        self.server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(16)
        self.server.settimeout(0.05)
        self.port = self.server.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/"
        self.connections: list[tuple[str, int]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, peer = self.server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections.append(peer)
            conn.close()

    def settle(self) -> list[tuple[str, int]]:
        """Every connection ever made, the backlog's too, once the listener has stopped.

        A fetch made while validating happens before the answer, so after the answer it
        is either recorded or waiting in the backlog: no sleeping on a negative.
        """
        self._stop.set()
        self._thread.join(2)
        self.server.setblocking(False)
        while True:
            try:
                conn, peer = self.server.accept()
            except OSError:
                return self.connections
            self.connections.append(peer)
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        self.server.close()


@pytest.fixture
def tripwire() -> Iterator[Tripwire]:
    wire = Tripwire()
    try:
        yield wire
    finally:
        wire.close()
