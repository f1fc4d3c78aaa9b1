"""What differs between SPARQL engines, in one place.

The publisher's dataset is a default graph (descriptions of the source graphs) plus one
named graph per source, and its readers query "the union of all graphs" unless they name
a dataset. Engines keep that differently:

- **Oxigraph server** has a real default graph and, started with
  ``--union-default-graph``, answers a query without a dataset over the union of every
  graph it holds. A store holding only our graphs then needs nothing more per query.
- **Virtuoso** keeps no triple outside a named graph, and its default dataset is every
  graph it holds, its own system graphs included (``virtrdf#``: ~2,500 triples). So the
  default graph's triples live in a stand-in graph (:data:`DEFAULT_GRAPH_STANDIN`) and a
  query without a dataset is sent with the build's graphs as ``default-graph-uri`` and
  ``named-graph-uri``: the same answers as the embedded store, from a shared store.
- **Any other engine** is treated like Virtuoso (explicit dataset), the safe choice.

Virtuoso also writes blank nodes in SPARQL JSON as ``nodeID://b10018``, which is not a
blank node label; :class:`VirtuosoBlankNodes` turns them back into ``b10018``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Literal
from urllib.parse import urlsplit, urlunsplit

from .client import Rewriter

#: Where an engine without a default graph of its own keeps our default graph's triples:
#: this, then ``:`` and the publisher's base IRI (one per base, in a shared store).
DEFAULT_GRAPH_STANDIN = "urn:x-diplomacy-publisher:default-graph"

EngineName = Literal["oxigraph", "virtuoso", "generic"]


class VirtuosoBlankNodes:
    """``"type": "bnode", "value": "nodeID://b1"`` → ``"value": "b1"``, across chunks.

    The pattern cannot occur inside a JSON string (its quotes would be escaped there), so
    only blank-node values are touched. The last bytes of each chunk are held back until
    the next one, where a pattern split by the chunk boundary completes; rewriting is
    idempotent, so the held-back part may be rewritten again safely.
    """

    PATTERN = re.compile(rb'("type"\s*:\s*"bnode"\s*,\s*"value"\s*:\s*")nodeID://')
    HOLD = 128

    def __init__(self) -> None:
        self._carry = b""

    def feed(self, chunk: bytes) -> bytes:
        data = self.PATTERN.sub(rb"\1", self._carry + chunk)
        self._carry = data[-self.HOLD:]
        return data[:-self.HOLD]

    def flush(self) -> bytes:
        data, self._carry = self._carry, b""
        return data


@dataclass(frozen=True)
class Dialect:
    """How to talk to one kind of engine; see the module docstring."""

    name: EngineName
    #: Queries without a dataset already see exactly the union of our graphs.
    union_by_server: bool
    #: The graph holding our default graph's triples; None: the engine's default graph.
    default_graph: str | None
    #: The Graph Store endpoint takes N-Quads for the whole dataset in one POST.
    dataset_post: bool
    #: Factory of a rewriter for its SPARQL JSON answers, if they need one.
    json_rewriter: type[Rewriter] | None = None

    def for_base(self, base: str) -> Dialect:
        """This dialect for one publisher (base IRI): its own default graph stand-in."""
        if self.default_graph is None or not base:
            return self
        return replace(self, default_graph=f"{DEFAULT_GRAPH_STANDIN}:{base}")

    def union_dataset(self, graphs: list[str]) -> tuple[list[str], list[str]] | None:
        """Dataset parameters for a query over "all graphs", or None to send none.

        ``graphs`` are the build's named graphs; the default graph's stand-in joins the
        default graphs but not the named ones, so ``GRAPH ?g`` sees the same graphs as
        on the embedded store.
        """
        if self.union_by_server:
            return None
        defaults = list(graphs)
        if self.default_graph is not None:
            defaults.append(self.default_graph)
        return defaults, list(graphs)


OXIGRAPH = Dialect("oxigraph", union_by_server=True, default_graph=None, dataset_post=True)
VIRTUOSO = Dialect("virtuoso", union_by_server=False, default_graph=DEFAULT_GRAPH_STANDIN,
                   dataset_post=False, json_rewriter=VirtuosoBlankNodes)
GENERIC = Dialect("generic", union_by_server=False, default_graph=DEFAULT_GRAPH_STANDIN,
                  dataset_post=False)
DIALECTS: dict[str, Dialect] = {d.name: d for d in (OXIGRAPH, VIRTUOSO, GENERIC)}


def detect(server_header: str) -> Dialect:
    """The dialect for a store, from the ``Server`` header of its answers."""
    server = server_header.lower()
    if server.startswith("oxigraph"):
        return OXIGRAPH
    if server.startswith("virtuoso"):
        return VIRTUOSO
    return GENERIC


def graph_store_url(dialect: Dialect, update_url: str) -> str | None:
    """The Graph Store endpoint beside an update endpoint, where the engine has one."""
    if dialect.name == "oxigraph":
        parts = urlsplit(update_url)
        path = parts.path.rsplit("/", 1)[0] + "/store"
        return urlunsplit((parts.scheme, parts.netloc, path, "", ""))
    return None
