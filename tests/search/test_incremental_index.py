"""The search index read graph by graph, with the parts of unchanged graphs from the build
cache, holds exactly what reading the whole dataset at once gives; a rebuild after a
one-file change reads only the changed graph; a damaged entry is a miss; no cache still
works.
"""

from __future__ import annotations

import pickle
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pyoxigraph as ox
import pytest

from bench.generate import generate
from publisher.pipeline import build as build_module
from publisher.pipeline.build import Prepared, build, prepare
from publisher.pipeline.build_cache import Entries
from publisher.pipeline.findability import SearchIndexing
from publisher.search import (
    INDEX_FILE,
    Extract,
    Partial,
    extract,
    extract_by_graph,
    partial_keys,
    write_index,
)
from publisher.settings import Settings
from tests.conftest import ROOT, copy_project
from tests.pipeline.test_build_cache import NOT_LOCAL_RULE, SOURCE, _append, _edit

from .helpers import BASE as SMALL_BASE
from .helpers import ONTOLOGY as SMALL_ONTOLOGY
from .helpers import node, ontology_quads

BASE = "http://localhost:8000/"


def _settings(project: Path, store: str = "store", **changes: object) -> Settings:
    values: dict[str, object] = {"base": BASE, "build_document_pack": False, **changes}
    return Settings(project_dir=project, store_dir=project / "var" / store, **values)


@pytest.fixture(scope="module", params=["project", "bench 20k"])
def prepared(request: pytest.FixtureRequest,
             tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, Prepared]:
    """The shipped project, and a generated one of 20,000 triples (35 source graphs)."""
    folder = tmp_path_factory.mktemp("incremental")
    if request.param == "project":
        project = ROOT
    else:
        project = folder / "project"
        generate(20_000, 1, project)
    settings = Settings(project_dir=project, store_dir=folder / "store", base=BASE)
    found = prepare(settings)
    assert found.graph_keys, "derived graph by graph: every graph has a content key"
    return settings, found


