"""Connection hygiene: silent and slow connections are closed, the server stays responsive,
idle keep-alive connections end, oversized headers are refused, a connection cap answers
503. Every wait is on a condition (a socket closed, a status seen), bounded generously."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from publisher.settings import Settings
from tests.conftest import Server, start_server, stop_server

HEADER_TIMEOUT_S = 1.0
MAX_CONNECTIONS = 40
SILENT, SLOW = 20, 10
WAIT_S = 60.0  # the bound of every condition below, far above what it needs


@pytest.fixture(scope="module")
def guarded(shipped: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    log = tmp_path_factory.mktemp("guarded") / "serve.log"
    running = start_server(shipped, log, port=shipped.port, prewarm=False,
                           http_header_timeout_s=HEADER_TIMEOUT_S, http_keep_alive_s=1.0,
                           http_max_connections=MAX_CONNECTIONS, http_max_header_bytes=8192)
    try:
        yield running
    finally:
        stop_server(running)


def _connect(server: Server) -> socket.socket:
    host, port = server.settings.host, server.settings.port
    sock = socket.create_connection((host, port), timeout=WAIT_S)
    return sock


def _closed_by_peer(sock: socket.socket) -> bytes | None:
    """What the server sent before closing, or None if it is still open after WAIT_S."""
    sock.settimeout(WAIT_S)
    received = b""
    try:
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                return received
            received += chunk
    except TimeoutError:
        return None
    except ConnectionResetError:
        return received


def _request_line(server: Server) -> bytes:
    return (f"GET {server.settings.base_path}void HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            "Accept: text/turtle\r\n").encode()


def test_silent_and_slow_connections_are_closed_and_others_served(guarded: Server) -> None:
    silent = [_connect(guarded) for _ in range(SILENT)]
    slow = [_connect(guarded) for _ in range(SLOW)]
    stop = threading.Event()

    def dribble(sock: socket.socket) -> None:  # one byte at a time, never finishing
        line = _request_line(guarded)
        for byte in line:
            if stop.is_set():
                return
            try:
                sock.send(bytes([byte]))
            except OSError:
                return
            stop.wait(0.2)

    threads = [threading.Thread(target=dribble, args=(sock,), daemon=True) for sock in slow]
    for thread in threads:
        thread.start()
    try:
        # While they hang on: a real client is served as usual.
        response = httpx.get(guarded.url("void"), headers={"accept": "text/turtle"},
                             timeout=WAIT_S)
        assert response.status_code == 200
        # And every one of them is closed by the server; the slow ones are told why.
        for sock in silent:
            assert _closed_by_peer(sock) == b""
        for sock in slow:
            said = _closed_by_peer(sock)
            assert said is not None, "a slow connection was never closed"
            assert said.startswith(b"HTTP/1.1 408") or said == b"", said[:100]
    finally:
        stop.set()
        for sock in silent + slow:
            sock.close()
    assert httpx.get(guarded.url("void.ttl"), timeout=WAIT_S).status_code == 200


def test_an_idle_keep_alive_connection_is_closed(guarded: Server) -> None:
    sock = _connect(guarded)
    try:
        sock.sendall(_request_line(guarded) + b"\r\n")
        sock.settimeout(WAIT_S)
        first = sock.recv(65536)
        assert first.startswith(b"HTTP/1.1 200")
        assert _closed_by_peer(sock) is not None  # the rest of the answer, then the end
    finally:
        sock.close()


def test_oversized_headers_are_refused(guarded: Server) -> None:
    sock = _connect(guarded)
    try:
        sock.sendall(_request_line(guarded) + b"X-Padding: " + b"a" * 10_000 + b"\r\n\r\n")
        said = _closed_by_peer(sock)
        assert said is not None and said.startswith(b"HTTP/1.1 431"), said
    finally:
        sock.close()


def test_a_body_larger_than_the_header_cap_is_no_header(guarded: Server) -> None:
    """Headers and a large body in one write: only the headers count against the cap."""
    body = b"@prefix ex: <http://example.org/> .\n" + b"# padding\n" * 2_000
    sock = _connect(guarded)
    try:
        sock.sendall((f"POST {guarded.settings.base_path}validate HTTP/1.1\r\n"
                      "Host: 127.0.0.1\r\nContent-Type: text/turtle\r\n"
                      f"Connection: close\r\nContent-Length: {len(body)}\r\n\r\n").encode()
                     + body)
        said = _closed_by_peer(sock)
        assert said is not None and not said.startswith(b"HTTP/1.1 431"), said[:200]
    finally:
        sock.close()


def test_beyond_the_connection_cap_requests_get_503(guarded: Server) -> None:
    """Connections beyond the cap are answered 503 at once (silent ones included in the
    count: they hold a file descriptor until the header timeout closes them)."""
    refused = None
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        held = [_connect(guarded) for _ in range(MAX_CONNECTIONS)]
        try:
            refused = httpx.get(guarded.url("void.ttl"), timeout=WAIT_S)
        finally:
            for sock in held:
                sock.close()
        if refused.status_code == 503:
            break
    assert refused is not None and refused.status_code == 503, refused
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:  # the held ones are gone: served again
        if httpx.get(guarded.url("void.ttl"), timeout=WAIT_S).status_code == 200:
            break
    else:
        pytest.fail("the server did not recover after the connections closed")
