"""The build's search index, ISO codes from pycountry, and the stable-IRI check."""

from __future__ import annotations

import json
import multiprocessing.context
import os
import sqlite3
import threading
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

import pyoxigraph as ox
import pytest

from publisher import stable_uris
from publisher.pipeline import findability
from publisher.pipeline.build import BuildFailed, build, build_id, prepare
from publisher.pipeline.findability import IndexFailed, SearchIndexing
from publisher.search import INDEX_FILE, SearchIndex
from publisher.settings import Settings

from .conftest import BASE, select


def _settings(project: Path) -> Settings:
    return Settings(project_dir=project, store_dir=project / "var" / "store", base=BASE)


def _quiet(_line: str) -> None:
    pass


def test_the_build_folder_holds_the_search_index_of_the_same_build(built) -> None:
    settings, result = built
    index = SearchIndex(result.path / INDEX_FILE, result.build_id)  # refuses another build
    assert index.search("Lavrov").items[0].key == BASE + "id/person/sergey-lavrov"
    outcomes = stable_uris.read_outcomes(result.path / "retired.json")
    assert outcomes["id/membership/brics-partner-mys"] == stable_uris.Moved(
        "id/partnership/brics-mys-partner-country")
    assert "search index" in result.timings


def _index_rows(path: Path) -> dict[str, list[tuple]]:
    with closing(sqlite3.connect(path)) as connection:
        tables = [row[0] for row in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '%fts%' "
            "AND name NOT LIKE '%trigram%'")]
        return {table: sorted(connection.execute(f"SELECT * FROM {table}"))  # noqa: S608
                for table in tables}


def test_the_search_index_is_the_same_from_its_process_or_a_thread(built,
                                                                   tmp_path: Path) -> None:
    settings, result = built
    prepared = prepare(settings)
    written = {}
    for fork in (True, False):
        folder = tmp_path / str(fork)
        indexing = SearchIndexing(settings.model_copy(update={
            "store_dir": folder / "store"}), "b", prepared.dataset, result.build_id, fork)
        assert indexing.wait() > 0
        folder.mkdir(exist_ok=True)
        indexing.place(folder)
        written[fork] = _index_rows(folder / INDEX_FILE)
    assert written[True] == written[False] == _index_rows(result.path / INDEX_FILE)
    assert len(written[True]["item"]) > 100


def _raised(call: Callable[[], object]) -> BaseException | None:
    try:
        call()
    except BaseException as error:  # noqa: BLE001 - handed to the test's assertions
        return error
    return None


@pytest.mark.parametrize("how", ["raises", "raises at length", "dies"])
def test_a_search_index_that_fails_in_its_process_is_reported(
        built, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, how: str) -> None:
    """An error in the index's process comes back as its message; a process that dies
    without a word is reported too, never waited for forever."""
    settings, result = built

    def failing(*_args: object) -> None:
        if how == "dies":
            os._exit(7)
        # at length: more than a pipe holds, read while the process still waits to end
        raise OSError("disk on fire" + (" and more" * 100_000 if "length" in how else ""))

    monkeypatch.setattr(findability, "build_search_index", failing)
    indexing = SearchIndexing(settings.model_copy(update={"store_dir": tmp_path / "store"}),
                              "b", ox.Store(), result.build_id, fork=True)
    waiting = threading.Thread(target=lambda: outcome.append(_raised(indexing.wait)),
                               daemon=True)
    outcome: list[BaseException | None] = []
    waiting.start()
    waiting.join(timeout=120)  # a wait that never returns fails here, not the suite
    assert outcome, "the build would wait for the search index's process forever"
    assert isinstance(outcome[0], IndexFailed), outcome
    assert ("disk on fire" if how.startswith("raises") else "its process ended with 7") \
        in str(outcome[0])
    assert not indexing.path.exists()


