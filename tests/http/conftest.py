"""``publisher serve`` over the shipped data (see ``tests/conftest.py``), per base path, for
the tests of the HTTP layer as a whole (OpenAPI, fuzzing, connection limits)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from publisher.settings import Settings
from tests.conftest import Server, start_server, stop_server


@pytest.fixture(scope="module")
def served(shipped: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    log = tmp_path_factory.mktemp("served") / "serve.log"
    running = start_server(shipped, log, port=shipped.port, prewarm=False)
    try:
        yield running
    finally:
        stop_server(running)
