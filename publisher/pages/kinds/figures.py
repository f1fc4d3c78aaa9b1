"""The data behind a page's pictures, taken from its events: a timeline, a who-met-whom
network and a map, each as the plain data the SVG renderers take (and JSON serves)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

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
from ..model import Figure
from .common import Context, Event, values

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
    """``person``, ``country`` or ``organisation`` for each agent IRI."""
    wanted = sorted(set(iris))
    if not wanted:
        return {}
    found = {}
    for row in ctx.select(f"""SELECT DISTINCT ?a ?kind WHERE {{ VALUES ?a {{ {values(wanted)} }}
        {{ ?a a <http://xmlns.com/foaf/0.1/Person> BIND("person" AS ?kind) }} UNION
        {{ ?a a dip:Country BIND("country" AS ?kind) }} UNION
        {{ ?a a/rdfs:subClassOf* org:Organization FILTER NOT EXISTS {{ ?a a dip:Country }}
           BIND("organisation" AS ?kind) }} }}"""):
        found.setdefault(row["a"].value, row["kind"].value)
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


def figures_for(ctx: Context, found: Sequence[Event], subject: str, name: str,
                doc_iri: str, network_by: str = "agent",
                focus: str | None = None) -> list[Figure]:
    """Timeline, network and map of a page's events (each left out when empty), each
    with the data it is drawn from."""
    result = []
    timeline = timeline_events(ctx, found)
    if timeline:
        result.append(Figure("timeline", f"Events over time: {name}", timeline_svg(
            timeline, f"Events over time: {name}", "timeline"),
            json_href=figure_href(doc_iri, "timeline"), data=timeline_json(timeline)))
    agents = {a for e in found for p in e.participants
              for a in ([p.agent] + p.represents)}
    kinds = agent_kinds(ctx, agents)
    if network_by == "agent":
        kinds = {iri: kind for iri, kind in kinds.items() if kind == "person"}
    nodes, edges = network(ctx, found, kinds, network_by)
    if edges:
        heading = f"Who met whom: {name}"
        result.append(Figure("network", heading, network_svg(
            nodes, edges, heading, focus=focus or subject, figure_id="network"),
            json_href=figure_href(doc_iri, "network"), data=network_json(nodes, edges)))
    marks, unplaced = places(ctx, found)
    if marks:
        note = (f"{unplaced} place{'s' if unplaced != 1 else ''} without coordinates "
                "not drawn.") if unplaced else None
        result.append(Figure("map", f"Where: {name}", map_svg(
            marks, f"Where: {name}", figure_id="map"), json_href=figure_href(doc_iri, "map"),
            note=note, data=map_json(marks)))
    return result
