"""An in-memory cache of complete answers, keyed by build, query, dataset and format.

A build is immutable (a new one is swapped in whole), so a deterministic query over the
same build always has the same answer: repeating it need not wake a worker. Only small,
complete answers (those sent with a Content-Length, never cut ones or errors) are kept,
least recently used first out, within a byte budget. Queries using NOW(), RAND() and the
like are never cached (:attr:`.analysis.QueryInfo.deterministic`).
"""

from __future__ import annotations

from collections import OrderedDict


class AnswerCache:
    """Bounded LRU of answer bodies; emptied when the build changes."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._entries: OrderedDict[str, bytes] = OrderedDict()
        self._size = 0
        self._build: str | None = None
        self.hits = 0

    def _check_build(self, build_id: str) -> None:
        if build_id != self._build:
            self._entries.clear()
            self._size = 0
            self._build = build_id

    def get(self, build_id: str, key: str) -> bytes | None:
        self._check_build(build_id)
        body = self._entries.get(key)
        if body is not None:
            self._entries.move_to_end(key)
            self.hits += 1
        return body

    def put(self, build_id: str, key: str, body: bytes) -> None:
        self._check_build(build_id)
        if len(body) > self.max_bytes // 16 or key in self._entries:
            return  # one answer never takes more than a sixteenth of the budget
        self._entries[key] = body
        self._size += len(body)
        while self._size > self.max_bytes and self._entries:
            _, evicted = self._entries.popitem(last=False)
            self._size -= len(evicted)
