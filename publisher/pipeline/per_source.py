"""Validation of each source on its own, and of the union for consistency.

A source graph must be valid with nothing but the reference graph and the ontology beside
it: it describes (types, labels, dates, places, evidence) everything it refers to, and
cannot borrow another source's date or place. So each graph is validated alone, with the
part of the reference graph and the ontology it reaches (its *context*), never with
another source graph.

What only the union can break is a disagreement between sources: two dates for one
meeting give ``maxCount 1`` a second value. The union is therefore validated only on the
nodes that two or more graphs describe, and what it finds is reported to curators as a
warning that names every source and the value each gives, never as a failed build: both
values stay published, each in its own source graph.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import pyoxigraph as ox
from rdflib import Graph

from ..namespaces import compact
from .build_cache import GraphChecks
from .nquads import canonical_nquads
from .shacl import ShaclReport, ShaclResult

RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
SUBCLASS_OF = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#subClassOf")
DIP_SOURCE_GRAPH = "ontology#SourceGraph"
DIP_REFERENCE_GRAPH = "ontology#ReferenceGraph"

#: ``validate(data, shapes, focus_nodes)``: one SHACL run, with either engine, over data
#: given as canonical N-Quads (:func:`.nquads.canonical_nquads`: the same data always
#: gives the same bytes, so their hash keys the validation cache, and the engine parses
#: them itself, with no in-memory store built per graph first, 8 ms each).
Engine = Callable[[bytes, Graph, list[str] | None], ShaclReport]
#: ``check(data, focus_nodes) -> results``: an engine run, or its remembered results for
#: exactly this data and focus (:class:`publisher.pipeline.build_cache.ValidationCache`).
Check = Callable[[bytes, list[str]], list[ShaclResult]]


@dataclass
class GraphCheck:
    """The result of validating one graph with its context."""

    graph: ox.NamedNode
    kind: str  # "source" | "reference" | "other"
    triples: int  # the graph's own triples validated (its context excluded)
    context: int  # triples of reference and ontology added for it
    results: list[ShaclResult] = field(default_factory=list)
    digest: str = ""  # hash of the graph's own quads (:func:`.nquads.graph_hashes`)


@dataclass
class Disagreement:
    """Sources that say different things about one node (found only in the union)."""

    result: ShaclResult
    values: dict[ox.NamedNode, list[str]]  # graph -> the values it states at the path

    @property
    def graphs(self) -> list[ox.NamedNode]:
        return sorted(self.values, key=lambda g: g.value)


@dataclass
class SourceValidation:
    checks: list[GraphCheck]
    disagreements: list[Disagreement]
    shared_nodes: int  # nodes described by two or more graphs (checked in the union)


def is_inner(node: ox.NamedNode | ox.BlankNode | ox.Literal, owner: ox.NamedNode) -> bool:
    """A blank node, or an IRI in the owner's document (``owner#…``): part of its CBD."""
    if isinstance(node, ox.BlankNode):
        return True
    return (isinstance(node, ox.NamedNode) and "#" in node.value
            and node.value.split("#", 1)[0] == owner.value.split("#", 1)[0])


