"""Query worker processes: where every query runs, so that a timeout really stops it.

pyoxigraph cannot interrupt a running query, and a thread cannot be killed, so each
query runs in a worker *process* that opened the store read-only. The web process sends
a job over a socket pair and reads the serialized result back in framed chunks, which
keeps memory flat (a worker blocks while the client is slow to read). At the deadline
the worker is SIGKILLed, which stops its CPU work at once, and a fresh worker replaces it.

Two lanes keep cheap queries prompt while expensive ones run: ``size`` workers form the
fast lane. A query still running after ``SLOW_AFTER_S`` moves its worker to the slow lane
(at most ``slow_lane`` of them) and a replacement joins the fast lane, so the next cheap
query does not wait behind it. Workers run with a lower CPU priority than the web process,
so the HTTP side stays responsive while they burn cores.

Workers start from a ``forkserver`` that has pyoxigraph preloaded, so a replacement is
ready in milliseconds. When no SERVICE endpoint is allowed, each worker also drops into an
empty network namespace (Linux), so even a SERVICE clause that slipped past the lexical
gate (:mod:`.analysis`) could not open a connection.

Frame format on the socket: one kind byte, a 4-byte big-endian length, the payload.
Kinds: ``R`` ready (worker -> web), ``J`` job (web -> worker, JSON), ``D`` data, ``E``
error (JSON status and message), ``C`` cut by the row cap (JSON rows), ``Z`` done (JSON
rows). ``T`` is never sent: the web side synthesises it when it killed a worker on time.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import ctypes
import json
import logging
import multiprocessing
import multiprocessing.forkserver
import os
import signal
import socket
import struct
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pyoxigraph as ox

from ..formats import ALL_FORMATS, Format
from .results import ChunkSink, fits, result_kind, write_result

log = logging.getLogger(__name__)

HEADER = struct.Struct("!cI")
READY, JOB, DATA, ERROR, CUT, DONE, TIMEOUT = b"R", b"J", b"D", b"E", b"C", b"Z", b"T"
#: A query running longer than this is moved to the slow lane.
SLOW_AFTER_S = 0.5
#: How long a new worker may take to say it is ready.
SPAWN_TIMEOUT_S = 30.0
#: A result up to this size is buffered and sent with a definite status and length.
PREFIX_BYTES = 256 * 1024
#: Added to the workers' nice value: the web process keeps priority over queries.
WORKER_NICENESS = 5

_FORMATS_BY_NAME = {fmt.name: fmt for fmt in ALL_FORMATS}


# --- worker side -------------------------------------------------------------------------

def _send(sock: socket.socket, kind: bytes, payload: bytes = b"") -> None:
    sock.sendall(HEADER.pack(kind, len(payload)) + payload)


def _recv_exact(sock: socket.socket, size: int) -> bytes:
    data = bytearray()
    while len(data) < size:
        part = sock.recv(size - len(data))
        if not part:
            raise EOFError
        data += part
    return bytes(data)


def _die_with_parent() -> None:
    """PR_SET_PDEATHSIG: if the process that forked us dies, so do we (Linux only)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL, 0, 0, 0)


def drop_network() -> bool:
    """Move this process into an empty network namespace; True when it worked.

    As root CLONE_NEWNET alone suffices; otherwise an unprivileged user namespace is
    needed too. Either must happen while the process is still single-threaded.
    """
    clone_newnet, clone_newuser = 0x40000000, 0x10000000
    try:
        libc = ctypes.CDLL(None, use_errno=True)
    except OSError:
        return False
    for flags in (clone_newnet, clone_newuser | clone_newnet):
        if libc.unshare(flags) == 0:
            return True
    return False


def worker_main(sock: socket.socket, isolate_network: bool) -> None:
    """Entry point of a worker process: answer jobs until the web process hangs up."""
    _die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the web process's to handle
    isolated = drop_network() if isolate_network else False
    with contextlib.suppress(OSError):
        os.nice(WORKER_NICENESS)
    _send(sock, READY, json.dumps({"pid": os.getpid(), "isolated": isolated}).encode())
    stores: dict[str, ox.Store] = {}
    while True:
        try:
            kind, size = HEADER.unpack(_recv_exact(sock, HEADER.size))
            payload = _recv_exact(sock, size)
        except (EOFError, OSError):
            return
        if kind == JOB:
            run_job(sock, json.loads(payload), stores)


def _error(sock: socket.socket, status: int, message: str) -> None:
    _send(sock, ERROR, json.dumps({"status": status, "message": message}).encode())


def _open(stores: dict[str, ox.Store], path: str) -> ox.Store:
    store = stores.get(path)
    if store is None:
        stores.clear()  # a new build was swapped in: let the old one go
        store = stores[path] = ox.Store.read_only(path)
    return store


