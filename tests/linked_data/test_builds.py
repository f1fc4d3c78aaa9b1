"""Validators follow the store build: same build, same bytes; new data, new ETag."""

from __future__ import annotations

import os
import threading
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


def test_an_empty_folder_as_the_store_is_503_with_a_message(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    settings = Settings(base="http://testserver/", project_dir=ROOT, store_dir=empty)
    with TestClient(make_app(settings)) as client:
        for path in ("/", "/doc/person/sergey-lavrov", "/sparql?query=ASK%7B%7D", "/void"):
            response = client.get(path)
            assert response.status_code == 503, path
            assert "not a build made by `publisher build`" in response.text
            assert response.headers["retry-after"]
        page = client.get("/", headers={"accept": "text/html"})
        assert page.status_code == 503 and "<html" in page.text
        assert client.get("/static/css/site.css").status_code == 200  # the page's style


def test_two_builds_of_the_same_inputs_serve_identical_bytes(tmp_path: Path) -> None:
    """Same inputs, same build id, same time, same bytes of every document and dump: a
    strong ETag never names two different bodies, whichever machine built them."""
    project = copy_project(tmp_path / "project")
    answers = []
    for name in ("first", "second"):
        settings = Settings(base="http://testserver/", project_dir=project,
                            store_dir=tmp_path / name / "store")
        build(settings, progress=lambda _line: None)
        with TestClient(make_app(settings)) as client:
            paths = [f"{LAVROV}.{f.extension}" for f in formats.DOCUMENT_FORMATS]
            paths += ["/doc/event/2025-07-10-lavrov-rubio-kuala-lumpur.ttl", "/", "/void.ttl",
                      "/void.jsonld", "/ontology.ttl", "/shapes.ttl", "/shapes.html",
                      "/dumps/", *[f"/dumps/dataset.{ext}.gz" for ext in ("nq", "trig", "ttl")]]
            answers.append({path: (client.get(path).headers.get("etag"),
                                   client.get(path).headers.get("last-modified"),
                                   client.get(path, headers={"accept-encoding": "identity"}
                                              ).content) for path in paths})
    first, second = answers
    for path in first:
        assert first[path] == second[path], path


def test_prewarming_reads_the_pack_and_renders_nothing_into_memory(
        settings: Settings, caplog: pytest.LogCaptureFixture) -> None:
    """The build prepared the documents; warming only reads the pack through the page
    cache (the whole file), and the process's memory holds no document for it."""
    import logging

    from publisher.linked_data import prewarm
    from publisher.linked_data.pack import PACK_FILE
    from publisher.linked_data.urls import UrlSpace
    from publisher.snapshot import Snapshots

    snapshot = Snapshots(settings.model_copy(update={"prewarm": False})).current()
    assert snapshot.document_pack() is not None
    with caplog.at_level(logging.INFO, logger="publisher.linked_data.prewarm"):
        prewarm.prewarm(snapshot, UrlSpace(settings), lambda _: True)
    size = (snapshot.build.path / PACK_FILE).stat().st_size
    assert f"({size / 2**20:.0f} MB) read into the page cache" in caplog.text
    assert not snapshot.prepared.representations


def test_prewarming_starts_with_the_first_linked_data_request(
        settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    """A process that only answers queries spends nothing on preparing documents."""
    from publisher.linked_data import prewarm

    started: list[str] = []
    monkeypatch.setattr(prewarm, "prewarm", lambda snapshot, *_: started.append(
        snapshot.build_id))
    with TestClient(make_app(settings, prewarm=True),
                    base_url=settings.base.rstrip("/")) as client:
        assert client.get("/sparql", params={"query": "ASK {}"}).status_code == 200
        assert started == []
        for _ in range(2):
            assert client.get(LAVROV, headers={"accept": "text/turtle"}).status_code == 200
        for thread in threading.enumerate():
            if thread.name.startswith("prewarm-"):
                thread.join(5)
        assert len(started) == 1
