"""Blue/green loads on real engines: readers see the old build or the new one, never a
mixture, and a failed load leaves the served data as it was."""

from __future__ import annotations

import threading
from collections.abc import Iterable

import pyoxigraph as ox
import pytest

from publisher.remote.load import STAGING_PREFIX, LoadFailed, SlotLoader, graph_store_stager

from .conftest import counts, dataset
from .helpers import Remote, client_for, remote_for

BASE = "http://load.test/"


def named(quads: list[ox.Quad]) -> list[str]:
    return sorted(g for g in counts(quads) if g)


def union_total(remote: Remote, quads: list[ox.Quad]) -> int:
    rows = remote.select_union("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", named(quads))
    return int(rows[0]["n"].value)


def staging_left(remote: Remote) -> list[str]:
    rows = remote.client.select("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } "
                                f'FILTER(STRSTARTS(STR(?g), "{STAGING_PREFIX}")) }}')
    return [row["g"].value for row in rows]


def live_counts(remote: Remote, quads: list[ox.Quad]) -> dict[str, int]:
    return remote.loader.counts(named(quads))


@pytest.fixture(params=["bulk", "update"])
def virtuoso(request: pytest.FixtureRequest, virtuoso_engine) -> Remote:  # noqa: ANN001
    """Virtuoso through its bulk loader (isql) or through SPARQL Update."""
    base = f"{BASE}{request.param}/"
    return remote_for(virtuoso_engine, base, "default" if request.param == "bulk" else "update")


def base_of(remote: Remote) -> str:
    return remote.loader.base


def test_loads_replace_the_dataset_and_drop_what_is_gone(virtuoso: Remote) -> None:
    base = base_of(virtuoso)
    previous: list[str] = []
    for version, graphs in ((1, 3), (2, 4), (3, 2)):
        quads = dataset(base, version, graphs=graphs)
        report = virtuoso.loader.load(quads, f"build-{version}", counts(quads), previous)
        assert union_total(virtuoso, quads) == len(quads)
        assert live_counts(virtuoso, quads) == {g: n for g, n in counts(quads).items() if g}
        previous = named(quads)
    assert report.dropped == [base + "id/graph/g2", base + "id/graph/g3"]
    assert staging_left(virtuoso) == []
    # The default graph's triples are in the stand-in graph, seen only through the union.
    assert union_total(virtuoso, quads) == sum(counts(quads).values())


def _failing_after(stager, keep: int):  # noqa: ANN001, ANN202
    def stage(quads: Iterable[ox.Quad]) -> None:
        stager(list(quads)[:keep])
        raise OSError("disk full (simulated) while loading")

    return stage


def test_failed_load_leaves_the_served_data_untouched(virtuoso: Remote) -> None:
    base = base_of(virtuoso)
    live = dataset(base, 1)
    virtuoso.loader.load(live, "live", counts(live))
    virtuoso.loader.stager = _failing_after(virtuoso.loader.stager, keep=20)
    new = dataset(base, 5, graphs=5)
    with pytest.raises(LoadFailed) as caught:
        virtuoso.loader.load(new, "doomed", counts(new), named(live))
    assert "disk full" in caught.value.message
    assert union_total(virtuoso, live) == len(live)
    assert live_counts(virtuoso, live) == {g: n for g, n in counts(live).items() if g}
    assert staging_left(virtuoso) == []


def test_a_store_that_lost_triples_fails_verification(virtuoso: Remote) -> None:
    base = base_of(virtuoso)
    live = dataset(base, 1)
    virtuoso.loader.load(live, "live", counts(live))
    stager = virtuoso.loader.stager
    virtuoso.loader.stager = lambda quads: stager(list(quads)[1:])
    new = dataset(base, 2)
    with pytest.raises(LoadFailed) as caught:
        virtuoso.loader.load(new, "short", counts(new), named(live))
    assert caught.value.stage == "verify"
    assert union_total(virtuoso, live) == len(live)
    assert staging_left(virtuoso) == []


