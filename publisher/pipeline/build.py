"""The build: facts -> RDF -> derived -> validated -> new store, swapped in.

Each stage is a plain function of its own module; this module only composes them and
wraps the composition with progress lines and per-stage timing, so each stage stays
testable alone. Validation and the load overlap: the new store is written into a
``.partial`` folder by a child process while SHACL runs (:mod:`.load`), and it is
published only if validation passes, else the child is stopped and its output deleted.

A build holds the store's build lock (:mod:`.lock`) from start to end. Every failure is a
:class:`BuildFailed` saying whether the inputs are at fault (a fact, a shape, a file the
build refuses to read) or the environment (the lock is held, the disk is full, the store
cannot be written), which the command line turns into exit code 1 or 3.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import threading
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
from ..builds import ONTOLOGY_FOLDER, QUERIES_FOLDER, SHAPES_FOLDER, BuildRecord
from ..linked_data.dumps import DUMPS, graph_order, member_key
from ..namespaces import compact
from ..process import settling
from ..settings import Settings
from ..stable_uris import PUBLISHED_FILE
from ..store.embedded import EmbeddedStore
from .build_cache import (
    Entries,
    GraphChecks,
    MappingCache,
    ValidationCache,
    environment_digest,
)
from .country_codes import country_code_quads
from .derive_local import ByGraph, content_keys, derive_by_graph, proven_graph_local
from .document_pack import Describers, PackChanges, PackFailed, previous_pack, write_pack
from .dump_files import LAYOUT_FILE, LiveDumps
from .fact_check import FactChecker
from .fact_schema import (
    COMPLEMENT,
    Complement,
    ContextNotSupported,
    derive_schema,
    ontology_classes,
)
from .facts import FactFileError, ReadLimits, parse_yaml
from .findability import IndexFailed, SearchIndexing, check_stable_iris
from .inputs import InputError, digest_input, find_inputs, read_input
from .load import (
    LoadFailed,
    Loading,
    clean_partial_builds,
    previous_store,
    publish,
    record_store,
    recorded_graphs,
)
from .locate import Locator
from .lock import BuildLocked, build_lock
from .mapping import MappedFile, MappingError, load_context, parse_turtle_dir
from .nquads import EMPTY_GRAPH_HASH, graph_hashes, graph_key, graph_of
from .parallel_map import read_and_map
from .per_source import (
    Disagreement,
    Engine,
    canonical_nquads,
    engine_check,
    remaining_blank_nodes,
    validate_sources,
)
from .remote_load import before_publish_remote
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
    """The build stopped; ``problems`` are lines a person can act on.

    ``environment`` is true when the inputs are not at fault: the lock is held, the disk
    is full, the store cannot be written (exit code 3 rather than 1)."""

    def __init__(self, stage: str, problems: list[str], environment: bool = False) -> None:
        self.stage = stage
        self.problems = problems
        self.environment = environment
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
    # What this build remembered or reused (:mod:`.build_cache`); pruned once it succeeds.
    caches: list[Entries] = field(default_factory=list)
    # Seconds of the parts of each stage ("map.files", "map.derive", ...), for bench/.
    parts: dict[str, float] = field(default_factory=dict)
    # The hash of each graph as the store writer records it (:func:`.nquads.graph_hashes`),
    # the source graphs' from validation, which reads them anyway.
    graph_hashes: dict[str, str] = field(default_factory=dict)
    # Per named graph, a key of its exact content and description in ``dataset``, when
    # derived graph by graph (:func:`.derive_local.content_keys`).
    graph_keys: dict[ox.NamedNode, str] = field(default_factory=dict)
    # Graphs the derivation saw to hold no blank node (:class:`.derive_local.ByGraph`).
    blank_free: set[ox.NamedNode] = field(default_factory=set)
    # The number of quads of each graph validation checked (for the statistics).
    graph_counts: dict[str, int] = field(default_factory=dict)


def input_folders(settings: Settings) -> tuple[Path, ...]:
    return (settings.data_dir, settings.mappings_dir, settings.ontology_dir,
            settings.shapes_dir, settings.queries_dir)


def input_files(settings: Settings) -> list[Path]:
    """What the build reads. The list of published IRIs is not an input (the build
    writes it, and it changes no output), so updating it keeps the build id."""
    published = settings.data_dir / PUBLISHED_FILE
    return sorted(p for folder in input_folders(settings) if folder.is_dir()
                  for p in find_inputs(folder, settings.project_dir) if p != published)


def inputs_time(settings: Settings) -> datetime:
    """When the inputs last changed: the build's time, so equal inputs give equal bytes.

    The time of the newest commit touching the inputs when they are committed and
    unchanged (every checkout of a commit agrees on it), else the newest file time.
    """
    folders = [str(f) for f in input_folders(settings) if f.is_dir()]
    published = settings.data_dir / PUBLISHED_FILE
    if settings.data_dir.is_dir():  # written by builds, read by none: not an input
        folders.append(f":(exclude){published.resolve()}")
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
    ontology it was validated with, and the competency questions, as they are now (read
    under the same rules as every input; LoadFailed when they cannot be written)."""
    root = settings.project_dir
    for source, name, suffix in ((settings.shapes_dir, SHAPES_FOLDER, ".ttl"),
                                 (settings.ontology_dir, ONTOLOGY_FOLDER, ".ttl"),
                                 (settings.queries_dir, QUERIES_FOLDER, ".rq")):
        target = build / name
        try:
            target.mkdir(parents=True, exist_ok=True)
            paths = find_inputs(source, root, (suffix,)) if source.is_dir() else []
            for path in paths:
                if path.parent == source:
                    data = read_input(path, root, settings.max_input_file_bytes)
                    (target / path.name).write_bytes(data)
        except InputError as error:
            raise LoadFailed(str(error)) from error
        except OSError as error:
            raise LoadFailed(f"cannot keep {source} in the new build {target}: "
                             f"{error.strerror or error}") from error


