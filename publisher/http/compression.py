"""The one compression policy: which coding a client gets, and how bodies are compressed.

Brotli over gzip over none, honouring q-values (``br;q=0`` means never brotli) and ``*``;
only bodies large enough to gain, of a type that is not compressed already. Documents
prepared once per build are compressed ahead with :func:`precompress` (their answers set
:data:`ENCODED` in the scope); every other response is compressed on the way out by
:class:`CompressionMiddleware`, streamed results included.
"""

from __future__ import annotations

import gzip
import zlib
from functools import lru_cache
from typing import Any

import brotli
from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: Bodies smaller than this are not worth a Content-Encoding (headers cost more).
MINIMUM_SIZE = 512
BROTLI_QUALITY = 5
#: zlib's level 3 (its fastest strategy, longer matches): measured on the entity documents
#: of the 100k dataset (669 MB in six formats), 2.8 s and 79.7 MB where level 6 took 6.8 s
#: for 71.0 MB, and level 1 2.8 s for 85.0 MB.
GZIP_LEVEL = 3
#: The codings every response may have, in the order the policy prefers them.
CODINGS = ("br", "gzip")
#: A scope key a route sets when its body's coding is already chosen (prepared bytes).
ENCODED = "publisher.encoded"
#: Media types that are compressed already (or binary) and gain nothing.
INCOMPRESSIBLE = ("application/gzip", "image/png", "image/x-icon", "application/zip")


@lru_cache(maxsize=1024)
def choose_coding(accept_encoding: str, offered: tuple[str, ...] = CODINGS) -> str | None:
    """``br`` over ``gzip`` over identity for an ``Accept-Encoding`` header, among the
    codings ``offered`` (a document pack holds gzip only: see :data:`PACKED_CODINGS`)."""
    weights: dict[str, float] = {}
    for item in accept_encoding.split(","):
        name, _, params = item.strip().partition(";")
        name = name.strip().lower()
        if not name:
            continue
        weight = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key.strip().lower() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        weights[name] = weight
    wildcard = weights.get("*", 0.0)
    for coding in offered:
        if weights.get(coding, wildcard) > 0:
            return coding
    return None


def compress(body: bytes, coding: str) -> bytes:
    if coding == "br":
        return brotli.compress(body, quality=BROTLI_QUALITY)
    return gzip.compress(body, compresslevel=GZIP_LEVEL, mtime=0)


#: The codings a build's document pack holds. Brotli is left out: on those documents it
#: cost 7.5 s of CPU per 669 MB (the 100k dataset's six formats) for 18% fewer bytes than
#: gzip, to the clients that accept it, all of which accept gzip too; with it the pack
#: spent two fifths of its time compressing, and was 1.7 times larger on disk.
PACKED_CODINGS = ("gzip",)


def precompress(body: bytes, codings: tuple[str, ...] = CODINGS) -> dict[str, bytes]:
    """The ``codings`` of ``body`` that are actually smaller (deterministic bytes)."""
    if len(body) < MINIMUM_SIZE:
        return {}
    out = {}
    for coding in codings:
        packed = compress(body, coding)
        if len(packed) < len(body):
            out[coding] = packed
    return out


class _Stream:
    """An incremental compressor for a streamed body."""

    def __init__(self, coding: str) -> None:
        self.coding = coding
        self._br = brotli.Compressor(quality=BROTLI_QUALITY) if coding == "br" else None
        self._gz = None if coding == "br" else zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, 31)

    def chunk(self, data: bytes) -> bytes:
        if self._br is not None:
            return self._br.process(data) + self._br.flush()
        assert self._gz is not None
        return self._gz.compress(data) + self._gz.flush(zlib.Z_SYNC_FLUSH)

    def finish(self) -> bytes:
        if self._br is not None:
            return self._br.finish()
        assert self._gz is not None
        return self._gz.flush()


class CompressionMiddleware:
    """Compress responses on the way out, per :func:`choose_coding`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        accept_encoding = b""
        for name, value in scope["headers"]:
            if name == b"accept-encoding":
                accept_encoding = value
                break
        coding = choose_coding(accept_encoding.decode("latin-1")) if accept_encoding else None
        if coding is None:
            await self.app(scope, receive, send)
            return
        await self.app(scope, receive, _Responder(scope, send, coding).send)


class _Responder:
    def __init__(self, scope: Scope, send: Send, coding: str) -> None:
        self.scope = scope
        self.downstream = send
        self.coding = coding
        self.start: Message | None = None
        self.stream: _Stream | None = None
        self.passthrough = False

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.start = message
            self.passthrough = not _compressible(self.scope, message)
            if self.passthrough:
                await self.downstream(message)
            return
        if message["type"] != "http.response.body" or self.passthrough:
            await self.downstream(message)
            return
        assert self.start is not None
        body: bytes = message.get("body", b"")
        more = message.get("more_body", False)
        if self.stream is None:
            if not more:  # the whole body at once
                packed = compress(body, self.coding) if len(body) >= MINIMUM_SIZE else body
                if packed is body or len(packed) >= len(body):
                    await self.downstream(self.start)
                    await self.downstream(message)
                    return
                await self.downstream(_encoded_start(self.start, self.coding, len(packed)))
                await self.downstream({"type": "http.response.body", "body": packed})
                return
            self.stream = _Stream(self.coding)
            await self.downstream(_encoded_start(self.start, self.coding, None))
        data = self.stream.chunk(body) if body else b""
        if not more:
            data += self.stream.finish()
        if data or not more:
            await self.downstream({"type": "http.response.body", "body": data,
                                   "more_body": more})


def _compressible(scope: Scope, start: Message) -> bool:
    if scope.get(ENCODED) or scope["method"] == "HEAD":
        return False
    if start["status"] < 200 or start["status"] in (204, 304):
        return False
    for name, value in start.get("headers", ()):
        if name == b"content-encoding":
            return False
        if name == b"content-type" and value.split(b";")[0].strip().decode(
                "latin-1") in INCOMPRESSIBLE:
            return False
    return True


def _encoded_start(start: Message, coding: str, length: int | None) -> dict[str, Any]:
    headers = [(name, value) for name, value in start.get("headers", ())
               if name != b"content-length"]
    vary = [value for name, value in headers if name == b"vary"]
    headers = [(name, value) for name, value in headers if name != b"vary"]
    varies = b", ".join(vary)
    if b"accept-encoding" not in varies.lower():
        varies = (varies + b", Accept-Encoding") if varies else b"Accept-Encoding"
    headers.append((b"vary", varies))
    headers.append((b"content-encoding", coding.encode()))
    if length is not None:
        headers.append((b"content-length", str(length).encode()))
    return {**start, "headers": headers}