class GraphIndex:
    """Which graphs the dataset has, and what kind each is (from the default graph)."""

    def __init__(self, dataset: ox.Store, base: str, ontology: ox.NamedNode) -> None:
        self.dataset = dataset
        self.ontology = ontology
        kinds: dict[ox.NamedNode, str] = {}
        for graph in dataset.named_graphs():
            if graph == ontology:
                continue
            types = {q.object.value for q in dataset.quads_for_pattern(
                graph, RDF_TYPE, None, ox.DefaultGraph())}
            if base + DIP_REFERENCE_GRAPH in types:
                kinds[graph] = "reference"
            elif base + DIP_SOURCE_GRAPH in types:
                kinds[graph] = "source"
            else:
                kinds[graph] = "other"
        self.kinds = dict(sorted(kinds.items(), key=lambda item: item[0].value))
        self.reference = [g for g, kind in self.kinds.items() if kind == "reference"]
        # What every graph's context draws on, gathered once: the types the reference
        # graph and the ontology give, the nodes the reference graph describes, and the
        # class hierarchy.
        # (Quads keep their graph: pyshacl-turbo reads a store as the union of its graphs.)
        self.context_types: dict[ox.Term, list[ox.Quad]] = defaultdict(list)
        for graph in [*self.reference, ontology]:
            for quad in dataset.quads_for_pattern(None, RDF_TYPE, None, graph):
                self.context_types[quad.subject].append(quad)
        self.reference_subjects = {q.subject for g in self.reference
                                   for q in dataset.quads_for_pattern(None, None, None, g)}
        self.hierarchy = list(dataset.quads_for_pattern(None, SUBCLASS_OF, None, ontology))
        # Which named subjects each graph describes (their IRIs: a rebuild reads them
        # back from the cache for every graph, and making a million terms of them cost
        # 0.6 s at 1M): gathered graph by graph, from the quads validation reads anyway
        # (a query over every quad cost 2 s at 1M).
        self._subjects: dict[ox.NamedNode, set[str]] = {}

    def subjects_of(self, graph: ox.NamedNode,
                    quads: Iterable[ox.Quad] | None = None) -> set[str]:
        """The IRIs of the named subjects of ``graph`` (from ``quads``, its quads, when
        given)."""
        found = self._subjects.get(graph)
        if found is None:
            if quads is None:
                quads = self.dataset.quads_for_pattern(None, None, None, graph)
            found = self._subjects[graph] = {q.subject.value for q in quads
                                             if isinstance(q.subject, ox.NamedNode)}
        return found

    @property
    def subjects(self) -> dict[ox.NamedNode, set[str]]:
        """Every graph's named subjects (those not gathered yet are, now)."""
        return {graph: self.subjects_of(graph) for graph in self.kinds}


def context_closure(dataset: ox.Store, seeds: Iterable[ox.NamedNode | ox.BlankNode],
                    graphs: list[ox.NamedNode], out: ox.Store) -> None:
    """Add to ``out`` what ``graphs`` say about the seeds, and about what that reaches."""
    stack = list(seeds)
    seen = set(stack)
    while stack:
        node = stack.pop()
        for graph in graphs:
            for quad in dataset.quads_for_pattern(node, None, None, graph):
                out.add(ox.Quad(quad.subject, quad.predicate, quad.object))
                value = quad.object
                if isinstance(value, ox.NamedNode | ox.BlankNode) and value not in seen:
                    seen.add(value)
                    stack.append(value)


def _terms(store: ox.Store) -> set[ox.NamedNode | ox.BlankNode]:
    """Subjects and objects, but not classes: ``sh:class`` needs only the hierarchy of a
    class (added whole by :func:`_with_hierarchy`), not its description."""
    found: set[ox.NamedNode | ox.BlankNode] = set()
    for quad in store:
        found.add(quad.subject)
        if isinstance(quad.object, ox.NamedNode | ox.BlankNode) and quad.predicate != RDF_TYPE:
            found.add(quad.object)
    return found


def _with_hierarchy(dataset: ox.Store, ontology: ox.NamedNode, out: ox.Store) -> None:
    """Every rdfs:subClassOf of the ontology: what sh:class needs to see subclasses."""
    for quad in dataset.quads_for_pattern(None, SUBCLASS_OF, None, ontology):
        out.add(ox.Quad(quad.subject, quad.predicate, quad.object))


def graph_alone_quads(index: GraphIndex, graph: ox.NamedNode) -> tuple[list[ox.Quad], int]:
    """The graph's triples and description, with the context its own nodes need, and its
    own triple count.

    The context comes from the reference graph and the ontology only, never from another
    source: the type of everything the graph refers to (what ``sh:class`` looks at), the
    reference description of a node the graph itself says something about (a source
    adding the founding year of an organisation), and the class hierarchy. Only the
    graph's own nodes are validated, so nothing more of the context is needed.
    """
    dataset = index.dataset
    quads = list(dataset.quads_for_pattern(None, None, None, graph))
    own = len(quads)
    quads += dataset.quads_for_pattern(graph, None, None, ox.DefaultGraph())
    described = [q.subject for q in quads if q.subject in index.reference_subjects]
    if described:
        store = ox.Store()
        context_closure(dataset, set(described),
                        [g for g in index.reference if g != graph], store)
        quads += list(store)
    terms = {q.subject for q in quads} | {q.object for q in quads if q.predicate != RDF_TYPE}
    for term in terms:
        quads += index.context_types.get(term, ())
    quads += index.hierarchy
    return quads, own


