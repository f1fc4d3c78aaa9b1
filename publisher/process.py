"""Helpers for the child processes the publisher starts (query, validation, store workers)."""

from __future__ import annotations

import contextlib
import ctypes
import signal


def die_with_parent() -> None:
    """PR_SET_PDEATHSIG: if the process that started us dies, so do we (Linux only).

    A worker left behind by a killed server or build would keep a core busy, or keep
    writing into a folder the next build is about to delete.
    """
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL, 0, 0, 0)
