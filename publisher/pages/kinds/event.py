"""An event (meeting, talks, summit, visit, session …): when and where at the top, the
event it was part of or held on the sidelines of, one participants table, its own side
meetings in date order, topics, outcomes, statements made at it, and its sources with
the words they use."""

from __future__ import annotations

from ..model import Page, Row, Section, Summary, Text, When
from .common import (
    Context,
    Event,
    bounded,
    date_or_none,
    event_rows,
    events,
    iri_ref,
    latest,
    values,
)
from .figures import selection_figures
from .generic import incoming, outgoing

PRECISION_WORDS = {"month": "known to the month", "year": "known to the year"}
#: Shown by this page's own parts rather than as facts or incoming links.
OWN = ("date", "startDate", "endDate", "place", "partOf", "onSidelinesOf", "participant",
       "participation", "topic", "outcome", "status", "occasion")


def build(ctx: Context, iri: str, page: Page) -> Page:
    found = events(ctx, [iri])
    event = found[iri]
    references = ctx.references([iri]).get(iri, [])
    if event.start:
        parts = [When(event.start, event.end)]
        words = PRECISION_WORDS.get(event.start.precision)
        if words:
            parts.append(Text(f"({words})"))
        page.summary.append(Summary("When", parts, references))
    else:
        page.summary.append(Summary("When", [Text("The sources give no date.")]))
    if event.places:
        page.summary.append(Summary("Where", [ctx.link(p, "place") for p in event.places],
                                    references, sep=", "))
    for relation, words in (("onSidelinesOf", "On the sidelines of"), ("partOf", "Part of")):
        parents = ctx.select(f"SELECT DISTINCT ?p WHERE {{ {iri_ref(iri)} dip:{relation} ?p }}")
        if parents:
            page.summary.append(Summary(words, [ctx.link(r["p"].value, "event")
                                                for r in parents], references, sep=", "))
    if event.status:
        page.summary.append(Summary("Status", [Text(ctx.label(event.status))], references))
    participants(ctx, event, page)
    side(ctx, iri, page, event)
    listed(ctx, iri, page, "topic", "topics", "Topics", "topic")
    listed(ctx, iri, page, "outcome", "outcomes", "Outcomes", "document")
    said_here(ctx, iri, page)
    facts, bookkeeping = outgoing(ctx, iri, skip={ctx.vocab + p for p in OWN})
    if facts:
        page.sections.append(Section("facts", "Other facts", facts, layout="facts"))
    page.about.extend(Summary(r.cells[0][0].text, r.cells[1], sep=", ") for r in bookkeeping)
    page.sections.extend(incoming(ctx, iri, skip={ctx.vocab + p for p in OWN}))
    sources(ctx, iri, page, references)
    return page


def participants(ctx: Context, event, page: Page) -> None:
    """One table: the party (state or organisation represented), the person, the
    capacity and the role; parties that took part as such have no person."""
    if not event.participants:
        return
    records = [p.record for p in event.participants if p.record]
    references = ctx.references(records)
    kinds = {r["a"].value for r in ctx.select(f"""SELECT DISTINCT ?a WHERE {{
        VALUES ?a {{ {values(p.agent for p in event.participants)} }}
        ?a a <http://xmlns.com/foaf/0.1/Person> }}""")}
    rows = []
    for p in event.participants:
        person = p.agent in kinds
        party = p.represents if person else [p.agent]
        rows.append((
            ctx.label(party[0]) if party else "~", ctx.label(p.agent),
            Row([[ctx.link(x) for x in party], [ctx.link(p.agent, "person")] if person else [],
                 [ctx.link(c, "post") for c in p.capacity],
                 [Text(ctx.label(r)) for r in p.roles]],
                references.get(p.record, []) if p.record else [])))
    rows.sort(key=lambda t: (t[0].lower(), t[1].lower()))
    page.sections.append(Section("participants", "Participants", [r for *_, r in rows],
                                 columns=("Party", "Person", "Capacity", "Role")))


def side(ctx: Context, iri: str, page: Page, event: Event) -> None:
    """Events held on its sidelines or as part of it, in date order."""
    pattern = f"?event dip:onSidelinesOf|dip:partOf {iri_ref(iri)}"
    selection = latest(ctx, pattern)
    found = events(ctx, selection.iris)
    if not found:
        return

    def cells(event) -> list[list]:
        return [[When(event.start, event.end)] if event.start else [Text("date not given")],
                [ctx.link(event.iri, "event")],
                [ctx.link(p.agent) for p in event.participants]]

    page.sections.append(bounded(Section("side", "Side meetings and parts",
                                         event_rows(ctx, found, cells),
                                         columns=("Date", "Event", "Participants")),
                                 ctx, selection))
    page.figures = selection_figures(ctx, pattern, selection,
                                     {**found, iri: event}, iri, page.title, page.doc_iri)


def listed(ctx: Context, iri: str, page: Page, prop: str, anchor: str, heading: str,
           kind: str) -> None:
    rows = ctx.select(f"SELECT DISTINCT ?x WHERE {{ {iri_ref(iri)} dip:{prop} ?x }}")
    if rows:
        items = sorted((ctx.link(r["x"].value, kind) for r in rows), key=lambda link:
                       link.label.lower())
        page.sections.append(Section(anchor, heading, [Row([[link]]) for link in items],
                                     layout="list"))


def said_here(ctx: Context, iri: str, page: Page) -> None:
    said = ctx.select(f"""SELECT ?s (SAMPLE(?who) AS ?speaker) (SAMPLE(?d) AS ?date)
        (SAMPLE(?q) AS ?quote) WHERE {{ ?s dip:occasion {iri_ref(iri)} .
        OPTIONAL {{ ?s dip:speaker ?who }} OPTIONAL {{ ?s dip:date ?d }}
        OPTIONAL {{ ?s dip:quotation ?q }} }} GROUP BY ?s""")
    if not said:
        return
    references = ctx.references([r["s"].value for r in said])

    def key(row) -> tuple:
        date = date_or_none(row["date"].value) if "date" in row else None
        return (date is None, date.sort_key if date else (), ctx.label(row["s"].value))

    rows = []
    for row in sorted(said, key=key):
        date = date_or_none(row["date"].value) if "date" in row else None
        words = [ctx.link(row["s"].value, "statement")]
        if "quote" in row:
            words.append(Text(f"“{row['quote'].value}”"))
        rows.append(Row([[When(date)] if date else [Text("date not given")],
                         [ctx.link(row["speaker"].value, "person")] if "speaker" in row
                         else [], words], references.get(row["s"].value, [])))
    page.sections.append(Section("statements", "Statements made at it", rows,
                                 columns=("Date", "Speaker", "Statement")))


def sources(ctx: Context, iri: str, page: Page, references) -> None:
    """Every source that states the event, with the passages it uses."""
    if references:
        page.sections.append(Section("sources", "Sources", [
            Row([[ctx.link(r.href, "source")], list(r.quotes)])
            for r in references], layout="list",
            intro="Each source's facts are a graph of their own; the passages are the "
                  "source's own words."))
