"""Blue/green loading of a build into a remote store: readers never see it half-done.

Two ways, by what the engine's readers see (see :mod:`.dialects`):

- :class:`BlueGreenLoader`, for stores queried with an explicit dataset (Virtuoso, any
  engine): a fresh set of graphs inside the one store, steps 1–4 below.
- :class:`SlotLoader`, for stores that answer "all graphs" themselves (the Oxigraph
  server with ``--union-default-graph``): there a staging graph would be seen by every
  reader, so the fresh copy is a whole second store (the idle one of two *slots*),
  cleared, loaded in one transaction and counted; the switch is the web tier reading the
  new slot's URL from the build record, and the old slot keeps answering requests that
  started on the old build until the next load.

Steps of :class:`BlueGreenLoader`:

1. **Stage.** Every graph of the new build is written under a fresh staging name
   (``urn:x-diplomacy-publisher:staging:<build id>:<graph IRI>``; the default graph
   under ``…:default``), which no reader queries: the live graphs are not touched.
   How depends on the engine (:class:`Stager`): one Graph Store POST of N-Quads for the
   Oxigraph server, ``INSERT DATA`` requests for any SPARQL Update endpoint, or
   Virtuoso's bulk loader (:mod:`.virtuoso`).
2. **Verify.** The staged graphs are counted by the store itself and compared with the
   build's own count per graph. Any difference, or any error before this point, drops
   the staging graphs and raises :class:`LoadFailed`; the served data is untouched.
3. **Switch.** One SPARQL Update request drops our graphs that the new build no longer
   has and ``MOVE``s each staging graph onto its live name. An update request is one
   transaction on the Oxigraph server (readers see the old dataset or the new one), and
   on Virtuoso 7.2 readers were never seen between the two (tests/remote).
4. **Check.** The live graphs are counted again.

What counts as "our graphs": the previous build's graphs (given by the caller from its
build record) and every graph under the publisher's base IRI; a shared store's other
graphs are never touched.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Protocol

import pyoxigraph as ox

from .client import SparqlClient, StoreError, graphs_clause
from .dialects import GENERIC, Dialect

_UNUSED = GENERIC  # counting graphs needs no dialect

STAGING_PREFIX = "urn:x-diplomacy-publisher:staging:"
#: ``INSERT DATA`` requests are cut after about this many bytes of N-Quads.
INSERT_BATCH_BYTES = 4 * 1024 * 1024
DEFAULT = ""  # the default graph's key in per-graph counts (as in the build record)


class LoadFailed(RuntimeError):
    """The new build could not be loaded; the served data was left as it was."""

    def __init__(self, stage: str, message: str) -> None:
        super().__init__(f"{stage}: {message}")
        self.stage = stage
        self.message = message


def staging_graph(build_id: str, graph: str) -> str:
    return f"{STAGING_PREFIX}{build_id}:{graph or 'default'}"


def graph_key(quad: ox.Quad) -> str:
    name = quad.graph_name
    return name.value if isinstance(name, ox.NamedNode) else DEFAULT


def restage(quads: Iterable[ox.Quad], build_id: str) -> Iterator[ox.Quad]:
    """The build's quads with every graph renamed to its staging name."""
    names: dict[str, ox.NamedNode] = {}
    for quad in quads:
        key = graph_key(quad)
        node = names.get(key)
        if node is None:
            node = names[key] = ox.NamedNode(staging_graph(build_id, key))
        yield ox.Quad(quad.subject, quad.predicate, quad.object, node)


class Stager(Protocol):
    """Writes the staged quads into the store (step 1)."""

    def __call__(self, quads: Iterable[ox.Quad]) -> None: ...


def graph_store_stager(client: SparqlClient) -> Stager:
    """All quads in one Graph Store POST of N-Quads (the Oxigraph server's ``/store``).

    One request keeps blank nodes shared between graphs one node, and is one
    transaction: a load cut halfway leaves no partial staging graph.
    """

    def stage(quads: Iterable[ox.Quad]) -> None:
        body = ox.serialize(quads, format=ox.RdfFormat.N_QUADS)
        client.post_data(body, "application/n-quads")

    return stage