def graph_alone(index: GraphIndex, graph: ox.NamedNode) -> tuple[ox.Store, int]:
    """:func:`graph_alone_quads` in a store (the store may hold a quad twice, in two
    graphs: len() counts both)."""
    quads, own = graph_alone_quads(index, graph)
    data = ox.Store()
    data.bulk_extend(quads)
    return data, own


def shared_nodes(index: GraphIndex) -> dict[ox.NamedNode, set[ox.NamedNode]]:
    """Named subjects that two or more graphs describe, with those graphs."""
    graphs_of: dict[str, list[ox.NamedNode]] = defaultdict(list)
    for graph, subjects in index.subjects.items():
        for subject in subjects:
            graphs_of[subject].append(graph)
    return {ox.NamedNode(node): set(graphs) for node, graphs in graphs_of.items()
            if len(graphs) > 1}


def union_of(index: GraphIndex, nodes: Iterable[ox.NamedNode]) -> ox.Store:
    """:func:`union_of_quads` in a store."""
    data = ox.Store()
    data.bulk_extend(union_of_quads(index, nodes))
    return data


def union_of_quads(index: GraphIndex, nodes: Iterable[ox.NamedNode]) -> list[ox.Quad]:
    """What all graphs say about the nodes (with their inner nodes), the types of what
    they refer to, and the ontology context: enough to validate those nodes in the union."""
    return union_read(index, nodes).quads + index.hierarchy


@dataclass
class UnionRead:
    """What :func:`union_of_quads` reads of the dataset, and by which subjects: every
    quad of the graphs about ``read`` (the nodes and their inner nodes), and the
    ``rdf:type`` quads about ``typed`` (what those quads refer to)."""

    quads: list[ox.Quad]
    read: set[ox.NamedNode | ox.BlankNode]
    typed: set[ox.NamedNode]


def union_read(index: GraphIndex, nodes: Iterable[ox.NamedNode]) -> UnionRead:
    dataset = index.dataset
    quads: list[ox.Quad] = []
    read: set[ox.NamedNode | ox.BlankNode] = set()
    for node in nodes:
        stack, seen = [node], {node}
        while stack:
            current = stack.pop()
            read.add(current)
            for quad in dataset.quads_for_pattern(current, None, None, None):
                if quad.graph_name not in index.kinds:  # the ontology, graph descriptions
                    continue
                quads.append(quad)
                if is_inner(quad.object, node) and quad.object not in seen:
                    seen.add(quad.object)
                    stack.append(quad.object)
    referenced = {q.object for q in quads if isinstance(q.object, ox.NamedNode)}
    for iri in referenced:
        quads += [q for q in dataset.quads_for_pattern(iri, RDF_TYPE, None, None)
                  if not isinstance(q.graph_name, ox.DefaultGraph)]
    return UnionRead(quads, read, referenced)


