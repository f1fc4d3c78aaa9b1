"""``search?q=…``: reading the request, running it, and the answer as data.

The route only parses, calls :func:`run` and picks a format: JSON (:func:`to_json`) for
machines, the HTML results page for people (the template lays out :class:`Results`).
Bad parameters are a :class:`SearchError` (400) naming the parameter.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from .index import Item, SearchIndex
from .terms import UnknownTerm, resolve

TIERS = {0: "exact", 1: "prefix", 2: "words"}


class SearchError(ValueError):
    """A search request with a parameter that cannot be used; answered with 400."""


@dataclass(frozen=True)
class SearchRequest:
    q: str
    types: tuple[str, ...]  # as given
    limit: int
    offset: int


@dataclass(frozen=True)
class Results:
    request: SearchRequest
    types: tuple[str, ...]  # resolved short ids
    total: int
    items: list[Item]
    type_names: dict[str, str]

    @property
    def next_offset(self) -> int | None:
        end = self.request.offset + len(self.items)
        return end if end < self.total else None

    @property
    def previous_offset(self) -> int | None:
        if self.request.offset <= 0:
            return None
        return max(0, self.request.offset - self.request.limit)


def _integer(params: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SearchError(f"`{name}` must be a whole number, got {raw!r}") from None
    if not low <= value <= high:
        raise SearchError(f"`{name}` must be between {low} and {high}, got {value}")
    return value


def parse_request(params: Mapping[str, str], types: Sequence[str], default_limit: int,
                  max_limit: int, max_chars: int, max_offset: int = 10_000) -> SearchRequest:
    """``q``, ``type`` (repeatable, or comma-separated), ``limit``, ``offset`` or ``page``."""
    q = params.get("q", "")
    if len(q) > max_chars:
        raise SearchError(f"`q` is longer than {max_chars} characters")
    limit = _integer(params, "limit", default_limit, 1, max_limit)
    if params.get("page") and params.get("offset"):
        raise SearchError("give `offset` or `page`, not both")
    if params.get("page"):
        page = _integer(params, "page", 1, 1, max_offset // limit + 1)
        offset = (page - 1) * limit
    else:
        offset = _integer(params, "offset", 0, 0, max_offset)
    given = tuple(t.strip() for value in types for t in value.split(",") if t.strip())
    return SearchRequest(q.strip(), given, limit, offset)


def run(index: SearchIndex, request: SearchRequest) -> Results:
    names = index.type_names()
    try:
        types = tuple(resolve(t, names, index.vocab, "type") for t in request.types)
    except UnknownTerm as error:
        raise SearchError(f"`type`: {error}") from error
    page = index.search(request.q, types, limit=request.limit, offset=request.offset)
    return Results(request, types, page.total, page.items, names)


def entity_id(iri: str, index: SearchIndex) -> str:
    return iri[len(index.id_base):] if iri.startswith(index.id_base) else iri


def page_url(base: str, request: SearchRequest, offset: int) -> str:
    params: list[tuple[str, str | int]] = [("q", request.q)]
    params += [("type", t) for t in request.types]
    params += [("limit", request.limit), ("offset", offset)]
    return f"{base}search?{urlencode(params)}"


def to_json(results: Results, index: SearchIndex) -> dict[str, Any]:
    """The machine answer; ``id`` is relative to ``{base}id/``, ``iri`` is the full IRI."""
    request = results.request
    base = index.base
    answer: dict[str, Any] = {
        "query": request.q,
        "type": list(results.types),
        "total": results.total,
        "offset": request.offset,
        "limit": request.limit,
        "results": [{
            "id": entity_id(item.key, index),
            "iri": item.key,
            "name": item.name,
            "description": item.description,
            "types": [{"id": t, "name": results.type_names.get(t, t)} for t in item.types],
            "matched": item.matched,
            "match": TIERS.get(item.tier, "words") if request.q else None,
            "links": item.links,
        } for item in results.items],
    }
    if results.next_offset is not None:
        answer["next"] = page_url(base, request, results.next_offset)
    if results.previous_offset is not None:
        answer["previous"] = page_url(base, request, results.previous_offset)
    return answer
