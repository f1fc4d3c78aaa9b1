"""What the search index holds, read out of a build's quads.

The index is a build artifact: it is computed once, from the same in-memory dataset the
build validates and loads, so search and reconciliation answer from exactly the facts
being served, and at request time they touch no store at all (which also makes them
work unchanged in front of a remote store).

For every entity (an IRI under ``{base}id/`` with a label, not retired) it records its
names (labels, alternative labels: ``skos:altLabel`` and the ontology's sub-properties
of it or of ``skos:notation``, such as acronyms and ISO codes), its types (with their
super-classes from the ontology, so ``type=Meeting`` finds talks), how many statements
link to it and a short description; and the properties the data uses, plus a few
shortcut properties (:data:`DERIVED`) that read through the n-ary structures a
spreadsheet user does not want to know about (a person's posts are held through
tenures). Property *values* are not copied: reconciliation reads them from the store
(:mod:`publisher.reconcile.values`), which keeps the index small and quick to build.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

import pyoxigraph as ox

from ..linked_data.views import KNOWN_LABELS
from ..namespaces import STANDARD
from .terms import short_id

RDF = STANDARD["rdf"]
RDFS = STANDARD["rdfs"]
SKOS = STANDARD["skos"]
DCTERMS = STANDARD["dcterms"]
SCHEMA = STANDARD["schema"]
FOAF = STANDARD["foaf"]

#: A resource's name, by preference (the first found names it; all are searchable).
NAME_PREDICATES: tuple[str, ...] = (
    SKOS + "prefLabel", RDFS + "label", SCHEMA + "name", FOAF + "name", SCHEMA + "headline",
)
#: Other names people use; sub-properties of these in the ontology count too.
ALT_PREDICATES: tuple[str, ...] = (SKOS + "altLabel", SKOS + "hiddenLabel", SKOS + "notation")
WIKIDATA_ENTITY = "http://www.wikidata.org/entity/"
#: Bookkeeping, not facts: the build adds a ``dcterms:source`` from every entity to its
#: article (which would make every article the most "linked" thing there is, and be most
#: of the index's values); types are kept apart.
BOOKKEEPING: tuple[str, ...] = (
    RDF + "type", DCTERMS + "source", STANDARD["prov"] + "wasDerivedFrom",
    STANDARD["prov"] + "wasAttributedTo",
)



@dataclass(frozen=True)
class Derived:
    """A shortcut property: a SPARQL pattern binding ``?s`` (entity) and ``?o`` (value)."""

    id: str
    name: str
    description: str
    pattern: str


#: Shortcut properties for reconciliation constraints and data extension. Their ids are
#: not ontology terms; a test checks that the ontology never defines one of these names.
DERIVED: tuple[Derived, ...] = (
    Derived("country", "country",
            "The country a person is a national of or represents, a place lies in, "
            "a post or body belongs to, or an event took place in.",
            "{ ?s dip:nationality|dip:locatedIn|org:postIn|org:subOrganizationOf"
            "|(dip:place/dip:locatedIn)|(^dip:agent/dip:represents) ?o . ?o a dip:Country }"),
    Derived("heldPost", "post held", "Posts the person held (from their tenures).",
            "{ ?tenure dip:holder ?s ; dip:post ?o }"),
    Derived("tookPartIn", "took part in",
            "Events the person, country or organisation took part in.",
            "{ ?o dip:participant ?s }"),
    Derived("wikidata", "Wikidata item", "The entity's Wikidata item (from owl:sameAs).",
            f"{{ ?s owl:sameAs ?o FILTER(STRSTARTS(STR(?o), \"{WIKIDATA_ENTITY}Q\")) }}"),
)

#: Properties whose values make a short description, in order (by short id).
DESCRIBING: tuple[str, ...] = (
    "date", "startDate", "place", "nationality", "locatedIn", "org:postIn",
    "org:subOrganizationOf", "schema:publisher",
)


@dataclass
class Entity:
    iri: str
    name: str = ""
    labels: list[tuple[str, bool]] = field(default_factory=list)  # (text, is alternative)
    types: set[str] = field(default_factory=set)  # asserted, short ids
    links: int = 0
    description: str = ""


@dataclass(frozen=True)
class Value:
    """One value of one property of one entity; ``iri`` set when it is a resource.

    Used for descriptions at build time and, read from the store, by reconciliation.
    """

    entity: str
    property: str  # short id
    iri: str | None
    text: str  # lexical form, or the resource's name when known
    datatype: str | None = None
    language: str | None = None



@dataclass
class Term:
    """A class or a property of the dataset, with how often it is used."""

    id: str  # short id
    iri: str | None  # None for a derived property
    name: str
    description: str = ""
    count: int = 0
    broader: list[str] = field(default_factory=list)  # classes: direct super-classes


@dataclass
class Extract:
    entities: dict[str, Entity]
    types: dict[str, Term]
    properties: dict[str, Term]
    superclasses: dict[str, set[str]]  # short id -> all super-classes (short ids)
    retired: set[str]


def _rows(store: ox.Store, query: str) -> Iterable[ox.QuerySolution]:
    return store.query(query, use_default_graph_as_union=True)  # type: ignore[return-value]


def _prologue(vocab: str) -> str:
    standard = "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in STANDARD.items())
    return f"PREFIX dip: <{vocab}>\n{standard}"


def extract(store: ox.Store, base: str, ontology_graph: str) -> Extract:
    """Read everything the index needs from ``store`` (derived quads plus the ontology)."""
    vocab = base + "ontology#"
    id_base = base + "id/"
    prologue = _prologue(vocab)
    in_ids = f'isIRI(?s) && STRSTARTS(STR(?s), "{id_base}")'
    ontology = f"<{ontology_graph}>"

    term_names = _term_names(store, prologue, ontology)
    alt_predicates = _alt_predicates(store, prologue, ontology)

    retired = {str(row["s"].value) for row in _rows(store, prologue + f"""
        SELECT DISTINCT ?s WHERE {{
          {{ ?s owl:deprecated true }} UNION {{ ?s dcterms:isReplacedBy ?next }}
          FILTER({in_ids}) }}""")}

    entities: dict[str, Entity] = {}
    names: dict[str, tuple[int, str, str]] = {}  # iri -> best (rank, not-english, text)
    predicates = " ".join(f"<{p}>" for p in (*NAME_PREDICATES, *alt_predicates))
    for row in _rows(store, prologue + f"""
            SELECT DISTINCT ?s ?p ?label WHERE {{
              VALUES ?p {{ {predicates} }}
              ?s ?p ?label FILTER({in_ids} && isLITERAL(?label)) }}"""):
        iri = row["s"].value
        if iri in retired:
            continue
        predicate = row["p"].value
        literal = row["label"]
        text = " ".join(literal.value.split())
        if not text:
            continue
        entity = entities.setdefault(iri, Entity(iri))
        if predicate in NAME_PREDICATES:
            rank = (NAME_PREDICATES.index(predicate), literal.language not in (None, "en"), text)
            if iri not in names or rank < names[iri]:
                names[iri] = rank
            entity.labels.append((text, False))
        else:
            entity.labels.append((text, True))
    for iri in list(entities):
        if iri not in names:  # only alternative names: not an entity we can name
            del entities[iri]
            continue
        entity = entities[iri]
        entity.name = names[iri][2]
        seen: set[str] = set()
        labels = []
        # The name first, then other names; an alternative equal to a name is dropped.
        for text, alt in sorted(entity.labels, key=lambda item: (item[0] != entity.name,
                                                                 item[1], item[0])):
            if text not in seen:
                seen.add(text)
                labels.append((text, alt))
        entity.labels = labels

    superclasses = _superclasses(store, prologue, ontology, vocab)
    for row in _rows(store, prologue + f"""
            SELECT DISTINCT ?s ?type WHERE {{ ?s a ?type FILTER({in_ids} && isIRI(?type)) }}"""):
        entity = entities.get(row["s"].value)
        if entity is not None:
            entity.types.add(short_id(row["type"].value, vocab))

    bookkeeping = ", ".join(f"<{p}>" for p in BOOKKEEPING)
    for row in _rows(store, prologue + f"""
            SELECT ?o (COUNT(*) AS ?n) WHERE {{
              ?s ?p ?o FILTER(isIRI(?o) && STRSTARTS(STR(?o), "{id_base}")
                              && ?p NOT IN ({bookkeeping}))
            }} GROUP BY ?o"""):
        entity = entities.get(row["o"].value)
        if entity is not None:
            entity.links = int(row["n"].value)

    types = _types(entities, superclasses, term_names, vocab)
    properties = _properties(store, prologue, in_ids, term_names, vocab)
    _describe(entities, _describing_values(store, prologue, in_ids, vocab, entities), types)
    return Extract(entities, types, properties, superclasses, retired)


def _term_names(store: ox.Store, prologue: str, ontology: str) -> dict[str, tuple[str, str]]:
    """IRI -> (label, comment) of every ontology term; known names for reused terms."""
    found: dict[str, tuple[str, str]] = {}
    for row in _rows(store, prologue + f"""
            SELECT ?t ?label ?comment WHERE {{ GRAPH {ontology} {{
              ?t rdfs:label ?label
              FILTER(isIRI(?t) && (LANGMATCHES(LANG(?label), "en") || LANG(?label) = ""))
              OPTIONAL {{ ?t rdfs:comment ?comment
                         FILTER(LANGMATCHES(LANG(?comment), "en") || LANG(?comment) = "") }}
            }} }} ORDER BY ?t ?label ?comment"""):
        comment = row["comment"].value if row["comment"] is not None else ""
        found.setdefault(row["t"].value, (row["label"].value, comment))
    return {**{iri: (name, "") for iri, name in KNOWN_LABELS.items()}, **found}


def _alt_predicates(store: ox.Store, prologue: str, ontology: str) -> list[str]:
    roots = " ".join(f"<{p}>" for p in ALT_PREDICATES)
    found = set(ALT_PREDICATES)
    for row in _rows(store, prologue + f"""
            SELECT DISTINCT ?p WHERE {{ GRAPH {ontology} {{
              VALUES ?root {{ {roots} }} ?p rdfs:subPropertyOf+ ?root }} }}"""):
        found.add(row["p"].value)
    return sorted(found)


def _superclasses(store: ox.Store, prologue: str, ontology: str,
                  vocab: str) -> dict[str, set[str]]:
    closure: dict[str, set[str]] = defaultdict(set)
    for row in _rows(store, prologue + f"""
            SELECT DISTINCT ?c ?super WHERE {{ GRAPH {ontology} {{
              ?c rdfs:subClassOf+ ?super FILTER(isIRI(?c) && isIRI(?super)) }} }}"""):
        closure[short_id(row["c"].value, vocab)].add(short_id(row["super"].value, vocab))
    return dict(closure)


def _describing_values(store: ox.Store, prologue: str, in_ids: str, vocab: str,
                       entities: dict[str, Entity]) -> list[Value]:
    """Values of the few properties a description shows, names for resources."""
    from .terms import expand

    wanted = " ".join(f"<{expand(p, vocab)}>" for p in DESCRIBING)
    values = []
    for s, p, o in _rows(store, prologue + f"""
            SELECT DISTINCT ?s ?p ?o WHERE {{ VALUES ?p {{ {wanted} }} ?s ?p ?o
                                              FILTER({in_ids}) }}"""):
        if s.value not in entities:
            continue
        if isinstance(o, ox.NamedNode):
            target = entities.get(o.value)
            values.append(Value(s.value, short_id(p.value, vocab), o.value,
                                target.name if target else o.value))
        elif isinstance(o, ox.Literal):
            values.append(Value(s.value, short_id(p.value, vocab), None, o.value))
    return values


def _name_of(iri: str, term_names: dict[str, tuple[str, str]], short: str) -> tuple[str, str]:
    if iri in term_names:
        return term_names[iri]
    local = short.rpartition(":")[2]
    return local, ""


def _types(entities: dict[str, Entity], superclasses: dict[str, set[str]],
           term_names: dict[str, tuple[str, str]], vocab: str) -> dict[str, Term]:
    from .terms import expand

    types: dict[str, Term] = {}
    for entity in entities.values():
        for type_id in entity.types | set().union(*(superclasses.get(t, set())
                                                    for t in entity.types)):
            if type_id not in types:
                iri = expand(type_id, vocab)
                name, comment = _name_of(iri, term_names, type_id)
                types[type_id] = Term(type_id, iri, name, comment)
            types[type_id].count += 1
    direct = _direct_broader(superclasses)
    for type_id, term in types.items():
        term.broader = sorted(b for b in direct.get(type_id, ()) if b in types)
    return dict(sorted(types.items()))


def _direct_broader(superclasses: dict[str, set[str]]) -> dict[str, set[str]]:
    """The immediate super-classes: those not reachable through another super-class."""
    return {c: {s for s in supers
                if not any(s in superclasses.get(other, ()) for other in supers if other != s)}
            for c, supers in superclasses.items()}


def _properties(store: ox.Store, prologue: str, in_ids: str,
                term_names: dict[str, tuple[str, str]], vocab: str) -> dict[str, Term]:
    """Every property entities use (how often), and the derived ones, by short id.

    Counted by Oxigraph in one aggregate per kind, so no value passes through Python.
    """
    skipped = ", ".join(f"<{p}>" for p in BOOKKEEPING)
    properties: dict[str, Term] = {}
    for row in _rows(store, prologue + f"""
            SELECT ?p (COUNT(*) AS ?n) WHERE {{
              ?s ?p ?o FILTER({in_ids} && ?p NOT IN ({skipped}))
            }} GROUP BY ?p"""):
        iri = row["p"].value
        prop = short_id(iri, vocab)
        name, comment = _name_of(iri, term_names, prop)
        properties[prop] = Term(prop, iri, name, comment, int(row["n"].value))
    for derived in DERIVED:
        if derived.id in properties:  # the ontology took the name: it wins
            continue
        # Whether the data has any: counting every use costs seconds at a million triples.
        if list(_rows(store, prologue + f"""
                SELECT ?s WHERE {{ {derived.pattern} FILTER({in_ids}) }} LIMIT 1""")):
            properties[derived.id] = Term(derived.id, None, derived.name, derived.description)
    return dict(sorted(properties.items()))


def _describe(entities: dict[str, Entity], values: list[Value], types: dict[str, Term]) -> None:
    """A short line that tells namesakes apart: "talks · 2024-07-25 · Vientiane"."""
    by_entity: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for value in values:
        if value.property in DESCRIBING:
            by_entity[value.entity][value.property].append(value.text)
    for entity in entities.values():
        parts = [", ".join(sorted(types[t].name for t in entity.types if t in types))]
        found = by_entity.get(entity.iri, {})
        for prop in DESCRIBING:
            if prop in found:
                parts.append(", ".join(sorted(set(found[prop]))))
            if len(parts) >= 3:
                break
        entity.description = " · ".join(p for p in parts if p)