@dataclass(frozen=True)
class UnionRun:
    """The union's SHACL run, remembered with what its data was read from, so a rebuild
    knows it unchanged without assembling it again (at 1M: 1.5 s reading the quads, 0.7 s
    making canonical N-Quads of them, and hashing them, for a run whose results were
    remembered anyway). The data is a function of the graphs' *contributions*: each
    graph's quads about ``read`` and its ``rdf:type`` quads about ``typed``. If every
    graph whose content key changed since contributes what it contributed (hashed), the
    traversal from the same shared nodes reads the same quads at every step, so the
    data, and the run, are the same (the ontology, shapes and engine are in the key)."""

    keys: dict[str, str]  # every graph's content key when the run was made
    read: frozenset[str]
    typed: frozenset[str]
    contributions: dict[str, str]  # graph IRI -> hash of its quads in the data
    results: list[ShaclResult]
    data_key: str  # the same run by its data (:class:`.build_cache.ValidationCache`)

    @classmethod
    def of(cls, index: GraphIndex, keys: dict[ox.NamedNode, str], found: UnionRead,
           results: list[ShaclResult], data_key: str) -> UnionRun | None:
        """None when some node read is a blank node (no IRI to look it up by later) or
        some graph has no content key."""
        if any(not isinstance(node, ox.NamedNode) for node in found.read) \
                or any(g not in keys for g in index.kinds):
            return None
        by_graph: dict[str, list[ox.Quad]] = defaultdict(list)
        for quad in found.quads:
            if quad.graph_name in index.kinds:  # the ontology's part is in the key
                by_graph[quad.graph_name.value].append(quad)
        return cls({g.value: keys[g] for g in index.kinds},
                   frozenset(n.value for n in found.read), frozenset(n.value for n in found.typed),
                   {graph: _contribution_hash(quads) for graph, quads in by_graph.items()},
                   results, data_key)

    def still(self, index: GraphIndex, keys: dict[ox.NamedNode, str]) -> bool:
        """Whether the union's data is what it was (see the class)."""
        if any(g not in keys for g in index.kinds):
            return False
        current = {g.value for g in index.kinds}
        if any(graph in self.contributions for graph in set(self.keys) - current):
            return False  # a graph that contributed is gone
        for graph in index.kinds:
            if self.keys.get(graph.value) != keys[graph] and \
                    self._contribution(index, graph) != self.contributions.get(graph.value):
                return False
        return True

    def _contribution(self, index: GraphIndex, graph: ox.NamedNode) -> str | None:
        subjects = index.subjects_of(graph)
        quads: list[ox.Quad] = []
        for subject in sorted(subjects & self.read):
            quads += index.dataset.quads_for_pattern(ox.NamedNode(subject), None, None, graph)
        for subject in sorted(subjects & self.typed):
            quads += index.dataset.quads_for_pattern(ox.NamedNode(subject), RDF_TYPE, None,
                                                     graph)
        return _contribution_hash(quads) if quads else None

    def renewed(self, keys: dict[ox.NamedNode, str]) -> UnionRun:
        """The same run, with the content keys of now (the next rebuild compares those)."""
        return UnionRun({g.value: key for g, key in keys.items()}, self.read, self.typed,
                        self.contributions, self.results, self.data_key)


def _contribution_hash(quads: list[ox.Quad]) -> str:
    return hashlib.sha256(canonical_nquads(quads)).hexdigest()


def _values(dataset: ox.Store, result: ShaclResult, graphs: Iterable[ox.NamedNode],
            base: str) -> dict[ox.NamedNode, list[str]]:
    """The values each graph states for the result's focus node and path."""
    out: dict[ox.NamedNode, list[str]] = {}
    if result.focus_is_blank:
        return out
    focus = ox.NamedNode(result.focus)
    predicate = ox.NamedNode(result.path) if result.path else None
    for graph in graphs:
        quads = list(dataset.quads_for_pattern(focus, predicate, None, graph))
        if quads:
            shown = sorted({compact(q.object.value, base) if isinstance(q.object, ox.NamedNode)
                            else q.object.value for q in quads}) if predicate else []
            out[graph] = shown
    return out


def own_subjects(index: GraphIndex, graph: ox.NamedNode) -> list[str]:
    """The nodes a graph describes, and the graph itself (its description)."""
    return sorted(index.subjects_of(graph) | {graph.value})


def check_graph(index: GraphIndex, graph: ox.NamedNode, check: Check,
                remembered: GraphChecks | None = None) -> GraphCheck:
    """One graph with its context; only its own nodes are checked: the context (a
    country of the reference graph) belongs to the graph that states it, which is
    checked on its own. ``remembered``: the check by what the graph is made of."""
    kind = index.kinds[graph]
    key = remembered.key(graph, kind) if remembered is not None else None
    hit = remembered.get(key) if key is not None else None
    if remembered is not None and isinstance(hit, tuple) and len(hit) == 6:
        results, own, context, digest, subjects, data_key = hit
        index._subjects[graph] = set(subjects)
        remembered.keep(data_key)
        return GraphCheck(graph, kind, own, context, results, digest)
    quads, own = graph_alone_quads(index, graph)
    subjects = index.subjects_of(graph, quads[:own])  # its own quads come first
    digest = hashlib.sha256(canonical_nquads(quads[:own])).hexdigest()
    data = canonical_nquads(quads)
    focus = own_subjects(index, graph)
    results = check(data, focus)
    context = data.count(b"\n") - own
    if key is not None:
        remembered.put(key, (results, own, context, digest, sorted(subjects),
                             remembered.data_key(data, focus)))
    return GraphCheck(graph, kind, own, context, results, digest)


