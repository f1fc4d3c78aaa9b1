"""The dataset description (VoID, DCAT) as a page: how much of what, from which sources,
under which licence, and where to get it — in words, with the terms' IRIs one click
away in the machine formats."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from .model import Code, Link, Page, Row, Section, Summary, Text

#: Licences and vocabularies by name (the VoID names them by IRI).
KNOWN_NAMES = {
    "https://creativecommons.org/licenses/by/4.0/": "Creative Commons Attribution 4.0 "
                                                    "(CC BY 4.0)",
    "http://creativecommons.org/licenses/by/4.0/": "Creative Commons Attribution 4.0 "
                                                   "(CC BY 4.0)",
    "https://creativecommons.org/publicdomain/zero/1.0/": "CC0 1.0 (public domain)",
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#": "RDF",
    "http://www.w3.org/2000/01/rdf-schema#": "RDF Schema",
    "http://www.w3.org/2002/07/owl#": "OWL",
    "http://www.w3.org/2001/XMLSchema#": "XML Schema datatypes",
    "http://www.w3.org/2004/02/skos/core#": "SKOS",
    "http://purl.org/dc/terms/": "Dublin Core terms",
    "http://xmlns.com/foaf/0.1/": "FOAF",
    "http://www.w3.org/ns/org#": "W3C Organization ontology (ORG)",
    "http://www.w3.org/ns/prov#": "PROV-O",
    "http://www.w3.org/2006/time#": "OWL-Time",
    "http://schema.org/": "schema.org",
    "http://www.w3.org/ns/oa#": "Web Annotation",
    "http://www.w3.org/2003/01/geo/wgs84_pos#": "W3C WGS84 positions",
    "http://www.w3.org/ns/shacl#": "SHACL",
    "http://rdfs.org/ns/void#": "VoID",
    "http://www.w3.org/ns/dcat#": "DCAT",
}


def void_page(summary: Any, dumps: Sequence[Any], base: str, iri: str, doc_iri: str,
              label: Callable[[str], str], title: str, description: str) -> Page:
    """``summary``: the dataset summary (triples, classes with counts, graphs with
    counts, vocabularies, licence); ``dumps``: files with name, title, size, sha256."""
    page = Page(title=title, iri=iri, doc_iri=doc_iri, lead=description, kind="dataset")
    page.summary += [
        Summary("Statements", [Text(f"{summary.triples:,}")]),
        Summary("Things described", [Text(f"{summary.entity_count:,} in "
                                          f"{len(summary.classes)} classes")]),
        Summary("Sources", [Text(f"{len(summary.graphs)} graphs, one per source")]),
        Summary("Query", [Link("the SPARQL endpoint", base + "sparql")]),
        Summary("Download", [Link("dumps", base + "dumps/"),
                             Text(f"({len(dumps)} files, with checksums)")]),
    ]
    if summary.licence:
        page.summary.append(Summary("Licence", [Link(
            KNOWN_NAMES.get(summary.licence, summary.licence), summary.licence,
            external=True)]))
    classes = sorted(summary.classes, key=lambda c: (-c.count, label(c.iri).lower(), c.iri))
    page.sections.append(Section("classes", "What it describes", [
        Row([[Link(label(c.iri), c.iri)], [Text(f"{c.count:,}")]]) for c in classes],
        columns=("Class", "How many")))
    page.sections.append(Section("graphs", "Sources", [
        Row([[Link(label(graph), graph, "source")], [Text(f"{count:,}")]])
        for graph, count in sorted(summary.graphs, key=lambda g: (label(g[0]).lower(), g[0]))],
        columns=("Graph of a source's facts", "Statements")))
    page.sections.append(Section("dumps", "Dumps", [
        Row([[Link(d.name, f"{base}dumps/{d.name}")], [Text(d.title)],
             [Text(f"{d.size:,} bytes")], [Code(d.sha256)]]) for d in dumps],
        columns=("File", "Content", "Size", "SHA-256")))
    page.sections.append(Section("vocabularies", "Vocabularies used", [
        Row([[Link(KNOWN_NAMES.get(v, label(v)), v, external=not v.startswith(base))]])
        for v in sorted(summary.vocabularies, key=lambda v: (KNOWN_NAMES.get(v, v).lower(), v))],
        layout="list"))
    return page
