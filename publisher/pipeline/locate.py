"""Point each SHACL result at the file and record a person must edit.

A focus node may be described by several files (an event that three sources report);
when the graph at fault is known (each source is validated on its own) or the offending
value is, only the files whose graph states it are named. A nested focus node (a
participation, an interval: ``event#participation-…`` once the derivation rules have
named it, or a blank node before) is traced up to the named record that contains it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from urllib.parse import urljoin

import pyoxigraph as ox

from .facts import Record
from .mapping import MappedFile
from .shacl import ShaclResult


@dataclass(frozen=True)
class Location:
    file: str
    line: int
    record: str | None

    def __str__(self) -> str:
        record = f" (record {self.record})" if self.record else ""
        return f"{self.file}:{self.line}{record}"


class Locator:
    def __init__(self, mapped: list[MappedFile], id_base: str) -> None:
        self._records: dict[str, list[tuple[ox.NamedNode, Record]]] = defaultdict(list)
        self._parents: dict[str, str] = {}
        self._by_graph: dict[ox.NamedNode, MappedFile] = {}
        self._quads: dict[tuple[str, str], list[tuple[str, ox.NamedNode]]] = defaultdict(list)
        for mapped_file in mapped:
            self._by_graph[mapped_file.graph] = mapped_file
            for record in mapped_file.fact_file.records:
                if record.id is not None:
                    iri = urljoin(id_base, record.id)
                    self._records[iri].append((mapped_file.graph, record))
            for quad in mapped_file.quads:
                if isinstance(quad.object, ox.BlankNode):
                    self._parents.setdefault(quad.object.value, _key(quad.subject))
                self._quads[(_key(quad.subject), quad.predicate.value)].append(
                    (_value(quad.object), mapped_file.graph))

    def _owner(self, focus: str, is_blank: bool) -> str:
        """The named subject a nested node hangs from (its record), else the node itself."""
        if not is_blank and "#" in focus and focus not in self._records:
            return focus.split("#", 1)[0]
        key, seen = focus, set()
        while is_blank and key in self._parents and key not in seen:
            seen.add(key)
            parent = self._parents[key]
            is_blank = parent.startswith("_:")
            key = parent[2:] if is_blank else parent
        return "_:" + key if is_blank else key

    def locate(self, result: ShaclResult, graph: ox.NamedNode | None = None) -> list[Location]:
        owner = self._owner(result.focus, result.focus_is_blank)
        candidates = self._records.get(owner, [])
        graphs = None
        if graph is not None:
            graphs = {graph}
            if not any(g == graph for g, _r in candidates):
                mapped = self._by_graph.get(graph)
                return [Location(str(mapped.fact_file.path), 1, None)] if mapped else []
        elif result.path and result.value is not None:
            key = ("_:" + result.focus) if result.focus_is_blank else result.focus
            graphs = {g for value, g in self._quads.get((key, result.path), [])
                      if value == result.value}
        chosen = [(g, r) for g, r in candidates if not graphs or g in graphs] or candidates
        if chosen:
            return [Location(str(r.file), r.line, r.id) for _g, r in chosen]
        if graphs:
            return [Location(str(self._by_graph[g].fact_file.path), 1, None) for g in graphs]
        return []


def _key(term: ox.NamedNode | ox.BlankNode) -> str:
    return "_:" + term.value if isinstance(term, ox.BlankNode) else term.value


def _value(term) -> str:
    if isinstance(term, ox.BlankNode):
        return "_:" + term.value
    return term.value