def query_options(job: dict[str, Any]) -> dict[str, Any]:
    """pyoxigraph options for the dataset a job asks for (see docs/sparql.md)."""
    if job.get("default_graph") is not None or job.get("named_graphs") is not None:
        return {
            "default_graph": [ox.NamedNode(iri) for iri in job.get("default_graph") or []],
            "named_graphs": [ox.NamedNode(iri) for iri in job.get("named_graphs") or []],
        }
    if job.get("union", True):
        return {"use_default_graph_as_union": True}
    return {}


def run_job(sock: socket.socket, job: dict[str, Any], stores: dict[str, ox.Store]) -> None:
    fmt: Format = _FORMATS_BY_NAME[job["format"]]
    try:
        store = _open(stores, job["store"])
        result = store.query(job["query"], **query_options(job))
    except SyntaxError as error:
        return _error(sock, 400, f"SPARQL syntax error: {error}")
    except ValueError as error:
        return _error(sock, 400, f"invalid request: {error}")
    except OSError as error:
        return _error(sock, 500, f"store error: {error}")
    except RuntimeError as error:
        return _error(sock, 400, f"query evaluation failed: {error}")
    kind = result_kind(result)
    if not fits(kind, fmt):
        return _error(sock, 406, f"a {kind} result cannot be written as {fmt.media_type}")
    sink = ChunkSink(lambda data: _send(sock, DATA, data))
    try:
        outcome = write_result(result, fmt, sink, int(job["max_rows"]))
    except OSError as error:
        return _error(sock, 500, f"store error: {error}")
    except (RuntimeError, ValueError, TypeError) as error:
        return _error(sock, 400, f"query evaluation failed: {error}")
    _send(sock, CUT if outcome.cut else DONE, json.dumps({"rows": outcome.rows}).encode())


# --- web side ----------------------------------------------------------------------------

class PoolBusy(RuntimeError):
    """No worker became free before the request's deadline."""


class PoolClosed(RuntimeError):
    """The pool was shut down while a request waited for a worker."""


async def _read_frame(reader: asyncio.StreamReader) -> tuple[bytes, bytes]:
    kind, size = HEADER.unpack(await reader.readexactly(HEADER.size))
    return kind, (await reader.readexactly(size) if size else b"")


class Worker:
    """The web process's handle on one worker process."""

    def __init__(self, process: Any, reader: asyncio.StreamReader,
                 writer: asyncio.StreamWriter, pid: int, isolated: bool) -> None:
        self.process = process
        self.reader = reader
        self.writer = writer
        self.pid = pid
        self.isolated = isolated
        self.slow = False
        self.busy = False
        self.dead = False
        self.timers: list[asyncio.TimerHandle] = []

    @property
    def usable(self) -> bool:
        """False once the process is gone (killed, crashed, OOM-killed while idle)."""
        return not (self.dead or self.reader.at_eof() or self.writer.is_closing())

    def cancel_timers(self) -> None:
        for timer in self.timers:
            timer.cancel()
        self.timers.clear()

    def kill(self) -> None:
        """SIGKILL now: the only way to stop a query pyoxigraph is in the middle of."""
        if not self.dead:
            self.dead = True
            with contextlib.suppress(ProcessLookupError, OSError):
                os.kill(self.pid, signal.SIGKILL)
            self.writer.close()


