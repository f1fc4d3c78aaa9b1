"""A real uvicorn server in a thread of the test process, and waiting on conditions.

The tests of scheduling need what a subprocess server hides: how many queries are in
the heavy lane, how many wait for it, which worker ran what. Here the server runs on its
own event loop in a thread, and :meth:`InProcessServer.pool_state` asks that loop.
Clients connect from different loopback addresses (127.0.0.2, …), which Linux routes
to ``lo``, so each is a different client to the per-client rules.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, TypeVar

import httpx
import uvicorn

from publisher.app import create_app
from publisher.http.server import proxy_options
from publisher.settings import Settings
from publisher.sparql.workers import QueryPool

from .conftest import free_port

T = TypeVar("T")

#: Generous bound on how long a condition may take to become true on a loaded machine;
#: reaching it fails the test (the condition never became true), it is not a measurement.
CONDITION_BOUND_S = 60.0


def wait_until(condition: Callable[[], T], what: str,
               bound_s: float = CONDITION_BOUND_S) -> T:
    """Poll ``condition`` until it returns something true; fail after ``bound_s``."""
    deadline = time.monotonic() + bound_s
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"never happened: {what}")
        time.sleep(0.01)


class InProcessServer:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.app = create_app(settings)
        port = free_port()
        self.url = f"http://127.0.0.1:{port}{settings.base_path}sparql"
        config = uvicorn.Config(self.app, host="127.0.0.1",
                                port=port, log_level="warning", lifespan="on",
                                **proxy_options(settings))  # type: ignore[arg-type]
        self.server = uvicorn.Server(config)
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_until_complete,
                                       args=(self.server.serve(),), daemon=True)
        self.requests = ThreadPoolExecutor(max_workers=16)

    def start(self) -> None:
        self.thread.start()
        wait_until(lambda: self.server.started, "the server started")
        wait_until(lambda: self.pool_state(lambda pool: len(pool.workers)
                                           >= self.settings.sparql_workers),
                   "the query workers started")

    def stop(self) -> None:
        """Close the pool first (killing its workers ends in-flight heavy queries),
        then let uvicorn shut down as it would on SIGTERM."""
        endpoint = self.app.state.sparql
        asyncio.run_coroutine_threadsafe(endpoint.close(), self.loop).result(60)
        self.server.should_exit = True
        self.thread.join(60)
        self.requests.shutdown(wait=True, cancel_futures=True)

    def pool_state(self, read: Callable[[QueryPool], T]) -> T:
        """``read(pool)`` run on the server's loop, so it sees a consistent pool."""

        async def call() -> T:
            return read(self.app.state.sparql.ensure_pool())

        return asyncio.run_coroutine_threadsafe(call(), self.loop).result(30)

    def query(self, query: str, *, source: str = "127.0.0.1",
              headers: dict[str, str] | None = None) -> httpx.Response:
        """One GET from ``source``, on a connection of its own."""
        transport = httpx.HTTPTransport(local_address=source)
        with httpx.Client(transport=transport, timeout=120) as client:
            return client.get(self.url, params={"query": query}, headers=headers)

    def query_later(self, query: str, **kwargs: Any) -> Future[httpx.Response]:
        return self.requests.submit(self.query, query, **kwargs)


@contextmanager
def running(settings: Settings) -> Iterator[InProcessServer]:
    server = InProcessServer(settings)
    server.start()
    try:
        yield server
    finally:
        server.stop()
