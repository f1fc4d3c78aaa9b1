"""Search, stable IRIs and identifiers through the one application, on the repository's
build (under both base paths): what a browser, a script and a crawler see."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from publisher.app import create_app
from publisher.search import INDEX_FILE
from publisher.settings import Settings
from publisher.snapshot import open_live

HTML = {"accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


@pytest.fixture(scope="module")
def client(shipped: Settings) -> Iterator[TestClient]:
    app = create_app(shipped.model_copy(update={"prewarm": False}))
    with TestClient(app, base_url=shipped.base.rstrip("/"), follow_redirects=False) as c:
        yield c


def search(client: TestClient, **params: object) -> dict:
    response = client.get("search", params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    return response.json()


def ids(answer: dict) -> list[str]:
    return [result["id"] for result in answer["results"]]


def test_json_for_programs_and_a_results_page_for_people(client: TestClient) -> None:
    answer = search(client, q="lavrov")
    assert answer["results"][0]["id"] == "person/sergey-lavrov"
    assert answer["results"][0]["match"] == "exact"  # the altLabel "Lavrov"
    assert answer["results"][0]["matched"] == "Lavrov"
    page = client.get("search", params={"q": "lavrov"}, headers=HTML)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "Sergey Lavrov" in page.text and 'role="search"' in page.text
    assert "Accept" in page.headers["vary"]
    fixed = client.get("search.json", params={"q": "lavrov"}, headers=HTML)
    assert fixed.headers["content-type"] == "application/json"
    assert ids(fixed.json()) == ids(answer)


def test_accents_and_case_do_not_matter(client: TestClient) -> None:
    for text in ("turkiye", "TÜRKIYE", "Turkey"):
        answer = search(client, q=text, type="Country")
        assert ids(answer)[:1] == ["country/TUR"], text
        assert answer["results"][0]["match"] == "exact"


def test_names_people_use_are_found(client: TestClient) -> None:
    assert ids(search(client, q="Malaysian FM"))[0] == "post/foreign-minister-mys"
    assert ids(search(client, q="PMC 10+1"))[0] == (
        "event/2024-07-26-asean-russia-post-ministerial-conference")
    assert ids(search(client, q="Lula"))[0] == "person/luiz-inacio-lula-da-silva"


def test_tiers_exact_then_prefix_then_words(client: TestClient) -> None:
    answer = search(client, q="malaysia", limit=100)
    tiers = [result["match"] for result in answer["results"]]
    assert tiers[0] == "exact" and answer["results"][0]["id"] == "country/MYS"
    order = {"exact": 0, "prefix": 1, "words": 2}
    assert [order[t] for t in tiers] == sorted(order[t] for t in tiers)
    assert {"prefix", "words"} <= set(tiers)
    # as you type: an unfinished last word
    assert "person/sergey-lavrov" in ids(search(client, q="sergey lav", limit=5))


def test_type_filter_includes_sub_classes_and_refuses_unknown_types(
        client: TestClient) -> None:
    people = search(client, q="lavrov", type="foaf:Person")
    assert ids(people) == ["person/sergey-lavrov"]
    meetings = search(client, q="lavrov", type="Meeting", limit=100)
    assert meetings["total"] >= 3
    assert all(r["id"].startswith("event/") for r in meetings["results"])
    wrong = client.get("search", params={"q": "x", "type": "Spaceship"})
    assert wrong.status_code == 400 and "Spaceship" in wrong.text


def test_paging_is_consistent(client: TestClient) -> None:
    whole = search(client, q="lavrov", limit=30)
    first = search(client, q="lavrov", limit=4)
    second = search(client, q="lavrov", limit=4, offset=4)
    by_page = search(client, q="lavrov", limit=4, page=2)
    assert ids(first) + ids(second) == ids(whole)[:8]
    assert ids(by_page) == ids(second)
    assert first["total"] == whole["total"] and "next" in first
    assert "previous" in second


@pytest.mark.parametrize("params", [
    {"q": "x", "limit": "0"}, {"q": "x", "limit": "many"}, {"q": "x", "offset": "-1"},
    {"q": "x", "unknown": "1"}, {"q": "x" * 501}, {"q": "x", "offset": "1", "page": "2"},
])
def test_bad_parameters_are_a_400_naming_them(client: TestClient, params: dict) -> None:
    response = client.get("search", params=params)
    assert response.status_code == 400, params
    assert response.text.strip()


def test_no_acceptable_format_is_a_406(client: TestClient) -> None:
    assert client.get("search?q=x", headers={"accept": "text/turtle"}).status_code == 406


def test_the_index_is_the_served_build_s_own(shipped: Settings, tmp_path: Path) -> None:
    """Written by the build into its folder with its id, and read from there: a server
    whose project folder is empty answers searches all the same."""
    snapshot = open_live(shipped)
    index = snapshot.search_index()
    assert index.path == snapshot.build.path / INDEX_FILE
    assert index.build_id == snapshot.build_id
    elsewhere = shipped.model_copy(update={"project_dir": tmp_path, "prewarm": False})
    with TestClient(create_app(elsewhere), base_url=shipped.base.rstrip("/")) as client:
        assert ids(search(client, q="lavrov"))[0] == "person/sergey-lavrov"


def test_every_page_has_the_search_box(client: TestClient) -> None:
    for path in ("", "doc/person/sergey-lavrov", "void", "dumps/"):
        page = client.get(path, headers=HTML)
        assert page.status_code == 200, path
        assert 'role="search"' in page.text and 'role="combobox"' in page.text, path
    assert client.get("static/js/search.js").status_code == 200


# -- stable IRIs ---------------------------------------------------------------------------

def test_a_renamed_iri_moves_permanently(client: TestClient, shipped: Settings) -> None:
    base_path = shipped.base_path
    moved = client.get("id/event/2025-bayramov-alamin-baku")
    assert moved.status_code == 301
    assert moved.headers["location"] == f"{base_path}id/event/bayramov-alamin-talks-baku"
    doc = client.get("doc/event/2025-bayramov-alamin-baku.ttl")
    assert doc.status_code == 301
    assert doc.headers["location"] == f"{base_path}doc/event/bayramov-alamin-talks-baku.ttl"
    assert client.get(moved.headers["location"].removeprefix(base_path)).status_code == 303


def test_a_removed_iri_is_gone_with_a_page_saying_what_it_was(client: TestClient) -> None:
    page = client.get("id/treaty-action/considering-signature", headers=HTML)
    assert page.status_code == 410
    assert "considering signature" in page.text and "intention" in page.text
    text = client.get("doc/treaty-action/considering-signature")
    assert text.status_code == 410 and "withdrawn" in text.text


def test_every_published_iri_still_answers(client: TestClient, shipped: Settings) -> None:
    listed = [line.strip() for line in (shipped.data_dir / "published-iris.txt").read_text(
        encoding="utf-8").splitlines() if line.strip() and not line.startswith("#")]
    assert len(listed) > 300
    for path in listed:
        status = client.get(path, headers={"accept": "text/turtle"}).status_code
        assert status in (301, 303, 410), (path, status)


# -- identifiers -----------------------------------------------------------------------------

def test_pages_show_identifiers(client: TestClient) -> None:
    country = client.get("doc/country/MYS", headers=HTML).text
    section = country[country.index('id="identifiers"'):]
    assert "https://www.wikidata.org/wiki/Q833" in section
    assert ">MY<" in section and ">MYS<" in section
    lula = client.get("doc/person/luiz-inacio-lula-da-silva", headers=HTML).text
    assert "https://www.wikidata.org/wiki/Q37181" in lula
    turtle = client.get("doc/person/luiz-inacio-lula-da-silva.ttl").text
    assert "wikidata.org/entity/Q37181" in turtle


def test_a_pinned_build_keeps_its_own_index_while_a_new_one_swaps_in(
        project_copy: Path, tmp_path: Path) -> None:
    """The index belongs to its build: a Snapshot taken before a new build answers from
    the old index, the next one from the new, and neither touches the project folder."""
    from publisher.pipeline.build import build
    from publisher.snapshot import Snapshots

    settings = Settings(base="http://127.0.0.1:8999/", project_dir=project_copy,
                        store_dir=tmp_path / "store")
    build(settings, progress=lambda _line: None)
    snapshots = Snapshots(settings)
    old = snapshots.current()
    assert old.search_index().search("Zyxwvut").total == 0
    identifiers = project_copy / "data" / "reference" / "identifiers.yaml"
    text = identifiers.read_text(encoding="utf-8").replace(
        "  - {id: person/sergey-lavrov, altLabel: [Lavrov, Sergei Lavrov]}",
        "  - {id: person/sergey-lavrov, altLabel: [Lavrov, Sergei Lavrov, Zyxwvut]}")
    identifiers.write_text(text, encoding="utf-8")
    build(settings, progress=lambda _line: None)
    new = snapshots.current()
    assert new.build_id != old.build_id
    assert new.search_index().search("Zyxwvut").items[0].key == (
        settings.id_base + "person/sergey-lavrov")
    assert old.search_index().search("Zyxwvut").total == 0  # still the old build's
