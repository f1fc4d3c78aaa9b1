"""The SVG figures: one mark per thing, accessible names, no requests, stable bytes."""

from __future__ import annotations

import json
import re

import pytest
from defusedxml import ElementTree

from publisher.pages.figures import (
    MapPlace,
    NetworkEdge,
    NetworkNode,
    TimelineEvent,
    geomap,
    map_json,
    map_svg,
    network_json,
    network_svg,
    timeline,
    timeline_json,
    timeline_svg,
)

SVG = "{http://www.w3.org/2000/svg}"

SUMMIT = TimelineEvent("e:summit", "ASEAN ministerial events, Vientiane", "2024-07",
                       kind="summit")
EVENTS = [
    TimelineEvent("e:brics", "17th BRICS summit", "2025-07-06", "2025-07-07"),
    TimelineEvent("e:talks", "Talks with Wang Yi", "2024-07-25", parent="e:summit"),
    SUMMIT,
    TimelineEvent("e:year", "Agreed <cooperation> & more", "2025"),
    TimelineEvent("e:fidan", "Talks with Hakan Fidan", "2024-07-26", parent="e:summit"),
    TimelineEvent("e:orphan", "On the sidelines of something not shown", "2024-11-15",
                  parent="e:elsewhere"),
]


def parse(svg: str) -> ElementTree:
    return ElementTree.fromstring(svg)


def accessible(root) -> None:
    assert root.get("role") == "img"
    title_id, desc_id = root.get("aria-labelledby").split()
    assert root.find(f"{SVG}title").get("id") == title_id
    assert root.find(f"{SVG}desc").get("id") == desc_id
    assert root.find(f"{SVG}title").text and root.find(f"{SVG}desc").text


def no_requests(svg: str) -> None:
    without_namespace = svg.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "http" not in without_namespace
    assert "href" not in without_namespace and "url(" not in without_namespace


def marks(root) -> list:
    return [e for e in root.iter(f"{SVG}rect") if "mark" in (e.get("class") or "").split()]


def test_timeline_has_one_mark_per_event_nested_and_in_date_order() -> None:
    svg = str(timeline_svg(EVENTS, "Meetings"))
    root = parse(svg)
    accessible(root)
    no_requests(svg)
    assert [m.get("data-iri") for m in marks(root)] == [
        "e:summit", "e:talks", "e:fidan", "e:orphan", "e:year", "e:brics"]
    depths = [e["depth"] for e in timeline_json(EVENTS)["events"]]
    assert depths == [1 - 1, 1, 1, 0, 0, 0]
    assert len([g for g in root.iter(f"{SVG}rect") if g.get("class") == "group"]) == 1
    assert "Agreed &lt;cooperation&gt; &amp; more" in svg


def test_timeline_bar_width_shows_precision() -> None:
    root = parse(str(timeline_svg(EVENTS, "Meetings")))
    width = {m.get("data-iri"): float(m.get("width")) for m in marks(root)}
    day = width["e:talks"]
    assert day >= timeline.MIN_BAR
    assert width["e:summit"] > 10 * day           # a month is about thirty days wide
    assert width["e:year"] > 5 * width["e:summit"]  # a year (drawn on its own stretch)
    assert width["e:brics"] >= day                # two days
    classes = {m.get("data-iri"): m.get("class") for m in marks(root)}
    assert "precision-month" in classes["e:summit"] and "precision-day" in classes["e:talks"]


def test_timeline_cuts_quiet_time_out_of_the_axis_and_says_so() -> None:
    apart = [TimelineEvent("a", "A", "2024-07-25"), TimelineEvent("b", "B", "2024-07-26"),
             TimelineEvent("c", "C", "2025-07-10")]
    root = parse(str(timeline_svg(apart, "Two weeks a year apart")))
    x = {m.get("data-iri"): float(m.get("x")) for m in marks(root)}
    assert x["b"] - x["a"] > 10  # a day apart is visible, not a hair
    breaks = [p for p in root.iter(f"{SVG}path") if p.get("class") == "break"]
    assert len(breaks) == 1
    assert "cut in 2 stretches" in root.find(f"{SVG}desc").text
    together = parse(str(timeline_svg(apart[:2], "One week")))
    assert not [p for p in together.iter(f"{SVG}path") if p.get("class") == "break"]


def test_timeline_is_deterministic_and_empty_without_events() -> None:
    assert str(timeline_svg(EVENTS, "x")) == str(timeline_svg(list(reversed(EVENTS)), "x"))
    assert timeline_svg([], "Nothing") == ""


