"""The ontology and the shapes as pages a curator reads.

The ontology page is three tables: classes (what each is, what it specialises, how many
the data has), relations (from what to what, read both ways: the property's label and
its hand-written inverse label) and values. The shapes page says, for each shape, what it
applies to and what it asks, in words (:mod:`.shape_words`). Every term has an anchor (its
local name), so ``ontology#Meeting`` or ``shapes#MeetingShape`` lands on its row, which
the stylesheet highlights.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping

import pyoxigraph as ox
import rdflib
from rdflib.namespace import OWL, RDF, RDFS, SKOS

from .model import Link, Page, Row, Section, Summary, Text
from .shape_words import describe_shapes

Labeler = Callable[[str], str]


def to_rdflib(quads: Iterable[ox.Quad | ox.Triple]) -> rdflib.Graph:
    """A pyoxigraph description as an rdflib graph (for rdflib's list handling)."""
    graph = rdflib.Graph()

    def term(value: ox.Term) -> rdflib.term.Node:
        if isinstance(value, ox.NamedNode):
            return rdflib.URIRef(value.value)
        if isinstance(value, ox.BlankNode):
            return rdflib.BNode(value.value)
        if value.language:
            return rdflib.Literal(value.value, lang=value.language)
        return rdflib.Literal(value.value, datatype=rdflib.URIRef(value.datatype.value))

    for quad in quads:
        graph.add((term(quad.subject), term(quad.predicate), term(quad.object)))
    return graph


def anchor(iri: str) -> str:
    return iri.rsplit("#", 1)[-1] if "#" in iri else iri.rstrip("/").rsplit("/", 1)[-1]


def _text(graph: rdflib.Graph, subject: rdflib.term.Node, predicate) -> str | None:
    values = [o for o in graph.objects(subject, predicate) if isinstance(o, rdflib.Literal)]
    english = [v for v in values if v.language in (None, "en")]
    return str((english or values)[0]) if values else None


def _links(graph: rdflib.Graph, subject, predicate, label: Labeler) -> list[Link]:
    return sorted((Link(label(str(o)), str(o)) for o in graph.objects(subject, predicate)
                   if isinstance(o, rdflib.URIRef)),
                  key=lambda link: (link.label.lower(), link.href))


def ontology_page(quads: Iterable[ox.Quad], iri: str, doc_iri: str, label: Labeler,
                  counts: Mapping[str, int], inverse_label: str) -> Page:
    """``counts``: instances per class in the data; ``inverse_label``: the IRI of the
    annotation property that holds inverse labels."""
    graph = to_rdflib(quads)
    own = iri + "#"
    page = Page(title=_text(graph, rdflib.URIRef(iri), RDFS.label) or label(iri), iri=iri,
                doc_iri=doc_iri, lead=_text(graph, rdflib.URIRef(iri), RDFS.comment),
                kind="ontology")
    version = _text(graph, rdflib.URIRef(iri), OWL.versionInfo)
    if version:
        page.about.append(Summary("Version", [Text(version)]))

    def ours(kind) -> list[rdflib.URIRef]:
        return sorted((s for s in graph.subjects(RDF.type, kind)
                       if isinstance(s, rdflib.URIRef) and str(s).startswith(own)),
                      key=lambda s: label(str(s)).lower())

    classes = [Row([[Link(label(str(c)), str(c))],
                    _links(graph, c, RDFS.subClassOf, label),
                    [Text(f"{counts.get(str(c), 0):,}")],
                    [Text(_text(graph, c, RDFS.comment) or "")]], anchor=anchor(str(c)))
               for c in ours(OWL.Class)]
    page.sections.append(Section("classes", "Classes", classes,
                                 columns=("Class", "A kind of", "In the data", "What it is")))
    relations = []
    for prop in ours(OWL.ObjectProperty):
        inverse = _text(graph, prop, rdflib.URIRef(inverse_label))
        relations.append(Row([[Link(label(str(prop)), str(prop))],
                              _links(graph, prop, RDFS.domain, label),
                              _links(graph, prop, RDFS.range, label),
                              [Text(inverse)] if inverse else [],
                              [Text(_text(graph, prop, RDFS.comment) or "")]],
                             anchor=anchor(str(prop))))
    page.sections.append(Section("relations", "Relations", relations, columns=(
        "Relation", "From", "To", "Read backwards", "What it means")))
    values = [Row([[Link(label(str(p)), str(p))], _links(graph, p, RDFS.domain, label),
                   _links(graph, p, RDFS.range, label),
                   [Text(_text(graph, p, RDFS.comment) or "")]], anchor=anchor(str(p)))
              for p in ours(OWL.DatatypeProperty)]
    page.sections.append(Section("values", "Values", values,
                                 columns=("Value", "Of", "Type", "What it means")))
    concepts = [Row([[Link(label(str(c)), str(c))], _links(graph, c, SKOS.inScheme, label),
                     [Text(_text(graph, c, RDFS.comment) or "")]], anchor=anchor(str(c)))
                for c in sorted({s for s in graph.subjects(SKOS.inScheme, None)
                                 if isinstance(s, rdflib.URIRef) and str(s).startswith(own)},
                                key=lambda s: (label(str(next(graph.objects(s, SKOS.inScheme))))
                                               , label(str(s))))]
    if concepts:
        page.sections.append(Section("concepts", "Codes", concepts,
                                     columns=("Code", "In", "What it means")))
    return page


def shapes_page(quads: Iterable[ox.Quad], iri: str, doc_iri: str, label: Labeler) -> Page:
    graph = to_rdflib(quads)
    page = Page(title=_text(graph, rdflib.URIRef(iri), RDFS.label) or label(iri), iri=iri,
                doc_iri=doc_iri, lead=_text(graph, rdflib.URIRef(iri), RDFS.comment),
                kind="shapes")
    described = describe_shapes(graph, label)
    names = Counter(shape.label.lower() for shape in described)
    page.summary.append(Summary("Shapes", [Text(f"{len(described)}: each says what it "
                                                "applies to and what it asks")]))
    for shape in described:
        rows = [Row([[Text(c.field)], [Text(c.count or "")], [Text(c.values or "")],
                     [Text(c.message)] if c.message else []])
                for c in shape.constraints if c.field]
        rows += [Row([[Text("(the node)")], [], [Text(c.text)], []])
                 for c in shape.constraints if not c.field]
        intro = shape.target + (f" {shape.comment}" if shape.comment else "")
        name = anchor(shape.iri) if shape.iri else f"shape-{len(page.sections)}"
        heading = shape.label[:1].upper() + shape.label[1:]
        if names[shape.label.lower()] > 1:  # two shapes of one name: tell them apart
            heading += f" ({name})"
        page.sections.append(Section(name, heading, rows, columns=(
            "Property", "How many", "Each value", "Message when it fails"), intro=intro))
    return page