def build_id(settings: Settings) -> str:
    """Content hash of every input and the base: same inputs, same id (stable ETags)."""
    digest = hashlib.sha256(f"{__version__}\n{settings.base}\n".encode())
    try:
        for path in input_files(settings):
            digest.update(str(path.relative_to(settings.project_dir)).encode() + b"\0")
            digest_input(path, settings.project_dir, settings.max_input_file_bytes, digest)
            digest.update(b"\0")
    except InputError as error:
        raise BuildFailed("inputs", [str(error)]) from error
    return digest.hexdigest()[:20]


def fact_checker(settings: Settings, context: dict[str, Any],
                 ontology: list[ox.Quad]) -> FactChecker:
    """The schema of the fact files, derived from the context (see :mod:`.fact_schema`)
    and ``mappings/keys.yaml``; errors name the file at fault."""
    path = settings.mappings_dir / COMPLEMENT
    complement = Complement()
    if path.exists():
        text = read_input(path, settings.project_dir, settings.max_input_file_bytes)
        _node, data = parse_yaml(text.decode("utf-8"), str(path.relative_to(
            settings.project_dir) if path.is_relative_to(settings.project_dir) else path))
        try:
            complement = Complement.read(data if isinstance(data, dict) else {})
        except (TypeError, AttributeError, ValueError, re.error) as error:
            raise ContextNotSupported(f"{path}: {error}") from error
    try:
        schema = derive_schema(context, ontology_classes(ontology, settings.vocab),
                               complement)
    except ContextNotSupported as error:
        raise ContextNotSupported(f"{settings.mappings_dir / 'context.jsonld'}: {error}") \
            from error
    return FactChecker(schema)


def mapping_cache(settings: Settings) -> MappingCache:
    """The mapping cache, keyed on everything a file's mapping depends on besides the
    file itself (see :mod:`.build_cache`); disabled by ``PUBLISHER_BUILD_CACHE=false``."""
    if not settings.build_cache:
        return MappingCache(None, hashlib.sha256())
    environment = environment_digest(
        [("base", settings.base), ("max_input_file_bytes", settings.max_input_file_bytes),
         ("max_fact_value_chars", settings.max_fact_value_chars),
         ("pyoxigraph", ox.__version__)],
        [settings.mappings_dir, settings.ontology_dir, settings.shapes_dir],
        settings.project_dir, settings.max_input_file_bytes)
    return MappingCache(settings.build_cache_dir / "mapping", environment)


