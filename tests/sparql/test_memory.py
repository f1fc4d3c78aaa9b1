"""Memory limits of the query workers (issue 16, problem 1).

Peaks are read from the kernel (``VmHWM`` in /proc, the most a process ever held
resident) while the query runs, not inferred from time.
"""

from __future__ import annotations

import asyncio
import uuid

from publisher.settings import Settings
from publisher.sparql import workers

from ..peaks import child_peaks, status_mib
from .conftest import BIG, GENERATED, alive
from .inprocess import running, wait_until

#: Two unbound triple patterns nested in OPTIONAL: the inner group is a cartesian product
#: (3,800 x 300 rows) that Oxigraph materialises for the outer join: 885 MiB without a
#: limit, though LIMIT 1 asks for one row (issue 16: 3.8 GiB on the shipped data).
NESTED_OPTIONAL = ("SELECT * WHERE { ?s2 ?p2 ?o2 . OPTIONAL { ?s1 ?p1 ?o1 . "
                   f"OPTIONAL {{ GRAPH <{BIG}> {{ ?s0 ?p0 ?o0 }} }} }} }} LIMIT 1")
#: A set of 900,000 distinct pairs: ~190 MiB at its peak, of which its worker kept 168
#: MiB after answering (glibc keeps freed memory in its arenas), and it completes.
DISTINCT_PAIRS = (f"SELECT (COUNT(*) AS ?n) WHERE {{ SELECT DISTINCT ?a ?b WHERE {{ "
                  f"GRAPH <{GENERATED}> {{ ?a ?p ?x }} GRAPH <{BIG}> {{ ?b ?q ?y }} }} }}")
#: What a process may hold resident beyond its data limit: file-backed pages (Python,
#: pyoxigraph's library, the store's files), which RLIMIT_DATA does not count.
FILE_BACKED_MIB = 64


def test_a_query_over_the_memory_limit_is_stopped_with_422_and_its_worker_replaced(
        build_settings: Settings) -> None:
    limit = 512
    settings = build_settings.model_copy(update={
        "sparql_timeout_s": 120.0, "sparql_worker_memory_mb": limit})
    with running(settings) as server:
        before = set(server.pool_state(lambda pool: [w.pid for w in pool.workers]))
        with child_peaks() as peaks:
            answer = server.query(NESTED_OPTIONAL)
        assert answer.status_code == 422, answer.text
        assert "needed more memory than this endpoint allows one query (512 MiB)" \
            in answer.text
        assert max(peaks.values()) <= limit + FILE_BACKED_MIB, peaks
        # Only the worker that ran it was replaced, and the endpoint answers.
        died = {pid for pid in before if not alive(pid)}
        assert len(died) == 1
        wait_until(lambda: server.pool_state(lambda pool: len(pool.workers) == 3),
                   "the pool back at two cheap workers and a spare")
        assert before - died <= set(server.pool_state(lambda pool: [w.pid for w in
                                                                     pool.workers]))
        assert server.query(f"ASK {{ ?s ?p ?o }} # {uuid.uuid4()}").json()["boolean"]


def _with_pool(recycle_mb: int, body: object) -> None:
    """One cheap worker and a spare: a query that turns heavy hands its place to the spare
    and its worker becomes the spare when done, so that worker stays to be looked at."""

    async def run() -> None:
        pool = workers.QueryPool(1, 1, isolate_network=True, spares=1,
                                 recycle_mb=recycle_mb)
        pool.start()
        try:
            await body(pool)  # type: ignore[operator]
        finally:
            await pool.close()

    asyncio.run(run())


async def _answer(pool: workers.QueryPool, query: str,
                  store: str) -> tuple[workers.Answer, int]:
    loop = asyncio.get_running_loop()
    job = {"query": query, "store": store, "format": "json", "max_rows": 10}
    execution = await pool.execute(job, loop.time() + 120)
    answer = await workers.collect(execution, timeout_s=120, max_rows=10)
    assert execution.worker is not None
    return answer, execution.worker.pid


async def _settled(pool: workers.QueryPool, count: int) -> list[int]:
    for _ in range(6000):
        if len(pool.workers) == count and not pool._starting and pool._idle:
            return [w.pid for w in pool.workers]
        await asyncio.sleep(0.01)
    raise AssertionError("the pool never settled")


def test_no_worker_keeps_a_large_query_s_memory_once_it_is_done(
        build_settings: Settings) -> None:
    """Issue 16: a worker kept 3.8 GB after answering. Now, after a query, a worker
    holds at most ``recycle_mb`` resident: freed memory is given back, or it goes."""
    store = str(build_settings.store_dir.resolve())
    recycle = 100

    async def body(pool: workers.QueryPool) -> None:
        await _settled(pool, 2)
        answer, pid = await _answer(pool, DISTINCT_PAIRS, store)
        assert isinstance(answer, workers.Complete), answer
        assert b'"900000"' in answer.body
        after = await _settled(pool, 2)
        for worker in after:
            assert status_mib(worker, "VmRSS") <= recycle, worker
        if pid in after:  # kept: its peak was far above, its memory was given back
            assert status_mib(pid, "VmHWM") > recycle

    _with_pool(recycle, body)


def test_a_worker_still_above_the_threshold_after_a_query_is_replaced(
        build_settings: Settings) -> None:
    """With the threshold below what any worker holds, every query retires its worker."""
    store = str(build_settings.store_dir.resolve())

    async def body(pool: workers.QueryPool) -> None:
        await _settled(pool, 2)
        answer, pid = await _answer(pool, "ASK { ?s ?p ?o }", store)
        assert isinstance(answer, workers.Complete)
        assert pid not in await _settled(pool, 2)

    _with_pool(1, body)
