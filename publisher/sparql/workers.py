"""Query worker processes: where every query runs, so that a timeout really stops it.

pyoxigraph cannot interrupt a running query, and a thread cannot be killed, so each
query runs in a worker *process* that opened the store read-only. The web process sends
a job over a socket pair and reads the serialized result back in framed chunks, which
keeps memory flat (a worker blocks while the client is slow to read). At the deadline
the worker is SIGKILLed, which stops its CPU work at once, and a fresh worker replaces it.

Two lanes keep cheap queries prompt while expensive ones run: ``size`` workers form the
fast lane. A query still running after ``slow_after_s`` moves its worker to the slow lane
(at most ``slow_lane`` of them) and a replacement joins the fast lane, so the next cheap
query does not wait behind it. The replacement is a ``spares`` worker started beforehand
and kept idle on standby: the handover costs no process start, the process tree does not
grow while a long query streams, and when the slow worker is done it becomes the standby
(its store cache warm) instead of being retired. Workers run with a lower CPU priority
than the web process, so the HTTP side stays responsive while they burn cores.

Workers start from a ``forkserver`` that has pyoxigraph preloaded, so a replacement is
ready in milliseconds. When no SERVICE endpoint is allowed, each worker also drops into an
empty network namespace (Linux), so even a SERVICE clause that slipped past the lexical
gate (:mod:`.analysis`) could not open a connection.

Frame format on the socket: one kind byte, a 4-byte big-endian length, the payload.
Kinds: ``R`` ready (worker -> web), ``J`` job (web -> worker: JSON settings, a newline,
the query), ``D`` data, ``E`` error (JSON status and message), ``C`` cut by the row cap
(JSON rows), ``Z`` done (JSON rows, null after pyoxigraph's own serializer). ``T`` is
never sent: the web side synthesises it when it killed a worker on time. A worker writes
a small answer's frames at once; the web side parses frames as bytes arrive
(:class:`Channel`), so such an answer costs each side one read and one write.
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

from ..builds import StoreUnavailable
from ..formats import ALL_FORMATS, Format
from ..formats.results import (
    CHUNK_BYTES,
    ChunkSink,
    fits,
    result_kind,
    serialize_native,
    write_result,
)
from ..process import die_with_parent
from ..store import QueryDataset
from ..store.embedded import EmbeddedStore

log = logging.getLogger(__name__)

HEADER = struct.Struct("!cI")
READY, JOB, DATA, ERROR, CUT, DONE, TIMEOUT = b"R", b"J", b"D", b"E", b"C", b"Z", b"T"
#: A query running longer than this is moved to the slow lane (the default of
#: ``settings.sparql_slow_after_s``, which the endpoint passes to its pool).
SLOW_AFTER_S = 0.5
#: How long a new worker may take to say it is ready.
SPAWN_TIMEOUT_S = 30.0
#: A result up to this size is buffered and sent with a definite status and length.
PREFIX_BYTES = 1024 * 1024
#: A SELECT result is first serialized by pyoxigraph, held in the worker up to this size
#: (see :func:`.results.serialize_native`); a larger one is run again row by row.
NATIVE_HOLD_BYTES = 4 * 1024 * 1024
#: The payload of DONE after a native serialization: the exact row count is not known.
DONE_NATIVE = b'{"rows":null}'
#: Added to the workers' nice value: the web process keeps priority over queries.
WORKER_NICENESS = 5

_FORMATS_BY_NAME = {fmt.name: fmt for fmt in ALL_FORMATS}


# --- worker side -------------------------------------------------------------------------

class FrameWriter:
    """Frames from a worker to the web process, sent with as few ``sendall`` as possible.

    A frame is held back only while less than a chunk is pending, so a small result and
    its final frame leave in one write (one wake-up of the web process), while a large
    one still goes out chunk by chunk and blocks when the client is slow to read.
    """

    def __init__(self, sock: socket.socket, hold_bytes: int = CHUNK_BYTES) -> None:
        self.sock = sock
        self.pending = bytearray()
        self.hold_bytes = hold_bytes

    def frame(self, kind: bytes, payload: bytes = b"", *, final: bool = False) -> None:
        self.pending += HEADER.pack(kind, len(payload))
        self.pending += payload
        if final or len(self.pending) >= self.hold_bytes:
            self.sock.sendall(self.pending)
            self.pending.clear()


def _send(sock: socket.socket, kind: bytes, payload: bytes = b"") -> None:
    sock.sendall(HEADER.pack(kind, len(payload)) + payload)


def _read_exact(stream: Any, size: int) -> bytes:
    data = stream.read(size) if size else b""
    if len(data) < size:
        raise EOFError
    return data


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
    die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the web process's to handle
    isolated = drop_network() if isolate_network else False
    with contextlib.suppress(OSError):
        os.nice(WORKER_NICENESS)
    _send(sock, READY, json.dumps({"pid": os.getpid(), "isolated": isolated}).encode())
    stores: dict[str, EmbeddedStore] = {}
    incoming = sock.makefile("rb", buffering=CHUNK_BYTES)
    out = FrameWriter(sock)
    while True:
        try:
            kind, size = HEADER.unpack(_read_exact(incoming, HEADER.size))
            payload = _read_exact(incoming, size)
        except (EOFError, OSError, ValueError):
            return
        if kind == JOB:
            run_job(out, decode_job(payload), stores)


def encode_job(job: dict[str, Any]) -> bytes:
    """A job as a frame payload: its settings as JSON, a newline, then the query's text.

    The query is most of a job; sending it raw spares escaping it on one side and
    unescaping it on the other.
    """
    settings = {key: value for key, value in job.items() if key != "query"}
    return json.dumps(settings).encode() + b"\n" + job["query"].encode()


def decode_job(payload: bytes) -> dict[str, Any]:
    settings, _, query = payload.partition(b"\n")
    job: dict[str, Any] = json.loads(settings)
    job["query"] = query.decode()
    return job


def _error(out: FrameWriter, status: int, message: str) -> None:
    out.frame(ERROR, json.dumps({"status": status, "message": message}).encode(), final=True)


def _open(stores: dict[str, EmbeddedStore], location: str) -> EmbeddedStore:
    store = stores.get(location)
    if store is None:
        stores.clear()  # a new build was swapped in: let the old one go
        store = stores[location] = EmbeddedStore.open_read_only(location)
    return store


def _query(store: EmbeddedStore, job: dict[str, Any]) -> Any:
    """The job's query over the dataset it asks for (see docs/sparql.md), with relative
    IRIs resolved against the endpoint's IRI."""
    return store.query(job["query"], QueryDataset.from_job(job), base_iri=job.get("base_iri"))


