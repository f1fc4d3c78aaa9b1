"""Query worker processes: where every query runs, so that a timeout really stops it.

pyoxigraph cannot interrupt a running query, and a thread cannot be killed, so each
query runs in a worker *process* that opened the store read-only. The web process sends
a job over a socket pair and reads the serialized result back in framed chunks, which
keeps memory flat (a worker blocks while the client is slow to read). At the deadline
the worker is SIGKILLed, which stops its CPU work at once, and a fresh worker replaces it.

**Memory.** Each worker runs under a memory cap (``memory_mb``, RLIMIT_DATA, see
:func:`publisher.process.limit_memory`): a query that needs more makes its worker's
allocation fail, the worker dies (Rust aborts) or reports MemoryError, the client gets
``422`` saying the query needed too much memory, and a fresh worker replaces that one.
A worker that still holds more than ``recycle_mb`` resident after a job (after giving
freed memory back to the system) says so with a RETIRE frame and is replaced too, so a
worker never sits idle on gigabytes a past query left behind.

**Lanes.** ``size`` workers form the cheap lane, where every query starts. A query still
running after ``slow_after_s`` (``settings.sparql_slow_after_s``) is heavy: its worker
moves to the heavy lane (at most ``slow_lane`` workers) and a ``spares`` worker kept
idle on standby takes its cheap place at once (no process start, and the process tree
does not grow while a long query streams; when the heavy query is done its worker
becomes the standby, its store cache warm). A heavy query never holds a cheap place for
longer than ``slow_after_s``: if the heavy lane is full it is stopped and queued for the
heavy lane, where it starts over (if its answer already started streaming, it is ended
with an in-band error instead). A query seen turning heavy goes to the heavy lane
directly next time (:class:`.scheduling. LongQueries`). Each client may have
``client_heavy_limit`` heavy queries running or waiting; one more is refused
(:class:`ClientLimited`, 429 with ``Retry-After``). Waiting queries are served least
busy client first (:class:`.scheduling.FairQueue`). Workers run with a lower CPU
priority than the web process, so the HTTP side stays responsive.

Workers start from a ``forkserver`` that has pyoxigraph preloaded, so a replacement is
ready in milliseconds. When no SERVICE endpoint is allowed, each worker also drops into an
empty network namespace (Linux), so even a SERVICE clause that slipped past the lexical
gate (:mod:`.analysis`) could not open a connection.

Frame format on the socket: one kind byte, a 4-byte big-endian length, the payload.
Kinds: ``R`` ready (worker -> web), ``J`` job (web -> worker: JSON settings, a newline,
the query), ``D`` data, ``E`` error (JSON status and message), ``C`` cut by the row cap
(JSON rows), ``Z`` done (JSON rows, null after pyoxigraph's own serializer), ``W``
retire me (sent just before the last frame of a job). ``T`` (timed out), ``L`` (client
at its cap, JSON message and retry_after) and ``S`` (restarted in the heavy lane) are
never sent: the web side synthesises them for the reader. A worker writes a small
answer's frames at once; the web side parses frames as bytes arrive (:class:`Channel`),
so such an answer costs each side one read and one write.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import ctypes
import json
import logging
import math
import multiprocessing
import multiprocessing.forkserver
import os
import signal
import socket
import struct
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import pyoxigraph as ox

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
from ..process import (
    OUT_OF_MEMORY_EXIT,
    die_with_parent,
    limit_memory,
    peak_resident_mb,
    release_free_memory,
    resident_mb,
)
from ..remote.client import StoreError
from ..store import QueryDataset, Store
from ..store.opening import open_store_at
from .scheduling import FairQueue, LongQueries, Usage, fingerprint

log = logging.getLogger(__name__)

HEADER = struct.Struct("!cI")
READY, JOB, DATA, ERROR, CUT, DONE, TIMEOUT = b"R", b"J", b"D", b"E", b"C", b"Z", b"T"
RETIRE, LIMITED, RESTART = b"W", b"L", b"S"
#: A query running longer than this in the cheap lane is heavy: it leaves the cheap lane
#: (the default of ``settings.sparql_slow_after_s``, which the endpoint gives its pool).
SLOW_AFTER_S = 0.5
#: The status of a query that needed more memory than a worker may use: a client error
#: (the same query would need as much again), not 5xx that clients and proxies retry.
OUT_OF_MEMORY_STATUS = 422
#: How long to wait for a dead worker's exit status, which says why it died.
EXIT_WAIT_S = 5.0
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


def worker_main(sock: socket.socket, isolate_network: bool, memory_mb: int = 0,
                recycle_mb: int = 0) -> None:
    """Entry point of a worker process: answer jobs until the web process hangs up.

    ``memory_mb`` caps the worker's memory (:func:`publisher.process.limit_memory`);
    after each job, a worker still holding more than ``recycle_mb`` resident (after
    giving freed memory back) says so with a RETIRE frame and is replaced.
    """
    die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the web process's to handle
    isolated = drop_network() if isolate_network else False
    with contextlib.suppress(OSError):
        os.nice(WORKER_NICENESS)
    limited = limit_memory(memory_mb)
    _send(sock, READY, json.dumps({"pid": os.getpid(), "isolated": isolated,
                                   "memory_limited": limited}).encode())
    stores: dict[str, Store] = {}
    incoming = sock.makefile("rb", buffering=CHUNK_BYTES)
    out = FrameWriter(sock)
    while True:
        try:
            kind, size = HEADER.unpack(_read_exact(incoming, HEADER.size))
            payload = _read_exact(incoming, size)
        except (EOFError, OSError, ValueError):
            return
        if kind != JOB:
            continue
        out_of_memory = False
        try:
            final = run_job(out, decode_job(payload), stores)
        except MemoryError:
            # Raised by Python code (the row-by-row writers); the query's memory is
            # released once this handler has dropped the traceback that holds it.
            out_of_memory = True
        if out_of_memory:
            final = (ERROR, json.dumps({"status": OUT_OF_MEMORY_STATUS,
                                        "message": memory_message(memory_mb)}).encode())
        if out_of_memory or _worn_out(recycle_mb):
            out.frame(RETIRE)
        out.frame(*final, final=True)


def _worn_out(recycle_mb: int) -> bool:
    """True when this worker still holds more than ``recycle_mb`` MiB after a job.

    The peak (one getrusage call) rules out almost every job; only after a large one is
    the current size read, freed memory given back, and read again.
    """
    if recycle_mb <= 0 or peak_resident_mb() <= recycle_mb:
        return False
    if resident_mb() <= recycle_mb:
        return False
    release_free_memory()
    return resident_mb() > recycle_mb


def encode_job(job: dict[str, Any]) -> bytes:
    """A job as a frame payload: its settings as JSON, a newline, then the query's text.

    The query is most of a job; sending it raw spares escaping it on one side and
    unescaping it on the other.
    """
    settings = {key: value for key, value in job.items() if key != "query"}
    try:
        key: Any = tuple(settings.items())
        head = _JOB_HEADS.get(key)
    except TypeError:  # a dataset's lists: encoded every time
        key, head = None, None
    if head is None:
        head = json.dumps(settings).encode() + b"\n"
        if key is not None:
            if len(_JOB_HEADS) >= 256:
                _JOB_HEADS.clear()  # builds come and go: start over
            _JOB_HEADS[key] = head
    return head + job["query"].encode()


#: Encoded job settings (store, format, row cap, base IRI): a few combinations serve
#: nearly every query of a build.
_JOB_HEADS: dict[Any, bytes] = {}


def decode_job(payload: bytes) -> dict[str, Any]:
    settings, _, query = payload.partition(b"\n")
    job: dict[str, Any] = json.loads(settings)
    job["query"] = query.decode()
    return job


Final = tuple[bytes, bytes]


def _error(status: int, message: str, retry_after: int | None = None) -> Final:
    error: dict[str, Any] = {"status": status, "message": message}
    if retry_after is not None:
        error["retry_after"] = retry_after
    return ERROR, json.dumps(error).encode()


def _store_error(error: StoreError) -> Final:
    """A remote store's failure, with the status (and Retry-After) it calls for."""
    retry = error.headers.get("Retry-After")
    return _error(error.status, error.message, int(retry) if retry else None)


