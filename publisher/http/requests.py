"""Reading a request: the headers every route needs (one pass), the body, the URL.

Raw ASGI routes read ``scope["headers"]`` once into :class:`RequestHeaders`; the body is
read by :func:`read_body` within a limit, so a route never holds more than it allows.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import parse_qsl

from starlette.types import Receive, Scope

from .errors import HTTPProblem


class RequestHeaders:
    """The request headers routes read, found in one pass over the raw ASGI list."""

    __slots__ = ("accept", "accept_encoding", "content_type", "content_length",
                 "transfer_encoding", "if_none_match", "if_modified_since", "origin",
                 "preflight_method", "preflight_headers")

    def __init__(self, raw: Iterable[tuple[bytes, bytes]]) -> None:
        self.accept: str | None = None
        self.accept_encoding = ""
        self.content_type = ""
        self.content_length: str | None = None
        self.transfer_encoding: str | None = None
        self.if_none_match: str | None = None
        self.if_modified_since: str | None = None
        self.origin: str | None = None
        self.preflight_method: str | None = None
        self.preflight_headers: str | None = None
        for name, value in raw:
            if name == b"accept":
                self.accept = value.decode("latin-1")
            elif name == b"accept-encoding":
                self.accept_encoding = value.decode("latin-1")
            elif name == b"content-type":
                self.content_type = value.decode("latin-1")
            elif name == b"content-length":
                self.content_length = value.decode("latin-1")
            elif name == b"transfer-encoding":
                self.transfer_encoding = value.decode("latin-1")
            elif name == b"if-none-match":
                self.if_none_match = value.decode("latin-1")
            elif name == b"if-modified-since":
                self.if_modified_since = value.decode("latin-1")
            elif name == b"origin":
                self.origin = value.decode("latin-1")
            elif name == b"access-control-request-method":
                self.preflight_method = value.decode("latin-1")
            elif name == b"access-control-request-headers":
                self.preflight_headers = value.decode("latin-1")

    @classmethod
    def of(cls, scope: Scope) -> RequestHeaders:
        return cls(scope["headers"])

    @property
    def media_type(self) -> str:
        """The Content-Type without parameters, lower-cased (``""`` when absent)."""
        return self.content_type.split(";", 1)[0].strip().lower()

    @property
    def charset(self) -> str | None:
        """The Content-Type's ``charset`` parameter, lower-cased, if any."""
        for parameter in self.content_type.split(";")[1:]:
            name, _, value = parameter.partition("=")
            if name.strip().lower() == "charset":
                return value.strip().strip('"').lower()
        return None

    @property
    def has_body(self) -> bool:
        """Whether the request declares a body (RFC 9112 section 6.3)."""
        return self.transfer_encoding is not None or (
            self.content_length is not None and self.content_length.strip() not in ("", "0"))


def query_params(query_string: bytes) -> list[tuple[str, str]]:
    """The URL's parameters, percent-decoded as UTF-8 (undecodable bytes replaced)."""
    if not query_string:
        return []
    return parse_qsl(query_string.decode("latin-1"), keep_blank_values=True,
                     encoding="utf-8", errors="replace")


async def read_body(receive: Receive, headers: RequestHeaders, max_bytes: int,
                    what: str = "request body") -> bytes:
    """The whole body, refused with 413 as soon as it is larger than ``max_bytes``."""
    too_large = HTTPProblem(413, f"{what} larger than this service's limit of "
                                 f"{max_bytes:,} bytes")
    declared = headers.content_length
    if declared is not None:
        if not declared.strip().isdigit():
            raise HTTPProblem(400, f"invalid Content-Length {declared!r}")
        if int(declared) > max_bytes:
            raise too_large
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise HTTPProblem(400, "the client went away before sending the whole body")
        chunk = message.get("body", b"")
        if chunk:
            size += len(chunk)
            if size > max_bytes:
                raise too_large
            chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def decode_utf8(data: bytes, what: str) -> str:
    """Text of a body or parameter; anything but UTF-8 is a 400 saying so."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise HTTPProblem(400, f"{what} is not valid UTF-8: {error}") from None
