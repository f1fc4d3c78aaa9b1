from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

from publisher.pipeline.build import BuildResult, build
from publisher.settings import Settings
from tests.conftest import ROOT

BASE = "http://localhost:8000/"


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