def update_stager(client: SparqlClient, batch_bytes: int = INSERT_BATCH_BYTES) -> Stager:
    """``INSERT DATA`` requests, any SPARQL 1.1 Update endpoint.

    A blank node is scoped to one request, so graphs that share a blank node go in the
    same request; otherwise requests are cut at about ``batch_bytes``, between graphs.
    A request with blank nodes is sent as ``INSERT { … } WHERE {}`` (the same triples,
    the same fresh blank nodes), because Virtuoso refuses blank nodes in ``INSERT DATA``
    (SP031 "not allowed in a constant clause") although SPARQL 1.1 allows them.
    """

    def stage(quads: Iterable[ox.Quad]) -> None:
        for group in _batches(_groups(quads), batch_bytes):
            if "_:" in group:  # a literal may contain "_:" too: then the safe form anyway
                client.update("INSERT {\n" + group + "} WHERE {}")
            else:
                client.update("INSERT DATA {\n" + group + "}")

    return stage


def _groups(quads: Iterable[ox.Quad]) -> list[list[ox.Quad]]:
    """Quads by graph, graphs joined when a blank node links them (union-find)."""
    by_graph: dict[str, list[ox.Quad]] = {}
    parent: dict[str, str] = {}

    def find(key: str) -> str:
        while parent.setdefault(key, key) != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    owner: dict[str, str] = {}
    for quad in quads:
        graph = quad.graph_name.value  # staged: always a named graph
        by_graph.setdefault(graph, []).append(quad)
        find(graph)
        for term in (quad.subject, quad.object):
            if isinstance(term, ox.BlankNode):
                first = owner.setdefault(term.value, graph)
                if first != graph:
                    parent[find(graph)] = find(first)
    groups: dict[str, list[ox.Quad]] = {}
    for graph, members in by_graph.items():
        groups.setdefault(find(graph), []).extend(members)
    return list(groups.values())


def _batches(groups: list[list[ox.Quad]], batch_bytes: int) -> Iterator[str]:
    pending: list[str] = []
    size = 0
    for group in groups:
        text = _graph_blocks(group)
        if pending and size + len(text) > batch_bytes:
            yield "".join(pending)
            pending, size = [], 0
        pending.append(text)
        size += len(text)
    if pending:
        yield "".join(pending)


def _graph_blocks(quads: list[ox.Quad]) -> str:
    by_graph: dict[str, list[ox.Triple]] = {}
    for quad in quads:
        by_graph.setdefault(quad.graph_name.value, []).append(quad.triple)
    blocks = []
    for graph, triples in by_graph.items():
        body = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES).decode()
        blocks.append(f"GRAPH <{graph}> {{\n{body}}}\n")
    return "".join(blocks)


@dataclass
class LoadReport:
    """What a load did, for the build's summary and record."""

    build_id: str
    graphs: dict[str, int]
    dropped: list[str]
    timings: dict[str, float] = field(default_factory=dict)


class Switcher(Protocol):
    """Replaces live graphs by staging graphs at once (step 3): drops, then (staging, live)
    moves; a live name of None is the engine's default graph."""

    def __call__(self, drops: list[str], moves: list[tuple[str, str | None]]) -> None: ...


def update_switcher(client: SparqlClient) -> Switcher:
    """One SPARQL Update request of ``DROP``s and ``MOVE``s: one transaction on the
    Oxigraph server; *not* on Virtuoso (see :func:`.virtuoso.sql_switcher`)."""

    def switch(drops: list[str], moves: list[tuple[str, str | None]]) -> None:
        operations = [f"DROP SILENT GRAPH <{graph}>" for graph in drops]
        for staging, live in moves:
            destination = "DEFAULT" if live is None else f"GRAPH <{live}>"
            operations.append(f"MOVE SILENT GRAPH <{staging}> TO {destination}")
        client.update(" ;\n".join(operations))

    return switch


