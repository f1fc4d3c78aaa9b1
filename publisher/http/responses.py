"""Sending a response: :class:`Answer` is the one helper every route answers with.

An Answer is a complete response (status, headers, body) and an ASGI application, so raw
routes ``await answer(scope, receive, send)`` and request/response routes return it.
It honours ``HEAD`` and conditional requests (``If-None-Match``, ``If-Modified-Since``)
in one place, with one ETag comparison (:func:`etag_matches`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import parsedate_to_datetime

from starlette.types import Receive, Scope, Send

from .requests import RequestHeaders

TEXT = b"text/plain; charset=utf-8"
Headers = list[tuple[bytes, bytes]]
#: What a 304 repeats of the full answer's headers (RFC 9110 section 15.4.5).
NOT_MODIFIED_KEEP = frozenset({b"cache-control", b"content-location", b"etag", b"expires",
                               b"vary", b"last-modified", b"access-control-allow-origin",
                               b"access-control-expose-headers"})
#: The scope key a route sets to let :mod:`.snapshot_layer` keep its answer for the build.
KEEP = "publisher.keep"


def raw_headers(headers: Mapping[str, str] | None) -> Headers:
    return [(name.lower().encode("latin-1"), value.encode("latin-1"))
            for name, value in (headers or {}).items()]


@dataclass(frozen=True, slots=True)
class Validators:
    """What a conditional request is compared with: the body's strong tags (every coding
    of one variant counts: RFC 9110's weak comparison), and its modification time."""

    etags: tuple[str, ...] = ()
    modified: datetime | None = None

    def not_modified(self, headers: RequestHeaders) -> bool:
        if headers.if_none_match is not None:
            return any(etag_matches(headers.if_none_match, tag) for tag in self.etags)
        if headers.if_modified_since is not None and self.modified is not None:
            try:
                since = parsedate_to_datetime(headers.if_modified_since)
            except (TypeError, ValueError, IndexError):
                return False
            if since.tzinfo is None:
                return False
            return self.modified.replace(microsecond=0) <= since
        return False


NO_VALIDATORS = Validators()


@dataclass(slots=True)
class Answer:
    """A complete response. ``headers`` exclude Content-Length, which is added on sending."""

    status: int
    headers: Headers
    body: bytes = b""
    validators: Validators = field(default=NO_VALIDATORS)

    @classmethod
    def text(cls, status: int, message: str,
             headers: Mapping[str, str] | None = None) -> Answer:
        return cls(status, [(b"content-type", TEXT), *raw_headers(headers)],
                   (message.rstrip("\n") + "\n").encode("utf-8"))

    @classmethod
    def of(cls, status: int, body: bytes, content_type: str,
           headers: Mapping[str, str] | None = None) -> Answer:
        return cls(status, [(b"content-type", content_type.encode("latin-1")),
                            *raw_headers(headers)], body)

    def keep(self, scope: Scope, variant: object) -> Answer:
        """Let the build's answer cache keep this answer (see :mod:`.snapshot_layer`)."""
        scope[KEEP] = (variant, self.validators)
        return self

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.send(scope, send)

    async def send(self, scope: Scope, send: Send,
                   headers: RequestHeaders | None = None) -> None:
        if self.validators.etags or self.validators.modified is not None:
            request = headers or RequestHeaders(scope["headers"])
            if scope["method"] in ("GET", "HEAD") and self.validators.not_modified(request):
                scope.pop(KEEP, None)
                await send_raw(send, 304, not_modified_headers(self.headers), b"")
                return
        body = b"" if scope["method"] == "HEAD" else self.body
        await send_raw(send, self.status, [*self.headers, (
            b"content-length", str(len(self.body)).encode())], body)


def not_modified_headers(headers: Sequence[tuple[bytes, bytes]]) -> Headers:
    return [(name, value) for name, value in headers if name in NOT_MODIFIED_KEEP]


async def send_raw(send: Send, status: int, headers: Headers, body: bytes) -> None:
    """Two ASGI messages; the caller has put Content-Length in ``headers`` if any."""
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def etag_matches(if_none_match: str | None, current: str) -> bool:
    """Weak comparison (RFC 9110 section 13.1.2), as GET and HEAD require."""
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    bare = current.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == bare for tag in if_none_match.split(","))
