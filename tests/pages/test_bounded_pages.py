"""Pages stay whole and bounded when the data is large: more than 500 people who met
(the home page's network used to need scipy there, and failed), a summit with hundreds
of side meetings, a country, a person and a city with hundreds of events. Each page
answers 200, shows the first rows of each long list with "Showing X of Y" and a link to
the query that lists them all, and draws a readable number of things."""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient

from publisher.app import create_app
from publisher.pages.bounds import (
    MAP_PLACES,
    NETWORK_EDGES,
    NETWORK_NODES,
    SECTION_ROWS,
    TIMELINE_EVENTS,
)
from publisher.pages.figures import MapPlace, NetworkEdge, NetworkNode, TimelineEvent
from publisher.pages.figures.network import connected_network, network_svg
from publisher.pages.kinds.figures import busiest_places, latest_timeline
from publisher.pipeline.build import build
from publisher.settings import Settings

from ..conftest import copy_project
from . import busy_data

BASE = "http://localhost:8000/"
HTML = {"Accept": "text/html"}
#: Every busy page is far below this (its JSON-LD description aside, which is the
#: RDF document's and grows with the data).
MAX_PAGE_BYTES = 400_000


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    project = copy_project(tmp_path_factory.mktemp("busy") / "project")
    busy_data.write(project)
    settings = Settings(project_dir=project, store_dir=project / "var" / "store", base=BASE)
    build(settings, progress=lambda _line: None)
    app = create_app(settings.model_copy(update={"prewarm": False}))
    with TestClient(app, base_url=BASE.rstrip("/"), follow_redirects=False) as test_client:
        yield test_client


def page(client: TestClient, path: str) -> str:
    response = client.get(path, headers=HTML)
    assert response.status_code == 200, (path, response.text[:500])
    assert response.headers["content-type"].startswith("text/html")
    text = response.text
    without_description = re.sub(r'<script type="application/ld\+json">.*?</script>', "",
                                 text, flags=re.S)
    assert len(without_description.encode()) < MAX_PAGE_BYTES, path
    return text


def section(html: str, anchor: str) -> str:
    found = re.search(rf'<section class="group" id="{anchor}".*?</section>', html, re.S)
    assert found, anchor
    return found.group(0)


def drawn(html: str, figure: str, mark: str) -> int:
    found = re.search(rf'<figure class="picture {figure}".*?</figure>', html, re.S)
    assert found, figure
    return len(re.findall(mark, found.group(0)))


def rows_of(part: str) -> int:
    return len(re.findall(r"<tr[ >]", part)) - 1  # the header row


def test_home_page_draws_the_most_connected_people_of_more_than_500(
        client: TestClient) -> None:
    html = page(client, "/")
    assert drawn(html, "network", r'<g class="node ') <= NETWORK_NODES
    assert drawn(html, "network", r'<path class="edge') <= NETWORK_EDGES
    assert drawn(html, "timeline", r'<rect class="mark ') <= TIMELINE_EVENTS
    assert drawn(html, "map", r'<g class="place"') <= MAP_PLACES
    assert re.search(r'<p class="note">Drawn from the \d+ people with the most events \(of '
                     r"5\d\d people", html)
    assert "Showing the" in html and "most recent of" in html
    assert f"Showing {SECTION_ROWS} of" in html  # the classes' lists


def test_a_busy_persons_page_shows_the_latest_meetings_and_links_the_rest(
        client: TestClient) -> None:
    html = page(client, f"/doc/{busy_data.HUB}")
    events = section(html, "events")
    total = busy_data.HUB_MEETINGS + 1
    assert rows_of(events) == SECTION_ROWS
    assert f"Showing the {SECTION_ROWS} most recent of {total} events" in events
    assert f'<span class="count">{total}</span>' in events
    href = re.search(r'<p class="more"[^>]*>.*?<a href="([^"]+)"', events, re.S).group(1)
    query = parse_qs(urlsplit(href.replace("&amp;", "&")).query)["query"][0]
    listed = client.get("/sparql", params={"query": query},
                        headers={"Accept": "application/sparql-results+json"})
    assert listed.status_code == 200
    assert len(listed.json()["results"]["bindings"]) == total
    # the most recent are shown: the hub's last meeting, not the chain's first
    assert "busy-hub-0059" in events and "busy-chain-0000" not in events


