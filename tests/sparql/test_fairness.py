"""Fair scheduling: cheap queries keep their lane; one client cannot take the heavy one.

Every signal here is an event, never a duration: the heavy queries could run for a
minute (their deadline), so "the cheap answer arrived while every heavy request was
still open" can only be false if the cheap query waited for them.
"""

from __future__ import annotations

import asyncio
import os
import signal
import uuid
from collections.abc import Iterator

import pytest
import uvicorn

from publisher.cli import main
from publisher.settings import Settings
from publisher.sparql.scheduling import FairQueue, LongQueries, Usage, client_key

from .inprocess import InProcessServer, running, wait_until

#: Never finishes on the test store (3,800 triples cubed): it runs until its deadline.
HEAVY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


def heavy(tag: object) -> str:
    """A heavy query no earlier test sent (so nothing is known about it yet)."""
    return f"{HEAVY} # {tag} {uuid.uuid4()}"


def cheap() -> str:
    return f"ASK {{ ?s ?p ?o }} # {uuid.uuid4()}"


@pytest.fixture
def server(build_settings: Settings) -> Iterator[InProcessServer]:
    """Defaults but a one-minute timeout: two cheap workers, two heavy places, one spare,
    one heavy query per client."""
    settings = build_settings.model_copy(update={"sparql_timeout_s": 60.0})
    with running(settings) as live:
        yield live


def lanes(server: InProcessServer) -> tuple[int, int]:
    return server.pool_state(lambda pool: (pool.heavy_running(), pool.heavy_waiting()))


def test_cheap_query_is_answered_while_heavy_queries_fill_the_heavy_lane(
        server: InProcessServer) -> None:
    """Issue 16, problem 4: eight clients sending heavy queries left a cheap one waiting
    ~10 s and then 503. Now the heavy ones fill the heavy lane and queue for it, and the
    cheap lane stays free."""
    clients = [f"127.0.0.{i}" for i in range(2, 10)]
    places = server.settings.sparql_workers
    pending = [server.query_later(heavy(source), source=source) for source in clients]
    wait_until(lambda: lanes(server) == (places, len(clients) - places),
               f"{places} heavy queries running and {len(clients) - places} waiting")

    answer = server.query(cheap())

    assert answer.status_code == 200, answer.text
    assert answer.json()["boolean"] is True
    assert not any(request.done() for request in pending)  # all still running or waiting
    assert lanes(server) == (places, len(clients) - places)


def test_a_client_at_its_cap_of_heavy_queries_gets_429(server: InProcessServer) -> None:
    first = server.query_later(heavy("first"), source="127.0.0.2")
    wait_until(lambda: lanes(server) == (1, 0), "the first heavy query in the heavy lane")

    second_query = heavy("second")
    second = server.query(second_query, source="127.0.0.2")

    assert second.status_code == 429, second.text
    assert int(second.headers["Retry-After"]) >= 1
    assert "too many long queries from this client" in second.text
    assert "allows 1 per client" in second.text
    # The same query again is known to be heavy: refused at once, not run again.
    assert server.query(second_query, source="127.0.0.2").status_code == 429
    assert server.pool_state(lambda pool: pool.heavy_running()) == 1
    # Another client is not held back by the first one's cap.
    other = server.query_later(heavy("other"), source="127.0.0.3")
    wait_until(lambda: lanes(server) == (2, 0), "the other client's heavy query running")
    assert not first.done() and not other.done()


@pytest.mark.parametrize("trusted", [False, True])
def test_a_forwarded_header_names_the_client_only_from_a_trusted_proxy(
        build_settings: Settings, trusted: bool) -> None:
    """Untrusted, ``X-Forwarded-For`` is ignored: two "different" forwarded clients from
    one peer are one client (429). From a trusted proxy they are two (both run)."""
    settings = build_settings.model_copy(update={
        "sparql_timeout_s": 60.0, "trusted_proxies": ["127.0.0.1"] if trusted else []})
    with running(settings) as live:
        first = live.query_later(heavy("a"), headers={"X-Forwarded-For": "192.0.2.1"})
        wait_until(lambda: lanes(live) == (1, 0), "the first heavy query running")
        if trusted:
            second = live.query_later(heavy("b"), headers={"X-Forwarded-For": "192.0.2.2"})
            wait_until(lambda: lanes(live) == (2, 0), "both forwarded clients running")
            assert not first.done() and not second.done()
        else:
            refused = live.query(heavy("b"), headers={"X-Forwarded-For": "192.0.2.2"})
            assert refused.status_code == 429, refused.text


