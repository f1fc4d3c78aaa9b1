"""An organisation: its members (by role), chairs by year, partners by level, and its
meetings by date; for a state or organisation that is a member or partner, the same
relations seen from its side."""

from __future__ import annotations

from collections import defaultdict

from ..model import Page, Row, Section, Text
from .common import (
    Context,
    bounded,
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

SHOWN = ("agent", "participant", "hostedBy", "inSeries", "partner", "represents", "mentions")


def build(ctx: Context, iri: str, page: Page) -> Page:
    me = iri_ref(iri)
    members(ctx, iri, page)
    chairs(ctx, iri, page)
    partners(ctx, iri, page)
    memberships_of(ctx, iri, page)
    pattern = (f"{{ ?event dip:inSeries {me} }} UNION {{ ?event dip:hostedBy {me} }} UNION "
               f"{{ ?event dip:participant {me} }} UNION "
               f"{{ ?event dip:participation/dip:represents {me} }}")
    selection = latest(ctx, pattern)
    found = events(ctx, selection.iris)
    page.figures = selection_figures(ctx, pattern, selection, found, iri, page.title,
                                     page.doc_iri, network_by="represents")

    def cells(event) -> list[list]:
        return [when_cell(event), [ctx.link(event.iri, "event")],
                [ctx.link(place, "place") for place in event.places]]

    if found:
        page.sections.append(bounded(Section(
            "events", "Meetings", event_rows(ctx, found, cells),
            columns=("Date", "Event", "Where")), ctx, selection))
    page.sections.extend(incoming(ctx, iri, skip={ctx.vocab + p for p in SHOWN} | {
        "http://www.w3.org/ns/org#organization", "http://www.w3.org/ns/org#member"}))
    return page


def members(ctx: Context, iri: str, page: Page) -> None:
    """Members grouped by their role (member state, permanent participant …)."""
    rows = ctx.select(f"""SELECT DISTINCT ?m ?member ?role WHERE {{
        ?m org:organization {iri_ref(iri)} ; org:member ?member .
        OPTIONAL {{ ?m org:role ?role }} FILTER NOT EXISTS {{ ?m a dip:Chairmanship }} }}""")
    if not rows:
        return
    spans = interval(ctx, [r["m"].value for r in rows])
    references = ctx.references([r["m"].value for r in rows])
    by_role: dict[str, list] = defaultdict(list)
    for r in rows:
        by_role[ctx.label(r["role"].value) if "role" in r else "member"].append(r)
    for role in sorted(by_role):
        group = sorted(by_role[role], key=lambda r: ctx.label(r["member"].value).lower())
        page.sections.append(Section(
            "members-" + "".join(c if c.isalnum() else "-" for c in role.lower()),
            f"Members: {role}" if role != "member" else "Members",
            [Row([[ctx.link(r["member"].value)], span_cell(*spans[r["m"].value])],
                 references.get(r["m"].value, [])) for r in group],
            columns=("Member", "When")))


def chairs(ctx: Context, iri: str, page: Page) -> None:
    rows = ctx.select(f"""SELECT DISTINCT ?c ?chair ?role WHERE {{
        ?c a dip:Chairmanship ; org:organization {iri_ref(iri)} ; org:member ?chair .
        OPTIONAL {{ ?c org:role ?role }} }}""")
    if not rows:
        return
    spans = interval(ctx, [r["c"].value for r in rows])
    references = ctx.references([r["c"].value for r in rows])

    def key(r) -> tuple:
        start, end, as_of = spans[r["c"].value]
        first = start or as_of or end
        return (first is None, first.sort_key if first else (), ctx.label(r["chair"].value))

    page.sections.append(Section("chairs", "Chairs", [
        Row([span_cell(*spans[r["c"].value]) or [Text("dates not given")],
             [ctx.link(r["chair"].value)],
             [Text(ctx.label(r["role"].value))] if "role" in r else []],
            references.get(r["c"].value, [])) for r in sorted(rows, key=key)],
        columns=("When", "Chair", "Role")))


def partnership_rows(ctx: Context, iri: str) -> tuple[list[dict], dict, dict]:
    rows = ctx.select(f"""SELECT DISTINCT ?p ?other ?level WHERE {{
        ?p dip:partner {iri_ref(iri)}, ?other . FILTER(?other != {iri_ref(iri)})
        OPTIONAL {{ ?p dip:level ?level }} }}""")
    records = sorted({r["p"].value for r in rows})
    return rows, interval(ctx, records), ctx.references(records)


def partners(ctx: Context, iri: str, page: Page) -> None:
    """Partners grouped by level (strategic partner, dialogue partner …), since when."""
    rows, spans, references = partnership_rows(ctx, iri)
    if not rows:
        return
    by_level: dict[str, list] = defaultdict(list)
    for r in rows:
        by_level[ctx.label(r["level"].value) if "level" in r else "partner"].append(r)
    table = []
    for level in sorted(by_level):
        for r in sorted(by_level[level], key=lambda r: ctx.label(r["other"].value).lower()):
            table.append(Row([[Text(level)], [ctx.link(r["other"].value)],
                              span_cell(*spans[r["p"].value])],
                             references.get(r["p"].value, [])))
    page.sections.append(Section("partners", "Partners", table,
                                 columns=("Level", "Partner", "Since")))


def partnerships_of(ctx: Context, iri: str, page: Page) -> None:
    """For a state: its partnerships, with their level and since when."""
    rows, spans, references = partnership_rows(ctx, iri)
    if not rows:
        return
    ordered = sorted(rows, key=lambda r: (ctx.label(r["other"].value).lower(),
                                          ctx.label(r["level"].value) if "level" in r else ""))
    page.sections.append(Section("partnerships", "Partnerships", [
        Row([[ctx.link(r["other"].value)],
             [Text(ctx.label(r["level"].value))] if "level" in r else [],
             span_cell(*spans[r["p"].value])], references.get(r["p"].value, []))
        for r in ordered], columns=("With", "Level", "Since")))


def memberships_of(ctx: Context, iri: str, page: Page) -> None:
    """Its own memberships and chairmanships of organisations."""
    rows = ctx.select(f"""SELECT DISTINCT ?m ?org ?role ?chair WHERE {{
        ?m org:member {iri_ref(iri)} ; org:organization ?org . OPTIONAL {{ ?m org:role ?role }}
        BIND(EXISTS {{ ?m a dip:Chairmanship }} AS ?chair) }}""")
    if not rows:
        return
    spans = interval(ctx, [r["m"].value for r in rows])
    references = ctx.references([r["m"].value for r in rows])
    for chair, anchor, heading in ((False, "memberships", "Memberships"),
                                   (True, "chairmanships", "Chairmanships")):
        # Virtuoso gives EXISTS as the integer 1/0, Oxigraph as a boolean
        group = [r for r in rows if (r["chair"].value in ("true", "1")) == chair]
        if not group:
            continue
        group.sort(key=lambda r: (ctx.label(r["org"].value).lower(), _first(spans[r["m"].value])))
        page.sections.append(Section(anchor, heading, [
            Row([[ctx.link(r["org"].value, "organisation")],
                 [Text(ctx.label(r["role"].value))] if "role" in r else [],
                 span_cell(*spans[r["m"].value])], references.get(r["m"].value, []))
            for r in group], columns=("Organisation", "Role", "When")))


def _first(span) -> tuple:
    start, end, as_of = span
    first = start or as_of or end
    return (first is None, first.sort_key if first else ())
