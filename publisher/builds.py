"""Build records and the live link: what a build says about itself, and which one is live.

A build is a folder under ``settings.builds_dir`` holding the store, the shapes, the
ontology and the competency questions as they were when it was built, its search index
(``search.sqlite``), what its retired IRIs answer (``retired.json``), and ``build.json``
(its id, time, base and statistics). The live build is the one the ``settings.store_dir``
symlink points at; ``publisher build`` moves the link atomically. Only
:mod:`publisher.snapshot` asks which build is live (per request, through
:func:`live_target`); the pipeline writes builds and swaps them in.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from typing import Any

from .settings import Settings

BUILD_INFO = "build.json"
#: Folders of a build that keep the inputs serving needs, as they were at build time.
SHAPES_FOLDER = "shapes"
ONTOLOGY_FOLDER = "ontology"
QUERIES_FOLDER = "queries"
#: What each retired entity IRI of the build answers (301 or 410), written by the build.
RETIRED_FILE = "retired.json"


class StoreUnavailable(RuntimeError):
    """No usable build at the configured store path; the message says what to do (503)."""


@dataclass(frozen=True)
class BuildRecord:
    """What a build records about itself; ``build_id`` and ``built_at`` drive validators.

    ``built_at`` is derived from the inputs (see :func:`publisher.pipeline.build`), so two
    builds of the same inputs record the same time and serve the same bytes.
    """

    build_id: str
    built_at: datetime
    base: str
    path: Path
    stats: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def read(cls, path: Path) -> BuildRecord:
        """The record of the build in ``path``; StoreUnavailable when it has none."""
        record = path / BUILD_INFO
        try:
            data = json.loads(record.read_text(encoding="utf-8"))
            built_at = datetime.fromisoformat(data["built_at"])
            return cls(build_id=str(data["build_id"]),
                       built_at=built_at if built_at.tzinfo else built_at.replace(tzinfo=UTC),
                       base=str(data["base"]), path=path, stats=dict(data.get("stats", {})))
        except FileNotFoundError:
            raise StoreUnavailable(
                f"{path} is not a build made by `publisher build` (it has no {BUILD_INFO}); "
                "run `publisher build`, or point PUBLISHER_STORE_DIR at the store it made"
            ) from None
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise StoreUnavailable(f"the build record {record} cannot be read ({error}); "
                                   "run `publisher build` again") from None

    @property
    def last_modified(self) -> str:
        """``built_at`` as an HTTP date (``Last-Modified``)."""
        return format_datetime(self.built_at.astimezone(UTC), usegmt=True)

    @property
    def shapes_dir(self) -> Path:
        return self.path / SHAPES_FOLDER

    @property
    def ontology_dir(self) -> Path:
        return self.path / ONTOLOGY_FOLDER

    @property
    def queries_dir(self) -> Path:
        return self.path / QUERIES_FOLDER

    @property
    def retired_file(self) -> Path:
        return self.path / RETIRED_FILE


def live_target(settings: Settings) -> str | None:
    """The live link's target as written (one ``readlink``), None when it is no symlink.

    Cheap enough to call per request: a changed target is how a running server notices
    that a new build was swapped in.
    """
    try:
        return os.readlink(settings.store_dir)
    except OSError:
        return None


def resolve_live_build(settings: Settings) -> Path:
    """The folder of the live build, or StoreUnavailable saying what is wrong."""
    link = settings.store_dir
    if not link.exists():
        raise StoreUnavailable(
            f"no store at {link}: run `publisher build` first (it builds from "
            f"{settings.data_dir})")
    path = link.resolve()
    if not (path / BUILD_INFO).is_file():
        raise StoreUnavailable(
            f"{link} is not a build made by `publisher build` (no {BUILD_INFO} in "
            f"{path}); run `publisher build`, or point PUBLISHER_STORE_DIR at its store")
    return path


def swap_in(settings: Settings, build_path: Path) -> None:
    """Point the live symlink at ``build_path`` atomically (rename over the old link)."""
    link = settings.store_dir
    link.parent.mkdir(parents=True, exist_ok=True)
    if link.exists() and not link.is_symlink():
        raise RuntimeError(
            f"{link} exists and is not a symlink made by `publisher build`; move it away first"
        )
    tmp = link.with_name(f".{link.name}.swap-{os.getpid()}")
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    os.symlink(os.path.relpath(build_path, link.parent), tmp)
    try:
        os.replace(tmp, link)
    except OSError:
        tmp.unlink(missing_ok=True)
        raise
