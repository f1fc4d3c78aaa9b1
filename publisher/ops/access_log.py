"""Structured access logs: one JSON object per request, written off the request path.

Fields: ``time`` (RFC 3339, UTC, milliseconds: when the request arrived), ``method``,
``path``, ``query_bytes``, ``status``, ``bytes`` (body bytes sent), ``duration_ms`` (to
the last byte), ``route``, ``build`` (the build that answered, when known), ``client``
and ``user_agent``. The query string is not logged (SPARQL queries can be long and
personal); its length is (``query_bytes``).

A request pays for one tuple and one ``deque.append`` (about a microsecond): no lock, no
wake-up of another thread. The writer thread wakes every ``flush_after_s`` on its own,
takes what accumulated, builds the records, encodes them (orjson) and writes them in one
call. Why not a queue: a ``queue.put`` wakes the waiting writer once per request, and
each wake-up takes the GIL from the event loop (measured on a stub app: 1.4 µs per
request without the log, 43 µs with a queue-fed writer, see docs/operations.md).
"""

from __future__ import annotations

import collections
import logging
import sys
import threading
import time
from collections.abc import Callable
from typing import IO, Any

import orjson
from starlette.types import Scope

from .metrics import first_segment_route

log = logging.getLogger(__name__)

#: Lines held for the writer at most; beyond, lines are dropped and counted (a log
#: stream that blocks, a full disk) rather than letting memory grow without bound.
MAX_PENDING = 200_000
#: Entries encoded at once by the request that completes a batch (about 0.8 ms).
BATCH = 256

#: A record, or a tuple ``(make, *args)`` that the writer thread turns into one by
#: calling ``make(*args)``: the request only pays for the tuple.
Entry = dict[str, Any] | tuple[Any, ...]


class JsonLinesWriter:
    """Writes entries as JSON lines to ``stream``: encoded in batches, written by a thread.

    Under load, the request that fills a batch of ``batch`` entries encodes it (under a
    lock, so that lines keep the order of requests) and leaves the bytes for the writer
    thread, which wakes every ``flush_after_s``, encodes what is left and writes
    everything in one call. Encoding in the writer thread instead costs the server far
    more than the encoding itself: the thread takes the GIL from the event loop at each
    wake-up, and the loop waits for it back (measured: 21,200 → 13,500 documents/s with
    a thread that encodes, against 20,100 when requests encode their batches; see
    docs/operations.md).
    """

    def __init__(self, stream: IO[str] | None = None, flush_after_s: float = 0.2,
                 max_pending: int = MAX_PENDING, batch: int = BATCH) -> None:
        self.stream = stream or sys.stdout
        self.flush_after_s = flush_after_s
        self.max_pending = max_pending
        self.batch = batch
        self.dropped = 0
        # deque.append and popleft are atomic: the request side takes no lock.
        self._pending: collections.deque[Entry] = collections.deque()
        self._encoded: collections.deque[tuple[int, bytes]] = collections.deque()
        self._encoded_lines = 0
        self._encoding = threading.Lock()
        self._closing = threading.Event()
        self._thread = threading.Thread(target=self._run, name="access-log", daemon=True)
        self._thread.start()

    def write(self, entry: Entry) -> None:
        pending = self._pending
        if len(pending) + self._encoded_lines >= self.max_pending:
            self.dropped += 1
            return
        pending.append(entry)
        if len(pending) >= self.batch:
            self._encode()

    def close(self) -> None:
        """Write what is pending, then stop the thread."""
        self._closing.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while True:
            closing = self._closing.wait(self.flush_after_s)
            self.flush()
            if closing:
                return

    def _encode(self) -> None:
        """Turn up to one batch of pending entries into bytes for the writer."""
        with self._encoding:
            pending = self._pending
            lines = []
            for _ in range(min(len(pending), self.batch)):
                entry = pending.popleft()
                if type(entry) is tuple:
                    entry = entry[0](*entry[1:])
                lines.append(orjson.dumps(entry))
            if lines:
                lines.append(b"")
                self._encoded.append((len(lines) - 1, b"\n".join(lines)))
                self._encoded_lines += len(lines) - 1

    def flush(self) -> None:
        """Write every pending entry (the writer thread calls this; tests may too)."""
        while self._pending:
            self._encode()
        encoded = self._encoded
        while encoded:
            chunks = []
            while encoded and len(chunks) < 64:
                count, chunk = encoded.popleft()
                self._encoded_lines -= count
                chunks.append(chunk)
            try:
                self.stream.write(b"".join(chunks).decode())
                self.stream.flush()
            except (OSError, ValueError):
                pass  # a closed or full log must not take the server down
        if self.dropped:
            dropped, self.dropped = self.dropped, 0
            log.warning("access log: %d lines dropped, the log stream did not keep up",
                        dropped)


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


class _Clock:
    """RFC 3339 UTC time with milliseconds; the part up to the second is reused."""

    def __init__(self) -> None:
        self._second = -1
        self._prefix = ""

    def format(self, unix: float) -> str:
        second = int(unix)
        if second != self._second:
            self._second = second
            self._prefix = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
        return f"{self._prefix}.{int((unix - second) * 1000):03d}Z"


class AccessLog:
    """Logs every HTTP request as one JSON line (see the module docstring).

    The front door (:mod:`publisher.http.front_door`) calls :meth:`done` as a request
    ends; ``build_of`` reads the build that answered from the request's scope (the
    Snapshot pinned there), so the line names the build whose bytes were sent. It and
    ``route_of`` run in the writer thread, once the request is over: they only read.
    """

    def __init__(self, writer: JsonLinesWriter,
                 route_of: Callable[[Scope], str] = first_segment_route,
                 build_of: Callable[[Scope], str | None] = lambda _scope: None) -> None:
        self.writer = writer
        self.route_of = route_of
        self.build_of = build_of
        self._clock = _Clock()

    def done(self, scope: Scope, arrived: float, duration_s: float, status: int,
             sent_bytes: int) -> None:
        """One request answered: a tuple of its fields on the writer's deque (not the
        scope, which would keep every request's headers and state alive until written)."""
        client = scope.get("client")
        self.writer.write((self._record, arrived, duration_s, status, sent_bytes,
                           scope["method"], scope.get("path", ""),
                           len(scope.get("query_string", b"")), self.route_of(scope),
                           self.build_of(scope), client[0] if client else None,
                           _header(scope, b"user-agent")))

    def _record(self, arrived: float, duration_s: float, status: int, sent_bytes: int,
                method: str, path: str, query_bytes: int, route: str, build: str | None,
                client: str | None, user_agent: str | None) -> dict[str, Any]:
        """The line of one request, made when its batch is encoded."""
        return {
            "time": self._clock.format(arrived),
            "method": method,
            "path": path,
            "query_bytes": query_bytes,
            "status": status,
            "bytes": sent_bytes,
            "duration_ms": round(duration_s * 1000, 3),
            "route": route,
            "build": build,
            "client": client,
            "user_agent": user_agent,
        }