def prepare(settings: Settings) -> Prepared:
    """Read, check, map and derive; raises BuildFailed naming the file at fault."""
    root = settings.project_dir
    limits = ReadLimits(settings.max_input_file_bytes, settings.max_fact_value_chars)
    try:
        context = load_context(settings.mappings_dir, root, settings.max_input_file_bytes)
        ontology = parse_turtle_dir(settings.ontology_dir, settings.base,
                                    ox.NamedNode(settings.ontology_iri), root,
                                    settings.max_input_file_bytes)
        shapes = parse_turtle_dir(settings.shapes_dir, settings.base, None, root,
                                  settings.max_input_file_bytes)
        checker = fact_checker(settings, context, ontology)
        rules = derivation_rules(settings)
        started = time.perf_counter()
        cache = mapping_cache(settings)
        mapped = read_and_map(settings.data_dir, context, settings.base, root,
                              settings.build_workers, limits, checker, cache)
        files = time.perf_counter() - started
    except FactFileError as error:
        raise BuildFailed("mapping", error.problems) from error
    except (MappingError, InputError, ContextNotSupported, UnicodeDecodeError) as error:
        raise BuildFailed("mapping", [str(error)]) from error
    started = time.perf_counter()
    derived = Entries(settings.build_cache_dir / "derived" if settings.build_cache else None)
    dataset, graph_keys, blank_free = derive(settings, mapped, rules, derived)
    codes, conflicts = country_code_quads(dataset, settings.base)
    if conflicts:
        raise BuildFailed("country codes", [str(conflict) for conflict in conflicts])
    dataset.bulk_extend(codes)  # ISO 3166 codes from pycountry, not typed by hand
    graph_keys = content_keys(graph_keys, codes)
    derived_count = len(dataset)
    dataset.bulk_extend(ontology)
    parts = {"map.files": round(files, 3),
             "map.derive": round(time.perf_counter() - started, 3)}
    return Prepared(mapped, derived_count, ontology, shapes, dataset,
                    caches=[cache.entries, derived], parts=parts, graph_keys=graph_keys,
                    blank_free=blank_free)


def derivation_rules(settings: Settings) -> str | None:
    """The text of ``mappings/derive.ru``, if there is one."""
    rules = settings.mappings_dir / "derive.ru"
    if not rules.exists():
        return None
    try:
        return read_input(rules, settings.project_dir,
                          settings.max_input_file_bytes).decode("utf-8")
    except (InputError, UnicodeDecodeError) as error:
        raise BuildFailed("derivation", [f"{rules}: {error}"]) from error


def derive(settings: Settings, mapped: list[MappedFile], rules: str | None,
           remembered: Entries | None = None) -> ByGraph:
    """Apply ``mappings/derive.ru`` (SPARQL Update) to the mapped quads, in memory: graph
    by graph, each graph's result remembered in ``remembered`` and only the graphs without
    one derived, when the rules and the data are proven to allow it (the same result,
    :mod:`.derive_local`); else to the union (no graph keys, no graph known to be free
    of blank nodes)."""
    if rules is not None and proven_graph_local(rules, settings.base, remembered):
        by_graph = derive_by_graph(mapped, rules, settings.base, remembered)
        if by_graph is not None:
            return by_graph
    work = ox.Store()
    work.bulk_extend(chain.from_iterable(m.quads for m in mapped))
    if rules is not None:
        try:
            work.update(rules, base_iri=settings.base)
        except SyntaxError as error:
            raise BuildFailed("derivation", [f"{settings.mappings_dir / 'derive.ru'}: "
                                             f"{error}"]) from error
    return ByGraph(work, {}, set())


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

    graphs = dict.fromkeys(m.graph for m in prepared.mapped if m.graph not in
                           prepared.blank_free)
    blank = remaining_blank_nodes(prepared.dataset, graphs)
    if blank:
        by_graph = {m.graph: m for m in prepared.mapped}

        def shown(graph: ox.NamedNode) -> str:  # the file as the project names it
            records = by_graph[graph].fact_file.records
            return str(records[0].file if records else by_graph[graph].fact_file.path)

        return [f"{shown(g)}: {compact(_blank_owner(quads), settings.base)}"
                f" holds a nested value the rules of mappings/derive.ru cannot name "
                f"({len(quads)} quads); give it an id or a key they know" for g, quads in
                blank.items()], []

    engine = _engine(settings)
    cache = ValidationCache(settings.build_cache_dir / "shacl" if settings.build_cache
                            else None, settings.shacl_engine, canonical_nquads(prepared.shapes))
    prepared.caches.append(cache.entries)
    remembered = GraphChecks(settings.build_cache_dir / "shacl-graphs", cache,
                             prepared.graph_keys, canonical_nquads(prepared.ontology))
    prepared.caches.append(remembered.entries)
    checked = validate_sources(prepared.dataset, settings.base,
                               ox.NamedNode(settings.ontology_iri), shapes, engine,
                               cache.wrap(engine_check(engine, shapes)), remembered)
    violations: list[str] = []
    warnings: list[str] = []
    per_graph: dict[ox.NamedNode, int] = {}
    prepared.graph_hashes = {graph_key(check.graph): check.digest for check in checked.checks}
    prepared.graph_counts = {check.graph.value: check.triples for check in checked.checks}
    prepared.graph_hashes.update(graph_hashes(prepared.dataset, [
        ox.DefaultGraph(), ox.NamedNode(settings.ontology_iri)]))
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
    summaries = Entries(settings.build_cache_dir / "summary" if settings.build_cache
                        else None)
    prepared.caches.append(summaries)
    prepared.summary = source_summary(prepared.mapped, per_graph, summaries)
    return violations, warnings