def _open(stores: dict[str, Store], location: str) -> Store:
    store = stores.get(location)
    if store is None:
        stores.clear()  # a new build was swapped in: let the old one go
        store = stores[location] = open_store_at(location)
    return store


def _query(store: Store, job: dict[str, Any]) -> Any:
    """The job's query over the dataset it asks for (see docs/sparql.md), with relative
    IRIs resolved against the endpoint's IRI."""
    return store.query(job["query"], QueryDataset.from_job(job), base_iri=job.get("base_iri"))


def run_job(out: FrameWriter, job: dict[str, Any], stores: dict[str, Store],
            within_cap: bool = False) -> Final:
    """Run one job, writing its DATA frames; returns the final frame, not yet sent.

    ``within_cap``: the result is known to have at most ``max_rows`` rows (proved by
    :mod:`.inline`), so a SELECT result is written by pyoxigraph in one call, uncounted.
    """
    fmt: Format = _FORMATS_BY_NAME[job["format"]]
    try:
        store = _open(stores, job["store"])
        result = _query(store, job)
    except StoreUnavailable as error:
        return _error(503, str(error))
    except StoreError as error:
        return _store_error(error)
    except SyntaxError as error:
        return _error(400, f"SPARQL syntax error: {error}")
    except ValueError as error:
        return _error(400, f"invalid request: {error}")
    except OSError as error:
        return _error(500, f"store error: {error}")
    except RuntimeError as error:
        return _error(400, f"query evaluation failed: {error}")
    kind = result_kind(result)
    if not fits(kind, fmt):
        return _error(406, f"a {kind} result cannot be written as {fmt.media_type}")
    max_rows = int(job["max_rows"])
    sink = ChunkSink(lambda data: out.frame(DATA, data))
    try:
        native = result if isinstance(result, ox.QuerySolutions) else getattr(
            result, "native", None)  # a remote store's parsed answer, checked as it is read
        if within_cap and native is result and fmt.results is not None:
            out.frame(DATA, result.serialize(format=fmt.results))
            return DONE, DONE_NATIVE
        if native is not None:
            body = serialize_native(native, fmt, max_rows, NATIVE_HOLD_BYTES)
            if native is not result:
                if body is None:
                    result.answer.close()  # too large to hold: dropped, run again below
                else:
                    result.finish()  # complete, or a StoreError (cut, timed out, gone)
            if body is not None:
                for start in range(0, len(body), CHUNK_BYTES):
                    out.frame(DATA, body[start:start + CHUNK_BYTES])
                return DONE, DONE_NATIVE
            # Maybe over the row cap, or large: again, row by row, cut exactly.
            result = _query(store, job)
        outcome = write_result(result, fmt, sink, max_rows)
    except StoreError as error:
        return _store_error(error)
    except OSError as error:
        return _error(500, f"store error: {error}")
    except (RuntimeError, ValueError, TypeError) as error:
        return _error(400, f"query evaluation failed: {error}")
    return (CUT if outcome.cut else DONE), json.dumps({"rows": outcome.rows}).encode()


