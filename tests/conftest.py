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
