"""What a description document says: the quads published for one IRI.

A Linked Data document is useful on its own only if it carries enough context to be
read without further requests, so an entity's description is more than its outgoing
triples (DBpedia and Pubby users expect the same):

1. its Concise Bounded Description (outgoing statements, blank nodes and the hash IRIs
   of its own document followed: periods, participations, evidence annotations);
2. incoming links, so a person's page lists the meetings they took part in; a link that
   arrives through a blank node or a hash IRI (an n-ary participation) brings that
   node's statements and its owner, so the capacity in which someone took part is kept;
3. the labels of everything the description points to, so clients can show names;
4. provenance: the description (in the default graph) of every named graph that states
   one of these facts, and the source article that graph is derived from;
5. the full description of what its typed resources refer to, so that the document
   conforms to the shapes on its own (a place with its country, an article with its
   publisher).

Steps 3 to 5 read only the document's own sources: the graphs that state (1) and (2),
and the graphs that are not a source's (the reference data). Every source graph conforms
with the reference data on its own (the build validates each), so what a source says of
a related resource is complete enough to conform without the other sources. Reading every
source of every related fact instead made a document carry the sources of its sources:
an article stating thirty tenures, each stated by a hundred articles, described three
thousand quads of other articles, and the descriptions of a 1M-triple dataset held 24
times its data. Those sources are one link away, in the related resource's own document.

Quads keep their graph, so the N-Quads and TriG variants say which source states each
fact and the triple formats are simply their union. Reads go through the store's quad
pattern API (no SPARQL), which keeps a description a few dozen index lookups.
"""

from __future__ import annotations

from collections.abc import Iterable

import pyoxigraph as ox

from ..namespaces import STANDARD
from ..store import Store, describing

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
        #: (subject, predicate, object) of each quad, read once: a term read from a quad
        #: is a new object each time, and the context loop reads them repeatedly.
        self.terms: list[tuple[ox.Term, ox.NamedNode, ox.Term]] = []
        #: The named graphs of the quads, in order of first appearance.
        self.graphs: dict[ox.NamedNode, None] = {}

    def add(self, quad: ox.Quad) -> bool:
        quads = self._quads
        size = len(quads)
        quads[quad] = None  # one hash of the quad, not two (a membership test, then this)
        if len(quads) == size:
            return False
        self.terms.append((quad.subject, quad.predicate, quad.object))
        graph = quad.graph_name
        if isinstance(graph, ox.NamedNode):
            self.graphs[graph] = None
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


def document_of(term: ox.Term) -> str | None:
    """The IRI of the document that describes ``term``: a hash IRI is described with its
    owner (``…/id/event/x#participation-…`` in ``…/id/event/x``), as the Cool URIs note
    has it; a blank node by whatever links to it."""
    return term.value.split("#", 1)[0] if isinstance(term, ox.NamedNode) else None


def _is_part(term: ox.Term, owner: Subject) -> bool:
    """A blank node, or a hash IRI of the owner's document: part of the owner's CBD."""
    if isinstance(term, ox.BlankNode):
        return True
    return (isinstance(term, ox.NamedNode) and "#" in term.value
            and document_of(term) == document_of(owner) and term != owner)


def _is_nested(term: ox.Term) -> bool:
    """A blank node or a hash IRI: a part of some other resource's description."""
    return isinstance(term, ox.BlankNode) or (
        isinstance(term, ox.NamedNode) and "#" in term.value)


class _Scope:
    """The graphs steps 3 to 5 read: the default graph, the graphs the document already
    holds, the described resource itself when it names a graph (a graph's document
    describes its article), and every graph that is not a source's (no
    ``prov:wasDerivedFrom`` in the default graph: the reference data)."""

    def __init__(self, store: Store, node: ox.NamedNode, out: _QuadSet) -> None:
        self._store = store
        self._held = out.graphs
        self._known: dict[ox.NamedNode, bool] = {node: True}

    def allows(self, graph: ox.NamedNode | ox.DefaultGraph) -> bool:
        if not isinstance(graph, ox.NamedNode) or graph in self._held:
            return True
        allowed = self._known.get(graph)
        if allowed is None:
            allowed = self._known[graph] = next(iter(self._store.quads(
                graph, WAS_DERIVED_FROM, None, ox.DefaultGraph())), None) is None
        return allowed


