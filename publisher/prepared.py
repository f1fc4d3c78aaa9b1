"""What a web process prepares once per build: documents' bytes, whole answers, summaries.

A build never changes once published, so everything derived from it can be computed
once and kept with it: each document variant with its compressed codings and ETags
(:class:`Representation`), whole answers per request (path, Accept, Accept-Encoding),
descriptions shared by the formats of one document, and per-build values computed once
(:meth:`PreparedDocuments.once`). It all lives in the build's
:class:`~publisher.snapshot.Snapshot`, so nothing stale can outlive a swap. Memory is
bounded by ``settings.max_prepared_bytes``, oldest out first.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from . import __version__
from .http.compression import CODINGS, precompress

T = TypeVar("T")

#: Bounds so that a crawler asking for every possible path cannot exhaust memory.
MAX_ROUTES = 100_000
MAX_REPRESENTATIONS = 50_000
MAX_ANSWERS = 100_000
#: Descriptions (quad lists) kept so that the formats of one document share one read.
MAX_DESCRIPTIONS = 256
#: Whole answers kept per variant (one per Accept/Accept-Encoding combination seen).
MAX_ANSWERS_PER_VARIANT = 32

PACKAGE = Path(__file__).resolve().parent
#: Code and assets whose change must change every ETag (a new template must not be
#: hidden behind a 304).
RENDERING = ("templates", "static", "linked_data", "formats", "pages",
             "http/compression.py")


def _renderer_version() -> str:
    digest = hashlib.sha256(__version__.encode())
    for name in RENDERING:
        found = PACKAGE / name
        for path in sorted(found.rglob("*")) if found.is_dir() else [found]:
            if path.is_file() and path.suffix in (".html", ".css", ".py", ".js", ".svg"):
                digest.update(str(path.relative_to(PACKAGE)).encode() + path.read_bytes())
    return digest.hexdigest()[:16]


RENDERER_VERSION = _renderer_version()


def variant_tag(seed: str, *parts: str) -> str:
    """A short strong ETag for one variant of one build (and one renderer version)."""
    digest = hashlib.blake2b(("\0".join((seed, *parts))).encode(), digest_size=9)
    return digest.hexdigest()


@dataclass(frozen=True)
class Representation:
    """One variant: identity bytes plus the codings that are actually smaller."""

    content_type: str
    bodies: dict[str | None, bytes]
    etags: dict[str | None, str]
    size: int = 0  # bytes of all bodies, for the budget

    @classmethod
    def prepare(cls, body: bytes, content_type: str, tag: str, compressible: bool = True,
                codings: tuple[str, ...] = CODINGS) -> Representation:
        bodies: dict[str | None, bytes] = {None: body}
        etags: dict[str | None, str] = {None: f'"{tag}"'}
        if compressible:
            for coding, packed in precompress(body, codings).items():
                bodies[coding] = packed
                # A strong validator names exact bytes, so each coding has its own.
                etags[coding] = f'"{tag}-{coding}"'
        return cls(content_type, bodies, etags, sum(len(b) for b in bodies.values()))


@dataclass
class PreparedDocuments:
    """Everything prepared for one build; see the module docstring.

    Representations stay within ``max_bytes``, oldest out first, and a whole answer
    leaves with the representation it was made from, so the budget holds for both.
    Eviction drops one entry at a time: clearing everything at a bound would make every
    popular document miss at once.
    """

    seed: str  # ETag seed: the build's id and time, and the renderer version
    max_bytes: int
    #: Bytes of kept answers that hold no document's bytes (query answers, redirects).
    loose_budget: int = 0
    loose_bytes: int = 0
    _loose: OrderedDict[tuple[Any, ...], int] = field(default_factory=OrderedDict)
    routes: dict[str, Any] = field(default_factory=dict)
    representations: dict[tuple[str, str], Representation] = field(default_factory=dict)
    answers: dict[tuple[Any, ...], Any] = field(default_factory=dict)
    descriptions: dict[str, Any] = field(default_factory=dict)
    memo: dict[str, Any] = field(default_factory=dict)
    prepared_bytes: int = 0
    _answers_of: dict[Any, list[tuple[Any, ...]]] = field(default_factory=dict)
    _lock: threading.RLock = field(default_factory=threading.RLock)
    _evict_lock: threading.Lock = field(default_factory=threading.Lock)

    def remember_route(self, path: str, route: Any) -> None:
        if len(self.routes) >= MAX_ROUTES:
            _drop_oldest(self.routes)
        self.routes[path] = route

    def remember(self, key: tuple[str, str], representation: Representation) -> None:
        with self._evict_lock:
            previous = self.representations.pop(key, None)
            if previous is not None:
                self.prepared_bytes -= previous.size
            while self.representations and (
                    len(self.representations) >= MAX_REPRESENTATIONS
                    or self.prepared_bytes + representation.size > self.max_bytes):
                oldest = next(iter(self.representations))
                self.prepared_bytes -= self.representations.pop(oldest).size
                for answer in self._answers_of.pop(oldest, ()):
                    self.answers.pop(answer, None)
            self.representations[key] = representation
            self.prepared_bytes += representation.size

    def remember_answer(self, key: tuple[Any, ...], answer: Any, variant: Any,
                        size: int = 0) -> None:
        """A whole answer. One made from a document's variant (``variant`` is the
        representation's key) is kept only while the variant's bytes are; any other
        (``variant`` a name) counts its ``size`` against ``loose_budget``, oldest out."""
        with self._evict_lock:
            if isinstance(variant, tuple):
                if variant not in self.representations:
                    return
                keys = self._answers_of.setdefault(variant, [])
                if len(keys) >= MAX_ANSWERS_PER_VARIANT:
                    return  # many odd Accept headers for one document: answer uncached
                keys.append(key)
            else:
                if size > self.loose_budget // 16 or key in self._loose:
                    return  # one answer never takes more than a sixteenth of the budget
                self._loose[key] = size
                self.loose_bytes += size
                while self.loose_bytes > self.loose_budget and self._loose:
                    old, old_size = self._loose.popitem(last=False)
                    self.loose_bytes -= old_size
                    self.answers.pop(old, None)
            if len(self.answers) >= MAX_ANSWERS:
                _drop_oldest(self.answers)
            self.answers[key] = answer

    def description(self, key: str, compute: Callable[[], T]) -> T:
        """A document's quads, shared by its formats while they are being rendered."""
        found = self.descriptions.get(key)
        if found is None:
            found = compute()
            with self._evict_lock:
                if len(self.descriptions) >= MAX_DESCRIPTIONS:
                    _drop_oldest(self.descriptions)
                self.descriptions[key] = found
        return found

    def once(self, name: str, compute: Callable[[], T]) -> T:
        """A per-build value computed at most once (summaries, dumps, labels)."""
        try:
            return self.memo[name]
        except KeyError:
            pass
        with self._lock:
            if name not in self.memo:
                self.memo[name] = compute()
            return self.memo[name]


class ByteBudgetCache:
    """Bounded LRU of bodies by key, within a byte budget (one build's SPARQL answers).

    Only small answers are kept: one never takes more than a sixteenth of the budget.
    """

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._entries: OrderedDict[str, bytes] = OrderedDict()
        self._size = 0
        self.hits = 0

    def get(self, key: str) -> bytes | None:
        body = self._entries.get(key)
        if body is not None:
            self._entries.move_to_end(key)
            self.hits += 1
        return body

    def put(self, key: str, body: bytes) -> None:
        if len(body) > self.max_bytes // 16 or key in self._entries:
            return
        self._entries[key] = body
        self._size += len(body)
        while self._size > self.max_bytes and self._entries:
            _, evicted = self._entries.popitem(last=False)
            self._size -= len(evicted)


def _drop_oldest(table: dict) -> None:
    """Remove the first-inserted entry (dicts keep insertion order)."""
    try:
        del table[next(iter(table))]
    except (StopIteration, KeyError, RuntimeError):
        pass