def _engine(settings: Settings) -> Engine:
    if settings.shacl_engine == "turbo":
        return lambda data, shapes, focus: run_shacl_turbo(data, shapes, focus)
    return lambda data, shapes, focus: run_shacl(data, shapes, focus_nodes=focus)


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


#: The command that makes the dumps; the N-Quads file, the folder and the base are appended.
DUMPER = [sys.executable, "-m", "publisher.pipeline.dump_files"]


class Dumping:
    """The dumps, made by a separate process (:mod:`.dump_files`) and moved into the
    build (``dumps/``): a reverse proxy serves them from there, and the application
    serves the same bytes (:func:`publisher.linked_data.rendering.dumps`). A thread of
    this process dumps N-Quads for it, starts it and waits for it (the process dies with
    that thread).

    Each graph's part of each dump is kept in the build cache under the graph's hash.
    A cold build dumps the whole dataset alongside validation; a build that writes only
    the changed graphs of the store (``deferred``) waits for validation's hashes
    (:meth:`write_changes`) and dumps only the graphs whose parts are not kept: after a
    one-file edit, one graph instead of a million quads sorted and compressed again.
    """

    def __init__(self, settings: Settings, folder: Path, dataset: ox.Store,
                 deferred: bool = False, live: Path | None = None) -> None:
        """``folder``: a new ``….dumps.partial`` beside the build being written; ``live``:
        the live build, whose dump files hold the members of unchanged graphs."""
        self.started = time.perf_counter()
        self.folder = folder
        self.base = settings.base
        self.live = LiveDumps.open(live, settings.base) if deferred else None
        self.cache = Entries(settings.build_cache_dir / "dumps" if settings.build_cache
                             else None)
        self.failure: str | None = None
        self.finished = self.started
        self._lock = threading.Lock()
        self._cancelled = False
        self._process: subprocess.Popen[bytes] | None = None
        self._thread: threading.Thread | None = None
        #: Graphs in the dumps, and how many of them were dumped for the process (the
        #: others' parts were kept).
        self.graphs = self.made = 0
        if not deferred:
            self._start(dataset, None)

    def _start(self, dataset: ox.Store, hashes: dict[str, str] | None) -> None:
        self._thread = threading.Thread(target=self._run, args=(dataset, hashes),
                                        name="build-dumps", daemon=True)
        self._thread.start()

    def write_changes(self, dataset: ox.Store, hashes: dict[str, str]) -> None:
        """Start the dumps once every graph's hash is known, from the kept parts of the
        graphs that did not change and the N-Quads of those that did."""
        self.started = time.perf_counter()
        self._start(dataset, hashes or None)  # no hashes (never, once validated): all

    def keep(self, hashes: dict[str, str]) -> None:
        """Mark the parts of these graphs as used (the cache keeps them; others go)."""
        for key in graph_order(hashes):
            digest = hashes.get(key, EMPTY_GRAPH_HASH)
            self.cache.used.update(member_key(name, key, digest, self.base)
                                   for name, _, _ in DUMPS)

    def _missing(self, keys: list[str], hashes: dict[str, str]) -> list[str]:
        """The graphs some of whose parts are neither in the live dumps nor kept (or
        whose hash is not known)."""
        return [key for key in keys if key not in hashes or not (
            self.live is not None and self.live.has(key, hashes[key]) or all(
                self.cache.has(member_key(name, key, hashes[key], self.base))
                for name, _, _ in DUMPS))]

    def _run(self, dataset: ox.Store, hashes: dict[str, str] | None) -> None:
        nquads = self.folder / "dataset.nq"
        command = [*DUMPER, str(nquads), str(self.folder / "dumps"), self.base]
        try:
            self.folder.mkdir()
            if hashes is None:
                self.graphs = self.made = len(graph_order(map(graph_key,
                                                              dataset.named_graphs())))
                dataset.dump(str(nquads), format=ox.RdfFormat.N_QUADS)
            else:
                everything = graph_order([*hashes, *map(graph_key, dataset.named_graphs())])
                missing = self._missing(everything, hashes)
                self.graphs, self.made = len(everything), len(missing)
                with open(nquads, "wb") as out:
                    for key in missing:
                        out.write(ox.serialize(dataset.quads_for_pattern(
                            None, None, None, graph_of(key)), format=ox.RdfFormat.N_QUADS)
                            or b"")
                listed = self.folder / "graphs.json"
                listed.write_text(json.dumps(hashes), encoding="utf-8")
                command += ["--graphs", str(listed)]
                if self.live is not None:
                    command += ["--live", str(self.live.folder.parent)]
            if self.cache.folder is not None:
                command += ["--cache", str(self.cache.folder)]
            with self._lock:
                if self._cancelled:
                    return
                self._process = subprocess.Popen(
                    command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                    stderr=subprocess.PIPE)
            _, errors = self._process.communicate()
            if self._process.returncode != 0 and not self._cancelled:
                lines = errors.decode(errors="replace").strip().splitlines()
                self.failure = (lines[-1] if lines else
                                f"the dumps process exited with {self._process.returncode}")
        except OSError as error:
            self.failure = f"writing {nquads}: {error.strerror or error}"
        except Exception as error:  # reported by wait()
            self.failure = f"{type(error).__name__}: {error}"
        finally:
            nquads.unlink(missing_ok=True)
            self.finished = time.perf_counter()

    def wait(self, build: Path) -> float:
        """Move the dumps into ``build``; the seconds making them took, or LoadFailed."""
        from ..linked_data.dumps import DUMPS_FOLDER

        if self._thread is None:
            self.failure = self.failure or "the dumps were never started"
        else:
            self._thread.join()
        if self.failure is not None:
            self.discard()
            raise LoadFailed(f"cannot make the dumps: {self.failure}")
        try:
            os.replace(self.folder / "dumps", build / DUMPS_FOLDER)
            os.replace(self.folder / LAYOUT_FILE, build / LAYOUT_FILE)
        except OSError as error:
            self.discard()
            raise LoadFailed(f"cannot move the dumps into {build / DUMPS_FOLDER}: "
                             f"{error.strerror or error}") from error
        shutil.rmtree(self.folder, ignore_errors=True)
        return round(self.finished - self.started, 3)

    def discard(self) -> None:
        """Stop making the dumps (the build failed) and delete what was written."""
        with self._lock:
            self._cancelled = True
            if self._process is not None and self._process.poll() is None:
                self._process.kill()
        if self._thread is not None:
            self._thread.join()
        shutil.rmtree(self.folder, ignore_errors=True)