class BlueGreenLoader:
    """Steps 1–4 of the module docstring for one store."""

    def __init__(self, client: SparqlClient, dialect: Dialect, stager: Stager, *,
                 base: str, switcher: Switcher | None = None,
                 log: Callable[[str], None] = lambda _line: None) -> None:
        self.client = client
        self.dialect = dialect.for_base(base)
        self.stager = stager
        self.switcher = switcher or update_switcher(client)
        self.base = base
        self.log = log

    def live_name(self, graph: str) -> str | None:
        """The IRI a build graph is kept under in this store; None: the default graph."""
        if graph == DEFAULT:
            return self.dialect.default_graph
        return graph

    def load(self, quads: Iterable[ox.Quad], build_id: str, expected: Mapping[str, int],
             previous_graphs: Iterable[str] = ()) -> LoadReport:
        timings: dict[str, float] = {}
        started = time.perf_counter()
        try:
            self._drop_leftover_staging()
            self.log("stage: writing the new build beside the live one")
            self.stager(restage(quads, build_id))
            timings["stage"] = time.perf_counter() - started
            self._verify(build_id, expected)
            timings["verify"] = time.perf_counter() - started - timings["stage"]
        except (StoreError, RuntimeError, ValueError, OSError) as error:
            self._drop_staging(build_id, expected)
            if isinstance(error, LoadFailed):
                raise
            message = error.message if isinstance(error, StoreError) else str(error)
            raise LoadFailed("stage", message) from None
        dropped = self._switch(build_id, expected, previous_graphs)
        switched = time.perf_counter()
        self._check_live(expected)
        timings["switch"] = switched - started - timings["stage"] - timings["verify"]
        timings["total"] = time.perf_counter() - started
        return LoadReport(build_id, dict(expected), dropped, timings)

    # -- steps

    def counts(self, graphs: Iterable[str]) -> dict[str, int]:
        """Triples per graph as the store counts them (graphs without triples: absent)."""
        graphs = list(graphs)
        if not graphs:
            return {}
        rows = self.client.select(
            "SELECT ?g (COUNT(*) AS ?n) WHERE { VALUES ?g { " + graphs_clause(graphs)
            + " } GRAPH ?g { ?s ?p ?o } } GROUP BY ?g", timeout_s=600.0)
        return {row["g"].value: int(row["n"].value) for row in rows if row["g"] is not None}

    def _verify(self, build_id: str, expected: Mapping[str, int]) -> None:
        self.log("verify: counting the staged graphs")
        staged = self.counts(staging_graph(build_id, graph) for graph in expected)
        wrong = [f"{graph or '(default graph)'}: {staged.get(staging_graph(build_id, graph), 0)}"
                 f" staged, {count} built"
                 for graph, count in sorted(expected.items())
                 if staged.get(staging_graph(build_id, graph), 0) != count]
        if wrong:
            raise LoadFailed("verify", "the store holds other counts than the build: "
                             + "; ".join(wrong[:10]))

    def our_graphs(self, previous: Iterable[str]) -> set[str]:
        """Live graphs that belong to the publisher (see the module docstring)."""
        rows = self.client.select(
            "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } FILTER(STRSTARTS(STR(?g), "
            + _string(self.base) + ")) }", timeout_s=600.0)
        found = {row["g"].value for row in rows if row["g"] is not None}
        return found | set(previous)

    def _switch(self, build_id: str, expected: Mapping[str, int],
                previous: Iterable[str]) -> list[str]:
        live = {self.live_name(graph) for graph in expected}
        stale = sorted(g for g in self.our_graphs(previous) if g not in live and g)
        drops = list(stale)
        if DEFAULT not in expected and self.dialect.default_graph is not None:
            drops.append(self.dialect.default_graph)
        moves = [(staging_graph(build_id, graph), self.live_name(graph))
                 for graph in sorted(expected)]
        self.log(f"switch: {len(drops)} graphs dropped, {len(moves)} moved in, at once")
        try:
            self.switcher(drops, moves)
        except (StoreError, RuntimeError) as error:
            self._drop_staging(build_id, expected)
            message = error.message if isinstance(error, StoreError) else str(error)
            raise LoadFailed("switch", message) from None
        return stale

    def _check_live(self, expected: Mapping[str, int]) -> None:
        """Count the live graphs again (a real default graph cannot be counted alone
        where the server makes it the union; it was counted while staged)."""
        named = {g: n for g, n in expected.items() if self.live_name(g) is not None}
        live = self.counts(self.live_name(g) or "" for g in named)
        wrong = [g for g, n in named.items() if live.get(self.live_name(g) or "", 0) != n]
        if wrong:
            raise LoadFailed("check", "after the switch the store holds other counts than "
                             "the build for: " + ", ".join(sorted(wrong)[:10]))

    def _drop_staging(self, build_id: str, expected: Mapping[str, int]) -> None:
        operations = [f"DROP SILENT GRAPH <{staging_graph(build_id, g)}>" for g in expected]
        try:
            if operations:
                self.client.update(" ;\n".join(operations))
        except StoreError as error:
            self.log(f"could not drop the staging graphs: {error.message}")

    def _drop_leftover_staging(self) -> None:
        """Staging graphs of earlier loads that died before cleaning up."""
        rows = self.client.select(
            "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } FILTER(STRSTARTS(STR(?g), "
            + _string(STAGING_PREFIX) + ")) }", timeout_s=600.0)
        leftovers = [row["g"].value for row in rows if row["g"] is not None]
        if leftovers:
            self.log(f"dropping {len(leftovers)} staging graphs left by an earlier load")
            self.client.update(" ;\n".join(f"DROP SILENT GRAPH <{g}>" for g in leftovers))


