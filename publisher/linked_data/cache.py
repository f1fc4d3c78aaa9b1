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


@dataclass(frozen=True)
class Representation:
    """One variant: identity bytes plus the encodings that are actually smaller."""

    content_type: str
    bodies: dict[str | None, bytes]
    etags: dict[str | None, str]

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
        return cls(content_type, bodies, etags)

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
    """Everything prepared for one build: routes, rendered variants, derived summaries."""

    build_id: str
    built_at: datetime
    seed: str
    link_target: str | None
    routes: dict[str, Any] = field(default_factory=dict)
    representations: dict[tuple[str, str], Representation] = field(default_factory=dict)
    memo: dict[str, Any] = field(default_factory=dict)
    responses: dict[tuple[str, str, str], Any] = field(default_factory=dict)
    lock: threading.RLock = field(default_factory=threading.RLock)

    def __post_init__(self) -> None:
        self.last_modified = format_datetime(self.built_at, usegmt=True)

    def remember_route(self, path: str, route: Any) -> None:
        if len(self.routes) >= MAX_ROUTES:
            self.routes.clear()
        self.routes[path] = route

    def remember_response(self, key: tuple[str, str, str], prepared: Any) -> None:
        """Whole answers per (path, Accept, Accept-Encoding): the lean path's hit."""
        if len(self.responses) >= MAX_RESPONSES:
            self.responses.clear()
        self.responses[key] = prepared

    def remember(self, key: tuple[str, str], representation: Representation) -> None:
        if len(self.representations) >= MAX_REPRESENTATIONS:
            self.representations.clear()
        self.representations[key] = representation

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
