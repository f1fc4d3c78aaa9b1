"""Stable URIs: a published IRI never silently disappears; renamed 301, removed 410."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

from publisher import stable_uris as su
from publisher.pipeline.build import prepare
from publisher.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
BASE = "http://example.org/"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
PERSON = ox.NamedNode("http://xmlns.com/foaf/0.1/Person")
G = ox.NamedNode(BASE + "id/graph/reference")


def n(path: str) -> ox.NamedNode:
    return ox.NamedNode(BASE + path)


def entity(path: str) -> list[ox.Quad]:
    return [ox.Quad(n(path), RDF_TYPE, PERSON, G)]


def renamed(old: str, new: str) -> list[ox.Quad]:
    return [ox.Quad(n(old), su.IS_REPLACED_BY, n(new), G)]


def removed(path: str, label: str, note: str = "") -> list[ox.Quad]:
    quads = [ox.Quad(n(path), su.OWL_DEPRECATED, ox.Literal(True), G),
             ox.Quad(n(path), su.LABELS[0], ox.Literal(label, language="en"), G)]
    if note:
        quads.append(ox.Quad(n(path), su.NOTES[0], ox.Literal(note, language="en"), G))
    return quads


def state(*groups: list[ox.Quad]) -> tuple[set[str], dict[str, su.Retired]]:
    store = ox.Store()
    store.bulk_extend([q for group in groups for q in group])
    return su.entity_paths(store, BASE), su.retirements(store, BASE)


PUBLISHED = ["id/person/a", "id/person/b"]


def test_nothing_changed_nothing_to_fix() -> None:
    entities, retired = state(entity("id/person/a"), entity("id/person/b"))
    assert su.check(PUBLISHED, entities, retired) == []


def test_an_iri_that_disappears_fails_the_check_by_name() -> None:
    entities, retired = state(entity("id/person/a"))
    (problem,) = su.check(PUBLISHED, entities, retired)
    assert problem.startswith("id/person/b was published and is no longer in the data")
    assert "isReplacedBy" in problem and "deprecated: true" in problem


def test_a_renamed_entity_moves_to_its_successor() -> None:
    entities, retired = state(entity("id/person/a"), entity("id/person/b2"),
                              renamed("id/person/b", "id/person/b2"))
    assert su.check(PUBLISHED, entities, retired) == []
    assert su.resolve("id/person/b", retired, entities) == su.Moved("id/person/b2")
    assert su.resolve("id/person/a", retired, entities) is None


def test_renames_are_followed_to_the_live_entity() -> None:
    entities, retired = state(entity("id/person/a"), entity("id/person/b3"),
                              renamed("id/person/b", "id/person/b2"),
                              renamed("id/person/b2", "id/person/b3"))
    assert su.check(PUBLISHED, entities, retired) == []
    assert su.resolve("id/person/b", retired, entities) == su.Moved("id/person/b3")


def test_a_removed_entity_is_gone_with_what_it_was() -> None:
    entities, retired = state(entity("id/person/a"),
                              removed("id/person/b", "Ali Hassan",
                                      "A duplicate of id/person/a, removed in 2026-12."))
    assert su.check(PUBLISHED, entities, retired) == []
    outcome = su.resolve("id/person/b", retired, entities)
    assert isinstance(outcome, su.Gone)
    assert outcome.retired.label == "Ali Hassan"
    assert outcome.retired.note.startswith("A duplicate")


@pytest.mark.parametrize("groups, message", [
    ((renamed("id/person/b", "id/person/nowhere"),), "not a live entity"),
    ((renamed("id/person/b", "id/person/c"), renamed("id/person/c", "id/person/b")),
     "circular"),
    ((removed("id/person/b", "B"),), "without a `note`"),
    ((entity("id/person/b"), removed("id/person/b", "B", "gone")), "still an entity"),
    ((entity("id/person/c"), entity("id/person/d"), renamed("id/person/b", "id/person/c"),
      renamed("id/person/b", "id/person/d")), "replaced by 2 entities"),
])
def test_broken_retirements_are_refused(groups, message) -> None:
    entities, retired = state(entity("id/person/a"), *groups)
    assert any(message in problem for problem in su.check(PUBLISHED, entities, retired))


def test_the_list_only_grows_and_is_written_atomically(tmp_path: Path) -> None:
    path = tmp_path / su.PUBLISHED_FILE
    new, added = su.updated([], {"id/person/a"})
    su.write_published(path, new)
    new, added = su.updated(su.read_published(path), {"id/person/b"})
    assert added == ["id/person/b"] and new == ["id/person/a", "id/person/b"]
    su.write_published(path, new)
    assert su.read_published(path) == ["id/person/a", "id/person/b"]
    assert path.read_text(encoding="utf-8").startswith("# Every entity IRI")
    assert [p.name for p in tmp_path.iterdir()] == [su.PUBLISHED_FILE]


def test_outcomes_round_trip_through_the_build_folder(tmp_path: Path) -> None:
    entities, retired = state(entity("id/person/a"), entity("id/person/c"),
                              renamed("id/person/b", "id/person/c"),
                              removed("id/person/d", "Dee", "Removed: not in any source."))
    found = su.outcomes(retired, entities)
    su.write_outcomes(tmp_path / "retired.json", found)
    assert su.read_outcomes(tmp_path / "retired.json") == found
    assert found["id/person/b"] == su.Moved("id/person/c")
    assert isinstance(found["id/person/d"], su.Gone)


def test_every_iri_the_repository_ever_published_still_answers() -> None:
    """The URI-stability check on the shipped data and the committed list."""
    settings = Settings(project_dir=ROOT, store_dir=ROOT / "var" / "unused")
    dataset = prepare(settings).dataset
    retired = su.retirements(dataset, settings.base)
    entities = su.entity_paths(dataset, settings.base)
    published = su.read_published(settings.data_dir / su.PUBLISHED_FILE)
    assert published, "data/published-iris.txt is missing or empty"
    assert su.check(published, entities, retired) == []
    unlisted = sorted(entities - set(retired) - set(published))
    assert unlisted == [], ("entities missing from data/published-iris.txt (run "
                            f"`publisher build` and commit the list): {unlisted[:10]}")


def _state_of(project: Path) -> tuple[list[str], set[str], dict[str, su.Retired]]:
    settings = Settings(project_dir=project, store_dir=project / "var" / "store")
    dataset = prepare(settings).dataset
    return (su.read_published(settings.data_dir / su.PUBLISHED_FILE),
            su.entity_paths(dataset, settings.base), su.retirements(dataset, settings.base))


def _rename_everywhere(project: Path, old: str, new: str) -> None:
    for path in (project / "data").rglob("*.yaml"):
        text = path.read_text(encoding="utf-8")
        if old in text:
            path.write_text(text.replace(old + ",", new + ",").replace(old + "}", new + "}")
                            .replace(old + "\n", new + "\n").replace(old + "]", new + "]"),
                            encoding="utf-8")


def test_a_curator_renaming_an_entity_must_say_so(project_copy: Path) -> None:
    """Through the real mapping: rename Wang Yi's id; the check names the old IRI until
    the data retires it with isReplacedBy, and then it moves."""
    _rename_everywhere(project_copy, "person/wang-yi", "person/wang-yi-chn")
    published, entities, retired = _state_of(project_copy)
    problems = su.check(published, entities, retired)
    assert [p.split(" ")[0] for p in problems] == ["id/person/wang-yi"]

    retirements = project_copy / "data" / "reference" / "retired-by-this-test.yaml"
    retirements.write_text(
        "id: graph/reference\nfacts:\n"
        "  - {id: person/wang-yi, isReplacedBy: person/wang-yi-chn}\n"
        "  - {id: person/nobody, deprecated: true, label: Nobody,"
        " note: \"Recorded by mistake; it named no one.\"}\n", encoding="utf-8")
    published, entities, retired = _state_of(project_copy)
    assert su.check(published, entities, retired) == []
    assert su.resolve("id/person/wang-yi", retired, entities - set(retired)) == su.Moved(
        "id/person/wang-yi-chn")
    gone = su.resolve("id/person/nobody", retired, entities)
    assert isinstance(gone, su.Gone) and gone.retired.label == "Nobody"
