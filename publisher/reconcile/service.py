"""The W3C Reconciliation Service API 0.2 over one build's search index.

OpenRefine (and any 0.2 client) matches a column of names against our entities here.
Every answer is computed from the build's :class:`~publisher.search.SearchIndex`, so the
service needs no store and answers from the same build as the pages. Identifiers:

- entities: the IRI relative to ``identifierSpace`` (``{base}id/``), e.g.
  ``person/sergey-lavrov``; the ``view`` template turns it back into the IRI;
- types and properties: short ids (``Country``, ``foaf:Person``, ``nationality``,
  ``org:postIn``), relative to ``schemaSpace`` (``{base}ontology#``) for our own terms.

Full IRIs are accepted wherever an id is. See ``docs/reconcile.md``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..search import SearchIndex, UnknownTerm, resolve
from ..search.extract import WIKIDATA_ENTITY
from ..search.index import Item
from .requests import (
    Constraint,
    PropertyValue,
    Query,
    ReconcileError,
    parse_batch,
    parse_extend,
    setting_limit,
)
from .scoring import CLOSE, Scored, combine, decide_match, literal_similarity, name_similarity
from .values import StoredValue, StoreValues

#: Types offered as sensible defaults, in this order, when the dataset has them.
DEFAULT_TYPES = ("foaf:Person", "Country", "Organization", "City", "Place", "Meeting",
                 "DiplomaticEvent", "Treaty", "org:Post", "Document")
#: OpenRefine's Wikidata reconciliation service: where the ``wikidata`` property's
#: values (Wikidata item ids, not ours) can themselves be reconciled and extended.
WIKIDATA_SERVICE = "https://wikidata.reconci.link/en/api"
XSD = "http://www.w3.org/2001/XMLSchema#"
#: Properties shown on a preview card, when the entity has them.
_ZONED_DATETIME = re.compile(r"^-?\d{4,}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")
PREVIEW_PROPERTIES = ("date", "startDate", "endDate", "place", "country", "nationality",
                      "heldPost", "locatedIn", "org:postIn", "acronym", "iso3166Alpha2",
                      "iso3166Alpha3", "skos:altLabel")


@dataclass(frozen=True)
class Limits:
    """Bounds of the service (fed from :class:`~publisher.settings.Settings`)."""

    batch_size: int = 50
    default_limit: int = 10
    max_limit: int = 100
    query_chars: int = 500
    candidates: int = 50
    extend_ids: int = 100
    suggest_limit: int = 10
    max_suggest_limit: int = 50


@dataclass(frozen=True)
class Preview:
    """What the preview card of one entity shows."""

    id: str
    iri: str
    name: str
    description: str
    types: list[str]
    facts: list[tuple[str, list[str]]]
    identifiers: list[str]


class ReconciliationService:
    """The 0.2 endpoints as plain functions of request parameters, for one build."""

    def __init__(self, index: SearchIndex, values: StoreValues, limits: Limits | None = None,
                 name: str = "Diplomacy linked data") -> None:
        self.index = index
        self.values = values
        self.limits = limits or Limits()
        self.name = name
        self.base = index.base
        self.url = index.base + "reconcile"
        self.id_base = index.id_base

    # -- identifiers ----------------------------------------------------------------
    def entity_id(self, iri: str) -> str:
        return iri[len(self.id_base):] if iri.startswith(self.id_base) else iri

    def entity_iri(self, given: str) -> str | None:
        """The IRI an entity id (relative, ``id/…`` or full IRI) names, if it is ours."""
        text = given.strip()
        if text.startswith(("http://", "https://")):
            return text if text.startswith(self.id_base) and len(text) > len(self.id_base) \
                else None
        text = text.lstrip("/")
        if text.startswith("id/"):
            text = text[3:]
        return self.id_base + text if text and " " not in text else None

    def _types(self, given: Sequence[str], where: str) -> tuple[str, ...]:
        try:
            return tuple(resolve(t, self.index.type_names(), self.index.vocab, "type")
                         for t in given)
        except UnknownTerm as error:
            raise ReconcileError(f"{where}: {error}") from error

    def _property(self, given: str, where: str) -> str:
        try:
            return resolve(given, self.index.property_names(), self.index.vocab, "property")
        except UnknownTerm as error:
            raise ReconcileError(f"{where}: {error}") from error

    def _type_ref(self, type_id: str) -> dict[str, str]:
        term = self.index.types.get(type_id)
        return {"id": type_id, "name": term.name if term else type_id}

    # -- manifest -------------------------------------------------------------------
    def manifest(self) -> dict[str, Any]:
        present = [t for t in DEFAULT_TYPES if t in self.index.types]
        return {
            "versions": ["0.2"],
            "name": self.name,
            "identifierSpace": self.id_base,
            "schemaSpace": self.index.vocab,
            "defaultTypes": [self._type_ref(t) for t in present],
            "view": {"url": self.id_base + "{{id}}"},
            "preview": {"url": self.url + "/preview?id={{id}}", "width": 430, "height": 220},
            "suggest": {kind: {"service_url": self.url, "service_path": f"/suggest/{kind}"}
                        for kind in ("entity", "type", "property")},
            "extend": {
                "propose_properties": {"service_url": self.url,
                                       "service_path": "/propose_properties"},
                "property_settings": [{
                    "name": "limit", "label": "Limit", "type": "number", "default": 0,
                    "help_text": "Maximum number of values to return per row (0 for no limit)",
                }],
            },
            "batchSize": self.limits.batch_size,
        }

    # -- reconciliation queries -------------------------------------------------------
    def reconcile(self, raw_queries: str) -> dict[str, dict[str, list[dict[str, Any]]]]:
        """Answer a ``queries=`` batch; each query is scored on its own."""
        limits = self.limits
        queries = parse_batch(raw_queries, limits.batch_size, limits.default_limit,
                              limits.max_limit, limits.query_chars)
        return {query.key: {"result": self.reconcile_query(query)} for query in queries}

    def reconcile_query(self, query: Query) -> list[dict[str, Any]]:
        where = f"query {query.key!r}"
        types = self._types(query.types, where)
        constraints = [(self._property(c.pid, f"{where}, property {c.pid!r}"), c)
                       for c in query.constraints]
        hard_types = types if query.type_strict in ("any", "all") else ()
        found = self._retrieve(query, hard_types, constraints)
        if not found:
            return []
        items = self.index.entities(found)
        all_types = self.index.types_of(found)
        if query.type_strict == "all" and types:
            found = [i for i in found if set(types) <= set(all_types.get(i, ()))]
        labels = self.index.labels(found)
        values = self.values.values([items[i].key for i in found], [p for p, _ in constraints])
        direct = self.entity_iri(query.text) if query.text else None
        resolved = {value: set(self._value_iris(value))  # once per query, not per candidate
                    for _, constraint in constraints for value in constraint.values}
        scored = []
        for item_id in found:
            item = items[item_id]
            candidate = Scored(item_id, links=item.links,
                               type_match=not types or bool(set(types)
                                                            & set(all_types.get(item_id, ()))))
            if query.text is not None:
                if direct is not None and item.key == direct:
                    candidate.name, candidate.name_exact = 100.0, True
                else:
                    candidate.name, candidate.name_exact = name_similarity(
                        query.text, [text for text, _ in labels.get(item_id, [])])
            for pid, constraint in constraints:
                have = values.get(item.key, {}).get(pid, [])
                if have:
                    candidate.properties[pid] = self._property_score(constraint, have, resolved)
                else:
                    candidate.property_misses += 1
            combine(candidate, len(constraints), query.type_strict)
            scored.append(candidate)
        scored.sort(key=lambda s: (-s.score, -s.links, items[s.item_id].name, s.item_id))
        decide_match(scored, query.text is not None, len(constraints))
        return [self._candidate(items[s.item_id], s) for s in scored[:query.limit]]

    def _retrieve(self, query: Query, types: tuple[str, ...],
                  constraints: list[tuple[str, Constraint]]) -> list[int]:
        """Candidate entities: by name when there is one, else by property values."""
        wanted = self.limits.candidates
        found: list[int] = []
        if query.text is not None:
            iri = self.entity_iri(query.text)
            item = self.index.entity(iri) if iri else None
            if item is not None:
                found.append(item.id)
            found.extend(i for i in self.index.candidates(query.text, types, wanted)
                         if i not in found)
            return found
        iris: list[str] = []
        for pid, constraint in constraints:
            for value in constraint.values:
                for iri in self._value_iris(value):
                    iris.extend(self.values.with_value(pid, iri, None, wanted))
                if value.text is not None:
                    iris.extend(self.values.with_value(pid, None, value.text, wanted))
        by_iri = self.index.entities_by_iri(iris)
        kinds = self.index.types_of(item.id for item in by_iri.values()) if types else {}
        for iri in dict.fromkeys(iris):
            item = by_iri.get(iri)
            if item is None or item.id in found:
                continue
            if types and not set(types) & set(kinds.get(item.id, ())):
                continue
            found.append(item.id)
        return found[:wanted]

    def _value_iris(self, value: PropertyValue) -> list[str]:
        """Entities a constraint value names: by id, or by an exact name ("Turkey")."""
        if value.id is not None:
            iri = self.entity_iri(value.id)
            return [iri] if iri else [value.id]
        if value.text is None:
            return []
        iri = self.entity_iri(value.text)
        if iri is not None and self.index.entity(iri) is not None:
            return [iri]
        page = self.index.search(value.text, limit=5)
        return [item.key for item in page.items if item.tier == 0]

    def _property_score(self, constraint: Constraint, have: list[StoredValue],
                        resolved: dict[PropertyValue, set[str]]) -> float:
        """Mean, over the values asked for, of the best match among the values it has."""
        scores = []
        for wanted in constraint.values:
            iris = resolved[wanted]
            best = 0.0
            for value in have:
                if value.iri is not None and value.iri in iris:
                    best = 100.0
                elif wanted.text is not None:
                    best = max(best, literal_similarity(wanted.text, value.text))
                    if value.iri is not None and wanted.id is None and best < CLOSE:
                        best = max(best, name_similarity(wanted.text, [value.text])[0])
                if best == 100.0:
                    break
            scores.append(best)
        return round(sum(scores) / len(scores), 2) if scores else 0.0

    def _candidate(self, item: Item, scored: Scored) -> dict[str, Any]:
        candidate: dict[str, Any] = {
            "id": self.entity_id(item.key),
            "name": item.name,
            "type": [self._type_ref(t) for t in item.types],
            "score": scored.score,
            "match": scored.match,
            "features": scored.features(),
        }
        if item.description:
            candidate["description"] = item.description
        return candidate

    # -- suggest --------------------------------------------------------------------
    def suggest(self, kind: str, prefix: str, cursor: int = 0, limit: int | None = None,
                types: Sequence[str] = ()) -> dict[str, list[dict[str, Any]]]:
        """Autocomplete of entities, types or properties: the search ranking, paged."""
        if kind not in ("entity", "type", "property"):
            raise ReconcileError(f"no suggest service for {kind!r}", status=404)
        if cursor < 0:
            raise ReconcileError("cursor must be 0 or more")
        size = min(limit or self.limits.suggest_limit, self.limits.max_suggest_limit)
        if size < 1:
            raise ReconcileError("limit must be a positive integer")
        type_ids = self._types(types, "type") if kind == "entity" else ()
        if not prefix.strip():
            return {"result": []}
        page = self.index.search(prefix[:self.limits.query_chars], type_ids, limit=size,
                                 offset=cursor, kind=kind)
        result = []
        for item in page.items:
            entry: dict[str, Any] = {"id": self.entity_id(item.key) if kind == "entity"
                                     else item.key, "name": item.name}
            if item.description:
                entry["description"] = item.description
            if kind == "entity":
                entry["notable"] = [self._type_ref(t) for t in item.types]
            elif kind == "type":
                entry["broader"] = [self._type_ref(t) for t in self.index.broader(item.key)]
            result.append(entry)
        return {"result": result}

    # -- data extension --------------------------------------------------------------
    def propose_properties(self, type_given: str | None,
                           limit: int | None = None) -> dict[str, Any]:
        """Properties worth fetching for entities of a type, the most used first."""
        answer: dict[str, Any] = {}
        if type_given:
            (type_id,) = self._types([type_given], "type")
            answer["type"] = type_given
            type_iri = self.index.types[type_id].iri or type_id
            uses = self.values.uses_per_type(type_iri)
        else:
            uses = {pid: item.links for pid, item in self.index.properties.items()}
        ranked = sorted((pid for pid, n in uses.items() if n > 0),
                        key=lambda pid: (-uses[pid], pid))
        if limit is not None:
            if limit < 1:
                raise ReconcileError("limit must be a positive integer")
            ranked = ranked[:limit]
            answer["limit"] = limit
        answer["properties"] = [self._property_ref(pid) for pid in ranked]
        return answer

    def _property_ref(self, pid: str) -> dict[str, str]:
        item = self.index.properties[pid]
        ref = {"id": pid, "name": item.name}
        if item.description:
            ref["description"] = item.description
        return ref

    def extend(self, raw_extend: str) -> dict[str, Any]:
        """Values of the requested properties for each requested entity."""
        query = parse_extend(raw_extend, self.limits.extend_ids)
        props = [(self._property(pid, f"extend: property {pid!r}"), setting_limit(pid, settings))
                 for pid, settings in query.properties]
        iris = {given: self.entity_iri(given) for given in query.ids}
        items = self.index.entities_by_iri(iri for iri in iris.values() if iri)
        values = self.values.values(items, [pid for pid, _ in props])
        rows: dict[str, dict[str, list[dict[str, Any]]]] = {}
        for given, iri in iris.items():
            item = items.get(iri) if iri else None
            row = {}
            for pid, limit in props:
                have = values.get(item.key, {}).get(pid, []) if item is not None else []
                rendered = [self._extension_value(pid, v, item) for v in have]
                row[pid] = rendered[:limit] if limit else rendered
            rows[given] = row
        return {"meta": [self._extension_meta(pid) for pid, _ in props], "rows": rows}

    def _extension_meta(self, pid: str) -> dict[str, Any]:
        meta: dict[str, Any] = {"id": pid, "name": self.index.properties[pid].name}
        if pid == "wikidata":
            meta["service"] = WIKIDATA_SERVICE
        return meta

    def _extension_value(self, pid: str, value: StoredValue,
                         owner: Item | None) -> dict[str, Any]:
        if value.iri is not None:
            if pid == "wikidata" and value.iri.startswith(WIKIDATA_ENTITY):
                # Same thing as the owner (owl:sameAs), so it bears the owner's name.
                return {"id": value.iri[len(WIKIDATA_ENTITY):],
                        "name": owner.name if owner else value.text}
            if value.iri.startswith(self.id_base):
                return {"id": self.entity_id(value.iri), "name": value.text}
            return {"str": value.iri}
        datatype = value.datatype or ""
        if datatype in (XSD + "integer", XSD + "int", XSD + "long", XSD + "nonNegativeInteger",
                        XSD + "positiveInteger"):
            try:
                return {"int": int(value.text)}
            except ValueError:
                pass
        if datatype in (XSD + "decimal", XSD + "double", XSD + "float"):
            try:
                return {"float": float(value.text)}
            except ValueError:
                pass
        if datatype == XSD + "date" and len(value.text) == 10:
            return {"date": value.text + "T00:00:00Z"}
        if datatype == XSD + "dateTime" and _ZONED_DATETIME.match(value.text):
            return {"date": value.text}  # with its time zone; without one it stays text
        return {"str": value.text}

    # -- preview --------------------------------------------------------------------
    def preview(self, given: str) -> Preview | None:
        """What the preview card of an entity shows, or None if there is no such entity."""
        iri = self.entity_iri(given)
        item = self.index.entity(iri) if iri else None
        if item is None:
            return None
        present = [p for p in PREVIEW_PROPERTIES if p in self.index.properties]
        wanted = [*present, *(["owl:sameAs"] if "owl:sameAs" in self.index.properties else [])]
        values = self.values.values([item.key], wanted).get(item.key, {})
        facts = []
        for pid in present:
            texts = sorted({v.text for v in values.get(pid, [])})
            if texts:
                facts.append((self.index.properties[pid].name, texts[:6]))
        return Preview(self.entity_id(item.key), item.key, item.name, item.description,
                       [self._type_ref(t)["name"] for t in item.types], facts,
                       sorted(v.iri or v.text for v in values.get("owl:sameAs", [])))

