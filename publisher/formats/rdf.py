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


class Ordered:
    """One graph or dataset, read once and ordered both ways: its triples (the union of
    its graphs, grouped by subject then predicate, ``subject_first`` leading) and its
    quads (grouped by graph, default graph first, then as the triples), each without
    duplicates, and the IRIs it uses (for its prefixes).

    Every term is read from its statement once and its sort key made once: a document
    written in six formats sorted its statements twice and read each term three times
    (a fifth of a build's document pack). The order is the one of
    :func:`ordered_triples` and :func:`ordered_quads`, which are made from it.
    """

    __slots__ = ("_by_triple", "_by_quad", "iris", "_triples", "_quads")

    def __init__(self, statements: Iterable[ox.Quad | ox.Triple],
                 subject_first: str | None = None) -> None:
        by_triple: dict[tuple, ox.Quad | ox.Triple] = {}
        by_quad: dict[tuple, ox.Quad | ox.Triple] = {}
        iris: set[str] = set()
        named, literal, quad = ox.NamedNode, ox.Literal, ox.Quad
        for statement in statements:
            subject = statement.subject
            object_ = statement.object
            subject_value = subject.value
            predicate = statement.predicate.value
            shown = str(object_)
            iris.add(predicate)
            if type(subject) is named:
                rank = 0 if subject_value == subject_first else 1
                iris.add(subject_value)
                quad_rank = 1
            else:
                rank = quad_rank = 2
            kind = type(object_)
            if kind is named:
                iris.add(object_.value)
            elif kind is literal:
                datatype = object_.datatype.value
                if datatype != XSD_STRING:
                    iris.add(datatype)
            by_triple.setdefault((rank, subject_value, predicate, shown), statement)
            graph = statement.graph_name if type(statement) is quad else None
            graph_key = graph.value if type(graph) is named else ""
            by_quad.setdefault((graph_key, quad_rank, subject_value, predicate, shown),
                               statement)
        self._by_triple, self._by_quad, self.iris = by_triple, by_quad, iris
        self._triples: list[ox.Triple] | None = None
        self._quads: list[ox.Quad] | None = None

    @property
    def triples(self) -> list[ox.Triple]:
        if self._triples is None:
            self._triples = [found.triple if isinstance(found, ox.Quad) else found
                             for _, found in sorted(self._by_triple.items())]
        return self._triples

    @property
    def quads(self) -> list[ox.Quad]:
        if self._quads is None:
            self._quads = [found if isinstance(found, ox.Quad) else ox.Quad(
                found.subject, found.predicate, found.object)
                for _, found in sorted(self._by_quad.items())]
        return self._quads

    def prefixes(self, base: str) -> dict[str, str]:
        """As :func:`used_prefixes` gives for these statements."""
        return prefixes_of(self.iris, base)

    def serialize(self, fmt: Any, prefixes: dict[str, str] | None) -> bytes:
        """The statements in ``fmt``: what :func:`serialize_statements` writes for them."""
        if fmt.rdf is None:
            raise ValueError(f"{fmt.label} is not an RDF format")
        chosen = None if fmt.rdf in (ox.RdfFormat.N_TRIPLES, ox.RdfFormat.N_QUADS) \
            else prefixes
        if fmt.quads:
            return ox.serialize(self.quads, format=fmt.rdf, prefixes=chosen) or b""
        if fmt.rdf == ox.RdfFormat.JSON_LD:
            parts: list[bytes] = []
            write_jsonld(self.triples, parts.append, chosen or {})
            return b"".join(parts)
        return ox.serialize(self.triples, format=fmt.rdf, prefixes=chosen) or b""


def ordered_triples(statements: Iterable[ox.Quad | ox.Triple],
                    subject_first: str | None = None) -> list[ox.Triple]:
    """The union of the graphs, without duplicates, grouped by subject then predicate."""
    return Ordered(statements, subject_first).triples


def ordered_quads(quads: Iterable[ox.Quad]) -> list[ox.Quad]:
    """Quads grouped by graph (default graph first), then as :func:`ordered_triples`
    (with no subject first: a dataset is read graph by graph)."""
    return Ordered(quads).quads


def used_prefixes(statements: Iterable[ox.Triple | ox.Quad], base: str) -> dict[str, str]:
    """Only the prefixes the statements use, so the header stays short and readable."""
    return Ordered(statements).prefixes(base)


def prefixes_of(iris: Iterable[str], base: str) -> dict[str, str]:
    """The prefixes of ``base``'s namespaces (and the standard ones) that ``iris`` use."""
    namespaces = {**prefixes(base), **EXTRA_PREFIXES}
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

#: IRIs a JSON-LD writer remembers the compact form of (a stream of millions of distinct
#: IRIs starts afresh past this, so memory stays bounded).
COMPACTED = 65_536


def _compactor(prefix_map: dict[str, str]) -> Callable[[str], str]:
    """:func:`compact_iri` for one prefix map, remembering its answers: a document names
    the same few predicates, types and datatypes on every line, and each answer is a
    scan of the prefix map (a third of the JSON-LD writer's time)."""
    known: dict[str, str] = {}

    def compact(iri: str) -> str:
        found = known.get(iri)
        if found is None:
            if len(known) >= COMPACTED:
                known.clear()
            found = known[iri] = compact_iri(iri, prefix_map)
        return found

    return compact


def _jsonld_value(term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple,
                  compact: Callable[[str], str]) -> Any:
    kind = type(term)
    if kind is ox.Literal:
        if term.language:
            return {"@value": term.value, "@language": term.language}
        datatype = term.datatype.value
        if datatype == XSD_STRING:
            return term.value
        return {"@value": term.value, "@type": compact(datatype)}
    if kind is ox.NamedNode:
        return {"@id": compact(term.value)}
    if kind is ox.BlankNode:
        return {"@id": f"_:{term.value}"}
    raise ValueError("RDF 1.2 triple terms cannot be written as JSON-LD 1.1")


def _node_object(subject: ox.NamedNode | ox.BlankNode, triples: list[ox.Triple],
                 compact: Callable[[str], str]) -> dict[str, Any]:
    key = (compact(subject.value) if isinstance(subject, ox.NamedNode)
           else f"_:{subject.value}")
    node: dict[str, Any] = {"@id": key}
    types: list[str] = []
    values: dict[str, list[Any]] = {}
    for triple in triples:
        predicate = triple.predicate.value
        object_ = triple.object
        if predicate == RDF_TYPE and type(object_) is ox.NamedNode:
            types.append(compact(object_.value))
            continue
        values.setdefault(compact(predicate), []).append(_jsonld_value(object_, compact))
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
    compact = _compactor(prefix_map)
    count = 0
    first = True
    for subject, run in _runs(triples):
        count += len(run)
        emit((b"\n" if first else b",\n") + _indented(_node_object(subject, run, compact)))
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
    if not in_order:
        ordered = Ordered(statements, subject_first)
        chosen = prefixes if prefixes is not None else (
            ordered.prefixes(base) if base is not None else None)
        return ordered.serialize(fmt, chosen)
    if fmt.quads:
        quads = list(dict.fromkeys(
            s if isinstance(s, ox.Quad) else ox.Quad(s.subject, s.predicate, s.object)
            for s in statements))
        chosen = _prefixes(fmt, quads, prefixes, base)
        return ox.serialize(quads, format=fmt.rdf, prefixes=chosen) or b""
    triples = list(dict.fromkeys(s.triple if isinstance(s, ox.Quad) else s for s in statements))
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
