"""A topic: the events and statements about it, by date; its place in the scheme."""

from __future__ import annotations

from ..model import Page, Section
from .common import (
    Context,
    bounded,
    dated_rows,
    event_rows,
    events,
    iri_ref,
    latest,
    when_cell,
)
from .generic import incoming, outgoing


def build(ctx: Context, iri: str, page: Page) -> Page:
    facts, _ = outgoing(ctx, iri)
    if facts:
        page.sections.append(Section("facts", "In the scheme", facts, layout="facts"))
    selection = latest(ctx, f"?event dip:topic {iri_ref(iri)} ; "
                            "a/rdfs:subClassOf* dip:DiplomaticEvent")
    found = events(ctx, selection.iris)

    def cells(event) -> list[list]:
        return [when_cell(event), [ctx.link(event.iri, "event")],
                [ctx.link(p.agent) for p in event.participants]]

    if found:
        page.sections.append(bounded(Section("events", "Events about it",
                                             event_rows(ctx, found, cells),
                                             columns=("Date", "Event", "Participants")),
                                     ctx, selection))
    records = latest(ctx, f"?event dip:topic {iri_ref(iri)} FILTER NOT EXISTS {{ "
                          "?event a/rdfs:subClassOf* dip:DiplomaticEvent }")
    if records.iris:
        page.sections.append(bounded(Section(
            "records", "Statements and other records about it",
            dated_rows(ctx, records.iris), columns=("Date", "Record")), ctx, records,
            "record"))
    page.sections.extend(incoming(ctx, iri, skip={ctx.vocab + "topic"}))
    return page
