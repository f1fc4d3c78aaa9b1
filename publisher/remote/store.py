"""The store interface over a remote SPARQL store: a second implementation, not a fork.

Every read goes through :class:`~.client.SparqlClient` (SPARQL 1.1 Protocol), bounded by
the same query timeout as the embedded store, and comes back as pyoxigraph terms, so the
readers above (documents, ``/sparql``, validation, VoID, dumps) cannot tell which store
they read. A query over "all graphs" is sent as the engine's dialect says
(:mod:`.dialects`): as it is to a union-default Oxigraph server, with the build's graphs
as the protocol's dataset to anything else.

A remote store cannot be asked about a blank node by its label (the label is the store's
own, good for one answer), while a description follows blank nodes from their owner.
:meth:`RemoteStore.for_description` therefore hands the describer a
:class:`DescriptionMirror`: a small in-memory store filled, pattern by pattern, with
what the remote store says about the IRIs asked for, blank nodes and the nodes that
link to them included, each in one answer. The describer runs unchanged over it, so a
document is the same whatever the store.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import threading
import weakref
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

import pyoxigraph as ox

from ..sparql.analysis import analyse, tokens
from .client import Credentials, RemoteAnswer, SparqlClient
from .dialects import DIALECTS, Dialect

#: A location naming a remote store starts with this, then the spec as JSON.
LOCATION_PREFIX = "remote:"
LABEL_PREDICATES = tuple(ox.NamedNode(iri) for iri in (
    "http://www.w3.org/2000/01/rdf-schema#label",
    "http://www.w3.org/2004/02/skos/core#prefLabel",
    "http://schema.org/headline", "http://schema.org/name",
    "http://xmlns.com/foaf/0.1/name"))


@dataclass(frozen=True)
class RemoteSpec:
    """All a process needs to open a build's remote store (workers get it as a string)."""

    query_url: str
    engine: str
    graphs: tuple[str, ...]
    timeout_s: float
    store_url: str | None = None  # Graph Store endpoint, for the Oxigraph default graph
    base: str = ""  # the publisher's base IRI (names the default graph's stand-in)
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    auth: str = "basic"

    @property
    def location(self) -> str:
        return LOCATION_PREFIX + json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_location(cls, location: str) -> RemoteSpec:
        data = json.loads(location[len(LOCATION_PREFIX):])
        data["graphs"] = tuple(data["graphs"])
        return cls(**data)

    def client(self) -> SparqlClient:
        dialect = DIALECTS[self.engine]
        credentials = (Credentials(self.user, self.password or "", self.auth)  # type: ignore[arg-type]
                       if self.user else None)
        return SparqlClient(self.query_url, store_url=self.store_url,
                            credentials=credentials, timeout_s=self.timeout_s,
                            rewrite_json=dialect.json_rewriter)


def is_remote(location: str) -> bool:
    return location.startswith(LOCATION_PREFIX)


def with_base(sparql: str, base_iri: str | None) -> str:
    """The query with ``BASE`` first, so relative IRIs resolve as on the embedded store.

    Not when the query declares its own: SPARQL allows several in a prologue, Virtuoso
    7.2 refuses a second one (SP030).
    """
    if base_iri is None or any(token.keyword == "BASE" for token in tokens(sparql)[:64]):
        return sparql
    return f"BASE <{base_iri}>\n{sparql}"


# --- query results as the readers know them ----------------------------------------------

class RemoteSolutions:
    """SELECT solutions streamed from the store: ``variables`` and iteration, like
    pyoxigraph's ``QuerySolutions`` (which cannot be made from Python)."""

    def __init__(self, answer: RemoteAnswer) -> None:
        self.answer = answer
        self.variables = answer.variables

    @property
    def native(self) -> ox.QuerySolutions:
        """The solutions as pyoxigraph parses them from the stream, for its serializer
        (the same bytes as from the embedded store); call :meth:`finish` after it."""
        return self.answer.native()

    def finish(self) -> None:
        """Check the answer was complete (StoreError otherwise), and release it."""
        try:
            self.answer.finish()
        finally:
            self.answer.close()

    def __iter__(self) -> Iterator[ox.QuerySolution]:
        try:
            yield from self.answer
        finally:
            self.answer.close()

    def __del__(self) -> None:
        self.answer.close()


class RemoteTriples:
    """CONSTRUCT/DESCRIBE triples streamed from the store."""

    def __init__(self, answer: RemoteAnswer) -> None:
        self.answer = answer

    def __iter__(self) -> Iterator[ox.Triple]:
        try:
            yield from self.answer
        finally:
            self.answer.close()

    def __del__(self) -> None:
        self.answer.close()


