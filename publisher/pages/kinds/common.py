"""What every per-kind page builder needs: queries over the build being served, labels,
references with their evidence, events with their dates, and rows in date order.

Builders ask the store (the request's snapshot) with SPARQL over the union of the
graphs, so a page shows what the published RDF says and nothing else; each row's
references are the source graphs that state its record, with the words the source uses
(the ``oa:TextQuoteSelector`` passages of the Web Annotations whose body is the record).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import pyoxigraph as ox

from ..bounds import SECTION_ROWS, plural, query_href
from ..dates import PartialDate
from ..model import Link, Quote, Reference, Row, Section, Text, When

RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
PREFIXES = """PREFIX dip: <{vocab}>
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX org: <http://www.w3.org/ns/org#>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX schema: <http://schema.org/>
PREFIX time: <http://www.w3.org/2006/time#>
PREFIX oa: <http://www.w3.org/ns/oa#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX owl: <http://www.w3.org/2002/07/owl#>
PREFIX geo: <http://www.w3.org/2003/01/geo/wgs84_pos#>
"""
#: A date, a month or a year: the three properties a date may be given by.
INSTANT_VALUE = "(time:inXSDDate|time:inXSDgYearMonth|time:inXSDgYear)"
_SAFE_IRI = re.compile(r"^[^\s<>\"{}|\\^`]+$")

Query = Callable[[str], Iterable]


def iri_ref(iri: str) -> str:
    """``<iri>`` for a query; IRIs come from our own store, but never trust a string."""
    if not _SAFE_IRI.match(iri):
        raise ValueError(f"not an IRI that can go in a query: {iri!r}")
    return f"<{iri}>"


def values(iris: Iterable[str]) -> str:
    return " ".join(iri_ref(i) for i in iris)


def text_of(term: ox.Term | None) -> str | None:
    return None if term is None else term.value


@dataclass
class Context:
    """One page's view of the build: how to ask it, and how to name things."""

    query: Query
    base: str
    label: Callable[[str], str]
    #: Hand-written inverse labels of properties (``dip:inverseLabel`` in the ontology).
    inverse_labels: dict[str, str] = field(default_factory=dict)
    #: Which graphs state which records, with their passages: one per build, shared by
    #: its pages (read on first use when the caller has none).
    sources: SourceIndex | None = None
    _references: dict[str, int] = field(default_factory=dict)

    @property
    def vocab(self) -> str:
        return self.base + "ontology#"

    def select(self, sparql: str) -> list[dict[str, ox.Term]]:
        """Rows of a SELECT over the union of all graphs, as dicts by variable name.

        Without an ORDER BY the rows come in the engine's order (SPARQL leaves it open):
        the embedded store, an Oxigraph server and Virtuoso differ, and pages that keep
        the first of several values or list rows as they come would differ with them. So
        such rows are put in one canonical order (every value, in the variables' order),
        and a page is the same bytes for the same build whatever the store."""
        solutions = self.query(PREFIXES.format(vocab=self.vocab) + sparql)
        names = [v.value for v in solutions.variables]
        rows = [{n: s[n] for n in names if s[n] is not None} for s in solutions]
        if "ORDER BY" not in sparql.upper():
            rows.sort(key=lambda row: tuple(
                (0, str(row[n])) if n in row else (1, "") for n in names))
        return rows

    def link(self, iri: str, kind: str | None = None) -> Link:
        internal = iri.startswith(self.base)
        return Link(self.label(iri), iri, kind, external=not internal, iri=iri)

    # -- references -----------------------------------------------------------------
    def references(self, records: Sequence[str]) -> dict[str, list[Reference]]:
        """For each record: the sources (graphs derived from an article) that state it,
        numbered in the order the page first cites them, with the passages they use."""
        if self.sources is None:
            self.sources = SourceIndex.read(self)
        self.sources.learn(records)
        found: dict[str, list[Reference]] = {}
        for record in records:
            references = []
            for graph in self.sources.graphs_of.get(record, ()):
                number = self._references.setdefault(graph, len(self._references) + 1)
                info = self.sources.graphs.get(graph, {})
                references.append(Reference(
                    number, info.get("headline") or info.get("label") or self.label(graph),
                    info.get("article") or graph, info.get("url"), info.get("publisher"),
                    date_or_none(info.get("published")),
                    list(self.sources.quotes.get((graph, record), ()))))
            if references:
                found[record] = sorted(references, key=lambda r: r.number)
        return found

    def cited(self) -> list[str]:
        """The source graphs cited on this page, in citation order."""
        return sorted(self._references, key=self._references.get)


