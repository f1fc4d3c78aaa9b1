"""The build: facts -> RDF -> derived -> validated -> new store, swapped in.

Each stage is a plain function of its own module; this module only composes them and
wraps the composition with progress lines and per-stage timing, so each stage stays
testable alone. Validation and the load overlap: the new store is written into a
``.partial`` folder by a child process while SHACL runs (:mod:`.load`), and it is
published only if validation passes, else the child is stopped and its output deleted.
"""

from __future__ import annotations

import hashlib
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
from ..namespaces import compact
from ..settings import Settings
from .facts import FactFileError
from .load import LoadFailed, Loading, publish
from .locate import Locator
from .mapping import MappedFile, MappingError, load_context, parse_turtle_dir
from .parallel_map import read_and_map
from .per_source import Disagreement, Engine, remaining_blank_nodes, validate_sources
from .shacl import (
    ShaclResult,
    run_shacl,
    run_shacl_turbo,
    shape_label,
    shape_owner,
    to_rdflib_graph,
)
from .summary import SourceSummary, source_summary

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
    # Per source file, what the build reports: records, facts, facts with evidence,
    # warnings (filled in by validate).
    summary: list[SourceSummary] = field(default_factory=list)


def input_files(settings: Settings) -> list[Path]:
    folders = (settings.data_dir, settings.mappings_dir, settings.ontology_dir,
               settings.shapes_dir)
    return sorted(p for folder in folders if folder.is_dir()
                  for p in folder.rglob("*") if p.is_file())


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
    """Each graph alone with its context, then the union where graphs meet.

    Returns (violations, warnings) as located lines. A violation of any one graph fails
    the build; a disagreement between sources, found only in the union, is a warning
    that names each source and its value. The per-source summary is left on
    ``prepared.summary`` for the build's report.
    """
    shapes = to_rdflib_graph(prepared.shapes)
    locator: Locator | None = None

    def located() -> Locator:  # indexes every quad: only on need
        nonlocal locator
        if locator is None:
            locator = Locator(prepared.mapped, settings.id_base)
        return locator

    graphs = [m.graph for m in prepared.mapped]
    blank = remaining_blank_nodes(prepared.dataset, graphs)
    if blank:
        by_graph = {m.graph: m for m in prepared.mapped}
        return [f"{by_graph[g].fact_file.path}: {compact(_blank_owner(quads), settings.base)}"
                f" holds a nested value the rules of mappings/derive.ru cannot name "
                f"({len(quads)} quads); give it an id or a key they know" for g, quads in
                blank.items()], []

    engine = _engine(settings)
    checked = validate_sources(prepared.dataset, settings.base,
                               ox.NamedNode(settings.ontology_iri), shapes, engine)
    violations: list[str] = []
    warnings: list[str] = []
    per_graph: dict[ox.NamedNode, int] = {}
    for check in checked.checks:
        for result in check.results:
            line = describe(result, located(), settings.base, shapes, check.graph)
            if result.severity == "Violation":
                violations.append(line)
            else:
                warnings.append(line)
                per_graph[check.graph] = per_graph.get(check.graph, 0) + 1
    for disagreement in checked.disagreements:
        warnings.append(disagree(disagreement, located(), settings.base, shapes))
        for graph in disagreement.graphs:
            per_graph[graph] = per_graph.get(graph, 0) + 1
    prepared.summary = source_summary(prepared.mapped, per_graph)
    return violations, warnings


def _engine(settings: Settings) -> Engine:
    if settings.shacl_engine == "turbo":
        return lambda data, shapes, focus: run_shacl_turbo(data, shapes, focus)
    return lambda data, shapes, focus: run_shacl(to_rdflib_graph(data), shapes,
                                                 focus_nodes=focus)


def _blank_owner(quads: list[ox.Quad]) -> str:
    for quad in quads:
        if isinstance(quad.subject, ox.NamedNode):
            return quad.subject.value
    return str(quads[0].subject)


def disagree(disagreement: Disagreement, locator: Locator, base: str, shapes: Graph) -> str:
    """``sources disagree on <node> <path>: 2025-07-10 (file:line), 2025-07-11 (file:line)``."""
    result = disagreement.result
    path = f" {compact(result.path, base)}" if result.path else ""
    stated = []
    for graph in disagreement.graphs:
        where = ", ".join(str(loc) for loc in locator.locate(result, graph)) or graph.value
        values = ", ".join(disagreement.values[graph]) or "(no value)"
        stated.append(f"{values} in {where}")
    node = shape_label(shapes, result.shape_node, shape_owner(shapes, result.shape_node), base)
    why = ("one value expected" if result.component == "MaxCountConstraintComponent"
           else result.message)
    return (f"sources disagree on {compact(result.focus, base)}{path}: "
            f"{'; '.join(stated) or 'see the sources of this node'} "
            f"({why}) [{node}, {result.component}]")


def describe(result: ShaclResult, locator: Locator, base: str, shapes: Graph,
             graph: ox.NamedNode | None = None) -> str:
    where = ", ".join(str(loc) for loc in locator.locate(result, graph)) or "(no record found)"
    focus = "a nested value of " if result.focus_is_blank else ""
    focus += compact(result.focus, base) if not result.focus_is_blank else ""
    path = f" {compact(result.path, base)}" if result.path else ""
    value = f" (value: {compact(result.value, base)})" if result.value is not None else ""
    node = result.shape_node
    shape = shape_label(shapes, node, shape_owner(shapes, node), base)
    return (f"{where}: {focus or 'record'}{path}: {result.message}{value} "
            f"[{shape}, {result.component}]")


def statistics(settings: Settings, dataset: ox.Store) -> dict[str, Any]:
    """Triples per graph and entities per class, counted by Oxigraph (no Python loop)."""
    ontology = ox.NamedNode(settings.ontology_iri)  # its str() is the SPARQL form, <…>
    per_graph = {"": len(list(dataset.quads_for_pattern(None, None, None, ox.DefaultGraph())))}
    for row in dataset.query(
            "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"):
        per_graph[row["g"].value] = int(row["n"].value)
    typed = dataset.query(
        "SELECT ?c (COUNT(DISTINCT ?s) AS ?n) WHERE {"
        f" {{ ?s a ?c }} UNION {{ GRAPH ?g {{ ?s a ?c }} FILTER(?g != {ontology}) }} }}"
        " GROUP BY ?c")
    return {
        "triples": len(dataset),
        "triples_per_graph": dict(sorted(per_graph.items())),
        "entities_per_class": dict(sorted((row["c"].value, int(row["n"].value))
                                          for row in typed)),
    }


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
    built_at = datetime.now(UTC).replace(microsecond=0)
    name = f"{built_at:%Y%m%dT%H%M%SZ}-{identifier[:12]}"
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
    stats["sources"] = [summary.as_dict() for summary in prepared.summary]
    info = {"build_id": identifier, "built_at": built_at.isoformat(),
            "base": settings.base, "stats": stats, "timings": timings}
    path = publish(settings, loading.partial, info, before_publish)
    timings["total"] = round(time.perf_counter() - total, 3)
    return BuildResult(identifier, path, stats, timings, warnings)
