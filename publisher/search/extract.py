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

It is read from the whole dataset at once (:func:`extract`) or graph by graph
(:func:`extract_by_graph`): what a named graph gives (its :class:`Partial`) depends on
its quads alone, so a build that knows each graph's content key remembers the parts and,
after a one-file change, queries only the changed graph; the default graph (the graphs'
descriptions), graphs without a key, the ontology's terms and the shortcut properties'
existence checks (their paths cross graphs) are read every time. Measured at a million
quads (1,527 graphs, CPU-seconds): 7.1 whole, 1.5 after a one-file change, 11.8 with
every part read and written (a cold cache).
"""

from __future__ import annotations

import hashlib
import itertools
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from sys import intern
from typing import Any, NamedTuple, Protocol

import pyoxigraph as ox

from ..linked_data.views import KNOWN_LABELS
from ..namespaces import STANDARD
from ..process import bulk_building
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


#: A subject's best name in a graph, as ranked: (name predicate, not English, text).
Rank = tuple[int, bool, str]


@dataclass
class Partial:
    """What one graph gives the index, read from that graph's quads alone.

    Every field is a function of the graph's quads, the base, this module's code and
    the alternative-name predicates the ontology defines (``alternatives``, kept so that
    a part read with others is not reused), so a graph whose content key has not changed
    gives the same part: a rebuild reads it back from the build cache instead of
    querying the graph again (:func:`extract_by_graph`). Parts combine exactly into what
    the whole dataset gives: Oxigraph's union default graph is a multiset over the
    graphs (the real default graph included), so a COUNT over it is the sum of the
    graphs' counts, and its DISTINCT rows are the set union of theirs. The whole dataset
    read at once is one Partial too (:func:`extract`), so both ways share one assembly.

    Laid out for that assembly, which a rebuild runs over some 1,500 parts: what can be
    worked out from one graph is (a subject's best name there, its names normalised),
    and rows are grouped so that the many about things that are not entities (records,
    tenures) are passed over by set intersections rather than one by one in Python.

    - ``retired``: subjects deprecated or replaced;
    - ``names``: subject -> its best name here (None: only alternative names) and its
      names, each (text, is alternative);
    - ``types``: class IRI -> subjects of that type;
    - ``links``: object -> statements here that link to it (bookkeeping aside);
    - ``uses``: predicate -> statements of an entity here that use it;
    - ``describing``: (subject, predicate, value, value is an IRI) of the properties a
      description shows; the value an IRI or a literal's lexical form.
    """

    alternatives: tuple[str, ...]
    retired: list[str] = field(default_factory=list)
    names: dict[str, tuple[Rank | None, list[tuple[str, bool]]]] = field(default_factory=dict)
    types: dict[str, list[str]] = field(default_factory=dict)
    links: dict[str, int] = field(default_factory=dict)
    uses: dict[str, int] = field(default_factory=dict)
    describing: list[tuple[str, str, str, bool]] = field(default_factory=list)


@dataclass(frozen=True)
class Reuse:
    """How :func:`extract_by_graph` went: the keyed graphs it read from their quads
    (their parts then cached), how many parts came from the cache, and how many named
    graphs have no key (read every time, like the default graph)."""

    extracted: tuple[str, ...]
    reused: int
    unkeyed: int


class PartialCache(Protocol):
    """Where parts are kept between builds (:class:`publisher.pipeline.build_cache.Entries`):
    ``load`` gives None for a missing or unreadable entry."""

    def load(self, key: str) -> Any: ...

    def store(self, key: str, value: object) -> None: ...


@dataclass(frozen=True)
class _Context:
    """What every extraction reads first: the IRIs it works under and the ontology."""

    vocab: str
    id_base: str
    prologue: str
    term_names: dict[str, tuple[str, str]]
    alternatives: tuple[str, ...]
    superclasses: dict[str, set[str]]

    @property
    def in_ids(self) -> str:
        return f'isIRI(?s) && STRSTARTS(STR(?s), "{self.id_base}")'


Graph = ox.NamedNode | ox.BlankNode


def _rows(store: ox.Store, query: str) -> Iterable[ox.QuerySolution]:
    return store.query(query, use_default_graph_as_union=True)  # type: ignore[return-value]


def _prologue(vocab: str) -> str:
    standard = "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in STANDARD.items())
    return f"PREFIX dip: <{vocab}>\n{standard}"


def _context(store: ox.Store, base: str, ontology_graph: str) -> _Context:
    vocab = base + "ontology#"
    prologue = _prologue(vocab)
    ontology = f"<{ontology_graph}>"
    return _Context(vocab, base + "id/", prologue, _term_names(store, prologue, ontology),
                    tuple(_alt_predicates(store, prologue, ontology)),
                    _superclasses(store, prologue, ontology, vocab))


def extract(store: ox.Store, base: str, ontology_graph: str) -> Extract:
    """Read everything the index needs from ``store`` (derived quads plus the ontology),
    the whole dataset at once."""
    with bulk_building():  # some million rows and objects, no cycle among them
        context = _context(store, base, ontology_graph)
        whole = Partial(context.alternatives)
        _read(store, context, whole, use_default_graph_as_union=True)
        return _assemble(store, context, [whole])


#: What a cached part depends on besides its graph, its base and its alternatives: the
#: code that reads it (this file, and the short ids its queries expand) and the engine
#: that runs its queries.
CODE_VERSION = hashlib.sha256(b"\0".join(
    [Path(__file__).read_bytes(), Path(__file__).with_name("terms.py").read_bytes(),
     ox.__version__.encode()])).hexdigest()


def partial_keys(graph_keys: Mapping[ox.NamedNode, str], base: str,
                 ontology_graph: str) -> dict[ox.NamedNode, str]:
    """The cache key of each keyed graph's part: its content key (the same key, the same
    quads), with the code version, the base and the ontology graph. The build computes
    them too, so that the entries the index's process writes are kept."""
    prefix = hashlib.sha256(f"search index part\n{CODE_VERSION}\n{base}\n"
                            f"{ontology_graph}\n".encode()).digest()
    return {graph: hashlib.sha256(prefix + f"{graph.value}\n{key}".encode()).hexdigest()
            for graph, key in graph_keys.items()}


