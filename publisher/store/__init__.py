"""The one store interface: what readers of the published data need, and nothing more.

Readers (pages, descriptions, the validation context, the CLI, the SPARQL workers) use a
:class:`Store`: a SPARQL query over a :class:`QueryDataset`, the quads matching a
pattern, whether an IRI is used at all, the named graphs and the statistics. The embedded
pyoxigraph store (:mod:`.embedded`) is one implementation; a remote SPARQL store is
another class with the same methods. pyoxigraph's ``Store`` never leaves its module:
terms and quads (``NamedNode``, ``Quad``) are plain values and are shared.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol

import pyoxigraph as ox

Subject = ox.NamedNode | ox.BlankNode
GraphName = ox.NamedNode | ox.BlankNode | ox.DefaultGraph


@dataclass(frozen=True)
class QueryDataset:
    """The RDF dataset a query runs over (SPARQL 1.1 Protocol, section 2.1.4).

    By default the default graph is the union of every graph, so simple queries just
    work. ``default_graphs``/``named_graphs`` (from ``default-graph-uri`` and
    ``named-graph-uri``) replace that with exactly the graphs listed; ``union=False``
    leaves the dataset to the query itself (``FROM``/``FROM NAMED``).
    """

    default_graphs: tuple[str, ...] | None = None
    named_graphs: tuple[str, ...] | None = None
    union: bool = True

    @classmethod
    def for_request(cls, default_graphs: tuple[str, ...], named_graphs: tuple[str, ...],
                    query_names_dataset: bool) -> QueryDataset:
        """The protocol's dataset wins over the query's ``FROM``; else the union."""
        if default_graphs or named_graphs:
            return cls(default_graphs, named_graphs, union=False)
        return cls(union=not query_names_dataset)

    @property
    def explicit(self) -> bool:
        return self.default_graphs is not None or self.named_graphs is not None

    def as_job(self) -> dict[str, Any]:
        """JSON-ready, for a query worker (see :meth:`from_job`)."""
        if self.explicit:
            return {"union": False, "default_graph": list(self.default_graphs or ()),
                    "named_graphs": list(self.named_graphs or ())}
        return {"union": self.union, "default_graph": None, "named_graphs": None}

    @classmethod
    def from_job(cls, job: dict[str, Any]) -> QueryDataset:
        if job.get("default_graph") is not None or job.get("named_graphs") is not None:
            return cls(tuple(job.get("default_graph") or ()),
                       tuple(job.get("named_graphs") or ()), union=False)
        return cls(union=bool(job.get("union", True)))


UNION = QueryDataset()


class Store(Protocol):
    """Read-only access to one build's data."""

    #: Where a separate process can open the same data (a path, or an endpoint URL).
    location: str

    def query(self, sparql: str, dataset: QueryDataset = UNION,
              base_iri: str | None = None) -> Any:
        """SELECT/ASK solutions, a boolean, or triples (pyoxigraph result types).

        Raises SyntaxError for a malformed query, ValueError/RuntimeError/OSError when it
        cannot be evaluated.
        """
        ...

    def quads(self, subject: Subject | None = None, predicate: ox.NamedNode | None = None,
              object: ox.Term | None = None,
              graph: GraphName | None = None) -> Iterator[ox.Quad]:
        """Quads matching a pattern (None matches anything; ``graph=None``: every graph)."""
        ...

    def exists(self, iri: str) -> bool:
        """Whether ``iri`` is a subject, an object or a graph name; False for a non-IRI."""
        ...

    def named_graphs(self) -> list[ox.NamedNode]:
        """Every named graph, sorted by IRI."""
        ...

    def statistics(self, ontology_iri: str) -> dict[str, Any]:
        """Triples in all, per graph (``""`` is the default graph), entities per class."""
        ...
