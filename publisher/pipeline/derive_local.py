"""Whether ``mappings/derive.ru`` can be applied to each source file alone.

The derivation rules are applied to the union of every mapped file. Applied to one
file's quads at a time instead, they give the same result (the union of the per-file
results is the union's result) when every rule reads and writes one graph ``?g`` and
nothing else: then a rule never joins what two files say. That lets a build derive each
file in the mapping workers, in parallel, and remember the derived quads with the file's
mapping, so a rebuild after a change to one file derives that file only.

Nothing trusts the rules to be written that way: :func:`not_graph_local` checks it on the
SPARQL algebra, conservatively (whatever it does not recognise counts as not local), and
:func:`files_not_local` checks the data side (no two files share a graph; what a file
states in the default graph is about its own graph only, which is how a rule may read a
graph's description: ``?g prov:wasDerivedFrom ?article``). When either says no, the build
derives over the union as before.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from itertools import chain
from pathlib import Path
from typing import NamedTuple

import pyoxigraph as ox
from rdflib import BNode, Variable
from rdflib.paths import Path as RdfPath
from rdflib.plugins.sparql.algebra import translateUpdate
from rdflib.plugins.sparql.parser import parseUpdate
from rdflib.plugins.sparql.parserutils import CompValue

from .build_cache import Entries
from .nquads import canonical_nquads

#: Algebra nodes that combine solutions across graphs (aggregates, sub-queries, limits)
#: or reach outside the data (SERVICE): a rule using one is not proven local.
NOT_LOCAL = {"Group", "AggregateJoin", "Project", "Distinct", "Reduced", "Slice", "OrderBy",
             "ServiceGraphPattern", "SubSelect", "SelectQuery", "Aggregate_Count",
             "Aggregate_Sum", "Aggregate_Min", "Aggregate_Max", "Aggregate_Avg",
             "Aggregate_Sample", "Aggregate_GroupConcat"}
#: Graph patterns in the two forms rdflib leaves them (translated, and inside EXISTS).
GRAPH_NODES = {"Graph", "GraphGraphPattern"}
TRIPLE_NODES = {"BGP", "TriplesBlock"}


class _NotLocal(Exception):
    pass


def not_graph_local(text: str, base: str) -> str | None:
    """None when every operation of the update is proven to read and write one graph
    ``?g`` only; else why not (for the build's report)."""
    try:
        update = translateUpdate(parseUpdate(text), base=base)
    except Exception as error:  # the union derivation reports real syntax errors
        return f"not analysed ({type(error).__name__})"
    try:
        for number, operation in enumerate(update.algebra, 1):
            try:
                _operation(operation)
            except _NotLocal as why:
                raise _NotLocal(f"operation {number}: {why}") from None
    except _NotLocal as why:
        return str(why)
    return None


def _get(node: CompValue, key: str) -> object:
    """The value at ``key`` or None (``CompValue.get`` returns the key when it is missing)."""
    return dict.get(node, key)


def _operation(op: CompValue) -> None:
    if op.name != "Modify":
        raise _NotLocal(f"{op.name} is not a DELETE/INSERT … WHERE")
    if _get(op, "withClause") is not None or _get(op, "using"):
        raise _NotLocal("WITH or USING")
    graph: Variable | None = None
    for clause in (_get(op, "delete"), _get(op, "insert")):
        if clause is None:
            continue
        if _get(clause, "triples"):
            raise _NotLocal("a template writes the default graph")
        for term, triples in (_get(clause, "quads") or {}).items():
            if not isinstance(term, Variable) or (graph is not None and term != graph):
                raise _NotLocal("templates write more than one graph")
            graph = term
            if any(isinstance(t, BNode) for triple in triples for t in triple):
                raise _NotLocal("a template makes blank nodes")
    if graph is None:
        raise _NotLocal("no GRAPH ?g template")
    _pattern(_get(op, "where"), graph, inside=False)


def _pattern(node: object, graph: Variable, inside: bool) -> None:
    if isinstance(node, CompValue):
        if node.name in NOT_LOCAL:
            raise _NotLocal(node.name)
        if node.name in GRAPH_NODES:
            if _get(node, "term") != graph:
                raise _NotLocal("a GRAPH pattern on another graph")
            _pattern(_get(node, "p") if "p" in node else _get(node, "graph"), graph, True)
            return
        if node.name == "Extend" and _get(node, "var") == graph:
            raise _NotLocal("BIND to the graph variable")
        if node.name == "values" and any(graph in row for row in _get(node, "res") or []):
            raise _NotLocal("VALUES for the graph variable")
        if node.name in TRIPLE_NODES and not inside:
            _default_graph(_get(node, "triples") or [], graph)
        for key, value in node.items():
            if key != "triples":
                _pattern(value, graph, inside)
    elif isinstance(node, list | tuple | set):
        for item in node:
            _pattern(item, graph, inside)
    elif isinstance(node, dict):
        for item in node.values():
            _pattern(item, graph, inside)


def _default_graph(triples: Iterable, graph: Variable) -> None:
    """Outside GRAPH ?g only statements about ?g itself may be read (its description)."""
    for triple in triples:
        if not isinstance(triple, tuple) or len(triple) != 3:
            raise _NotLocal("a default-graph pattern not analysed")  # parser form
        subject, predicate, _object = triple
        if subject != graph or isinstance(predicate, RdfPath):
            raise _NotLocal("a default-graph pattern about something other than ?g")


def files_not_local(graphs_and_quads: Iterable[tuple[ox.NamedNode, Iterable[ox.Quad]]]
                    ) -> str | None:
    """None when no two files share a graph and each file's default-graph quads are
    about its own graph; else the first file that breaks it."""
    seen: set[ox.NamedNode] = set()
    for graph, quads in graphs_and_quads:
        if graph in seen:
            return f"two files map to the graph {graph.value}"
        seen.add(graph)
        for quad in quads:
            if isinstance(quad.graph_name, ox.DefaultGraph) and quad.subject != graph:
                return f"the file of {graph.value} states something in the default graph " \
                    f"about {quad.subject}"
            if not isinstance(quad.graph_name, ox.DefaultGraph) and quad.graph_name != graph:
                return f"the file of {graph.value} writes the graph {quad.graph_name}"
    return None


def derive_one(quads: list[ox.Quad], rules: str, base: str) -> list[ox.Quad]:
    """The rules applied to one file's quads, in memory."""
    work = ox.Store()
    work.bulk_extend(quads)
    work.update(rules, base_iri=base)
    return list(work)


class ByGraph(NamedTuple):
    """The dataset derived graph by graph, and what the derivation learned on the way."""

    dataset: ox.Store
    #: Per graph, a key of its content and description: the same key, the same graph.
    keys: dict[ox.NamedNode, str]
    #: Graphs whose derived N-Quads hold no blank node (``_:``), seen in the bytes
    #: remembered or written: validation need not look for one in them again.
    blank_free: set[ox.NamedNode]


def derive_by_graph(mapped: list, rules: str, base: str, entries: Entries | None
                    ) -> ByGraph | None:
    """The derived dataset, with each graph's result remembered in ``entries`` under the
    mapping-cache keys of its files (which cover ``mappings/``, the rules too) and the
    rules' text: only the graphs with no remembered result are derived (together, in one
    update), the others are read back. None when the data does not let a graph be derived
    alone (the caller then derives the union). A graph may span several files, as the
    reference graph does. The caller has proven the rules local (:func:`not_graph_local`).
    """
    groups: dict[ox.NamedNode, list] = {}
    for item in mapped:
        groups.setdefault(item.graph, []).append(item)
    salt = hashlib.sha256(f"derived per graph\n{base}\n{rules}".encode()).digest()
    remembered: list[bytes] = []
    keys: dict[ox.NamedNode, str] = {}
    blank_free: set[ox.NamedNode] = set()
    todo: dict[ox.NamedNode, str | None] = {}
    for graph, files in groups.items():
        key = None
        if entries is not None and entries.folder is not None \
                and all(f.cache_key for f in files):
            digest = hashlib.sha256(salt)
            for item in files:
                digest.update(item.cache_key.encode() + b"\0")
            keys[graph] = key = digest.hexdigest()
            cached = entries.get(key)
            if cached is not None:
                remembered.append(cached)
                if b"_:" not in cached:
                    blank_free.add(graph)
                continue
        todo[graph] = key
    work = ox.Store()
    for graph in todo:
        quads = [quad for item in groups[graph] for quad in item.quads]
        if files_not_local([(graph, quads)]) is not None:
            return None
        work.bulk_extend(quads)
    if todo:
        try:
            work.update(rules, base_iri=base)
        except (SyntaxError, ValueError, OSError):
            return None  # the union derivation reports it
    for graph, key in todo.items():
        if key is not None:
            derived = ox.serialize(
                chain(work.quads_for_pattern(None, None, None, graph),
                      work.quads_for_pattern(graph, None, None, ox.DefaultGraph())),
                format=ox.RdfFormat.N_QUADS) or b""
            entries.put(key, derived)
            if b"_:" not in derived:
                blank_free.add(graph)
    if remembered:
        # Lenient (IRIs not checked again: 30% faster): the entries are this module's
        # own serializer's output, written whole or not at all (renamed into place); an
        # entry damaged on disk since is read as it is unless its syntax breaks.
        data = b"".join(remembered)
        try:
            if b"_:" in data:  # blank nodes (or that text in a literal): labels kept
                work.bulk_extend(ox.parse(data, format=ox.RdfFormat.N_QUADS,
                                          rename_blank_nodes=False, lenient=True))
            else:  # none to rename: the native loader, no Python object per quad
                # (a million quads in 4.7-5.0 s instead of 6.3-7.0 s, on a busy machine)
                work.load(data, format=ox.RdfFormat.N_QUADS, lenient=True)
        except (SyntaxError, ValueError):
            return None  # a damaged entry: derive the union, as with no cache (the
            # half-filled store is dropped with it)
    return ByGraph(work, keys, blank_free)


def proven_graph_local(rules: str, base: str, entries: Entries | None) -> bool:
    """:func:`not_graph_local` is None, the verdict remembered in ``entries`` under the
    rules, the base and this module's own source (parsing the rules with rdflib's SPARQL
    parser takes seconds; the verdict depends on nothing else)."""
    digest = hashlib.sha256(b"graph-local verdict\n" + Path(__file__).read_bytes())
    digest.update(f"\n{base}\n{rules}".encode())
    key = digest.hexdigest()
    remembered = entries.get(key) if entries is not None else None
    if remembered in (b"local", b"not local"):
        return remembered == b"local"
    local = not_graph_local(rules, base) is None
    if entries is not None:
        entries.put(key, b"local" if local else b"not local")
    return local


def content_keys(keys: dict[ox.NamedNode, str], added: list[ox.Quad]
                 ) -> dict[ox.NamedNode, str]:
    """Each derived graph's key (:func:`derive_by_graph`) with the quads added to it after
    the derivation (ISO codes) folded in: the same key, the same content and description
    of that graph in the dataset. Empty without keys."""
    if not keys:
        return {}
    extra: dict[ox.NamedNode, list[ox.Quad]] = {}
    for quad in added:
        if isinstance(quad.graph_name, ox.NamedNode):
            extra.setdefault(quad.graph_name, []).append(quad)
        else:
            return {}  # not one graph's: no key can say what it changes
    out = {}
    for graph, key in keys.items():
        digest = hashlib.sha256(key.encode())
        digest.update(canonical_nquads(extra.pop(graph, [])))
        out[graph] = digest.hexdigest()
    if extra:
        return {}  # added to a graph no file maps
    return out
