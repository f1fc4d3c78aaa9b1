"""The label search index: ranking tiers, folding, alternative names, types, paging."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from publisher.search import IndexUnavailable, SearchIndex, UnknownTerm, resolve
from publisher.search.text import fold, words

from .helpers import BASE, VOCAB, E, make_index


def keys(page) -> list[str]:
    return [item.key.removeprefix(BASE + "id/") for item in page.items]


@pytest.fixture
def index(tmp_path: Path) -> SearchIndex:
    return make_index(tmp_path, [
        # The word match is the most linked entity, the exact match the least: tiers first.
        E("person/sergey-lavrov", "Sergey Lavrov", ("foaf:Person",), alt=("Lavrov",),
          links=50),
        E("street/lavrov", "Lavrov Street", ("Place",), links=20),
        E("person/lavrov-junior", "Lavrov", ("foaf:Person",), links=1),
        E("country/TUR", "Türkiye", alt=("Turkey",), links=9,
          values={"iso3166Alpha2": ["TR"]}),
        E("country/MYS", "Malaysia", links=30, values={"iso3166Alpha2": ["MY"]}),
        E("city/sao-paulo", "São Paulo", ("City",), links=3),
        E("city/sao-tome", "Sao Tome", ("City",), links=5),
        E("city/zurich", "Zurich", ("City",), links=1),
        E("organization/asean", "Association of Southeast Asian Nations",
          ("Organization",), acronym="ASEAN", links=12),
        E("event/talks", "Talks of Malaysia and Türkiye", ("BilateralMeeting",), links=2),
    ])


def test_exact_label_before_prefix_before_word_match_whatever_the_links(index) -> None:
    page = index.search("lavrov")
    # "Lavrov" (a name, exactly) and Sergey Lavrov's alternative name "Lavrov" are both
    # exact: the more linked first. Then "Lavrov Street" (starts with), then nothing else.
    assert keys(page) == ["person/sergey-lavrov", "person/lavrov-junior", "street/lavrov"]
    assert [item.tier for item in page.items] == [0, 0, 1]
    assert page.items[0].matched == "Lavrov"
    assert keys(index.search("sergey")) == [
        "person/sergey-lavrov"]


def test_word_match_comes_after_exact_and_prefix(tmp_path: Path) -> None:
    index = make_index(tmp_path, [
        E("a/word", "Talks in Vientiane", links=100),
        E("a/prefix", "Vientiane Declaration", links=10),
        E("a/exact", "Vientiane", links=1),
    ])
    page = index.search("vientiane")
    assert keys(page) == ["a/exact", "a/prefix", "a/word"]
    assert [item.tier for item in page.items] == [0, 1, 2]


def test_ties_are_broken_by_how_many_facts_link_the_entity(index) -> None:
    assert keys(index.search("sao")) == ["city/sao-tome", "city/sao-paulo"]  # 5 links > 3


def test_case_and_accents_do_not_matter_either_way(index) -> None:
    assert keys(index.search("turkiye"))[0] == "country/TUR"
    assert keys(index.search("TÜRKIYE"))[0] == "country/TUR"
    assert keys(index.search("São"))[:2] == ["city/sao-tome", "city/sao-paulo"]
    assert keys(index.search("zürich")) == ["city/zurich"]  # accent in the query only
    assert index.search("turkiye").items[0].tier == 0


def test_alternative_names_acronyms_and_codes_are_found(index) -> None:
    assert keys(index.search("Turkey")) == ["country/TUR"]
    assert index.search("Turkey").items[0].matched == "Turkey"
    assert keys(index.search("asean")) == ["organization/asean"]
    assert keys(index.search("MY")) == ["country/MYS"]  # ISO code: sub-property of notation


def test_prefix_of_the_last_word_serves_autocomplete(index) -> None:
    assert keys(index.search("mala")) == ["country/MYS", "event/talks"]
    assert keys(index.search("sergey lav")) == ["person/sergey-lavrov"]
    assert keys(index.search("sao pa")) == ["city/sao-paulo"]
    assert keys(index.search("southeast asian")) == ["organization/asean"]


def test_type_filter_includes_subclasses(index) -> None:
    assert keys(index.search("lavrov", types=["foaf:Person"])) == [
        "person/sergey-lavrov", "person/lavrov-junior"]
    assert keys(index.search("malaysia", types=["DiplomaticEvent"])) == ["event/talks"]
    assert keys(index.search("", types=["Place"])) == [  # browsing a class: most linked first
        "street/lavrov", "city/sao-tome", "city/sao-paulo", "city/zurich"]
    assert index.search("", types=["Place"]).total == 4


def test_paging_is_stable_and_counts_everything(index) -> None:
    whole = index.search("", limit=100)
    assert whole.total == 10
    pages = [index.search("", limit=3, offset=offset) for offset in range(0, 12, 3)]
    assert [item.key for page in pages for item in page.items] == [i.key for i in whole.items]
    assert all(page.total == 10 for page in pages)
    past_the_end = index.search("lavrov", limit=2, offset=10)
    assert past_the_end.items == [] and past_the_end.total == 3


def test_types_of_results_are_the_asserted_ones(index) -> None:
    (talks,) = index.search("talks").items
    assert talks.types == ("BilateralMeeting",)
    assert talks.description.startswith("bilateral meeting")


@pytest.mark.parametrize("query", ['"', 'NEAR(a b)', "a OR", "-malaysia", "*", "label:x",
                                   "^", "a AND (", "'); DROP TABLE item; --"])
def test_query_syntax_in_user_input_is_just_text(index, query: str) -> None:
    index.search(query)  # no FTS5 syntax error escapes
    index.search(query, kind="type")
    index.candidates(query)
    assert index.search("malaysia").total == 2  # the index is intact


def test_punctuation_only_query_finds_nothing(index) -> None:
    assert index.search("!!! ...").total == 0


def test_types_and_properties_are_searchable_for_suggest(index) -> None:
    assert [i.key for i in index.search("meet", kind="type").items] == [
        "Meeting", "BilateralMeeting"]
    assert "iso3166Alpha2" in [i.key for i in index.search("iso", kind="property").items]


def test_type_names_resolve_from_what_people_type(index) -> None:
    names = index.type_names()
    for given in ("Country", "dip:Country", VOCAB + "Country", "country"):
        assert resolve(given, names, VOCAB, "type") == "Country"
    assert resolve("Person", names, VOCAB, "type") == "foaf:Person"
    assert resolve("http://xmlns.com/foaf/0.1/Person", names, VOCAB, "type") == "foaf:Person"
    with pytest.raises(UnknownTerm, match="unknown type 'Planet'.*Country"):
        resolve("Planet", names, VOCAB, "type")


def test_tokenizing_agrees_with_the_index(index) -> None:
    assert words("PMC 10+1") == ["PMC", "10", "1"]
    assert words("Sa\u0303o Paulo") == ["São", "Paulo"]  # decomposed input is recomposed
    assert fold("  Türkiye, São-Paulo ") == "turkiye sao paulo"


def test_index_file_belongs_to_one_build(tmp_path: Path) -> None:
    make_index(tmp_path, [E("country/MYS", "Malaysia")], build_id="build-a")
    path = tmp_path / "search.sqlite"
    assert SearchIndex(path, "build-a").build_id == "build-a"
    with pytest.raises(IndexUnavailable, match="build-a, not build-b"):
        SearchIndex(path, "build-b")
    with pytest.raises(IndexUnavailable, match="no search index"):
        SearchIndex(tmp_path / "missing.sqlite")
    assert not (tmp_path / "search.sqlite.partial").exists()


def test_index_is_opened_read_only(tmp_path: Path) -> None:
    index = make_index(tmp_path, [E("country/MYS", "Malaysia")])
    with pytest.raises(sqlite3.OperationalError):
        index._db().execute("DELETE FROM item")


def test_search_requests_are_read_strictly_and_answered_as_json(index) -> None:
    from publisher.search.results import SearchError, parse_request, run, to_json

    request = parse_request({"q": "lav", "limit": "2"}, ["foaf:Person"], 20, 100, 200)
    answer = to_json(run(index, request), index)
    assert answer["total"] == 2 and answer["type"] == ["foaf:Person"]
    assert [r["id"] for r in answer["results"]] == ["person/sergey-lavrov",
                                                   "person/lavrov-junior"]
    assert answer["results"][0]["match"] == "prefix"  # "lav" starts "Lavrov"
    assert answer["results"][0]["types"] == [{"id": "foaf:Person", "name": "person"}]
    assert "next" not in answer
    first = to_json(run(index, parse_request({"q": "", "limit": "3"}, [], 20, 100, 200)), index)
    assert first["next"].endswith("limit=3&offset=3") and "previous" not in first
    page2 = parse_request({"page": "2", "limit": "3"}, [], 20, 100, 200)
    assert page2.offset == 3
    for params, types, message in (({"limit": "0"}, [], "between 1 and 100"),
                                   ({"limit": "x"}, [], "whole number"),
                                   ({"offset": "-1"}, [], "between 0"),
                                   ({"page": "1", "offset": "2"}, [], "not both"),
                                   ({"q": "x" * 201}, [], "longer than 200"),
                                   ({"q": "x"}, ["Planet"], "unknown type 'Planet'")):
        with pytest.raises(SearchError, match=message):
            run(index, parse_request(params, types, 20, 100, 200))
