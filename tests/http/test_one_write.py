"""A response's head leaves with its body in one write, and nothing is held back for good.

Unit tests of :class:`publisher.http.server.OneWriteTransport` on a recording transport,
then raw HTTP/1.1 on one keep-alive connection to ``publisher serve``: GET, HEAD, 304,
pipelined requests and ``Expect: 100-continue`` all complete, in order, on a real server.
"""

from __future__ import annotations

import json
import socket
import time
from typing import Any

from publisher.http.server import OneWriteTransport
from tests.conftest import Server

HEAD = b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\n"
WAIT_S = 60.0


class Recording:
    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []

    def write(self, data: bytes) -> None:
        self.calls.append(("write", data))

    def writelines(self, parts: Any) -> None:
        self.calls.append(("writelines", b"".join(parts)))

    def close(self) -> None:
        self.calls.append(("close", None))

    def get_extra_info(self, name: str) -> str:
        return f"info {name}"


def test_head_and_body_leave_in_one_write() -> None:
    inner = Recording()
    transport = OneWriteTransport(inner)  # type: ignore[arg-type]
    transport.write(HEAD)
    assert inner.calls == []
    transport.write(b"hello")
    assert inner.calls == [("write", HEAD + b"hello")]


def test_a_large_body_is_gathered_not_copied() -> None:
    inner = Recording()
    transport = OneWriteTransport(inner)  # type: ignore[arg-type]
    body = b"x" * (OneWriteTransport.COPY_BELOW + 1)
    transport.write(HEAD)
    transport.write(body)
    assert inner.calls == [("writelines", HEAD + body)]


def test_a_head_without_body_leaves_on_flush_or_close() -> None:
    inner = Recording()
    transport = OneWriteTransport(inner)  # type: ignore[arg-type]
    transport.write(HEAD)
    transport.flush()  # what the protocol does when a response completes (HEAD, 304)
    assert inner.calls == [("write", HEAD)]
    transport.write(HEAD)
    transport.close()
    assert inner.calls[1:] == [("write", HEAD), ("close", None)]


def test_interim_answers_and_other_bytes_are_not_held() -> None:
    inner = Recording()
    transport = OneWriteTransport(inner)  # type: ignore[arg-type]
    transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")
    transport.write(b"0\r\n\r\n")  # the last chunk of a chunked body
    assert [data for _, data in inner.calls] == [b"HTTP/1.1 100 Continue\r\n\r\n",
                                                 b"0\r\n\r\n"]
    assert transport.get_extra_info("peername") == "info peername"


def _read_response(sock: socket.socket, buffer: bytearray, head_only: bool = False
                   ) -> tuple[int, dict[str, str], bytes]:
    while b"\r\n\r\n" not in buffer:
        chunk = sock.recv(65536)
        assert chunk, "the server closed the connection mid-response"
        buffer += chunk
    end = buffer.index(b"\r\n\r\n") + 4
    lines = bytes(buffer[:end]).decode("latin-1").split("\r\n")
    del buffer[:end]
    status = int(lines[0].split()[1])
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:]
                                                    if line)}
    length = 0 if head_only or status in (100, 304) else int(headers["content-length"])
    while len(buffer) < length:
        chunk = sock.recv(65536)
        assert chunk, "the server closed the connection mid-body"
        buffer += chunk
    body = bytes(buffer[:length])
    del buffer[:length]
    return status, headers, body