def _index_rows(path: Path) -> dict[str, list[tuple]]:
    """Every row of every table of an index file (the full-text tables' own included)."""
    with closing(sqlite3.connect(path)) as connection:
        tables = [row[0] for row in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        return {table: sorted(connection.execute(f"SELECT * FROM {table}"),  # noqa: S608
                              key=repr) for table in tables}


def _written(found: Extract, folder: Path) -> dict[str, list[tuple]]:
    folder.mkdir(parents=True, exist_ok=True)
    return _index_rows(write_index(found, folder / INDEX_FILE, "build", BASE))


def _comparable(part: Partial) -> tuple:
    """A part with its rows as sets: their order is the query's, which means nothing."""
    return (part.alternatives, set(part.retired),
            {iri: (best, set(names)) for iri, (best, names) in part.names.items()},
            {iri: set(subjects) for iri, subjects in part.types.items()},
            part.links, part.uses, set(part.describing))


def test_parts_give_what_the_whole_dataset_gives(prepared: tuple[Settings, Prepared],
                                                tmp_path: Path) -> None:
    settings, found = prepared
    dataset, keys = found.dataset, found.graph_keys
    whole = extract(dataset, settings.base, settings.ontology_iri)
    assert len(whole.entities) > 100 and whole.types and whole.properties
    graphs = list(dataset.named_graphs())
    cache = Entries(tmp_path / "search")
    cold, reuse = extract_by_graph(dataset, settings.base, settings.ontology_iri, keys, cache)
    assert cold == whole
    assert reuse.extracted == tuple(sorted(graph.value for graph in keys))
    assert reuse.reused == 0
    assert reuse.unkeyed == len(graphs) - len(keys) >= 1  # the ontology's graph
    warm, reuse = extract_by_graph(dataset, settings.base, settings.ontology_iri, keys,
                                   Entries(tmp_path / "search"))
    assert warm == whole
    assert (reuse.extracted, reuse.reused) == ((), len(keys))
    assert _written(warm, tmp_path / "warm") == _written(whole, tmp_path / "whole")


def test_a_graph_read_alone_gives_the_part_the_pass_over_every_graph_gives(
        prepared: tuple[Settings, Prepared], tmp_path: Path) -> None:
    """A cold extraction reads every graph in one pass (``GRAPH ?g``), a rebuild the few
    changed graphs one by one (each the default graph of its queries): one part either
    way."""
    settings, found = prepared
    keys = found.graph_keys
    entries = partial_keys(keys, settings.base, settings.ontology_iri)
    folder = tmp_path / "search"
    extract_by_graph(found.dataset, settings.base, settings.ontology_iri, keys,
                     Entries(folder))
    in_pass = {graph: Entries(folder).load(key) for graph, key in entries.items()}
    alone = sorted(entries, key=lambda graph: graph.value)[:2]
    for graph in alone:
        (folder / entries[graph][:2] / entries[graph]).unlink()
    _, reuse = extract_by_graph(found.dataset, settings.base, settings.ontology_iri, keys,
                                Entries(folder))
    assert reuse.extracted == tuple(graph.value for graph in alone)
    for graph in alone:
        part = Entries(folder).load(entries[graph])
        assert isinstance(part, Partial)
        assert _comparable(part) == _comparable(in_pass[graph])
        assert part.names or part.types or part.links


def _small_dataset() -> ox.Store:
    """The same statements in several graphs and the default graph, a retirement stated
    in a graph without a key, names spread over graphs."""
    ids = SMALL_BASE + "id/"
    one, two = ox.NamedNode(ids + "country/one"), ox.NamedNode(ids + "country/two")
    a, b, c = (ox.NamedNode(ids + f"graph/{name}") for name in "abc")
    label, alt, mentions = node("rdfs:label"), node("skos:altLabel"), node("mentions")
    first, second = ox.NamedNode(ids + "record/1"), ox.NamedNode(ids + "record/2")
    quads = [
        ox.Quad(one, label, ox.Literal("One"), a),
        ox.Quad(one, ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
                node("Country"), a),
        ox.Quad(first, mentions, one, a),
        ox.Quad(one, node("date"), ox.Literal("2024-07-25"), a),
        ox.Quad(one, label, ox.Literal("One"), b),  # the same name in another graph
        ox.Quad(one, alt, ox.Literal("Uno"), b),
        ox.Quad(one, node("locatedIn"), two, b),
        ox.Quad(first, mentions, one, b),  # the same statement in another graph
        ox.Quad(second, mentions, one, b),
        ox.Quad(first, mentions, one, ox.DefaultGraph()),  # and in the default graph
        ox.Quad(a, label, ox.Literal("Graph A"), ox.DefaultGraph()),  # its description
        ox.Quad(two, label, ox.Literal("Deux", language="fr"), c),
        ox.Quad(two, label, ox.Literal("Two", language="en"), a),
        ox.Quad(ox.NamedNode(ids + "country/old"), label, ox.Literal("Old"), a),
        ox.Quad(ox.NamedNode(ids + "country/old"), node("dcterms:isReplacedBy"), one, c),
    ]
    store = ox.Store()
    store.bulk_extend(quads + ontology_quads())
    return store


def test_counts_over_the_union_are_the_sum_of_the_graphs(tmp_path: Path) -> None:
    """Oxigraph's union default graph holds a statement once per graph stating it, the
    default graph included: a link counted three times is three in either extraction."""
    store = _small_dataset()
    keys = {ox.NamedNode(SMALL_BASE + f"id/graph/{name}"): name for name in "ab"}
    whole = extract(store, SMALL_BASE, SMALL_ONTOLOGY)
    by_graph, reuse = extract_by_graph(store, SMALL_BASE, SMALL_ONTOLOGY, keys,
                                       Entries(tmp_path / "search"))
    assert by_graph == whole
    one = whole.entities[SMALL_BASE + "id/country/one"]
    # record/1 in a, b and the default graph, record/2 in b, country/old's replacement
    assert one.links == 5
    assert one.labels == [("One", False), ("Uno", True)]
    assert whole.properties["mentions"].count == 4
    assert whole.entities[SMALL_BASE + "id/country/two"].name == "Two"
    assert SMALL_BASE + "id/country/old" in whole.retired
    assert SMALL_BASE + "id/country/old" not in whole.entities
    assert SMALL_BASE + "id/graph/a" in whole.entities  # named in the default graph
    assert reuse.unkeyed == 2  # graph c and the ontology's


def test_damaged_or_foreign_entries_are_misses(prepared: tuple[Settings, Prepared],
                                               tmp_path: Path) -> None:
    settings, found = prepared
    keys = found.graph_keys
    entries = partial_keys(keys, settings.base, settings.ontology_iri)
    folder = tmp_path / "search"
    whole = extract_by_graph(found.dataset, settings.base, settings.ontology_iri, keys,
                             Entries(folder))[0]
    graphs = sorted(entries, key=lambda graph: graph.value)[:3]
    garbage = [b"not a pickle",
               pickle.dumps({"a": "dict"}),  # readable, not a part
               pickle.dumps(Partial(("http://example.org/another-alternative",)))]
    for graph, data in zip(graphs, garbage, strict=True):
        (folder / entries[graph][:2] / entries[graph]).write_bytes(data)
    again, reuse = extract_by_graph(found.dataset, settings.base, settings.ontology_iri,
                                    keys, Entries(folder))
    assert again == whole
    assert reuse.extracted == tuple(graph.value for graph in graphs)
    assert reuse.reused == len(keys) - 3
    for graph in graphs:  # written again, whole
        assert isinstance(Entries(folder).load(entries[graph]), Partial)


@pytest.mark.parametrize("fork", [True, False], ids=["process", "thread"])
def test_the_parts_the_index_writes_are_kept_by_the_build(
        prepared: tuple[Settings, Prepared], tmp_path: Path, fork: bool) -> None:
    """Written by the index's process, whose record of the keys it used stays there: the
    build's own entries must know them, or its prune would remove every part."""
    settings, found = prepared
    settings = settings.model_copy(update={"store_dir": tmp_path / "store"})
    caches: list[Entries] = []
    indexing = SearchIndexing(settings, "b", found.dataset, "build", fork,
                              graph_keys=found.graph_keys, caches=caches)
    assert indexing.wait() > 0
    assert caches == [indexing.cache]  # joined once written, for the build to prune
    assert indexing.reuse is not None
    assert len(indexing.reuse.extracted) == len(found.graph_keys)
    expected = set(partial_keys(found.graph_keys, settings.base,
                                settings.ontology_iri).values())
    folder = settings.build_cache_dir / "search"
    assert indexing.cache.used == expected
    indexing.cache.prune()
    assert {path.name for path in folder.glob("*/*")} == expected


@pytest.fixture
def indexings(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[SearchIndexing]]:
    """Every search index a build writes, to read how it was read."""
    made: list[SearchIndexing] = []

    class Recorded(SearchIndexing):
        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, **kwargs)  # type: ignore[arg-type]
            made.append(self)

    monkeypatch.setattr(build_module, "SearchIndexing", Recorded)
    yield made


