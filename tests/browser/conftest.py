"""The browser tests' world: the shipped facts built and served by ``publisher serve`` on a
free loopback port, and one headless Chromium for the whole session.

Without Chromium, its driver or axe-core these tests are skipped with the command that
installs what is missing, except in CI (``CI`` set), where ``.ci/run`` installs all three
and a missing one is a failure. Screenshots go to ``PUBLISHER_SCREENSHOTS`` when set (the
README's pictures: ``PUBLISHER_SCREENSHOTS=docs/screenshots pytest tests/browser``), else
to a temporary folder.
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

from .harness import Browser, missing

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


#: Package scope, not session: Chromium and the server are children of pytest, and tests
#: elsewhere (tests/validation/test_memory.py) measure the memory of every child process.
@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    lacking = missing()
    if lacking:
        message = "browser tests need: " + "; ".join(lacking)
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    chromium = Browser()
    try:
        yield chromium
    finally:
        chromium.close()


@pytest.fixture(scope="package")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The base URL of a running ``publisher serve`` over a fresh build of the facts."""
    port = _free_port()
    base = f"http://127.0.0.1:{port}/"
    store = tmp_path_factory.mktemp("browser") / "store"
    common = ["--base", base, "--project-dir", str(ROOT), "--store-dir", str(store)]
    cli = [sys.executable, "-m", "publisher.cli"]
    built = subprocess.run([*cli, "build", *common], capture_output=True, text=True,
                           cwd=ROOT, timeout=300)
    assert built.returncode == 0, built.stderr
    server = subprocess.Popen([*cli, "serve", *common, "--host", "127.0.0.1", "--port",
                               str(port), "--no-access-log"], cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(base, timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                output = server.stdout.read().decode() if server.stdout else ""
                pytest.fail(f"publisher serve did not start:\n{output}")
            time.sleep(0.1)
        yield base
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@pytest.fixture(scope="package")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    chosen = os.environ.get("PUBLISHER_SCREENSHOTS")
    return Path(chosen) if chosen else tmp_path_factory.mktemp("screenshots")