def test_timeline_survives_a_cycle_of_parents() -> None:
    loop = [TimelineEvent("a", "A", "2024-01-01", parent="b"),
            TimelineEvent("b", "B", "2024-01-02", parent="a")]
    assert len(marks(parse(str(timeline_svg(loop, "loop"))))) == 2


def test_timeline_json_is_the_data_drawn() -> None:
    data = timeline_json(EVENTS)
    json.dumps(data)
    first = data["events"][0]
    assert first == {"iri": "e:summit", "label": SUMMIT.label, "start": "2024-07", "end": None,
                     "precision": "month", "when": "July 2024", "parent": None,
                     "kind": "summit", "depth": 0}
    assert data["events"][-1]["when"] == "6–7 July 2025"


PEOPLE = [NetworkNode(f"p:{name}", name.title()) for name in
          ("lavrov", "wang", "fidan", "rubio", "alone")]
MEETINGS = [
    NetworkEdge("p:lavrov", "p:wang", "e:1", "Talks", "2024-07-25"),
    NetworkEdge("p:lavrov", "p:wang", "e:2", "Talks again", "2025-07-10"),
    NetworkEdge("p:wang", "p:lavrov", "e:3", "Joint meeting", "2024-07-25"),
    NetworkEdge("p:lavrov", "p:fidan", "e:4", "Talks", "2024-07-26"),
    NetworkEdge("p:lavrov", "p:rubio", "e:5", "First meeting", "2025-07"),
    NetworkEdge("p:lavrov", "p:nobody", "e:6", "Not drawn: unknown node", "2025-07"),
]


def test_network_draws_one_labelled_edge_per_meeting() -> None:
    svg = str(network_svg(PEOPLE, MEETINGS, "Who met whom", focus="p:lavrov"))
    root = parse(svg)
    accessible(root)
    no_requests(svg)
    edges = [e for e in root.iter(f"{SVG}path") if e.get("class") == "edge"]
    assert sorted(e.get("data-event") for e in edges) == ["e:1", "e:2", "e:3", "e:4", "e:5"]
    assert len({e.get("d") for e in edges}) == 5  # parallel meetings are bowed apart
    labels = [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "edge-label"]
    assert sorted(labels) == sorted(["25 July 2024", "10 July 2025", "25 July 2024",
                                     "26 July 2024", "July 2025"])
    nodes = {g.get("data-iri") for g in root.iter(f"{SVG}g") if g.get("data-iri")}
    assert nodes == {"p:lavrov", "p:wang", "p:fidan", "p:rubio"}  # who met no one: left out


def test_network_puts_the_focus_in_the_middle_and_is_stable() -> None:
    first = network_svg(PEOPLE, MEETINGS, "x", focus="p:lavrov")
    assert first == network_svg(list(reversed(PEOPLE)), list(reversed(MEETINGS)), "x",
                                focus="p:lavrov")
    root = parse(str(first))
    width, height = (float(v) for v in root.get("viewBox").split()[2:])
    focus = next(g for g in root.iter(f"{SVG}g") if g.get("data-iri") == "p:lavrov")
    circle = focus.find(f"{SVG}circle")
    assert abs(float(circle.get("cx")) - width / 2) < 1
    assert abs(float(circle.get("cy")) - height / 2) < 1
    assert "focus" in focus.get("class")


def test_network_json_and_empty_network() -> None:
    data = network_json(PEOPLE, MEETINGS)
    json.dumps(data)
    assert [e["event"] for e in data["edges"]][:3] == ["e:1", "e:3", "e:4"]
    assert network_svg(PEOPLE, [], "nothing") == ""


PLACES = [MapPlace("pl:kl", "Kuala Lumpur", 3.15, 101.69, 9),
          MapPlace("pl:vientiane", "Vientiane", 17.97, 102.6, 8)]


