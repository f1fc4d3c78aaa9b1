"""Peak memory of child processes, read from the kernel while something runs.

``VmHWM`` in /proc is the most a process ever held resident: sampling it while a
request runs finds a worker's peak even if the worker dies at the end (the last sample
before it went is at most a few milliseconds of growth short, and a bound is what tests
check).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def descendants(pid: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            parent = int(stat[stat.rindex(")") + 2:].split()[1])
            children.setdefault(parent, []).append(int(entry))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def status_mib(pid: int, field: str) -> float:
    """A memory line of /proc/PID/status (``VmRSS``, ``VmHWM``…) in MiB; 0 if gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


@contextmanager
def child_peaks(root: int | None = None) -> Iterator[dict[int, float]]:
    """The highest VmHWM seen for each descendant of ``root`` (this process) in the block."""
    root = os.getpid() if root is None else root
    peaks: dict[int, float] = {}
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            for pid in descendants(root):
                peaks[pid] = max(peaks.get(pid, 0.0), status_mib(pid, "VmHWM"))
            stop.wait(0.005)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        yield peaks
    finally:
        stop.set()
        sampler.join()