def run_job(out: FrameWriter, job: dict[str, Any], stores: dict[str, EmbeddedStore]) -> None:
    fmt: Format = _FORMATS_BY_NAME[job["format"]]
    try:
        store = _open(stores, job["store"])
        result = _query(store, job)
    except StoreUnavailable as error:
        return _error(out, 503, str(error))
    except SyntaxError as error:
        return _error(out, 400, f"SPARQL syntax error: {error}")
    except ValueError as error:
        return _error(out, 400, f"invalid request: {error}")
    except OSError as error:
        return _error(out, 500, f"store error: {error}")
    except RuntimeError as error:
        return _error(out, 400, f"query evaluation failed: {error}")
    kind = result_kind(result)
    if not fits(kind, fmt):
        return _error(out, 406, f"a {kind} result cannot be written as {fmt.media_type}")
    max_rows = int(job["max_rows"])
    sink = ChunkSink(lambda data: out.frame(DATA, data))
    try:
        if kind == "solutions":
            body = serialize_native(result, fmt, max_rows, NATIVE_HOLD_BYTES)
            if body is not None:
                for start in range(0, len(body), CHUNK_BYTES):
                    out.frame(DATA, body[start:start + CHUNK_BYTES])
                out.frame(DONE, DONE_NATIVE, final=True)
                return None
            # Maybe over the row cap, or large: again, row by row, cut exactly.
            result = _query(store, job)
        outcome = write_result(result, fmt, sink, max_rows)
    except OSError as error:
        return _error(out, 500, f"store error: {error}")
    except (RuntimeError, ValueError, TypeError) as error:
        return _error(out, 400, f"query evaluation failed: {error}")
    out.frame(CUT if outcome.cut else DONE, json.dumps({"rows": outcome.rows}).encode(),
              final=True)


