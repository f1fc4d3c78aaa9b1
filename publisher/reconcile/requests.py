"""Reading reconciliation requests (W3C Reconciliation Service API 0.2) strictly.

A batch that does not follow the 0.2 schema is refused as a whole with a 400 naming the
query and the field at fault, rather than answered partly: OpenRefine shows the message,
and a script learns what to fix. Sizes are bounded (batch size, ids per extension, query
length) so one request cannot keep the server busy.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

#: ``type_strict`` values of 0.2: any of the types, all of them, or only a preference.
TYPE_STRICT = ("any", "all", "should")


class ReconcileError(Exception):
    """A request the service refuses; ``status`` is the HTTP status to answer with."""

    def __init__(self, message: str, status: int = 400) -> None:
        self.status = status
        super().__init__(message)


@dataclass(frozen=True)
class PropertyValue:
    """One value a candidate's property should have: an entity id or a plain value."""

    id: str | None = None
    text: str | None = None


@dataclass(frozen=True)
class Constraint:
    pid: str
    values: tuple[PropertyValue, ...]


@dataclass(frozen=True)
class Query:
    key: str
    text: str | None
    types: tuple[str, ...]
    limit: int
    constraints: tuple[Constraint, ...]
    type_strict: str = "any"


@dataclass(frozen=True)
class ExtendQuery:
    ids: tuple[str, ...]
    properties: tuple[tuple[str, dict[str, Any]], ...] = field(default_factory=tuple)


def _json(raw: str, what: str) -> Any:
    try:
        return json.loads(raw)
    except ValueError as error:
        raise ReconcileError(f"{what} is not valid JSON: {error}") from error


def parse_batch(raw: str, max_batch: int, default_limit: int, max_limit: int,
                max_query_chars: int) -> list[Query]:
    """The ``queries`` parameter: a JSON object of queries keyed by the client's ids."""
    batch = _json(raw, "queries")
    if not isinstance(batch, dict):
        raise ReconcileError("queries must be a JSON object mapping query ids to queries")
    if len(batch) > max_batch:
        raise ReconcileError(f"{len(batch)} queries in one batch; at most {max_batch} "
                             "(the manifest's batchSize)", status=413)
    return [parse_query(str(key), query, default_limit, max_limit, max_query_chars)
            for key, query in batch.items()]


def parse_query(key: str, query: Any, default_limit: int, max_limit: int,
                max_query_chars: int) -> Query:
    where = f"query {key!r}"
    if not isinstance(query, dict):
        raise ReconcileError(f"{where}: must be a JSON object")
    unknown = sorted(set(query) - {"query", "type", "limit", "properties", "type_strict"})
    if unknown:
        raise ReconcileError(f"{where}: unknown field(s) {', '.join(unknown)}; a 0.2 query "
                             "has query, type, limit, properties, type_strict")
    text = query.get("query")
    if text is not None:
        if not isinstance(text, str):
            raise ReconcileError(f"{where}: `query` must be a string")
        if len(text) > max_query_chars:
            raise ReconcileError(f"{where}: `query` is longer than {max_query_chars} characters")
        text = text.strip() or None
    constraints = _constraints(where, query.get("properties"))
    if text is None and not constraints:
        raise ReconcileError(f"{where}: give a non-empty `query` or at least one property")
    return Query(key, text, _types(where, query.get("type")),
                 _limit(where, query.get("limit"), default_limit, max_limit),
                 constraints, _type_strict(where, query.get("type_strict")))


def _types(where: str, given: Any) -> tuple[str, ...]:
    if given is None:
        return ()
    if isinstance(given, str):
        return (given,) if given.strip() else ()
    if isinstance(given, list) and all(isinstance(t, str) for t in given):
        return tuple(t for t in given if t.strip())
    raise ReconcileError(f"{where}: `type` must be a type id or a list of type ids")


def _limit(where: str, given: Any, default: int, maximum: int) -> int:
    if given is None:
        return default
    if isinstance(given, bool) or not isinstance(given, int | float) or given != int(given) \
            or given < 1:
        raise ReconcileError(f"{where}: `limit` must be a positive integer")
    return min(int(given), maximum)


def _type_strict(where: str, given: Any) -> str:
    if given is None:
        return "any"
    if given not in TYPE_STRICT:
        raise ReconcileError(f"{where}: `type_strict` must be one of {', '.join(TYPE_STRICT)}")
    return str(given)


def _constraints(where: str, given: Any) -> tuple[Constraint, ...]:
    if given is None:
        return ()
    if not isinstance(given, list):
        raise ReconcileError(f"{where}: `properties` must be a list of {{pid, v}} objects")
    found = []
    for number, item in enumerate(given, 1):
        here = f"{where}, property {number}"
        if not isinstance(item, dict) or not isinstance(item.get("pid"), str) \
                or "v" not in item:
            raise ReconcileError(f"{here}: must be an object with `pid` (a string) and `v`")
        extra = sorted(set(item) - {"pid", "v"})
        if extra:
            raise ReconcileError(f"{here}: unknown field(s) {', '.join(extra)}")
        raw = item["v"] if isinstance(item["v"], list) else [item["v"]]
        values = tuple(_value(f"{here} ({item['pid']})", v) for v in raw)
        if values:
            found.append(Constraint(item["pid"], values))
    return tuple(found)


def _value(where: str, value: Any) -> PropertyValue:
    if isinstance(value, bool):
        return PropertyValue(text="true" if value else "false")
    if isinstance(value, int | float):
        return PropertyValue(text=str(int(value)) if value == int(value) else str(value))
    if isinstance(value, str):
        return PropertyValue(text=value)
    if isinstance(value, dict) and isinstance(value.get("id"), str):
        name = value.get("name")
        return PropertyValue(id=value["id"], text=name if isinstance(name, str) else None)
    raise ReconcileError(f"{where}: a value is a string, number, boolean or {{\"id\": …}}")


def parse_extend(raw: str, max_ids: int) -> ExtendQuery:
    """The ``extend`` parameter: ``{"ids": [...], "properties": [{"id": …, "settings": …}]}``."""
    query = _json(raw, "extend")
    if not isinstance(query, dict):
        raise ReconcileError("extend must be a JSON object with `ids` and `properties`")
    ids, properties = query.get("ids"), query.get("properties")
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise ReconcileError("extend: `ids` must be a list of entity ids")
    if len(ids) > max_ids:
        raise ReconcileError(f"extend: {len(ids)} ids in one request; at most {max_ids}",
                             status=413)
    if not isinstance(properties, list):
        raise ReconcileError("extend: `properties` must be a list of {\"id\": …} objects")
    parsed = []
    for number, item in enumerate(properties, 1):
        if not isinstance(item, dict) or not isinstance(item.get("id"), str):
            raise ReconcileError(f"extend: property {number} must be an object with an `id`")
        settings = item.get("settings", {})
        if not isinstance(settings, dict):
            raise ReconcileError(f"extend: property {item['id']!r}: `settings` must be an object")
        parsed.append((item["id"], settings))
    return ExtendQuery(tuple(ids), tuple(parsed))


def setting_limit(prop: str, settings: dict[str, Any]) -> int:
    """The ``limit`` property setting (0 or absent: every value)."""
    raw = settings.get("limit", 0)
    try:
        limit = int(raw)  # OpenRefine sends settings as strings ("5")
    except (TypeError, ValueError):
        raise ReconcileError(f"extend: property {prop!r}: setting `limit` must be a number") \
            from None
    if limit < 0:
        raise ReconcileError(f"extend: property {prop!r}: setting `limit` must be 0 or more")
    return limit
