"""The routes tried first (the busy ones) take no path another route would have taken."""

from __future__ import annotations

import pytest
from starlette.routing import Match

from publisher.app import create_app
from publisher.http.routing import FIRST
from publisher.settings import Settings

SAMPLES = ("sparql", "doc/person/x", "doc/person/x.ttl", "id/person/x", "doc/", "id/",
           "doc/event/a/b/timeline.json")


@pytest.mark.parametrize("base_path", ["/", "/data/"])
def test_moving_busy_routes_first_changes_no_answer(base_path: str) -> None:
    settings = Settings(base=f"http://example.org{base_path}", project_dir=".",
                        store_dir="var/store")
    routes = create_app(settings).router.routes
    assert [r.path for r in routes[:len(FIRST)]] == [
        base_path + f + ("{path:path}" if f.endswith("/") else "") for f in FIRST]
    for sample in SAMPLES:
        scope = {"type": "http", "method": "GET", "path": base_path + sample,
                 "root_path": "", "path_params": {}}
        matched = [r.path for r in routes if r.matches(scope)[0] is Match.FULL]
        assert len(matched) == 1, (sample, matched)