def memory_message(memory_mb: int) -> str:
    return (f"query stopped: it needed more memory than this endpoint allows one query "
            f"({memory_mb} MiB). Make it more selective (bind a subject, predicate or "
            f"class before the OPTIONAL parts; avoid patterns that share no variable, which "
            f"multiply each other), or run it on a copy of the dataset (dumps/)")


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
        #: Called once the worker's end is gone (it exited, or was killed from outside).
        self.on_lost: Callable[[], None] | None = None

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
        if self.on_lost is not None:
            self.on_lost()

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
        self.slow = False  # in the heavy lane
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
    """Worker processes in a cheap and a heavy lane; see the module docstring.

    ``size`` workers form the cheap lane, at most ``slow_lane`` run heavy queries,
    ``spares`` wait on standby. ``memory_mb`` and ``recycle_mb`` bound each worker's
    memory (0: unbounded); ``client_heavy_limit`` is how many heavy queries one client
    may have running or waiting at once (0: no cap).
    """

    def __init__(self, size: int, slow_lane: int, *, isolate_network: bool,
                 spares: int = 0, memory_mb: int = 0, recycle_mb: int = 0,
                 client_heavy_limit: int = 0, slow_after_s: float = SLOW_AFTER_S,
                 on_restart: Callable[[], None] | None = None) -> None:
        self.size = size
        #: Called when a worker is killed or lost and another takes its place (metrics).
        self.on_restart = on_restart
        self.slow_after_s = slow_after_s
        self.slow_lane = slow_lane
        self.spares = min(spares, slow_lane)
        self.isolate_network = isolate_network
        self.memory_mb = memory_mb
        self.recycle_mb = recycle_mb
        self.client_heavy_limit = client_heavy_limit
        self._workers: set[Worker] = set()
        self._idle: list[Worker] = []
        self._standby: list[Worker] = []
        self._waiters: FairQueue[Worker] = FairQueue()  # for the cheap lane
        self._heavy_waiters: FairQueue[Worker] = FairQueue()
        self._executions: dict[str, set[Execution]] = {}  # live executions by client
        self.long_queries = LongQueries()
        self.usage = Usage()
        self._starting = 0
        self._closed = False
        self._tasks: set[asyncio.Future[Any]] = set()
        self._ctx = _context()

    # -- membership

    @property
    def workers(self) -> list[Worker]:
        return list(self._workers)

    def _fast_count(self) -> int:
        """Cheap-lane workers, counting those still starting (they are placed on arrival)."""
        return self._starting + self._fast_ready()

    def _fast_ready(self) -> int:
        return sum(1 for w in self._workers if not w.slow and not w.standby)

    def heavy_running(self) -> int:
        """Workers in the heavy lane (each is running a heavy query)."""
        return sum(1 for w in self._workers if w.slow)

    def heavy_waiting(self) -> int:
        """Heavy queries waiting for a place in the heavy lane."""
        return len(self._heavy_waiters)

    def _heavy_short(self) -> int:
        """Heavy queries that may start now but have no process to start on."""
        room = self.slow_lane - self.heavy_running()
        return max(0, min(len(self._heavy_waiters), room) - len(self._standby))

    def _wanted(self) -> bool:
        total = self._starting + len(self._workers)
        target = max(self.size + self.heavy_running() + self._heavy_short(),
                     self.size + self.spares)
        return self._fast_count() < self.size or total < target

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
                target=worker_main, name="sparql-worker", daemon=True,
                args=(child_sock, self.isolate_network, self.memory_mb, self.recycle_mb),
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
        if self.memory_mb and not hello.get("memory_limited"):
            log.warning("SPARQL worker %s could not set its memory limit of %s MiB",
                        hello["pid"], self.memory_mb)
        worker = Worker(process, channel, hello["pid"], hello["isolated"])
        if self._closed:
            self._discard(worker)
            return
        channel.on_lost = lambda: self._lost_while_idle(worker)
        self._workers.add(worker)
        self._place(worker)

    def _lost_while_idle(self, worker: Worker) -> None:
        """An idle or standby worker died (OOM killer, an operator): replace it now,
        so neither the next query nor the next handover finds it dead."""
        if worker.busy or worker.dead or worker not in self._workers or self._closed:
            return  # a busy worker's job notices by itself; a dead one was ours to kill
        self._discard(worker)
        self._serve_heavy()  # also starts the replacement

    def _place(self, worker: Worker) -> None:
        """An idle worker fills the cheap lane first, then a waiting heavy query's
        place, then the standby; a worker nobody needs goes."""
        worker.slow = worker.standby = False
        if not worker.usable:
            self._discard(worker)
            self._maybe_spawn()
            return
        if self._fast_ready() - 1 < self.size:  # ``worker`` itself is counted
            self._make_available(worker)
        elif self._give_heavy(worker):
            pass
        elif len(self._standby) < self.spares:
            worker.standby = True
            self._standby.append(worker)
            self._serve_heavy()
        else:
            self._retire(worker)

    def _promote_standby(self) -> None:
        """A worker went heavy: the standby takes its place in the cheap lane at once."""
        while self._standby:
            worker = self._standby.pop()
            worker.standby = False
            if worker.usable:
                self._make_available(worker)
                return
            self._discard(worker)

    def _make_available(self, worker: Worker) -> None:
        """A cheap-lane worker is free: the fairest waiter gets it, else it waits idle."""
        if not worker.usable:
            self._discard(worker)
            self._maybe_spawn()
            return
        waiter = self._waiters.pop(self._load)
        if waiter is not None:
            waiter.future.set_result(worker)
        else:
            self._idle.append(worker)

    def _give_heavy(self, worker: Worker) -> bool:
        """Start the fairest waiting heavy query on ``worker`` if the heavy lane has room."""
        if self.heavy_running() >= self.slow_lane:
            return False
        waiter = self._heavy_waiters.pop(self._load)
        if waiter is None:
            return False
        worker.slow = True
        waiter.future.set_result(worker)
        return True

    def _serve_heavy(self) -> None:
        """Waiting heavy queries take standby workers while the heavy lane has room;
        the others wait for a process to start (or for a heavy query to end)."""
        while self._standby and len(self._heavy_waiters) \
                and self.heavy_running() < self.slow_lane:
            worker = self._standby.pop()
            worker.standby = False
            if not worker.usable:
                self._discard(worker)
            elif not self._give_heavy(worker):
                self._place(worker)
                break
        self._maybe_spawn()

    def _discard(self, worker: Worker) -> None:
        """Kill a worker and reap it in the background."""
        if self.on_restart is not None and not self._closed:
            self.on_restart()
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

    # -- clients

    def _load(self, client: str) -> float:
        """Worker seconds ``client`` used lately, its running queries included: the fair
        queues serve the least loaded client first."""
        now = asyncio.get_running_loop().time()
        running = sum(now - e.attached_at for e in self._executions.get(client, ())
                      if e.attached)
        return self.usage.of(client) + running

    def _heavy_of(self, client: str) -> list[Execution]:
        return [e for e in self._executions.get(client, ()) if e.heavy and not e.finished]

    def _retry_after(self, client: str) -> int:
        """Seconds until the first of the client's heavy queries must have ended."""
        now = asyncio.get_running_loop().time()
        ends = [e.deadline for e in self._heavy_of(client)]
        return max(1, math.ceil(min(ends) - now)) if ends else 1

    def _limited(self, execution: Execution) -> ClientLimited | None:
        """The refusal for a client already at its cap of heavy queries, if it is."""
        limit = self.client_heavy_limit
        others = [e for e in self._heavy_of(execution.client) if e is not execution]
        if not limit or len(others) < limit:
            return None
        return ClientLimited(len(others), limit, self._retry_after(execution.client))

    def _forget(self, execution: Execution) -> None:
        executions = self._executions.get(execution.client)
        if executions is not None:
            executions.discard(execution)
            if not executions:
                del self._executions[execution.client]

    # -- acquiring and releasing

    async def _acquire(self, deadline: float, client: str) -> Worker:
        while self._idle:
            worker = self._idle.pop()
            if worker.usable:
                return worker
            self._discard(worker)  # died while idle: replace it
            self._maybe_spawn()
        if self._closed:
            raise PoolClosed("the query pool is shut down")
        self._maybe_spawn()
        return await self._wait(self._waiters, deadline, client,
                                "all query workers stayed busy until the deadline")

    async def _acquire_heavy(self, deadline: float, client: str) -> Worker:
        if self._closed:
            raise PoolClosed("the query pool is shut down")
        future: asyncio.Future[Worker] = asyncio.get_running_loop().create_future()
        waiter = self._heavy_waiters.add(future, client)
        self._serve_heavy()
        return await self._wait(self._heavy_waiters, deadline, client,
                                "the heavy lane stayed full until the deadline",
                                waiter)

    async def _wait(self, queue: FairQueue[Worker], deadline: float, client: str,
                    busy: str, waiter: Any = None) -> Worker:
        if waiter is None:
            waiter = queue.add(asyncio.get_running_loop().create_future(), client)
        future = waiter.future
        try:
            async with asyncio.timeout_at(deadline):
                return await future
        except BaseException as error:
            queue.discard(waiter)
            if future.done() and not future.cancelled() and future.exception() is None:
                # A worker was handed over just as this request gave up: pass it on.
                self._place(future.result())
            else:
                future.cancel()
            if isinstance(error, TimeoutError):
                raise PoolBusy(busy) from None
            raise

    def _attach(self, execution: Execution, worker: Worker) -> None:
        """``execution`` runs on ``worker`` from now: send the job, arm the timers."""
        loop = asyncio.get_running_loop()
        execution.worker = worker
        execution.attached = True
        execution.attached_at = loop.time()
        execution.generation += 1
        worker.busy = True
        if worker.slow:
            worker.timers.append(loop.call_at(execution.deadline, execution.expire))
        else:
            slow_at = loop.time() + self.slow_after_s
            if slow_at < execution.deadline:
                worker.timers.append(loop.call_at(slow_at, self._turned_slow, execution))
            else:
                worker.timers.append(loop.call_at(execution.deadline, execution.expire))
        worker.channel.write(execution.frame)

    def _detach(self, execution: Execution, reusable: bool) -> None:
        worker = execution.worker
        if execution.attached and worker is not None:
            execution.attached = False
            self.usage.add(execution.client,
                           asyncio.get_running_loop().time() - execution.attached_at)
            self._release(worker, reusable)

    def _release(self, worker: Worker, reusable: bool) -> None:
        worker.cancel_timers()
        worker.busy = False
        if not reusable or worker.dead or self._closed:
            self._discard(worker)
            self._serve_heavy()  # also starts the replacement
            return
        self._place(worker)

    def _turned_slow(self, execution: Execution) -> None:
        """Still running after ``slow_after_s`` in the cheap lane: the query is heavy.

        It moves to the heavy lane (the standby takes its cheap place) if its client is
        under the cap and the lane has a free place nobody waits for. Otherwise it is
        stopped: refused (429) when its client is at the cap; queued for the heavy
        lane, to start again there, when the lane is full and nothing was sent yet;
        ended with an in-band error when its answer is already streaming.
        """
        worker = execution.worker
        if execution.finished or not execution.attached or worker is None or worker.dead:
            return
        worker.cancel_timers()
        worker.timers.append(asyncio.get_running_loop().call_at(execution.deadline,
                                                                execution.expire))
        self.long_queries.add(execution.fingerprint)
        refusal = self._limited(execution)
        if refusal is not None:
            execution.stop(LIMITED, refusal.payload())
            return
        execution.heavy = True
        if self.heavy_running() < self.slow_lane and not len(self._heavy_waiters):
            worker.slow = True
            self._promote_standby()
            self._maybe_spawn()
        elif not execution.committed:
            execution.requeue()
        else:
            execution.stop(ERROR, json.dumps({"status": 503, "message": (
                "the answer was stopped: it ran long while every place for long queries "
                "was taken; retry later")}).encode())

    async def execute(self, job: dict[str, Any], deadline: float,
                      client: str = "") -> Execution:
        """Start ``job`` for ``client`` on a worker; the deadline covers waiting for one.

        A query known to run long goes to the heavy lane directly (and is refused with
        :class:`ClientLimited` when its client is at the cap); any other starts in the
        cheap lane. A worker found dead when the job is handed over is replaced and the
        job goes to another one, so a worker lost while idle never costs a client an error.
        """
        payload = encode_job(job)
        execution = Execution(self, HEADER.pack(JOB, len(payload)) + payload, client,
                              deadline, fingerprint(payload))
        if execution.fingerprint in self.long_queries:
            refusal = self._limited(execution)
            if refusal is not None:
                raise refusal
            execution.heavy = True
        self._executions.setdefault(client, set()).add(execution)
        try:
            await execution.start()
        except BaseException:
            execution.abort()
            raise
        return execution

    async def close(self) -> None:
        self._closed = True
        for queue in (self._waiters, self._heavy_waiters):
            queue.fail_all(PoolClosed("the query pool is shut down"))
        for worker in list(self._workers):
            self._discard(worker)
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)


