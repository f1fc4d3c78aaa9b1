"""A place: the country it is in, and the events held there by date, on a map."""

from __future__ import annotations

from ..model import Page, Section, Summary
from .common import Context, event_rows, events, iri_ref, when_cell
from .figures import figures_for
from .generic import incoming

SHOWN = ("place", "locationCreated")


def build(ctx: Context, iri: str, page: Page) -> Page:
    me = iri_ref(iri)
    country = ctx.select(f"SELECT DISTINCT ?c WHERE {{ {me} dip:locatedIn ?c }}")
    if country:
        page.summary.append(Summary("In", [ctx.link(r["c"].value, "country")
                                           for r in country], sep=", "))
    found = events(ctx, [r["e"].value for r in ctx.select(
        f"SELECT DISTINCT ?e WHERE {{ ?e dip:place {me} }}")])
    page.figures = figures_for(ctx, list(found.values()), iri, page.title, page.doc_iri)

    def cells(event) -> list[list]:
        return [when_cell(event), [ctx.link(event.iri, "event")],
                [ctx.link(p.agent) for p in event.participants]]

    if found:
        page.sections.append(Section("events", "Events here", event_rows(ctx, found, cells),
                                     columns=("Date", "Event", "Participants")))
    page.sections.extend(incoming(ctx, iri, skip={ctx.vocab + "place"}))
    return page