def test_readers_see_the_old_build_or_the_new_one_never_both(virtuoso_engine) -> None:  # noqa: ANN001
    """Three readers count the dataset while a larger build is loaded and switched in."""
    remote = remote_for(virtuoso_engine, BASE + "switch/")
    old = dataset(remote.loader.base, 1, graphs=8, per_graph=40)
    new = dataset(remote.loader.base, 30, graphs=8, per_graph=40)
    assert named(old) == named(new)
    remote.loader.load(old, "old", counts(old))
    seen: list[int] = []
    done = threading.Event()

    def reader() -> None:
        client = client_for(virtuoso_engine)
        dataset_ = remote.loader.dialect.union_dataset(named(old))
        assert dataset_ is not None
        while not done.is_set() or not seen:
            rows = client.select("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
                                 default_graphs=dataset_[0], named_graphs=dataset_[1])
            seen.append(int(rows[0]["n"].value))
            if len(seen) > 5000:
                break

    threads = [threading.Thread(target=reader) for _ in range(3)]
    for thread in threads:
        thread.start()
    try:
        remote.loader.load(new, "new", counts(new), named(old))
    finally:
        done.set()
        for thread in threads:
            thread.join(timeout=60)
    assert set(seen) <= {len(old), len(new)}, sorted(set(seen))
    assert seen[0] == len(old) and len(new) in seen


# --- whole-store slots: the Oxigraph server answering "all graphs" itself -------------------

@pytest.fixture(scope="module")
def second_oxigraph(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    from bench.engines import OxigraphEngine

    with OxigraphEngine(tmp_path_factory.mktemp("oxigraph-slot-b")) as engine:
        yield engine


def test_slots_load_the_idle_store_and_never_touch_the_live_one(
        oxigraph_engine, second_oxigraph) -> None:  # noqa: ANN001
    engines = {e.query_url: e for e in (oxigraph_engine, second_oxigraph)}
    clients = {url: client_for(e) for url, e in engines.items()}
    loader = SlotLoader({url: (c, graph_store_stager(c)) for url, c in clients.items()})
    v1 = dataset(BASE + "slots/", 1)
    first, _ = loader.load(v1, "v1", counts(v1), live=None)
    v2 = dataset(BASE + "slots/", 2, graphs=4)
    second, report = loader.load(v2, "v2", counts(v2), live=first)
    assert second != first
    total = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    assert int(clients[first].select(total)[0]["n"].value) == len(v1)
    assert int(clients[second].select(total)[0]["n"].value) == len(v2)
    assert report.timings["total"] >= 0

    # A failed load goes to the idle slot (the one holding v1): v2 keeps being served.
    failing = {url: (c, _failing_after(graph_store_stager(c), keep=5))
               for url, c in clients.items()}
    with pytest.raises(LoadFailed):
        SlotLoader(failing).load(dataset(BASE + "slots/", 3), "v3", counts(v1), live=second)
    assert int(clients[second].select(total)[0]["n"].value) == len(v2)


# --- which slot a replica reads: its own addresses, the build's slot ----------------------

def test_a_replica_reads_the_recorded_slot_under_its_own_address() -> None:
    from publisher.settings import Settings
    from publisher.store.opening import store_url_of

    here = Settings(store_url="http://a:7878/query,http://b:7878/query")
    there = Settings(store_url="http://db1.internal/query,http://db2.internal/query")
    one = Settings(store_url="http://readonly.internal/query")
    loaded_b = {"kind": "remote", "query_url": "http://b:7878/query", "slot": 1, "slots": 2}
    assert store_url_of(here, loaded_b) == "http://b:7878/query"
    assert store_url_of(there, loaded_b) == "http://db2.internal/query"
    # One store: the reader's own address (a read-only copy, another host name).
    single = {"kind": "remote", "query_url": "http://a:7878/query", "slot": 0, "slots": 1}
    assert store_url_of(one, single) == "http://readonly.internal/query"
    # A reader configuring fewer slots than the build used reads where it was loaded.
    assert store_url_of(one, loaded_b) == "http://b:7878/query"