def _then(first: Callable[[Path], None],
          second: Callable[[Path], None] | None) -> Callable[[Path], None]:
    def both(path: Path) -> None:
        first(path)
        if second is not None:
            second(path)

    return both


def pack_changes(previous: tuple[Path, Path] | None, prepared: Prepared) -> PackChanges | None:
    """Which graphs differ from the live build's, for an incremental document pack; None
    when the live build has no record of its graphs or validation hashed none."""
    if previous is None or not prepared.graph_hashes:
        return None
    live, record = previous
    try:
        before = recorded_graphs(record)
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return PackChanges.between(live, before, prepared.graph_hashes)


def statistics(settings: Settings, dataset: ox.Store,
               counted: dict[str, int] | None = None) -> dict[str, Any]:
    """Triples per graph and entities per class, as the store interface counts them
    (``counted``: graphs whose quads validation counted)."""
    return EmbeddedStore(dataset).statistics(settings.ontology_iri, counted)


@contextmanager
def _stage(name: str, timings: dict[str, float], progress: Progress) -> Iterator[None]:
    progress(f"- {name} ...")
    start = time.perf_counter()
    yield
    timings[name] = round(time.perf_counter() - start, 3)
    progress(f"  {name}: {timings[name]:.2f} s")


def build(settings: Settings, progress: Progress = print,
          before_publish: Callable[[Path], None] | None = None) -> BuildResult:
    """Run the whole pipeline under the build lock; on success the new store is live,
    else BuildFailed (the live store untouched, nothing of the new build left)."""
    store = settings.store_dir
    if store.exists() and not store.is_symlink():
        raise BuildFailed("store", [f"{store} exists and is not the symlink `publisher build` "
                                    "makes: move it away, or choose another --store-dir"],
                          environment=True)
    try:
        with build_lock(settings.build_lock), settling() as settle:
            return _build(settings, progress, before_publish, settle)
    except BuildLocked as locked:
        raise BuildFailed("lock", [str(locked)], environment=True) from locked


