"""A country: who represents it (people in its posts), its memberships, partnerships
(with level and since when) and chairmanships, its meetings by date, and the countries
it met."""

from __future__ import annotations

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
from .organisation import memberships_of, partnerships_of

SHOWN = ("agent", "represents", "participant", "hostedBy", "postIn", "partner", "nationality",
         "locatedIn")


def build(ctx: Context, iri: str, page: Page) -> Page:
    me = iri_ref(iri)
    representatives(ctx, iri, page)
    memberships_of(ctx, iri, page)
    partnerships_of(ctx, iri, page)
    pattern = (f"{{ ?event dip:participation/dip:represents {me} }} UNION "
               f"{{ ?event dip:participant {me} }} UNION {{ ?event dip:hostedBy {me} }}")
    selection = latest(ctx, pattern)
    found = events(ctx, selection.iris)
    page.figures = selection_figures(ctx, pattern, selection, found, iri, page.title,
                                     page.doc_iri, network_by="represents")

    def cells(event) -> list[list]:
        ours = [ctx.link(p.agent) for p in event.participants
                if iri in p.represents or p.agent == iri]
        others = sorted({x for p in event.participants for x in (p.represents or [p.agent])
                         if x != iri and iri not in p.represents})
        return [when_cell(event), [ctx.link(event.iri, "event")], ours,
                [ctx.link(x) for x in others],
                [ctx.link(place, "place") for place in event.places]]

    if found:
        page.sections.append(bounded(Section(
            "events", "Meetings and other events", event_rows(ctx, found, cells),
            columns=("Date", "Event", "For it", "Counterparts", "Where")), ctx, selection))
    # each branch joins from this country outwards (the store's indexes), never from
    # every participation record inwards
    tail = "?event dip:participation ?other . ?other dip:represents ?x"
    counterparts = {r["x"].value: int(r["n"].value) for r in ctx.select(f"""
        SELECT ?x (COUNT(DISTINCT ?event) AS ?n) WHERE {{
          {{ ?ours dip:represents {me} . ?event dip:participation ?ours . {tail} }} UNION
          {{ ?event dip:participant {me} . {tail} }} UNION {{ ?event dip:hostedBy {me} . {tail} }}
          FILTER(?x != {me}) }} GROUP BY ?x""")}
    if counterparts:
        page.sections.append(Section("counterparts", "Counterparts", [
            Row([[ctx.link(x, "country")], [Text(f"({n})")]])
            for x, n in sorted(counterparts.items(), key=lambda kv: (-kv[1],
                                                                     ctx.label(kv[0])))],
            layout="list", intro="The states and organisations it met, with the number of "
                                 "events."))
    page.sections.extend(incoming(ctx, iri, skip={ctx.vocab + p for p in SHOWN} | {
        "http://www.w3.org/ns/org#member", "http://www.w3.org/ns/org#postIn",
        "http://www.w3.org/ns/org#subOrganizationOf"}))
    return page


def representatives(ctx: Context, iri: str, page: Page) -> None:
    """People holding its posts (posts in it or in its government bodies)."""
    rows = ctx.select(f"""SELECT DISTINCT ?t ?holder ?post WHERE {{
        ?post org:postIn ?body . ?t dip:post ?post ; dip:holder ?holder .
        FILTER (?body = {iri_ref(iri)} || EXISTS {{ ?body org:subOrganizationOf+ {iri_ref(iri)} }})
    }}""")
    if not rows:
        return
    spans = interval(ctx, [r["t"].value for r in rows])
    references = ctx.references([r["t"].value for r in rows])
    ordered = sorted(rows, key=lambda r: (ctx.label(r["post"].value).lower(),
                                          ctx.label(r["holder"].value).lower()))
    page.sections.insert(0, Section("representatives", "Representatives", [
        Row([[ctx.link(r["post"].value, "post")], [ctx.link(r["holder"].value, "person")],
             span_cell(*spans[r["t"].value])], references.get(r["t"].value, []))
        for r in ordered], columns=("Post", "Holder", "When")))
