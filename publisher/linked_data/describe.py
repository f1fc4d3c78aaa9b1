"""What a description document says: the quads published for one IRI.

A Linked Data document is useful on its own only if it carries enough context to be
read without further requests, so an entity's description is more than its outgoing
triples (DBpedia and Pubby users expect the same):

1. its Concise Bounded Description (outgoing statements, blank nodes followed);
2. incoming links, so a person's page lists the meetings they took part in; a link that
   arrives through a blank node (an n-ary participation) brings the blank node's
   statements and its owner, so the capacity in which someone took part is kept;
3. the labels of everything the description points to, so clients can show names;
4. provenance: the description (in the default graph) of every named graph that states
   one of these facts, and the source article that graph is derived from.

Quads keep their graph, so the N-Quads and TriG variants say which source states each
fact and the triple formats are simply their union. Reads go through the store's quad
pattern interface of :class:`publisher.store.Store` (no SPARQL), which keeps a
description a few dozen index lookups.
"""

from __future__ import annotations

from collections.abc import Iterable

import pyoxigraph as ox

from ..namespaces import STANDARD
from ..store import Store

RDF = STANDARD["rdf"]
RDFS = STANDARD["rdfs"]
SKOS = STANDARD["skos"]
SCHEMA = STANDARD["schema"]
PROV = STANDARD["prov"]

RDF_TYPE = ox.NamedNode(RDF + "type")
#: Predicates whose values name a resource, in order of preference for display.
LABEL_PREDICATES: tuple[ox.NamedNode, ...] = (
    ox.NamedNode(RDFS + "label"),
    ox.NamedNode(SKOS + "prefLabel"),
    ox.NamedNode(SCHEMA + "headline"),
    ox.NamedNode(SCHEMA + "name"),
    ox.NamedNode(STANDARD["foaf"] + "name"),
)
WAS_DERIVED_FROM = ox.NamedNode(PROV + "wasDerivedFrom")

#: How far up a chain of blank nodes an incoming link is followed to reach its owner.
MAX_BLANK_DEPTH = 4

Subject = ox.NamedNode | ox.BlankNode


class _QuadSet:
    """An insertion-ordered set of quads (documents are deterministic for stable ETags)."""

    def __init__(self) -> None:
        self._quads: dict[ox.Quad, None] = {}

    def add(self, quad: ox.Quad) -> bool:
        if quad in self._quads:
            return False
        self._quads[quad] = None
        return True

    def extend(self, quads: Iterable[ox.Quad]) -> None:
        for quad in quads:
            self.add(quad)

    def __iter__(self):
        return iter(list(self._quads))

    def __len__(self) -> int:
        return len(self._quads)

    def as_list(self) -> list[ox.Quad]:
        return list(self._quads)


def _closure(store: Store, subject: Subject, out: _QuadSet,
             graph: ox.NamedNode | ox.DefaultGraph | None = None, seen: set | None = None) -> None:
    """Outgoing statements of ``subject``, following blank-node objects (the CBD)."""
    seen = seen if seen is not None else set()
    if subject in seen:
        return
    seen.add(subject)
    for quad in store.quads(subject, None, None, graph):
        out.add(quad)
        if isinstance(quad.object, ox.BlankNode):
            _closure(store, quad.object, out, quad.graph_name, seen)


def _incoming_through_blank(store: Store, blank: ox.BlankNode, out: _QuadSet,
                            graph: ox.NamedNode | ox.DefaultGraph, depth: int = 0) -> None:
    """A link from a blank node: keep the blank node's statements and walk to its owner."""
    _closure(store, blank, out, graph)
    if depth >= MAX_BLANK_DEPTH:
        return
    for quad in store.quads(None, None, blank, graph):
        out.add(quad)
        if isinstance(quad.subject, ox.BlankNode):
            _incoming_through_blank(store, quad.subject, out, graph, depth + 1)


def _referenced(quads: Iterable[ox.Quad], exclude: ox.NamedNode | None) -> list[ox.NamedNode]:
    """IRIs in subject or object position (not predicates: they are labelled from the
    vocabulary, not from the data)."""
    found: dict[ox.NamedNode, None] = {}
    for quad in quads:
        for term in (quad.subject, quad.object):
            if isinstance(term, ox.NamedNode) and term != exclude:
                found[term] = None
    return list(found)


def _add_labels(store: Store, iris: Iterable[ox.NamedNode], out: _QuadSet) -> None:
    for iri in iris:
        for predicate in LABEL_PREDICATES:
            out.extend(store.quads(iri, predicate, None, None))


def _add_provenance(store: Store, out: _QuadSet, done: set[ox.NamedNode]) -> None:
    """Describe each named graph used (default graph) and the article it is derived from."""
    graphs = {q.graph_name for q in out if isinstance(q.graph_name, ox.NamedNode)}
    for graph in sorted(graphs - done, key=lambda g: g.value):
        done.add(graph)
        for quad in store.quads(graph, None, None, ox.DefaultGraph()):
            out.add(quad)
            if quad.predicate == WAS_DERIVED_FROM and isinstance(quad.object, ox.NamedNode):
                _closure(store, quad.object, out)


def describe(store: Store, iri: str) -> list[ox.Quad]:
    """The description quads of ``iri`` (empty when the store says nothing about it)."""
    try:
        node = ox.NamedNode(iri)
    except ValueError:
        return []
    out = _QuadSet()
    _closure(store, node, out)
    for quad in store.quads(None, None, node, None):
        out.add(quad)
        if isinstance(quad.subject, ox.BlankNode):
            _incoming_through_blank(store, quad.subject, out, quad.graph_name)
    if not len(out):
        return []
    _add_labels(store, _referenced(out, node), out)
    done: set[ox.NamedNode] = set()
    labelled = set(_referenced(out, node))
    # Provenance can name new graphs (labels come from the reference graph) and new
    # resources (publishers of articles): repeat until nothing new appears.
    while True:
        before = len(out)
        _add_provenance(store, out, done)
        fresh = [iri for iri in _referenced(out, node) if iri not in labelled]
        labelled.update(fresh)
        _add_labels(store, fresh, out)
        if len(out) == before:
            break
    return out.as_list()