def extract_by_graph(store: ox.Store, base: str, ontology_graph: str,
                     graph_keys: Mapping[ox.NamedNode, str],
                     cache: PartialCache) -> tuple[Extract, Reuse]:
    """What :func:`extract` gives, read graph by graph: each keyed graph's part from
    ``cache`` when its key is there, else from its quads (then cached); the default
    graph and graphs without a key from their quads every time."""
    with bulk_building():  # some million rows and objects, no cycle among them
        context = _context(store, base, ontology_graph)
        keys = partial_keys(graph_keys, base, ontology_graph)
        graphs: list[Graph] = list(store.named_graphs())
        graphs.extend(sorted(keys.keys() - set(graphs), key=str))  # keyed, yet empty
        parts, missing = _from_cache(cache, graphs, keys, context)
        read = _read_graphs(store, context, missing, len(graphs))
        for graph, part in read.items():
            if graph in keys:
                cache.store(keys[graph], part)
        default = Partial(context.alternatives)
        _read(store, context, default, default_graph=ox.DefaultGraph())
        extracted = tuple(sorted(graph.value for graph in missing if graph in keys))
        reuse = Reuse(extracted, len(keys) - len(extracted), len(graphs) - len(keys))
        return _assemble(store, context, [*parts, *read.values(), default]), reuse


def _from_cache(cache: PartialCache, graphs: list[Graph], keys: Mapping[Graph, str],
                context: _Context) -> tuple[list[Partial], list[Graph]]:
    """The parts of ``graphs`` found in the cache, and the graphs whose part was not."""
    parts: list[Partial] = []
    missing: list[Graph] = []
    for graph in graphs:
        key = keys.get(graph)
        part = _cached(cache, key, context) if key is not None else None
        if part is None:
            missing.append(graph)
        else:
            parts.append(part)
    return parts, missing


def _cached(cache: PartialCache, key: str, context: _Context) -> Partial | None:
    """The part cached under ``key``; None when missing, damaged or read with other
    alternative-name predicates (the ontology changed them)."""
    part = cache.load(key)
    if isinstance(part, Partial) and part.alternatives == context.alternatives:
        return part
    return None


def _read_graphs(store: ox.Store, context: _Context, graphs: list[Graph],
                 total: int) -> dict[Graph, Partial]:
    """The parts of ``graphs`` (of ``total`` named graphs), from their quads.

    Most graphs: one pass of each query over every graph (``GRAPH ?g``), rows of graphs
    not asked for dropped. A few: each graph as the default graph of its own queries.
    Measured at a million quads (1,527 graphs): every graph in one pass 11.3-12.5
    CPU-seconds, one by one 13.0-13.8; one graph alone about 5 ms (``VALUES ?g`` no
    cheaper).
    """
    parts = {graph: Partial(context.alternatives) for graph in graphs}
    if 2 * len(parts) > total:
        _read(store, context, parts)
    else:
        for graph, part in parts.items():
            _read(store, context, part, default_graph=graph)
    return parts


