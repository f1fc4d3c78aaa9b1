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

from .routes import Endpoint

__all__ = ["register"]


def register(app: FastAPI) -> None:
    """Add ``/sparql`` (GET, HEAD, POST, OPTIONS; other methods get 405) and its assets.

    The worker pool starts with the app (so the first query finds warm workers) and is
    shut down with it; both by wrapping the app's lifespan, which keeps app.py unaware.
    """
    endpoint = Endpoint(app.state.settings, app.state.store)
    app.state.sparql = endpoint
    methods = ["GET", "HEAD", "POST", "OPTIONS", "PUT", "DELETE", "PATCH"]
    app.router.routes.append(Route("/sparql", endpoint.sparql, methods=methods,
                                   include_in_schema=False))
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