@dataclass
class SourceIndex:
    """The provenance of records, asked for per page and kept for the build's other
    pages: which graphs state a record, what each graph is, and the passages it uses.
    Reading it all up front scanned every statement of the build on its first page
    (seconds at 100k statements, minutes at millions); a page names only the records
    it shows, so it asks about those only."""

    #: How to ask the build (a context whose query function outlives single pages).
    ctx: Context
    #: record IRI -> the graphs that say something about it, sorted.
    graphs_of: dict[str, list[str]] = field(default_factory=dict)
    #: graph IRI -> its label, article, headline, url, publisher (label), published.
    graphs: dict[str, dict[str, str]] = field(default_factory=dict)
    #: (graph, record) -> the passages of that source stating the record.
    quotes: dict[tuple[str, str], list[Quote]] = field(default_factory=dict)

    @classmethod
    def read(cls, ctx: Context) -> SourceIndex:
        return cls(ctx)

    def learn(self, records: Iterable[str]) -> None:
        """Ask about the records not yet known, ``VALUES_CHUNK`` at a time."""
        missing = sorted({r for r in records if r not in self.graphs_of and
                          _SAFE_IRI.match(r)})
        for start in range(0, len(missing), VALUES_CHUNK):
            self._learn(missing[start:start + VALUES_CHUNK])

    def _learn(self, records: list[str]) -> None:
        ctx = self.ctx
        graphs_of: dict[str, set[str]] = {r: set() for r in records}
        for row in ctx.select(f"""SELECT DISTINCT ?s ?g WHERE {{
            VALUES ?s {{ {values(records)} }} GRAPH ?g {{ ?s ?p ?o }} }}"""):
            graphs_of[row["s"].value].add(row["g"].value)
        quotes: dict[tuple[str, str], list[Quote]] = defaultdict(list)
        for row in ctx.select(f"""SELECT ?graph ?record ?exact ?prefix ?suffix WHERE {{
            VALUES ?record {{ {values(records)} }}
            GRAPH ?graph {{ ?note oa:hasBody ?record ;
                                 oa:hasTarget/oa:hasSelector ?selector .
                           ?selector oa:exact ?exact .
                           OPTIONAL {{ ?selector oa:prefix ?prefix }}
                           OPTIONAL {{ ?selector oa:suffix ?suffix }} }} }}
            ORDER BY ?graph ?record ?exact"""):
            quote = Quote(row["exact"].value, text_of(row.get("prefix")),
                          text_of(row.get("suffix")))
            key = (row["graph"].value, row["record"].value)
            if quote not in quotes[key]:
                quotes[key].append(quote)
        new = sorted({g for found in graphs_of.values() for g in found} - set(self.graphs))
        graphs: dict[str, dict[str, str]] = {g: {} for g in new}
        for start in range(0, len(new), VALUES_CHUNK):
            for row in ctx.select(f"""SELECT ?graph ?label ?article ?headline ?url
                ?publisher ?published WHERE {{
                VALUES ?graph {{ {values(new[start:start + VALUES_CHUNK])} }}
                OPTIONAL {{ ?graph rdfs:label ?label }}
                OPTIONAL {{ ?graph prov:wasDerivedFrom ?article .
                  OPTIONAL {{ ?article schema:headline ?headline }}
                  OPTIONAL {{ ?article schema:url ?url }}
                  OPTIONAL {{ ?article schema:publisher/rdfs:label ?publisher }}
                  OPTIONAL {{ ?article schema:datePublished ?published }} }} }}"""):
                info = graphs[row["graph"].value]
                for key, term in row.items():
                    if key != "graph" and key not in info:
                        info[key] = term.value
        self.graphs.update(graphs)
        self.quotes.update(quotes)
        self.graphs_of.update({r: sorted(g) for r, g in graphs_of.items()})