def test_a_heavy_query_that_finds_the_heavy_lane_full_waits_and_runs_there(
        build_settings: Settings) -> None:
    """It leaves the cheap lane (restarted later in the heavy one), and when a heavy
    place frees it runs to its own end: here, its deadline."""
    settings = build_settings.model_copy(update={"sparql_timeout_s": 60.0,
                                                 "sparql_workers": 1})
    with running(settings) as live:
        live.query_later(heavy("holder"), source="127.0.0.2")
        wait_until(lambda: lanes(live) == (1, 0), "one heavy query holds the heavy lane")
        queued = live.query_later(heavy("queued"), source="127.0.0.3")
        wait_until(lambda: lanes(live) == (1, 1), "the second waits for the heavy lane")
        assert live.query(cheap()).status_code == 200  # the cheap lane is free
        # End the holder: its worker is killed from outside; the queued one takes over.
        holder = live.pool_state(lambda pool: [w.pid for w in pool.workers if w.slow])
        os.kill(holder[0], signal.SIGKILL)
        wait_until(lambda: lanes(live) == (1, 0), "the queued query runs in the heavy lane")
        assert not queued.done()


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGKILL])
def test_a_query_whose_worker_is_stopped_from_outside_is_a_503(
        build_settings: Settings, stop: signal.Signals) -> None:
    """A worker terminated under a running query (a server shutting down signals its
    process group; the OOM killer) is not the query's fault nor a server bug: 503 with
    a Retry-After, never a 500; and the endpoint still answers."""
    settings = build_settings.model_copy(update={"sparql_timeout_s": 60.0})
    with running(settings) as live:
        running_query = live.query_later(heavy("stopped"), source="127.0.0.2")
        wait_until(lambda: lanes(live) == (1, 0), "the heavy query running")
        worker = live.pool_state(lambda pool: [w.pid for w in pool.workers if w.slow])
        os.kill(worker[0], stop)
        response = running_query.result(30)
        assert response.status_code == 503, response.text
        assert "stopped from outside" in response.text
        assert response.headers.get("Retry-After")
        assert live.query(cheap()).status_code == 200


# --- the parts, without a server ---------------------------------------------------------

@pytest.mark.parametrize("client,key", [
    (("203.0.113.7", 5000), "203.0.113.7"),
    (("2001:db8:1:2:3:4:5:6", 5000), "2001:db8:1:2::/64"),
    (("2001:db8:1:2:ffff::1", 5000), "2001:db8:1:2::/64"),  # same /64, same client
    (("::ffff:198.51.100.1", 5000), "198.51.100.1"),
    (("testclient", 50000), "testclient"),
    (None, ""),
])
def test_client_key(client: tuple[str, int] | None, key: str) -> None:
    assert client_key({"client": client}) == key


def test_fair_queue_serves_the_least_loaded_client_first() -> None:
    async def run() -> list[str]:
        loop = asyncio.get_running_loop()
        queue: FairQueue[str] = FairQueue()
        for client in ["busy", "busy", "newcomer", "busy"]:
            queue.add(loop.create_future(), client)
        load = {"busy": 12.0, "newcomer": 0.0}
        order = []
        while (waiter := queue.pop(load.__getitem__)) is not None:
            order.append(waiter.client)
        return order

    assert asyncio.run(run()) == ["newcomer", "busy", "busy", "busy"]


def test_usage_fades() -> None:
    now = [0.0]
    usage = Usage(half_life_s=60.0, clock=lambda: now[0])
    usage.add("a", 10.0)
    now[0] = 60.0
    assert usage.of("a") == pytest.approx(5.0)
    assert usage.of("b") == 0.0


def test_long_queries_remembers_the_last_ones() -> None:
    seen = LongQueries(size=2)
    for key in (b"1", b"2", b"3"):
        seen.add(key)
    assert b"1" not in seen and b"2" in seen and b"3" in seen


def test_publisher_serve_trusts_forwarded_headers_only_from_configured_proxies(
        monkeypatch: pytest.MonkeyPatch, build_settings: Settings) -> None:
    # serve exports every setting for uvicorn's workers; let monkeypatch restore them all.
    for name in [n for n in os.environ if n.startswith("PUBLISHER_")] + [
            f"PUBLISHER_{field.upper()}" for field in Settings.model_fields]:
        monkeypatch.delenv(name, raising=False)
    seen: dict[str, object] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kwargs: seen.update(kwargs))
    serve = ["serve", "--store-dir", str(build_settings.store_dir),
             "--base", build_settings.base]
    assert main(serve) == 0
    assert seen["proxy_headers"] is False  # not even from 127.0.0.1, uvicorn's default
    monkeypatch.setenv("PUBLISHER_TRUSTED_PROXIES", "127.0.0.1, 10.0.0.0/8")
    assert main(serve) == 0
    assert seen["proxy_headers"] is True
    assert seen["forwarded_allow_ips"] == ["127.0.0.1", "10.0.0.0/8"]
