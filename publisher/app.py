"""The one application: what tests drive and what ``publisher serve`` runs.

:func:`create_app` assembles it once, in this order, outermost first:

0. :class:`~publisher.http.front_door.FrontDoor`, outside the framework: it pins the
   request's build, counts and logs every request (:mod:`publisher.ops`), whoever
   answers, and answers a repeated request from what the build's routes kept
   (:mod:`publisher.http.snapshot_layer`);
1. the framework's error handling, then
   :class:`~publisher.http.snapshot_layer.AnswerRecorder`, which keeps keepable answers;
2. :class:`~publisher.http.cors.CorsMiddleware`, the one CORS policy;
3. :class:`~publisher.http.compression.CompressionMiddleware`, the one compression layer;
4. the routing table of :mod:`publisher.routes`, mounted under the base's path, with
   errors turned into answers in one place (:mod:`publisher.http.errors`).

FastAPI is the framework (lifespan, exception handling, the OpenAPI route); the routes
themselves are raw ASGI where speed matters.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from typing import Any

from fastapi import FastAPI
from starlette.types import Receive, Scope, Send

from . import routes
from .http import collector, errors, openapi
from .http.compression import CompressionMiddleware
from .http.cors import CorsMiddleware
from .http.front_door import FrontDoor
from .http.routing import starlette_routes
from .http.snapshot_layer import AnswerRecorder, Arrivals
from .linked_data import prewarm
from .linked_data.urls import UrlSpace
from .ops.access_log import AccessLog, access_log_writer
from .ops.metrics import first_segment_route
from .ops.wiring import build_of, operations
from .settings import Settings, default_settings
from .snapshot import Snapshots
from .sparql import workers
from .sparql.endpoint import SparqlEndpoint
from .validation import service as validation_service

#: FastAPI's own telemetry checks read the environment on every request; we use none.
NO_TELEMETRY: Any = {"tracing": False, "metrics": False, "logs": False}


class Publisher(FastAPI):
    """FastAPI, entered through the :class:`~publisher.http.front_door.FrontDoor`."""

    front_door: FrontDoor

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.front_door(scope, receive, send)

    async def enter(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The framework itself, for requests the front door does not answer."""
        await super().__call__(scope, receive, send)


def create_app(settings: Settings | None = None) -> Publisher:
    """The whole service as one ASGI application (see the module docstring)."""
    settings = settings or default_settings()
    snapshots = Snapshots(settings)
    ops = operations(settings, snapshots)
    urls = UrlSpace(settings)
    features = routes.Features(urls, SparqlEndpoint(settings, ops.metrics), ops, first_document=(
        (lambda snapshot: prewarm.start(snapshot, urls, lambda s: snapshots.latest is s))
        if settings.prewarm else None))

    @asynccontextmanager
    async def lifespan(application: FastAPI) -> AsyncIterator[None]:
        features.sparql.ensure_pool()  # the first query finds warm workers
        validation_service.warm_up()  # the first submission does not pay for imports
        collector.tune()  # no full-heap collection pauses under load
        try:
            yield
        finally:
            await features.sparql.close()

    workers.preload()  # join the forkserver's preload list before anything starts it
    table = routes.table(settings, features)
    app = Publisher(title="Diplomacy linked-data publisher", docs_url=None, redoc_url=None,
                  openapi_url=None, lifespan=lifespan, telemetry=NO_TELEMETRY,
                  routes=starlette_routes(table, settings.base_path))
    app.state.settings = settings
    app.state.snapshots = snapshots
    app.state.sparql = features.sparql
    app.state.table = table
    app.state.openapi_json = openapi.as_json(settings, table)
    app.openapi = lambda: openapi.document(settings, table)  # type: ignore[method-assign]
    errors.install(app)
    app.add_middleware(CompressionMiddleware)
    app.add_middleware(CorsMiddleware)
    app.add_middleware(AnswerRecorder)
    # Outermost: every request is counted and logged, answered from a kept answer or not.
    route_of = partial(first_segment_route, base_path=settings.base_path)
    app.front_door = FrontDoor(
        app.enter, ops.metrics, arrive=Arrivals(snapshots, ops.metrics), route_of=route_of,
        log=AccessLog(access_log_writer(), route_of=route_of, build_of=build_of)
        if settings.access_log else None)
    app.state.metrics = ops.metrics
    return app
