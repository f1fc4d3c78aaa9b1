"""Serialize description quads in each RDF format of the registry.

Quad formats (N-Quads, TriG) keep the source graph of every fact; triple formats are
the union of the graphs. Output is deterministic (sorted, stable blank-node labels from
the store), so every worker renders the same bytes for the same build and the ETag
promise of "same tag, same bytes" holds.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

import pyoxigraph as ox

from .. import formats
from ..formats import Format
from ..namespaces import prefixes

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
#: Vocabularies only the dataset description uses (checksums of the dumps).
EXTRA_PREFIXES = {"spdx": "http://spdx.org/rdf/terms#"}


def sort_key(subject_first: str | None):
    """Main subject first, then IRIs, then blank nodes: Turtle reads top-down."""

    def key(term: ox.NamedNode | ox.BlankNode) -> tuple[int, str]:
        if isinstance(term, ox.NamedNode):
            return (0 if term.value == subject_first else 1, term.value)
        return (2, term.value)

    return key


def ordered_triples(quads: Iterable[ox.Quad], subject_first: str | None = None) -> list[ox.Triple]:
    """The union of the graphs, without duplicates, grouped by subject then predicate."""
    seen: dict[ox.Triple, None] = {}
    for quad in quads:
        seen.setdefault(quad.triple, None)
    subject_key = sort_key(subject_first)
    return sorted(seen, key=lambda t: (subject_key(t.subject), t.predicate.value, str(t.object)))


def ordered_quads(quads: Iterable[ox.Quad], subject_first: str | None = None) -> list[ox.Quad]:
    """Quads grouped by graph (default graph first), then as :func:`ordered_triples`."""
    subject_key = sort_key(subject_first)

    def key(quad: ox.Quad) -> tuple:
        graph = quad.graph_name
        graph_key = "" if isinstance(graph, ox.DefaultGraph) else graph.value
        return (graph_key, subject_key(quad.subject), quad.predicate.value, str(quad.object))

    return sorted(set(quads), key=key)


def used_prefixes(terms_of: Iterable[ox.Triple | ox.Quad], base: str) -> dict[str, str]:
    """Only the prefixes the document uses, so the header stays short and readable."""
    namespaces = {**prefixes(base), **EXTRA_PREFIXES}
    iris: set[str] = set()
    for statement in terms_of:
        for term in (statement.subject, statement.predicate, statement.object):
            if isinstance(term, ox.NamedNode):
                iris.add(term.value)
            elif isinstance(term, ox.Literal) and term.datatype.value != XSD_STRING:
                iris.add(term.datatype.value)
    used = {}
    for name, namespace in namespaces.items():
        if any(iri.startswith(namespace) and iri != namespace for iri in iris):
            used[name] = namespace
    return dict(sorted(used.items()))


def compact_iri(iri: str, prefix_map: dict[str, str]) -> str:
    """``dip:place`` when a prefix of the context covers ``iri``, else ``iri`` itself."""
    for name, namespace in prefix_map.items():
        if iri.startswith(namespace):
            local = iri[len(namespace):]
            if local and not local.startswith("//"):
                return f"{name}:{local}"
    return iri


def _jsonld_value(term: ox.NamedNode | ox.BlankNode | ox.Literal,
                  prefix_map: dict[str, str]) -> Any:
    if isinstance(term, ox.NamedNode):
        return {"@id": compact_iri(term.value, prefix_map)}
    if isinstance(term, ox.BlankNode):
        return {"@id": f"_:{term.value}"}
    if term.language:
        return {"@value": term.value, "@language": term.language}
    if term.datatype.value == XSD_STRING:
        return term.value
    return {"@value": term.value, "@type": compact_iri(term.datatype.value, prefix_map)}


def jsonld_document(triples: Sequence[ox.Triple], base: str) -> dict[str, Any]:
    """Compacted JSON-LD: a context of the prefixes used and one node object per subject.

    Written directly rather than through a JSON-LD processor because documents are
    flat (one node per subject, blank nodes by reference) and this is ~50x faster than
    rdflib's serializer; tests parse every document back with rdflib to keep it honest.
    Values keep their exact lexical form (no native JSON numbers or booleans).
    """
    prefix_map = used_prefixes(triples, base)
    nodes: dict[str, dict[str, Any]] = {}
    for triple in triples:
        subject = triple.subject
        key = (compact_iri(subject.value, prefix_map) if isinstance(subject, ox.NamedNode)
               else f"_:{subject.value}")
        node = nodes.setdefault(key, {"@id": key})
        if triple.predicate.value == RDF_TYPE and isinstance(triple.object, ox.NamedNode):
            node.setdefault("@type", []).append(compact_iri(triple.object.value, prefix_map))
            continue
        prop = compact_iri(triple.predicate.value, prefix_map)
        node.setdefault(prop, []).append(_jsonld_value(triple.object, prefix_map))
    graph = []
    for node in nodes.values():
        ordered = {"@id": node.pop("@id")}
        if "@type" in node:
            ordered["@type"] = node.pop("@type")
        ordered.update(node)
        graph.append({k: (v[0] if isinstance(v, list) and len(v) == 1 else v)
                      for k, v in ordered.items()})
    return {"@context": prefix_map, "@graph": graph}


def serialize_jsonld(triples: Sequence[ox.Triple], base: str) -> bytes:
    document = jsonld_document(triples, base)
    return (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def serialize(quads: Sequence[ox.Quad], fmt: Format, base: str,
              subject_first: str | None = None) -> bytes:
    """``quads`` in ``fmt`` (an RDF format of :mod:`publisher.formats`)."""
    if fmt.rdf is None:
        raise ValueError(f"{fmt.name} is not an RDF format")
    if fmt.quads:
        statements = ordered_quads(quads, subject_first)
        return ox.serialize(statements, format=fmt.rdf, prefixes=_prefixes_for(fmt, statements,
                                                                                 base))
    triples = ordered_triples(quads, subject_first)
    if fmt is formats.JSON_LD:
        return serialize_jsonld(triples, base)
    return ox.serialize(triples, format=fmt.rdf, prefixes=_prefixes_for(fmt, triples, base))


def _prefixes_for(fmt: Format, statements, base: str) -> dict[str, str] | None:
    if fmt.rdf in (ox.RdfFormat.TURTLE, ox.RdfFormat.TRIG, ox.RdfFormat.RDF_XML):
        return used_prefixes(statements, base)
    return None