class _Select(NamedTuple):
    """One kind of row: the variables it selects (positions its reader relies on; read
    graph by graph, the graph's comes after them), the pattern that binds them in the
    default graph, and for counts the variable they are grouped by (other rows are
    DISTINCT)."""

    variables: tuple[str, ...]
    pattern: str
    group: str
    reader: Callable[[Partial, ox.QuerySolution], None]

    def query(self, prologue: str, by_graph: bool) -> str:
        variables = " ".join(self.variables + (("?g",) if by_graph else ()))
        pattern = f"GRAPH ?g {{ {self.pattern} }}" if by_graph else self.pattern
        group = f" GROUP BY {self.group}{' ?g' if by_graph else ''}" if self.group else ""
        distinct = "" if self.group else "DISTINCT "
        return f"{prologue}SELECT {distinct}{variables} WHERE {{ {pattern} }}{group}"


def _selects(context: _Context) -> list[_Select]:
    """The queries that read a part, each over one default graph."""
    from .terms import expand

    in_ids = context.in_ids
    names = " ".join(f"<{p}>" for p in (*NAME_PREDICATES, *context.alternatives))
    bookkeeping = ", ".join(f"<{p}>" for p in BOOKKEEPING)
    describing = " ".join(f"<{expand(p, context.vocab)}>" for p in DESCRIBING)
    return [
        _Select(("?s",), "{ ?s owl:deprecated true } UNION { ?s dcterms:isReplacedBy ?next } "
                f"FILTER({in_ids})", "", _read_retired),
        _Select(("?s", "?p", "?label"), f"VALUES ?p {{ {names} }} ?s ?p ?label "
                f"FILTER({in_ids} && isLITERAL(?label))", "", _read_name),
        _Select(("?s", "?type"), f"?s a ?type FILTER({in_ids} && isIRI(?type))", "", _read_type),
        # Counted by Oxigraph in one aggregate each, so no statement passes through Python.
        _Select(("?o", "(COUNT(*) AS ?n)"), "?s ?p ?o FILTER(isIRI(?o) && STRSTARTS(STR(?o), "
                f'"{context.id_base}") && ?p NOT IN ({bookkeeping}))', "?o", _read_link),
        _Select(("?p", "(COUNT(*) AS ?n)"), f"?s ?p ?o FILTER({in_ids} && ?p NOT IN "
                f"({bookkeeping}))", "?p", _read_use),
        _Select(("?s", "?p", "?o"), f"VALUES ?p {{ {describing} }} ?s ?p ?o FILTER({in_ids})", "",
                _read_describing),
    ]


def _read(store: ox.Store, context: _Context, into: Partial | dict[Graph, Partial],
          **dataset: Any) -> None:
    """Run each query once, adding its rows to ``into``: one part, read from the default
    graph ``dataset`` gives (the arguments of ``Store.query`` that say what it is), or
    the part of each named graph (rows of other graphs dropped). Rows are read by
    position: by name, reading a row costs several times as much."""
    for select in _selects(context):
        rows = store.query(select.query(context.prologue, isinstance(into, dict)), **dataset)
        reader = select.reader
        if isinstance(into, Partial):
            for row in rows:
                reader(into, row)
        else:
            graph = len(select.variables)
            for row in rows:
                part = into.get(row[graph])
                if part is not None:
                    reader(part, row)


# Row readers. Strings are interned: a subject recurs in a part's names, types, links
# and descriptions, and pickle writes a string object it has seen as a reference, so a
# cached part is smaller and quicker to read back.

def _read_retired(part: Partial, row: ox.QuerySolution) -> None:
    part.retired.append(intern(row[0].value))


def _read_name(part: Partial, row: ox.QuerySolution) -> None:
    label = row[2]
    text = " ".join(label.value.split())
    if not text:
        return
    iri = intern(row[0].value)
    predicate = row[1].value
    best, names = part.names.get(iri) or (None, [])
    if predicate in NAME_PREDICATES:
        rank = (NAME_PREDICATES.index(predicate), label.language not in (None, "en"), text)
        if best is None or rank < best:
            best = rank
        names.append((text, False))
    else:
        names.append((text, True))
    part.names[iri] = (best, names)


def _read_type(part: Partial, row: ox.QuerySolution) -> None:
    part.types.setdefault(intern(row[1].value), []).append(intern(row[0].value))


def _read_link(part: Partial, row: ox.QuerySolution) -> None:
    part.links[intern(row[0].value)] = int(row[1].value)


