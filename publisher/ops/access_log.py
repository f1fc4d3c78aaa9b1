"""Structured access logs: one JSON object per request, written off the request path.

Fields: ``time`` (RFC 3339, UTC, milliseconds: when the request arrived), ``method``,
``path``, ``status``, ``bytes`` (body bytes sent), ``duration_ms`` (to the last byte),
``route``, ``build`` (the build that answered, when known), ``client`` and
``user_agent``. The query string is not logged (SPARQL queries can be long and personal);
its length is (``query_bytes``).

Formatting and writing happen on a writer thread fed by a queue: a request pays for one
``dict`` and one ``put``. Lines are flushed in batches, at most ``flush_after_s`` late.
"""

from __future__ import annotations

import datetime as dt
import json
import queue
import sys
import threading
import time
from collections.abc import Callable
from typing import IO, Any

from starlette.types import ASGIApp, Receive, Scope, Send

from .metrics import Sent, first_segment_route


class JsonLinesWriter:
    """A daemon thread that writes queued records as JSON lines to ``stream``."""

    def __init__(self, stream: IO[str] | None = None, flush_after_s: float = 0.2,
                 max_batch: int = 1000) -> None:
        self.stream = stream or sys.stdout
        self.flush_after_s = flush_after_s
        self.max_batch = max_batch
        self._queue: queue.SimpleQueue[dict[str, Any] | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="access-log", daemon=True)
        self._thread.start()

    def write(self, record: dict[str, Any]) -> None:
        self._queue.put(record)

    def close(self) -> None:
        """Write what is queued, then stop the thread."""
        self._queue.put(None)
        self._thread.join(timeout=5)

    def _run(self) -> None:
        dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
        while True:
            record = self._queue.get()
            lines = []
            stop = record is None
            if record is not None:
                lines.append(dumps(record))
            deadline = time.monotonic() + self.flush_after_s
            while not stop and len(lines) < self.max_batch:
                try:
                    record = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
                except queue.Empty:
                    break
                if record is None:
                    stop = True
                else:
                    lines.append(dumps(record))
            if lines:
                try:
                    self.stream.write("\n".join(lines) + "\n")
                    self.stream.flush()
                except (OSError, ValueError):
                    pass  # a closed or full log must not take the server down
            if stop:
                return


_WRITER: list[JsonLinesWriter] = []


def access_log_writer() -> JsonLinesWriter:
    """The process's one writer (to standard output), started on first use."""
    if not _WRITER:
        _WRITER.append(JsonLinesWriter())
    return _WRITER[0]


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return value.decode("latin-1")
    return None


class AccessLogMiddleware:
    """Logs every HTTP request as one JSON line (see the module docstring).

    ``build_of`` reads the build that answered from the request's scope (the Snapshot
    the app pinned there), so the line names the build whose bytes were sent.
    """

    def __init__(self, app: ASGIApp, writer: JsonLinesWriter,
                 route_of: Callable[[Scope], str] = first_segment_route,
                 build_of: Callable[[Scope], str | None] = lambda _scope: None) -> None:
        self.app = app
        self.writer = writer
        self.route_of = route_of
        self.build_of = build_of

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        arrived = time.time()
        started = time.perf_counter()
        sent = Sent()
        try:
            await self.app(scope, receive, sent.watching(send))
        finally:
            client = scope.get("client")
            self.writer.write({
                "time": dt.datetime.fromtimestamp(arrived, dt.UTC)
                .isoformat(timespec="milliseconds").replace("+00:00", "Z"),
                "method": scope["method"],
                "path": scope.get("path", ""),
                "query_bytes": len(scope.get("query_string", b"")),
                "status": sent.status,
                "bytes": sent.bytes,
                "duration_ms": round((time.perf_counter() - started) * 1000, 3),
                "route": self.route_of(scope),
                "build": self.build_of(scope),
                "client": client[0] if client else None,
                "user_agent": _header(scope, b"user-agent"),
            })
