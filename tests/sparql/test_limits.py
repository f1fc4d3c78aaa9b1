"""The bounds: timeout that really stops the work, row cap, SERVICE gate, flat memory."""

from __future__ import annotations

import asyncio
import http.server
import json
import os
import signal
import socket
import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from publisher.settings import Settings
from publisher.sparql import workers

from .conftest import (
    BIG,
    GENERATED,
    Server,
    _stat,
    alive,
    descendants,
    start_server,
    stop_server,
)
from .inprocess import wait_until

CARTESIAN = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


# --- timeout -----------------------------------------------------------------------------

def query_workers(server: Server) -> set[int]:
    """Live query workers of ``server``: the forkserver's children, not its own."""
    return {pid for pid in descendants(server.pid)
            if alive(pid) and (fields := _stat(pid)) and int(fields[1]) != server.pid}


def test_timeout_stops_the_query_and_other_requests_are_served(server: Server) -> None:
    timeout = server.settings.sparql_timeout_s
    before = query_workers(server)
    with ThreadPoolExecutor(1) as background:
        expensive = background.submit(httpx.post, server.url, data={"query": CARTESIAN},
                                      timeout=60)
        # A query text no earlier test sent, so no cached answer can stand in for a worker.
        cheap = httpx.get(server.url, params={"query": f"ASK {{ ?s ?p ?o }} # {uuid.uuid4()}"},
                          timeout=30)
        assert cheap.status_code == 200 and cheap.json()["boolean"] is True
        assert not expensive.done()  # the cheap one did not wait for it
        response = expensive.result()
    assert response.status_code == 503
    assert "timed out" in response.text and f"{timeout:g} s" in response.text

    # The work really stopped: the worker that ran it was killed, and only that one ...
    dead = wait_until(lambda: {pid for pid in before if not alive(pid)},
                      "the worker running the timed-out query is killed")
    assert len(dead) == 1
    # ... and a fresh worker replaced it; the endpoint still answers.
    wait_until(lambda: len(query_workers(server)) >= len(before), "a replacement worker")
    after = httpx.get(server.url, params={"query": f"ASK {{ ?s ?p ?o }} # {uuid.uuid4()}"},
                      timeout=30)
    assert after.json()["boolean"] is True


def test_client_going_away_stops_the_query(open_server: Server) -> None:
    """A client that hangs up must not leave a worker computing (or waiting) for nobody.

    The stream is gigabytes and the deadline a minute away, so nothing but the hang-up
    can end the worker that serves it before the condition below gives up.
    """
    big_stream = f"SELECT * WHERE {{ GRAPH <{BIG}> {{ ?a ?b ?c }} ?d ?e ?f }}"
    before = query_workers(open_server)
    with httpx.Client(timeout=30) as client:
        with client.stream("POST", open_server.url, data={"query": big_stream},
                           headers={"Accept-Encoding": "identity"}) as response:
            assert response.status_code == 200
            received = 0
            for chunk in response.iter_raw():
                received += len(chunk)
                if received > 2_000_000:  # past the buffered prefix: streaming
                    break
    # The stream is served by one of the workers idle before it (a worker started since
    # is the replacement for the one that turned heavy, not the one streaming).
    wait_until(lambda: not all(alive(pid) for pid in before),
               "the worker serving the abandoned stream is killed", bound_s=30)


def test_workers_lost_while_idle_are_replaced(server: Server) -> None:
    """An OOM-killed (here: SIGKILLed) idle worker must not cost a client an error."""
    workers_now = query_workers(server)
    assert workers_now
    for pid in workers_now:
        os.kill(pid, signal.SIGKILL)
    wait_until(lambda: not any(alive(pid) for pid in workers_now), "the workers are dead")
    wait_until(lambda: len(query_workers(server)) >= len(workers_now),
               "the pool replaced them")
    for _ in range(3):
        response = httpx.get(server.url, params={"query": f"ASK {{}} # {uuid.uuid4()}"},
                             timeout=30)
        assert response.status_code == 200, response.text


# --- row cap -----------------------------------------------------------------------------

def test_small_result_over_the_row_cap_is_an_error_status(client: httpx.Client,
                                                          server: Server) -> None:
    query = f"SELECT ?s WHERE {{ GRAPH <{GENERATED}> {{ ?s ?p ?o }} }}"  # 3000 short rows
    response = client.get(server.url, params={"query": query})
    assert response.status_code == 422
    assert "1000 rows" in response.text and "LIMIT" in response.text
    within = client.get(server.url, params={"query": query + " LIMIT 1000"})
    assert within.status_code == 200
    assert len(within.json()["results"]["bindings"]) == 1000


