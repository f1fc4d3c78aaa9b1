"""A topic: the events and statements about it, by date; its place in the scheme."""

from __future__ import annotations

from ..model import Page, Section
from .common import Context, dated_rows, event_rows, events, iri_ref, when_cell
from .generic import incoming, outgoing


def build(ctx: Context, iri: str, page: Page) -> Page:
    facts, _ = outgoing(ctx, iri)
    if facts:
        page.sections.append(Section("facts", "In the scheme", facts, layout="facts"))
    found = events(ctx, [r["e"].value for r in ctx.select(f"""SELECT DISTINCT ?e WHERE {{
        ?e dip:topic {iri_ref(iri)} ; a/rdfs:subClassOf* dip:DiplomaticEvent }}""")])

    def cells(event) -> list[list]:
        return [when_cell(event), [ctx.link(event.iri, "event")],
                [ctx.link(p.agent) for p in event.participants]]

    if found:
        page.sections.append(Section("events", "Events about it",
                                     event_rows(ctx, found, cells),
                                     columns=("Date", "Event", "Participants")))
    others = [r["x"].value for r in ctx.select(f"""SELECT DISTINCT ?x WHERE {{
        ?x dip:topic {iri_ref(iri)} FILTER NOT EXISTS {{
        ?x a/rdfs:subClassOf* dip:DiplomaticEvent }} }}""")]
    if others:
        page.sections.append(Section("records", "Statements and other records about it",
                                     dated_rows(ctx, others), columns=("Date", "Record")))
    page.sections.extend(incoming(ctx, iri, skip={ctx.vocab + "topic"}))
    return page