def date_or_none(text: str | None) -> PartialDate | None:
    if not text:
        return None
    try:
        return PartialDate.parse(text)
    except ValueError:
        return None


# -- events --------------------------------------------------------------------------

@dataclass
class Participant:
    agent: str
    capacity: list[str] = field(default_factory=list)
    represents: list[str] = field(default_factory=list)
    roles: list[str] = field(default_factory=list)
    record: str | None = None


@dataclass
class Event:
    iri: str
    label: str
    types: list[str] = field(default_factory=list)
    start: PartialDate | None = None
    end: PartialDate | None = None
    places: list[str] = field(default_factory=list)
    #: The events it was part of or held on the sidelines of.
    parents: list[str] = field(default_factory=list)
    participants: list[Participant] = field(default_factory=list)
    status: str | None = None

    @property
    def when(self) -> When | None:
        return When(self.start, self.end) if self.start else None

    @property
    def sort_key(self) -> tuple:
        if self.start is None and self.end is not None:  # known only to end by a date
            return (0, (*self.end.sort_key, self.end.last_day), self.label, self.iri)
        if self.start is None:  # undated events go last, by label
            return (1, (), self.label, self.iri)
        last = self.end or self.start
        return (0, (*self.start.sort_key, last.last_day), self.label, self.iri)

    def agents(self) -> list[str]:
        return [p.agent for p in self.participants]


EVENT_CLASS = "dip:DiplomaticEvent"
#: IRIs named in one query's VALUES at most (a page names no more than it shows).
VALUES_CHUNK = 200


def events(ctx: Context, iris: Iterable[str]) -> dict[str, Event]:
    """Dates, places, parents, status and participants of the events named."""
    wanted = sorted(set(iris))
    if not wanted:
        return {}
    if len(wanted) > VALUES_CHUNK:  # never a query naming thousands of IRIs
        found: dict[str, Event] = {}
        for start in range(0, len(wanted), VALUES_CHUNK):
            found.update(events(ctx, wanted[start:start + VALUES_CHUNK]))
        return found
    found = {}
    # one row per statement (not the product of types x places x parents), grouped here
    wanted_properties = {RDF_TYPE: "type", **{ctx.vocab + p: key for p, key in (
        ("date", "date"), ("startDate", "start"), ("endDate", "end"), ("place", "place"),
        ("partOf", "parent"), ("onSidelinesOf", "parent"), ("status", "status"))}}
    given: dict[str, dict[str, list[ox.Term]]] = {iri: defaultdict(list) for iri in wanted}
    for row in ctx.select(f"""SELECT ?e ?p ?o WHERE {{ VALUES ?e {{ {values(wanted)} }}
        ?e ?p ?o FILTER(?p IN ({', '.join(iri_ref(p) for p in sorted(wanted_properties))}))
        }}"""):
        given[row["e"].value][wanted_properties[row["p"].value]].append(row["o"])
    for iri in wanted:
        facts = given[iri]
        event = found[iri] = Event(iri, ctx.label(iri))
        for key, target in (("type", event.types), ("place", event.places),
                            ("parent", event.parents)):
            for term in sorted(facts[key], key=str):
                if term.value not in target:
                    target.append(term.value)
        for term in facts["date"] + facts["start"]:
            start = date_or_none(term.value)
            if start and (event.start is None or start.sort_key < event.start.sort_key):
                event.start = start
        if not facts["date"]:
            for term in sorted(facts["end"], key=str):
                event.end = date_or_none(term.value) or event.end
        if facts["status"]:
            event.status = sorted(facts["status"], key=str)[-1].value
    for row in ctx.select(f"""
SELECT DISTINCT ?e ?record ?agent ?capacity ?represents ?role WHERE {{
  VALUES ?e {{ {values(wanted)} }}
  ?e dip:participant ?agent .
  OPTIONAL {{ ?e dip:participation ?record . ?record dip:agent ?agent .
     OPTIONAL {{ ?record dip:capacity ?capacity }}
     OPTIONAL {{ ?record dip:represents ?represents }}
     OPTIONAL {{ ?record dip:role ?role }} }}
}}"""):
        event = found.get(row["e"].value)
        if event is None:
            continue
        agent = row["agent"].value
        participant = next((p for p in event.participants if p.agent == agent), None)
        if participant is None:
            participant = Participant(agent, record=text_of(row.get("record")))
            event.participants.append(participant)
        for key, target in (("capacity", participant.capacity),
                            ("represents", participant.represents),
                            ("role", participant.roles)):
            if key in row and row[key].value not in target:
                target.append(row[key].value)
    for event in found.values():
        event.types.sort(key=lambda t: (ctx.label(t), t))
    return found


