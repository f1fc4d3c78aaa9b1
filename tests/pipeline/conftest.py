from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest

from publisher.pipeline.build import BuildResult, build
from publisher.settings import Settings
from tests.conftest import ROOT

BASE = "http://localhost:8000/"


@pytest.fixture(scope="package", autouse=True)
def builds_without_the_document_pack() -> Iterator[None]:
    """These tests are about mapping, validation, loading and the build cache; the
    document pack is a stage of its own with its own tests (bytes and ETags of every
    variant, reuse, failure: tests/linked_data/test_document_pack.py). Built here, it
    would add about 2.5 s to each of some fifty builds of this folder. Through the
    environment, so builds in subprocesses (the CLI) go without it too."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PUBLISHER_BUILD_DOCUMENT_PACK", "false")
        yield


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, BuildResult]:
    settings = Settings(project_dir=ROOT, store_dir=tmp_path_factory.mktemp("pipeline") / "store",
                        base=BASE)
    return settings, build(settings, progress=lambda line: None)


@pytest.fixture(scope="session")
def store(built: tuple[Settings, BuildResult]) -> ox.Store:
    settings, _ = built
    return ox.Store.read_only(str(settings.store_dir.resolve()))


def select(store: ox.Store, query: str) -> list[tuple[str | None, ...]]:
    rows = store.query(query, base_iri=BASE, use_default_graph_as_union=True)
    return [tuple(None if v is None else v.value for v in row) for row in rows]


def read_query(name: str) -> str:
    return (Path(ROOT) / "queries" / name).read_text(encoding="utf-8")
