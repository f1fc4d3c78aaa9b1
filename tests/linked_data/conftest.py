"""One real store for the linked-data tests, built once per session from the repository.

The store is built with the base of a loopback address (``http://127.0.0.1:PORT/``) so
that the same build serves both the in-process TestClient (pointed at that base URL)
and a real uvicorn process listening on that port, where links can be crawled.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
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


@pytest.fixture(scope="module")
def server(settings: Settings, port: int) -> Iterator[str]:
    """A real uvicorn process on 127.0.0.1 serving the session's build (one per module)."""
    env = {**os.environ, "PUBLISHER_BASE": settings.base,
           "PUBLISHER_STORE_DIR": str(settings.store_dir),
           "PUBLISHER_PROJECT_DIR": str(settings.project_dir)}
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory",
         "tests.linked_data.server_app:create_app", "--host", "127.0.0.1",
         "--port", str(port), "--log-level", "warning"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(url + "static/css/site.css", timeout=1)
                break
            except httpx.TransportError:
                if process.poll() is not None or time.monotonic() > deadline:
                    output = process.stdout.read().decode() if process.stdout else ""
                    pytest.fail(f"uvicorn did not start:\n{output}")
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
