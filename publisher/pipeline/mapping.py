"""Stage 2: turn fact files into RDF quads with the declarative JSON-LD 1.1 context.

Each YAML file *is* a JSON-LD document once ``mappings/context.jsonld`` is attached: its
``id`` names the graph, its ``facts`` become that named graph (``facts`` is an alias of
``@graph``), and its other keys describe the graph itself. No field is mapped in Python.
The context is attached inline, so the parser never fetches a remote context.
"""

from __future__ import annotations

import hashlib
import json
import pickle
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from .facts import FactFile, ReadLimits
from .inputs import InputError, find_inputs, read_input

_MAX_BYTES = ReadLimits.max_file_bytes


class MappingError(ValueError):
    """A fact file the JSON-LD processor rejects; the message names the file."""


@dataclass(frozen=True)
class Remembered:
    """A fact file as the mapping cache kept it: pickled, with what a build asks of
    every file (its records counted, its graph's type), so that the file is unpickled
    only when its records are needed (a problem to locate, counts to make again). At
    1M, unpickling the 1,533 files a rebuild does not change took 0.7-1.4 s."""

    pickled: bytes
    path: Path
    records: int
    kind: str | None  # the ``type`` of the file's graph (``SourceGraph``, ...)


@dataclass(frozen=True)
class MappedFile:
    """One fact file and its quads: given as quads, or as the N-Quads the mapping cache
    kept, parsed on first use. After a small change most files are neither derived nor
    summarised again (both are remembered), so most are never parsed: a million quads
    made into Python objects for nothing cost a rebuild 1.7 s."""

    fact: FactFile | Remembered
    graph: ox.NamedNode
    mapped: list[ox.Quad] | bytes
    # The key of the file's entry in the mapping cache (:mod:`.build_cache`), "" without.
    cache_key: str = ""

    @cached_property
    def fact_file(self) -> FactFile:
        if isinstance(self.fact, Remembered):
            found: FactFile = pickle.loads(self.fact.pickled)  # checked when read
            found.path = self.fact.path  # the entry may come from a copy elsewhere
            return found
        return self.fact

    @property
    def record_count(self) -> int:
        return self.fact.records if isinstance(self.fact, Remembered) \
            else len(self.fact.records)

    @property
    def graph_type(self) -> str | None:
        """The ``type`` the file gives its graph."""
        if isinstance(self.fact, Remembered):
            return self.fact.kind
        kind = self.fact.document.get("type")
        return str(kind) if kind is not None else None

    @cached_property
    def quads(self) -> list[ox.Quad]:
        if isinstance(self.mapped, bytes):  # blank node labels are the mapping's own
            return list(ox.parse(self.mapped, format=ox.RdfFormat.N_QUADS,
                                 rename_blank_nodes=False))
        return self.mapped


def load_context(mappings_dir: Path, root: Path | None = None,
                 max_bytes: int = _MAX_BYTES) -> dict[str, Any]:
    path = mappings_dir / "context.jsonld"
    try:
        text = read_input(path, root or mappings_dir.parent, max_bytes)
        context = json.loads(text)["@context"]
    except InputError as error:
        raise MappingError(str(error)) from error
    except (ValueError, KeyError, TypeError) as error:
        raise MappingError(f"{path}: not a JSON-LD context document: {error}") from error
    if not isinstance(context, dict):
        raise MappingError(f"{path}: `@context` must be one object (no remote contexts)")
    return context


def to_jsonld(fact_file: FactFile, context: dict[str, Any], shown_path: str) -> dict[str, Any]:
    """The JSON-LD document for one file: the file itself plus the shared context."""
    return {"@context": context, "curatedFrom": shown_path, **fact_file.document}