class QueryPool:
    """Worker processes with a fast and a slow lane; see the module docstring."""

    def __init__(self, size: int, slow_lane: int, *, isolate_network: bool) -> None:
        self.size = size
        self.slow_lane = slow_lane
        self.isolate_network = isolate_network
        self._workers: set[Worker] = set()
        self._idle: list[Worker] = []
        self._waiters: collections.deque[asyncio.Future[Worker]] = collections.deque()
        self._starting = 0
        self._closed = False
        self._tasks: set[asyncio.Future[Any]] = set()
        self._ctx = _context()

    # -- membership

    @property
    def workers(self) -> list[Worker]:
        return list(self._workers)

    def _fast_count(self) -> int:
        return self._starting + sum(1 for w in self._workers if not w.slow)

    def start(self) -> None:
        self._maybe_spawn()

    def _background(self, awaitable: Any) -> None:
        task = asyncio.ensure_future(awaitable)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _maybe_spawn(self) -> None:
        while not self._closed and self._fast_count() < self.size:
            self._starting += 1
            self._background(self._spawn())

    async def _spawn(self) -> None:
        process = None
        parent_sock, child_sock = socket.socketpair()
        try:
            process = self._ctx.Process(
                target=worker_main, args=(child_sock, self.isolate_network),
                name="sparql-worker", daemon=True,
            )
            await asyncio.to_thread(process.start)
            child_sock.close()
            reader, writer = await asyncio.open_connection(sock=parent_sock)
            kind, payload = await asyncio.wait_for(_read_frame(reader), SPAWN_TIMEOUT_S)
            if kind != READY:
                raise RuntimeError(f"unexpected frame {kind!r} from a new worker")
            hello = json.loads(payload)
        except Exception:
            log.exception("could not start a SPARQL query worker; retrying in 1 s")
            child_sock.close()
            parent_sock.close()
            if process is not None and process.pid is not None:
                with contextlib.suppress(OSError):
                    process.kill()
            self._starting -= 1
            await asyncio.sleep(1.0)
            self._maybe_spawn()
            return
        self._starting -= 1
        if self.isolate_network and not hello["isolated"]:
            log.warning("SPARQL worker %s could not drop network access; SERVICE stays "
                        "refused by the query check alone", hello["pid"])
        worker = Worker(process, reader, writer, hello["pid"], hello["isolated"])
        if self._closed:
            self._discard(worker)
            return
        self._workers.add(worker)
        self._make_available(worker)

    def _make_available(self, worker: Worker) -> None:
        if not worker.usable:
            self._discard(worker)
            self._maybe_spawn()
            return
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(worker)
                return
        self._idle.append(worker)

    def _discard(self, worker: Worker) -> None:
        """Kill a worker and reap it in the background."""
        worker.cancel_timers()
        worker.kill()
        self._workers.discard(worker)
        with contextlib.suppress(ValueError):
            self._idle.remove(worker)
        if worker.process is not None:
            self._background(asyncio.to_thread(worker.process.join, 10))

    def _retire(self, worker: Worker) -> None:
        """Let a surplus worker go: closing its socket makes it exit on its own."""
        self._workers.discard(worker)
        worker.dead = True
        worker.writer.close()

        async def reap() -> None:
            await asyncio.to_thread(worker.process.join, 5)
            if worker.process.is_alive():
                worker.process.kill()
                await asyncio.to_thread(worker.process.join, 5)

        self._background(reap())

    # -- acquiring and releasing

    async def _acquire(self, deadline: float) -> Worker:
        while self._idle:
            worker = self._idle.pop()
            if worker.usable:
                return worker
            self._discard(worker)  # died while idle: replace it
            self._maybe_spawn()
        if self._closed:
            raise PoolClosed("the query pool is shut down")
        self._maybe_spawn()
        waiter: asyncio.Future[Worker] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            async with asyncio.timeout_at(deadline):
                return await waiter
        except BaseException as error:
            if waiter.done() and not waiter.cancelled() and waiter.exception() is None:
                # A worker was handed over just as this request gave up: pass it on.
                self._make_available(waiter.result())
            else:
                waiter.cancel()
            if isinstance(error, TimeoutError):
                raise PoolBusy("all query workers stayed busy until the deadline") from None
            raise

    def _release(self, worker: Worker, reusable: bool) -> None:
        worker.cancel_timers()
        worker.busy = False
        if not reusable or worker.dead or self._closed:
            self._discard(worker)
            self._maybe_spawn()
            return
        worker.slow = False
        if self._fast_count() > self.size:
            self._retire(worker)
        else:
            self._make_available(worker)

    def _mark_slow(self, worker: Worker) -> None:
        if worker.busy and not worker.slow and not worker.dead:
            if sum(1 for w in self._workers if w.slow) < self.slow_lane:
                worker.slow = True
                self._maybe_spawn()

    async def execute(self, job: dict[str, Any], deadline: float) -> Execution:
        """Start ``job`` on a worker; the deadline covers waiting for one too.

        A worker found dead when the job is handed over is replaced and the job goes to
        another one, so a worker lost while idle never costs a client an error.
        """
        loop = asyncio.get_running_loop()
        payload = json.dumps(job).encode()
        while True:
            worker = await self._acquire(deadline)
            execution = Execution(self, worker)
            worker.busy = True
            worker.timers.append(loop.call_at(deadline, execution.expire))
            worker.timers.append(loop.call_later(SLOW_AFTER_S, self._mark_slow, worker))
            try:
                worker.writer.write(HEADER.pack(JOB, len(payload)) + payload)
                await worker.writer.drain()
            except (ConnectionError, OSError):
                execution.abort()
                continue
            except BaseException:
                execution.abort()
                raise
            return execution

    async def close(self) -> None:
        self._closed = True
        for waiter in self._waiters:
            if not waiter.done():
                waiter.set_exception(PoolClosed("the query pool is shut down"))
        self._waiters.clear()
        for worker in list(self._workers):
            self._discard(worker)
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)


