"""Shared test helpers: the repository root and a throw-away copy of the project."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PROJECT_FOLDERS = ("data", "mappings", "ontology", "shapes")


def copy_project(target: Path) -> Path:
    """A copy of the pipeline inputs that a test may break without touching the repo."""
    target.mkdir(parents=True, exist_ok=True)
    for folder in PROJECT_FOLDERS:
        shutil.copytree(ROOT / folder, target / folder)
    return target


@pytest.fixture
def project_copy(tmp_path: Path) -> Path:
    return copy_project(tmp_path / "project")


# --- remote SPARQL engines, started once per session and only when a test asks ----------

@pytest.fixture(scope="session")
def oxigraph_engine(tmp_path_factory: pytest.TempPathFactory):
    """A read-write Oxigraph server (``/query``, ``/update``, ``/store``) on loopback."""
    from bench.engines import OxigraphEngine

    with OxigraphEngine(tmp_path_factory.mktemp("oxigraph-server")) as engine:
        yield engine


@pytest.fixture(scope="session")
def virtuoso_engine(tmp_path_factory: pytest.TempPathFactory):
    """Virtuoso OSE on loopback ports with its database in a temporary folder."""
    from bench.engines import VirtuosoEngine, virtuoso_available

    if not virtuoso_available():
        pytest.fail("virtuoso-t / isql-vt not installed: .ci/run installs "
                    "virtuoso-opensource-7-bin (apt-get)")
    with VirtuosoEngine(tmp_path_factory.mktemp("virtuoso")) as engine:
        yield engine
