"""Shared test helpers: the repository root, a throw-away copy of the project, the base
paths every HTTP suite runs under, and ``publisher serve`` on a free loopback port."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from publisher.http.server import environment
from publisher.pipeline.build import build
from publisher.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
PROJECT_FOLDERS = ("data", "mappings", "ontology", "shapes", "queries")
#: Every HTTP suite runs with a base at the host's root and with a base that has a path
#: (``PUBLISHER_BASE=http://host:port/data/``): routes, links and redirects must follow it.
BASE_PATHS = ("/", "/data/")


def copy_project(target: Path) -> Path:
    """A copy of the pipeline inputs that a test may break without touching the repo."""
    target.mkdir(parents=True, exist_ok=True)
    for folder in PROJECT_FOLDERS:
        if (ROOT / folder).is_dir():
            shutil.copytree(ROOT / folder, target / folder)
    return target


@pytest.fixture
def project_copy(tmp_path: Path) -> Path:
    return copy_project(tmp_path / "project")


@pytest.fixture(scope="session", params=BASE_PATHS, ids=("root-base", "path-base"))
def base_path(request: pytest.FixtureRequest) -> str:
    return request.param


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Server:
    """A ``publisher serve`` process; ``root`` is the base's URL on the listening address."""

    root: str
    process: subprocess.Popen[bytes]
    settings: Settings
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def url(self, path: str = "") -> str:
        return self.root + path.lstrip("/")


def start_server(settings: Settings, log: Path, ready_path: str = "sparql?query=ASK%7B%7D",
                 port: int | None = None, **overrides: object) -> Server:
    """``publisher serve`` (the command users run) on ``port`` (a free one by default)
    of 127.0.0.1."""
    port = port or free_port()
    settings = settings.model_copy(update={**overrides, "host": "127.0.0.1", "port": port})
    env = {**os.environ, **environment(settings), "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen([sys.executable, "-m", "publisher.cli", "serve"], cwd=ROOT,
                               env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    root = f"http://127.0.0.1:{port}{settings.base_path}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(root + ready_path, timeout=5).status_code < 500:
                break
        except httpx.TransportError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"publisher serve did not start:\n{log.read_text()}")
        time.sleep(0.1)
    return Server(root, process, settings, log)


def stop_server(server: Server) -> None:
    server.process.send_signal(signal.SIGTERM)
    try:
        server.process.wait(15)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()


@pytest.fixture(scope="session")
def shipped(tmp_path_factory: pytest.TempPathFactory, base_path: str) -> Settings:
    """The repository's data, built for a base on a free loopback port (the port a
    ``publisher serve`` of it will listen on)."""
    port = free_port()
    settings = Settings(base=f"http://127.0.0.1:{port}{base_path}", project_dir=ROOT,
                        store_dir=tmp_path_factory.mktemp("shipped") / "store", port=port)
    build(settings, progress=lambda _line: None)
    return settings
