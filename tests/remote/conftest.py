"""Datasets and a misbehaving fake store for the remote-store tests.

The real engines (``oxigraph_engine``, ``virtuoso_engine``) come from tests/conftest.py,
one of each per session. Each test module works under its own base IRI, so the loads of
one module never count as "our graphs" for another.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pyoxigraph as ox
import pytest

XSD = "http://www.w3.org/2001/XMLSchema#"


def dataset(base: str, version: int, graphs: int = 3, per_graph: int = 5) -> list[ox.Quad]:
    """A small build: a default graph, ``graphs`` source graphs with blank nodes and every
    kind of literal, and a blank node shared by two graphs. ``version`` changes counts."""
    trig = [f"@base <{base}> .",
            "@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .",
            "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .",
            f'<id/graph/g0> rdfs:comment "described in the default graph, v{version}" .']
    for g in range(graphs):
        lines = [f"<id/graph/g{g}> {{"]
        for i in range(per_graph + version):
            lines.append(f'<id/thing/t{g}-{i}> rdfs:label "thing {g}-{i} v{version}"@en ;'
                         f' <p/date> "2024-07-{10 + i % 20:02d}"^^xsd:date ;'
                         f' <p/int> {i} ; <p/when> "2025-07-10T18:00:00+08:00"^^xsd:dateTime ;'
                         f' <p/part> [ <p/role> "role {i}" ] .')
        lines.append("}")
        trig += lines
    quads = list(ox.parse("\n".join(trig), format=ox.RdfFormat.TRIG))
    shared = ox.BlankNode()
    quads.append(ox.Quad(ox.NamedNode(base + "id/thing/shared"), ox.NamedNode(base + "p/x"),
                         shared, ox.NamedNode(base + "id/graph/g0")))
    quads.append(ox.Quad(shared, ox.NamedNode(base + "p/y"), ox.Literal("shared"),
                         ox.NamedNode(base + "id/graph/g1")))
    return quads


def counts(quads: list[ox.Quad]) -> dict[str, int]:
    result: dict[str, int] = {}
    for quad in quads:
        name = quad.graph_name
        key = name.value if isinstance(name, ox.NamedNode) else ""
        result[key] = result.get(key, 0) + 1
    return result


# --- a fake store for the failures real engines cannot be made to show on demand -------

CANCELLED_BODY_START = (b'{"head":{"vars":["s"]},"results":{"bindings":['
                        b'{"s":{"type":"uri","value":"http://a/1"}},'
                        b'{"s":{"type":"uri","value":"http://a/2"}},{"s":{"ty')


class FakeStore(BaseHTTPRequestHandler):
    """Answers by path: ``/cancelled``, ``/reset``, ``/trickle``, ``/silent``,
    ``/virtuoso-timeout``, ``/no-permission``, ``/syntax``, ``/busy``, ``/ok``."""

    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:  # keep the test output clean
        pass

    def do_POST(self) -> None:  # noqa: N802
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        getattr(self, "_" + self.path.strip("/").replace("-", "_"))()

    def _send_chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def _start(self, status: int = 200, content_type: str = "application/sparql-results+json",
               length: int | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        if length is None:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Content-Length", str(length))
        self.end_headers()

    def _text(self, status: int, text: bytes) -> None:
        self._start(status, "text/plain", len(text))
        self.wfile.write(text)

    def _ok(self) -> None:
        body = b'{"head":{"vars":["s"]},"results":{"bindings":[{"s":{"type":"uri","value":"http://a/1"}}]}}'
        self._start(length=len(body))
        self.wfile.write(body)

    def _cancelled(self) -> None:
        # What the Oxigraph server sends on its own timeout: a cut body, the message,
        # and a *clean* end of the chunked transfer.
        self._start()
        self._send_chunk(CANCELLED_BODY_START)
        self._send_chunk(b"The SPARQL operation has been cancelled")
        self._send_chunk(b"")

    def _reset(self) -> None:
        self._start(length=100_000)
        self.wfile.write(CANCELLED_BODY_START)
        self.wfile.flush()
        self.connection.shutdown(socket.SHUT_RDWR)  # short of its Content-Length
        self.close_connection = True

    def _trickle(self) -> None:
        self._start()
        self._send_chunk(b'{"head":{"vars":["s"]},"results":{"bindings":[')
        try:
            for _ in range(400):  # bounded: 20 s at most
                time.sleep(0.05)
                self._send_chunk(b" ")
        except OSError:
            pass

    def _silent(self) -> None:
        for _ in range(400):  # bounded: 20 s at most, or until the client goes
            time.sleep(0.05)
            try:
                if self.connection.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b"":
                    return
            except BlockingIOError:
                pass

    def _virtuoso_timeout(self) -> None:
        self._text(500, b"Virtuoso S1T00 Error SR171: Transaction timed out\n\nSPARQL query:\n...")

    def _no_permission(self) -> None:
        self._text(500, b"Virtuoso 42000 Error SR186:SECURITY: No permission to execute "
                        b"procedure DB.DBA.SPARUL_RUN with user ID 107, group ID 107")

    def _syntax(self) -> None:
        self._text(400, b"Virtuoso 37000 Error SP030: SPARQL compiler, line 1: syntax error")

    def _busy(self) -> None:
        self._text(503, b"overloaded")


@pytest.fixture(scope="session")
def fake_store() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeStore)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