def test_a_summit_with_hundreds_of_side_meetings(client: TestClient) -> None:
    html = page(client, f"/doc/{busy_data.SUMMIT}")
    side = section(html, "side")
    total = len(busy_data.meetings())
    assert rows_of(side) == SECTION_ROWS
    assert f"Showing the {SECTION_ROWS} most recent of {total:,} events" in side
    assert drawn(html, "timeline", r'<rect class="mark ') <= TIMELINE_EVENTS
    assert drawn(html, "network", r'<g class="node ') <= NETWORK_NODES


@pytest.mark.parametrize("path", ["/doc/country/MYS", "/doc/place/vientiane", "/meetings"])
def test_a_country_a_city_and_every_meeting(client: TestClient, path: str) -> None:
    html = page(client, path)
    events = section(html, "events")
    assert rows_of(events) <= SECTION_ROWS
    assert re.search(r"Showing the \d+ most recent of [\d,]+ events", events)


def test_a_pictures_json_holds_more_than_the_picture_and_says_what(
        client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    response = client.get(f"/doc/{busy_data.SUMMIT}/network.json")
    assert response.status_code == 200
    data = response.json()  # every side meeting: fewer than FIGURE_JSON_EVENTS
    assert data["complete"] is True and "scope" not in data
    assert len(data["nodes"]) == busy_data.PEOPLE > NETWORK_NODES
    assert len(data["edges"]) == len(busy_data.meetings())
    # past the JSON's own bound, it says what it holds and where the rest is
    monkeypatch.setattr("publisher.pages.kinds.figures.FIGURE_JSON_EVENTS", 100)
    data = client.get("/doc/place/vientiane/timeline.json").json()
    assert data["complete"] is False
    assert data["scope"].startswith("made from the 100 most recent of ")
    assert len(data["events"]) == 100 and data["allEvents"].startswith("PREFIX")
    home = client.get("/figures/network.json")
    assert home.status_code == 200 and home.json()["nodes"]


# -- the bounding itself ---------------------------------------------------------------

def _chain(n: int) -> tuple[list[NetworkNode], list[NetworkEdge]]:
    nodes = [NetworkNode(f"http://x/p{i:04d}", f"P{i}") for i in range(n)]
    edges = [NetworkEdge(nodes[i].iri, nodes[i + 1].iri, f"http://x/e{i}", f"E{i}",
                         f"2020-01-{1 + i % 28:02d}") for i in range(n - 1)]
    edges += [NetworkEdge(nodes[0].iri, nodes[k].iri, f"http://x/h{k}", f"H{k}", "2021-05-01")
              for k in range(2, 12)]
    return nodes, edges


def test_network_keeps_the_focus_and_the_most_connected() -> None:
    nodes, edges = _chain(600)
    kept, among = connected_network(nodes, edges, focus=nodes[300].iri, limit=10)
    iris = {n.iri for n in kept}
    assert len(kept) <= 10
    assert nodes[0].iri in iris  # the hub: 11 meetings
    assert all(e.source in iris and e.target in iris for e in among)
    assert {e.source for e in among} | {e.target for e in among} == iris
    again = connected_network(list(reversed(nodes)), list(reversed(edges)), nodes[300].iri, 10)
    assert {n.iri for n in again[0]} == iris  # the order given does not matter


def test_network_of_600_people_draws_without_scipy_and_is_stable() -> None:
    nodes, edges = _chain(600)
    first = network_svg(nodes, edges, "Many", focus=None)
    assert first.count('<g class="node ') <= NETWORK_NODES
    assert first == network_svg(nodes, edges, "Many", focus=None)


def test_timeline_keeps_the_most_recent_and_unnests_orphans() -> None:
    events = [TimelineEvent(f"http://x/e{i}", f"E{i}", f"2020-{1 + i // 28:02d}-{1 + i % 28:02d}",
                            parent="http://x/e0" if i else None) for i in range(100)]
    kept = latest_timeline(events, 10)
    assert [e.iri for e in sorted(kept, key=lambda e: e.sort_key)] == \
        [f"http://x/e{i}" for i in range(90, 100)]
    assert all(e.parent is None for e in kept)  # their summit is not drawn


def test_map_keeps_the_places_with_the_most_events() -> None:
    marks = [MapPlace(f"http://x/c{i}", f"C{i:03d}", 0.0, float(i % 180), events=i)
             for i in range(200)]
    kept = busiest_places(marks, 5)
    assert [m.events for m in kept] == [199, 198, 197, 196, 195]
