"""Stage 4: write a complete new store beside the live one, then swap it in.

The new build is written to ``<builds>/<name>.partial`` and renamed only once the store
and its ``build.json`` are complete; only then does the live symlink move. A build that
fails or is killed at any point leaves at most a ``.partial`` folder, which the next build
removes, and the live store is never touched.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from ..settings import Settings
from ..store import BUILD_INFO, swap_in

KEEP_BUILDS = 3


def clean_partial_builds(builds_dir: Path) -> None:
    if builds_dir.is_dir():
        for leftover in builds_dir.glob("*.partial"):
            shutil.rmtree(leftover, ignore_errors=True)


def write_store(
    settings: Settings,
    name: str,
    quads: Iterable[ox.Quad],
    info: dict[str, Any],
    before_publish: Callable[[Path], None] | None = None,
) -> Path:
    """Write ``quads`` into a fresh store, record ``info``, publish it; return its path."""
    builds = settings.builds_dir
    builds.mkdir(parents=True, exist_ok=True)
    clean_partial_builds(builds)
    partial = builds / f"{name}.partial"
    final = builds / name
    store = ox.Store(str(partial))
    store.bulk_extend(quads)
    store.flush()
    store.optimize()
    del store  # release the RocksDB lock before readers open it
    (partial / BUILD_INFO).write_text(json.dumps(info, indent=2, sort_keys=True) + "\n",
                                      encoding="utf-8")
    if before_publish is not None:
        before_publish(partial)
    if final.exists():
        shutil.rmtree(final)
    partial.rename(final)
    swap_in(settings, final)
    _prune(builds, keep={final})
    return final


def _prune(builds: Path, keep: set[Path]) -> None:
    """Keep the newest few builds so a reader still on an older one is not cut off."""
    complete = sorted((p for p in builds.iterdir() if p.is_dir() and not p.name.endswith(
        ".partial")), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in complete[KEEP_BUILDS:]:
        if old not in keep:
            shutil.rmtree(old, ignore_errors=True)
