"""Running the application: uvicorn, with the connection limits a public server needs.

uvicorn closes idle keep-alive connections (``timeout_keep_alive``) and answers 503
beyond ``limit_concurrency``, but it never times out a connection whose request headers
are slow or never come: a few thousand silent or one-byte-a-second connections would
hold a file descriptor each forever. :class:`GuardedHttpToolsProtocol` adds that bound
(``settings.http_header_timeout_s``, from the connection's start or the end of its
previous response until its headers are complete) and a cap on the size of a request's
headers (``settings.http_max_header_bytes``, 431 beyond it). Behind a reverse proxy
(nginx: ``client_header_timeout``, ``limit_conn``, ``limit_req``) these are a second
wall; see docs/operations.md.

A repeated GET or HEAD whose answer the build keeps (:mod:`.snapshot_layer`) is answered
by the protocol itself, as its headers complete: the bytes were made and checked when
the application first sent them, so no ASGI task, scope messages or header checks are
needed again, only one write (measured: 71,000 answers a second for a protocol writing
fixed bytes, 32,500 for the same bytes through a bare ASGI application). Everything
else, and every request while a response is still being written on that connection or
its send buffer is full, goes to the application as usual.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import tempfile
import time
from typing import Any

from pydantic import SecretStr
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from ..settings import Settings, default_settings
from .snapshot_layer import KeptAnswer

APP = "publisher.app:create_app"
log = logging.getLogger(__name__)


def _raw_response(status: str, message: str) -> bytes:
    body = (message + "\n").encode()
    return (f"HTTP/1.1 {status}\r\ncontent-type: text/plain; charset=utf-8\r\n"
            f"connection: close\r\ncontent-length: {len(body)}\r\n\r\n").encode() + body


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, plus a header timeout and a header size cap.

    Its limits come from the process's :func:`~publisher.settings.default_settings`
    (``publisher serve`` puts every setting in the environment of its workers). The
    timeout costs a request one clock read: a connection notes its deadline, and one
    sweep per server and period (:class:`_Sweeper`) closes those past it, rather than a
    timer armed and cancelled per request.
    """

    def __init__(self, config: Any, server_state: Any, app_state: dict[str, Any],
                 _loop: asyncio.AbstractEventLoop | None = None) -> None:
        super().__init__(config, server_state, app_state, _loop)
        settings = default_settings()
        self.header_timeout = settings.http_header_timeout_s
        self.max_header_bytes = settings.http_max_header_bytes
        self.header_deadline: float | None = None
        self._header_bytes = 0
        self._tail = b""
        self._in_headers = True
        self._state = server_state
        # The application's front door, when the server runs it unwrapped (no proxy
        # headers middleware, which must see every request first).
        self._door = getattr(self.app, "front_door", None)

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self.transport = OneWriteTransport(transport)  # type: ignore[assignment]
        self._await_headers()
        _Sweeper.ensure(self._state, self.loop, self.connections, self.header_timeout)

    def data_received(self, data: bytes) -> None:
        if self._in_headers:
            # Only the bytes up to the blank line that ends the headers count: a body
            # sent in the same write is no header (the end may straddle two writes).
            window = self._tail + data
            end = window.find(b"\r\n\r\n")
            self._header_bytes += len(data) if end < 0 else max(0, end + 4 - len(self._tail))
            self._tail = window[-3:]
            if self._header_bytes > self.max_header_bytes:
                self._refuse("431 Request Header Fields Too Large",
                             f"the request line and headers exceed this server's limit of "
                             f"{self.max_header_bytes} bytes")
                return
        super().data_received(data)

    def on_message_begin(self) -> None:
        self._in_headers = True
        super().on_message_begin()

    def on_headers_complete(self) -> None:
        self._in_headers = False
        self._header_bytes = 0
        self._tail = b""
        self.header_deadline = None
        super().on_headers_complete()

    def on_response_complete(self) -> None:
        self.transport.flush()  # type: ignore[attr-defined] # a HEAD answer has no body write
        waiting = bool(self.pipeline)
        super().on_response_complete()
        if not waiting:
            self._await_headers()

    def _start_asgi_task(self, cycle: Any, app: Any) -> None:
        """Answer a kept answer here (see the module docstring), else start the app."""
        door = self._door
        if (door is not None and app is self.app and not self.flow.write_paused
                and cycle.scope["method"] in ("GET", "HEAD")):
            arrived = time.time()
            started = time.perf_counter()
            try:
                found = door.kept(cycle.scope)
                if found is not None:
                    status, sent = self._write_kept(cycle, *found)
                    door.record(cycle.scope, arrived, time.perf_counter() - started,
                                status, sent)
                    return
            except Exception:  # noqa: BLE001 - never a traceback to the client
                log.exception("answering a kept answer")
                if cycle.response_complete:
                    return
                if cycle.response_started:  # half written: nothing else can follow
                    self.transport.close()
                    return
        super()._start_asgi_task(cycle, app)

    def _write_kept(self, cycle: Any, kept: KeptAnswer, not_modified: bool) -> tuple[int, int]:
        """Write a kept answer as uvicorn would, and complete the cycle."""
        status = 304 if not_modified else kept.status
        parts = [STATUS_LINE[status]]
        for name, value in self.server_state.default_headers:  # date
            parts += (name, b": ", value, b"\r\n")
        parts.append(kept.not_modified_head if not_modified else kept.head)
        if not cycle.keep_alive:
            parts.append(b"connection: close\r\n")
        parts.append(b"\r\n")
        cycle.response_started = True
        body = b"" if not_modified or cycle.scope["method"] == "HEAD" else kept.body
        if len(body) < OneWriteTransport.COPY_BELOW:
            parts.append(body)
            self.transport.write(b"".join(parts))
        else:
            self.transport.writelines((b"".join(parts), body))
        cycle.response_complete = True
        if not cycle.keep_alive:
            self.transport.close()
        self._unset_keepalive_if_required()  # a pipelined request answered in one read
        cycle.on_response()
        return status, len(body)

    def _await_headers(self) -> None:
        self._in_headers = True
        self._header_bytes = 0
        self._tail = b""
        self.header_deadline = self.loop.time() + self.header_timeout

    def headers_too_slow(self) -> None:
        """Called by the sweep once the deadline has passed."""
        self.header_deadline = None
        if not self._in_headers or self.transport.is_closing():
            return
        if self._header_bytes:  # something came: say why the connection ends
            self._refuse("408 Request Timeout", f"the request headers did not arrive "
                         f"within {self.header_timeout:g} s")
        else:
            self.transport.close()

    def _refuse(self, status: str, message: str) -> None:
        self.header_deadline = None
        if not self.transport.is_closing():
            self.transport.write(_raw_response(status, message))
            self.transport.close()


