"""Build stage: write the document pack (every entity document in every RDF format).

Serving reads documents from the pack (:mod:`publisher.linked_data.pack`) instead of
describing and serializing them per process, so start-up costs nothing and memory does
not grow with the dataset. The stage runs after the new store is written and before the
build is published; a failure fails the build (the live build stays).

Cheap in bulk: the store is read once into an in-memory index (:class:`QuadIndex`) and
:func:`publisher.linked_data.describe.describe` runs over it, so a document's quads are
exactly those the on-request path gives (the same function) for a few dictionary lookups
instead of dozens of store reads. Documents are split over ``build_workers`` processes
(forked: they share the index). A document whose description, renderer and base are
those of a variant in the live build's pack is copied from it, not serialized and
compressed again. When the build also knows which graphs changed since the live build
(the build cache's record of each graph's hash), the pack is *incremental*: only the
documents that read a changed quad are described again, from the new store
(:mod:`.pack_dependencies` says why that is exact), and the new pack holds only them,
layered over a hard link to the live pack's base (:mod:`publisher.linked_data.pack`), so
a one-file rebuild costs what that file touches, not a description or a copy of every
document.

HTML pages are not in the pack: they are rendered on first request and kept in the
process's bounded cache (``max_prepared_bytes``), as a page costs far more to render
than all the RDF formats together (``docs/linked-data.md`` gives the figures).
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import shutil
import sqlite3
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from ..builds import BUILD_INFO, BuildRecord, StoreUnavailable, resolve_live_build
from ..formats import N_QUADS
from ..formats.rdf import Ordered
from ..http.compression import PACKED_CODINGS, precompress
from ..linked_data.describe import describe
from ..linked_data.pack import (
    BASE_FILE,
    PACK_FILE,
    PACK_FORMATS,
    SCHEMA,
    SCHEMA_VERSION,
    attach,
    open_layers,
)
from ..linked_data.rendering import rdf_documents
from ..prepared import RENDERER_VERSION, variant_tag
from ..process import bulk_building, die_with_parent, forking
from ..settings import Settings
from ..store.embedded import EmbeddedStore
from .nquads import graph_of
from .pack_dependencies import DEPENDENCY_SCHEME, RecordingReader, changed_keys, touches

#: Documents per unit of work handed to a worker process (a cold pack; an incremental
#: one describes few documents, the hubs among them large, so it hands them out singly).
CHUNK = 200
#: An incremental pack describes at most this share of the documents again; when more
#: are touched, reading the whole store into memory once and describing every document
#: from it is cheaper (a description from the store's indexes costs several times one
#: from memory).
INCREMENTAL_SHARE = 0.25
#: A layered pack's top file holds at most this share of the documents (those described
#: again since its base was written); past it the build writes a whole file again, so a
#: lookup of a document in the top file stays an index seek in a small file.
LAYER_SHARE = 0.1
#: An incremental pack describes fewer documents than this in the build's own process:
#: starting a worker (a new interpreter: about 0.5 s here) costs more than they do.
SPAWN_AT = 16

Progress = Callable[[str], None]


class PackFailed(Exception):
    """The pack could not be written (the build fails, the live build stays)."""


@dataclass(frozen=True)
class PackChanges:
    """What differs from the live build: its folder, and the graphs (keys as
    :func:`.nquads.graph_key` gives them) whose content changed, appeared or went."""

    live: Path
    changed: list[str]

    @classmethod
    def between(cls, live: Path, before: dict[str, str],
                after: dict[str, str]) -> PackChanges:
        """From the hash of each graph in the live build and in the new one."""
        changed = sorted(key for key in {*before, *after} if before.get(key) != after.get(key))
        return cls(live, changed)


class QuadIndex:
    """Every quad of a store, indexed by subject and by object: the quad patterns
    :func:`describe` asks for, answered from memory."""

    def __init__(self, quads: Iterable[ox.Quad]) -> None:
        by_subject: defaultdict[ox.Term, list[ox.Quad]] = defaultdict(list)
        by_object: defaultdict[ox.Term, list[ox.Quad]] = defaultdict(list)
        graphs: set[ox.NamedNode] = set()
        named = ox.NamedNode
        with bulk_building():
            for quad in quads:
                by_subject[quad.subject].append(quad)
                by_object[quad.object].append(quad)
                graph = quad.graph_name
                if type(graph) is named:
                    graphs.add(graph)
        self.by_subject = dict(by_subject)
        self.by_object = dict(by_object)
        self.graphs = graphs

    def quads(self, subject: ox.Term | None = None, predicate: ox.NamedNode | None = None,
              object: ox.Term | None = None,  # noqa: A002 - the store interface's name
              graph: ox.NamedNode | ox.DefaultGraph | None = None) -> Iterator[ox.Quad]:
        # A subject's quads are few (describe asks a subject and a predicate only of a
        # graph's description), so no index by subject and predicate: it was a third of
        # the index's making, for lookups a short scan answers.
        if subject is not None:
            found = self.by_subject.get(subject, ())
            if predicate is None and object is None and graph is None:
                return iter(found)
        elif object is not None:
            found = self.by_object.get(object, ())
            if predicate is None and graph is None:
                return iter(found)
        else:
            raise ValueError("the index answers patterns with a subject or an object")
        return self._filtered(found, predicate, object, graph)

    @staticmethod
    def _filtered(found: Iterable[ox.Quad], predicate: ox.NamedNode | None,
                  object: ox.Term | None,  # noqa: A002 - the store interface's name
                  graph: ox.NamedNode | ox.DefaultGraph | None) -> Iterator[ox.Quad]:
        for quad in found:
            if predicate is not None and quad.predicate != predicate:
                continue
            if object is not None and quad.object != object:
                continue
            if graph is not None and quad.graph_name != graph:
                continue
            yield quad

    def document_names(self, id_base: str) -> list[str]:
        """Every name ``doc/{name}`` answers for: IRIs under ``id/`` in subject or object
        position or naming a graph (hash IRIs are parts of their owner's document)."""
        names: set[str] = set()
        for term in (*self.by_subject, *self.by_object, *self.graphs):
            if isinstance(term, ox.NamedNode) and term.value.startswith(id_base) \
                    and "#" not in term.value and len(term.value) > len(id_base):
                names.add(term.value[len(id_base):])
        return sorted(names)


def input_digest(base: str, nquads: bytes) -> str:
    """What a document's bytes depend on: its quads (as their N-Quads document, which is
    sorted and so the same for the same quads), the base, the renderer's code."""
    digest = hashlib.blake2b(f"{RENDERER_VERSION}\0{base}\0".encode(), digest_size=16)
    digest.update(nquads)
    return digest.hexdigest()


# The state a worker reads (set in the parent before forking, inherited by the workers,
# or by the initializer of a spawned worker of an incremental pack).
_INDEX: QuadIndex | EmbeddedStore | None = None
_SETTINGS: tuple[str, str] | None = None  # base, id_base
_PREVIOUS: Path | None = None


class _RememberingReader:
    """The store's answers to the patterns asked, kept for the documents described next
    by the same worker: the documents an incremental pack describes again share much of
    what they read (the sources of a shared fact, with their articles and publishers),
    which would otherwise be read from the store's indexes again for each of them."""

    #: Quads remembered before starting afresh (a few hundred bytes each: the bound keeps
    #: a worker within a few hundred MB however large the documents).
    LIMIT = 1_000_000

    def __init__(self, store: EmbeddedStore) -> None:
        self._store = store
        self._answers: dict[tuple, list[ox.Quad]] = {}
        self._held = 0

    def quads(self, subject: ox.Term | None = None, predicate: ox.NamedNode | None = None,
              object: ox.Term | None = None,  # noqa: A002 - the store interface's name
              graph: ox.NamedNode | ox.DefaultGraph | None = None) -> list[ox.Quad]:
        pattern = (subject, predicate, object, graph)
        found = self._answers.get(pattern)
        if found is None:
            found = list(self._store.quads(*pattern))
            if self._held + len(found) > self.LIMIT:
                self._answers.clear()
                self._held = 0
            self._answers[pattern] = found
            self._held += len(found)
        return found


def _open_store(path: Path, settings: tuple[str, str], previous: Path | None) -> None:
    global _INDEX, _SETTINGS, _PREVIOUS
    _INDEX = _RememberingReader(EmbeddedStore.open_read_only(path))  # type: ignore[assignment]
    _SETTINGS, _PREVIOUS = settings, previous


def _use_dataset(dataset: ox.Store, settings: tuple[str, str], previous: Path | None,
                 parent: int) -> None:
    global _INDEX, _SETTINGS, _PREVIOUS
    die_with_parent(parent)
    _INDEX = _RememberingReader(EmbeddedStore(dataset))  # type: ignore[assignment]
    _SETTINGS, _PREVIOUS = settings, previous


class Describers:
    """Worker processes for an incremental pack that read the build's prepared dataset,
    the new store's exact content, in memory: forked from the build while it still has
    no other thread (:meth:`fork`), so they share that dataset instead of opening the
    store written from it, whose reads cost 12 times as much per quad (a one-file rebuild
    at 1M described its 119 documents in 17.3 s from the store, 10.2 s from memory, in
    one process)."""

    def __init__(self, pool: ProcessPoolExecutor, workers: int, previous: Path) -> None:
        self._pool = pool
        self.workers = workers
        self.previous = previous  # the live pack they compare with

    @classmethod
    def fork(cls, settings: Settings, dataset: ox.Store,
             previous: Path | None) -> Describers | None:
        """Fork them now, or None when forking is not safe (another thread runs: a lock
        it holds would be copied held) or would not pay (one worker)."""
        workers = settings.build_workers
        if workers <= 1 or previous is None or threading.active_count() != 1:
            return None
        pool = ProcessPoolExecutor(
            workers, mp_context=multiprocessing.get_context("fork"),
            initializer=_use_dataset,
            initargs=(dataset, (settings.base, settings.id_base), previous, os.getpid()))
        try:
            with forking():  # with fork, every worker starts at the first task
                pool.submit(int).result()
        except (OSError, BrokenProcessPool):  # no memory or processes left to fork: the
            pool.shutdown(wait=False, cancel_futures=True)  # pack spawns its own later
            return None
        return cls(pool, workers, previous)

    def render(self, names: list[str]) -> Iterator[Rendered]:
        """The documents one at a time (few, some of them large hubs: that balances)."""
        yield from self._pool.map(_render_chunk, _chunks(names, 1))

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


def _previous_inputs(connection: sqlite3.Connection | None, key: str) -> dict[str, str]:
    if connection is None:
        return {}
    return dict(connection.execute(
        "SELECT format, input FROM pack_variants WHERE document = ?", (key,)))


Rendered = tuple[list[tuple], list[tuple[str, str]], int, list[tuple[str, bytes]]]


def _render_chunk(names: list[str]) -> Rendered:
    """Rows for a chunk of documents: new rows, (key, format) as in the previous pack,
    the number of variants serialized, and what each document was read from."""
    assert _INDEX is not None and _SETTINGS is not None
    base, id_base = _SETTINGS
    previous = open_layers(_PREVIOUS) if _PREVIOUS is not None else None
    rows: list[tuple] = []  # one per coding of each variant (see the pack's schema)
    reused: list[tuple[str, str]] = []
    dependencies: list[tuple[str, bytes]] = []
    rendered = 0
    reader = RecordingReader(_INDEX)
    try:
        for name in names:
            iri = id_base + name
            key = f"entity:{name}"
            quads = describe(reader, iri, id_base)  # type: ignore[arg-type]
            dependencies.append((key, reader.take()))
            ordered = Ordered(quads, iri)
            nquads = ordered.serialize(N_QUADS, None)
            digest = input_digest(base, nquads)
            before = _previous_inputs(previous, key)
            for fmt in PACK_FORMATS:
                if before.get(fmt.name) == digest:
                    reused.append((key, fmt.name))
            wanted = [fmt for fmt in PACK_FORMATS
                      if before.get(fmt.name) != digest and fmt is not N_QUADS]
            bodies = rdf_documents(quads, wanted, base, iri, ordered)
            if before.get(N_QUADS.name) != digest:
                bodies[N_QUADS] = nquads
            for fmt, body in bodies.items():
                codings = precompress(body, PACKED_CODINGS)
                names_of = " ".join(codings)
                if "gzip" not in codings:  # else identity is the gzip body, decompressed
                    rows.append((key, fmt.name, "", fmt.content_type, names_of, digest, body))
                rows.extend((key, fmt.name, coding, fmt.content_type, names_of, digest, packed)
                            for coding, packed in codings.items())
                rendered += 1
    finally:
        if previous is not None:
            previous.close()
    return rows, reused, rendered, dependencies


def _chunks(names: list[str], size: int = CHUNK) -> Iterator[list[str]]:
    for start in range(0, len(names), size):
        yield names[start:start + size]


def previous_pack(settings: Settings) -> Path | None:
    """The live build's pack, whose unchanged variants the new build copies."""
    try:
        found = resolve_live_build(settings) / PACK_FILE
    except StoreUnavailable:
        return None
    return found if found.is_file() else None


INSERT = "INSERT INTO variants VALUES (?, ?, ?, ?, ?, ?, ?)"


def write_pack(settings: Settings, build: BuildRecord, progress: Progress = print,
               previous: Path | None = None,
               changes: PackChanges | None = None,
               before_fork: Callable[[], None] = lambda: None,
               describers: Describers | None = None,
               dataset: ox.Store | None = None) -> dict[str, float]:
    """Write ``documents.sqlite`` into the build folder ``build.path``; figures of it.

    With ``changes`` (and ``previous``, the live build's pack), incrementally when that
    pack can be trusted for it; otherwise every document is described. ``before_fork``
    is called before worker processes are forked (not spawned): it must return once
    every other thread of the caller that could hold a lock is done. ``describers``:
    workers holding the new store's content in memory, for an incremental pack;
    ``dataset``: that content, in memory (read instead of the store, for a whole pack)."""
    global _INDEX, _SETTINGS, _PREVIOUS
    started = time.perf_counter()
    target = build.path / PACK_FILE
    partial = target.with_name(PACK_FILE + ".partial")
    partial.unlink(missing_ok=True)
    seed = variant_tag(build.build_id, build.built_at.isoformat(), RENDERER_VERSION)
    meta = {"schema": SCHEMA_VERSION, "seed": seed, "build_id": build.build_id,
            "renderer": RENDERER_VERSION, "base": settings.base,
            "formats": " ".join(f.name for f in PACK_FORMATS),
            "dependencies": DEPENDENCY_SCHEME}
    try:
        plan, figures = None, None
        if previous is not None and changes is not None:
            try:
                plan = _incremental_plan(settings, build.path, previous, changes)
                if plan is not None:
                    figures = _write_incremental(settings, build.path, previous, plan,
                                                 partial, meta, describers)
            except (sqlite3.DatabaseError, ValueError, StoreUnavailable) as error:
                if getattr(error, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL:
                    raise
                # a damaged live pack or store costs this build its reuse, never the build
                progress(f"  cannot build on the live build's pack ({error}): every "
                         "document is described")
                plan, previous = None, None
                partial.unlink(missing_ok=True)
                (build.path / BASE_FILE).unlink(missing_ok=True)
        if figures is None:
            if describers is not None:
                describers.close()  # not needed, and no thread of theirs left to fork
            figures = _write_whole(settings, build.path, previous, partial, meta,
                                   before_fork, dataset)
        with open(partial, "rb+") as written:
            os.fsync(written.fileno())
        partial.rename(target)
    except (OSError, sqlite3.Error) as error:
        partial.unlink(missing_ok=True)
        why = ("No space left on device" if getattr(error, "sqlite_errorcode", None)
               == sqlite3.SQLITE_FULL else str(error))
        raise PackFailed(f"cannot write the document pack {target}: {why}") from error
    finally:
        _INDEX = _SETTINGS = _PREVIOUS = None
    figures["seconds"] = round(time.perf_counter() - started, 3)
    figures["bytes"] = size = target.stat().st_size
    layered = plan is not None and figures["layered"]
    if layered:
        figures["base_bytes"] = (build.path / BASE_FILE).stat().st_size
    how = (f"incremental: {figures['described']} documents touched by "
           f"{figures['changed_quads']} changed quads described again, the rest "
           + ("read from the live pack's base (linked, not copied)" if layered
              else "copied") if plan is not None else
           f"store read in {figures['indexed']:.2f} s")
    written = (f"{size / 2**20:.1f} MiB over a base of {figures['base_bytes'] / 2**20:.1f} MiB"
               if layered else f"{size / 2**20:.1f} MiB")
    progress(f"  {figures['documents']} documents, {figures['variants']} variants "
             f"({figures['reused']} as in the live build), {written}, {how}, "
             f"{figures['workers']} process{'es' if figures['workers'] > 1 else ''}"
             + (" sharing the prepared dataset" if figures.get("in_memory") else ""))
    return figures


def _write_whole(settings: Settings, path: Path, previous: Path | None, partial: Path,
                 meta: dict[str, str], before_fork: Callable[[], None],
                 dataset: ox.Store | None = None) -> dict:
    """Describe every document, from the whole store read once into memory (from the
    ``dataset`` it was written from when given: a seventh of the time at 1M)."""
    global _INDEX, _SETTINGS, _PREVIOUS
    started = time.perf_counter()
    if dataset is not None:
        index = QuadIndex(dataset)
    else:
        store = EmbeddedStore.open_read_only(path)
        index = QuadIndex(store.quads())
        del store
    names = index.document_names(settings.id_base)
    indexed = time.perf_counter() - started
    workers = max(1, min(settings.build_workers, len(names) // CHUNK + 1))
    _INDEX, _SETTINGS, _PREVIOUS = index, (settings.base, settings.id_base), previous
    variants = rendered = reused = 0
    with closing(sqlite3.connect(partial, uri=True)) as connection:
        connection.executescript("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;" + SCHEMA)
        if previous is not None:
            attach(connection, previous, "live")
        for rows, copied, count, dependencies in _run(names, workers,
                                                      before_fork=before_fork):
            connection.executemany(INSERT, rows)
            variants += len({(row[0], row[1]) for row in rows})
            if copied:
                connection.executemany(
                    "INSERT INTO variants SELECT * FROM live_variants "
                    "WHERE document = ? AND format = ?", copied)
            connection.executemany("INSERT INTO dependencies VALUES (?, ?)", dependencies)
            variants += len(copied)
            rendered += count
            reused += len(copied)
        meta.update(documents=str(len(names)), variants=str(variants))
        connection.executemany("INSERT INTO meta VALUES (?, ?)", meta.items())
        connection.commit()
    return {"documents": len(names), "variants": variants, "reused": reused,
            "rendered": rendered, "described": len(names), "indexed": round(indexed, 3),
            "workers": workers, "incremental": False}


@dataclass
class _Plan:
    """An incremental pack: which documents to describe again and which are gone."""

    describe: list[str]
    removed: list[str]
    changed_quads: int


def _incremental_plan(settings: Settings, path: Path, previous: Path,
                      changes: PackChanges) -> _Plan | None:
    """What an incremental pack must redo, or None when the live pack cannot be trusted
    for it (made by other code, for another base or build, without dependencies) or so
    much changed that describing everything is cheaper."""
    if previous.resolve() != (changes.live / PACK_FILE).resolve():
        return None
    try:
        live_id = json.loads((changes.live / BUILD_INFO).read_text(encoding="utf-8"))["build_id"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    with closing(open_layers(previous)) as before:
        meta = dict(before.execute("SELECT key, value FROM pack.meta"))
        if (meta.get("schema"), meta.get("renderer"), meta.get("base"),
                meta.get("dependencies"), meta.get("build_id")) != (
                SCHEMA_VERSION, RENDERER_VERSION, settings.base, DEPENDENCY_SCHEME, live_id):
            return None
        new = EmbeddedStore.open_read_only(path)
        delta = _changed_quads(EmbeddedStore.open_read_only(changes.live), new,
                               changes.changed)
        keys = changed_keys(delta)
        packed = 0
        touched: set[str] = set()
        for document, read in before.execute("SELECT document, keys FROM pack_dependencies"):
            packed += 1
            if touches(read, keys):
                touched.add(document)
        if len(touched) > INCREMENTAL_SHARE * packed:
            return None
        added, removed = _appearing(settings.id_base, delta, new, before)
    names = sorted({key.removeprefix("entity:") for key in touched - set(removed)} | added)
    return _Plan(names, removed, len(delta))


def _changed_quads(old: EmbeddedStore, new: EmbeddedStore, changed: list[str]
                   ) -> set[ox.Quad]:
    """The quads in one store and not the other, of the graphs whose hash changed."""
    delta: set[ox.Quad] = set()
    for key in changed:
        graph = graph_of(key)
        delta ^= set(old.quads(None, None, None, graph))
        delta ^= set(new.quads(None, None, None, graph))
    return delta


def _appearing(id_base: str, delta: set[ox.Quad], store: EmbeddedStore,
               before: sqlite3.Connection) -> tuple[set[str], list[str]]:
    """Documents that a changed quad brings into being (names) or ends (pack keys): a
    document exists while its IRI is in some quad of the new ``store``
    (:meth:`QuadIndex.document_names`)."""
    terms = {term for quad in delta for term in (quad.subject, quad.object, quad.graph_name)
             if isinstance(term, ox.NamedNode) and term.value.startswith(id_base)
             and "#" not in term.value and len(term.value) > len(id_base)}
    added: set[str] = set()
    removed: list[str] = []
    for term in terms:
        name = term.value[len(id_base):]
        key = f"entity:{name}"
        exists = any(True for _ in store.quads(term)) or any(
            True for _ in store.quads(None, None, term)) or any(
            True for _ in store.quads(None, None, None, term))
        packed = before.execute("SELECT 1 FROM pack_dependencies WHERE document = ?",
                                (key,)).fetchone() is not None
        if exists and not packed:
            added.add(name)
        elif packed and not exists:
            removed.append(key)
    return added, sorted(removed)


def _write_incremental(settings: Settings, path: Path, previous: Path, plan: _Plan,
                       partial: Path, meta: dict[str, str],
                       describers: Describers | None = None) -> dict:
    """The live pack with the documents of ``plan`` described again: layered over the
    live pack's base (a hard link: nothing copied) while the top file stays within
    :data:`LAYER_SHARE` of the documents, else a whole file again (the base copied and
    every layer applied)."""
    if describers is not None and describers.previous != previous:
        describers = None  # forked to compare with another pack: not for this one
    workers = (describers.workers if describers is not None else
               1 if len(plan.describe) < SPAWN_AT else
               max(1, min(settings.build_workers, len(plan.describe))))
    redo = [f"entity:{name}" for name in plan.describe]
    with closing(open_layers(previous)) as live:
        before = dict(live.execute("SELECT key, value FROM pack.meta"))
        layered = before.get("layered") == "1"
        held = {row[0] for row in live.execute("SELECT document FROM pack.layer")}
    base = previous.parent / BASE_FILE if layered else previous
    stacked = len(held | set(redo) | set(plan.removed)) <= LAYER_SHARE * max(
        1, int(before.get("documents", "0")))
    # The base is linked, or copied (gigabytes at 1M: seconds of the kernel's time, not
    # this process's), while the workers describe; their rows wait in memory
    # (compressed: a few MB per document at most).
    failed: list[OSError] = []

    def place() -> None:
        try:
            if stacked:
                _link_or_copy(base, path / BASE_FILE)
            else:
                shutil.copyfile(base, partial)
        except OSError as error:
            failed.append(error)

    placing = threading.Thread(target=place, name="pack-base", daemon=True)
    placing.start()
    try:
        results = list(describers.render(plan.describe) if describers is not None else
                       _run(plan.describe, workers, (
                           path, (settings.base, settings.id_base), previous)))
    finally:
        placing.join()
    if failed:
        raise failed[0]
    rendered = 0
    with closing(sqlite3.connect(partial, uri=True)) as connection:
        connection.executescript("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;"
                                 + (SCHEMA if stacked else ""))
        attach(connection, previous, "live")
        connection.execute("CREATE TEMP TABLE redo (document TEXT PRIMARY KEY)")
        connection.executemany("INSERT OR IGNORE INTO redo VALUES (?)",
                               [(key,) for key in (*redo, *plan.removed)])
        counted = ("SELECT COUNT(*) FROM (SELECT DISTINCT document, format FROM {} "
                   "WHERE document IN (SELECT document FROM redo))")
        variants_gone = connection.execute(counted.format("live_variants")).fetchone()[0]
        documents_gone = connection.execute(
            "SELECT COUNT(*) FROM live_dependencies WHERE document IN "
            "(SELECT document FROM redo)").fetchone()[0]
        if stacked:  # the live top file's other documents, and what is gone, carried
            if layered:
                for table in ("variants", "dependencies", "layer"):
                    connection.execute(
                        f"INSERT INTO main.{table} SELECT * FROM live.{table} "  # noqa: S608
                        "WHERE document NOT IN (SELECT document FROM redo)")
            connection.executemany("INSERT OR REPLACE INTO layer VALUES (?, ?)",
                                   [(key, 0) for key in plan.removed]
                                   + [(key, 1) for key in redo])
        else:  # the copy is the base: the live top file applied, then the documents redone
            for table in ("variants", "dependencies"):
                if layered:
                    connection.execute(f"DELETE FROM main.{table} WHERE document IN "  # noqa: S608
                                       "(SELECT document FROM live.layer)")
                    connection.execute(f"INSERT INTO main.{table} "  # noqa: S608
                                       f"SELECT * FROM live.{table}")
                connection.execute(f"DELETE FROM main.{table} WHERE document IN "  # noqa: S608
                                   "(SELECT document FROM redo)")
        for rows, same, count, dependencies in results:
            connection.executemany(INSERT, rows)
            connection.executemany("INSERT INTO main.variants SELECT * FROM live_variants "
                                   "WHERE document = ? AND format = ?", same)
            connection.executemany("INSERT INTO main.dependencies VALUES (?, ?)",
                                   dependencies)
            rendered += count
        variants_new = connection.execute(counted.format("main.variants")).fetchone()[0]
        documents = int(before.get("documents", "0")) - documents_gone + len(redo)
        variants = int(before.get("variants", "0")) - variants_gone + variants_new
        meta.update(documents=str(documents), variants=str(variants))
        if stacked:
            meta["layered"] = "1"
        connection.execute("DELETE FROM main.meta")
        connection.executemany("INSERT INTO main.meta VALUES (?, ?)", meta.items())
        connection.commit()
    return {"documents": documents, "variants": variants, "reused": variants - rendered,
            "rendered": rendered, "described": len(plan.describe),
            "removed": len(plan.removed), "changed_quads": plan.changed_quads,
            "workers": workers, "incremental": True, "layered": stacked,
            "in_memory": describers is not None}


def _link_or_copy(source: Path, target: Path) -> None:
    """A second name for an immutable file; a copy where the file system has no links."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


def _run(names: list[str], workers: int,
         store: tuple[Path, tuple[str, str], Path | None] | None = None,
         before_fork: Callable[[], None] = lambda: None) -> Iterator[Rendered]:
    """Render ``names`` from the index set in the parent (forked workers inherit it) or,
    with ``store`` (its path, base and id base, the previous pack), from that store
    opened by each (spawned) worker."""
    if store is not None and workers <= 1:
        _open_store(*store)
    if workers <= 1:
        for chunk in _chunks(names):
            yield _render_chunk(chunk)
        return
    if store is not None:  # few documents, some large: one at a time, to balance
        with multiprocessing.get_context("spawn").Pool(
                workers, initializer=_open_store, initargs=store) as pool:
            yield from pool.imap_unordered(_render_chunk, _chunks(names, 1))
        return
    # fork: the workers inherit the index instead of receiving a copy of it. The build's
    # other live thread is then the dumps' (:class:`..build.Dumping`), waiting on its
    # process; the workers touch only the index and the previous pack, no lock it holds.
    before_fork()
    with forking():  # the index is millions of objects: shared, not copied by the GC
        pool = multiprocessing.get_context("fork").Pool(workers)
    with pool:
        yield from pool.imap_unordered(_render_chunk, _chunks(names))
