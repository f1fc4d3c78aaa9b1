"""Label search over the published entities: built with each build, read per request.

``build_search_index(dataset, path, build_id, base, ontology_iri)`` writes the index of
one build (:mod:`.extract` reads the quads, :mod:`.index` writes the SQLite file);
:class:`SearchIndex` answers searches, suggestions and the lookups reconciliation needs.
"""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox

from .extract import DERIVED, Extract, extract
from .index import INDEX_FILE, IndexUnavailable, Item, Page, SearchIndex, write_index
from .terms import UnknownTerm, expand, resolve, short_id

__all__ = [
    "DERIVED", "Extract", "INDEX_FILE", "IndexUnavailable", "Item", "Page", "SearchIndex",
    "UnknownTerm", "build_search_index", "expand", "extract", "resolve", "short_id",
    "write_index",
]


def build_search_index(dataset: ox.Store, path: Path, build_id: str, base: str,
                       ontology_iri: str) -> Path:
    """Extract what the index needs from a build's dataset and write it to ``path``."""
    return write_index(extract(dataset, base, ontology_iri), path, build_id, base)
