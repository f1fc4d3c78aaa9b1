"""The pages of entities and vocabularies (through :mod:`publisher.pages`' one layout).

Pages are for people: labels instead of IRIs, values grouped by property, readable
dates, sources cited, and the page's own data embedded as JSON-LD for search engines.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pyoxigraph as ox

from ..formats import DOCUMENT_FORMATS, Format
from ..identifiers import OWL_SAME_AS, identifiers
from ..namespaces import STANDARD, compact
from ..pages import SiteContext, render
from .views import (
    HEADER_PREDICATES,
    LEAD_PREDICATES,
    Labeler,
    PageBuilder,
    Statements,
    Value,
    local_name,
    types_of,
)


@dataclass
class Alternate:
    label: str
    href: str
    media_type: str
    current: bool = False


def alternates(doc_iri: str, offered: Sequence[Format], current: Format | None) -> list[Alternate]:
    return [Alternate(fmt.label, f"{doc_iri}.{fmt.extension}", fmt.media_type, fmt is current)
            for fmt in offered]


def entity_page(quads: Sequence[ox.Quad], iri: str, labeler: Labeler, site: SiteContext,
                doc_iri: str, jsonld: bytes, secondary: bool = False,
                offered: Sequence[Format] = DOCUMENT_FORMATS) -> bytes:
    """The page of one entity: header, facts with sources, incoming links, formats."""
    statements = Statements(quads)
    labeler = labeler.with_quads(quads)
    builder = PageBuilder(statements, labeler)
    node = ox.NamedNode(iri)
    alt_labels = [builder.value(t.object, t) for t in statements.by_subject.get(node, [])
                  if t.predicate.value == STANDARD["skos"] + "altLabel"]
    lead = [builder.value(t.object, t) for p in LEAD_PREDICATES
            for t in statements.by_subject.get(node, []) if t.predicate.value == p]
    label_triples = [t for t in statements.by_subject.get(node, [])
                     if t.predicate.value == STANDARD["rdfs"] + "label"]
    title_sources = builder._cite(label_triples[0]) if label_triples else []
    vocab = site.base + "ontology#"
    # Links to other datasets and codes get their own section, as on Wikidata.
    shown_apart = {OWL_SAME_AS, vocab + "iso3166Alpha2", vocab + "iso3166Alpha3"}
    own = statements.by_subject.get(node, [])
    found = identifiers(((t.predicate.value, t.object.value) for t in own
                         if t.predicate.value in shown_apart), vocab)
    rows = builder.rows(node, exclude=HEADER_PREDICATES | set(LEAD_PREDICATES) | (
        shown_apart if found else set()))
    incoming = builder.incoming(node)
    others = []
    if secondary:
        for subject in statements.by_subject:
            if isinstance(subject, ox.NamedNode) and subject != node and (
                    subject.value.startswith(doc_iri + "#")):
                others.append((subject.value, local_name(subject.value),
                               labeler.label(subject.value), builder.rows(subject)))
    return render(
        "entity.html", site,
        iri=iri, curie=compact(iri, site.base), title=labeler.label(iri),
        title_sources=title_sources, types=types_of(statements, node, labeler),
        alt_labels=alt_labels, lead=lead, rows=rows, incoming=incoming, others=others,
        identifiers=found,
        sources=builder.source_list(), alternates=alternates(doc_iri, offered, None),
        doc_iri=doc_iri, jsonld=jsonld, triple_count=len({q.triple for q in quads}),
    )


#: How vocabulary terms are grouped on the ontology and shapes pages.
TERM_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Classes", (STANDARD["owl"] + "Class", STANDARD["rdfs"] + "Class")),
    ("Object properties", (STANDARD["owl"] + "ObjectProperty",)),
    ("Datatype properties", (STANDARD["owl"] + "DatatypeProperty",
                             STANDARD["rdf"] + "Property")),
    ("Node shapes", (STANDARD["sh"] + "NodeShape",)),
    ("Property shapes", (STANDARD["sh"] + "PropertyShape",)),
    ("SPARQL constraints", (STANDARD["sh"] + "SPARQLConstraint",)),
    ("Concept schemes", (STANDARD["skos"] + "ConceptScheme",)),
)


@dataclass
class Term:
    anchor: str
    iri: str
    curie: str
    label: str
    types: list[Value]
    comment: str | None
    rows: list


def vocabulary_page(quads: Sequence[ox.Quad], doc_iri: str, labeler: Labeler,
                    site: SiteContext, jsonld: bytes, offered: Sequence[Format]) -> bytes:
    """Documentation of the ontology or the shapes: one section per term, anchored by
    its local name so that ``ontology#Meeting`` lands on the term in a browser."""
    statements = Statements(quads)
    labeler = labeler.with_quads(quads)
    builder = PageBuilder(statements, labeler, cite=False)
    node = ox.NamedNode(doc_iri)
    comment_iri = STANDARD["rdfs"] + "comment"
    header_rows = builder.rows(node, exclude={STANDARD["rdf"] + "type", comment_iri,
                                              STANDARD["rdfs"] + "label"})
    doc_comment = statements.first_literal(node, comment_iri)
    groups: dict[str, list[Term]] = {name: [] for name, _ in TERM_GROUPS}
    groups["Other terms"] = []
    for subject in statements.by_subject:
        if not isinstance(subject, ox.NamedNode) or subject == node:
            continue
        if not subject.value.startswith(doc_iri + "#"):
            continue
        type_iris = {t.value for t in statements.objects(subject, STANDARD["rdf"] + "type")}
        group = next((name for name, kinds in TERM_GROUPS if type_iris & set(kinds)),
                     "Other terms")
        comment = statements.first_literal(subject, comment_iri)
        groups[group].append(Term(
            anchor=local_name(subject.value), iri=subject.value,
            curie=compact(subject.value, site.base), label=labeler.label(subject.value),
            types=types_of(statements, subject, labeler),
            comment=comment.value if comment else None,
            rows=builder.rows(subject, exclude={STANDARD["rdf"] + "type", comment_iri,
                                                STANDARD["rdfs"] + "label"})))
    for terms in groups.values():
        terms.sort(key=lambda t: t.label.lower())
    return render(
        "vocabulary.html", site, iri=doc_iri, title=labeler.label(doc_iri),
        comment=doc_comment.value if doc_comment else None, header_rows=header_rows,
        groups=[(name, terms) for name, terms in groups.items() if terms],
        alternates=alternates(doc_iri, offered, None), doc_iri=doc_iri, jsonld=jsonld,
    )
