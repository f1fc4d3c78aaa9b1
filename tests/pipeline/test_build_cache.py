"""The build cache never gives a stale result, and an incremental rebuild writes exactly
what a cold build of the same inputs writes."""

from __future__ import annotations

import json
import pickle
import re
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

import pyoxigraph as ox
import pytest

from publisher.linked_data.pack import PACK_FILE, open_layers
from publisher.pipeline import build_cache, document_pack, parallel_map
from publisher.pipeline.build import BuildFailed, build, prepare
from publisher.settings import Settings
from tests.conftest import copy_project

BASE = "http://localhost:8000/"
SOURCE = "data/sources/001-bernama-lavrov-rubio-meeting-being-finalised.yaml"
REFERENCE = "data/reference/people.yaml"


def _settings(project: Path, store: str = "store", **changes: object) -> Settings:
    values: dict[str, object] = {"base": BASE, **changes}
    return Settings(project_dir=project, store_dir=project / "var" / store, **values)


def _edit(project: Path, relative: str, old: str, new: str) -> None:
    path = project / relative
    text = path.read_text(encoding="utf-8")
    assert old in text, (relative, old)
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _append(project: Path, relative: str, line: str) -> None:
    path = project / relative
    path.write_text(path.read_text(encoding="utf-8") + line, encoding="utf-8")


def _mapping_counts(settings: Settings) -> tuple[int, int]:
    prepared = prepare(settings)
    entries = prepared.caches[0]
    return entries.hits, entries.misses


def _first_file(folder: str) -> Callable[[Path], None]:
    def change(project: Path) -> None:
        path = sorted((project / folder).iterdir())[0]
        suffix = "\n# changed\n" if path.suffix in (".ttl", ".yaml", ".ru") else "\n"
        _append(project, str(path.relative_to(project)), suffix)
    return change


#: Changes that touch what every file's mapping depends on: no entry may be reused.
EVERY_FILE: dict[str, Callable[[Path], None]] = {
    "mappings/": lambda project: _append(project, "mappings/derive.ru", "\n# changed\n"),
    "mappings/context.jsonld": lambda project: _edit(project, "mappings/context.jsonld",
                                                     "{", "{ ", ),
    "ontology/": _first_file("ontology"),
    "shapes/": _first_file("shapes"),
}


@pytest.mark.parametrize("change", list(EVERY_FILE))
def test_a_change_to_what_every_mapping_depends_on_reuses_nothing(
        project_copy: Path, change: str) -> None:
    settings = _settings(project_copy)
    first = _mapping_counts(settings)
    files = first[1]
    assert first == (0, files) and files > 10
    assert _mapping_counts(settings) == (files, 0)  # unchanged: every file reused
    EVERY_FILE[change](project_copy)
    assert _mapping_counts(settings) == (0, files)


@pytest.mark.parametrize("setting", [{"base": "http://example.org/other/"},
                                     {"max_fact_value_chars": 99_999},
                                     {"max_input_file_bytes": 10_000_000}])
def test_settings_that_change_a_mapping_reuse_nothing(project_copy: Path,
                                                      setting: dict[str, object]) -> None:
    files = _mapping_counts(_settings(project_copy))[1]
    assert _mapping_counts(_settings(project_copy, **setting)) == (0, files)


