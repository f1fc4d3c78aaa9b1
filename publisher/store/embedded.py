"""The embedded store: a pyoxigraph store on local disk, opened read-only.

The only module that holds a pyoxigraph ``Store`` for reading. A build's store is
immutable once published, so one read-only handle per build serves every reader of that
build (:mod:`publisher.snapshot` opens it once and shares it); query worker processes
open their own from :attr:`EmbeddedStore.location`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from ..builds import StoreUnavailable
from . import UNION, GraphName, QueryDataset, Subject


def pyoxigraph_options(dataset: QueryDataset) -> dict[str, Any]:
    """pyoxigraph's keyword arguments for a dataset: the union rule lives here only."""
    if dataset.explicit:
        return {
            "default_graph": [ox.NamedNode(iri) for iri in dataset.default_graphs or ()],
            "named_graphs": [ox.NamedNode(iri) for iri in dataset.named_graphs or ()],
        }
    if dataset.union:
        return {"use_default_graph_as_union": True}
    return {}


class EmbeddedStore:
    """:class:`publisher.store.Store` over a pyoxigraph store."""

    def __init__(self, store: ox.Store, location: str = "") -> None:
        self._store = store
        self.location = location

    @classmethod
    def open_read_only(cls, path: Path | str) -> EmbeddedStore:
        try:
            return cls(ox.Store.read_only(str(path)), str(path))
        except OSError as error:
            raise StoreUnavailable(f"the store at {path} cannot be opened ({error}); run "
                                   "`publisher build`") from None

    def query(self, sparql: str, dataset: QueryDataset = UNION,
              base_iri: str | None = None) -> Any:
        options = pyoxigraph_options(dataset)
        if base_iri is not None:
            options["base_iri"] = base_iri
        return self._store.query(sparql, **options)

    def quads(self, subject: Subject | None = None, predicate: ox.NamedNode | None = None,
              object: ox.Term | None = None,
              graph: GraphName | None = None) -> Iterator[ox.Quad]:
        return self._store.quads_for_pattern(subject, predicate, object, graph)

    def exists(self, iri: str) -> bool:
        try:
            node = ox.NamedNode(iri)
        except ValueError:
            return False  # not an IRI: nothing here can be named by it
        store = self._store
        if next(iter(store.quads_for_pattern(node, None, None, None)), None) is not None:
            return True
        if next(iter(store.quads_for_pattern(None, None, node, None)), None) is not None:
            return True
        return store.contains_named_graph(node)

    def named_graphs(self) -> list[ox.NamedNode]:
        graphs = [g for g in self._store.named_graphs() if isinstance(g, ox.NamedNode)]
        return sorted(graphs, key=lambda g: g.value)

    def statistics(self, ontology_iri: str,
                   counted: dict[str, int] | None = None) -> dict[str, Any]:
        """Counted by Oxigraph (no Python loop over the quads). ``counted``: the number
        of quads of some named graphs, known already (the build's validation counts
        every source and reference graph: at 1M, counting them again took 0.8 s of a
        rebuild); the other graphs are counted here."""
        store = self._store
        ontology = ox.NamedNode(ontology_iri)  # its str() is the SPARQL form, <…>
        per_graph = {"": sum(1 for _ in store.quads_for_pattern(None, None, None,
                                                                ox.DefaultGraph()))}
        graphs = [g for g in store.named_graphs() if isinstance(g, ox.NamedNode)]
        counted = counted or {}
        if len(counted) * 2 < len(graphs):  # most to count: one aggregate counts them all
            for row in store.query(
                    "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"):
                per_graph[row["g"].value] = int(row["n"].value)
        else:
            for graph in graphs:
                per_graph[graph.value] = counted[graph.value] if graph.value in counted \
                    else sum(1 for _ in store.quads_for_pattern(None, None, None, graph))
        per_graph = {graph: n for graph, n in per_graph.items() if n or graph == ""}
        typed = store.query(
            "SELECT ?c (COUNT(DISTINCT ?s) AS ?n) WHERE {"
            f" {{ ?s a ?c }} UNION {{ GRAPH ?g {{ ?s a ?c }} FILTER(?g != {ontology}) }} }}"
            " GROUP BY ?c")
        return {
            "triples": sum(per_graph.values()),
            "triples_per_graph": dict(sorted(per_graph.items())),
            "entities_per_class": dict(sorted((row["c"].value, int(row["n"].value))
                                              for row in typed)),
        }
