"""The outermost layer: every request is counted and logged, repeated ones answered here.

Most requests a public linked-data server sees are repeats: the same document or the
same query, with the same Accept headers, against the same build. Their answers are kept
(:mod:`.snapshot_layer`), and answering one is a dictionary lookup and two ASGI messages.
What made such a request cost 80 µs was everything around that lookup: a separate
metrics middleware and access-log middleware, each wrapping ``send``, and the
framework's error, telemetry and body-limit middlewares, all entered for bytes that were
ready. So this one layer, outside the framework, does what every request needs (pin the
build, count it, log it) once, answers a kept answer itself, and hands everything else
to the application with one watching ``send``.

An exception escaping the application is answered 500 by the framework inside and
counted and logged here as a 500.

Under ``publisher serve`` a kept answer does not even reach ASGI: the server's protocol
(:class:`publisher.http.server.GuardedHttpToolsProtocol`) asks :meth:`FrontDoor.kept`
as a request's headers complete, writes the kept bytes itself, and reports the request
with :meth:`FrontDoor.record`, the same count and log line.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from starlette.types import ASGIApp, Receive, Scope, Send

from ..ops.access_log import AccessLog
from ..ops.metrics import Metrics, Sent, first_segment_route
from .snapshot_layer import KeptAnswer

#: Pins the request's build and returns its kept answer, if there is one.
Arrival = Callable[[Scope], tuple[KeptAnswer, bool] | None]
#: Set in a scope whose arrival the server's protocol already handled.
ARRIVED = "publisher.arrived"


class FrontDoor:
    """See the module docstring. ``arrive`` pins the build and finds a kept answer."""

    def __init__(self, app: ASGIApp, metrics: Metrics, log: AccessLog | None = None,
                 arrive: Arrival = lambda _scope: None,
                 route_of: Callable[[Scope], str] = first_segment_route) -> None:
        self.app = app
        self.metrics = metrics
        self.log = log
        self.arrive = arrive
        self.route_of = route_of

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        arrived = time.time()
        started = time.perf_counter()
        status, sent_bytes = 500, 0
        try:
            found = None if scope.pop(ARRIVED, False) else self.arrive(scope)
            if found is not None:
                kept, not_modified = found
                if not_modified:
                    status = 304
                    await send({"type": "http.response.start", "status": 304,
                                "headers": kept.not_modified})
                    await send({"type": "http.response.body", "body": b""})
                else:
                    status = kept.status
                    body = b"" if scope["method"] == "HEAD" else kept.body
                    await send({"type": "http.response.start", "status": status,
                                "headers": kept.headers})
                    await send({"type": "http.response.body", "body": body})
                    sent_bytes = len(body)
            else:
                sent = Sent()
                try:
                    await self.app(scope, receive, sent.watching(send))
                finally:
                    status, sent_bytes = sent.status, sent.bytes
        finally:
            self.record(scope, arrived, time.perf_counter() - started, status, sent_bytes)

    def kept(self, scope: Scope) -> tuple[KeptAnswer, bool] | None:
        """The request's kept answer, for the server to write itself; the build is pinned
        either way, and the application will not look again."""
        found = self.arrive(scope)
        if found is None:
            scope[ARRIVED] = True
        return found

    def record(self, scope: Scope, arrived: float, duration_s: float, status: int,
               sent_bytes: int) -> None:
        """Count and log one answered request."""
        self.metrics.request_done(self.route_of(scope), scope["method"], status,
                                  duration_s, sent_bytes)
        if self.log is not None:
            self.log.done(scope, arrived, duration_s, status, sent_bytes)
