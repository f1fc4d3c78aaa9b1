"""The outermost layer: pin the request's Snapshot, and answer from what it prepared.

Every request gets the live build's :class:`~publisher.snapshot.Snapshot` here, once, in
its scope; everything inside reads that one. A GET answer that a route marked as
keepable (:meth:`publisher.http.responses.Answer.keep`: a document, a redirect, a query's
complete answer: anything whose bytes depend on nothing but the build, the request line
and its Accept headers) is recorded
as it leaves, CORS and codings applied, and the next identical request is answered from
it without entering the rest of the application: no routing, no negotiation, a lookup.
This is not a second routing path: it knows no URL, only answers the routes gave.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..snapshot import Snapshots, pin
from .requests import RequestHeaders
from .responses import KEEP, Headers, Validators, not_modified_headers


@dataclass(frozen=True, slots=True)
class KeptAnswer:
    status: int
    headers: Headers  # with Content-Length
    body: bytes
    validators: Validators
    not_modified: Headers


class SnapshotLayer:
    def __init__(self, app: ASGIApp, snapshots: Snapshots) -> None:
        self.app = app
        self.snapshots = snapshots

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        snapshot = pin(scope, self.snapshots)
        method = scope["method"]
        if snapshot is None or (method != "GET" and method != "HEAD"):
            await self.app(scope, receive, send)
            return
        headers = RequestHeaders(scope["headers"])
        key = (scope["path"], scope["query_string"], headers.accept, headers.accept_encoding)
        kept: KeptAnswer | None = snapshot.prepared.answers.get(key)
        if kept is not None:
            if kept.validators.not_modified(headers):
                await send({"type": "http.response.start", "status": 304,
                            "headers": kept.not_modified})
            else:
                await send({"type": "http.response.start", "status": kept.status,
                            "headers": kept.headers})
                await send({"type": "http.response.body",
                            "body": b"" if method == "HEAD" else kept.body})
                return
            await send({"type": "http.response.body", "body": b""})
            return
        if method == "HEAD":
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
                snapshot.prepared.remember_answer(key, KeptAnswer(
                    first["status"], final, body, validators,
                    not_modified_headers(final)), variant, len(body) + 256)
            await send(message)

        await self.app(scope, receive, recording)
