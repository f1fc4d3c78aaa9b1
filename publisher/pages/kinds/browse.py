"""Pages over the whole dataset: every meeting in date order, and the home page's
pictures (all events on a timeline, everyone who met, every place)."""

from __future__ import annotations

from ..model import Figure, Page, Section, Summary, Text
from .common import Context, event_rows, events, when_cell
from .figures import figures_for


def all_events(ctx: Context) -> dict:
    return events(ctx, [r["e"].value for r in ctx.select(
        "SELECT DISTINCT ?e WHERE { ?e a/rdfs:subClassOf* dip:DiplomaticEvent }")])


def meetings_page(ctx: Context, iri: str) -> Page:
    """``meetings``: every event, side meetings under theirs, in date order."""
    found = all_events(ctx)
    page = Page(title="Meetings and other events", iri=iri, doc_iri=iri, kind="meetings",
                lead="Every meeting, visit, session and conversation the sources report, "
                     "in date order; events held on the sidelines of another, or as part "
                     "of it, are listed under it.")
    dated = sum(1 for e in found.values() if e.start)
    page.summary.append(Summary("Events", [Text(f"{len(found)}, of which {dated} dated; "
                                                "the rest are listed last")]))

    def cells(event) -> list[list]:
        return [when_cell(event), [ctx.link(event.iri, "event")],
                [ctx.link(p.agent) for p in event.participants],
                [ctx.link(place, "place") for place in event.places]]

    page.sections.append(Section("events", "Events", event_rows(ctx, found, cells),
                                 columns=("Date", "Event", "Participants", "Where")))
    page.figures = [f for f in figures_for(ctx, list(found.values()), iri, "every event",
                                           iri) if f.id == "timeline"]
    return page


def home_figures(ctx: Context, doc_iri: str) -> list[Figure]:
    """The whole dataset at a glance: timeline, who met whom, where."""
    found = list(all_events(ctx).values())
    return figures_for(ctx, found, doc_iri, "all sources", doc_iri, focus="")