def _build(settings: Settings, progress: Progress,
           before_publish: Callable[[Path], None] | None,
           settle: Callable[[], None] = lambda: None) -> BuildResult:
    timings: dict[str, float] = {}
    total = time.perf_counter()
    with _stage("map", timings, progress):
        prepared = prepare(settings)
        reused = prepared.caches[0].hits
        progress(f"  {len(prepared.mapped)} files ({reused} mapped as before, from the "
                 f"cache), {sum(m.record_count for m in prepared.mapped)} records, "
                 f"{prepared.derived_count} quads")
    settle()  # the prepared dataset lives until the build ends: no collection walks it
    stable = check_stable_iris(settings, prepared.dataset)
    if stable.problems:
        raise BuildFailed("stable IRIs", stable.problems)
    identifier = build_id(settings)
    built_at = inputs_time(settings)  # the inputs' time: equal inputs, equal bytes
    name = f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{identifier[:12]}"
    previous = previous_store(settings)
    # Few graphs derived anew: write the store once validation has hashed every graph,
    # dumping only those that changed (else the whole dataset, alongside validation).
    derived = prepared.caches[1]
    deferred = previous is not None and bool(prepared.graph_keys) \
        and derived.misses <= max(1, len(prepared.graph_keys) // 10)
    try:  # what killed builds left goes first (this build holds the lock): not what
        # this build's own writers are about to start writing
        settings.builds_dir.mkdir(parents=True, exist_ok=True)
        clean_partial_builds(settings.builds_dir)
    except OSError as error:
        raise BuildFailed("load", [f"cannot clean {settings.builds_dir}: "
                                   f"{error.strerror or error}"], environment=True) from error
    # Before any thread of the build starts, the processes that share the prepared
    # dataset are forked: the search index's (:class:`.findability.SearchIndexing`),
    # then the workers of an incremental pack (:class:`.document_pack.Describers`).
    indexing = SearchIndexing(settings, name, prepared.dataset, identifier,
                              graph_keys=prepared.graph_keys, caches=prepared.caches)
    live_pack = previous_pack(settings) if settings.build_document_pack else None
    describers = Describers.fork(settings, prepared.dataset, live_pack) if deferred else None
    try:
        loading = Loading(settings, name, prepared.dataset, previous, deferred, clean=False)
    except LoadFailed as error:
        if describers is not None:
            describers.close()
        indexing.discard()
        raise BuildFailed("load", [str(error)], environment=True) from error
    dumping = Dumping(settings, loading.partial.with_name(
        loading.partial.name.removesuffix(".partial") + ".dumps.partial"),
        prepared.dataset, deferred, previous[0] if previous is not None else None) \
        if settings.build_dumps else None
    try:
        with _stage("validate", timings, progress):
            violations, warnings = validate(settings, prepared)
            if len(prepared.caches) > 2:  # validation ran (no blank node stopped it)
                checks, graphs = prepared.caches[2:4]
                reused = checks.hits + graphs.hits
                progress(f"  {reused + checks.misses} SHACL runs, {reused} of them"
                         " on data validated before (results from the cache)")
        for line in warnings:
            progress(f"  warning: {line}")
        if violations:
            raise BuildFailed("validation", violations)
        if deferred:
            loading.write_changes(prepared.dataset, prepared.graph_hashes)
            if dumping is not None:
                dumping.write_changes(prepared.dataset, prepared.graph_hashes)
        if dumping is not None:
            dumping.keep(prepared.graph_hashes)
            prepared.caches.append(dumping.cache)
        waiting = time.perf_counter()
        timings["load"] = loading.wait()
        how = ("alongside validation" if loading.changed is None else
               f"{loading.changed} graphs replaced in a copy of the live store"
               + (", written after validation" if deferred else ""))
        progress(f"  load: {timings['load']:.2f} s, {how} "
                 f"({time.perf_counter() - waiting:.2f} s more after it)")
        stats = statistics(settings, prepared.dataset, prepared.graph_counts)
        stats["sources"] = [summary.as_dict() for summary in prepared.summary]
        keep_serving_inputs(settings, loading.partial)
        stable.write_outcomes(loading.partial)
        # The pack needs the store, not the dumps or the search index: both keep being
        # written beside it (the index by a thread of this process, so a pack that forks
        # its workers waits for that thread first: no lock of it may be copied held).
        if settings.build_document_pack:
            with _stage("document pack", timings, progress):
                write_pack(settings, BuildRecord(identifier, built_at, settings.base,
                                                 loading.partial, stats), progress,
                           live_pack, pack_changes(previous, prepared),
                           before_fork=indexing.settle, describers=describers,
                           dataset=prepared.dataset)
        if describers is not None:
            describers.close()
        waiting = time.perf_counter()
        timings["search index"] = indexing.wait()
        progress(f"  search index: {timings['search index']:.2f} s, alongside validation "
                 f"and the pack ({time.perf_counter() - waiting:.2f} s more after them)")
        indexing.place(loading.partial)
        if dumping is not None:
            waiting = time.perf_counter()
            timings["dumps"] = dumping.wait(loading.partial)
            progress(f"  dumps: {timings['dumps']:.2f} s, alongside validation and the "
                     f"pack ({time.perf_counter() - waiting:.2f} s more after them), "
                     + (f"all {dumping.graphs} graphs dumped" if dumping.made == dumping.graphs
                        else f"{dumping.made} of {dumping.graphs} graphs dumped anew (the "
                        "others' parts " + ("copied from the live build's files)"
                                            if dumping.live is not None
                                            else "kept from the cache)")))
    except BaseException as error:
        # nothing of a failed build is left, and none of its processes keeps running
        if describers is not None:
            describers.close()
        loading.discard()
        indexing.discard()
        if dumping is not None:
            dumping.discard()
        for failed, stage in ((LoadFailed, "load"), (IndexFailed, "search index"),
                              (PackFailed, "document pack")):
            if isinstance(error, failed):
                raise BuildFailed(stage, [str(error)], environment=True) from error
        raise
    timings.update(prepared.parts)
    info = {"build_id": identifier, "built_at": built_at.isoformat(),
            "base": settings.base, "stats": stats, "timings": timings}
    if settings.store_update_urls:
        before_publish = _then(before_publish_remote(settings, progress), before_publish)
    try:
        path = publish(settings, loading.partial, info, before_publish)
    except LoadFailed as error:
        raise BuildFailed("publish", [str(error)], environment=True) from error
    if settings.build_cache and prepared.graph_hashes:
        record_store(settings, path, identifier, prepared.graph_hashes)
    for entries in prepared.caches:  # what no longer matches any input can go
        entries.prune()
    added = stable.record(settings)
    if added:
        progress(f"  {len(added)} new entity IRI{'' if len(added) == 1 else 's'} added to "
                 f"{settings.data_dir.name}/{PUBLISHED_FILE}: commit it with the data")
    timings["total"] = round(time.perf_counter() - total, 3)
    return BuildResult(identifier, path, stats, timings, warnings)