@dataclass
class Selection:
    """The first events of a list in its stated order (the most recent first, undated
    last), how many the list has, and the query that lists them all."""

    iris: list[str]
    total: int
    #: A SPARQL query listing every event of the list (for the "N more" link).
    query: str

    @property
    def complete(self) -> bool:
        return len(self.iris) >= self.total


def latest(ctx: Context, pattern: str, limit: int = SECTION_ROWS) -> Selection:
    """The ``limit`` most recent events that ``pattern`` binds to ``?event``.

    One query orders them inside the store (by the earliest of their dates as written:
    ISO dates of any precision sort as the pages sort them) and a second counts them
    only when the first was cut, so a page never fetches, or asks about, more events
    than it shows."""
    rows = ctx.select(f"""SELECT ?event (MIN(STR(?d)) AS ?key) WHERE {{
        {{ SELECT DISTINCT ?event WHERE {{ {pattern} }} }}
        OPTIONAL {{ ?event dip:date|dip:startDate|dip:endDate ?d }} }}
        GROUP BY ?event ORDER BY DESC(?key) STR(?event) LIMIT {int(limit)}""")
    iris = [row["event"].value for row in rows]
    total = len(iris)
    if total >= limit:
        counted = ctx.select(f"SELECT (COUNT(DISTINCT ?event) AS ?n) WHERE {{ {pattern} }}")
        total = int(counted[0]["n"].value) if counted else total
    listing = (PREFIXES.format(vocab=ctx.vocab) + "SELECT ?event ?label ?date WHERE {\n"
               f"  {{ SELECT DISTINCT ?event WHERE {{ {' '.join(pattern.split())} }} }}\n"
               "  OPTIONAL { ?event rdfs:label ?label }\n"
               "  OPTIONAL { ?event dip:date|dip:startDate|dip:endDate ?date }\n"
               "} ORDER BY DESC(?date) ?event")
    return Selection(iris, total, listing)


def bounded(section: Section, ctx: Context, selection: Selection, what: str = "event",
            whats: str | None = None, order: str = "most recent",
            listed: str | None = "listed in date order") -> Section:
    """``section`` with the note "Showing the 100 most recent of 2,345 events" and a link
    to the query listing them all, when the selection was cut (the heading then counts
    the whole list)."""
    if selection.complete:
        return section
    shown = len(selection.iris)
    section.count = selection.total
    section.more = (f"Showing the {shown:,} {order} of {plural(selection.total, what, whats)}"
                    + (f", {listed}" if listed else "") + ".")
    section.more_href = query_href(ctx.base, selection.query)
    section.more_label = f"All {selection.total:,} as a SPARQL query"
    return section


def in_date_order(items: Iterable[Event]) -> list[Event]:
    return sorted(items, key=lambda e: e.sort_key)


