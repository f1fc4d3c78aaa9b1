"""Canonical N-Quads: the same quads always give the same bytes.

Sorted, unique lines: the form in which the build hashes what it compares from one build
to the next (the data of a SHACL run, the content of each graph of the store).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

import pyoxigraph as ox

#: How the default graph is named among the graphs of a store's record.
DEFAULT_GRAPH_KEY = ""
#: The hash of a graph without statements (the default graph of a dataset may be one).
EMPTY_GRAPH_HASH = hashlib.sha256(b"").hexdigest()


def canonical_nquads(quads: Iterable[ox.Quad]) -> bytes:
    """The quads as N-Quads, one line each, sorted and without repeats."""
    text = ox.serialize(quads, format=ox.RdfFormat.N_QUADS) or b""
    lines = sorted(set(text.splitlines()))
    return b"\n".join(lines) + b"\n" if lines else b""


def graph_key(graph: ox.NamedNode | ox.BlankNode | ox.DefaultGraph) -> str:
    return DEFAULT_GRAPH_KEY if isinstance(graph, ox.DefaultGraph) else str(graph)


def graph_of(key: str) -> ox.NamedNode | ox.BlankNode | ox.DefaultGraph:
    if key == DEFAULT_GRAPH_KEY:
        return ox.DefaultGraph()
    if key.startswith("_:"):
        return ox.BlankNode(key[2:])
    return ox.NamedNode(key.removeprefix("<").removesuffix(">"))


def graph_hashes(store: ox.Store, graphs: list | None = None) -> dict[str, str]:
    """The hash of each graph's canonical N-Quads (the default graph as ``""``), of
    ``graphs`` or of every graph."""
    if graphs is None:
        graphs = [*store.named_graphs(), ox.DefaultGraph()]
    return {graph_key(graph): hashlib.sha256(canonical_nquads(
        store.quads_for_pattern(None, None, None, graph))).hexdigest() for graph in graphs}