def engine_check(engine: Engine, shapes: Graph) -> Check:
    """A :data:`Check` that always runs the engine."""
    return lambda data, focus: engine(data, shapes, focus).results


def validate_sources(dataset: ox.Store, base: str, ontology: ox.NamedNode, shapes: Graph,
                     engine: Engine, check: Check | None = None,
                     remembered: GraphChecks | None = None) -> SourceValidation:
    """Every graph alone (with its context), then the union on the nodes graphs share.

    ``check`` runs the engine (by default every time; the build passes one that
    remembers results by the exact data validated); ``remembered`` skips assembling a
    graph whose content, context, shapes and engine are all as before."""
    check = check or engine_check(engine, shapes)
    index = GraphIndex(dataset, base, ontology)
    if remembered is not None:
        remembered.bind(index.reference)
    checks = [check_graph(index, graph, check, remembered) for graph in index.kinds]
    shared = shared_nodes(index)
    disagreements: list[Disagreement] = []
    # A result some graph gives on its own is that graph's error, not a disagreement.
    alone = {_key(r) for graph_check in checks for r in graph_check.results}
    if shared:
        focus = sorted(n.value for n in shared)
        results = _union_check(index, shared, focus, check, remembered)
        for result in results:
            if _key(result) in alone:
                continue
            node = ox.NamedNode(result.focus) if not result.focus_is_blank else None
            graphs = shared.get(node, set()) if node is not None else set()
            values = _values(dataset, result, graphs, base)
            disagreements.append(Disagreement(result, values))
    return SourceValidation(checks, disagreements, len(shared))


def _union_check(index: GraphIndex, shared: dict[ox.NamedNode, set[ox.NamedNode]],
                 focus: list[str], check: Check, remembered: GraphChecks | None
                 ) -> list[ShaclResult]:
    """The union's run on the shared nodes: remembered by what its data is read from
    (:class:`UnionRun`) when every graph has a content key, else by the data."""
    key = remembered.union_key(focus) if remembered is not None else None
    if key is not None:
        assert remembered is not None
        run = remembered.get(key)
        if isinstance(run, UnionRun) and run.still(index, remembered.keys):
            remembered.keep(run.data_key)
            remembered.put(key, run.renewed(remembered.keys))
            return run.results
        if run is not None:  # found but stale: the run below is what counts
            remembered.entries.unusable()
    found = union_read(index, shared)
    data = canonical_nquads(found.quads + index.hierarchy)
    results = check(data, focus)
    if key is not None:
        assert remembered is not None
        made = UnionRun.of(index, remembered.keys, found, results,
                           remembered.data_key(data, focus))
        if made is not None:
            remembered.put(key, made)
    return results


def _key(result: ShaclResult) -> tuple:
    return (result.focus, result.path, result.component, result.message)


def remaining_blank_nodes(dataset: ox.Store,
                          graphs: Iterable[ox.NamedNode]) -> dict[ox.NamedNode, list[ox.Quad]]:
    """Quads of the named graphs that still hold a blank node after the derivation rules.

    Two sources can only state the same claim if it has the same name: a blank node
    left in a source graph (a nested value the rules in ``mappings/derive.ru`` do not
    know) would make every restatement a second, conflicting claim.
    """
    found: dict[ox.NamedNode, list[ox.Quad]] = defaultdict(list)
    for graph in graphs:  # each graph scanned natively: only those that may hold one
        if not dataset.query(f"ASK {{ GRAPH {graph} {{ ?s ?p ?o "
                             "FILTER (isBlank(?s) || isBlank(?o)) } }"):
            continue
        for quad in dataset.quads_for_pattern(None, None, None, graph):
            if isinstance(quad.subject, ox.BlankNode) or isinstance(quad.object, ox.BlankNode):
                found[graph].append(quad)
    return dict(found)