def test_map_marks_each_place_inside_the_frame() -> None:
    svg = str(map_svg(PLACES, "Places", highlight=["MYS"]))
    root = parse(svg)
    accessible(root)
    no_requests(svg)
    width, height = (float(v) for v in root.get("viewBox").split()[2:])
    places = [g for g in root.iter(f"{SVG}g") if g.get("class") == "place"]
    assert {g.get("data-iri") for g in places} == {"pl:kl", "pl:vientiane"}
    for place in places:
        circle = place.find(f"{SVG}circle")
        assert 0 < float(circle.get("cx")) < width and 0 < float(circle.get("cy")) < height
    radius = {g.get("data-iri"): float(g.find(f"{SVG}circle").get("r")) for g in places}
    assert radius["pl:kl"] > radius["pl:vientiane"]
    drawn = {p.get("data-country"): p.get("class") for p in root.iter(f"{SVG}path")
             if p.get("data-country")}
    assert drawn["MYS"] == "land highlight" and drawn["LAO"] == "land"
    assert "BRA" not in drawn  # only the countries in the frame are sent
    assert "Natural Earth" in root.find(f"{SVG}desc").text
    assert "GeoNames" in root.find(f"{SVG}desc").text  # where the dots' coordinates are from


def test_map_draws_no_line_across_the_world_at_the_antimeridian() -> None:
    anadyr = MapPlace("pl:anadyr", "Anadyr", 64.73, 177.5)
    root = parse(str(map_svg([anadyr], "Chukotka")))
    russia = next(p for p in root.iter(f"{SVG}path") if p.get("data-country") == "RUS")
    for ring in russia.get("d").split("M")[1:]:
        xs = [float(x) for x in re.findall(r"(?:^|L)(-?[\d.]+) ", ring)]
        assert max(abs(a - b) for a, b in zip(xs, xs[1:], strict=False)) < geomap.WIDTH / 2


def test_basemap_is_packaged_with_its_source_and_every_country() -> None:
    countries = geomap.basemap()
    assert len(countries) > 170
    assert {"MYS", "LAO", "RUS", "BRA", "AZE", "CHN"} <= {c.alpha3 for c in countries}
    data = json.loads(geomap.BASEMAP.read_text())
    assert "Natural Earth" in data["source"] and "public domain" in data["licence"]
    assert map_json(PLACES)["places"][0]["label"] == "Kuala Lumpur"
    assert map_svg([], "none") == ""


@pytest.mark.parametrize("draw", [
    lambda: timeline_svg(EVENTS, "A <b>heading</b>"),
    lambda: network_svg(PEOPLE, MEETINGS, "A <b>heading</b>"),
    lambda: map_svg(PLACES, "A <b>heading</b>"),
])
def test_headings_are_escaped(draw) -> None:
    assert "A &lt;b&gt;heading&lt;/b&gt;" in str(draw())


def test_separate_groups_sit_side_by_side_not_squeezed() -> None:
    pairs = [NetworkNode(f"p:{n}", n) for n in ("a", "b", "c", "x", "y")]
    met = [NetworkEdge("p:a", "p:b", "e:1", "ab", "2024-01-01"),
           NetworkEdge("p:b", "p:c", "e:2", "bc", "2024-01-02"),
           NetworkEdge("p:x", "p:y", "e:3", "xy", "2024-01-03")]
    root = parse(str(network_svg(pairs, met, "two groups")))
    x = {g.get("data-iri"): float(g.find(f"{SVG}circle").get("cx"))
         for g in root.iter(f"{SVG}g") if g.get("data-iri")}
    big, small = [x[k] for k in ("p:a", "p:b", "p:c")], [x["p:x"], x["p:y"]]
    assert max(big) < min(small) or max(small) < min(big)
    assert max(big) - min(big) > 100  # the larger group keeps room to spread


def test_a_meeting_without_a_date_is_still_an_edge_dashed_and_unlabelled() -> None:
    nodes = [NetworkNode("p:a", "A", "person"), NetworkNode("p:b", "B", "person"),
             NetworkNode("p:c", "C", "person")]
    edges = [NetworkEdge("p:a", "p:b", "ev:1", "Talks", "2024-07-25"),
             NetworkEdge("p:a", "p:c", "ev:2", "Meeting", None)]
    root = parse(str(network_svg(nodes, edges, "Who met whom", focus="p:a")))
    drawn = {p.get("data-event"): p.get("class") for p in root.iter(f"{SVG}path")
             if p.get("data-event")}
    assert drawn == {"ev:1": "edge", "ev:2": "edge undated"}
    labels = [t.text for g in root.iter(f"{SVG}g") if g.get("class") == "edge-labels"
              for t in g]
    assert labels == ["25 July 2024"]
    assert "date not given" in "".join(root.itertext())
    data = network_json(nodes, edges)
    assert [e["when"] for e in data["edges"]] == ["25 July 2024", "date not given"]