def nest(ordered: Sequence[Event]) -> list[tuple[Event, list[Event]]]:
    """Events whose parent is in the list go under it (in date order); the rest are
    roots, in date order."""
    present = {e.iri for e in ordered}
    children: dict[str, list[Event]] = defaultdict(list)
    roots = []
    for event in ordered:
        parent = next((p for p in event.parents if p in present and p != event.iri), None)
        if parent:
            children[parent].append(event)
        else:
            roots.append(event)
    placed = {e.iri for e in roots} | {c.iri for kids in children.values() for c in kids}
    roots += [e for e in ordered if e.iri not in placed]
    return [(root, children.get(root.iri, [])) for root in in_date_order(roots)]


def when_cell(event: Event) -> list:
    if event.when:
        return [event.when]
    if event.end:
        return [When(event.end, word="until")]
    return [Text("date not given")]


def event_rows(ctx: Context, found: dict[str, Event], make: Callable[[Event], list[list]],
               references: dict[str, list[Reference]] | None = None) -> list[Row]:
    """Rows in date order with side meetings nested under theirs."""
    references = references if references is not None else ctx.references(list(found))
    rows = []
    for root, kids in nest(in_date_order(found.values())):
        row = Row(make(root), references.get(root.iri, []), tag=_tag(root))
        row.children = [Row(make(kid), references.get(kid.iri, []), tag=_tag(kid))
                        for kid in in_date_order(kids)]
        rows.append(row)
    return rows


def _tag(event: Event) -> str | None:
    if event.status and not event.status.endswith("TookPlace"):
        return "planned"
    return None


def interval(ctx: Context, records: Sequence[str], via: str = "dip:during|org:memberDuring"
             ) -> dict[str, tuple[PartialDate | None, PartialDate | None, PartialDate | None]]:
    """(start, end, as of) of each record's time span, as far as the data gives them."""
    if not records:
        return {}
    found: dict[str, list] = {r: [None, None, None] for r in records}
    for row in ctx.select(f"""
SELECT DISTINCT ?r ?start ?end ?asOf WHERE {{
  VALUES ?r {{ {values(records)} }}
  OPTIONAL {{ ?r {via} ?period .
    OPTIONAL {{ ?period time:hasBeginning/{INSTANT_VALUE} ?start }}
    OPTIONAL {{ ?period time:hasEnd/{INSTANT_VALUE} ?end }} }}
  OPTIONAL {{ ?r dip:asOf/{INSTANT_VALUE} ?asOf }}
}}"""):
        slot = found[row["r"].value]
        for index, key in enumerate(("start", "end", "asOf")):
            value = date_or_none(text_of(row.get(key)))
            if value and (slot[index] is None or value.sort_key > slot[index].sort_key):
                slot[index] = value
    return {r: tuple(v) for r, v in found.items()}


def span_cell(start: PartialDate | None, end: PartialDate | None,
              as_of: PartialDate | None) -> list:
    if start and end:
        return [When(start, end)]
    if start:
        return [When(start, word="since")]
    if end:
        return [When(end, word="until")]
    if as_of:
        return [When(as_of, word="as of")]
    return []


def sort_links(links: Iterable[Link]) -> list[Link]:
    return sorted(links, key=lambda link: (link.label.lower(), link.href))


def dated_rows(ctx: Context, records: Sequence[str]) -> list[Row]:
    """Records (statements, initiatives …) as rows in the order of their dates."""
    dates: dict[str, PartialDate | None] = {r: None for r in records}
    for row in ctx.select(f"""SELECT ?r (MIN(STR(?d)) AS ?date) WHERE {{
        VALUES ?r {{ {values(records)} }} OPTIONAL {{ ?r dip:date|dip:startDate ?d }} }}
        GROUP BY ?r"""):
        dates[row["r"].value] = date_or_none(text_of(row.get("date")))
    references = ctx.references(list(records))

    def key(record: str) -> tuple:
        date = dates[record]
        return (date is None, date.sort_key if date else (), ctx.label(record))

    return [Row([[When(dates[r])] if dates[r] else [Text("date not given")], [ctx.link(r)]],
                references.get(r, [])) for r in sorted(records, key=key)]