def _closure(store: Store, subject: Subject, out: _QuadSet,
             graph: ox.NamedNode | ox.DefaultGraph | None = None, seen: set | None = None,
             scope: _Scope | None = None) -> None:
    """Outgoing statements of ``subject``, following blank-node objects and the hash IRIs
    of its own document (intervals, participations, evidence: claims named from their
    owner, so that every source stating one states the same node); with ``scope``, only
    the statements of the graphs it allows."""
    seen = seen if seen is not None else set()
    if subject in seen:
        return
    seen.add(subject)
    for quad in store.quads(subject, None, None, graph):
        if scope is not None and not scope.allows(quad.graph_name):
            continue
        out.add(quad)
        if isinstance(quad.object, ox.BlankNode):
            _closure(store, quad.object, out, quad.graph_name, seen)
        elif _is_part(quad.object, subject):
            _closure(store, quad.object, out, None, seen, scope)


def _incoming_through_blank(store: Store, blank: Subject, out: _QuadSet,
                            graph: ox.NamedNode | ox.DefaultGraph | None,
                            depth: int = 0) -> None:
    """A link from a blank node or a hash IRI (a participation): keep its statements and
    walk to its owner."""
    _closure(store, blank, out, graph)
    if depth >= MAX_BLANK_DEPTH:
        return
    for quad in store.quads(None, None, blank, graph):
        out.add(quad)
        if _is_nested(quad.subject):  # the owner is nested too: keep walking up
            _incoming_through_blank(store, quad.subject, out, quad.graph_name, depth + 1)


def _referenced(terms: Iterable[tuple[ox.Term, ox.NamedNode, ox.Term]],
                exclude: ox.NamedNode | None) -> list[ox.NamedNode]:
    """IRIs in subject or object position (not predicates: they are labelled from the
    vocabulary, not from the data)."""
    found: dict[ox.NamedNode, None] = {}
    for subject, _, object_ in terms:
        for term in (subject, object_):
            if isinstance(term, ox.NamedNode) and term != exclude:
                found[term] = None
    return list(found)


_LABELS = frozenset(LABEL_PREDICATES)


def _add_labels(store: Store, iris: Iterable[ox.NamedNode], out: _QuadSet,
                scope: _Scope) -> None:
    """Labels from the document's own graphs; from any graph (which then joins the
    document, with its provenance) only for a resource none of them labels."""
    for iri in iris:  # one read of the resource (often made already: a reader that
        # remembers answers has it), not one per label predicate
        found = [quad for quad in store.quads(iri, None, None, None)
                 if quad.predicate in _LABELS]
        inside = [quad for quad in found if scope.allows(quad.graph_name)]
        out.extend(inside or found)


def _add_provenance(store: Store, out: _QuadSet, done: set[ox.NamedNode],
                    scope: _Scope) -> None:
    """Describe each named graph used (default graph) and the article it is derived from."""
    for graph in sorted(set(out.graphs) - done, key=lambda g: g.value):
        done.add(graph)
        for quad in store.quads(graph, None, None, ox.DefaultGraph()):
            out.add(quad)
            if quad.predicate == WAS_DERIVED_FROM and isinstance(quad.object, ox.NamedNode):
                _closure(store, quad.object, out, scope=scope)


