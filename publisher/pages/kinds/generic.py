"""The page of a thing without a design of its own, and the parts every page shares:
its own statements as label–value rows, and what links to it, named by the hand-written
inverse label of each property ("took part in", "hosted", "side meetings")."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

import pyoxigraph as ox

from ...identifiers import Identifier
from ...identifiers import identifiers as identifier_rows
from ..bounds import SECTION_ROWS
from ..dates import PartialDate
from ..model import Link, Page, Row, Section, Summary, Text, When
from .common import PREFIXES, RDF_TYPE, Context, Selection, bounded, iri_ref

RDFS = "http://www.w3.org/2000/01/rdf-schema#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
OWL = "http://www.w3.org/2002/07/owl#"
XSD = "http://www.w3.org/2001/XMLSchema#"
DATE_TYPES = {XSD + "date", XSD + "gYearMonth", XSD + "gYear", XSD + "dateTime"}
#: Shown in the header (title, kinds, lead) or in "about this record", not as facts.
HEADER = {RDF_TYPE, RDFS + "label", SKOS + "prefLabel", RDFS + "comment", SKOS + "definition",
          "http://purl.org/dc/terms/source"}  # the source: in every row's references
#: Identifiers elsewhere: the page's identifiers section (issue 15 designs it).
IDENTIFIERS = {OWL + "sameAs"}
#: Bookkeeping: how a value was established, rather than a fact about the world.
BOOKKEEPING_LOCAL = {"datePrecision", "dateStatus", "sequenceNumber", "publicationDateStatus",
                     "publicationDatePrecision", "sourceFile", "curatedFrom"}
#: Inverse labels of terms of other vocabularies (the ontology has its own).
KNOWN_INVERSE = {
    "http://www.w3.org/ns/org#member": "memberships",
    "http://www.w3.org/ns/org#organization": "memberships",
    "http://www.w3.org/ns/org#postIn": "posts",
    "http://www.w3.org/ns/org#subOrganizationOf": "bodies",
    "http://www.w3.org/ns/org#unitOf": "units",
    "http://www.w3.org/ns/org#role": "held in",
    "http://schema.org/publisher": "published",
    "http://schema.org/author": "wrote",
    "http://schema.org/locationCreated": "articles from here",
    "http://purl.org/dc/terms/source": "source of",
    "http://www.w3.org/ns/prov#wasDerivedFrom": "facts taken from it",
    "http://www.w3.org/ns/prov#wasAttributedTo": "curated",
    SKOS + "inScheme": "concepts",
    SKOS + "broader": "narrower concepts",
    SKOS + "topConceptOf": "top concepts",
}


def is_bookkeeping(ctx: Context, predicate: str) -> bool:
    return predicate.startswith(ctx.vocab) and \
        predicate[len(ctx.vocab):] in BOOKKEEPING_LOCAL


def inverse_label(ctx: Context, predicate: str) -> str:
    """The hand-written inverse label; else the property's own name, marked as pointing
    here (never "is … of" glued around another label)."""
    return ctx.inverse_labels.get(predicate) or KNOWN_INVERSE.get(predicate) or \
        f"{ctx.label(predicate)} (pointing here)"


def value_part(ctx: Context, term: ox.Term) -> Link | Text | When:
    if isinstance(term, ox.NamedNode):
        return ctx.link(term.value)
    if isinstance(term, ox.Literal):
        if term.datatype.value in DATE_TYPES:
            try:
                return When(PartialDate.parse(term.value))
            except ValueError:
                pass
        if term.datatype.value == XSD + "anyURI":
            return Link(term.value, term.value, external=True)
        return Text(term.value, term.language)
    return Text("(a node without a name)")


def outgoing(ctx: Context, iri: str, skip: Iterable[str] = ()) -> tuple[list[Row], list[Row]]:
    """(facts, bookkeeping) rows: one row per property, its values sorted."""
    skipped = set(skip) | HEADER | IDENTIFIERS | {ctx.vocab + "summary"}  # the lead
    grouped: dict[str, list] = defaultdict(list)
    for row in ctx.select(f"SELECT DISTINCT ?p ?o WHERE {{ {iri_ref(iri)} ?p ?o }}"):
        predicate = row["p"].value
        if predicate in skipped or isinstance(row["o"], ox.BlankNode):
            continue
        part = value_part(ctx, row["o"])
        if part not in grouped[predicate]:
            grouped[predicate].append(part)
    references = ctx.references([iri]).get(iri, [])
    facts, bookkeeping = [], []
    for predicate in sorted(grouped, key=lambda p: ctx.label(p).lower()):
        parts = sorted(grouped[predicate], key=_part_key)
        name = ctx.label(predicate)
        row = Row([[Text(name[:1].upper() + name[1:])], parts])
        if is_bookkeeping(ctx, predicate):
            bookkeeping.append(row)
        else:
            row.references = references
            facts.append(row)
    return facts, bookkeeping


def _part_key(part) -> tuple:
    if isinstance(part, When):
        return (0, part.sort_key)
    if isinstance(part, Link):
        return (1, part.label.lower())
    return (2, part.text.lower())


def incoming(ctx: Context, iri: str, skip: Iterable[str] = ()) -> list[Section]:
    """What links here, grouped by property under its inverse label, with counts; a
    property linking more than ``SECTION_ROWS`` things lists the first of them (by IRI)
    and links to the query listing them all."""
    me = iri_ref(iri)
    skipped = sorted(set(skip) | {RDF_TYPE} | {ctx.vocab + p for p in BOOKKEEPING_LOCAL})
    where = (f"?s ?p {me} FILTER(isIRI(?s) && ?s != {me}) "
             f"FILTER(?p NOT IN ({', '.join(iri_ref(p) for p in skipped)})) "
             "FILTER NOT EXISTS { ?s a <http://www.w3.org/ns/oa#Annotation> } "
             "FILTER NOT EXISTS { ?s a <http://www.w3.org/ns/oa#SpecificResource> }")
    counts = {r["p"].value: int(r["n"].value) for r in ctx.select(
        f"SELECT ?p (COUNT(DISTINCT ?s) AS ?n) WHERE {{ {where} }} GROUP BY ?p")}
    if not counts:
        return []
    grouped: dict[str, list[str]] = defaultdict(list)
    small = [p for p, n in counts.items() if n <= SECTION_ROWS]
    if small:
        for row in ctx.select(f"""SELECT DISTINCT ?s ?p WHERE {{ {where}
            FILTER(?p IN ({', '.join(iri_ref(p) for p in sorted(small))})) }}"""):
            grouped[row["p"].value].append(row["s"].value)
    for predicate in sorted(p for p in counts if p not in small):
        one = where.replace("?p", iri_ref(predicate))
        grouped[predicate] = [r["s"].value for r in ctx.select(
            f"SELECT DISTINCT ?s WHERE {{ {one} }} ORDER BY STR(?s) LIMIT {SECTION_ROWS}")]
    sections = []
    subjects = sorted({s for found in grouped.values() for s in found})
    references = ctx.references(subjects)
    for predicate in sorted(grouped, key=lambda p: inverse_label(ctx, p).lower()):
        rows = [Row([[ctx.link(s)]], references.get(s, []))
                for s in sorted(set(grouped[predicate]), key=lambda s: ctx.label(s).lower())]
        heading = inverse_label(ctx, predicate)
        section = Section(_anchor(predicate), heading[:1].upper() + heading[1:], rows,
                          layout="list")
        if counts[predicate] > len(rows):
            one = where.replace("?p", iri_ref(predicate))
            query = (PREFIXES.format(vocab=ctx.vocab) + "SELECT DISTINCT ?s ?label WHERE {\n"
                     f"  {one}\n  OPTIONAL {{ ?s rdfs:label ?label }}\n}} ORDER BY ?s")
            bounded(section, ctx, Selection(grouped[predicate], counts[predicate], query),
                    "thing", order="first (by IRI)", listed="listed by name")
        sections.append(section)
    return sections


def _anchor(predicate: str) -> str:
    return "in-" + "".join(c if c.isalnum() else "-" for c in predicate.rsplit("/", 1)[-1]
                           .rsplit("#", 1)[-1]).strip("-").lower()


def identifiers(ctx: Context, iri: str) -> list[Identifier]:
    """The same thing in other datasets, and a country's ISO codes: one row per scheme and
    value (Wikidata ``Q833``, GeoNames, ISO 3166-1), as issue 15 designed them."""
    codes = (ctx.vocab + "iso3166Alpha2", ctx.vocab + "iso3166Alpha3")
    rows = ctx.select(f"""SELECT DISTINCT ?p ?o WHERE {{ {iri_ref(iri)} ?p ?o
        FILTER(?p IN (owl:sameAs, <{codes[0]}>, <{codes[1]}>)) }} ORDER BY ?p ?o""")
    return identifier_rows(((r["p"].value, r["o"].value) for r in rows), ctx.vocab)


def generic_page(ctx: Context, iri: str, page: Page) -> Page:
    facts, bookkeeping = outgoing(ctx, iri)
    if facts:
        page.sections.append(Section("facts", "Facts", facts, layout="facts"))
    page.sections.extend(incoming(ctx, iri))
    page.about.extend(Summary(row.cells[0][0].text, row.cells[1], sep=", ")
                      for row in bookkeeping)
    return page
