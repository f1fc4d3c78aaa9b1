"""The synthetic data generator: deterministic, valid under the real shapes, on target.

One ~10k-triple dataset is generated and built once for the module (a few seconds); the
queries are the shapes of the competency questions in queries/, aimed at whatever
entities the generated data contains, since its people and events are invented.
"""

from __future__ import annotations

import os
import random
import re
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest

from bench.generate import MIN_TRIPLES, World, generate, main, synthetic_codes
from publisher.pipeline.build import BuildResult, build
from publisher.settings import Settings
from tests.conftest import ROOT

BASE = "http://localhost:8000/"
TARGET = MIN_TRIPLES
PREFIXES = """
PREFIX dip: <ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX foaf: <http://xmlns.com/foaf/0.1/>
PREFIX org: <http://www.w3.org/ns/org#>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX schema: <http://schema.org/>
PREFIX time: <http://www.w3.org/2006/time#>
"""


def tree(folder: Path) -> dict[str, bytes]:
    """Every generated file by relative path (the store, if built, is left out)."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and "var" not in p.relative_to(folder).parts}


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("gen") / "project"
    return out, generate(TARGET, 1, out)


@pytest.fixture(scope="module")
def built(generated: tuple[Path, dict]) -> tuple[BuildResult, ox.Store]:
    out, _ = generated
    settings = Settings(project_dir=out, store_dir=out / "var" / "store", base=BASE)
    result = build(settings, progress=lambda line: None)  # raises BuildFailed on violations
    return result, ox.Store.read_only(str(settings.store_dir.resolve()))


def select(store: ox.Store, query: str) -> list[tuple[str | None, ...]]:
    rows = store.query(PREFIXES + query, base_iri=BASE, use_default_graph_as_union=True)
    return [tuple(None if v is None else v.value for v in row) for row in rows]


def test_same_seed_gives_identical_bytes_in_another_process(
        generated: tuple[Path, dict], tmp_path: Path) -> None:
    """Also under another string-hash seed: no output may depend on set or hash order."""
    out, _ = generated
    again = tmp_path / "again"
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    subprocess.run([sys.executable, "-m", "bench.generate", "--triples", str(TARGET),
                    "--seed", "1", "--out", str(again)], cwd=ROOT, env=env, check=True,
                   capture_output=True)
    first, second = tree(out), tree(again)
    assert sorted(first) == sorted(second)
    assert [name for name in first if first[name] != second[name]] == []


def test_different_seed_gives_different_data(generated: tuple[Path, dict],
                                              tmp_path: Path) -> None:
    out, _ = generated
    other = tmp_path / "other"
    generate(TARGET, 2, other)
    first = {k: v for k, v in tree(out).items() if k.startswith("data/")}
    second = {k: v for k, v in tree(other).items() if k.startswith("data/")}
    first_source = [v for k, v in sorted(first.items()) if k.startswith("data/sources/")][0]
    second_source = [v for k, v in sorted(second.items()) if k.startswith("data/sources/")][0]
    assert first_source != second_source


def test_layout_copies_the_pipeline_inputs(generated: tuple[Path, dict]) -> None:
    out, result = generated
    for folder in ("mappings", "ontology", "shapes"):
        for source in (ROOT / folder).iterdir():
            assert (out / folder / source.name).read_bytes() == source.read_bytes()
    sources = sorted((out / "data" / "sources").glob("*.yaml"))
    assert len(sources) == result["source_files"] > 10
    assert (out / "data" / "reference" / "_graph.yaml").is_file()


def test_builds_with_zero_violations_within_ten_percent_of_the_target(
        generated: tuple[Path, dict], built: tuple[BuildResult, ox.Store]) -> None:
    _, estimate = generated
    result, _ = built
    triples = result.stats["triples"]
    assert abs(triples - TARGET) <= TARGET // 10, triples
    assert triples == estimate["triples"]  # the generator's count is the build's count
    assert result.warnings == []


def test_source_graphs_are_article_sized_with_provenance(
        built: tuple[BuildResult, ox.Store]) -> None:
    result, store = built
    per_graph = {g: n for g, n in result.stats["triples_per_graph"].items()
                 if "/id/graph/" in g and not g.endswith("/graph/reference")}
    assert len(per_graph) > 10
    assert all(40 <= n <= 2_500 for n in per_graph.values()), per_graph
    assert sum(per_graph.values()) / len(per_graph) >= 150
    rows = select(store, """
        SELECT ?g ?article ?attributed ?created WHERE {
          ?g a dip:SourceGraph ; prov:wasDerivedFrom ?article ;
             prov:wasAttributedTo ?attributed ; <http://purl.org/dc/terms/created> ?created .
          ?article a schema:NewsArticle .
        }""")
    assert {row[0] for row in rows} == set(per_graph)


def test_entity_mix_is_dominated_by_events(built: tuple[BuildResult, ox.Store]) -> None:
    classes = {k.rsplit("#", 1)[-1].rsplit("/", 1)[-1]: v
               for k, v in built[0].stats["entities_per_class"].items()}
    for cls in ("Country", "City", "Person", "Post", "Tenure", "Membership", "Chairmanship",
                "BilateralMeeting", "Summit", "MinisterialMeeting", "OfficialVisit",
                "TreatyAction", "JointStatement", "NewsArticle", "Concept"):
        assert classes.get(cls, 0) > 0, cls
    _, store = built
    participations = select(store, "SELECT (COUNT(*) AS ?n) WHERE { ?e dip:participation ?p }")
    assert int(participations[0][0]) > classes["Country"] * 3


def test_meetings_with_participants_and_dates(built: tuple[BuildResult, ox.Store]) -> None:
    """The shape of CQ1: whom did a person meet, where and on which date."""
    _, store = built
    rows = select(store, """
        SELECT DISTINCT ?meeting ?person ?name ?other ?date ?place WHERE {
          ?meeting a/rdfs:subClassOf* dip:Meeting ;
                   dip:participant ?person, ?other ; dip:place ?place ; dip:date ?date .
          ?person a foaf:Person ; rdfs:label ?name .
          ?other a foaf:Person .
          FILTER (?person != ?other)
        }""")
    assert len(rows) > 20
    assert all(re.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?", row[4]) for row in rows)


def test_where_when_and_which_source(built: tuple[BuildResult, ox.Store]) -> None:
    """The shape of CQ2: a bilateral meeting with its place, date and stating article."""
    _, store = built
    rows = select(store, """
        SELECT DISTINCT ?meeting ?placeName ?date ?headline ?publisher WHERE {
          GRAPH ?g { ?meeting a dip:BilateralMeeting ; dip:place ?place ; dip:date ?date . }
          ?g prov:wasDerivedFrom ?article .
          ?article schema:headline ?headline ; schema:publisher/rdfs:label ?publisher .
          ?place rdfs:label ?placeName .
        }""")
    assert len(rows) > 10


def test_chairs_by_year(built: tuple[BuildResult, ox.Store]) -> None:
    """The shape of CQ3: which country chaired an organisation in a given year."""
    _, store = built
    rows = select(store, """
        SELECT DISTINCT ?org ?year ?country WHERE {
          ?chair a dip:Chairmanship ; org:organization ?org ; org:member ?country ;
                 org:memberDuring ?span .
          ?span time:hasBeginning/time:inXSDgYear ?from ; time:hasEnd/time:inXSDgYear ?to .
          BIND (YEAR(?from) AS ?year)
        }""")
    assert rows
    assert len({(org, year) for org, year, _ in rows}) == len(rows)  # one chair a year


def test_partnership_roles_since(built: tuple[BuildResult, ox.Store]) -> None:
    """The shape of CQ4: since when a country has been a partner of an organisation, at
    which level (partnerships are dip:Partnership, not memberships)."""
    _, store = built
    rows = select(store, """
        SELECT DISTINCT ?partner ?org ?level ?since WHERE {
          ?p a dip:Partnership ; dip:partner ?partner, ?org ; dip:level ?level ;
             dip:during/time:hasBeginning/time:inXSDgYear ?since .
          ?partner a dip:Country . ?org a/rdfs:subClassOf* dip:Organization .
        }""")
    assert rows
    roles = {role for (role,) in select(store, "SELECT DISTINCT ?r WHERE { ?m org:role ?r }")}
    assert roles <= {BASE + "ontology#" + r for r in
                     ("MemberState", "PermanentParticipant", "Chair", "CoChair", "Coordinator")}


def test_organisations_mentioned_in_talks(built: tuple[BuildResult, ox.Store]) -> None:
    """The shape of CQ5: organisations mentioned in talks between two represented parties."""
    _, store = built
    rows = select(store, """
        SELECT DISTINCT ?talks ?organization ?name WHERE {
          ?talks a dip:Talks ; dip:participation/dip:represents ?a, ?b ;
                 dip:mentions ?organization .
          ?organization a/rdfs:subClassOf* org:Organization ; rdfs:label ?name .
          FILTER (?a != ?b)
        }""")
    assert rows


def test_synthetic_countries_have_valid_codes_and_no_wikidata_link() -> None:
    """At a million triples the real countries run out; the rest must still validate."""
    world = World(random.Random(1), 1_000_000)
    synthetic = {f"country/{i3}" for i3, _ in synthetic_codes()}
    records = [world.ref.records[c.id] for c in world.countries.values()]
    made_up = [r for r in records if r["id"] in synthetic]
    assert made_up and len(made_up) < len(records)
    assert all("sameAs" not in r for r in made_up)
    assert all(re.fullmatch(r"[A-Z]{3}", r["iso3"]) and re.fullmatch(r"[A-Z]{2}", r["iso2"])
               and r["id"].endswith("/" + r["iso3"]) for r in records)
    assert len({r["iso2"] for r in records}) == len(records)


def test_refuses_too_small_targets_and_foreign_folders(tmp_path: Path) -> None:
    with pytest.raises(SystemExit):
        main(["--triples", "500", "--out", str(tmp_path / "x")])
    (tmp_path / "mine.txt").write_text("not generated\n")
    with pytest.raises(SystemExit):
        generate(TARGET, 1, tmp_path)
    assert (tmp_path / "mine.txt").exists()
