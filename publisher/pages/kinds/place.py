"""A place: the country it is in, and the events held there by date, on a map."""

from __future__ import annotations

from ..model import Page, Section, Summary
from .common import Context, bounded, event_rows, events, iri_ref, latest, when_cell
from .figures import selection_figures
from .generic import incoming

SHOWN = ("place", "locationCreated")


def build(ctx: Context, iri: str, page: Page) -> Page:
    me = iri_ref(iri)
    country = ctx.select(f"SELECT DISTINCT ?c WHERE {{ {me} dip:locatedIn ?c }}")
    if country:
        page.summary.append(Summary("In", [ctx.link(r["c"].value, "country")
                                           for r in country], sep=", "))
    pattern = f"?event dip:place {me}"
    selection = latest(ctx, pattern)
    found = events(ctx, selection.iris)
    page.figures = selection_figures(ctx, pattern, selection, found, iri, page.title,
                                     page.doc_iri)

    def cells(event) -> list[list]:
        return [when_cell(event), [ctx.link(event.iri, "event")],
                [ctx.link(p.agent) for p in event.participants]]

    if found:
        page.sections.append(bounded(Section(
            "events", "Events here", event_rows(ctx, found, cells),
            columns=("Date", "Event", "Participants")), ctx, selection))
    page.sections.extend(incoming(ctx, iri, skip={ctx.vocab + "place"}))
    return page
