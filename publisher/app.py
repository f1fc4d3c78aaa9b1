"""The FastAPI application: wires settings, the store and the routers together.

Routes stay thin: each router module parses its requests and calls one function of the
core; this module only assembles them and the cross-cutting middleware.
"""

from __future__ import annotations

from fastapi import FastAPI

from .http_middleware import install as install_http_middleware
from .settings import Settings, default_settings
from .store import LiveStore


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or default_settings()
    app = FastAPI(
        title="Diplomacy linked-data publisher",
        docs_url="/api/docs",
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    app.state.settings = settings
    app.state.store = LiveStore(settings)
    # CORS and compression first: middleware added later wraps it, so a feature's own
    # lean middleware (linked data serves pre-compressed bytes) stays outermost.
    install_http_middleware(app)
    for register in _routers():
        register(app)
    return app


def _routers() -> list:
    """Each feature module exposes ``register(app)``; imported lazily to keep them apart."""
    registrars = []
    for module_name in ("sparql", "validation_routes", "linked_data"):
        try:
            module = __import__(f"{__package__}.{module_name}", fromlist=["register"])
        except ModuleNotFoundError as error:
            if error.name and error.name.endswith(module_name):
                continue
            raise
        registrars.append(module.register)
    return registrars
