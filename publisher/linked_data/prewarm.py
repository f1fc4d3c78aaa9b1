"""Warm the operating system's page cache with a new build's document pack.

Documents are prepared by the build (:mod:`publisher.linked_data.pack`); nothing is
rendered ahead into this process's memory any more. What is left to warm is the disk:
at a build's first linked-data request in this process (the application hands
:func:`start` to the routes as ``first_document``), a background thread reads the pack
once through a small reused buffer, so later requests find its pages in the page cache,
which every worker and replica on the machine shares. It stops as soon as a newer build
is being served. A failure only means a read from disk on request.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from ..snapshot import Snapshot
from .pack import PACK_FILE
from .urls import UrlSpace

log = logging.getLogger(__name__)

#: Bytes read at a time (one buffer, reused: the heap does not grow with the pack).
CHUNK = 1 << 20


def start(snapshot: Snapshot, space: UrlSpace,
          still_current: Callable[[Snapshot], bool]) -> threading.Thread:
    thread = threading.Thread(target=prewarm, args=(snapshot, space, still_current),
                              daemon=True, name=f"prewarm-{snapshot.build_id[:8]}")
    thread.start()
    return thread


def prewarm(snapshot: Snapshot, space: UrlSpace,
            still_current: Callable[[Snapshot], bool]) -> None:
    started = time.perf_counter()
    pack = snapshot.document_pack()
    if pack is None:
        return  # no pack this process can use: documents render on request
    buffer = bytearray(CHUNK)
    read = 0
    path = snapshot.build.path / PACK_FILE
    try:
        for path in pack.files:
            with open(path, "rb", buffering=0) as file:
                while still_current(snapshot):
                    count = file.readinto(buffer)
                    if not count:
                        break
                    read += count
        log.info("linked data: document pack of build %s (%.0f MB) read into the page "
                 "cache in %.1f s", snapshot.build_id[:12], read / 2**20,
                 time.perf_counter() - started)
    except OSError:
        log.warning("reading the document pack %s ahead failed", path, exc_info=True)