def test_a_search_index_that_cannot_fork_is_written_by_a_thread(
        built, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings, result = built

    def no_fork(_process: object) -> None:
        raise OSError(12, "Cannot allocate memory")

    monkeypatch.setattr(multiprocessing.context.ForkProcess, "start", no_fork)
    indexing = SearchIndexing(settings.model_copy(update={"store_dir": tmp_path / "store"}),
                              "b", prepare(settings).dataset, result.build_id, fork=True)
    assert indexing.wait() > 0 and indexing.path.is_file()


def test_iso_codes_come_from_pycountry(store) -> None:
    rows = select(store, """
        PREFIX dip: <ontology#>
        SELECT ?a2 ?a3 WHERE { <id/country/TUR> dip:iso3166Alpha2 ?a2 ; dip:iso3166Alpha3 ?a3 }""")
    assert rows == [("TR", "TUR")]


def test_a_typed_code_that_contradicts_iso_3166_stops_the_build(project_copy: Path) -> None:
    countries = project_copy / "data" / "reference" / "countries.yaml"
    text = countries.read_text(encoding="utf-8")
    countries.write_text(text.replace("label: Malaysia, iso2: MY", "label: Malaysia, iso2: ML"),
                         encoding="utf-8")
    with pytest.raises(BuildFailed) as failed:
        build(_settings(project_copy), progress=_quiet)
    assert failed.value.stage == "country codes"
    assert "country/MYS: iso3166Alpha2 is 'ML'" in failed.value.problems[0]


def test_a_published_iri_that_disappears_stops_the_build(project_copy: Path) -> None:
    settings = _settings(project_copy)
    first = build(settings, progress=_quiet)
    people = project_copy / "data" / "reference" / "people.yaml"
    lines = people.read_text(encoding="utf-8").splitlines(keepends=True)
    people.write_text("".join(line for line in lines
                              if "id: person/vafa-guliyeva," not in line), encoding="utf-8")
    for source in (project_copy / "data" / "sources").glob("*.yaml"):
        text = source.read_text(encoding="utf-8")
        source.write_text(text.replace("person/vafa-guliyeva", "person/elnur-mammadov"),
                          encoding="utf-8")
    with pytest.raises(BuildFailed) as failed:
        build(settings, progress=_quiet)
    assert failed.value.stage == "stable IRIs"
    assert failed.value.problems[0].startswith("id/person/vafa-guliyeva was published")
    assert settings.store_dir.resolve() == first.path  # the live store is untouched

    (project_copy / "data" / "reference" / "retired-here.yaml").write_text(
        "id: graph/reference\nfacts:\n  - {id: person/vafa-guliyeva, deprecated: true,"
        " label: Vafa Guliyeva, note: \"A journalist's credit, removed in a test.\"}\n",
        encoding="utf-8")
    second = build(settings, progress=_quiet)
    outcome = json.loads((second.path / "retired.json").read_text(encoding="utf-8"))
    assert outcome["id/person/vafa-guliyeva"]["gone"]["label"] == "Vafa Guliyeva"


def test_new_entities_are_added_to_the_published_list_without_changing_the_build_id(
        project_copy: Path) -> None:
    settings = _settings(project_copy)
    listed = project_copy / "data" / stable_uris.PUBLISHED_FILE
    before = stable_uris.read_published(listed)
    identifier = build_id(settings)
    (project_copy / "data" / "reference" / "new-city.yaml").write_text(
        "id: graph/reference\nfacts:\n  - {id: place/penang-test, type: City,"
        " label: George Town, locatedIn: country/MYS}\n", encoding="utf-8")
    lines: list[str] = []
    build(settings, progress=lines.append)
    after = stable_uris.read_published(listed)
    assert sorted(set(after) - set(before)) == ["id/place/penang-test"]
    assert any("1 new entity IRI added" in line for line in lines)
    listed.write_text(listed.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    (project_copy / "data" / "reference" / "new-city.yaml").unlink()
    assert build_id(settings) == identifier  # the list is not an input


def test_the_published_list_does_not_change_the_build_time(project_copy: Path) -> None:
    """A build adds IRIs to the published list; that file is no input, so a committed
    project whose list was just updated still builds at its commit's time."""
    import subprocess

    from publisher.pipeline.build import inputs_time

    git = ["git", "-c", "user.email=test@example.org", "-c", "user.name=test"]
    subprocess.run([*git, "init", "-q"], cwd=project_copy, check=True)
    subprocess.run([*git, "add", "."], cwd=project_copy, check=True)
    subprocess.run([*git, "commit", "-qm", "inputs"], cwd=project_copy, check=True)
    settings = _settings(project_copy)
    committed = inputs_time(settings)
    listed = project_copy / "data" / stable_uris.PUBLISHED_FILE
    listed.write_text(listed.read_text(encoding="utf-8") + "id/person/new-one\n",
                      encoding="utf-8")
    assert inputs_time(settings) == committed