class _Context:
    """What :func:`_add_context` has learnt from the quads it has read so far.

    Each pass reads only the quads added since the last one: the typed subjects, the
    parts of typed subjects ("described"), and each subject's objects, so that a subject
    that becomes described later has its objects looked at then. That gives exactly the
    resources a pass over all quads would find, since every set involved only grows (a
    candidate refused once stays refused: it was expanded, typed, a part, or outside the
    namespace), at the cost of the new quads instead of all of them on every pass.
    """

    def __init__(self) -> None:
        self.read = 0
        self.typed: set[ox.Term] = set()
        self.described: set[ox.Term] = set()
        self.objects: dict[ox.Term, list[ox.Term]] = {}

    def fresh(self, terms: list[tuple[ox.Term, ox.NamedNode, ox.Term]], namespace: str,
              expanded: set) -> set[ox.NamedNode]:
        new = terms[self.read:]
        self.read = len(terms)
        typed, described, objects = self.typed, self.described, self.objects
        newly_typed = []
        for subject, predicate, object_ in new:
            objects.setdefault(subject, []).append(object_)
            if predicate == RDF_TYPE and subject not in typed:
                typed.add(subject)
                newly_typed.append(subject)
        newly_described = []

        def describe_too(term: ox.Term) -> None:
            if term not in described:
                described.add(term)
                newly_described.append(term)

        for subject in newly_typed:
            describe_too(subject)
            for object_ in objects[subject]:
                if _is_part(object_, subject):
                    describe_too(object_)
        for subject, _, object_ in new:
            if subject in typed and _is_part(object_, subject):
                describe_too(object_)
        candidates = [(subject, object_) for subject in newly_described
                      for object_ in objects.get(subject, ())]
        candidates += [(subject, object_) for subject, _, object_ in new
                       if subject in described]
        return {o for s, o in candidates
                if isinstance(o, ox.NamedNode) and o not in expanded
                and o.value.startswith(namespace) and o not in typed
                and not _is_part(o, s)}


def _add_context(store: Store, out: _QuadSet, namespace: str, expanded: set,
                 context: _Context, scope: _Scope) -> None:
    """What the document's typed resources refer to, described in full, repeatedly.

    A document must conform to the shapes on its own: a meeting says its place is a
    dip:Place, so the place's description (with its country) is in the document, and a
    fact's source article is described with its publisher. Only resources under the
    dataset's ``id/`` namespace are followed, from typed subjects and their parts; the
    resources that merely link here (incoming links) are not typed and are not followed.
    """
    while True:
        fresh = context.fresh(out.terms, namespace, expanded)
        if not fresh:
            return
        for iri in sorted(fresh, key=lambda n: n.value):
            expanded.add(iri)
            _closure(store, iri, out, scope=scope)


def describe(store: Store, iri: str, id_base: str | None = None) -> list[ox.Quad]:
    """The description quads of ``iri`` (empty when the store says nothing about it).

    ``id_base`` (``settings.id_base``) bounds which referenced resources are described
    in full; without it, the part of ``iri`` up to its ``/id/``.
    """
    try:
        node = ox.NamedNode(iri)
    except ValueError:
        return []
    store = describing(store)
    out = _QuadSet()
    _closure(store, node, out)
    for quad in store.quads(None, None, node, None):
        out.add(quad)
        if _is_nested(quad.subject):
            _incoming_through_blank(store, quad.subject, out, quad.graph_name)
    if not len(out):
        return []
    namespace = id_base or (iri[:iri.rindex("/id/") + 4] if "/id/" in iri else iri)
    done: set[ox.NamedNode] = set()
    expanded: set = {node}
    labelled: set[ox.NamedNode] = set()
    context = _Context()
    scope = _Scope(store, node, out)
    referenced = 0  # terms whose IRIs have been labelled
    # Provenance can name new graphs and new resources (publishers of articles), and
    # what typed resources refer to is described in full: repeat until nothing new.
    while True:
        before = len(out)
        _add_context(store, out, namespace, expanded, context, scope)
        _add_provenance(store, out, done, scope)
        terms = out.terms
        fresh = [iri for iri in _referenced(terms[referenced:], node) if iri not in labelled]
        referenced = len(terms)
        labelled.update(fresh)
        _add_labels(store, fresh, out, scope)
        if len(out) == before:
            break
    return out.as_list()
