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
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from ..settings import Settings, default_settings

APP = "publisher.app:create_app"


def _raw_response(status: str, message: str) -> bytes:
    body = (message + "\n").encode()
    return (f"HTTP/1.1 {status}\r\ncontent-type: text/plain; charset=utf-8\r\n"
            f"connection: close\r\ncontent-length: {len(body)}\r\n\r\n").encode() + body


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, plus a header timeout and a header size cap.

    Its limits come from the process's :func:`~publisher.settings.default_settings`
    (``publisher serve`` puts every setting in the environment of its workers).
    """

    def __init__(self, config: Any, server_state: Any, app_state: dict[str, Any],
                 _loop: asyncio.AbstractEventLoop | None = None) -> None:
        super().__init__(config, server_state, app_state, _loop)
        settings = default_settings()
        self.header_timeout = settings.http_header_timeout_s
        self.max_header_bytes = settings.http_max_header_bytes
        self._header_timer: asyncio.TimerHandle | None = None
        self._header_bytes = 0
        self._in_headers = True

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._await_headers()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_header_timer()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._in_headers:
            self._header_bytes += len(data)
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
        self._stop_header_timer()
        super().on_headers_complete()

    def on_response_complete(self) -> None:
        waiting = bool(self.pipeline)
        super().on_response_complete()
        if not waiting and not self.transport.is_closing():
            self._await_headers()

    def _await_headers(self) -> None:
        self._stop_header_timer()
        self._in_headers = True
        self._header_bytes = 0
        self._header_timer = self.loop.call_later(self.header_timeout, self._headers_too_slow)

    def _stop_header_timer(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _headers_too_slow(self) -> None:
        self._header_timer = None
        if not self._in_headers or self.transport.is_closing():
            return
        if self._header_bytes:  # something came: say why the connection ends
            self._refuse("408 Request Timeout", f"the request headers did not arrive "
                         f"within {self.header_timeout:g} s")
        else:
            self.transport.close()

    def _refuse(self, status: str, message: str) -> None:
        self._stop_header_timer()
        if not self.transport.is_closing():
            self.transport.write(_raw_response(status, message))
            self.transport.close()


def environment(settings: Settings) -> dict[str, str]:
    """Every setting as a ``PUBLISHER_*`` variable, so worker processes read the same."""
    out = {}
    for name, value in settings.model_dump().items():
        if isinstance(value, list):
            value = ",".join(str(item) for item in value)
        elif name in ("project_dir",):
            value = settings.project_dir.resolve()
        elif name == "store_dir":  # keep the link itself: it moves with every build
            value = settings.store_dir.absolute()
        out[f"PUBLISHER_{name.upper()}"] = str(value)
    return out


def serve(settings: Settings) -> None:
    """Run the one application (``create_app``) under uvicorn with the limits above."""
    import uvicorn

    os.environ.update(environment(settings))
    default_settings.cache_clear()
    uvicorn.run(APP, factory=True, host=settings.host, port=settings.port,
                workers=settings.workers, log_level="info", access_log=settings.access_log,
                http=GuardedHttpToolsProtocol,
                timeout_keep_alive=settings.http_keep_alive_s,  # type: ignore[arg-type]
                limit_concurrency=settings.http_max_connections,
                h11_max_incomplete_event_size=settings.http_max_header_bytes,
                server_header=False)