class ClientLimited(RuntimeError):
    """The client already has its cap of heavy queries running or waiting (429)."""

    def __init__(self, running: int, limit: int, retry_after: int) -> None:
        self.retry_after = retry_after
        queries = "query" if running == 1 else "queries"
        super().__init__(
            f"too many long queries from this client: it already has {running} long "
            f"{queries} running or waiting, and this endpoint allows {limit} per client; "
            f"this query runs long too. Retry after {retry_after} s, when one has ended")

    def payload(self) -> bytes:
        return json.dumps({"message": str(self), "retry_after": self.retry_after}).encode()


class Execution:
    """One job: on a worker of the cheap or the heavy lane, frames in, then done.

    ``generation`` changes whenever the job moves to another worker, so frames still
    buffered from a worker it left are never taken for its answer.
    """

    def __init__(self, pool: QueryPool, frame: bytes, client: str, deadline: float,
                 fingerprint: bytes) -> None:
        self.pool = pool
        self.frame = frame
        self.client = client
        self.deadline = deadline
        self.fingerprint = fingerprint
        self.worker: Worker | None = None
        self.attached = False
        self.attached_at = 0.0
        self.generation = 0
        self.heavy = False  # counted against the client's cap of heavy queries
        self.committed = False  # part of the answer was handed on: no restart
        self.finished = False
        self.timed_out = False
        self.retire = False
        self._pending: tuple[bytes, bytes] | None = None

    async def start(self) -> None:
        """Get a worker from the lane this job belongs in and send it the job."""
        pool = self.pool
        while True:
            if self.heavy:
                worker = await pool._acquire_heavy(self.deadline, self.client)
            else:
                worker = await pool._acquire(self.deadline, self.client)
            try:
                pool._attach(self, worker)
            except (ConnectionError, OSError):
                pool._detach(self, reusable=False)
                continue
            return

    def expire(self) -> None:
        """The deadline passed: kill the worker now; reading then sees the end."""
        if not self.finished:
            self.timed_out = True
            if self.attached and self.worker is not None:
                self.worker.kill()

    def stop(self, kind: bytes, payload: bytes) -> None:
        """End the job now: kill its worker; ``(kind, payload)`` is its last frame."""
        self._pending = (kind, payload)
        self._finish(reusable=False)

    def requeue(self) -> None:
        """Kill the worker and start over in the heavy lane; the reader gets RESTART."""
        self._pending = (RESTART, b"")
        self.pool._detach(self, reusable=False)

    def _finish(self, reusable: bool) -> None:
        if not self.finished:
            self.finished = True
            self.pool._detach(self, reusable and not self.retire)
            self.pool._forget(self)

    def abort(self) -> None:
        """The client went away or the request failed: stop the work, whatever it was."""
        self._finish(reusable=False)

    async def next_frame(self) -> tuple[bytes, bytes]:
        try:
            return await self._next_frame()
        except BaseException:
            self.abort()
            raise

    async def _next_frame(self) -> tuple[bytes, bytes]:
        while True:
            if self._pending is not None:
                frame, self._pending = self._pending, None
                return frame
            if self.finished:
                raise RuntimeError("execution already finished")
            if not self.attached:  # requeued: wait for the heavy lane
                try:
                    await self.start()
                except (PoolBusy, PoolClosed) as busy:
                    self._finish(reusable=False)
                    return ERROR, json.dumps({"status": 503, "message": str(busy),
                                              "retry_after": 5}).encode()
                continue
            worker, generation = self.worker, self.generation
            assert worker is not None
            try:
                kind, payload = await worker.channel.next_frame()
            except (EOFError, ConnectionError, OSError):
                if generation != self.generation or self._pending is not None:
                    continue  # stopped or moved meanwhile: see the pending frame
                return await self._lost(worker)
            if generation != self.generation or not self.attached:
                continue  # a frame from a worker this job has left
            if kind == RETIRE:
                self.retire = True
                continue
            if kind in (ERROR, CUT, DONE):
                self._finish(reusable=True)
            return kind, payload

    async def _lost(self, worker: Worker) -> tuple[bytes, bytes]:
        """The worker's socket closed under the job: timeout, memory limit or crash."""
        worker.cancel_timers()  # nothing may move or stop the job while it is looked at
        if self.timed_out:
            self._finish(reusable=False)
            return TIMEOUT, b""
        exitcode = None
        if worker.process is not None:  # its exit status says why it ended
            await asyncio.to_thread(worker.process.join, EXIT_WAIT_S)
            exitcode = worker.process.exitcode
        self._finish(reusable=False)
        if exitcode == OUT_OF_MEMORY_EXIT and self.pool.memory_mb:
            status, message = OUT_OF_MEMORY_STATUS, memory_message(self.pool.memory_mb)
        elif exitcode in (-signal.SIGKILL, -signal.SIGTERM):
            # Killed or stopped from outside (the OOM killer; a server shutting down
            # terminates its process group): the query did nothing wrong, so not a 500.
            status, message = 503, ("the query worker was stopped from outside while "
                                    "running this query (the server may be shutting "
                                    "down or short of memory); retry later")
        else:
            status, message = 500, (f"the query worker crashed ({_exit_text(exitcode)}) "
                                    "while running this query; a fresh one replaces it")
        error: dict[str, object] = {"status": status, "message": message}
        if status == 503:
            error["retry_after"] = 5  # a fresh worker replaces it within seconds
        return ERROR, json.dumps(error).encode()


def _exit_text(exitcode: int | None) -> str:
    if exitcode is None:
        return "exit status unknown"
    if exitcode < 0:
        with contextlib.suppress(ValueError):
            return signal.Signals(-exitcode).name
        return f"signal {-exitcode}"
    return f"exit code {exitcode}"


# --- assembling an answer ----------------------------------------------------------------

@dataclass(frozen=True)
class Failure:
    """The query failed, or was cut, before anything was sent: answer with ``status``.

    ``retry_after`` (seconds) is set when trying again later can succeed (429, 503).
    """

    status: int
    message: str
    retry_after: int | None = None


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
                    execution.committed = True
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
                return Failure(int(error["status"]), error["message"],
                               error.get("retry_after"))
            elif kind == LIMITED:
                refusal = json.loads(payload)
                return Failure(429, refusal["message"], refusal["retry_after"])
            elif kind == RESTART:  # moved to the heavy lane: it starts over there
                head.clear()
                size = 0
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
                message = (json.loads(payload)["message"] if kind in (ERROR, LIMITED)
                           else repr(kind))
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