class Execution:
    """One job on one worker: frames in, then the worker goes back or is killed."""

    def __init__(self, pool: QueryPool, worker: Worker) -> None:
        self.pool = pool
        self.worker = worker
        self.finished = False
        self.timed_out = False

    def expire(self) -> None:
        """The deadline passed: kill the worker now; reading then sees the end."""
        if not self.finished:
            self.timed_out = True
            self.worker.kill()

    def _finish(self, reusable: bool) -> None:
        if not self.finished:
            self.finished = True
            self.pool._release(self.worker, reusable)

    def abort(self) -> None:
        """The client went away or the request failed: stop the work, whatever it was."""
        self._finish(reusable=False)

    async def next_frame(self) -> tuple[bytes, bytes]:
        if self.finished:
            raise RuntimeError("execution already finished")
        try:
            kind, payload = await _read_frame(self.worker.reader)
        except (asyncio.IncompleteReadError, ConnectionError, OSError):
            self._finish(reusable=False)
            if self.timed_out:
                return TIMEOUT, b""
            message = "the query worker crashed (out of memory?); nothing more is known"
            return ERROR, json.dumps({"status": 500, "message": message}).encode()
        except BaseException:
            self.abort()
            raise
        if kind in (ERROR, CUT, DONE):
            self._finish(reusable=True)
        return kind, payload


# --- assembling an answer ----------------------------------------------------------------

@dataclass(frozen=True)
class Failure:
    """The query failed, or was cut, before anything was sent: answer with ``status``."""

    status: int
    message: str


@dataclass(frozen=True)
class Complete:
    """The whole (small) result, sent with 200 and a Content-Length."""

    body: bytes
    rows: int


@dataclass
class Streaming:
    """A large result: ``head`` is buffered, the rest follows from ``execution``."""

    head: list[bytes]
    execution: Execution


Answer = Failure | Complete | Streaming


def timeout_message(timeout_s: float) -> str:
    return (f"query timed out: it ran longer than this endpoint's limit of {timeout_s:g} s "
            "and was stopped")


def cut_message(max_rows: int) -> str:
    return (f"result truncated: the query returns more than this endpoint's limit of "
            f"{max_rows} rows (or triples); add LIMIT/OFFSET to page through it")


async def collect(execution: Execution, *, timeout_s: float, max_rows: int,
                  prefix_bytes: int = PREFIX_BYTES) -> Answer:
    """Read until the result is complete, failed, or larger than ``prefix_bytes``.

    Only in the last case does the response start before the outcome is known; every
    other outcome gets a status code that tells the truth.
    """
    head: list[bytes] = []
    size = 0
    try:
        while True:
            kind, payload = await execution.next_frame()
            if kind == DATA:
                head.append(payload)
                size += len(payload)
                if size >= prefix_bytes:
                    return Streaming(head, execution)
            elif kind == DONE:
                return Complete(b"".join(head), json.loads(payload)["rows"])
            elif kind == CUT:
                return Failure(422, cut_message(max_rows))
            elif kind == TIMEOUT:
                return Failure(503, timeout_message(timeout_s))
            elif kind == ERROR:
                error = json.loads(payload)
                return Failure(int(error["status"]), error["message"])
            else:
                execution.abort()
                return Failure(500, f"unexpected frame {kind!r} from a query worker")
    except BaseException:
        execution.abort()
        raise


async def stream_rest(streaming: Streaming, *, timeout_s: float,
                      max_rows: int) -> AsyncIterator[tuple[bytes, str | None]]:
    """Yield ``(chunk, None)`` pieces; a final ``(b"", message)`` when the result was cut.

    Whatever ends the iteration early (client gone, cancellation), the worker is killed
    so that no work goes on for nobody.
    """
    execution = streaming.execution
    try:
        for chunk in streaming.head:
            yield chunk, None
        streaming.head = []
        while True:
            kind, payload = await execution.next_frame()
            if kind == DATA:
                yield payload, None
            elif kind == DONE:
                return
            elif kind == CUT:
                yield b"", cut_message(max_rows)
                return
            elif kind == TIMEOUT:
                yield b"", timeout_message(timeout_s)
                return
            else:
                message = json.loads(payload)["message"] if kind == ERROR else repr(kind)
                yield b"", f"query failed while streaming: {message}"
                return
    finally:
        execution.abort()


def _context() -> Any:
    """forkserver with pyoxigraph preloaded (fast replacements); spawn where unavailable.

    The forkserver is one per process and shared with other features (the validation
    service preloads its own worker), so this module is added to the preload list rather
    than replacing it; the list only counts until the forkserver starts.
    """
    try:
        ctx = multiprocessing.get_context("forkserver")
    except ValueError:
        return multiprocessing.get_context("spawn")
    server = multiprocessing.forkserver._forkserver  # type: ignore[attr-defined]
    current = list(getattr(server, "_preload_modules", None) or [])
    if __name__ not in current:
        ctx.set_forkserver_preload([*current, __name__])
    return ctx
