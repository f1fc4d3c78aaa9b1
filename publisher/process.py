"""Helpers for the child processes the publisher starts (query, validation, store workers)."""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal


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