def _quiet(_line: str) -> None:
    pass


def test_a_rebuild_reads_only_the_changed_graph(tmp_path: Path,
                                                indexings: list[SearchIndexing]) -> None:
    project = copy_project(tmp_path / "project")
    settings = _settings(project)
    build(settings, progress=_quiet)
    first = indexings[-1]
    assert first.reuse is not None and first.reuse.reused == 0
    assert len(first.reuse.extracted) == len(first.graph_keys) > 1
    _edit(project, SOURCE, "label:", "label: Changed")
    result = build(settings, progress=_quiet)
    second = indexings[-1]
    changed = {graph.value for graph, key in second.graph_keys.items()
               if first.graph_keys.get(graph) != key}
    assert len(changed) == 1
    assert second.reuse is not None
    assert second.reuse.extracted == tuple(changed)
    assert second.reuse.reused == len(second.graph_keys) - 1
    cold = build(_settings(project, "cold", build_cache=False), progress=_quiet)
    assert indexings[-1].reuse is None and indexings[-1].cache.folder is None
    incremental = _index_rows(result.path / INDEX_FILE)
    assert incremental == _index_rows(cold.path / INDEX_FILE)
    assert any("Changed" in str(row) for row in incremental["label"])
    # one part per graph of this build: the changed graph's former part pruned
    expected = partial_keys(second.graph_keys, settings.base, settings.ontology_iri)
    assert {path.name for path in (settings.build_cache_dir / "search").glob("*/*")} \
        == set(expected.values())


def test_a_rebuild_with_damaged_parts_reads_their_graphs_again(
        tmp_path: Path, indexings: list[SearchIndexing]) -> None:
    project = copy_project(tmp_path / "project")
    settings = _settings(project)
    first = build(settings, progress=_quiet)
    before = _index_rows(first.path / INDEX_FILE)
    parts = sorted((settings.build_cache_dir / "search").glob("*/*"))
    assert len(parts) == len(indexings[-1].graph_keys)
    for path in parts:
        path.write_bytes(path.read_bytes()[:20])  # cut short
    again = build(settings, progress=_quiet)
    reuse = indexings[-1].reuse
    assert reuse is not None and reuse.reused == 0
    assert len(reuse.extracted) == len(parts)
    assert _index_rows(again.path / INDEX_FILE) == before


def test_no_cache_reads_the_whole_dataset(tmp_path: Path,
                                          indexings: list[SearchIndexing]) -> None:
    project = copy_project(tmp_path / "project")
    settings = _settings(project, build_cache=False)
    result = build(settings, progress=_quiet)
    assert indexings[-1].reuse is None and indexings[-1].cache.folder is None
    assert (result.path / INDEX_FILE).is_file()
    assert not settings.build_cache_dir.exists()


def test_rules_that_are_not_graph_local_read_the_whole_dataset(
        tmp_path: Path, indexings: list[SearchIndexing]) -> None:
    """No content keys: read as one, and the parts of the builds before, which no key
    asks for any more, pruned."""
    project = copy_project(tmp_path / "project")
    settings = _settings(project)
    build(settings, progress=_quiet)
    folder = settings.build_cache_dir / "search"
    assert list(folder.glob("*/*"))
    _append(project, "mappings/derive.ru", NOT_LOCAL_RULE)
    result = build(settings, progress=_quiet)
    assert indexings[-1].reuse is None and not indexings[-1].graph_keys
    assert not list(folder.glob("*/*"))
    cold = build(_settings(project, "cold", build_cache=False), progress=_quiet)
    assert _index_rows(result.path / INDEX_FILE) == _index_rows(cold.path / INDEX_FILE)