def test_responses_complete_in_order_on_one_connection(served: Server) -> None:
    base = served.settings.base_path
    doc = f"{base}doc/person/sergey-lavrov"
    request = (f"GET {doc} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/turtle\r\n\r\n").encode()
    with socket.create_connection((served.settings.host, served.settings.port),
                                  timeout=WAIT_S) as sock:
        buffer = bytearray()
        sock.sendall(request)
        status, headers, body = _read_response(sock, buffer)
        assert status == 200 and b"sergey-lavrov" in body
        assert int(headers["content-length"]) == len(body)
        # Twice more, the second time kept: the same bytes.
        sock.sendall(request)
        assert _read_response(sock, buffer)[2] == body

        sock.sendall(request.replace(b"GET ", b"HEAD ", 1))
        status, head_headers, _ = _read_response(sock, buffer, head_only=True)
        assert status == 200 and head_headers["etag"] == headers["etag"]

        conditional = request.replace(
            b"\r\n\r\n", f"\r\nIf-None-Match: {headers['etag']}\r\n\r\n".encode())
        sock.sendall(conditional)
        assert _read_response(sock, buffer)[0] == 304

        # Pipelined: three requests in one write, three answers in order.
        void = f"GET {base}void HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/turtle\r\n\r\n"
        sock.sendall(request + void.encode() + request)
        first, second, third = (_read_response(sock, buffer) for _ in range(3))
        assert first[2] == body and third[2] == body and second[0] == 200
        assert b"void:" in second[2] or b"Dataset" in second[2]

        # Expect: 100-continue: the interim answer comes before the body is sent.
        data = body
        sock.sendall((f"POST {base}validate HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                      f"Content-Type: text/turtle\r\nAccept: application/json\r\n"
                      f"Content-Length: {len(data)}\r\nExpect: 100-continue\r\n\r\n").encode())
        assert _read_response(sock, buffer, head_only=True)[0] == 100
        sock.sendall(data)
        status, _, report = _read_response(sock, buffer)
        assert status == 200 and b"conforms" in report


def _exchange(server: Server, raw: bytes, head_only: bool = False
              ) -> tuple[int, dict[str, str], bytes]:
    with socket.create_connection((server.settings.host, server.settings.port),
                                  timeout=WAIT_S) as sock:
        sock.sendall(raw)
        return _read_response(sock, bytearray(), head_only)


def test_kept_answers_are_counted_logged_and_close_when_asked(served: Server) -> None:
    """A kept answer written by the server's protocol (no ASGI) is the same answer,
    counted in /metrics and logged like any other, and honours Connection: close."""
    base = served.settings.base_path
    path = f"{base}doc/person/sergey-lavrov"
    accept = "text/turtle;q=0.9, */*;q=0.1"  # a variant no other test asks for
    get = (f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: {accept}\r\n"
           "User-Agent: kept-answer-test\r\n\r\n").encode()

    def not_modified_count() -> float:
        metrics = _exchange(served, f"GET {base}metrics HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        return sum(float(line.rsplit(" ", 1)[1]) for line in metrics[2].decode().splitlines()
                   if line.startswith("publisher_http_requests_total{")
                   and 'status="304"' in line and 'route="doc"' in line)  # under any base

    before = not_modified_count()
    first = _exchange(served, get)  # through the application, then kept
    second = _exchange(served, get)  # written by the protocol
    assert first[0] == second[0] == 200 and first[2] == second[2]
    assert {k: v for k, v in first[1].items() if k != "date"} == {
        k: v for k, v in second[1].items() if k != "date"}
    etag = second[1]["etag"]
    conditional = get.replace(b"\r\n\r\n", f"\r\nIf-None-Match: {etag}\r\n\r\n".encode())
    status, headers, body = _exchange(served, conditional)
    assert status == 304 and body == b"" and headers["etag"] == etag
    assert not_modified_count() == before + 1

    with socket.create_connection((served.settings.host, served.settings.port),
                                  timeout=WAIT_S) as sock:
        sock.sendall(get.replace(b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n"))
        buffer = bytearray()
        status, headers, body = _read_response(sock, buffer)
        assert status == 200 and body == first[2] and headers["connection"] == "close"
        sock.settimeout(WAIT_S)
        assert sock.recv(1) == b""  # and the server closed the connection

    deadline = time.monotonic() + WAIT_S
    while True:
        lines = [json.loads(line) for line in served.log.read_text().splitlines()
                 if '"kept-answer-test"' in line]
        if len(lines) >= 4 or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert [(line["status"], line["path"]) for line in lines] == [
        (200, path), (200, path), (304, path), (200, path)]
    assert all(line["build"] and line["method"] == "GET" for line in lines)
    assert lines[1]["bytes"] == len(first[2]) and lines[2]["bytes"] == 0
