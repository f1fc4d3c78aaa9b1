"""The lean HTTP path: a pure-ASGI middleware serving prepared documents.

It sits in front of FastAPI and answers every path of the linked-data URL space (home,
``id/``, ``doc/``, ontology, shapes, VoID, dumps, static files) itself: content
negotiation, 303, 406, 404, conditional requests (304), HEAD, content coding and CORS.
A request for a prepared variant costs a few dictionary lookups and one ``send``; only a
miss renders, in a worker thread. Any other path goes to the wrapped application.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any

import anyio.to_thread

from .. import formats
from ..formats import DOCUMENT_FORMATS, HTML, Format
from ..store import StoreMissing
from . import html
from .cache import BuildCache, Representation
from .resources import Document, Missing, Redirect, Site

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

DOCUMENT_CACHE = b"public, max-age=300, stale-while-revalidate=60"
REDIRECT_CACHE = b"public, max-age=3600"
ERROR_CACHE = b"public, max-age=60"
CORS = [
    (b"access-control-allow-origin", b"*"),
    (b"access-control-expose-headers", b"ETag, Link, Content-Location, Location, Vary"),
]
ALLOW = b"GET, HEAD, OPTIONS"
TEXT = b"text/plain; charset=utf-8"
ERROR_FORMATS: tuple[Format, ...] = (HTML, formats.Format("text", "text/plain", "txt", "Text"))


class RequestHeaders:
    """The few request headers the lean path reads, found in one pass."""

    __slots__ = ("accept", "accept_encoding", "if_none_match", "if_modified_since",
                 "preflight_method", "preflight_headers")

    def __init__(self, raw: list[tuple[bytes, bytes]]) -> None:
        self.accept = self.accept_encoding = ""
        self.if_none_match = self.if_modified_since = None
        self.preflight_method = self.preflight_headers = None
        for name, value in raw:
            if name == b"accept":
                self.accept = value.decode("latin-1")
            elif name == b"accept-encoding":
                self.accept_encoding = value.decode("latin-1")
            elif name == b"if-none-match":
                self.if_none_match = value.decode("latin-1")
            elif name == b"if-modified-since":
                self.if_modified_since = value.decode("latin-1")
            elif name == b"access-control-request-method":
                self.preflight_method = value
            elif name == b"access-control-request-headers":
                self.preflight_headers = value


@dataclass(frozen=True, slots=True)
class Prepared:
    """A complete answer, kept per (path, Accept, Accept-Encoding) for the build.

    ``not_modified_headers`` are what a 304 repeats (RFC 9110 15.4.5): the validators,
    Cache-Control, Vary and Content-Location, without the body's length and coding.
    """

    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes
    representation: Representation | None = None
    not_modified_headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    variant: tuple[str, str] | None = None  # (document key, format): the body's source


class LinkedDataMiddleware:
    """Serve the linked-data URL space from the per-build cache; pass the rest on."""

    def __init__(self, app: ASGIApp, site: Site) -> None:
        self.app = app
        self.site = site
        self._negotiated: dict[tuple[str, tuple[Format, ...]], Format | None] = {}
        self._codings: dict[str, str | None] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rest = self.site.owns(scope["path"])
        if rest is None:
            await self.app(scope, receive, send)
            return
        method = scope["method"]
        headers = RequestHeaders(scope["headers"])
        if method == "OPTIONS":
            await self._options(headers, send)
            return
        if method not in ("GET", "HEAD"):
            await _respond(send, 405, [(b"allow", ALLOW), (b"content-type", TEXT)],
                           b"Method Not Allowed: this resource is read-only.\n", False)
            return
        head = method == "HEAD"
        try:
            cache = self.site.current()
        except StoreMissing as missing:
            await _respond(send, 503, [(b"content-type", TEXT), (b"retry-after", b"60")],
                           f"{missing}\n".encode(), head)
            return
        key = (rest, headers.accept, headers.accept_encoding)
        prepared = cache.responses.get(key)
        if prepared is None:
            route = self.site.route(cache, rest)
            if isinstance(route, Document):
                prepared = await self._document(cache, route, headers)
            elif isinstance(route, Redirect):
                prepared = self._redirect(route, headers)
            else:
                await self._missing(cache, route, headers, send, head)
                return
            cache.remember_response(key, prepared, prepared.variant)
        if prepared.representation is not None and _not_modified(
                prepared.representation, cache, headers):
            await _send(send, 304, prepared.not_modified_headers, b"")
            return
        await _send(send, prepared.status, prepared.headers, b"" if head else prepared.body)

    # -- negotiation ----------------------------------------------------------------
    def negotiate(self, accept: str, offered: tuple[Format, ...]) -> Format | None:
        key = (accept, offered)
        try:
            return self._negotiated[key]
        except KeyError:
            pass
        chosen = formats.negotiate(accept, offered)
        if len(self._negotiated) > 4096:
            self._negotiated.clear()
        self._negotiated[key] = chosen
        return chosen

    def coding(self, accept_encoding: str) -> str | None:
        try:
            return self._codings[accept_encoding]
        except KeyError:
            pass
        chosen = choose_coding(accept_encoding)
        if len(self._codings) > 1024:
            self._codings.clear()
        self._codings[accept_encoding] = chosen
        return chosen

    # -- responses ------------------------------------------------------------------
    async def _document(self, cache: BuildCache, document: Document,
                        headers: RequestHeaders) -> Prepared:
        negotiated = document.fixed is None
        fmt = document.fixed or self.negotiate(headers.accept, document.offered)
        if fmt is None:
            return self._not_acceptable(document.offered, document)
        representation = cache.representations.get((document.key, fmt.name))
        if representation is None:
            representation = await anyio.to_thread.run_sync(
                self.site.representation, cache, document, fmt)
        coding = self.coding(headers.accept_encoding)
        if coding not in representation.bodies:
            coding = None
        body = representation.bodies[coding]
        out = [
            (b"content-type", representation.content_type.encode()),
            (b"etag", representation.etags[coding].encode()),
            (b"last-modified", cache.last_modified.encode()),
            (b"cache-control", DOCUMENT_CACHE),
            (b"vary", b"Accept, Accept-Encoding" if negotiated else b"Accept-Encoding"),
            (b"x-content-type-options", b"nosniff"),
            *CORS,
        ]
        if negotiated:
            out.append((b"content-location", document.variant_path(fmt).encode()))
        if len(document.offered) > 1:
            out.append((b"link", _links(document, exclude=None if negotiated else fmt)))
        not_modified = list(out)
        if coding is not None:
            out.append((b"content-encoding", coding.encode()))
        out.append((b"content-length", str(len(body)).encode()))
        return Prepared(200, out, body, representation, not_modified,
                        (document.key, fmt.name))

    def _redirect(self, redirect: Redirect, headers: RequestHeaders) -> Prepared:
        if redirect.offered and self.negotiate(headers.accept, redirect.offered) is None:
            return self._not_acceptable(redirect.offered, None)
        body = f"See Other: {redirect.location}\n".encode()
        out = [(b"location", redirect.location.encode()), (b"content-type", TEXT),
               (b"cache-control", REDIRECT_CACHE), (b"vary", b"Accept"), *CORS,
               (b"content-length", str(len(body)).encode())]
        return Prepared(303, out, body)

    def _not_acceptable(self, offered: tuple[Format, ...],
                        document: Document | None) -> Prepared:
        body = ("Not Acceptable: none of the media types in the Accept header is offered "
                "here. Available:\n" + formats.describe_offered(offered) + "\n").encode()
        out = [(b"content-type", TEXT), (b"vary", b"Accept"), (b"cache-control", ERROR_CACHE),
               *CORS, (b"content-length", str(len(body)).encode())]
        if document is not None:
            out.append((b"link", _links(document, exclude=None)))
        return Prepared(406, out, body)

    async def _missing(self, cache: BuildCache, missing: Missing, headers: RequestHeaders,
                       send: Send, head: bool) -> None:
        fmt = self.negotiate(headers.accept, ERROR_FORMATS) or ERROR_FORMATS[1]
        iri = self.site.base + missing.what
        message = (f"Nothing is published at {iri}. The dataset mints IRIs as "
                   f"{self.site.base}id/{{kind}}/{{slug}}; the home page lists them all.")
        if fmt is HTML:
            site = await anyio.to_thread.run_sync(self.site.site_context, cache)
            body = html.error_page(site, 404, "Not found", message, missing.suggestions)
            kind = HTML.content_type.encode()
        else:
            lines = [message, *(f"Did you mean {iri} ({label})?"
                                for label, iri in missing.suggestions)]
            body = ("\n".join(lines) + "\n").encode()
            kind = TEXT
        out = [(b"content-type", kind), (b"vary", b"Accept"), (b"cache-control", ERROR_CACHE),
               *CORS]
        await _respond(send, 404, out, body, head)

    async def _options(self, headers: RequestHeaders, send: Send) -> None:
        """CORS preflight (or a plain OPTIONS): every method here is a safe read."""
        out = [(b"allow", ALLOW), *CORS]
        if headers.preflight_method is not None:
            out += [(b"access-control-allow-methods", ALLOW),
                    (b"access-control-allow-headers",
                     headers.preflight_headers or b"Accept, If-None-Match, If-Modified-Since"),
                    (b"access-control-max-age", b"86400")]
        await _respond(send, 204, out, b"", True)


def choose_coding(accept_encoding: str) -> str | None:
    """``br`` over ``gzip`` over identity, honouring ``q=0`` and ``*``."""
    weights: dict[str, float] = {}
    for item in accept_encoding.split(","):
        name, _, params = item.strip().partition(";")
        name = name.strip().lower()
        if not name:
            continue
        weight = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                weight = float(params[2:])
            except ValueError:
                weight = 0.0
        weights[name] = weight
    wildcard = weights.get("*", 0.0)
    for coding in ("br", "gzip"):
        if weights.get(coding, wildcard) > 0:
            return coding
    return None


def _links(document: Document, exclude: Format | None) -> bytes:
    parts = [f'<{document.variant_path(fmt)}>; rel="alternate"; type="{fmt.media_type}"'
             for fmt in document.offered if fmt is not exclude]
    return ", ".join(parts).encode()


def _not_modified(representation: Representation, cache: BuildCache,
                  headers: RequestHeaders) -> bool:
    if headers.if_none_match is not None:
        return representation.matches(headers.if_none_match)
    if headers.if_modified_since is not None:
        try:
            since = parsedate_to_datetime(headers.if_modified_since)
        except (TypeError, ValueError):
            return False
        if since.tzinfo is None:
            return False
        return cache.built_at.replace(microsecond=0) <= since
    return False


async def _send(send: Send, status: int, headers: list[tuple[bytes, bytes]],
                body: bytes) -> None:
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _respond(send: Send, status: int, headers: list[tuple[bytes, bytes]], body: bytes,
                   head: bool) -> None:
    if status != 304:
        headers = [*headers, (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": b"" if head or status == 304 else body})


__all__ = ["LinkedDataMiddleware", "choose_coding", "DOCUMENT_FORMATS"]
