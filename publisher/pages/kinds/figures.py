"""The data behind a page's pictures, taken from its events: a timeline, a who-met-whom
network and a map, each as the plain data the SVG renderers take (and JSON serves)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace

from ..bounds import FIGURE_JSON_EVENTS, MAP_PLACES, TIMELINE_EVENTS, plural
from ..figures import (
    MapPlace,
    NetworkEdge,
    NetworkNode,
    TimelineEvent,
    map_json,
    map_svg,
    network_json,
    network_svg,
    timeline_json,
    timeline_svg,
)
from ..figures.network import connected_network
from ..model import Figure
from .common import VALUES_CHUNK, Context, Event, Selection, events, latest, values

#: A meeting of more people than this is a gathering, not a "who met whom" edge set.
MAX_NETWORK_PARTIES = 6
SUMMIT_TYPES = ("Summit", "MinisterialMeeting", "MultilateralMeeting", "Visit",
                "OfficialVisit", "SeniorOfficialsMeeting")


def _kind(ctx: Context, event: Event) -> str:
    local = {t[len(ctx.vocab):] for t in event.types if t.startswith(ctx.vocab)}
    return "summit" if local & set(SUMMIT_TYPES) else "meeting"


def timeline_events(ctx: Context, found: Iterable[Event]) -> list[TimelineEvent]:
    dated = [e for e in found if e.start]
    present = {e.iri for e in dated}
    return [TimelineEvent(e.iri, e.label, e.start, e.end,
                          next((p for p in e.parents if p in present), None), _kind(ctx, e))
            for e in dated]


def network(ctx: Context, found: Iterable[Event], kinds: dict[str, str],
            by: str = "agent") -> tuple[list[NetworkNode], list[NetworkEdge]]:
    """One edge per meeting between each two parties of it: people (``by="agent"``) or
    the states and organisations they represent (``by="represents"``). ``kinds`` says
    which IRIs are people, countries, organisations."""
    nodes: dict[str, NetworkNode] = {}
    edges: list[NetworkEdge] = []
    for event in found:
        parties = []
        for participant in event.participants:
            chosen = participant.represents if by == "represents" else [participant.agent]
            for party in chosen or ([participant.agent] if by == "represents" else []):
                if party in kinds and party not in parties:
                    parties.append(party)
        if not 2 <= len(parties) <= MAX_NETWORK_PARTIES:
            continue
        parties.sort()
        for party in parties:
            nodes.setdefault(party, NetworkNode(party, ctx.label(party), kinds[party]))
        for i, a in enumerate(parties):
            for b in parties[i + 1:]:
                edges.append(NetworkEdge(a, b, event.iri, event.label, event.start, event.end))
    return list(nodes.values()), edges


def agent_kinds(ctx: Context, iris: Iterable[str]) -> dict[str, str]:
    """``person``, ``country`` or ``organisation`` for each agent IRI: their classes in
    one query by the agents' own index, the organisation classes (a few ontology terms)
    in another."""
    wanted = sorted(set(iris))
    if not wanted:
        return {}
    organisations = {r["c"].value for r in ctx.select(
        "SELECT DISTINCT ?c WHERE { ?c rdfs:subClassOf* org:Organization }")}
    organisations.add("http://www.w3.org/ns/org#Organization")
    person, country = "http://xmlns.com/foaf/0.1/Person", ctx.vocab + "Country"
    classes: dict[str, set[str]] = {}
    for start in range(0, len(wanted), VALUES_CHUNK):
        for row in ctx.select(f"""SELECT DISTINCT ?a ?t WHERE {{
            VALUES ?a {{ {values(wanted[start:start + VALUES_CHUNK])} }} ?a a ?t }}"""):
            classes.setdefault(row["a"].value, set()).add(row["t"].value)
    found = {}
    for agent in wanted:
        types = classes.get(agent, set())
        if person in types:
            found[agent] = "person"
        elif country in types:
            found[agent] = "country"
        elif types & organisations:
            found[agent] = "organisation"
    return found


def places(ctx: Context, found: Iterable[Event]) -> tuple[list[MapPlace], int]:
    """Places with coordinates (sized by their events), and how many places lack them."""
    counts = Counter(place for event in found for place in event.places)
    if not counts:
        return [], 0
    located = {}
    for row in ctx.select(f"""SELECT ?p (SAMPLE(?la) AS ?lat) (SAMPLE(?lo) AS ?long) WHERE {{
        VALUES ?p {{ {values(sorted(counts))} }}
        ?p geo:lat ?la ; geo:long ?lo }} GROUP BY ?p"""):
        try:
            located[row["p"].value] = (float(row["lat"].value), float(row["long"].value))
        except ValueError:
            continue
    marks = [MapPlace(iri, ctx.label(iri), lat, lon, counts[iri])
             for iri, (lat, lon) in located.items()]
    return marks, len(counts) - len(located)


#: The pictures a page may have, each also served as JSON at ``{page}/{name}.json``.
FIGURES = ("timeline", "network", "map")


def figure_href(doc_iri: str, name: str) -> str:
    """Where a picture's data is served: beside the page (``doc/person/x/timeline.json``;
    the home page's at ``figures/timeline.json``)."""
    return f"{doc_iri.rstrip('/')}/{name}.json" if not doc_iri.endswith("/") \
        else f"{doc_iri}figures/{name}.json"


# -- what a picture draws: a readable number of items ----------------------------------

