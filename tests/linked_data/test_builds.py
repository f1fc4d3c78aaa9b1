"""Validators follow the store build: same build, same bytes; new data, new ETag."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from publisher import formats
from publisher.pipeline.build import build
from publisher.settings import Settings
from tests.conftest import copy_project

from .conftest import ROOT, make_app

LAVROV = "/doc/person/sergey-lavrov"


def test_two_workers_render_identical_bytes(settings: Settings) -> None:
    """Each uvicorn worker renders on its own; a shared cache must see one ETag per
    variant, so documents are rendered deterministically."""
    first, second = make_app(settings), make_app(settings)
    with TestClient(first, base_url=settings.base.rstrip("/")) as a, \
            TestClient(second, base_url=settings.base.rstrip("/")) as b:
        for path in [f"{LAVROV}.{f.extension}" for f in formats.DOCUMENT_FORMATS] + [
                "/", "/void.ttl", "/ontology.html", "/dumps/dataset.nq.gz"]:
            one, two = a.get(path), b.get(path)
            assert one.headers["etag"] == two.headers["etag"], path
            assert one.content == two.content, path


def test_new_build_changes_etag_and_content(settings: Settings, tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    store_dir = tmp_path / "var" / "store"
    store_dir.parent.mkdir()
    os.symlink(settings.store_dir.resolve(), store_dir)   # start from the session build
    live = Settings(base=settings.base, project_dir=project, store_dir=store_dir)
    with TestClient(make_app(live), base_url=settings.base.rstrip("/")) as client:
        before = client.get(f"{LAVROV}.ttl")
        assert before.status_code == 200 and "Sergey Viktorovich" not in before.text
        people = project / "data" / "reference" / "people.yaml"
        people.write_text(people.read_text(encoding="utf-8").replace(
            "label: Sergey Lavrov,", 'label: Sergey Lavrov, altLabel: "Sergey Viktorovich '
            'Lavrov",', 1), encoding="utf-8")
        build(live, progress=lambda _line: None)
        after = client.get(f"{LAVROV}.ttl")
        assert "Sergey Viktorovich Lavrov" in after.text
        assert after.headers["etag"] != before.headers["etag"]
        stale = client.get(f"{LAVROV}.ttl", headers={"if-none-match": before.headers["etag"]})
        assert stale.status_code == 200


@pytest.mark.parametrize("path", ["/", LAVROV, "/id/person/sergey-lavrov"])
def test_no_store_yet_is_503_not_500(tmp_path: Path, path: str) -> None:
    empty = Settings(base="http://testserver/", project_dir=ROOT, store_dir=tmp_path / "none")
    with TestClient(make_app(empty)) as client:
        response = client.get(path)
        assert response.status_code == 503
        assert "publisher build" in response.text