def _string(text: str) -> str:
    return str(ox.Literal(text))


class SlotLoader:
    """Load the idle one of two stores, count it, and say which one now holds the build.

    ``slots`` maps a slot's query URL to (client, stager). ``live`` is the slot the served
    build reads (from its build record), never touched; any other slot is cleared and
    loaded. A failure leaves the live slot as it was (the idle one may be half-loaded;
    nobody reads it). The caller publishes the returned slot in the new build record.
    """

    def __init__(self, slots: Mapping[str, tuple[SparqlClient, Stager]],
                 log: Callable[[str], None] = lambda _line: None) -> None:
        if len(slots) < 2:
            raise ValueError("blue/green over whole stores needs two store slots")
        self.slots = dict(slots)
        self.log = log

    def idle(self, live: str | None) -> str:
        for url in self.slots:
            if url != live:
                return url
        raise ValueError("no idle slot")  # pragma: no cover - two slots, one live

    def load(self, quads: Iterable[ox.Quad], build_id: str, expected: Mapping[str, int],
             live: str | None) -> tuple[str, LoadReport]:
        target = self.idle(live)
        client, stager = self.slots[target]
        started = time.perf_counter()
        try:
            self.log(f"stage: clearing and loading the idle store {target}")
            client.update("DROP SILENT ALL")
            stager(quads)
            staged = time.perf_counter()
            self.log("verify: counting the idle store")
            named = [g for g in expected if g]
            found = BlueGreenLoader(client, _UNUSED, stager, base="").counts(named)
            rows = client.select("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", timeout_s=600.0)
        except (StoreError, RuntimeError, ValueError, OSError) as error:
            message = error.message if isinstance(error, StoreError) else str(error)
            raise LoadFailed("stage", message) from None
        total = int(rows[0]["n"].value) if rows else 0
        wrong = [f"{g}: {found.get(g, 0)} loaded, {n} built" for g, n in sorted(expected.items())
                 if g and found.get(g, 0) != n]
        if total != sum(expected.values()):
            wrong.append(f"all graphs: {total} loaded, {sum(expected.values())} built")
        if wrong:
            raise LoadFailed("verify", "the store holds other counts than the build: "
                             + "; ".join(wrong[:10]))
        timings = {"stage": staged - started, "verify": time.perf_counter() - staged}
        timings["total"] = time.perf_counter() - started
        return target, LoadReport(build_id, dict(expected), [], timings)
