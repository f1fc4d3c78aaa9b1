"""Outbound identifiers and alternative names of the shipped data, and the index over them."""

from __future__ import annotations

import re
from pathlib import Path

import pycountry
import pyoxigraph as ox
import pytest
import yaml

from publisher.pipeline.build import prepare
from publisher.search import SearchIndex, build_search_index
from publisher.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
IDENTIFIERS = ROOT / "data" / "reference" / "identifiers.yaml"
OWL_SAME_AS = "http://www.w3.org/2002/07/owl#sameAs"
WIKIDATA = "http://www.wikidata.org/entity/"


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(project_dir=ROOT, store_dir=tmp_path_factory.mktemp("ids") / "store")


@pytest.fixture(scope="module")
def dataset(settings: Settings) -> ox.Store:
    return prepare(settings).dataset


@pytest.fixture(scope="module")
def index(dataset: ox.Store, settings: Settings, tmp_path_factory) -> SearchIndex:
    path = tmp_path_factory.mktemp("index") / "search.sqlite"
    build_search_index(dataset, path, "repo", settings.base, settings.ontology_iri)
    return SearchIndex(path)


def test_every_link_says_where_it_was_checked() -> None:
    lines = IDENTIFIERS.read_text(encoding="utf-8").splitlines()
    linked = [line for line in lines if "sameAs:" in line and line.lstrip().startswith("- ")]
    assert linked, "identifiers.yaml has no links"
    unchecked = [line for line in linked if "# checked:" not in line]
    assert unchecked == [], "links without a '# checked:' note: " + "; ".join(unchecked)


def test_identifiers_only_describe_entities_defined_elsewhere(dataset: ox.Store,
                                                             settings: Settings) -> None:
    """A renamed entity must not leave an orphan here (an IRI with only a link)."""
    records = yaml.safe_load(IDENTIFIERS.read_text(encoding="utf-8"))["facts"]
    typed = {row["s"].value for row in dataset.query(
        "SELECT DISTINCT ?s WHERE { ?s a ?t }", use_default_graph_as_union=True)}
    missing = [r["id"] for r in records if settings.id_base + r["id"] not in typed]
    assert missing == [], f"identifiers.yaml names entities no other file defines: {missing}"


def test_one_wikidata_item_per_entity_and_one_entity_per_item(dataset: ox.Store) -> None:
    links: dict[str, set[str]] = {}
    back: dict[str, set[str]] = {}
    for quad in dataset.quads_for_pattern(None, ox.NamedNode(OWL_SAME_AS), None, None):
        target = quad.object.value
        if target.startswith(WIKIDATA):
            assert re.fullmatch(r"Q[1-9][0-9]*", target[len(WIKIDATA):]), target
            links.setdefault(quad.subject.value, set()).add(target)
            back.setdefault(target, set()).add(quad.subject.value)
    assert {s: t for s, t in links.items() if len(t) > 1} == {}
    assert {t: s for t, s in back.items() if len(s) > 1} == {}
    assert len(links) >= 40


def test_country_codes_agree_with_iso_3166(dataset: ox.Store, settings: Settings) -> None:
    rows = dataset.query(f"""
        PREFIX dip: <{settings.vocab}>
        SELECT ?c ?a2 ?a3 WHERE {{ ?c a dip:Country ; dip:iso3166Alpha2 ?a2 ;
                                      dip:iso3166Alpha3 ?a3 }}""",
                         use_default_graph_as_union=True)
    checked = 0
    for row in rows:
        country = pycountry.countries.get(alpha_3=row["a3"].value)
        assert country is not None, f"{row['c'].value}: no ISO 3166 country {row['a3'].value}"
        assert country.alpha_2 == row["a2"].value, row["c"].value
        assert row["c"].value.endswith("/country/" + country.alpha_3)
        checked += 1
    assert checked >= 20


@pytest.mark.parametrize("query, expected", [
    ("Lavrov", "person/sergey-lavrov"),
    ("Malaysian FM", "post/foreign-minister-mys"),
    ("PMC 10+1", "event/2024-07-26-asean-russia-post-ministerial-conference"),
    ("Türkiye", "country/TUR"),
    ("Turkey", "country/TUR"),
    ("turkiye", "country/TUR"),
    ("Lula", "person/luiz-inacio-lula-da-silva"),
    ("MYS", "country/MYS"),
])
def test_names_people_use_find_the_entity_first(index: SearchIndex, query: str,
                                                expected: str) -> None:
    page = index.search(query)
    assert page.items[0].key == index.id_base + expected
    assert page.items[0].tier == 0  # an exact name


def test_shortcut_properties_do_not_shadow_ontology_terms(dataset: ox.Store,
                                                          settings: Settings) -> None:
    """`country`, `heldPost`… are reconciliation shortcuts: the ontology must not define a
    term of the same name, or a client asking for one would get the other."""
    from publisher.search.extract import DERIVED

    terms = {row["t"].value.removeprefix(settings.vocab) for row in dataset.query(
        f"SELECT DISTINCT ?t WHERE {{ GRAPH <{settings.ontology_iri}> {{ ?t ?p ?o }}"
        f" FILTER(STRSTARTS(STR(?t), \"{settings.vocab}\")) }}")}
    assert terms, "the ontology graph is empty"
    assert {d.id for d in DERIVED} & terms == set()
