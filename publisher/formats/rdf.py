"""Writing RDF graphs and datasets in each RDF format of the registry.

Quad formats (N-Quads, TriG) keep the graph of every statement; triple formats write the
union of the graphs. Whole documents are written deterministically (statements sorted,
blank node labels as the store keeps them, which the build makes stable), so every
process renders the same bytes for the same build and "same ETag, same bytes" holds.

JSON-LD is written here, one way for everything (documents, CONSTRUCT results, reports):
compacted with a context of prefixes, one node object per run of statements about the
same subject, streamed, so a large CONSTRUCT result needs no more memory than a small
one. Values keep their exact lexical form (no native JSON numbers or booleans). The
other formats are pyoxigraph's serializers.
"""

from __future__ import annotations

import bisect
import json
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import orjson
import pyoxigraph as ox

from ..namespaces import STANDARD, prefixes

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


def ordered_triples(statements: Iterable[ox.Quad | ox.Triple],
                    subject_first: str | None = None) -> list[ox.Triple]:
    """The union of the graphs, without duplicates, grouped by subject then predicate."""
    seen: dict[ox.Triple, None] = {}
    for statement in statements:
        seen.setdefault(statement.triple if isinstance(statement, ox.Quad) else statement,
                        None)
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


def used_prefixes(statements: Iterable[ox.Triple | ox.Quad], base: str) -> dict[str, str]:
    """Only the prefixes the statements use, so the header stays short and readable."""
    namespaces = {**prefixes(base), **EXTRA_PREFIXES}
    iris: set[str] = set()
    for statement in statements:
        for term in (statement.subject, statement.predicate, statement.object):
            if isinstance(term, ox.NamedNode):
                iris.add(term.value)
            elif isinstance(term, ox.Literal) and term.datatype.value != XSD_STRING:
                iris.add(term.datatype.value)
    # Sorted, the IRIs under a namespace follow it directly: the first IRI after the
    # namespace itself starts with it if any does (one bisection per namespace instead of
    # a scan of every IRI, which was a sixth of a document's serialization).
    ordered = sorted(iris)
    used = {}
    for name, namespace in namespaces.items():
        at = bisect.bisect_right(ordered, namespace)
        if at < len(ordered) and ordered[at].startswith(namespace):
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


# --- JSON-LD -------------------------------------------------------------------------------

def _jsonld_value(term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple,
                  prefix_map: dict[str, str]) -> Any:
    if isinstance(term, ox.NamedNode):
        return {"@id": compact_iri(term.value, prefix_map)}
    if isinstance(term, ox.BlankNode):
        return {"@id": f"_:{term.value}"}
    if isinstance(term, ox.Triple):
        raise ValueError("RDF 1.2 triple terms cannot be written as JSON-LD 1.1")
    if term.language:
        return {"@value": term.value, "@language": term.language}
    if term.datatype.value == XSD_STRING:
        return term.value
    return {"@value": term.value, "@type": compact_iri(term.datatype.value, prefix_map)}


def _node_object(subject: ox.NamedNode | ox.BlankNode, triples: list[ox.Triple],
                 prefix_map: dict[str, str]) -> dict[str, Any]:
    key = (compact_iri(subject.value, prefix_map) if isinstance(subject, ox.NamedNode)
           else f"_:{subject.value}")
    node: dict[str, Any] = {"@id": key}
    types: list[str] = []
    values: dict[str, list[Any]] = {}
    for triple in triples:
        if triple.predicate.value == RDF_TYPE and isinstance(triple.object, ox.NamedNode):
            types.append(compact_iri(triple.object.value, prefix_map))
            continue
        prop = compact_iri(triple.predicate.value, prefix_map)
        values.setdefault(prop, []).append(_jsonld_value(triple.object, prefix_map))
    if types:
        node["@type"] = types[0] if len(types) == 1 else types
    for prop, found in values.items():
        node[prop] = found[0] if len(found) == 1 else found
    return node


def _indented(node: dict[str, Any]) -> bytes:
    """One node object, indented under ``@graph``: the layout of ``json.dumps(indent=2,
    ensure_ascii=False)``, written by orjson (a fifth of a document pack's time went to
    the standard encoder)."""
    return b"    " + orjson.dumps(node, option=orjson.OPT_INDENT_2).replace(b"\n", b"\n    ")


def jsonld_head(prefix_map: dict[str, str]) -> bytes:
    context = json.dumps(prefix_map, indent=2, ensure_ascii=False).replace("\n", "\n  ")
    return f'{{\n  "@context": {context},\n  "@graph": ['.encode()


JSONLD_TAIL = b"\n  ]\n}\n"


def write_jsonld(triples: Iterable[ox.Triple], emit: Callable[[bytes], object],
                 prefix_map: dict[str, str]) -> int:
    """Stream compacted JSON-LD; returns the triples written.

    Consecutive statements about one subject make one node object (sorted input makes
    one per subject; a stream may repeat a subject, which JSON-LD merges). The body ends
    with :data:`JSONLD_TAIL`; a cut result ends with a marker instead (see
    :func:`publisher.formats.results.cut_marker`).
    """
    emit(jsonld_head(prefix_map))
    count = 0
    first = True
    for subject, run in _runs(triples):
        count += len(run)
        emit((b"\n" if first else b",\n") + _indented(_node_object(subject, run, prefix_map)))
        first = False
    emit(JSONLD_TAIL)
    return count


def _runs(triples: Iterable[ox.Triple]) -> Iterator[tuple[Any, list[ox.Triple]]]:
    subject = None
    run: list[ox.Triple] = []
    for triple in triples:
        if run and triple.subject != subject:
            yield subject, run
            run = []
        subject = triple.subject
        run.append(triple)
    if run:
        yield subject, run


# --- whole documents -----------------------------------------------------------------------

def serialize_statements(statements: Iterable[ox.Quad | ox.Triple], fmt: Any, *,
                         prefixes: dict[str, str] | None = None, base: str | None = None,
                         subject_first: str | None = None, in_order: bool = False) -> bytes:
    """See :func:`publisher.formats.serialize`."""
    if fmt.rdf is None:
        raise ValueError(f"{fmt.label} is not an RDF format")
    if fmt.quads:
        as_quads = [s if isinstance(s, ox.Quad) else ox.Quad(s.subject, s.predicate, s.object)
                    for s in statements]
        quads = list(dict.fromkeys(as_quads)) if in_order else ordered_quads(as_quads)
        chosen = _prefixes(fmt, quads, prefixes, base)
        return ox.serialize(quads, format=fmt.rdf, prefixes=chosen) or b""
    if in_order:
        triples = list(dict.fromkeys(
            s.triple if isinstance(s, ox.Quad) else s for s in statements))
    else:
        triples = ordered_triples(statements, subject_first)
    chosen = _prefixes(fmt, triples, prefixes, base)
    if fmt.rdf == ox.RdfFormat.JSON_LD:
        parts: list[bytes] = []
        write_jsonld(triples, parts.append, chosen or {})
        return b"".join(parts)
    return ox.serialize(triples, format=fmt.rdf, prefixes=chosen) or b""


def _prefixes(fmt: Any, statements: list, given: dict[str, str] | None,
              base: str | None) -> dict[str, str] | None:
    if fmt.rdf in (ox.RdfFormat.N_TRIPLES, ox.RdfFormat.N_QUADS):
        return None
    if given is not None:
        return given
    return used_prefixes(statements, base) if base is not None else None


#: Prefixes a streamed CONSTRUCT result is compacted with (its IRIs are not known ahead).
STREAM_PREFIXES = dict(sorted(STANDARD.items()))