def boolean_result(value: bool) -> ox.QueryBoolean:
    """A real pyoxigraph boolean (it serializes itself in every result format)."""
    return ox.parse_query_results(b'{"head":{},"boolean":%s}' % (b"true" if value else b"false"),
                                  ox.QueryResultsFormat.JSON)


_EMPTY: list[ox.Store] = []


def _syntax_check(sparql: str, base_iri: str | None) -> None:
    """SyntaxError exactly as the embedded store raises it (the result is never read)."""
    if not _EMPTY:
        _EMPTY.append(ox.Store())
    _EMPTY[0].query(sparql, base_iri=base_iri)


def _bind(node: Any, variable: str) -> str:
    return f"?{variable}" if node is None else str(node)


class RemoteStore:
    """:class:`publisher.store.Store` over a SPARQL endpoint (see the module docstring)."""

    def __init__(self, spec: RemoteSpec, client: SparqlClient | None = None) -> None:
        self.spec = spec
        self.dialect: Dialect = DIALECTS[spec.engine].for_base(spec.base)
        self.graphs = sorted(spec.graphs)
        self.location = spec.location
        self._client = client
        self._mirror: DescriptionMirror | None = None
        self._mirror_lock = threading.Lock()

    @property
    def client(self) -> SparqlClient:
        if self._client is None:  # made in the process that uses it (fork-safe)
            self._client = self.spec.client()
        return self._client

    # -- datasets

    def _union(self) -> dict[str, Any]:
        dataset = self.dialect.union_dataset(self.graphs)
        return {} if dataset is None else {"default_graphs": dataset[0],
                                           "named_graphs": dataset[1]}

    def _with_default(self) -> dict[str, Any]:
        """Named graphs *and* the default graph's stand-in visible to ``GRAPH ?g``; on a
        union-default server, the dataset as it is (its default graph is the union, its
        real default graph found by :meth:`DescriptionMirror._branches`)."""
        if self.dialect.union_by_server:
            return {}
        named = list(self.graphs)
        if self.dialect.default_graph is not None:
            named.append(self.dialect.default_graph)
        return {"default_graphs": [], "named_graphs": named}

    def _graph(self, term: ox.Term) -> ox.NamedNode | ox.DefaultGraph:
        if isinstance(term, ox.NamedNode) and term.value == self.dialect.default_graph:
            return ox.DefaultGraph()
        return term  # type: ignore[return-value]

    # -- the store interface

    def query(self, sparql: str, dataset: Any = None, base_iri: str | None = None) -> Any:
        """Solutions, a boolean or triples, streamed; ``dataset`` a QueryDataset.

        The query is parsed here first (by pyoxigraph, over an empty store, evaluating
        nothing), so a syntax error is the same 400 with the same message whatever the
        store, and a store is never sent a query it would only reject.
        """
        _syntax_check(sparql, base_iri)
        options: dict[str, Any] = {}
        if dataset is not None and dataset.explicit:
            options = {"default_graphs": list(dataset.default_graphs or ()),
                       "named_graphs": list(dataset.named_graphs or ())}
        elif dataset is None or dataset.union:
            options = self._union()
        answer = self.client.query(with_base(sparql, base_iri),
                                   returns_graph=analyse(sparql).returns_graph, **options)
        if answer.kind == "boolean":
            with answer:
                return boolean_result(answer.boolean)
        if answer.kind == "graph":
            return RemoteTriples(answer)
        return RemoteSolutions(answer)

    def probe(self, timeout_s: float = 2.0) -> str:
        """``ASK {}`` (readiness): the store's Server header, or StoreError."""
        return self.client.probe(timeout_s)

    def select(self, sparql: str, **options: Any) -> list[ox.QuerySolution]:
        with self.client.query(sparql, returns_graph=False, **options) as answer:
            return list(answer)

    def exists(self, iri: str) -> bool:
        try:
            node = ox.NamedNode(iri)
        except ValueError:
            return False
        if iri in self.spec.graphs:
            return True
        return self.client.ask(f"ASK {{ {{ {node} ?p ?o }} UNION {{ ?s ?p {node} }} }}",
                               **self._union())

    def named_graphs(self) -> list[ox.NamedNode]:
        return [ox.NamedNode(graph) for graph in self.graphs]

    def quads(self, subject: Any = None, predicate: ox.NamedNode | None = None,
              object: ox.Term | None = None, graph: Any = None) -> Iterator[ox.Quad]:
        """Quads matching a pattern of IRIs and literals (``graph=None``: every graph).

        A blank node in the pattern is refused (see the module docstring): descriptions
        go through :meth:`for_description`.
        """
        for term in (subject, object, graph):
            if isinstance(term, ox.BlankNode):
                raise ValueError("a remote store cannot be asked about a blank node by "
                                 "its label; use for_description()")
        pattern = f"{_bind(subject, 's')} {_bind(predicate, 'p')} {_bind(object, 'o')}"
        if graph is None or isinstance(graph, ox.DefaultGraph):
            yield from self._default_quads(pattern, subject, predicate, object)
            if isinstance(graph, ox.DefaultGraph):
                return
            named = self.graphs
        else:
            named = [graph.value] if graph.value in self.spec.graphs else []
        if not named:
            return
        query = f"SELECT * WHERE {{ GRAPH ?g {{ {pattern} }} }}"
        with self.client.query(query, returns_graph=False, default_graphs=[],
                               named_graphs=named) as answer:
            for row in answer:
                yield ox.Quad(subject or row["s"], predicate or row["p"],
                              object if object is not None else row["o"], row["g"])

    def _default_quads(self, pattern: str, subject: Any, predicate: Any,
                       object: Any) -> Iterator[ox.Quad]:
        """The default graph's quads matching ``pattern``."""
        if self.dialect.default_graph is not None:
            query = f"SELECT * WHERE {{ {pattern} }}"
            rows: Iterable[Any] = self.select(query, default_graphs=[self.dialect.default_graph],
                                              named_graphs=[])
            for row in rows:
                yield ox.Quad(subject or row["s"], predicate or row["p"],
                              object if object is not None else row["o"], ox.DefaultGraph())
            return
        # A union-default server has no way to name its real default graph in a query:
        # the triples of the union that no named graph holds are the default graph's.
        query = (f"SELECT * WHERE {{ {pattern} FILTER NOT EXISTS {{ GRAPH ?x {{ {pattern} }} "
                 "} }")
        for row in self.select(query):
            yield ox.Quad(subject or row["s"], predicate or row["p"],
                          object if object is not None else row["o"], ox.DefaultGraph())

    def statistics(self, ontology_iri: str) -> dict[str, Any]:
        """Counted by the remote store, as the embedded store counts them."""
        per_graph = {"": sum(1 for _ in self._default_quads("?s ?p ?o", None, None, None))}
        for row in self.select("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } "
                               "GROUP BY ?g", default_graphs=[], named_graphs=self.graphs):
            per_graph[row["g"].value] = int(row["n"].value)
        ontology = ox.NamedNode(ontology_iri)
        others = [g for g in self.graphs if g != ontology_iri]
        defaults = ([self.dialect.default_graph] if self.dialect.default_graph else [])
        typed = self.select(
            "SELECT ?c (COUNT(DISTINCT ?s) AS ?n) WHERE { { ?s a ?c } UNION "
            f"{{ GRAPH ?g {{ ?s a ?c }} FILTER(?g != {ontology}) }} }} GROUP BY ?c",
            default_graphs=defaults, named_graphs=others) \
            if self.dialect.default_graph is not None else self.select(
            "SELECT ?c (COUNT(DISTINCT ?s) AS ?n) WHERE { GRAPH ?g { ?s a ?c } "
            f"FILTER(?g != {ontology}) }} GROUP BY ?c", default_graphs=[],
            named_graphs=others)
        return {
            "triples": sum(per_graph.values()),
            "triples_per_graph": dict(sorted(per_graph.items())),
            "entities_per_class": dict(sorted((row["c"].value, int(row["n"].value))
                                              for row in typed)),
        }

    def for_description(self) -> DescriptionMirror:
        """The build's one mirror in this process (see :class:`DescriptionMirror`)."""
        with self._mirror_lock:
            if self._mirror is None:
                self._mirror = DescriptionMirror(self)
            return self._mirror


