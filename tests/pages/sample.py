"""A person page as the builders will fill it, for template and browser checks that do
not depend on the data (the values come from the shipped facts, by hand)."""

from __future__ import annotations

from publisher.linked_data.html import Alternate
from publisher.pages import SiteContext
from publisher.pages.figures import (
    MapPlace,
    NetworkEdge,
    NetworkNode,
    TimelineEvent,
    map_svg,
    network_svg,
    timeline_svg,
)
from publisher.pages.model import (
    Figure,
    Link,
    Page,
    Quote,
    Reference,
    Row,
    Section,
    Summary,
    Text,
    When,
)

BASE = "http://127.0.0.1:8000/"
SITE = SiteContext(BASE, "/", "0123456789abcdef0123", "1 December 2026",
                   nav=[("Home", BASE), ("Meetings", BASE + "meetings")])
ALTERNATES = [Alternate("HTML", BASE + "doc/person/sergey-lavrov.html", "text/html"),
              Alternate("Turtle", BASE + "doc/person/sergey-lavrov.ttl", "text/turtle")]


def link(path: str, label: str, kind: str | None = None) -> Link:
    return Link(label, BASE + "id/" + path, kind)


MFA = Reference(1, "Russian MFA posts on Sergey Lavrov's talks in Vientiane and Kuala Lumpur",
                BASE + "id/graph/004-russian-mfa-lavrov-asean-2024",
                publisher="Ministry of Foreign Affairs of Russia", published="2024-07",
                quotes=[Quote("Sergey Lavrov held talks with Wang Yi",
                              prefix="On 25 July, ", suffix=" on the sidelines of")])
BERNAMA = Reference(2, "Lavrov-Rubio meeting in KL being finalised",
                    BASE + "id/graph/001-bernama-lavrov-rubio-meeting-being-finalised",
                    url="https://example.org/article", published="2025-07")

LAVROV = link("person/sergey-lavrov", "Sergey Lavrov", "person")
WANG = link("person/wang-yi", "Wang Yi", "person")
RUBIO = link("person/marco-rubio", "Marco Rubio", "person")
FIDAN = link("person/hakan-fidan", "Hakan Fidan", "person")
VIENTIANE = link("place/vientiane", "Vientiane", "place")
KL = link("place/kuala-lumpur", "Kuala Lumpur", "place")
SUMMIT = link("event/2024-07-asean-ministerial-events-vientiane",
              "ASEAN annual ministerial events, Vientiane, July 2024", "event")
MINISTER = link("post/foreign-minister-rus", "Minister of Foreign Affairs of Russia", "post")

EVENTS = [
    TimelineEvent(SUMMIT.href, SUMMIT.label, "2024-07", kind="summit"),
    TimelineEvent(BASE + "id/event/a", "Talks between Sergey Lavrov and Wang Yi", "2024-07-25",
                  parent=SUMMIT.href),
    TimelineEvent(BASE + "id/event/b", "Talks between Sergey Lavrov and Hakan Fidan",
                  "2024-07-26", parent=SUMMIT.href),
    TimelineEvent(BASE + "id/event/c", "Meeting of Sergey Lavrov and Marco Rubio", "2025-07-10"),
]
EDGES = [NetworkEdge(LAVROV.href, WANG.href, BASE + "id/event/a", EVENTS[1].label, "2024-07-25"),
         NetworkEdge(LAVROV.href, FIDAN.href, BASE + "id/event/b", EVENTS[2].label,
                     "2024-07-26"),
         NetworkEdge(LAVROV.href, RUBIO.href, BASE + "id/event/c", EVENTS[3].label, "2025-07-10")]
NODES = [NetworkNode(p.href, p.label) for p in (LAVROV, WANG, FIDAN, RUBIO)]


def meeting_row(when: str, event: Link, others: list[Link], place: Link,
                refs: list[Reference], children: list[Row] | None = None) -> Row:
    return Row([[When(when)], [event], others, [place], [MINISTER]], refs, children or [])


def person_page() -> Page:
    side = [meeting_row("2024-07-25", Link(EVENTS[1].label, EVENTS[1].iri), [WANG], VIENTIANE,
                        [MFA]),
            meeting_row("2024-07-26", Link(EVENTS[2].label, EVENTS[2].iri), [FIDAN], VIENTIANE,
                        [MFA])]
    meetings = Section(
        "meetings", "Meetings", columns=("Date", "Meeting", "With", "Where", "As"),
        rows=[meeting_row("2024-07", SUMMIT, [], VIENTIANE, [MFA], side),
              meeting_row("2025-07-10", Link(EVENTS[3].label, EVENTS[3].iri), [RUBIO], KL,
                          [BERNAMA, MFA])])
    posts = Section("posts", "Posts", columns=("Since", "Post", "Until"), rows=[
        Row([[When("2004")], [MINISTER], [Text("now")]], [MFA], tag="current")])
    return Page(
        title="Sergey Lavrov", iri=LAVROV.href, doc_iri=BASE + "doc/person/sergey-lavrov",
        kinds=[Link("person", BASE + "ontology#Person")],
        summary=[Summary("Current post", [MINISTER, Text("since"), When("2004")], [MFA]),
                 Summary("Nationality", [link("country/RUS", "Russia", "country")], [MFA])],
        figures=[Figure("timeline", "Meetings over time", timeline_svg(EVENTS, "Meetings over "
                        "time", "timeline"), json_href="#timeline.json"),
                 Figure("network", "Who he met", network_svg(NODES, EDGES, "Who he met",
                        focus=LAVROV.href, figure_id="network")),
                 Figure("map", "Where", map_svg([MapPlace(VIENTIANE.href, "Vientiane", 17.97,
                        102.6, 3), MapPlace(KL.href, "Kuala Lumpur", 3.15, 101.69, 1)], "Where",
                        figure_id="map"))],
        sections=[posts, meetings,
                  Section("topics", "Topics", layout="list", rows=[
                      Row([[link("topic/strategic-partnership", "strategic partnership")],
                           [Text("2 meetings")]])])],
        about=[Summary("Statements", [Text("169")])],
        template="page.html")
