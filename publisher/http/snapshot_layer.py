"""Kept answers: pin the request's Snapshot, and answer from what its routes prepared.

Every request gets the live build's :class:`~publisher.snapshot.Snapshot` once, in its
scope (:class:`Arrivals`, called by :mod:`.front_door`); everything inside reads that
one. A GET answer that a route marked as keepable (:meth:`publisher.http.responses.
Answer.keep`: a document, a redirect, a query's complete answer: anything whose bytes
depend on nothing but the build, the request line and its Accept headers) is recorded as
it leaves, CORS and codings applied (:class:`AnswerRecorder`), and the next identical
request is answered from it by the front door without entering the application: no
routing, no negotiation, a lookup. This is not a second routing path: it knows no URL,
only answers the routes gave.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..snapshot import Snapshots, pin, pinned
from .requests import RequestHeaders
from .responses import KEEP, Headers, Validators, not_modified_headers

#: Where :class:`Arrivals` leaves a GET's key for :class:`AnswerRecorder`.
ANSWER_KEY = "publisher.answer_key"


@dataclass(frozen=True, slots=True)
class KeptAnswer:
    status: int
    headers: Headers  # with Content-Length
    body: bytes
    validators: Validators
    not_modified: Headers
    #: ``headers`` and ``not_modified`` as HTTP/1.1 header lines, for the server's
    #: protocol to write without going through ASGI (:mod:`.server`).
    head: bytes = b""
    not_modified_head: bytes = b""

    @classmethod
    def of(cls, status: int, headers: Headers, body: bytes,
           validators: Validators) -> KeptAnswer:
        not_modified = not_modified_headers(headers)
        return cls(status, headers, body, validators, not_modified,
                   header_lines(headers), header_lines(not_modified))


def header_lines(headers: Headers) -> bytes:
    """``name: value\\r\\n`` per header, names lower-cased as uvicorn writes them."""
    return b"".join(name.lower() + b": " + value + b"\r\n" for name, value in headers)


class Arrivals:
    """Pins the live build to a request's scope and finds its kept answer, if any.

    Returns ``(answer, not_modified)``: whether the request's validators match, so the
    front door sends 304 with the kept answer's validator headers.
    """

    def __init__(self, snapshots: Snapshots, metrics: Any = None) -> None:
        self.snapshots = snapshots
        self.metrics = metrics

    def __call__(self, scope: Scope) -> tuple[KeptAnswer, bool] | None:
        snapshot = pin(scope, self.snapshots)
        method = scope["method"]
        if snapshot is None or (method != "GET" and method != "HEAD"):
            return None
        headers = RequestHeaders(scope["headers"])
        key = (scope["path"], scope["query_string"], headers.accept, headers.accept_encoding)
        kept: KeptAnswer | None = snapshot.prepared.answers.get(key)
        if self.metrics is not None:
            self.metrics.cache_lookup("answers", kept is not None)
        if kept is None:
            scope[ANSWER_KEY] = key
            return None
        return kept, kept.validators.not_modified(headers)


class AnswerRecorder:
    """Keeps a GET's answer as it leaves, when its route marked it keepable."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = scope.get(ANSWER_KEY) if scope["type"] == "http" else None
        snapshot = pinned(scope) if key is not None else None
        if snapshot is None or scope["method"] != "GET":
            await self.app(scope, receive, send)
            return
        start: list[Message] = []

        async def recording(message: Message) -> None:
            if message["type"] == "http.response.start":
                start.append(message)
            elif (message["type"] == "http.response.body" and start
                  and not message.get("more_body", False) and KEEP in scope):
                variant, validators = scope.pop(KEEP)
                first = start[0]
                final = list(first.get("headers", ()))
                body = message.get("body", b"")
                snapshot.prepared.remember_answer(key, KeptAnswer.of(
                    first["status"], final, body, validators), variant, len(body) + 256)
            await send(message)

        await self.app(scope, receive, recording)