def latest_timeline(items: Sequence[TimelineEvent], limit: int = TIMELINE_EVENTS
                    ) -> list[TimelineEvent]:
    """The ``limit`` most recent events (a side meeting whose summit is left out is drawn
    on its own row)."""
    if len(items) <= limit:
        return list(items)
    kept = sorted(items, key=lambda e: e.sort_key, reverse=True)[:limit]
    present = {e.iri for e in kept}
    return [e if e.parent is None or e.parent in present else replace(e, parent=None)
            for e in kept]


def busiest_places(marks: Sequence[MapPlace], limit: int = MAP_PLACES) -> list[MapPlace]:
    return sorted(marks, key=lambda p: (-p.events, p.label, p.iri))[:limit]


def _note(*parts: str | None) -> str | None:
    said = [p for p in parts if p]
    return " ".join(said) if said else None


def _scope(data: dict, shown_events: int, total_events: int | None, query: str | None
           ) -> dict:
    """What the JSON holds of the page's events: all of them, or the most recent."""
    if total_events is not None and total_events > shown_events:
        data["complete"] = False
        data["scope"] = (f"made from the {shown_events:,} most recent of "
                         f"{total_events:,} events")
        if query:
            data["allEvents"] = query
    else:
        data["complete"] = True
    return data


def figures_for(ctx: Context, found: Sequence[Event], subject: str, name: str,
                doc_iri: str, network_by: str = "agent", focus: str | None = None,
                total: int | None = None,
                more: Callable[[], Sequence[Event]] | None = None,
                query: str | None = None) -> list[Figure]:
    """Timeline, network and map of a page's events (each left out when empty): each
    draws a readable number of items and says what it leaves out. ``found`` are the
    events the page has (``total`` of them in all); a picture's JSON is made, when asked
    for, from ``more()`` events (the most recent, bounded), else from ``found``."""
    result = []
    focus = focus if focus is not None else subject
    events_for_json = (lambda: list(more())) if more is not None else (lambda: list(found))

    def json_of(make: Callable[[Sequence[Event]], dict]) -> Callable[[], dict]:
        def compute() -> dict:
            chosen = events_for_json()
            return _scope(make(chosen), len(chosen), total, query)
        return compute

    timeline = timeline_events(ctx, found)
    if timeline:
        drawn = latest_timeline(timeline)
        note = None
        if len(drawn) < len(timeline) or (total or 0) > len(found):
            of = plural(total, "event") if total else f"{len(timeline):,} dated events"
            note = f"Showing the {len(drawn):,} most recent of {of}; the data (JSON) has more."
        result.append(Figure(
            "timeline", f"Events over time: {name}",
            timeline_svg(drawn, f"Events over time: {name}", "timeline"),
            json_href=figure_href(doc_iri, "timeline"), note=note,
            data=json_of(lambda chosen: timeline_json(timeline_events(ctx, chosen)))))

    def party_network(chosen: Sequence[Event]) -> tuple[list[NetworkNode], list[NetworkEdge]]:
        agents = {a for e in chosen for p in e.participants for a in ([p.agent] + p.represents)}
        kinds = agent_kinds(ctx, agents)
        if network_by == "agent":
            kinds = {iri: kind for iri, kind in kinds.items() if kind == "person"}
        return network(ctx, chosen, kinds, network_by)

    nodes, edges = party_network(found)
    if edges:
        heading = f"Who met whom: {name}"
        shown_nodes, shown_edges = connected_network(nodes, edges, focus)
        note = None
        if len(shown_nodes) < len(nodes) or len(shown_edges) < len(edges):
            note = (f"Showing the {len(shown_nodes):,} most connected of "
                    f"{plural(len(nodes), 'party', 'parties')} and "
                    f"{len(shown_edges):,} of {plural(len(edges), 'meeting')} between "
                    "them; the data (JSON) has them all.")
        result.append(Figure("network", heading, network_svg(
            shown_nodes, shown_edges, heading, focus=focus or None, figure_id="network"),
            json_href=figure_href(doc_iri, "network"), note=note,
            data=json_of(lambda chosen: network_json(*party_network(chosen)))))
    marks, unplaced = places(ctx, found)
    if marks:
        shown = busiest_places(marks)
        note = _note(
            f"Showing the {len(shown):,} places with the most events of {len(marks):,}."
            if len(shown) < len(marks) else None,
            f"{plural(unplaced, 'place')} without coordinates not drawn." if unplaced
            else None)
        result.append(Figure("map", f"Where: {name}", map_svg(
            shown, f"Where: {name}", figure_id="map"), json_href=figure_href(doc_iri, "map"),
            note=note, data=json_of(lambda chosen: map_json(places(ctx, chosen)[0]))))
    return result


def selection_figures(ctx: Context, pattern: str, selection: Selection,
                      found: dict[str, Event], subject: str, name: str, doc_iri: str,
                      **options: str) -> list[Figure]:
    """The pictures of a page's events (the most recent ones it shows, ``selection``);
    their JSON, when asked for, from up to ``FIGURE_JSON_EVENTS`` of ``pattern``'s."""
    more = None
    if not selection.complete:
        def more() -> list[Event]:
            return list(events(ctx, latest(ctx, pattern, FIGURE_JSON_EVENTS).iris).values())
    return figures_for(ctx, list(found.values()), subject, name, doc_iri,
                       total=selection.total, more=more, query=selection.query, **options)