def test_another_publisher_version_reuses_nothing(project_copy: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    files = _mapping_counts(_settings(project_copy))[1]
    monkeypatch.setattr(build_cache, "__version__", "999.0")
    assert _mapping_counts(_settings(project_copy)) == (0, files)


def test_one_changed_fact_file_is_the_only_one_mapped_again(project_copy: Path) -> None:
    settings = _settings(project_copy)
    files = _mapping_counts(settings)[1]
    _edit(project_copy, SOURCE, "label:", "label: ", )
    assert _mapping_counts(settings) == (files - 1, 1)


def test_mapped_from_the_cache_is_what_mapping_gives(project_copy: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """Files, records with their lines, quads with their blank node labels: the same
    from the cache, from the worker processes and from one process."""
    def mapped(**changes: object) -> list[tuple]:
        prepared = prepare(_settings(project_copy, **changes))
        return [(m.fact_file.path, m.graph, [(r.line, r.id, r.body) for r in
                 m.fact_file.records], sorted(map(str, m.quads)), m.record_count,
                 m.graph_type) for m in prepared.mapped]

    cold = mapped(build_cache=False)
    monkeypatch.setattr(parallel_map, "MIN_FILES_PER_WORKER", 1)  # workers fill the cache
    assert mapped() == cold
    assert mapped() == cold  # every file from the cache
    assert mapped(build_workers=1) == cold


def test_a_damaged_entry_is_a_miss(project_copy: Path) -> None:
    settings = _settings(project_copy)
    files = _mapping_counts(settings)[1]
    for entry in (settings.build_cache_dir / "mapping").glob("*/*"):
        entry.write_bytes(b"not a pickle")
    assert _mapping_counts(settings) == (files, 0)  # read, found unusable, mapped again
    assert prepare(settings).derived_count == prepare(
        _settings(project_copy, build_cache=False)).derived_count


def test_a_remembered_file_damaged_inside_its_entry_is_a_miss(project_copy: Path) -> None:
    """The file is pickled apart and unpickled only on need; its hash, checked when
    the entry is read, makes damage there a miss, not a failure later."""
    settings = _settings(project_copy)
    files = _mapping_counts(settings)[1]
    for path in (settings.build_cache_dir / "mapping").glob("*/*"):
        entry = pickle.loads(path.read_bytes())
        pickled = bytearray(entry[2])
        pickled[len(pickled) // 2] ^= 0xFF
        path.write_bytes(pickle.dumps((*entry[:2], bytes(pickled), *entry[3:])))
    assert _mapping_counts(settings) == (0, files)
    prepared = prepare(settings)
    assert all(m.fact_file.records or m.record_count == 0 for m in prepared.mapped)


def test_no_cache_when_turned_off(project_copy: Path) -> None:
    settings = _settings(project_copy, build_cache=False)
    build(settings, progress=lambda _line: None)
    assert not settings.build_cache_dir.exists()


def _dump(settings: Settings) -> list[bytes]:
    store = ox.Store.read_only(str(settings.store_dir.resolve()))
    return sorted(store.dump(format=ox.RdfFormat.N_QUADS).splitlines())


def _dumps(settings: Settings) -> dict[str, bytes]:
    folder = settings.store_dir / "dumps"
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


def _pack(settings: Settings) -> dict[tuple[str, str, str], tuple[str, str, bytes]]:
    """Every row of the live build's document pack (its ETags come from the build id,
    which the rows do not hold)."""
    with closing(open_layers(settings.store_dir.resolve() / PACK_FILE)) as connection:
        return {(document, fmt, coding): (content_type, codings, body)
                for document, fmt, coding, content_type, codings, body in connection.execute(
                    "SELECT document, format, coding, content_type, codings, body "
                    "FROM pack_variants")}


def _record(settings: Settings) -> dict:
    info = json.loads((settings.store_dir.resolve() / "build.json").read_text())
    return {"build_id": info["build_id"], "built_at": info["built_at"], "stats": info["stats"]}


def test_a_stale_validation_result_is_never_reused(project_copy: Path) -> None:
    """A graph that passed, changed so that it breaks a shape, fails; changed back, the
    remembered pass is used again and the build succeeds."""
    settings = _settings(project_copy)
    build(settings, progress=lambda _line: None)
    _edit(project_copy, "data/reference/countries.yaml", "iso3: RUS,", "iso3: RUX,")
    with pytest.raises(BuildFailed, match="RUX"):
        build(settings, progress=lambda _line: None)
    _edit(project_copy, "data/reference/countries.yaml", "iso3: RUX,", "iso3: RUS,")
    build(settings, progress=lambda _line: None)


def test_a_change_to_the_shapes_validates_again(project_copy: Path) -> None:
    settings = _settings(project_copy)
    build(settings, progress=lambda _line: None)
    _edit(project_copy, "shapes/diplomacy.ttl", "sh:pattern \"^[A-Z]{3}$\"",
          "sh:pattern \"^[A-Z]{4}$\"")
    with pytest.raises(BuildFailed, match="iso3"):
        build(settings, progress=lambda _line: None)


#: A rule that joins two graphs: derivation graph by graph is not proven, the union is
#: derived (it adds nothing here: no graph states ex:partner).
NOT_LOCAL_RULE = """
;
INSERT { GRAPH ?g { ?s <http://example.org/partner> ?o } }
WHERE { GRAPH ?g { ?s a ?type } GRAPH ?h { ?type <http://example.org/partner> ?o } }
"""


@pytest.mark.parametrize("change", ["nothing", "source", "reference", "removed", "moved",
                                    "added", "mapping", "rules not graph-local"])
def test_an_incremental_rebuild_writes_what_a_cold_build_writes(
        tmp_path: Path, change: str, monkeypatch: pytest.MonkeyPatch) -> None:
    project = copy_project(tmp_path / "project")
    # the document pack too where the store changes (else it is a copy: not worth 2.5 s
    # a build; the package's builds go without it, see conftest.py), incremental however
    # many of this small dataset's documents a change touches
    packed = change not in ("mapping", "rules not graph-local")
    monkeypatch.setattr(document_pack, "INCREMENTAL_SHARE", 1.0)
    incremental = _settings(project, build_document_pack=packed)
    published = project / "data" / "published-iris.txt"
    listed = published.read_bytes() if published.exists() else None
    if change == "removed":  # a source that was never published: no IRI to keep
        text = (project / SOURCE).read_text(encoding="utf-8")
        (project / "data/sources/zz-copy.yaml").write_text(
            text.replace("id: graph/", "id: graph/zz-copy-", 1), encoding="utf-8")
    build(incremental, progress=lambda _line: None)
    if listed is not None:  # what the first build added to the list is not published
        published.write_bytes(listed)
    if change == "nothing":
        pass
    elif change == "source":
        _edit(project, SOURCE, "label:", "label: Changed")
    elif change == "reference":
        _edit(project, REFERENCE, "label: Sergey Lavrov,",
              'label: Sergey Lavrov, altLabel: "Sergey Viktorovich Lavrov",')
    elif change == "removed":
        (project / "data/sources/zz-copy.yaml").unlink()
    elif change == "moved":
        (project / SOURCE).rename(project / "data/sources/zz-moved.yaml")
    elif change == "added":
        text = (project / SOURCE).read_text(encoding="utf-8")
        (project / "data/sources/zz-copy.yaml").write_text(
            text.replace("id: graph/", "id: graph/zz-copy-", 1), encoding="utf-8")
    elif change == "mapping":
        _append(project, "mappings/derive.ru", "\n# a comment changes every key\n")
    else:
        _append(project, "mappings/derive.ru", NOT_LOCAL_RULE)
    lines: list[str] = []
    build(incremental, progress=lines.append)
    replaced = [line for line in lines if "replaced in a copy of the live store" in line]
    assert replaced, lines
    # the hashes the build recorded are those the store writer computes: same content,
    # nothing rewritten
    assert (" 0 graphs replaced" in replaced[0]) == (
        change in ("nothing", "mapping", "rules not graph-local"))
    # a few graphs derived again: the build found what changed itself, and the writer
    # wrote only that, after validation
    assert ("written after validation" in replaced[0]) == (
        change not in ("mapping", "rules not graph-local"))
    # the document pack: only what the change touched described again, and every
    # variant the bytes a pack made from nothing holds
    said = [line for line in lines if "as in the live build" in line]
    assert bool(said) == packed and all("incremental:" in line for line in said), said
    # the dumps: only the changed graphs dumped again (none when nothing changed), the
    # others' parts kept; the files the bytes a cold build writes
    dumped = [line for line in lines if "graphs dumped" in line]
    assert len(dumped) == 1, lines
    found = re.search(r"(\d+) of (\d+) graphs", dumped[0])
    made, graphs = map(int, found.groups()) if found else (-1, -1)
    if change == "nothing":
        assert made == 0
    elif change in ("source", "reference", "added", "removed", "moved"):
        assert 0 < made <= 3 < graphs
        assert "copied from the live build's files" in dumped[0]  # not read from the cache
    else:  # a change to the rules: every graph derived again, the store written whole
        assert "all " in dumped[0]
    cold = _settings(project, "cold", build_cache=False, build_document_pack=packed)
    build(cold, progress=lambda _line: None)
    assert _dumps(incremental) == _dumps(cold)
    assert _dump(incremental) == _dump(cold)
    assert _record(incremental) == _record(cold)
    if packed:
        assert _pack(incremental) == _pack(cold)


def test_a_graph_check_remembered_keeps_its_run_by_data(project_copy: Path) -> None:
    """A rebuild that finds a graph's check by what the graph is made of still keeps the
    same run remembered by its data: a later change to the context of a graph (not to
    the data validated) then finds it there."""
    settings = _settings(project_copy)

    def runs() -> set[str]:
        folder = settings.build_cache_dir / "shacl"
        return {p.name for p in folder.glob("*/*")}

    lines: list[str] = []
    build(settings, progress=lambda _line: None)
    first = runs()
    build(settings, progress=lines.append)
    assert runs() == first and first
    reused = [line for line in lines if "SHACL runs" in line]
    total, _, rest = reused[0].strip().partition(" SHACL runs, ")
    assert rest.split(" ")[0] == total  # every run from the cache
    assert {p.name for p in (settings.build_cache_dir / "shacl-graphs").glob("*/*")}
