"""Stage 1: read the curated YAML fact files, remembering where each record stands.

YAML is read with a loader that keeps every scalar a string (no implicit dates, no
sexagesimal numbers), because the JSON-LD context, not the YAML parser, decides types.
Each record's line number is kept so a validation error can name file and line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml


class FactFileError(ValueError):
    """A data file that cannot be read as facts; the message names file and line."""


_SafeBase = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when the wheel has it


class _StringLoader(_SafeBase):  # type: ignore[misc, valid-type]
    """SafeLoader that resolves only strings, ints, bools, null, lists and mappings."""


_StringLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers
            if tag in ("tag:yaml.org,2002:int", "tag:yaml.org,2002:bool",
                       "tag:yaml.org,2002:null")]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


@dataclass(frozen=True)
class Record:
    """One top-level fact record of a file: where it is, and what it says."""

    file: Path
    line: int  # 1-based
    index: int  # position in the file's ``facts`` list
    id: str | None
    body: dict[str, Any]


@dataclass
class FactFile:
    """One curated file: it becomes exactly one named graph."""

    path: Path
    document: dict[str, Any]
    records: list[Record] = field(default_factory=list)

    @property
    def graph_id(self) -> str:
        return str(self.document["id"])


def _line_index(node: yaml.Node) -> list[int]:
    """Line (1-based) of every item of the top-level ``facts`` sequence."""
    if not isinstance(node, yaml.MappingNode):
        return []
    for key, value in node.value:
        if isinstance(key, yaml.ScalarNode) and key.value == "facts":
            if isinstance(value, yaml.SequenceNode):
                return [item.start_mark.line + 1 for item in value.value]
    return []


def read_fact_file(path: Path, root: Path | None = None) -> FactFile:
    """Parse one YAML file and check the envelope (id, facts) the mapping relies on."""
    shown = path.relative_to(root) if root and path.is_relative_to(root) else path
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise FactFileError(f"{shown}: cannot read: {error}") from error
    try:
        # One parse: the node tree gives line numbers, the same tree gives the values.
        loader = _StringLoader(text)
        try:
            node = loader.get_single_node()
            document = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f":{mark.line + 1}:{mark.column + 1}" if mark else ""
        raise FactFileError(f"{shown}{where}: not valid YAML: {error}") from error
    if not isinstance(document, dict):
        raise FactFileError(f"{shown}:1: the file must be a mapping with `id` and `facts`")
    if not isinstance(document.get("id"), str):
        raise FactFileError(f"{shown}:1: missing `id` (the IRI of the file's named graph)")
    facts = document.get("facts", [])
    if not isinstance(facts, list):
        raise FactFileError(f"{shown}: `facts` must be a list of records")
    if "@context" in document:
        raise FactFileError(f"{shown}: `@context` is supplied by mappings/, not by data files")
    lines = _line_index(node)
    fact_file = FactFile(path=path, document=document)
    for index, body in enumerate(facts):
        line = lines[index] if index < len(lines) else 0
        if not isinstance(body, dict):
            raise FactFileError(f"{shown}:{line}: record {index + 1} must be a mapping")
        record_id = body.get("id")
        if record_id is not None and not isinstance(record_id, str):
            raise FactFileError(f"{shown}:{line}: record `id` must be a string")
        empty = _empty_field(body)
        if empty is not None:
            raise FactFileError(
                f"{shown}:{line}: record {record_id or index + 1}: field `{empty}` has no value"
                " (in a `{…}` record, quote any value that contains a comma)")
        fact_file.records.append(Record(shown, line, index, record_id, body))
    return fact_file


def _empty_field(value: object, name: str = "") -> str | None:
    """The first key whose value is null: JSON-LD would drop it without a word."""
    if isinstance(value, dict):
        for key, item in value.items():
            if item is None:
                return str(key)
            found = _empty_field(item, str(key))
            if found is not None:
                return found
    elif isinstance(value, list):
        for item in value:
            found = _empty_field(item, name)
            if found is not None:
                return found
    return None


def discover(data_dir: Path) -> list[Path]:
    """All fact files, in a stable order (reference data first, then sources)."""
    if not data_dir.is_dir():
        raise FactFileError(f"{data_dir}: data folder not found")
    return sorted(data_dir.rglob("*.yaml"), key=lambda p: (p.parent.name != "reference", p))