LARGE = (f"SELECT ?o ?n WHERE {{ GRAPH <{BIG}> {{ ?b ?p ?o }} "
         f"GRAPH <{GENERATED}> {{ ?x ?q ?n }} }}")  # 900 000 rows of 2 KB


@pytest.mark.parametrize("fmt", ["json", "xml", "csv", "tsv"])
def test_streamed_result_cut_by_the_row_cap_cannot_pass_for_complete(
        server: Server, fmt: str) -> None:
    """Past the buffered prefix the status is sent; the cut shows in-band and in HTTP."""
    body = bytearray()
    with httpx.Client(timeout=30) as client:
        with client.stream("GET", server.url, params={"query": LARGE, "format": fmt},
                           headers={"Accept-Encoding": "identity"}) as response:
            assert response.status_code == 200
            with pytest.raises(httpx.RemoteProtocolError):  # no final chunk
                for chunk in response.iter_raw():
                    body += chunk
    tail = bytes(body[-400:]).decode()
    assert "INCOMPLETE RESULT" in tail and "1000 rows" in tail
    if fmt == "json":
        with pytest.raises(json.JSONDecodeError):
            json.loads(body)
    elif fmt == "xml":
        import xml.etree.ElementTree as ET

        with pytest.raises(ET.ParseError):
            ET.fromstring(bytes(body))
    else:
        assert tail.rstrip("\n").splitlines()[-1].startswith('"INCOMPLETE')  # unterminated


def test_construct_over_the_row_cap_is_an_error_status(client: httpx.Client,
                                                       server: Server) -> None:
    query = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{GENERATED}> {{ ?s ?p ?o }} }}"
    response = client.get(server.url, params={"query": query})
    assert response.status_code == 422
    assert "1000 rows (or triples)" in response.text


def test_deadline_reached_while_streaming_is_marked(server: Server) -> None:
    """A slow reader: the deadline passes mid-stream, the worker is killed, the end says so."""
    wide = (f"SELECT ?n (CONCAT(?o, ?o, ?o, ?o, ?o, ?o, ?o, ?o, ?o, ?o) AS ?wide) WHERE {{ "
            f"GRAPH <{BIG}> {{ ?b ?p ?o }} GRAPH <{GENERATED}> {{ ?x ?q ?n }} }}")  # 20 MB
    before = query_workers(server)
    body = bytearray()
    with httpx.Client(timeout=30) as client:
        with client.stream("GET", server.url, params={"query": wide},
                           headers={"Accept-Encoding": "identity"}) as response:
            assert response.status_code == 200
            chunks = response.iter_raw()
            body += next(chunks)
            # Read nothing more until the deadline has killed the worker writing it.
            # One of the workers idle before it writes the stream (one started since
            # replaces the worker that turned heavy).
            wait_until(lambda: not all(alive(pid) for pid in before),
                       "the deadline kills the worker of the unread stream")
            with pytest.raises(httpx.RemoteProtocolError):
                for chunk in chunks:
                    body += chunk
    assert len(body) < 20_000_000
    tail = bytes(body[-300:]).decode()
    assert "INCOMPLETE RESULT: query timed out" in tail
    with pytest.raises(json.JSONDecodeError):
        json.loads(body)


# --- SERVICE -----------------------------------------------------------------------------

