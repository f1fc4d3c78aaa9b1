"""Helpers for the child processes the publisher starts (query, validation, store workers)."""

from __future__ import annotations

import contextlib
import ctypes
import gc
import os
import resource
import signal
from collections.abc import Callable, Iterator

#: How a worker that hit its memory limit ends: Rust's allocator (pyoxigraph, RocksDB
#: through it) aborts when an allocation fails, and CPython's fatal errors abort too.
#: Python code that runs out raises MemoryError instead, which workers report themselves.
OUT_OF_MEMORY_EXIT = -signal.SIGABRT


def die_with_parent(parent_pid: int | None = None) -> None:
    """PR_SET_PDEATHSIG: if the process that started us dies, so do we (Linux only).

    A worker left behind by a killed server or build would keep a core busy, or keep
    writing into a folder the next build is about to delete. Given the parent's pid, a
    child whose parent died before this call (so the signal will never come) exits now.
    """
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL, 0, 0, 0)
    if parent_pid is not None and os.getppid() != parent_pid:
        os._exit(1)


def limit_memory(megabytes: int) -> bool:
    """Cap this process's memory at ``megabytes`` MiB (0: no cap); True when it is set.

    The cap is RLIMIT_DATA, not RLIMIT_AS: since Linux 4.7 it counts every private
    writable mapping (heap, malloc arenas as they are used, anonymous mmaps, thread
    stacks), i.e. the memory a query or a validation can actually fill, and not the
    address space that is only reserved (each malloc arena reserves 64 MiB up front) or
    mapped read-only from files (RocksDB's SST files, shared libraries). An idle query
    worker with the store open has ~425 MiB of address space but ~125 MiB of data, so
    RLIMIT_AS would have to be set far above what a query may use to let the store open
    at all. An allocation past the cap fails: Rust aborts the process (SIGABRT, see
    :data:`OUT_OF_MEMORY_EXIT`), Python raises MemoryError.
    """
    if megabytes <= 0:
        return False
    limit = megabytes * 1024 * 1024
    try:
        resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))
    except (ValueError, OSError):
        return False
    return True


def resident_mb() -> float:
    """This process's resident memory now, in MiB (/proc; 0 where there is none)."""
    try:
        with open("/proc/self/statm", "rb") as statm:
            pages = int(statm.read().split()[1])
    except (OSError, ValueError, IndexError):
        return 0.0
    return pages * resource.getpagesize() / (1024 * 1024)


def peak_resident_mb() -> float:
    """The most this process has ever held resident, in MiB (one getrusage call)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def release_free_memory() -> None:
    """Give memory freed by the allocator back to the system (glibc ``malloc_trim``).

    After a query that built a 3.6 GiB hash table and freed it, the worker still holds
    3.6 GiB resident: glibc keeps freed blocks in its arenas. ``malloc_trim(0)`` returns
    them (measured: 3,658 MiB to 28 MiB in 0.05-0.2 s), so most workers that went big
    once need no replacing.
    """
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).malloc_trim(0)


@contextlib.contextmanager
def forking() -> Iterator[None]:
    """Fork child processes inside this. The objects made so far are hidden from the
    garbage collector meanwhile (``gc.freeze``), and stay hidden in the children: a
    child's collections would otherwise write to every object they inherited, copying
    the parent's heap page after page instead of sharing it. Objects a caller froze
    (:func:`settling`) stay frozen."""
    already = gc.get_freeze_count() > 0
    gc.freeze()
    try:
        yield
    finally:
        if not already:
            gc.unfreeze()


@contextlib.contextmanager
def settling() -> Iterator[Callable[[], None]]:
    """A block whose long-lived data, once made, the cyclic garbage collector need not walk
    again: calling the function it gives hides every object made so far from the
    collector (``gc.freeze``) until the block ends. A build's prepared dataset and its
    mapped files are millions of objects that live until the build ends; each full
    collection walked them all (1.6 s of a one-file rebuild at 1M, 4 s of a cold build).
    Garbage is still freed by reference counting meanwhile; only cycles among the hidden
    objects wait for the block's end."""
    already = gc.get_freeze_count() > 0
    try:
        yield gc.freeze
    finally:
        if not already:
            gc.unfreeze()


@contextlib.contextmanager
def bulk_building() -> Iterator[None]:
    """Build a large structure without cycles (an index of a million quads) inside this:
    the cyclic garbage collector is paused meanwhile. Each collection it would start
    walks every container the build holds, and making millions of them starts many: the
    document pack's index of the 1M dataset took 14 s inside a build, against 2.2 s with
    the collector paused (4.0 s beside a heap of three million other lists)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