# --- web side ----------------------------------------------------------------------------

class PoolBusy(RuntimeError):
    """No worker became free before the request's deadline."""


class PoolClosed(RuntimeError):
    """The pool was shut down while a request waited for a worker."""


class Channel(asyncio.Protocol):
    """The web process's end of one worker's socket: frames parsed as bytes arrive.

    Cheaper than an ``asyncio.StreamReader`` (two awaits per frame): a small answer comes
    in one read that holds all its frames. Reading pauses while more than ``high_water``
    bytes of frames wait to be consumed (a slow client), so the worker blocks in
    ``sendall`` and memory stays flat.
    """

    def __init__(self, high_water: int = 4 * CHUNK_BYTES) -> None:
        self.transport: asyncio.Transport | None = None
        self.frames: collections.deque[tuple[bytes, bytes]] = collections.deque()
        self.closed = False
        self._buffer = bytearray()
        self._queued = 0
        self._paused = False
        self._high_water = high_water
        self._waiter: asyncio.Future[None] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        buffer = self._buffer
        if buffer:
            buffer += data
            source: bytes | memoryview = memoryview(buffer)
        else:  # the usual case: whole frames, parsed straight from the bytes read
            source = data
        size = len(source)
        position = 0
        while size - position >= HEADER.size:
            kind, length = HEADER.unpack_from(source, position)
            end = position + HEADER.size + length
            if end > size:
                break
            self.frames.append((kind, bytes(source[position + HEADER.size:end])))
            self._queued += length
            position = end
        if isinstance(source, memoryview):
            source.release()
            del buffer[:position]
        elif position < size:
            buffer += data[position:]
        if self._queued > self._high_water and not self._paused and self.transport:
            self._paused = True
            self.transport.pause_reading()
        self._wake()

    def eof_received(self) -> bool:
        self.closed = True
        self._wake()
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self._wake()

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def next_frame(self) -> tuple[bytes, bytes]:
        """The next whole frame; EOFError once the worker is gone and nothing is left."""
        while not self.frames:
            if self.closed:
                raise EOFError
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        kind, payload = self.frames.popleft()
        self._queued -= len(payload)
        if self._paused and self._queued <= self._high_water // 2 and not self.closed:
            self._paused = False
            if self.transport is not None:
                self.transport.resume_reading()
        return kind, payload

    def write(self, data: bytes) -> None:
        if self.transport is None or self.transport.is_closing():
            raise ConnectionError("the worker's socket is closed")
        self.transport.write(data)

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


class Worker:
    """The web process's handle on one worker process."""

    def __init__(self, process: Any, channel: Channel, pid: int, isolated: bool) -> None:
        self.process = process
        self.channel = channel
        self.pid = pid
        self.isolated = isolated
        self.slow = False
        self.standby = False
        self.busy = False
        self.dead = False
        self.timers: list[asyncio.TimerHandle] = []

    @property
    def usable(self) -> bool:
        """False once the process is gone (killed, crashed, OOM-killed while idle)."""
        channel = self.channel
        return not (self.dead or channel.closed or channel.transport is None
                    or channel.transport.is_closing())

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
            self.channel.close()


