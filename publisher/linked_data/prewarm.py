"""Prepare a new build's documents in the background, so requests find their bytes ready.

Started by a build's first linked-data request in this process (the application hands
:func:`start` to the routes as ``first_document``), so a process that only answers
queries spends nothing on it. HTML and Turtle of every document come first (what
browsers and most RDF clients ask for), then the other formats; it stops at
``PREWARM_SHARE`` of the memory budget, leaving the rest to what clients ask for, and as
soon as a newer build is being served. A failure only means a render on request.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from .. import formats
from ..formats import DOCUMENT_FORMATS, HTML
from ..snapshot import Snapshot
from . import rendering
from .urls import Document, UrlSpace

log = logging.getLogger(__name__)


def start(snapshot: Snapshot, space: UrlSpace,
          still_current: Callable[[Snapshot], bool]) -> threading.Thread:
    thread = threading.Thread(target=prewarm, args=(snapshot, space, still_current),
                              daemon=True, name=f"prewarm-{snapshot.build_id[:8]}")
    thread.start()
    return thread


def documents(snapshot: Snapshot, space: UrlSpace) -> list[Document]:
    """Every document of the build: home, vocabularies, dataset, dumps page, entities."""
    found = [space.home(snapshot, ""), space.vocabulary(snapshot, "ontology"),
             space.vocabulary(snapshot, "shapes"), space.vocabulary(snapshot, "void"),
             space.dumps_listing(snapshot, "dumps/")]
    names = list(space.entity_paths(snapshot))
    id_base = snapshot.settings.id_base
    names += [graph[len(id_base):] for graph, _ in rendering.summary(snapshot).graphs
              if graph.startswith(id_base)]
    for name in names:
        found.append(space.document(snapshot, f"doc/{name}"))
    return [document for document in found if isinstance(document, Document)]


def prewarm(snapshot: Snapshot, space: UrlSpace,
            still_current: Callable[[Snapshot], bool]) -> None:
    started = time.perf_counter()
    prepared = snapshot.prepared
    try:
        targets = documents(snapshot, space)
        first = (HTML, formats.TURTLE)
        passes = [list(first), [f for f in DOCUMENT_FORMATS if f not in first]]
        complete = True
        failed = 0
        for wanted in passes:
            for document in targets:
                if not still_current(snapshot):
                    return  # a newer build took over
                if not prepared.has_room_to_prewarm():
                    complete = False
                    break
                for fmt in document.offered:
                    if fmt in wanted or (wanted is passes[0] and len(document.offered) == 1):
                        failed += not _prepare(snapshot, document, fmt, failed == 0)
        log.info("linked data: %d variants (%.0f MB) of build %s prepared in %.1f s%s%s",
                 len(prepared.representations), prepared.prepared_bytes / 2**20,
                 snapshot.build_id[:12], time.perf_counter() - started,
                 "" if complete else "; stopped at the memory budget, the rest is "
                 "rendered on request",
                 f"; {failed} could not be prepared (their requests say why)" if failed
                 else "")
    except Exception:  # noqa: BLE001 - prewarming is an optimisation, never fatal
        log.exception("prewarming the linked-data documents failed")


def _prepare(snapshot: Snapshot, document: Document, fmt: formats.Format, tell: bool) -> bool:
    """Render one variant; a document that cannot be rendered (a build made before its
    shapes were kept, say) is left to its requests, which answer with the reason."""
    try:
        rendering.representation(snapshot, document, fmt)
    except Exception:  # noqa: BLE001 - one document never stops the others
        if tell:
            log.warning("prewarming %s as %s failed", document.key, fmt.media_type,
                        exc_info=True)
        return False
    return True
