"""The schema of a fact file, derived from ``mappings/context.jsonld``: a key is declared once.

The JSON-LD context already says, for every key a fact file may use, what it becomes in
RDF; read the other way, it says what a valid value looks like. So the JSON Schema the
build checks every file against is *derived* from the context, not written beside it:

* every term of the context whose name starts with a lowercase letter is a key (terms
  with a capital are class names, values of ``type``; terms whose value ends in ``/`` or
  ``#`` are prefixes); a key not in the context is an error, where JSON-LD's ``@vocab``
  would silently turn a misspelt ``atendees`` into ``dip:atendees``;
* ``@container: @set`` or ``@list``: one value or a list; otherwise exactly one value;
  ``@container: @language``: a map from language tags to text;
* ``@type: @id``: a reference (``kind/slug``, or an absolute IRI); ``@type: @vocab``: a
  name, one of the scoped context's terms when it has one; ``@type: xsd:…``: a literal of
  that datatype (its lexical form is checked); ``@language``, or no ``@type``: text;
* a term with a scoped ``@context``: a nested record whose keys are the scoped terms
  plus the outer ones (JSON-LD propagates property-scoped contexts);
* ``type``: a class the ontology declares, or a class term of the context.

What the context cannot say is in ``mappings/keys.yaml`` (:data:`COMPLEMENT`): value
patterns, keys every record needs, keys a record of a given type needs, and which untyped
keys hold a nested record rather than text. ``data/README.md``'s key reference is
generated from the same schema (:mod:`.key_reference`), and a test holds the two equal.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

COMPLEMENT = "keys.yaml"
SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
XSD = "http://www.w3.org/2001/XMLSchema#"

# Context keywords that configure the context itself rather than define a term.
_CONTEXT_KEYWORDS = {"@version", "@base", "@vocab", "@language", "@direction", "@protected",
                     "@propagate", "@import", "@type"}

_TZ = r"(?:Z|[+-](?:0\d|1[0-4]):[0-5]\d)?"
_YEAR = r"-?(?:[1-9]\d{4,}|\d{4})"
_MONTH = r"(?:0[1-9]|1[0-2])"
_DAY = r"(?:0[1-9]|[12]\d|3[01])"
_TIME = r"(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d+)?"

#: Lexical forms of the XSD datatypes a context may coerce to: JSON types a YAML value may
#: have (``integer`` for an unquoted year or count), the pattern of its text, and how a
#: person should read it.
DATATYPES: dict[str, tuple[list[str], str, str]] = {
    "date": (["string"], f"^{_YEAR}-{_MONTH}-{_DAY}{_TZ}$", "a date, YYYY-MM-DD"),
    "gYearMonth": (["string"], f"^{_YEAR}-{_MONTH}{_TZ}$", "a month, YYYY-MM"),
    "gYear": (["string", "integer"], f"^{_YEAR}{_TZ}$", "a year, YYYY"),
    "dateTime": (["string"], f"^{_YEAR}-{_MONTH}-{_DAY}T{_TIME}{_TZ}$",
                 "a date and time, YYYY-MM-DDThh:mm:ss with an optional zone (+08:00)"),
    "time": (["string"], f"^{_TIME}{_TZ}$", "a time of day, hh:mm:ss"),
    "integer": (["string", "integer"], r"^[+-]?\d+$", "a whole number"),
    "nonNegativeInteger": (["string", "integer"], r"^\+?\d+$", "a whole number, 0 or more"),
    "positiveInteger": (["string", "integer"], r"^\+?0*[1-9]\d*$", "a whole number, 1 or more"),
    "decimal": (["string", "number"], r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$", "a decimal number"),
    "double": (["string", "number"], r"^(?:[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?|"
               r"[+-]?INF|NaN)$", "a number"),
    "boolean": (["string", "boolean"], r"^(?:true|false|1|0)$", "true or false"),
    "anyURI": (["string"], r"^\S+$", "a URL"),
    "string": (["string"], "", "text"),
}


class ContextNotSupported(ValueError):
    """The context uses a JSON-LD feature the schema cannot derive a rule from."""


@dataclass
class Complement:
    """``mappings/keys.yaml``: what the context cannot say (see the file's comments)."""

    record_id: str = r"^[a-z][a-z0-9-]*/[A-Za-z0-9][A-Za-z0-9._~-]*$"
    reference: str = (r"^(?:[a-z][a-z0-9-]*/[A-Za-z0-9][A-Za-z0-9._~-]*"
                      r"|[a-z][a-z0-9+.-]*:[^\s<>\"{}|\\^`]+)$")
    name: str = r"^[A-Za-z][A-Za-z0-9_-]*$"
    required: list[str] = field(default_factory=lambda: ["id"])
    required_by_type: dict[str, list[str]] = field(default_factory=dict)
    nested_records: list[str] = field(default_factory=list)

    @classmethod
    def read(cls, data: Mapping[str, Any] | None) -> Complement:
        data = dict(data or {})
        patterns = {str(k).replace("-", "_"): v
                    for k, v in (data.pop("patterns", None) or {}).items()}
        known = {"record_id", "reference", "name"}
        if set(patterns) - known:
            raise ContextNotSupported("unknown pattern(s) "
                                      f"{sorted(set(patterns) - known)}; known: {sorted(known)}")
        complement = cls(**patterns)
        records = dict(data.pop("records", None) or {})
        complement.required = list(records.pop("required", complement.required))
        complement.required_by_type = {str(k): list(v) for k, v in
                                       (data.pop("required-by-type", None) or {}).items()}
        complement.nested_records = list(data.pop("nested-records", None) or [])
        if data or records:
            raise ContextNotSupported("unknown entries "
                                      f"{sorted(set(data) | set(records))}")
        for pattern in (complement.record_id, complement.reference, complement.name):
            re.compile(pattern)
        return complement


@dataclass(frozen=True)
class Key:
    """One key of a fact file, as the docs list it."""

    name: str
    scope: str  # "" for top-level and records, else the key whose records contain it
    iri: str  # what the term maps to, compact as the context writes it
    many: bool  # a list is allowed
    value: str  # what a value looks like, for people
    schema: dict[str, Any]


class _Deriver:
    def __init__(self, context: Mapping[str, Any], classes: Iterable[str],
                 complement: Complement) -> None:
        if not isinstance(context, Mapping):
            raise ContextNotSupported("the context must be a JSON object")
        self.root = context
        self.complement = complement
        self.defs: dict[str, Any] = {}
        self.keys: list[Key] = []
        self._scopes: dict[str, str] = {}
        self._listed: set[tuple[str, str]] = set()
        class_terms = [t for t, d in context.items() if _is_class_term(t, d)]
        for term in class_terms:
            if isinstance(context[term], Mapping) and "@context" in context[term]:
                raise ContextNotSupported(
                    f"term {term!r}: type-scoped contexts are not supported (the keys would "
                    "depend on `type`); give the keys a property-scoped @context instead")
        self.classes = sorted(set(classes) | set(class_terms))

    # -- value kinds -------------------------------------------------------------------
    def reference(self) -> dict[str, Any]:
        return {"type": "string", "pattern": self.complement.reference,
                "description": "a reference: kind/slug (person/sergey-lavrov) or an absolute "
                               "IRI"}

    def type_value(self) -> dict[str, Any]:
        if self.classes:
            pattern = "^(?:" + "|".join(re.escape(c) for c in self.classes) + ")$"
            return {"type": "string", "pattern": pattern, "description": "a class name"}
        return {"type": "string", "pattern": self.complement.name, "description": "a class name"}

    def literal(self, datatype: str) -> dict[str, Any]:
        local = datatype.removeprefix("xsd:").removeprefix(XSD)
        if local == datatype or local not in DATATYPES:
            return {"type": "string", "description": f"text ({datatype})"}
        types, pattern, description = DATATYPES[local]
        schema: dict[str, Any] = {"type": types if len(types) > 1 else types[0],
                                  "description": description}
        if pattern:
            schema["pattern"] = pattern
        return schema

    # -- terms -------------------------------------------------------------------------
    def active(self, scope: tuple[str, ...]) -> Mapping[str, Any]:
        """The active context inside the records of ``scope`` (a chain of scoped terms)."""
        active: Mapping[str, Any] = self.root
        for term in scope:
            active = _merge(active, self.scoped(active, term))
        return active

    @staticmethod
    def scoped(active: Mapping[str, Any], term: str) -> Mapping[str, Any]:
        definition = active.get(term)
        scoped = definition.get("@context") if isinstance(definition, Mapping) else None
        if scoped is not None and not isinstance(scoped, Mapping):
            raise ContextNotSupported(f"term {term!r}: a scoped @context must be an object")
        return scoped or {}

    def properties(self, scope: tuple[str, ...]) -> dict[str, Any]:
        """The schema of every key a record in ``scope`` may have (``facts`` excepted).

        The docs list the keys of the top level, and the keys each scoped term adds for
        the records nested under it (terms with the same scoped context together)."""
        active = self.active(scope)
        own, group = set(active), ""
        if len(scope) == 1:
            own = set(self.scoped(self.root, scope[0]))
            group = ", ".join(t for t in self.root if own and self.scoped(self.root, t)
                              == self.scoped(self.root, scope[0]))
        elif scope:
            own = set()
        properties: dict[str, Any] = {}
        for term, definition in active.items():
            if term in _CONTEXT_KEYWORDS or not _is_key(term, definition):
                continue
            if definition == "@graph":
                continue  # ``facts``: only the file itself holds records
            schema, many, value = self.value(term, definition, scope)
            properties[term] = schema
            if term in own and (group, term) not in self._listed:
                self._listed.add((group, term))
                self.keys.append(Key(term, group, _target(definition), many, value, schema))
        return properties

    def node(self, scope: tuple[str, ...]) -> str:
        """The ``$defs`` name of a nested record in ``scope``.

        The definition holds only object keywords, so a value that may be a reference
        or a record can refer to it next to a string pattern."""
        # Scopes with the same active context share a definition: `during` inside
        # `participants` inside `during` is the same record as `participants` in `during`.
        identity = json.dumps(self.active(scope), sort_keys=True)
        if identity not in self._scopes:
            name = "record-in-" + "-".join(scope) if scope else "nested-record"
            self._scopes[identity] = name
            self.defs[name] = {}  # reserved: a scope may contain itself
            self.defs[name] = {"properties": self.properties(scope),
                               "additionalProperties": False}
        return self._scopes[identity]

    @staticmethod
    def enter(scope: tuple[str, ...], term: str) -> tuple[str, ...]:
        """The scope inside a value of ``term``. Applying a scoped context again
        overrides its earlier application, so an earlier occurrence is dropped: the
        chains stay finite even though ``during`` is itself a key inside ``during``."""
        return (*(t for t in scope if t != term), term)

    def value(self, term: str, definition: Any,
              scope: tuple[str, ...]) -> tuple[dict[str, Any], bool, str]:
        """(schema, list allowed, what a value looks like) for one term."""
        if isinstance(definition, str):
            if definition == "@id":
                return {**self.record_id(), "description": "the record's id: kind/slug"}, \
                    False, "kind/slug"
            if definition == "@type":
                one = self.type_value()
                return _one_or_many(one), True, "a class name, or a list of them"
            if definition.startswith("@"):
                raise ContextNotSupported(f"term {term!r}: alias of {definition} is not "
                                          "supported in fact files")
            definition = {"@id": definition}
        if "@reverse" in definition or definition.get("@id") == "@nest":
            raise ContextNotSupported(f"term {term!r}: @reverse and @nest are not supported")
        containers = definition.get("@container", [])
        containers = {containers} if isinstance(containers, str) else set(containers)
        many = bool(containers & {"@set", "@list"})
        if containers - {"@set", "@list", "@language"}:
            raise ContextNotSupported(f"term {term!r}: @container {sorted(containers)} is "
                                      "not supported (use @set, @list or @language)")
        kind = definition.get("@type")
        scoped = definition.get("@context")
        if "@language" in containers:
            one = {"type": "object", "propertyNames": {"pattern": r"^[A-Za-z]{1,8}(-[A-Za-z0-9]"
                   r"{1,8})*$"}, "additionalProperties": _one_or_many(_TEXT) if many else _TEXT,
                   "minProperties": 1, "description": "text per language: {en: …, ru: …}"}
            return one, False, "a map from language tag to text"
        if kind == "@id" and scoped is not None:
            one = {**self.reference(), "type": ["string", "object"],
                   "$ref": f"#/$defs/{self.node(self.enter(scope, term))}",
                   "description": "a reference (kind/slug or IRI), or a nested record"}
            described = one["description"]
        elif kind == "@id":
            one = self.reference()
            described = "a reference (kind/slug or IRI)"
        elif kind == "@vocab":
            names = [t for t, d in (scoped or {}).items() if isinstance(d, str)]
            if names:
                one = {"type": "string", "pattern": "^(?:" + "|".join(map(re.escape, names))
                       + ")$", "description": "one of " + ", ".join(names)}
                described = "one of " + ", ".join(f"`{n}`" for n in names)
            else:
                one = {"type": "string", "pattern": self.complement.name,
                       "description": "a name from the vocabulary"}
                described = "a name from the vocabulary"
        elif kind == "@json":
            one, described = {"description": "any JSON value"}, "any JSON value"
        elif kind is not None:
            one = self.literal(kind)
            described = one["description"]
        elif scoped is not None or term in self.complement.nested_records:
            inner = self.enter(scope, term) if scoped is not None else scope
            one = {"$ref": f"#/$defs/{self.node(inner)}", "type": "object",
                   "description": "a nested record"}
            described = "a nested record"
        elif definition.get("@language"):
            language = definition["@language"]
            described = "English text" if language == "en" else f"text in language {language}"
            one = {**_TEXT, "description": described}
        else:
            one, described = dict(_TEXT), "text"
        return (_one_or_many(one) if many else one), many, described

    def record_id(self) -> dict[str, Any]:
        return {"type": "string", "pattern": self.complement.record_id}


_TEXT: dict[str, Any] = {"type": "string", "description": "text"}


def _one_or_many(one: dict[str, Any]) -> dict[str, Any]:
    """One value, or a non-empty list of them: type-specific keywords apply to each."""
    types = one.get("type", [])
    types = [types] if isinstance(types, str) else list(types)
    many: dict[str, Any] = {k: v for k, v in one.items() if k != "type"}
    if types:
        many["type"] = [*types, "array"]
    many["items"] = one
    many["minItems"] = 1
    return many


def _names(kind: str) -> dict[str, Any]:
    """``type`` is ``kind``, or a list that contains it."""
    return {"anyOf": [{"const": kind}, {"type": "array", "contains": {"const": kind}}]}


def _merge(active: Mapping[str, Any], scoped: Mapping[str, Any]) -> dict[str, Any]:
    merged = {term: value for term, value in active.items() if term not in scoped}
    merged.update(scoped)  # in the scoped context's order, after the outer terms
    return merged


def _target(definition: Any) -> str:
    return definition if isinstance(definition, str) else str(definition.get("@id", ""))


def _is_class_term(term: str, definition: Any) -> bool:
    return term[:1].isupper() and definition is not None


def _is_key(term: str, definition: Any) -> bool:
    """Lowercase terms are keys; capitalised ones are class names; prefixes are not keys."""
    if definition is None or not term[:1].islower():
        return False
    if isinstance(definition, str):
        return definition.startswith("@") or not definition.endswith(("/", "#", ":"))
    return isinstance(definition, Mapping)


@dataclass(frozen=True)
class FactSchema:
    """The JSON Schema of a fact file and the keys it was derived from."""

    schema: dict[str, Any]
    keys: list[Key]
    classes: list[str]
    complement: Complement


def derive_schema(context: Mapping[str, Any], classes: Iterable[str] = (),
                  complement: Complement | None = None) -> FactSchema:
    """The JSON Schema (draft 2020-12) of a fact file under ``context``."""
    complement = complement or Complement()
    deriver = _Deriver(context, classes, complement)
    graph_alias = [t for t, d in context.items() if d == "@graph"]
    if not graph_alias:
        raise ContextNotSupported("the context has no alias of @graph (the `facts` list)")
    properties = deriver.properties(())
    by_type = [{"if": {"properties": {"type": _names(kind)}, "required": ["type"]},
                "then": {"required": list(keys)}}
               for kind, keys in sorted(complement.required_by_type.items())]
    deriver.defs["fact"] = {"type": "object", "properties": properties,
                            "additionalProperties": False, "required": complement.required,
                            **({"allOf": by_type} if by_type else {})}
    # The file describes its named graph (a record itself) and lists its facts.
    deriver.defs["file"] = {
        "type": "object",
        "properties": {**properties, graph_alias[0]: {
            "type": "array", "items": {"$ref": "#/$defs/fact"},
            "description": "the records of the file's named graph"}},
        "additionalProperties": False, "required": ["id"]}
    schema = {"$schema": SCHEMA_DIALECT, "title": "A fact file of data/",
              "description": "Derived from mappings/context.jsonld and mappings/keys.yaml; "
                             "see data/README.md.",
              "$ref": "#/$defs/file", "$defs": deriver.defs}
    return FactSchema(schema, deriver.keys, deriver.classes, complement)


RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
CLASS_TYPES = {"http://www.w3.org/2002/07/owl#Class",
               "http://www.w3.org/2000/01/rdf-schema#Class"}


def ontology_classes(quads: Iterable[Any], vocab: str) -> list[str]:
    """Local names of the classes the ontology declares in its own namespace: what a
    ``type:`` value may name through the context's ``@vocab``."""
    return sorted({q.subject.value[len(vocab):] for q in quads
                   if q.predicate.value == RDF_TYPE and q.object.value in CLASS_TYPES
                   and q.subject.value.startswith(vocab)})
