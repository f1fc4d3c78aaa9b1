"""A person: posts with their dates at the top, then meetings in date order (with the
counterparts, the place and the capacity), statements, topics and the people met."""

from __future__ import annotations

from ..bounds import SECTION_ROWS
from ..model import Page, Row, Section, Summary, Text, When
from .common import (
    PREFIXES,
    Context,
    Selection,
    bounded,
    date_or_none,
    event_rows,
    events,
    interval,
    iri_ref,
    latest,
    span_cell,
    when_cell,
)
from .figures import selection_figures
from .generic import incoming

#: Incoming links this page shows in its own sections.
SHOWN = ("participant", "agent", "holder", "speaker")


def build(ctx: Context, iri: str, page: Page) -> Page:
    me = iri_ref(iri)
    posts(ctx, iri, page)
    nationality = ctx.select(f"SELECT DISTINCT ?c WHERE {{ {me} dip:nationality ?c }}")
    if nationality:
        page.summary.append(Summary("Nationality", [ctx.link(r["c"].value, "country")
                                                    for r in nationality], sep=", "))
    pattern = f"?event dip:participant {me}"
    selection = latest(ctx, pattern)
    found = events(ctx, selection.iris)
    page.figures = selection_figures(ctx, pattern, selection, found, iri, page.title,
                                     page.doc_iri)

    capacities = {e.iri: next((tuple(p.capacity) for p in e.participants if p.agent == iri),
                              ()) for e in found.values()}
    usual = {c for c in capacities.values()}
    same = usual.pop() if len(usual) == 1 else None

    def cells(event) -> list[list]:
        others = [ctx.link(p.agent) for p in event.participants if p.agent != iri]
        row = [when_cell(event), [ctx.link(event.iri, "event")], others,
               [ctx.link(place, "place") for place in event.places]]
        if same is None:
            row.append([ctx.link(c, "post") for c in capacities[event.iri]])
        return row

    if found:
        intro = None
        if same:
            intro = "In each of them as " + ", ".join(ctx.label(c) for c in same) + "."
        page.sections.append(bounded(Section(
            "events", "Meetings and other events", event_rows(ctx, found, cells),
            columns=("Date", "Event", "With", "Where") + (("As",) if same is None else ()),
            intro=intro), ctx, selection))
    statements(ctx, iri, page)
    met(ctx, iri, page)
    topics(ctx, iri, page)
    page.sections.extend(incoming(ctx, iri, skip={ctx.vocab + p for p in SHOWN}))
    return page


def met(ctx: Context, iri: str, page: Page) -> None:
    """Who it met, the most often met first (counted over all its events)."""
    me = iri_ref(iri)
    where = f"?e dip:participant {me}, ?other . FILTER(?other != {me})"
    rows = ctx.select(f"""SELECT ?other (COUNT(DISTINCT ?e) AS ?n) WHERE {{ {where} }}
        GROUP BY ?other ORDER BY DESC(?n) STR(?other) LIMIT {SECTION_ROWS}""")
    if not rows:
        return
    total = len(rows)
    if total >= SECTION_ROWS:
        total = int(ctx.select(f"SELECT (COUNT(DISTINCT ?other) AS ?n) WHERE {{ {where} }}")
                    [0]["n"].value)
    ordered = sorted(((r["other"].value, int(r["n"].value)) for r in rows),
                     key=lambda kv: (-kv[1], ctx.label(kv[0])))
    section = Section("met", "Met", [
        Row([[ctx.link(agent)], [Text(f"{n} event{'s' if n != 1 else ''}")]])
        for agent, n in ordered], layout="list")
    query = (PREFIXES.format(vocab=ctx.vocab) + "SELECT ?other (COUNT(DISTINCT ?e) AS ?events)"
             f" WHERE {{ {where} }}\nGROUP BY ?other ORDER BY DESC(?events) ?other")
    page.sections.append(bounded(section, ctx, Selection([a for a, _ in ordered], total, query),
                                 "party", "parties", "most often met", None))


def posts(ctx: Context, iri: str, page: Page) -> None:
    tenures = ctx.select(f"""SELECT DISTINCT ?t ?post WHERE {{ ?t dip:holder {iri_ref(iri)} ;
        dip:post ?post }}""")
    if not tenures:
        return
    spans = interval(ctx, [r["t"].value for r in tenures])
    references = ctx.references([r["t"].value for r in tenures])
    rows, summary = [], []
    for row in sorted(tenures, key=lambda r: _tenure_key(spans[r["t"].value])):
        tenure, post = row["t"].value, row["post"].value
        start, end, as_of = spans[tenure]
        held = end is None
        rows.append(Row([span_cell(start, end, as_of) or [Text("dates not given")],
                         [ctx.link(post, "post")]], references.get(tenure, []),
                        tag="current" if held else None))
        if held:
            summary.append(Summary("Post", [ctx.link(post, "post"),
                                            *span_cell(start, None, as_of)],
                                   references.get(tenure, [])))
    page.summary[:0] = summary
    page.sections.append(Section("posts", "Posts", rows, columns=("When", "Post")))


def _tenure_key(span) -> tuple:
    start, end, as_of = span
    first = start or as_of or end
    return (first is None, first.sort_key if first else ())


def statements(ctx: Context, iri: str, page: Page) -> None:
    said = latest(ctx, f"?event dip:speaker {iri_ref(iri)}")
    if not said.iris:
        return
    records = said.iris
    details = ctx.select(f"""SELECT ?s (SAMPLE(?d) AS ?date) (SAMPLE(?sum) AS ?summary)
        (SAMPLE(?q) AS ?quote) (SAMPLE(?o) AS ?occasion) WHERE {{
        VALUES ?s {{ {' '.join(iri_ref(r) for r in records)} }}
        OPTIONAL {{ ?s dip:date ?d }} OPTIONAL {{ ?s dip:summary ?sum }}
        OPTIONAL {{ ?s dip:quotation ?q }} OPTIONAL {{ ?s dip:occasion ?o }} }} GROUP BY ?s""")
    references = ctx.references(records)
    rows = []

    def key(row):
        date = date_or_none(row["date"].value) if "date" in row else None
        return (date is None, date.sort_key if date else (), ctx.label(row["s"].value))

    for row in sorted(details, key=key):
        record = row["s"].value
        date = date_or_none(row["date"].value) if "date" in row else None
        words = [ctx.link(record, "statement")]
        if "quote" in row:
            words.append(Text(f"“{row['quote'].value}”"))
        rows.append(Row([[When(date)] if date else [Text("date not given")], words,
                         [ctx.link(row["occasion"].value, "event")] if "occasion" in row
                         else []], references.get(record, [])))
    page.sections.append(bounded(Section("statements", "Statements", rows,
                                         columns=("Date", "Statement", "At")), ctx, said,
                                 "statement"))


def topics(ctx: Context, iri: str, page: Page) -> None:
    rows = ctx.select(f"""SELECT ?topic (COUNT(DISTINCT ?x) AS ?n) WHERE {{
        {{ ?x dip:participant {iri_ref(iri)} }} UNION {{ ?x dip:speaker {iri_ref(iri)} }}
        ?x dip:topic ?topic }} GROUP BY ?topic""")
    if not rows:
        return
    ordered = sorted(rows, key=lambda r: (-int(r["n"].value), ctx.label(r["topic"].value)))
    page.sections.append(Section("topics", "Topics", [
        Row([[ctx.link(r["topic"].value, "topic")],
             [Text(f"({r['n'].value})")]]) for r in ordered], layout="list",
        intro="With the number of events and statements on each."))
