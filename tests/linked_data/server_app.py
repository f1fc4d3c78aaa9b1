"""An application factory for uvicorn in tests: the real create_app, linked data only.

The other features (SPARQL, validation) are built and tested by their own suites; the
linked-data tests must not fail because one of them is half-way through a change.
"""

from __future__ import annotations

from fastapi import FastAPI

from publisher import app as app_module
from publisher.settings import Settings, load_settings


def linked_data_only() -> list:
    from publisher.linked_data import register

    return [register]


def make_app(settings: Settings | None = None, prewarm: bool = False) -> FastAPI:
    original = app_module._routers
    app_module._routers = linked_data_only
    try:
        application = app_module.create_app(settings or load_settings())
    finally:
        app_module._routers = original
    application.state.linked_data.prewarm = prewarm
    return application


def create_app() -> FastAPI:
    """uvicorn ``--factory`` entry point: settings from ``PUBLISHER_*``, prewarm on."""
    return make_app(prewarm=True)
