"""The spare worker: a query turning long hands its fast-lane place over without a spawn.

Why it matters: a long query streaming a large result must not make the server start a
process (the benchmark's memory target counts the whole process tree), and a cheap query
arriving meanwhile must find a worker at once rather than wait for one to start.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from publisher.settings import Settings
from publisher.sparql import workers

from .conftest import BIG

#: 300 literals of 2 KB times 300: far more than the worker's socket buffers hold, so a
#: worker whose reader pauses blocks mid-result and is still busy after SLOW_AFTER_S.
LONG = f"SELECT * WHERE {{ GRAPH <{BIG}> {{ ?a ?b ?c }} GRAPH <{BIG}> {{ ?d ?e ?f }} }}"


async def _until(condition: Callable[[], object]) -> None:
    for _ in range(6000):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the condition never became true")


async def _settled(pool: workers.QueryPool, count: int) -> None:
    for _ in range(600):
        if len(pool.workers) == count and not pool._starting:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"pool did not settle at {count} workers: {len(pool.workers)}")


def test_long_query_hands_over_to_the_spare_and_becomes_the_spare(
        build_settings: Settings) -> None:
    store = str(build_settings.store_dir.resolve())

    async def run() -> None:
        pool = workers.QueryPool(1, 1, isolate_network=True, spares=1)
        pool.start()
        try:
            await _settled(pool, 2)
            before = {w.pid for w in pool.workers}
            assert sum(w.standby for w in pool.workers) == 1
            loop = asyncio.get_running_loop()
            job = {"store": store, "format": "tsv", "max_rows": 10**6}
            long = await pool.execute({**job, "query": LONG}, loop.time() + 60)
            # Read nothing: the worker fills the socket and blocks, so it turns slow.
            await _until(lambda: long.worker.slow)
            cheap = await pool.execute({**job, "query": "ASK {}"}, loop.time() + 5)
            assert cheap.worker.pid != long.worker.pid
            answer = await workers.collect(cheap, timeout_s=5, max_rows=10)
            assert isinstance(answer, workers.Complete)
            assert answer.body.strip().endswith(b"true")
            assert {w.pid for w in pool.workers} == before  # no process was started

            first = await workers.collect(long, timeout_s=60, max_rows=10**6)
            assert isinstance(first, workers.Streaming)
            rows = 0
            async for chunk, cut in workers.stream_rest(first, timeout_s=60,
                                                        max_rows=10**6):
                assert cut is None
                rows += chunk.count(b"\n")
            assert rows == 300 * 300 + 1  # header line
            await _settled(pool, 2)
            assert {w.pid for w in pool.workers} == before  # the slow one is the spare now
            assert [w.standby for w in pool.workers if w.pid == long.worker.pid] == [True]
        finally:
            await pool.close()

    asyncio.run(run())


def test_without_spares_a_long_query_starts_a_replacement(build_settings: Settings) -> None:
    """The previous behaviour stays available (``SPARQL_SPARE_WORKERS=0``)."""
    store = str(build_settings.store_dir.resolve())

    async def run() -> None:
        pool = workers.QueryPool(1, 1, isolate_network=True, spares=0)
        pool.start()
        try:
            await _settled(pool, 1)
            loop = asyncio.get_running_loop()
            job = {"store": store, "format": "tsv", "max_rows": 10**6, "query": LONG}
            long = await pool.execute(job, loop.time() + 60)
            await _settled(pool, 2)  # the slow one plus a fresh fast worker
            long.abort()
            await _settled(pool, 1)
        finally:
            await pool.close()

    asyncio.run(run())
