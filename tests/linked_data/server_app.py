"""Application factories for the linked-data tests: the real app, prewarming optional.

TestClient tests get the FastAPI object with background prewarming off, so each test
sees exactly what it asks for; the live-server test gets what ``publisher serve`` runs
(the lean linked-data path in front of the whole application).
"""

from __future__ import annotations

from fastapi import FastAPI

from publisher.app import create_app as create_publisher_app
from publisher.linked_data import LinkedDataMiddleware, front
from publisher.settings import Settings, load_settings


def make_app(settings: Settings | None = None, prewarm: bool = False) -> FastAPI:
    application = create_publisher_app(settings or load_settings())
    application.state.linked_data.prewarm = prewarm
    return application


def create_app() -> LinkedDataMiddleware:
    """uvicorn ``--factory`` entry point: settings from ``PUBLISHER_*``, prewarm on."""
    return front(make_app(prewarm=True))