# --- descriptions ------------------------------------------------------------------------

class DescriptionMirror:
    """What a describer asks of a store, answered from a local copy filled on demand.

    The copy is an on-disk Oxigraph store in a temporary folder, one per build and
    process, kept while the build is served (deleted with it): its quads come out of a
    pattern in the same order as from the build's embedded store (an in-memory store
    orders them differently), so a page lists what it lists in the same order, and what
    was fetched once is not fetched again.

    The describer asks for (a) everything an IRI says, following blank nodes; (b) what
    links to an IRI, and through blank nodes to their owners; (c) labels of IRIs; and
    (d) the default graph's statements about a graph. Each first question about an IRI
    becomes one query whose answer, blank nodes included, lands in the local store;
    questions about blank nodes are then answered locally. Labels are fetched for every
    IRI seen so far at once.
    """

    def __init__(self, remote: RemoteStore) -> None:
        self.remote = remote
        folder = tempfile.mkdtemp(prefix="publisher-mirror-")
        self.local = ox.Store(folder)
        weakref.finalize(self, shutil.rmtree, folder, True)
        self._lock = threading.Lock()
        self._outgoing: set[ox.NamedNode] = set()
        self._incoming: set[ox.NamedNode] = set()
        self._labelled: set[ox.NamedNode] = set()

    def quads(self, subject: Any = None, predicate: ox.NamedNode | None = None,
              object: ox.Term | None = None, graph: Any = None) -> Iterator[ox.Quad]:
        if isinstance(subject, ox.NamedNode):
            with self._lock:
                if predicate in LABEL_PREDICATES and subject not in self._outgoing:
                    self._labels(subject)
                else:
                    self._fetch_outgoing(subject)
        elif subject is None and isinstance(object, ox.NamedNode):
            with self._lock:
                self._fetch_incoming(object)
        elif subject is None and not isinstance(object, ox.BlankNode):
            yield from self.remote.quads(subject, predicate, object, graph)
            return
        yield from self.local.quads_for_pattern(subject, predicate, object, graph)

    # -- fetching

    def _store(self, rows: Iterable[ox.QuerySolution]) -> None:
        remote = self.remote
        self.local.extend([ox.Quad(row["s"], row["p"], row["o"], ox.DefaultGraph()
                                   if row["g"] is None else remote._graph(row["g"]))
                           for row in rows])

    def _branches(self, *patterns: str) -> str:
        """``GRAPH ?g { … }`` for each pattern (the default graph's stand-in is one of
        the named graphs here), plus, on a union-default server, the real default
        graph for the first pattern."""
        branches = [f"{{ GRAPH ?g {{ {pattern} }} }}" for pattern in patterns]
        if self.remote.dialect.default_graph is None:
            first = patterns[0]
            branches.append(f"{{ {first} FILTER NOT EXISTS {{ GRAPH ?x {{ {first} }} }} }}")
        return "SELECT ?s ?p ?o ?g WHERE { " + " UNION ".join(branches) + " }"

    def _run(self, query: str) -> None:
        self._store(self.remote.select(query, **self.remote._with_default()))

    def _fetch_outgoing(self, node: ox.NamedNode) -> None:
        if node in self._outgoing:
            return
        self._outgoing.add(node)
        self._labelled.add(node)
        n = str(node)
        # VALUES and renamed variables, no BIND: Virtuoso 7.2's compiler fails on a UNION
        # of branches that BIND (SP031 "equiv replaces filter but under deprecation").
        self._run(self._branches(
            f"VALUES ?s {{ {n} }} ?s ?p ?o",
            f"{n} ?p0 ?s FILTER(isBlank(?s)) ?s ?p ?o",
            f"{n} ?p0 ?b0 FILTER(isBlank(?b0)) ?b0 ?p1 ?s FILTER(isBlank(?s)) ?s ?p ?o"))

    def _fetch_incoming(self, node: ox.NamedNode) -> None:
        if node in self._incoming:
            return
        self._incoming.add(node)
        n = str(node)
        self._run(self._branches(
            f"VALUES ?o {{ {n} }} ?s ?p ?o",
            # a blank node linking here: its statements, and who links to it, two levels
            f"?s ?q {n} FILTER(isBlank(?s)) ?s ?p ?o",
            f"?o ?q {n} FILTER(isBlank(?o)) ?s ?p ?o",
            f"?b ?q {n} FILTER(isBlank(?b)) ?o ?r ?b FILTER(isBlank(?o)) ?s ?p ?o",
            f"?b ?q {n} FILTER(isBlank(?b)) ?s ?r ?b FILTER(isBlank(?s)) ?s ?p ?o"))

    def _labels(self, node: ox.NamedNode) -> None:
        """Labels of ``node`` and of every IRI the fetched resources point to, at once."""
        if node in self._labelled:
            return
        wanted = {node}
        for fetched in list(self._outgoing)[-64:]:
            for quad in self.local.quads_for_pattern(fetched, None, None, None):
                if isinstance(quad.object, ox.NamedNode):
                    wanted.add(quad.object)
        wanted -= self._labelled
        if not wanted:
            return
        self._labelled |= wanted
        values = " ".join(str(term) for term in sorted(wanted, key=lambda t: t.value))
        predicates = ", ".join(str(p) for p in LABEL_PREDICATES)
        self._run(self._branches(
            f"VALUES ?s {{ {values} }} ?s ?p ?o FILTER(?p IN ({predicates}))"))


def open_remote(location: str) -> RemoteStore:
    return RemoteStore(RemoteSpec.from_location(location))


__all__ = ["LOCATION_PREFIX", "DescriptionMirror", "RemoteSpec", "RemoteStore", "is_remote",
           "open_remote"]
