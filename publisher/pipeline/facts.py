"""Stage 1: read the curated YAML fact files, remembering where each record stands.

YAML is read with a loader that keeps every scalar a string (no implicit dates, no
sexagesimal numbers), because the JSON-LD context, not the YAML parser, decides types.
Each record's line number is kept so a validation error can name file and line.

A fact file is input from whoever can open a pull request, so reading it is bounded: the
file must be a regular file inside the project under a size limit (:mod:`.inputs`); YAML
anchors and aliases are refused (a 400-byte "billion laughs" file otherwise expands to
gigabytes once walked); so are explicit tags and merge keys, values longer than a limit,
and nesting deep enough to overflow libyaml's recursive composer. Then the file is checked
against the schema derived from the JSON-LD context (:mod:`.fact_schema`), so a misspelt
key or a list where one value belongs is an error at its line, not a silent triple.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .fact_check import FactChecker
from .inputs import InputError, find_inputs, read_input, shown


class FactFileError(ValueError):
    """Data files that cannot be read as facts; each problem names file and line."""

    def __init__(self, problems: str | list[str]) -> None:
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("\n".join(self.problems))

    def __reduce__(self):  # pickled from a mapping worker with every problem
        return (FactFileError, (self.problems,))


@dataclass(frozen=True)
class ReadLimits:
    """How much one fact file may ask of the build (from Settings)."""

    max_file_bytes: int = 16 * 1024 * 1024
    max_value_chars: int = 100_000


_SafeBase = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when the wheel has it

_ALLOWED_TAGS = frozenset(f"tag:yaml.org,2002:{kind}"
                          for kind in ("str", "int", "bool", "null", "seq", "map"))


class _Refused(Exception):
    """Raised inside the loader; becomes a FactFileError naming the line."""

    def __init__(self, node: yaml.Node | None, message: str) -> None:
        super().__init__(message)
        self.node = node
        self.message = message


_construct_object = _SafeBase.construct_object


class _StringLoader(_SafeBase):  # type: ignore[misc, valid-type]
    """SafeLoader that resolves only strings, ints, bools, null, lists and mappings."""


class _GuardedLoader(_StringLoader):
    """... that also builds each node once (an alias would build it again), refuses
    explicit tags and merge keys, and any scalar over ``max_value_chars``.

    The checks cost a Python call per node (0.1 s of CPU per 100k triples), so they run
    only on a text that could need them: one with an ``&`` (no alias without an anchor),
    a ``!`` (no tag without one), or longer than the value limit."""

    max_value_chars = ReadLimits.max_value_chars

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        if node in self.constructed_objects or node in self.recursive_objects:
            raise _Refused(None, "YAML aliases (*name) are not allowed in fact files: "
                                 "write the value out")
        if node.tag not in _ALLOWED_TAGS:
            raise _Refused(node, f"YAML tag {node.tag} is not allowed in fact files "
                                 "(values are plain text, numbers, true/false, lists and "
                                 "records)")
        if type(node) is yaml.ScalarNode and len(node.value) > self.max_value_chars:
            raise _Refused(node, f"a value of {len(node.value):,} characters, over the limit "
                                 f"of {self.max_value_chars:,} (PUBLISHER_MAX_FACT_VALUE_CHARS)")
        return _construct_object(self, node, deep)

    def flatten_mapping(self, node: yaml.MappingNode) -> None:
        for key_node, _value in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise _Refused(key_node, "YAML merge keys (<<) are not allowed in fact files")


_StringLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers
            if tag in ("tag:yaml.org,2002:int", "tag:yaml.org,2002:bool",
                       "tag:yaml.org,2002:null")]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}

#: libyaml composes nodes recursively in C: nesting deeper than about 50,000 levels (a
#: few hundred KB of ``[``) overflows an 8 MB stack and kills the process; a thread may
#: have 2 MB. No fact file nests more than a few levels.
_C_SAFE_DEPTH = 5_000


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


def _depth_bound(text: str) -> int:
    """An upper bound on the nesting depth of a YAML text, in C time.

    Every level opens with ``[``, ``{``, a ``-`` or ``?`` indicator followed by white
    space, or a block mapping indented deeper on a new line (which costs as many bytes as
    the square of the depth)."""
    openers = text.count("[") + text.count("{")
    for indicator in ("-", "?"):
        openers += sum(text.count(indicator + space) for space in (" ", "\t", "\n", "\r"))
    return openers + math.isqrt(2 * len(text)) + 1


def _check_depth(text: str, limit: int) -> None:
    """Walk the event stream (libyaml's parser is iterative) when the bound is too high."""
    parser = yaml.CSafeLoader(text) if hasattr(yaml, "CSafeLoader") else yaml.SafeLoader(text)
    try:
        depth = 0
        while (event := parser.get_event()) is not None:
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > limit:
                    raise _Refused(None, f"nested more than {limit} levels deep "
                                         f"(line {event.start_mark.line + 1})")
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
            elif isinstance(event, yaml.StreamEndEvent):
                break
    finally:
        parser.dispose()


def _compose(text: str, limits: ReadLimits) -> tuple[yaml.Node | None, Any]:
    """One parse: the node tree gives line numbers, the same tree gives the values."""
    if _depth_bound(text) > _C_SAFE_DEPTH:
        _check_depth(text, _C_SAFE_DEPTH)
    guarded = "&" in text or "!" in text or len(text) > limits.max_value_chars
    loader = _GuardedLoader(text) if guarded else _StringLoader(text)
    loader.max_value_chars = limits.max_value_chars
    try:
        node = loader.get_single_node()
        document = loader.construct_document(node) if node is not None else None
    finally:
        loader.dispose()
    return node, document


def _alias_line(text: str) -> int | None:
    """Where the first alias is (the loader sees only the node it points to)."""
    for event in yaml.parse(text, Loader=_SafeBase):
        if isinstance(event, yaml.AliasEvent):
            return event.start_mark.line + 1
    return None


def parse_yaml(text: str, name: str,
               limits: ReadLimits | None = None) -> tuple[yaml.Node | None, Any]:
    """The node tree and the values of a YAML text read under the rules above (used for
    ``mappings/keys.yaml`` too); FactFileError names the line of what is refused."""
    limits = limits or ReadLimits()
    try:
        return _compose(text, limits)
    except _Refused as refused:
        line = (refused.node.start_mark.line + 1 if refused.node is not None
                else _alias_line(text) if "aliases" in refused.message else None)
        raise FactFileError(f"{name}{f':{line}' if line else ''}: {refused.message}") \
            from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f":{mark.line + 1}:{mark.column + 1}" if mark else ""
        parts = [getattr(error, "context", None), getattr(error, "problem", None)]
        what = ": ".join(" ".join(str(p).split()) for p in parts if p) or str(error)
        raise FactFileError(f"{name}{where}: not valid YAML: {what}") from error


def read_fact_file(path: Path, root: Path | None = None, limits: ReadLimits | None = None,
                   checker: FactChecker | None = None) -> FactFile:
    """Parse one YAML file, check its envelope (id, facts) and, given a checker, every key
    and value against the schema; FactFileError lists every problem with its line."""
    limits = limits or ReadLimits()
    root = root if root is not None else path.parent
    name = Path(shown(path, root))
    try:
        text = read_input(path, root, limits.max_file_bytes).decode("utf-8")
    except InputError as error:
        raise FactFileError(str(error)) from error
    except UnicodeDecodeError as error:
        raise FactFileError(f"{name}: not UTF-8 text: {error}") from error
    node, document = parse_yaml(text, str(name), limits)
    if not isinstance(document, dict):
        raise FactFileError(f"{name}:1: the file must be a mapping with `id` and `facts`")
    if not isinstance(document.get("id"), str):
        raise FactFileError(f"{name}:1: missing `id` (the IRI of the file's named graph)")
    facts = document.get("facts", [])
    if not isinstance(facts, list):
        raise FactFileError(f"{name}: `facts` must be a list of records")
    if "@context" in document:
        raise FactFileError(f"{name}: `@context` is supplied by mappings/, not by data files")
    if checker is not None:
        try:
            problems = checker.check(document, node, str(name))
        except RecursionError:
            problems = [f"{name}: records nested too deep to check"]
        if problems:
            raise FactFileError(problems)
    lines = _line_index(node)
    fact_file = FactFile(path=path, document=document)
    for index, body in enumerate(facts):
        line = lines[index] if index < len(lines) else 0
        if not isinstance(body, dict):
            raise FactFileError(f"{name}:{line}: record {index + 1} must be a mapping")
        record_id = body.get("id")
        if record_id is not None and not isinstance(record_id, str):
            raise FactFileError(f"{name}:{line}: record `id` must be a string")
        if checker is None:
            empty = _empty_field(body)
            if empty is not None:
                raise FactFileError(
                    f"{name}:{line}: record {record_id or index + 1}: field `{empty}` has no "
                    "value (in a `{…}` record, quote any value that contains a comma)")
        fact_file.records.append(Record(name, line, index, record_id, body))
    return fact_file


def _empty_field(value: object) -> str | None:
    """The first key whose value is null: JSON-LD would drop it without a word."""
    pending: deque[object] = deque([value])
    while pending:
        item = pending.popleft()
        if isinstance(item, dict):
            for key, inner in item.items():
                if inner is None:
                    return str(key)
                pending.append(inner)
        elif isinstance(item, list):
            pending.extend(item)
    return None


def discover(data_dir: Path, root: Path | None = None) -> list[Path]:
    """All fact files, in a stable order (reference data first, then sources)."""
    if not data_dir.is_dir():
        raise FactFileError(f"{data_dir}: data folder not found")
    try:
        paths = find_inputs(data_dir, root or data_dir.parent, (".yaml",))
    except InputError as error:
        raise FactFileError(str(error)) from error
    return sorted(paths, key=lambda p: (p.parent.name != "reference", p))
