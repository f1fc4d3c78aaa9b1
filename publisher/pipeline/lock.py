"""One build at a time per store: an exclusive ``flock`` on a file beside the store.

Two builds at once would each delete the other's half-written store as a leftover and
race to swap the live symlink. The lock is taken without waiting: a second build stops at
once and says which process holds it. The kernel releases a ``flock`` when its holder
dies, however it dies, so a killed build never leaves a stale lock behind; the file itself
stays (deleting it would let two builds lock two different files of the same name).
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path


class BuildLocked(Exception):
    """Another build holds the lock, or the lock file cannot be created; says which."""


@contextmanager
def build_lock(path: Path) -> Iterator[None]:
    """Hold the build lock at ``path`` for the duration of the block, or BuildLocked."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except OSError as error:
        raise BuildLocked(f"cannot create the build lock {path}: "
                          f"{error.strerror or error}") from error
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder(fd)
            raise BuildLocked(f"another build is running on this store ({holder}; lock "
                              f"{path}): wait for it to finish, or stop that process") \
                from None
        with suppress(OSError):  # who holds it is for messages only; a full disk is fine
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"pid {os.getpid()}, started {datetime.now(UTC):%Y-%m-%d %H:%M:%S}"
                          " UTC\n".encode(), 0)
        yield
    finally:
        os.close(fd)  # releases the lock


def _holder(fd: int) -> str:
    with suppress(OSError):
        text = os.pread(fd, 200, 0).decode(errors="replace").strip()
        if text:
            return text
    return "holder unknown"
