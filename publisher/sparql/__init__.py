"""The read-only SPARQL 1.1 endpoint (issue 4): ``register(app)`` adds ``/sparql``.

See docs/sparql.md for the protocol, the default-graph choice, the limits and how a
timeout is enforced (worker processes that are killed, :mod:`.workers`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .. import http_middleware
from . import workers
from .routes import Endpoint

__all__ = ["register", "front", "SparqlFront"]

PATH = "/sparql"


def register(app: FastAPI) -> None:
    """Add ``/sparql`` (GET, HEAD, POST, OPTIONS; other methods get 405) and its assets.

    The worker pool starts with the app (so the first query finds warm workers) and is
    shut down with it; both by wrapping the app's lifespan, which keeps app.py unaware.
    The worker module joins the forkserver's preload list now, before whoever assembles
    the app starts the forkserver (``serving_app`` warms it up for validation).
    """
    workers.preload()
    endpoint = Endpoint(app.state.settings, app.state.store)
    app.state.sparql = endpoint
    # A raw ASGI endpoint: Starlette routes every method to it; it answers 405 itself.
    app.router.routes.append(Route(PATH, endpoint, include_in_schema=False))
    app.router.routes.append(Route("/sparql/yasgui/{name}", endpoint.asset, methods=["GET"],
                                   include_in_schema=False))

    previous = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(application: Any) -> AsyncIterator[Any]:
        endpoint.ensure_pool()
        try:
            async with previous(application) as state:
                yield state
        finally:
            await endpoint.close()

    app.router.lifespan_context = lifespan


class _Recorder:
    """Stands in for an app to :func:`publisher.http_middleware.install`: keeps its layers."""

    def __init__(self) -> None:
        self.layers: list[tuple[Any, tuple[Any, ...], dict[str, Any]]] = []

    def add_middleware(self, cls: Any, *args: Any, **kwargs: Any) -> None:
        self.layers.insert(0, (cls, args, kwargs))  # like Starlette: added last, outermost


def with_http_middleware(inner: ASGIApp) -> ASGIApp:
    """``inner`` wrapped in the app-wide CORS and compression layers, and nothing else."""
    recorder = _Recorder()
    http_middleware.install(recorder)  # type: ignore[arg-type]
    wrapped = inner
    for cls, args, kwargs in reversed(recorder.layers):
        wrapped = cls(wrapped, *args, **kwargs)
    return wrapped


class SparqlFront:
    """``/sparql`` answered before FastAPI; every other request goes to ``app`` unchanged.

    Through FastAPI a query crosses its exception, telemetry and body-limit layers and
    the router before reaching the endpoint; here only the app-wide CORS and compression
    middleware stay in front of the same :class:`Endpoint` object that FastAPI routes to.
    A request those two would leave alone (no ``Origin``, no ``br`` or ``gzip`` in
    ``Accept-Encoding``: most programmatic clients) skips their objects too, and gets the
    one thing CORS adds to it, ``Origin`` in ``Vary``.
    """

    def __init__(self, app: ASGIApp, endpoint: Endpoint) -> None:
        self.app = app
        self.endpoint = endpoint
        self.sparql = with_http_middleware(endpoint)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != PATH:
            await self.app(scope, receive, send)
            return
        for name, value in scope["headers"]:
            if name == b"origin" or (name == b"accept-encoding"
                                     and (b"br" in value or b"gzip" in value)):
                await self.sparql(scope, receive, send)
                return
        await self.endpoint(scope, receive, _vary_origin(send))


def _vary_origin(send: Send) -> Send:
    """What the CORS middleware does to a response without ``Origin``: Vary on it."""

    async def sender(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = message.get("headers", [])
            vary = [value for name, value in headers if name == b"vary"]
            vary.append(b"Origin")
            message["headers"] = [(name, value) for name, value in headers
                                  if name != b"vary"] + [(b"vary", b", ".join(vary))]
        await send(message)

    return sender


def front(app: ASGIApp, fastapi_app: FastAPI) -> SparqlFront:
    """``app`` (``fastapi_app`` or what already wraps it) behind the lean ``/sparql`` path."""
    return SparqlFront(app, fastapi_app.state.sparql)