class OneWriteTransport:
    """A transport that sends a response's head together with its first body bytes.

    uvicorn writes the status line and headers, then the body, in two writes: two
    ``send`` calls and, with ``TCP_NODELAY``, two segments per answer. Those two system
    calls were a third of the web process's time on a kept document (profiled: 37% of
    samples). Holding the head until the body comes makes them one: a concatenation for
    a small body, a gathered write (``writelines``) for a large one. A held head is sent
    at the latest when the response completes (a HEAD answer has no body write) or the
    connection closes; an interim ``100 Continue`` is never held, since the client waits
    for it before sending its body.
    """

    __slots__ = ("_transport", "_head")

    #: Bodies up to this size are copied after the head; larger ones are gathered.
    COPY_BELOW = 64 * 1024

    def __init__(self, transport: asyncio.Transport) -> None:
        self._transport = transport
        self._head: bytes | None = None

    def write(self, data: bytes) -> None:
        head = self._head
        if head is not None:
            self._head = None
            if len(data) < self.COPY_BELOW:
                self._transport.write(head + data)
            else:
                self._transport.writelines((head, data))
        elif data[:9] == b"HTTP/1.1 " and data[9:10] != b"1" and data[-4:] == b"\r\n\r\n":
            self._head = data
        else:
            self._transport.write(data)

    def flush(self) -> None:
        head = self._head
        if head is not None:
            self._head = None
            self._transport.write(head)

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def write_eof(self) -> None:
        self.flush()
        self._transport.write_eof()

    def abort(self) -> None:
        self._head = None
        self._transport.abort()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class _Sweeper:
    """Closes, every ``period``, the connections of one server past their header deadline."""

    def __init__(self, loop: asyncio.AbstractEventLoop, connections: set[Any],
                 period: float) -> None:
        self.loop = loop
        self.connections = connections
        self.period = period

    @classmethod
    def ensure(cls, state: Any, loop: asyncio.AbstractEventLoop, connections: set[Any],
               timeout: float) -> None:
        if getattr(state, "publisher_sweeper", None) is None:
            sweeper = cls(loop, connections, max(0.05, min(1.0, timeout / 4)))
            state.publisher_sweeper = sweeper
            loop.call_later(sweeper.period, sweeper.sweep)

    def sweep(self) -> None:
        now = self.loop.time()
        for connection in list(self.connections):
            deadline = getattr(connection, "header_deadline", None)
            if deadline is not None and now >= deadline:
                connection.headers_too_slow()
        self.loop.call_later(self.period, self.sweep)


