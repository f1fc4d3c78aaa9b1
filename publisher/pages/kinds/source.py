"""A source: what it is (the article, its publisher and date, its original address),
and what it states, grouped by kind with counts, each statement with the source's own
words; the graph of its facts as a download."""

from __future__ import annotations

from collections import defaultdict
from urllib.parse import quote

from ..bounds import SECTION_ROWS
from ..model import Link, Page, Quote, Row, Section, Summary, Text, When
from .common import (
    PREFIXES,
    VALUES_CHUNK,
    Context,
    Selection,
    bounded,
    date_or_none,
    iri_ref,
    values,
)
from .generic import incoming

ARTICLE = "http://schema.org/NewsArticle"


def build(ctx: Context, iri: str, page: Page) -> Page:
    me = iri_ref(iri)
    graphs = [iri]
    articles = [r["a"].value for r in ctx.select(
        f"SELECT DISTINCT ?a WHERE {{ {me} prov:wasDerivedFrom ?a }}")]
    if ctx.select(f"SELECT ?x WHERE {{ {me} a schema:NewsArticle BIND(1 AS ?x) }}"):
        articles = [iri]
        graphs = [r["g"].value for r in ctx.select(
            f"SELECT DISTINCT ?g WHERE {{ ?g prov:wasDerivedFrom {me} }} ORDER BY ?g")]
    for article in articles:
        describe_article(ctx, article, page, own=article == iri)
    for graph in graphs:
        page.summary.append(Summary("Facts", [
            Link("the graph of this source's facts", graph, "source"),
            Text("·"), Link("download (TriG)", download(ctx, graph))]))
        stated(ctx, graph, page)
    page.sections.extend(incoming(ctx, iri, skip={
        "http://www.w3.org/ns/prov#wasDerivedFrom", "http://purl.org/dc/terms/source"}))
    return page


def download(ctx: Context, graph: str) -> str:
    query = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH {iri_ref(graph)} {{ ?s ?p ?o }} }}"
    return f"{ctx.base}sparql?query={quote(query)}&format=ttl"


def describe_article(ctx: Context, article: str, page: Page, own: bool) -> None:
    rows = ctx.select(f"""SELECT ?headline ?publisher ?published ?url ?original WHERE {{
        OPTIONAL {{ {iri_ref(article)} schema:headline ?headline }}
        OPTIONAL {{ {iri_ref(article)} schema:publisher ?publisher }}
        OPTIONAL {{ {iri_ref(article)} schema:datePublished ?published }}
        OPTIONAL {{ {iri_ref(article)} schema:url ?url }}
        OPTIONAL {{ {iri_ref(article)} dip:originalPublisher ?original }} }} LIMIT 1""")
    row = rows[0] if rows else {}
    if not own:
        page.summary.append(Summary("Article", [ctx.link(article, "source")]))
    elif "headline" in row and row["headline"].value != page.title:
        page.summary.append(Summary("Headline", [Text(row["headline"].value)]))
    if "publisher" in row:
        page.summary.append(Summary("Publisher", [ctx.link(row["publisher"].value)]))
    if "original" in row:
        page.summary.append(Summary("Originally from", [ctx.link(row["original"].value)]))
    published = date_or_none(row["published"].value) if "published" in row else None
    if published:
        page.summary.append(Summary("Published", [When(published)]))
    if "url" in row:
        page.summary.append(Summary("Original", [Link(row["url"].value, row["url"].value,
                                                      external=True)]))


def stated(ctx: Context, graph: str, page: Page) -> None:
    """The records the graph describes, grouped by their most specific kind."""
    rows = ctx.select(f"""SELECT DISTINCT ?s ?type WHERE {{ GRAPH {iri_ref(graph)} {{ ?s a ?type
        FILTER NOT EXISTS {{ ?s a ?sub . ?sub rdfs:subClassOf+ ?type FILTER(?sub != ?type) }}
        FILTER (?type NOT IN (<http://www.w3.org/ns/oa#Annotation>,
                              <http://www.w3.org/ns/oa#SpecificResource>,
                              <http://www.w3.org/ns/oa#TextQuoteSelector>)) }} }}""")
    if not rows:
        return
    by_kind: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        by_kind[ctx.label(row["type"].value)].add(row["s"].value)
    everything = sorted({r["s"].value for r in rows})
    shown = {kind: sorted(members, key=lambda s: (ctx.label(s).lower(), s))[:SECTION_ROWS]
             for kind, members in by_kind.items()}
    listed = sorted({s for members in shown.values() for s in members})
    quotes = defaultdict(list)
    for start in range(0, len(listed), VALUES_CHUNK):
        for row in ctx.select(f"""SELECT ?record ?exact WHERE {{ GRAPH {iri_ref(graph)} {{
            VALUES ?record {{ {values(listed[start:start + VALUES_CHUNK])} }}
            ?note oa:hasBody ?record ; oa:hasTarget/oa:hasSelector/oa:exact ?exact }} }}
            ORDER BY ?exact"""):
            quotes[row["record"].value].append(row["exact"].value)
    page.summary.append(Summary("States", [Text(
        f"{len(everything)} records of {len(by_kind)} kinds, listed below with the passages "
        "of the source that state them")]))
    for kind in sorted(by_kind, key=lambda k: (-len(by_kind[k]), k)):
        section = Section(
            "kind-" + "".join(c if c.isalnum() else "-" for c in kind.lower()),
            kind[:1].upper() + kind[1:],
            [Row([[ctx.link(s)], [Quote(q) for q in quotes.get(s, [])[:3]]])
             for s in shown[kind]], layout="list")
        types = sorted({r["type"].value for r in rows if ctx.label(r["type"].value) == kind})
        query = (PREFIXES.format(vocab=ctx.vocab) + "SELECT DISTINCT ?record ?label WHERE {\n"
                 f"  GRAPH {iri_ref(graph)} {{ ?record a ?type "
                 f"VALUES ?type {{ {values(types)} }} }}\n"
                 "  OPTIONAL { ?record rdfs:label ?label }\n} ORDER BY ?label ?record")
        page.sections.append(bounded(section, ctx, Selection(
            shown[kind], len(by_kind[kind]), query), "record", order="first (by name)",
            listed=None))
