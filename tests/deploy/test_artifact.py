"""``publisher build --output DIR``: a build artifact that can be copied and served
read-only elsewhere; replicas of one build answer with identical bytes and ETags."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from publisher.app import create_app
from publisher.cli import main
from publisher.settings import Settings

from ..conftest import ROOT

BASE = "http://artifact.test/"
ACCEPT = "text/turtle, application/sparql-results+json;q=0.9"
ASKED = ["/", "/doc/person/sergey-lavrov", "/doc/person/sergey-lavrov.nq", "/void.ttl",
         "/dumps/dataset.nq.gz", "/sparql?query=" + quote("SELECT (COUNT(*) AS ?n) "
                                                          "WHERE { ?s ?p ?o }")]


@pytest.fixture(scope="module")
def artifact(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("artifact") / "build"
    assert main(["build", "--base", BASE, "--project-dir", str(ROOT), "--output",
                 str(out)]) == 0
    return out


def test_the_artifact_is_a_documented_folder(artifact: Path) -> None:
    record = json.loads((artifact / "build.json").read_text())
    assert record["base"] == BASE and record["build_id"]
    for folder in ("dumps", "shapes", "ontology", "queries"):
        assert (artifact / folder).is_dir(), folder
    assert (artifact / "CURRENT").is_file()  # the folder is an Oxigraph store itself
    for name in ("search.sqlite", "retired.json"):  # search index, retired IRIs' answers
        assert (artifact / name).is_file(), name
    assert sorted(p.name for p in (artifact / "dumps").iterdir()) == [
        "dataset.nq.gz", "dataset.trig.gz", "dataset.ttl.gz"]
    assert not list(artifact.parent.glob(".build.work-*"))  # nothing left behind


def test_copies_serve_identical_bytes_and_etags(artifact: Path, tmp_path: Path) -> None:
    copy = tmp_path / "elsewhere" / "build"
    shutil.copytree(artifact, copy)
    answers = []
    for folder in (artifact, copy):
        settings = Settings(base=BASE, store_dir=folder, prewarm=False, access_log=False)
        with TestClient(create_app(settings), base_url=BASE.rstrip("/")) as client:
            answers.append([client.get(path, headers={"Accept": ACCEPT}) for path in ASKED])
    for one, other in zip(*answers, strict=True):
        assert one.status_code == other.status_code == 200, one.text[:300]
        assert one.headers.get("etag") == other.headers.get("etag")
        assert one.content == other.content


def test_the_dumps_served_are_the_files_of_the_artifact(artifact: Path) -> None:
    settings = Settings(base=BASE, store_dir=artifact, prewarm=False, access_log=False,
                        build_dumps=False)
    with TestClient(create_app(settings), base_url=BASE.rstrip("/")) as client:
        served = client.get("/dumps/dataset.trig.gz")
    assert served.content == (artifact / "dumps" / "dataset.trig.gz").read_bytes()
