"""The build: facts -> RDF -> derived -> validated -> new store, swapped in.

Each stage is a plain function of its own module; this module only composes them and
wraps the composition with progress lines and per-stage timing, so each stage stays
testable alone. Validation and the load overlap: the new store is written into a
``.partial`` folder by a child process while SHACL runs (:mod:`.load`), and it is
published only if validation passes, else the child is stopped and its output deleted.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import chain
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from rdflib import Graph

from .. import __version__
from ..builds import ONTOLOGY_FOLDER, QUERIES_FOLDER, SHAPES_FOLDER
from ..namespaces import compact
from ..settings import Settings
from ..store.embedded import EmbeddedStore
from .facts import FactFileError
from .load import LoadFailed, Loading, publish
from .locate import Locator
from .mapping import MappedFile, MappingError, load_context, parse_turtle_dir
from .parallel_map import read_and_map
from .shacl import (
    ShaclResult,
    run_shacl,
    run_shacl_turbo,
    shape_label,
    shape_owner,
    to_rdflib_graph,
)

Progress = Callable[[str], None]


class BuildFailed(Exception):
    """The build stopped; ``problems`` are lines a person can act on."""

    def __init__(self, stage: str, problems: list[str]) -> None:
        self.stage = stage
        self.problems = problems
        super().__init__(f"build failed at {stage}: " + "; ".join(problems[:3]))


@dataclass
class BuildResult:
    build_id: str
    path: Path
    stats: dict[str, Any]
    timings: dict[str, float] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


@dataclass
class Prepared:
    """Everything the validation and load stages need, mapped and derived in memory."""

    mapped: list[MappedFile]
    derived_count: int  # quads mapped and derived from the facts, without the ontology
    ontology: list[ox.Quad]
    shapes: list[ox.Quad]
    # The derived quads and the ontology in one in-memory store: what pyshacl-turbo
    # validates (it reads a store as the union of its graphs) and what is loaded, with no
    # copy as Python objects.
    dataset: ox.Store


def input_folders(settings: Settings) -> tuple[Path, ...]:
    return (settings.data_dir, settings.mappings_dir, settings.ontology_dir,
            settings.shapes_dir, settings.queries_dir)


def input_files(settings: Settings) -> list[Path]:
    return sorted(p for folder in input_folders(settings) if folder.is_dir()
                  for p in folder.rglob("*") if p.is_file())


def inputs_time(settings: Settings) -> datetime:
    """When the inputs last changed: the build's time, so equal inputs give equal bytes.

    The time of the newest commit touching the inputs when they are committed and
    unchanged (every checkout of a commit agrees on it), else the newest file time.
    """
    folders = [str(f) for f in input_folders(settings) if f.is_dir()]
    committed = _commit_time(settings.project_dir, folders)
    if committed is not None:
        return committed
    newest = max((p.stat().st_mtime for p in input_files(settings)), default=0.0)
    return datetime.fromtimestamp(int(newest), UTC)


def _commit_time(project: Path, folders: list[str]) -> datetime | None:
    if not folders or shutil.which("git") is None:
        return None
    try:
        status = subprocess.run(["git", "status", "--porcelain", "--", *folders], cwd=project,
                                capture_output=True, text=True, timeout=30, check=True)
        if status.stdout.strip():
            return None  # uncommitted changes: the files are newer than any commit
        stamp = subprocess.run(["git", "log", "-1", "--format=%ct", "--", *folders],
                               cwd=project, capture_output=True, text=True, timeout=30,
                               check=True).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return datetime.fromtimestamp(int(stamp), UTC) if stamp.isdigit() else None


def keep_serving_inputs(settings: Settings, build: Path) -> None:
    """Copy what serving reads besides the store into the build: the shapes and the
    ontology it was validated with, and the competency questions, as they are now."""
    for source, name in ((settings.shapes_dir, SHAPES_FOLDER),
                         (settings.ontology_dir, ONTOLOGY_FOLDER),
                         (settings.queries_dir, QUERIES_FOLDER)):
        target = build / name
        target.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            for path in sorted(source.iterdir()):
                if path.is_file() and path.suffix in (".ttl", ".rq"):
                    shutil.copyfile(path, target / path.name)


def build_id(settings: Settings) -> str:
    """Content hash of every input and the base: same inputs, same id (stable ETags)."""
    digest = hashlib.sha256(f"{__version__}\n{settings.base}\n".encode())
    for path in input_files(settings):
        digest.update(str(path.relative_to(settings.project_dir)).encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:20]


def prepare(settings: Settings) -> Prepared:
    """Read, map and derive; raises BuildFailed naming the file at fault."""
    root = settings.project_dir
    try:
        context = load_context(settings.mappings_dir)
        mapped = read_and_map(settings.data_dir, context, settings.base, root,
                              settings.build_workers)
        ontology = parse_turtle_dir(settings.ontology_dir, settings.base,
                                    ox.NamedNode(settings.ontology_iri))
        shapes = parse_turtle_dir(settings.shapes_dir, settings.base, None)
    except (FactFileError, MappingError) as error:
        raise BuildFailed("mapping", [str(error)]) from error
    dataset = derive(settings, mapped)
    derived_count = len(dataset)
    dataset.bulk_extend(ontology)
    return Prepared(mapped, derived_count, ontology, shapes, dataset)


def derive(settings: Settings, mapped: list[MappedFile]) -> ox.Store:
    """Apply ``mappings/derive.ru`` (SPARQL Update) to the mapped quads, in memory."""
    work = ox.Store()
    work.bulk_extend(chain.from_iterable(m.quads for m in mapped))
    rules = settings.mappings_dir / "derive.ru"
    if rules.exists():
        try:
            work.update(rules.read_text(encoding="utf-8"), base_iri=settings.base)
        except SyntaxError as error:
            raise BuildFailed("derivation", [f"{rules}: {error}"]) from error
    return work


def validate(settings: Settings, prepared: Prepared) -> tuple[list[str], list[str]]:
    """SHACL over the union of all graphs; returns (violations, warnings) as located lines."""
    shapes = to_rdflib_graph(prepared.shapes)
    if settings.shacl_engine == "turbo":
        report = run_shacl_turbo(prepared.dataset, shapes)
    else:
        report = run_shacl(to_rdflib_graph(prepared.dataset), shapes)
    violations: list[str] = []
    warnings: list[str] = []
    if not report.results:
        return violations, warnings
    locator = Locator(prepared.mapped, settings.id_base)  # indexes every quad: only on need
    for result in report.results:
        line = describe(result, locator, settings.base, shapes)
        (violations if result.severity == "Violation" else warnings).append(line)
    return violations, warnings


def describe(result: ShaclResult, locator: Locator, base: str, shapes: Graph) -> str:
    where = ", ".join(str(loc) for loc in locator.locate(result)) or "(no record found)"
    focus = "a nested value of " if result.focus_is_blank else ""
    focus += compact(result.focus, base) if not result.focus_is_blank else ""
    path = f" {compact(result.path, base)}" if result.path else ""
    value = f" (value: {compact(result.value, base)})" if result.value is not None else ""
    node = result.shape_node
    shape = shape_label(shapes, node, shape_owner(shapes, node), base)
    return (f"{where}: {focus or 'record'}{path}: {result.message}{value} "
            f"[{shape}, {result.component}]")


def statistics(settings: Settings, dataset: ox.Store) -> dict[str, Any]:
    """Triples per graph and entities per class, as the store interface counts them."""
    return EmbeddedStore(dataset).statistics(settings.ontology_iri)


@contextmanager
def _stage(name: str, timings: dict[str, float], progress: Progress) -> Iterator[None]:
    progress(f"- {name} ...")
    start = time.perf_counter()
    yield
    timings[name] = round(time.perf_counter() - start, 3)
    progress(f"  {name}: {timings[name]:.2f} s")


def build(settings: Settings, progress: Progress = print,
          before_publish: Callable[[Path], None] | None = None) -> BuildResult:
    """Run the whole pipeline; on success the new store is live, else BuildFailed."""
    timings: dict[str, float] = {}
    total = time.perf_counter()
    with _stage("map", timings, progress):
        prepared = prepare(settings)
        progress(f"  {len(prepared.mapped)} files, "
                 f"{sum(len(m.fact_file.records) for m in prepared.mapped)} records, "
                 f"{prepared.derived_count} quads")
    identifier = build_id(settings)
    built_at = inputs_time(settings)
    name = f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{identifier[:12]}"
    loading = Loading(settings, name, prepared.dataset)
    try:
        with _stage("validate", timings, progress):
            violations, warnings = validate(settings, prepared)
        for line in warnings:
            progress(f"  warning: {line}")
        if violations:
            raise BuildFailed("validation", violations)
        waiting = time.perf_counter()
        timings["load"] = loading.wait()
    except LoadFailed as error:
        raise BuildFailed("load", [str(error)]) from error
    except BaseException:
        loading.discard()
        raise
    progress(f"  load: {timings['load']:.2f} s, alongside validation "
             f"({time.perf_counter() - waiting:.2f} s more after it)")
    stats = statistics(settings, prepared.dataset)
    keep_serving_inputs(settings, loading.partial)
    info = {"build_id": identifier, "built_at": built_at.isoformat(),
            "base": settings.base, "stats": stats, "timings": timings}
    path = publish(settings, loading.partial, info, before_publish)
    timings["total"] = round(time.perf_counter() - total, 3)
    return BuildResult(identifier, path, stats, timings, warnings)