class QueryPool:
    """Worker processes with a fast and a slow lane; see the module docstring."""

    def __init__(self, size: int, slow_lane: int, *, isolate_network: bool,
                 spares: int = 0, slow_after_s: float = SLOW_AFTER_S) -> None:
        self.size = size
        self.slow_after_s = slow_after_s
        self.slow_lane = slow_lane
        self.spares = min(spares, slow_lane)
        self.isolate_network = isolate_network
        self._workers: set[Worker] = set()
        self._idle: list[Worker] = []
        self._standby: list[Worker] = []
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
        """Fast-lane workers, counting those still starting (they are placed on arrival)."""
        return self._starting + self._fast_ready()

    def _fast_ready(self) -> int:
        return sum(1 for w in self._workers if not w.slow and not w.standby)

    def _wanted(self) -> bool:
        total = self._starting + len(self._workers)
        return self._fast_count() < self.size or total < self.size + self.spares

    def start(self) -> None:
        self._maybe_spawn()

    def _background(self, awaitable: Any) -> None:
        task = asyncio.ensure_future(awaitable)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _maybe_spawn(self) -> None:
        while not self._closed and self._wanted():
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
            channel = Channel()
            await asyncio.get_running_loop().create_connection(lambda: channel,
                                                               sock=parent_sock)
            kind, payload = await asyncio.wait_for(channel.next_frame(), SPAWN_TIMEOUT_S)
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
        worker = Worker(process, channel, hello["pid"], hello["isolated"])
        if self._closed:
            self._discard(worker)
            return
        self._workers.add(worker)
        self._place(worker)

    def _place(self, worker: Worker) -> None:
        """An idle worker joins the fast lane if it is short, else the standby, else goes."""
        worker.standby = False
        if self._fast_ready() - 1 < self.size:  # ``worker`` itself is counted
            self._make_available(worker)
        elif len(self._standby) < self.spares:
            worker.standby = True
            self._standby.append(worker)
        else:
            self._retire(worker)

    def _promote_standby(self) -> None:
        """A worker went slow: the standby takes its place in the fast lane at once."""
        while self._standby:
            worker = self._standby.pop()
            worker.standby = False
            if worker.usable:
                self._make_available(worker)
                return
            self._discard(worker)

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
        for pool in (self._idle, self._standby):
            with contextlib.suppress(ValueError):
                pool.remove(worker)
        if worker.process is not None:
            self._background(asyncio.to_thread(worker.process.join, 10))

    def _retire(self, worker: Worker) -> None:
        """Let a surplus worker go: closing its socket makes it exit on its own."""
        self._workers.discard(worker)
        worker.dead = True
        worker.channel.close()

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
        self._place(worker)

    def _slow(self, worker: Worker, execution: Execution, deadline: float) -> None:
        """Still running after ``slow_after_s``: to the slow lane; now the deadline timer."""
        worker.timers.clear()
        worker.timers.append(asyncio.get_running_loop().call_at(deadline, execution.expire))
        self._mark_slow(worker)

    def _mark_slow(self, worker: Worker) -> None:
        if worker.busy and not worker.slow and not worker.dead:
            if sum(1 for w in self._workers if w.slow) < self.slow_lane:
                worker.slow = True
                self._promote_standby()
                self._maybe_spawn()

    async def execute(self, job: dict[str, Any], deadline: float) -> Execution:
        """Start ``job`` on a worker; the deadline covers waiting for one too.

        A worker found dead when the job is handed over is replaced and the job goes to
        another one, so a worker lost while idle never costs a client an error.
        """
        loop = asyncio.get_running_loop()
        payload = encode_job(job)
        frame = HEADER.pack(JOB, len(payload)) + payload
        while True:
            worker = await self._acquire(deadline)
            execution = Execution(self, worker)
            worker.busy = True
            slow_at = loop.time() + self.slow_after_s
            if slow_at < deadline:
                worker.timers.append(loop.call_at(slow_at, self._slow, worker, execution,
                                                  deadline))
            else:
                worker.timers.append(loop.call_at(deadline, execution.expire))
            try:
                worker.channel.write(frame)
            except (ConnectionError, OSError):
                execution.abort()
                continue
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
            kind, payload = await self.worker.channel.next_frame()
        except (EOFError, ConnectionError, OSError):
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
    rows: int | None  # None: serialized by pyoxigraph, at most the row cap


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
                rows = None if payload == DONE_NATIVE else json.loads(payload)["rows"]
                return Complete(b"".join(head), rows)
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


def preload() -> None:
    """Add this module to the forkserver's preload list, before the forkserver starts."""
    _context()


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