def environment(settings: Settings) -> dict[str, str]:
    """Every setting as a ``PUBLISHER_*`` variable, so worker processes read the same."""
    out = {}
    for name, value in settings.model_dump().items():
        if value is None:
            continue  # unset stays unset
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        elif isinstance(value, list):
            value = ",".join(str(item) for item in value)
        elif name in ("project_dir",):
            value = settings.project_dir.resolve()
        elif name == "store_dir":  # keep the link itself: it moves with every build
            value = settings.store_dir.absolute()
        out[f"PUBLISHER_{name.upper()}"] = str(value)
    return out


def proxy_options(settings: Settings) -> dict[str, object]:
    """uvicorn's handling of ``X-Forwarded-For``, from ``PUBLISHER_TRUSTED_PROXIES``.

    uvicorn would otherwise trust it from 127.0.0.1 by default, so any local process
    could pick the client address that per-client limits count. With trusted proxies
    set, the client is the address the nearest untrusted hop reports.
    """
    if not settings.trusted_proxies:
        return {"proxy_headers": False}
    return {"proxy_headers": True, "forwarded_allow_ips": list(settings.trusted_proxies)}


def serve(settings: Settings) -> None:
    """Run the one application (``create_app``) under uvicorn with the limits above."""
    import uvicorn

    os.environ.update(environment(settings))
    default_settings.cache_clear()
    metrics_dir = None
    if (settings.workers or 1) > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # Each scrape reaches one worker: without a shared folder /metrics would show
        # that worker's counts only, jumping from one scrape to the next.
        metrics_dir = tempfile.mkdtemp(prefix="publisher-metrics-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir
    try:
        _run(uvicorn, settings)
    finally:
        if metrics_dir is not None:
            shutil.rmtree(metrics_dir, ignore_errors=True)


def _run(uvicorn: Any, settings: Settings) -> None:
    uvicorn.run(APP, factory=True, host=settings.host, port=settings.port,
                workers=settings.workers, log_level="info", access_log=False,  # ours: JSON lines
                http=GuardedHttpToolsProtocol,
                timeout_keep_alive=settings.http_keep_alive_s,  # type: ignore[arg-type]
                limit_concurrency=settings.http_max_connections,
                h11_max_incomplete_event_size=settings.http_max_header_bytes,
                server_header=False, **proxy_options(settings))  # type: ignore[arg-type]