def _read_use(part: Partial, row: ox.QuerySolution) -> None:
    part.uses[intern(row[0].value)] = int(row[1].value)


def _read_describing(part: Partial, row: ox.QuerySolution) -> None:
    value = row[2]
    if isinstance(value, ox.NamedNode | ox.Literal):  # not a blank node nor a triple
        part.describing.append((intern(row[0].value), intern(row[1].value),
                                intern(value.value), isinstance(value, ox.NamedNode)))


def _assemble(store: ox.Store, context: _Context, parts: list[Partial]) -> Extract:
    """The extract of the dataset the parts were read from (each of its graphs' part,
    or one part of the whole)."""
    retired = set().union(*(part.retired for part in parts))
    entities = _named_entities([part.names for part in parts], retired)
    ids = entities.keys()
    for part in parts:
        for type_iri, subjects in part.types.items():
            typed = ids & subjects  # most typed subjects are not entities
            if typed:
                type_id = short_id(type_iri, context.vocab)
                for iri in typed:
                    entities[iri].types.add(type_id)
        for iri in part.links.keys() & ids:
            entities[iri].links += part.links[iri]
    types = _types(entities, context.superclasses, context.term_names, context.vocab)
    properties = _properties(store, context, _sum(part.uses for part in parts))
    values = _describing_values(
        itertools.chain.from_iterable(part.describing for part in parts), context.vocab,
        entities)
    _describe(entities, values, types)
    return Extract(entities, types, properties, context.superclasses, retired)


def _sum(counts: Iterable[dict[str, int]]) -> dict[str, int]:
    total: dict[str, int] = {}
    for part in counts:
        for key, count in part.items():
            total[key] = total.get(key, 0) + count
    return total


def _named_entities(parts: list[dict[str, tuple[Rank | None, list[tuple[str, bool]]]]],
                    retired: set[str]) -> dict[str, Entity]:
    """Entities with a name (not retired), each named by its best name over every part,
    with its names first, then its other names, each once."""
    best: dict[str, Rank] = {}
    labels: dict[str, list[tuple[str, bool]]] = {}
    for names in parts:
        for iri, (rank, found) in names.items():
            if iri in labels:
                labels[iri].extend(found)
            else:
                labels[iri] = list(found)
            if rank is not None and (iri not in best or rank < best[iri]):
                best[iri] = rank
    entities: dict[str, Entity] = {}
    for iri, rank in best.items():  # with only alternative names: not an entity we can name
        if iri in retired:
            continue
        name = rank[2]
        seen: set[str] = set()
        unique = []
        # The name first, then other names; an alternative equal to a name is dropped.
        for text, alt in sorted(labels[iri], key=lambda item: (item[0] != name, item[1],
                                                               item[0])):
            if text not in seen:
                seen.add(text)
                unique.append((text, alt))
        entities[iri] = Entity(iri, name, unique)
    return entities


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


def _describing_values(rows: Iterable[tuple[str, str, str, bool]], vocab: str,
                       entities: dict[str, Entity]) -> list[Value]:
    """Values of the few properties a description shows, names for resources."""
    values = []
    for iri, predicate, value, is_iri in rows:
        if iri not in entities:
            continue
        if is_iri:
            target = entities.get(value)
            values.append(Value(iri, short_id(predicate, vocab), value,
                                target.name if target else value))
        else:
            values.append(Value(iri, short_id(predicate, vocab), None, value))
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


def _properties(store: ox.Store, context: _Context, uses: dict[str, int]) -> dict[str, Term]:
    """Every property entities use (how often: ``uses``, by IRI), and the derived ones,
    by short id."""
    properties: dict[str, Term] = {}
    for iri, count in uses.items():
        prop = short_id(iri, context.vocab)
        name, comment = _name_of(iri, context.term_names, prop)
        properties[prop] = Term(prop, iri, name, comment, count)
    for derived in DERIVED:
        if derived.id in properties:  # the ontology took the name: it wins
            continue
        # Whether the data has any: counting every use costs seconds at a million triples.
        # Its paths cross graphs, so it is asked of the whole dataset, every time.
        if list(_rows(store, context.prologue + f"""
                SELECT ?s WHERE {{ {derived.pattern} FILTER({context.in_ids}) }} LIMIT 1""")):
            properties[derived.id] = Term(derived.id, None, derived.name, derived.description)
    return dict(sorted(properties.items()))


def _describe(entities: dict[str, Entity], values: list[Value],
              types: dict[str, Term]) -> None:
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
