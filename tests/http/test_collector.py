"""A serving process collects its oldest generation rarely and freezes what start-up made."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from publisher.app import create_app
from publisher.http import collector
from publisher.settings import Settings


@pytest.fixture
def restored_collector() -> Iterator[None]:
    before = gc.get_threshold()
    yield
    gc.set_threshold(*before)
    gc.unfreeze()


@pytest.mark.usefixtures("restored_collector")
def test_the_application_tunes_the_collector_when_it_starts(shipped: Settings) -> None:
    gc.set_threshold(700, 10, 10)
    gc.unfreeze()
    app = create_app(shipped.model_copy(update={"access_log": False}))
    assert gc.get_threshold()[2] == 10  # assembling the app changes nothing
    with TestClient(app, base_url=shipped.base.rstrip("/")) as client:
        assert gc.get_threshold() == (700, 10, collector.FULL_COLLECTION_EVERY)
        assert gc.get_freeze_count() > 0
        assert client.get("health").status_code == 200
