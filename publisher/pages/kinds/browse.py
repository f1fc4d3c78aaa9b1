"""Pages over the whole dataset: the meetings in date order, and the home page's
pictures (the latest events on a timeline, the most connected people, the busiest
places) — each bounded, whatever the size of the data (:mod:`..bounds`)."""

from __future__ import annotations

from ..bounds import (
    FIGURE_JSON_EVENTS,
    MAP_PLACES,
    NETWORK_EDGES,
    NETWORK_NODES,
    TIMELINE_EVENTS,
    plural,
)
from ..figures import MapPlace, map_json, map_svg
from ..model import Figure, Page, Section, Summary, Text
from .common import (
    VALUES_CHUNK,
    Context,
    bounded,
    event_rows,
    events,
    latest,
    values,
    when_cell,
)
from .figures import figure_href, selection_figures

EVERY_EVENT = "?event a/rdfs:subClassOf* dip:DiplomaticEvent"


def meetings_page(ctx: Context, iri: str) -> Page:
    """``meetings``: the most recent events, side meetings under theirs, in date order;
    the rest through the query the page links to."""
    selection = latest(ctx, EVERY_EVENT)
    found = events(ctx, selection.iris)
    page = Page(title="Meetings and other events", iri=iri, doc_iri=iri, kind="meetings",
                lead="Meetings, visits, sessions and conversations the sources report, "
                     "in date order; events held on the sidelines of another, or as part "
                     "of it, are listed under it.")
    dated = ctx.select(f"""SELECT (COUNT(DISTINCT ?event) AS ?n) WHERE {{ {EVERY_EVENT}
        FILTER EXISTS {{ ?event dip:date|dip:startDate ?d }} }}""")
    page.summary.append(Summary("Events", [Text(
        f"{selection.total:,}, of which {int(dated[0]['n'].value):,} dated; the rest are "
        "listed last")]))

    def cells(event) -> list[list]:
        return [when_cell(event), [ctx.link(event.iri, "event")],
                [ctx.link(p.agent) for p in event.participants],
                [ctx.link(place, "place") for place in event.places]]

    page.sections.append(bounded(Section(
        "events", "Events", event_rows(ctx, found, cells),
        columns=("Date", "Event", "Participants", "Where")), ctx, selection))
    page.figures = [f for f in selection_figures(ctx, EVERY_EVENT, selection, found, iri,
                                                 "every event", iri)
                    if f.id == "timeline"]
    return page


def home_figures(ctx: Context, doc_iri: str) -> list[Figure]:
    """The whole dataset at a glance: the latest events, who met whom among the people
    with the most meetings, and the places with the most events. Each is chosen by the
    store (ordered aggregates with a LIMIT), so the page costs the same at any size."""
    figures = []
    selection = latest(ctx, EVERY_EVENT, TIMELINE_EVENTS)
    recent = events(ctx, selection.iris)
    figures += [f for f in selection_figures(ctx, EVERY_EVENT, selection, recent, doc_iri,
                                             "all sources", doc_iri, focus="")
                if f.id == "timeline"]
    people = [r["a"].value for r in ctx.select(f"""SELECT ?a (COUNT(DISTINCT ?e) AS ?n)
        WHERE {{ ?e dip:participant ?a . ?a a <http://xmlns.com/foaf/0.1/Person> }}
        GROUP BY ?a ORDER BY DESC(?n) STR(?a) LIMIT {NETWORK_NODES}""")]
    if len(people) > 1:
        among = f"VALUES ?a {{ {values(people)} }} VALUES ?b {{ {values(people)} }}"
        pattern = f"{among} ?event dip:participant ?a, ?b FILTER(STR(?a) < STR(?b))"
        met = latest(ctx, pattern, VALUES_CHUNK)
        found = events(ctx, met.iris)
        drawn = [f for f in selection_figures(ctx, pattern, met, found, doc_iri,
                                              "all sources", doc_iri, focus="")
                 if f.id == "network"]
        everyone = int(ctx.select("""SELECT (COUNT(DISTINCT ?a) AS ?n) WHERE {
            ?e dip:participant ?a . ?a a <http://xmlns.com/foaf/0.1/Person> }""")[0]["n"].value)
        for figure in drawn:
            figure.note = (f"Drawn from the {len(people)} people with the most events (of "
                           f"{plural(everyone, 'person', 'people')} who took part in one): "
                           f"the {met.total if met.complete else len(met.iris):,} "
                           f"{'' if met.complete else 'most recent '}meetings between two "
                           "of them, at most "
                           f"{NETWORK_EDGES} drawn. The data (JSON) has more; the query "
                           "page has everything.")
        figures += drawn
    figures += home_map(ctx, doc_iri)
    return figures


def home_map(ctx: Context, doc_iri: str) -> list[Figure]:
    """The places with the most events, sized by all their events."""
    where = "?e dip:place ?p . ?p geo:lat ?la ; geo:long ?lo"

    def located(limit: int) -> list[MapPlace]:
        marks = []
        for row in ctx.select(f"""SELECT ?p (COUNT(DISTINCT ?e) AS ?n) (SAMPLE(?la) AS ?lat)
            (SAMPLE(?lo) AS ?long) WHERE {{ {where} }} GROUP BY ?p
            ORDER BY DESC(?n) STR(?p) LIMIT {limit}"""):
            try:
                marks.append(MapPlace(row["p"].value, ctx.label(row["p"].value),
                                      float(row["lat"].value), float(row["long"].value),
                                      int(row["n"].value)))
            except ValueError:
                continue
        return marks

    shown = located(MAP_PLACES)
    if not shown:
        return []
    total = len(shown)
    if total >= MAP_PLACES:
        total = int(ctx.select(f"SELECT (COUNT(DISTINCT ?p) AS ?n) WHERE {{ {where} }}")
                    [0]["n"].value)
    note = (f"Showing the {len(shown)} places with the most events, of {total:,}."
            if total > len(shown) else None)

    def data() -> dict:
        everything = located(FIGURE_JSON_EVENTS)
        return {**map_json(everything), "complete": len(everything) >= total}

    heading = "Where: all sources"
    return [Figure("map", heading, map_svg(shown, heading, figure_id="map"),
                   json_href=figure_href(doc_iri, "map"), note=note, data=data)]
