"""Label search over the published entities: built with each build, read per request.

``build_search_index(dataset, path, build_id, base, ontology_iri)`` writes the index of
one build (:mod:`.extract` reads the quads, the whole dataset at once or graph by graph
with the parts of unchanged graphs from the build cache; :mod:`.index` writes the SQLite
file); :class:`SearchIndex` answers searches, suggestions and the lookups reconciliation
needs.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pyoxigraph as ox

from .extract import (
    DERIVED,
    Extract,
    Partial,
    PartialCache,
    Reuse,
    extract,
    extract_by_graph,
    partial_keys,
)
from .index import INDEX_FILE, IndexUnavailable, Item, Page, SearchIndex, write_index
from .terms import UnknownTerm, expand, resolve, short_id

__all__ = [
    "DERIVED", "Extract", "INDEX_FILE", "IndexUnavailable", "Item", "Page", "Partial",
    "PartialCache", "Reuse", "SearchIndex", "UnknownTerm", "build_search_index", "expand",
    "extract", "extract_by_graph", "partial_keys", "resolve", "short_id", "write_index",
]


def build_search_index(dataset: ox.Store, path: Path, build_id: str, base: str,
                       ontology_iri: str,
                       graph_keys: Mapping[ox.NamedNode, str] | None = None,
                       cache: PartialCache | None = None) -> Reuse | None:
    """Extract what the index needs from a build's dataset and write it to ``path``.

    With ``graph_keys`` (each named graph's content key) and a ``cache``, graph by graph,
    the parts of graphs read before coming from the cache: how that went is returned.
    Else the whole dataset at once (None)."""
    if graph_keys and cache is not None:
        found, reuse = extract_by_graph(dataset, base, ontology_iri, graph_keys, cache)
    else:
        found, reuse = extract(dataset, base, ontology_iri), None
    write_index(found, path, build_id, base)
    return reuse
