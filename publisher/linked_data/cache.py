"""Prepared responses: the bytes of each variant, pre-compressed, with their validators.

A document changes only when the store build does, so each (document, format) is
rendered once per build and kept with its gzip and brotli encodings; the request path
then only picks bytes. Everything is keyed by the build: when the live store is
swapped, a fresh :class:`BuildCache` replaces the old one and nothing stale survives.
"""

from __future__ import annotations

import gzip
import hashlib
import threading
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import format_datetime
from typing import Any

import brotli

#: Bodies smaller than this are not worth a Content-Encoding (headers cost more).
MIN_COMPRESS = 512
#: Bounds so that a crawler asking for every possible path cannot exhaust memory.
MAX_ROUTES = 100_000
MAX_REPRESENTATIONS = 50_000
MAX_RESPONSES = 100_000
#: Bytes of prepared bodies (every coding) one process keeps per build. A count alone
#: does not bound memory: descriptions grow with the data (about 0.35 MB for the seven
#: variants of an entity of a 100k-triple build, 1.5 MB at 1M triples), so without it a
#: large build would be prepared into gigabytes per uvicorn worker.
MAX_PREPARED_BYTES = 512 * 2**20
#: Background preparation stops at this share of the budget, leaving the rest to the
#: documents clients actually ask for (which evict the oldest prepared ones).
PREWARM_SHARE = 0.8
#: Descriptions (quad lists) kept so that the formats of one document share one read.
MAX_DESCRIPTIONS = 256
#: Whole answers kept per variant (one per Accept/Accept-Encoding combination seen).
MAX_ANSWERS_PER_VARIANT = 32


@dataclass(frozen=True)
class Representation:
    """One variant: identity bytes plus the encodings that are actually smaller."""

    content_type: str
    bodies: dict[str | None, bytes]
    etags: dict[str | None, str]
    size: int = 0  # bytes of all bodies, for the cache's budget

    @classmethod
    def prepare(cls, body: bytes, content_type: str, tag: str,
                compressible: bool = True) -> Representation:
        bodies: dict[str | None, bytes] = {None: body}
        etags: dict[str | None, str] = {None: f'"{tag}"'}
        if compressible and len(body) >= MIN_COMPRESS:
            for coding, packed in (("br", brotli.compress(body, quality=5)),
                                   ("gzip", gzip.compress(body, compresslevel=6, mtime=0))):
                if len(packed) < len(body):
                    bodies[coding] = packed
                    # A strong validator names exact bytes, so each coding has its own.
                    etags[coding] = f'"{tag}-{coding}"'
        return cls(content_type, bodies, etags, sum(len(b) for b in bodies.values()))

    def matches(self, if_none_match: str) -> bool:
        """Weak comparison (RFC 9110 13.1.2) against any coding of this variant."""
        if if_none_match.strip() == "*":
            return True
        wanted = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
        return any(tag in wanted for tag in self.etags.values())


def variant_tag(seed: str, *parts: str) -> str:
    """A short strong ETag for one variant of one build (and one renderer version)."""
    digest = hashlib.blake2b(("\0".join((seed, *parts))).encode(), digest_size=9)
    return digest.hexdigest()


@dataclass
class BuildCache:
    """Everything prepared for one build: routes, rendered variants, derived summaries.

    Variants are kept within :data:`MAX_PREPARED_BYTES`, oldest out first, and a whole
    answer (``responses``) leaves with the variant it was made from, so the budget holds
    for both. Eviction drops one entry at a time: clearing everything at a bound would
    make every popular document miss at once.
    """

    build_id: str
    built_at: datetime
    seed: str
    link_target: str | None
    routes: dict[str, Any] = field(default_factory=dict)
    representations: dict[tuple[str, str], Representation] = field(default_factory=dict)
    memo: dict[str, Any] = field(default_factory=dict)
    responses: dict[tuple[str, str, str], Any] = field(default_factory=dict)
    lock: threading.RLock = field(default_factory=threading.RLock)
    prepared_bytes: int = 0
    max_prepared_bytes: int = MAX_PREPARED_BYTES
    descriptions: dict[str, Any] = field(default_factory=dict)
    #: Keys of the answers made from each variant, dropped when the variant is evicted.
    _answers: dict[tuple[str, str], list[tuple[str, str, str]]] = field(default_factory=dict)
    _evict_lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.last_modified = format_datetime(self.built_at, usegmt=True)

    def remember_route(self, path: str, route: Any) -> None:
        if len(self.routes) >= MAX_ROUTES:
            _drop_oldest(self.routes)
        self.routes[path] = route

    def remember_response(self, key: tuple[str, str, str], prepared: Any,
                          variant: tuple[str, str] | None = None) -> None:
        """Whole answers per (path, Accept, Accept-Encoding): the lean path's hit.

        ``variant`` names the representation the answer's body comes from; the answer
        is only kept while that representation is, so it cannot hold evicted bytes.
        """
        with self._evict_lock:
            if variant is not None:
                if variant not in self.representations:
                    return
                keys = self._answers.setdefault(variant, [])
                if len(keys) >= MAX_ANSWERS_PER_VARIANT:
                    return  # many odd Accept headers for one document: answer uncached
                keys.append(key)
            if len(self.responses) >= MAX_RESPONSES:
                _drop_oldest(self.responses)
            self.responses[key] = prepared

    def remember(self, key: tuple[str, str], representation: Representation) -> None:
        with self._evict_lock:
            previous = self.representations.pop(key, None)
            if previous is not None:
                self.prepared_bytes -= previous.size
            while self.representations and (
                    len(self.representations) >= MAX_REPRESENTATIONS
                    or self.prepared_bytes + representation.size > self.max_prepared_bytes):
                oldest = next(iter(self.representations))
                self.prepared_bytes -= self.representations.pop(oldest).size
                for answer in self._answers.pop(oldest, ()):
                    self.responses.pop(answer, None)
            self.representations[key] = representation
            self.prepared_bytes += representation.size

    def has_room_to_prewarm(self) -> bool:
        return self.prepared_bytes < PREWARM_SHARE * self.max_prepared_bytes

    def description(self, key: str, compute) -> Any:
        """A document's quads, shared by its formats while they are being rendered."""
        found = self.descriptions.get(key)
        if found is None:
            found = compute()
            with self._evict_lock:
                if len(self.descriptions) >= MAX_DESCRIPTIONS:
                    _drop_oldest(self.descriptions)
                self.descriptions[key] = found
        return found

    def once(self, name: str, compute) -> Any:
        """A per-build value computed at most once (summaries, dumps, labels)."""
        try:
            return self.memo[name]
        except KeyError:
            pass
        with self.lock:
            if name not in self.memo:
                self.memo[name] = compute()
            return self.memo[name]


def _drop_oldest(table: dict) -> None:
    """Remove the first-inserted entry (dicts keep insertion order)."""
    try:
        del table[next(iter(table))]
    except (StopIteration, KeyError, RuntimeError):
        pass