class Listener:
    """A TCP listener on 127.0.0.1 that records every connection it receives."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self._stop = False
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop:
            try:
                conn, _ = self.sock.accept()
            except (TimeoutError, OSError):
                continue
            self.connections += 1
            conn.close()

    def settle(self) -> int:
        """Every connection ever made, the backlog's too: the count once stopped.

        Called after the answer: a connection the server made for the query would have
        been made before it answered, so it is in the backlog if not yet accepted.
        """
        self._stop = True
        self._thread.join()
        self.sock.setblocking(False)
        while True:
            try:
                conn, _ = self.sock.accept()
            except (BlockingIOError, OSError):
                return self.connections
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self._stop = True
        self._thread.join()
        self.sock.close()


@pytest.fixture
def listener() -> Iterator[Listener]:
    running = Listener()
    yield running
    running.close()


@pytest.mark.parametrize("template", [
    "SELECT * WHERE {{ SERVICE <http://127.0.0.1:{port}/sparql> {{ ?s ?p ?o }} }}",
    "select * where {{ service silent <http://127.0.0.1:{port}/sparql> {{ ?s ?p ?o }} }}",
    "PREFIX r: <http://127.0.0.1:{port}/> SELECT * WHERE {{ SERVICE r:sparql {{ ?s ?p ?o }} }}",
    "BASE <http://127.0.0.1:{port}/> SELECT * WHERE {{ SERVICE <sparql> {{ ?s ?p ?o }} }}",
    "SELECT * WHERE {{ BIND(<http://127.0.0.1:{port}/> AS ?u) SERVICE ?u {{ ?s ?p ?o }} }}",
    "ASK {{ SERVICE <http://127.0.0.1:{port}/\\u0073parql> {{ ?s ?p ?o }} }}",
])
def test_service_is_refused_and_nothing_is_fetched(client: httpx.Client, server: Server,
                                                   listener: Listener, template: str) -> None:
    query = template.format(port=listener.port)
    response = client.post(server.url, data={"query": query})
    assert response.status_code == 403
    assert "SERVICE" in response.text and "not allowed" in response.text
    assert listener.settle() == 0


def test_workers_cannot_open_connections_even_past_the_gate(listener: Listener,
                                                            build_settings: Settings) -> None:
    """Defence in depth: a query that reached a worker still cannot call out."""
    store_path = str(build_settings.store_dir.resolve())

    async def run() -> tuple[workers.Answer, list[bool]]:
        pool = workers.QueryPool(1, 1, isolate_network=True)
        pool.start()
        try:
            loop = asyncio.get_running_loop()
            target = f"http://127.0.0.1:{listener.port}/"
            query = f"SELECT * WHERE {{ SERVICE <{target}> {{ ?s ?p ?o }} }}"
            job = {"query": query, "store": store_path, "format": "json", "max_rows": 10}
            execution = await pool.execute(job, loop.time() + 20)
            answer = await workers.collect(execution, timeout_s=20, max_rows=10)
            return answer, [w.isolated for w in pool.workers]
        finally:
            await pool.close()

    answer, isolated = asyncio.run(run())
    if not all(isolated):
        pytest.skip("this kernel does not allow network namespaces")
    assert isinstance(answer, workers.Failure)
    assert listener.settle() == 0


# --- an operator's allow-list, and memory under a large stream ---------------------------

class FakeEndpoint(http.server.BaseHTTPRequestHandler):
    """A remote SPARQL endpoint answering every query with one binding."""

    hits: list[str] = []

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        length = int(self.headers.get("content-length", 0))
        FakeEndpoint.hits.append(self.rfile.read(length).decode())
        body = json.dumps({"head": {"vars": ["s"]}, "results": {"bindings": [
            {"s": {"type": "uri", "value": "http://remote.example/thing"}}]}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/sparql-results+json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST  # noqa: N815

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def remote() -> Iterator[str]:
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), FakeEndpoint)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/sparql"
    httpd.shutdown()


@pytest.fixture(scope="module")
def open_server(build_settings: Settings, remote: str,
                tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """Generous limits and one allowed SERVICE endpoint."""
    log = tmp_path_factory.mktemp("logs-open") / "uvicorn.log"
    running = start_server(build_settings, log, sparql_timeout_s=60.0,
                           sparql_max_rows=10_000_000, service_allowlist=[remote])
    yield running
    stop_server(running)


def test_allowed_service_is_called(open_server: Server, remote: str,
                                   listener: Listener) -> None:
    query = f"SELECT ?s WHERE {{ SERVICE <{remote}> {{ ?s ?p ?o }} }}"
    response = httpx.post(open_server.url, data={"query": query}, timeout=30)
    assert response.status_code == 200, response.text
    assert response.json()["results"]["bindings"] == [
        {"s": {"type": "uri", "value": "http://remote.example/thing"}}]
    assert FakeEndpoint.hits
    other = f"SELECT * WHERE {{ SERVICE <http://127.0.0.1:{listener.port}/> {{ ?s ?p ?o }} }}"
    refused = httpx.post(open_server.url, data={"query": other}, timeout=30)
    assert refused.status_code == 403
    assert listener.settle() == 0
    description = httpx.get(open_server.url, timeout=30).text
    assert "BasicFederatedQuery" in description


def _rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def test_memory_stays_flat_while_streaming_a_large_result(open_server: Server) -> None:
    query = LARGE + " LIMIT 100000"  # about 200 MB of SPARQL JSON
    baseline: dict[int, float] = {}
    peak: dict[int, float] = {}

    def sample() -> None:
        for pid in descendants(open_server.pid) | {open_server.pid}:
            if alive(pid):
                rss = _rss_mib(pid)
                baseline.setdefault(pid, rss)
                peak[pid] = max(peak.get(pid, 0.0), rss)

    sample()
    received = 0
    with httpx.Client(timeout=60) as client:
        with client.stream("POST", open_server.url, data={"query": query},
                           headers={"Accept-Encoding": "identity"}) as response:
            assert response.status_code == 200
            for index, chunk in enumerate(response.iter_raw()):
                received += len(chunk)
                if index % 200 == 0:
                    sample()
    assert received > 150 * 1024 * 1024
    growth = {pid: peak[pid] - baseline[pid] for pid in peak}
    assert max(growth.values()) < 60, growth  # MiB, against ~200 MiB streamed