def map_file(fact_file: FactFile, context: dict[str, Any], base: str,
             shown_path: str) -> MappedFile:
    document = to_jsonld(fact_file, context, shown_path)
    payload = json.dumps(document, ensure_ascii=False).encode("utf-8")
    graph = ox.NamedNode(_resolve_graph(fact_file.graph_id, base))
    try:
        # Labelled by the file, not the graph: the files of the reference graph share
        # one graph, and their blank nodes must stay apart.
        quads = stable_blank_nodes(
            ox.parse(payload, format=ox.RdfFormat.JSON_LD, base_iri=base), shown_path)
    except SyntaxError as error:
        raise MappingError(f"{shown_path}: JSON-LD mapping failed: {error}") from error
    stray = [q for q in quads
             if not isinstance(q.graph_name, ox.DefaultGraph) and q.graph_name != graph]
    if stray:
        raise MappingError(f"{shown_path}: facts must not name other graphs ({stray[0]})")
    return MappedFile(fact_file, graph, quads)


def stable_blank_nodes(quads: Iterable[ox.Quad], scope: str) -> list[ox.Quad]:
    """The quads with blank nodes labelled by ``scope`` and order of first appearance.

    Parsers label blank nodes at random, so the same file would give different labels
    (and different bytes of every document and dump) in each build. The parser's order
    is deterministic; labels from it and from the file's identity are too, and stay
    unique across files.
    """
    prefix = "b" + hashlib.sha256(scope.encode("utf-8")).hexdigest()[:10] + "x"
    labels: dict[str, ox.BlankNode] = {}

    def stable(term):
        if isinstance(term, ox.BlankNode):
            found = labels.get(term.value)
            if found is None:
                found = labels[term.value] = ox.BlankNode(f"{prefix}{len(labels)}")
            return found
        return term

    return [ox.Quad(stable(q.subject), q.predicate, stable(q.object), stable(q.graph_name)
                    if isinstance(q.graph_name, ox.BlankNode) else q.graph_name)
            for q in quads]


def _resolve_graph(graph_id: str, base: str) -> str:
    from urllib.parse import urljoin

    return urljoin(base + "id/", graph_id)


def shown_path(path: Path, root: Path) -> str:
    """The path as reports show it: relative to the project when it is inside it."""
    return str(path.relative_to(root)) if path.is_relative_to(root) else str(path)


def parse_turtle_dir(folder: Path, base: str, graph: ox.NamedNode | None,
                     root: Path | None = None, max_bytes: int = _MAX_BYTES) -> list[ox.Quad]:
    """Ontology and shapes are Turtle with relative IRIs, resolved against the base."""
    quads: list[ox.Quad] = []
    root = root or folder.parent
    try:
        paths = [p for p in find_inputs(folder, root, (".ttl",)) if p.parent == folder]
    except InputError as error:
        raise MappingError(str(error)) from error
    for path in paths:
        try:
            data = read_input(path, root, max_bytes)
        except InputError as error:
            raise MappingError(str(error)) from error
        try:
            triples = ox.parse(data, format=ox.RdfFormat.TURTLE, base_iri=base)
            quads.extend(stable_blank_nodes(
                (ox.Quad(t.subject, t.predicate, t.object, graph or ox.DefaultGraph())
                 for t in triples), f"{folder.name}/{path.name}"))
        except SyntaxError as error:
            raise MappingError(f"{path}: {error}") from error
    if not quads:
        raise MappingError(f"{folder}: no Turtle files found")
    return [_resolve_namespace_literal(q, base) for q in quads]


SH_NAMESPACE = "http://www.w3.org/ns/shacl#namespace"


def _resolve_namespace_literal(quad: ox.Quad, base: str) -> ox.Quad:
    """``sh:namespace "ontology#"`` is a literal, so Turtle cannot resolve it; we do.

    SHACL-SPARQL prefixes must be absolute, and ours depend on the deployment's base.
    """
    if quad.predicate.value != SH_NAMESPACE or not isinstance(quad.object, ox.Literal):
        return quad
    value = quad.object.value
    if "://" in value:
        return quad
    from urllib.parse import urljoin

    # urljoin drops an empty fragment ("ontology#" -> ".../ontology"): keep the "#".
    resolved_iri = urljoin(base, value.rstrip("#")) + ("#" if value.endswith("#") else "")
    resolved = ox.Literal(resolved_iri, datatype=quad.object.datatype)
    return ox.Quad(quad.subject, quad.predicate, resolved, quad.graph_name)
