"""Turn description quads into what an HTML page shows: labels, groups, dates, sources.

The templates only lay out these view objects; every fact on a page comes from the
quads of the document (the HTML shows what the RDF says), and every label from the
description itself or from the ontology.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

import pyoxigraph as ox

from ..namespaces import STANDARD, compact
from .describe import LABEL_PREDICATES, RDF_TYPE, WAS_DERIVED_FROM

XSD = STANDARD["xsd"]
SCHEMA = STANDARD["schema"]
TIME = STANDARD["time"]
RDF = STANDARD["rdf"]

#: Labels of terms of reused vocabularies that the ontology does not restate.
KNOWN_LABELS: dict[str, str] = {
    RDF + "type": "type",
    STANDARD["rdfs"] + "label": "name",
    STANDARD["rdfs"] + "comment": "comment",
    STANDARD["rdfs"] + "subClassOf": "subclass of",
    STANDARD["rdfs"] + "subPropertyOf": "subproperty of",
    STANDARD["rdfs"] + "domain": "domain",
    STANDARD["rdfs"] + "range": "range",
    STANDARD["skos"] + "altLabel": "also known as",
    STANDARD["skos"] + "prefLabel": "preferred label",
    STANDARD["skos"] + "note": "note",
    STANDARD["skos"] + "definition": "definition",
    STANDARD["skos"] + "inScheme": "in scheme",
    STANDARD["skos"] + "closeMatch": "close match",
    STANDARD["skos"] + "topConceptOf": "top concept of",
    STANDARD["owl"] + "sameAs": "same as",
    STANDARD["dcterms"] + "source": "source",
    STANDARD["dcterms"] + "created": "created",
    STANDARD["dcterms"] + "isReplacedBy": "replaced by",
    STANDARD["skos"] + "notation": "notation",
    STANDARD["dcterms"] + "license": "licence",
    STANDARD["prov"] + "wasDerivedFrom": "derived from",
    STANDARD["prov"] + "wasAttributedTo": "attributed to",
    SCHEMA + "headline": "headline",
    SCHEMA + "url": "web address",
    SCHEMA + "publisher": "publisher",
    SCHEMA + "author": "author",
    SCHEMA + "datePublished": "published",
    SCHEMA + "locationCreated": "dateline",
    SCHEMA + "EventScheduled": "scheduled",
    SCHEMA + "EventCompleted": "completed",
    SCHEMA + "NewsArticle": "news article",
    STANDARD["org"] + "member": "member",
    STANDARD["org"] + "organization": "organisation",
    STANDARD["org"] + "role": "role",
    STANDARD["org"] + "memberDuring": "member during",
    STANDARD["org"] + "postIn": "post in",
    STANDARD["org"] + "subOrganizationOf": "part of",
    STANDARD["org"] + "Post": "post",
    STANDARD["org"] + "Membership": "membership",
    STANDARD["foaf"] + "Person": "person",
    STANDARD["skos"] + "Concept": "concept",
    STANDARD["skos"] + "ConceptScheme": "concept scheme",
    TIME + "hasBeginning": "from",
    TIME + "hasEnd": "to",
    TIME + "inXSDDate": "date",
    TIME + "inXSDgYear": "year",
    TIME + "inXSDgYearMonth": "month",
    "http://www.w3.org/ns/oa#Annotation": "evidence (annotation)",
    "http://www.w3.org/ns/oa#SpecificResource": "passage of a source",
    "http://www.w3.org/ns/oa#TextQuoteSelector": "quoted words",
    "http://www.w3.org/ns/oa#hasBody": "evidence for",
    "http://www.w3.org/ns/oa#hasTarget": "passage",
    "http://www.w3.org/ns/oa#exact": "words",
    "http://www.w3.org/2003/01/geo/wgs84_pos#lat": "latitude",
    "http://www.w3.org/2003/01/geo/wgs84_pos#long": "longitude",
}

#: The value of an OWL-Time instant, shown for the instant itself.
INSTANT_VALUES = (TIME + "inXSDDate", TIME + "inXSDgYearMonth", TIME + "inXSDgYear")

#: Shown in the page header rather than the table.
HEADER_PREDICATES = {RDF + "type", STANDARD["rdfs"] + "label", STANDARD["skos"] + "altLabel"}
#: Shown as the page's lead paragraph (they still cite their sources).
LEAD_PREDICATES = (STANDARD["skos"] + "definition", STANDARD["rdfs"] + "comment",
                   STANDARD["skos"] + "note")
#: Table rows that read best first; the rest follow alphabetically by label.
FIRST_PREDICATES = tuple(f"{p}" for p in (
    "date", "startDate", "endDate", "scheduledTime", "place", "partOf", "onSidelinesOf",
    "inSeries", "hostedBy", "chairedBy", "participant", "participation", "topic",
    "mentions", "outcome", "eventStatus", "holder", "post", "during", "nationality",
))

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")


def humanize(local: str) -> str:
    """``wasDerivedFrom`` -> ``was derived from``; ``sergey-lavrov`` -> ``sergey lavrov``."""
    words = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", local).replace("-", " ").replace("_", " ")
    return " ".join(w if len(w) > 1 and w.isupper() else w.lower() for w in words.split())


def local_name(iri: str) -> str:
    return re.split(r"[#/]", iri.rstrip("/#"))[-1]


def readable_literal(literal: ox.Literal) -> str:
    """Dates as people write them; other values as they are."""
    value, datatype = literal.value, literal.datatype.value
    try:
        if datatype == XSD + "date":
            day = date.fromisoformat(value[:10])
            return f"{day.day} {MONTHS[day.month - 1]} {day.year}"
        if datatype == XSD + "gYearMonth":
            year, month = value[:7].split("-")
            return f"{MONTHS[int(month) - 1]} {int(year)}"
        if datatype == XSD + "gYear":
            return str(int(value[:4]))
        if datatype == XSD + "dateTime":
            moment = datetime.fromisoformat(value)
            text = f"{moment.day} {MONTHS[moment.month - 1]} {moment.year}, {moment:%H:%M}"
            if moment.utcoffset() is not None:
                offset = moment.strftime("%z")
                text += " UTC" if offset == "+0000" else f" (UTC{offset[:3]}:{offset[3:]})"
            return text
    except (ValueError, IndexError):
        return value
    return value


@dataclass
class Labeler:
    """Names for IRIs: the description's own labels, then the ontology's, then a guess."""

    base: str
    vocabulary: dict[str, str] = field(default_factory=dict)
    comments: dict[str, str] = field(default_factory=dict)
    local: dict[str, str] = field(default_factory=dict)
    id_base: str = ""  # settings.id_base: where entity IRIs are minted

    def with_quads(self, quads: Iterable[ox.Quad | ox.Triple]) -> Labeler:
        return Labeler(self.base, self.vocabulary, self.comments, labels_of(quads),
                       self.id_base)

    def label(self, iri: str) -> str:
        found = self.local.get(iri) or self.vocabulary.get(iri) or KNOWN_LABELS.get(iri)
        if found:
            return found
        if self.id_base and iri.startswith(self.id_base):
            return humanize(local_name(iri))
        shown = compact(iri, self.base)
        return humanize(local_name(iri)) if shown != iri else iri

    def has_label(self, iri: str) -> bool:
        return iri in self.local or iri in self.vocabulary or iri in KNOWN_LABELS


def labels_of(quads: Iterable[ox.Quad | ox.Triple]) -> dict[str, str]:
    """Best label per IRI: by predicate preference, English or untagged first."""
    ranked: dict[str, tuple[tuple[int, int], str]] = {}
    order = {p: i for i, p in enumerate(LABEL_PREDICATES)}
    for quad in quads:
        rank = order.get(quad.predicate)
        if rank is None or not isinstance(quad.subject, ox.NamedNode):
            continue
        if not isinstance(quad.object, ox.Literal):
            continue
        lang = quad.object.language
        key = (rank, 0 if lang in (None, "en") or (lang or "").startswith("en-") else 1)
        current = ranked.get(quad.subject.value)
        if current is None or key < current[0]:
            ranked[quad.subject.value] = (key, quad.object.value)
    return {iri: text for iri, (_, text) in ranked.items()}


@dataclass
class Value:
    """One value of a property, ready to show."""

    text: str
    href: str | None = None
    iri: str | None = None
    lang: str | None = None
    datatype: str | None = None
    sources: list[int] = field(default_factory=list)
    nested: list[Row] | None = None
    internal: bool = False

    @property
    def sort_key(self) -> tuple:
        return (self.text.lower(), self.iri or "")


@dataclass
class Row:
    """A property with its values (or, for incoming links, an inverse property)."""

    iri: str
    label: str
    curie: str
    comment: str | None
    values: list[Value]
    inverse: bool = False


@dataclass
class Source:
    number: int
    graph: str
    label: str
    article: str | None = None
    headline: str | None = None
    url: str | None = None
    publisher: str | None = None
    published: str | None = None
    curated_from: list[str] = field(default_factory=list)


class Statements:
    """Index of a document's quads: by subject, by object, and the graphs of each triple."""

    def __init__(self, quads: Sequence[ox.Quad]) -> None:
        self.by_subject: dict[ox.NamedNode | ox.BlankNode, list[ox.Triple]] = defaultdict(list)
        self.by_object: dict[ox.Term, list[ox.Triple]] = defaultdict(list)
        self.graphs: dict[ox.Triple, list[ox.NamedNode]] = defaultdict(list)
        self.graph_descriptions: dict[ox.NamedNode, list[ox.Triple]] = defaultdict(list)
        seen: set[ox.Triple] = set()
        for quad in quads:
            triple = quad.triple
            if isinstance(quad.graph_name, ox.NamedNode):
                if quad.graph_name not in self.graphs[triple]:
                    self.graphs[triple].append(quad.graph_name)
            if triple in seen:
                continue
            seen.add(triple)
            self.by_subject[triple.subject].append(triple)
            self.by_object[triple.object].append(triple)

    def objects(self, subject: ox.Term, predicate: str) -> list[ox.Term]:
        return [t.object for t in self.by_subject.get(subject, ())
                if t.predicate.value == predicate]

    def first_literal(self, subject: ox.Term, predicate: str) -> ox.Literal | None:
        for value in self.objects(subject, predicate):
            if isinstance(value, ox.Literal):
                return value
        return None


class PageBuilder:
    """Builds the rows of one page; numbers the sources cited as it goes."""

    def __init__(self, statements: Statements, labeler: Labeler, cite: bool = True) -> None:
        self.s = statements
        self.labeler = labeler
        self.cite = cite
        self.sources: dict[ox.NamedNode, int] = {}

    # -- values ---------------------------------------------------------------------
    def value(self, term: ox.Term, triple: ox.Triple | None = None,
              depth: int = 0) -> Value:
        sources = self._cite(triple) if triple is not None else []
        if isinstance(term, ox.NamedNode) and not self._nested(term):
            return Value(self.labeler.label(term.value), href=term.value, iri=term.value,
                         sources=sources, internal=term.value.startswith(self.labeler.base))
        if isinstance(term, ox.Literal):
            datatype = term.datatype.value
            shown = None if datatype in (XSD + "string", RDF + "langString") else compact(
                datatype, self.labeler.base)
            href = term.value if datatype == XSD + "anyURI" else None
            return Value(readable_literal(term), href=href, lang=term.language,
                         datatype=shown, sources=sources)
        summary = self._summarize_blank(term, depth)
        if summary is not None:
            summary.sources = sources
            return summary
        nested = self.rows(term, depth=depth + 1) if depth < 4 else []
        return Value("", nested=nested, sources=sources)

    def _nested(self, term: ox.Term) -> bool:
        """A part of another resource's description, shown inline like a blank node: a
        hash IRI of the dataset (``event#participation-…``, ``membership#period``) that
        the document describes."""
        return (isinstance(term, ox.NamedNode) and "#" in term.value
                and term.value.startswith(self.labeler.base + "id/")
                and term in self.s.by_subject)

    def _summarize_blank(self, node: ox.BlankNode | ox.NamedNode,
                         depth: int) -> Value | None:
        """Lists, time intervals, instants and one-value wrappers read better inline."""
        triples = self.s.by_subject.get(node, [])
        predicates = {t.predicate.value for t in triples}
        for predicate in INSTANT_VALUES:
            if predicate in predicates:
                return self.value(self.s.objects(node, predicate)[0], depth=depth + 1)
        if RDF + "first" in predicates:
            items = [self.value(item, depth=depth + 1) for item in self._list_items(node)]
            return Value(", ".join(i.text or "…" for i in items), nested=None,
                         datatype=None) if all(not i.href for i in items) else Value(
                "", nested=[Row(RDF + "List", "list", "rdf:List", None, items)])
        if predicates and predicates <= {TIME + "hasBeginning", TIME + "hasEnd"}:
            ends = []
            for predicate in (TIME + "hasBeginning", TIME + "hasEnd"):
                values = self.s.objects(node, predicate)
                ends.append(self.value(values[0], depth=depth + 1).text if values else "…")
            text = ends[0] if ends[0] == ends[1] else f"{ends[0]} – {ends[1]}"
            return Value(text)
        if len(triples) == 1 and isinstance(triples[0].object, ox.Literal):
            return self.value(triples[0].object, depth=depth + 1)
        return None

    def _list_items(self, node: ox.Term) -> list[ox.Term]:
        items: list[ox.Term] = []
        guard = 0
        while isinstance(node, ox.BlankNode) and guard < 1000:
            guard += 1
            firsts = self.s.objects(node, RDF + "first")
            if firsts:
                items.append(firsts[0])
            rests = self.s.objects(node, RDF + "rest")
            node = rests[0] if rests else None
        return items

    def _cite(self, triple: ox.Triple) -> list[int]:
        if not self.cite:
            return []
        numbers = []
        for graph in self.s.graphs.get(triple, ()):
            if graph not in self.sources:
                self.sources[graph] = len(self.sources) + 1
            numbers.append(self.sources[graph])
        return sorted(numbers)

    # -- rows -----------------------------------------------------------------------
    def row(self, predicate: str, values: list[Value], inverse: bool = False,
            label: str | None = None) -> Row:
        return Row(predicate, label or self.labeler.label(predicate),
                   compact(predicate, self.labeler.base),
                   self.labeler.comments.get(predicate), values, inverse)

    def rows(self, subject: ox.Term, exclude: Iterable[str] = (), depth: int = 0) -> list[Row]:
        grouped: dict[str, list[Value]] = defaultdict(list)
        skip = set(exclude)
        for triple in self.s.by_subject.get(subject, []):
            if triple.predicate.value in skip:
                continue
            grouped[triple.predicate.value].append(self.value(triple.object, triple, depth))
        rows = [self.row(p, sorted(v, key=lambda x: x.sort_key)) for p, v in grouped.items()]
        return sorted(rows, key=self._row_key)

    def _row_key(self, row: Row) -> tuple:
        name = local_name(row.iri)
        if row.iri.startswith(self.labeler.base) and name in FIRST_PREDICATES:
            return (0, FIRST_PREDICATES.index(name), "")
        return (1, 0, row.label.lower())

    def incoming(self, node: ox.NamedNode) -> list[Row]:
        """Links to ``node``; through a blank node, the owner with the node's details."""
        grouped: dict[tuple[str, ...], list[Value]] = defaultdict(list)
        for triple in self.s.by_object.get(node, []):
            if isinstance(triple.subject, ox.NamedNode) and not (
                    self._nested(triple.subject)
                    and triple.subject.value.split("#", 1)[0] != node.value):
                if triple.subject == node or self._nested(triple.subject):
                    continue
                value = self.value(triple.subject, triple)
                grouped[(triple.predicate.value,)].append(value)
                continue
            inner = triple.predicate.value
            for owner_triple in self.s.by_object.get(triple.subject, []):
                if not isinstance(owner_triple.subject, ox.NamedNode):
                    continue
                value = self.value(owner_triple.subject, owner_triple)
                value.nested = self.rows(triple.subject, exclude=(inner,), depth=1)
                grouped[(owner_triple.predicate.value, inner)].append(value)
        _merge_chains(grouped)
        rows = []
        for key, values in grouped.items():
            unique = {(v.iri, v.text): v for v in values}
            values = sorted(unique.values(), key=lambda v: v.sort_key)
            if len(key) == 1:
                label = f"is {self.labeler.label(key[0])} of"
            elif len(key) == 3:
                label = f"is {self.labeler.label(key[2])} of"
            else:
                label = f"is {self.labeler.label(key[1])} in the {self.labeler.label(key[0])} of"
            rows.append(self.row(key[-1], values, inverse=True, label=label))
        return sorted(rows, key=lambda r: (-len(r.values), r.label))

    def source_list(self) -> list[Source]:
        """The graphs cited, in citation order, with the article each is derived from."""
        out = []
        for graph, number in sorted(self.sources.items(), key=lambda item: item[1]):
            label = self.labeler.label(graph.value)
            source = Source(number, graph.value, label)
            for triple in self.s.by_subject.get(graph, []):
                if triple.predicate == WAS_DERIVED_FROM and isinstance(triple.object,
                                                                        ox.NamedNode):
                    article = triple.object
                    source.article = article.value
                    headline = self.s.first_literal(article, SCHEMA + "headline")
                    source.headline = headline.value if headline else None
                    url = self.s.first_literal(article, SCHEMA + "url")
                    source.url = url.value if url else None
                    published = self.s.first_literal(article, SCHEMA + "datePublished")
                    source.published = readable_literal(published) if published else None
                    publishers = self.s.objects(article, SCHEMA + "publisher")
                    if publishers and isinstance(publishers[0], ox.NamedNode):
                        source.publisher = self.labeler.label(publishers[0].value)
                elif triple.predicate.value.endswith("#curatedFrom") and isinstance(
                        triple.object, ox.Literal):
                    source.curated_from.append(triple.object.value)
            source.curated_from.sort()
            out.append(source)
        return out


def _merge_chains(grouped: dict[tuple[str, ...], list[Value]]) -> None:
    """Fold a direct link into the blank-node path that says the same, with details.

    ``event dip:participant person`` is derived from ``event dip:participation [dip:agent
    person]``; listing the same events twice helps no one, so when a direct group and a
    blank-node group link the same resources, only the detailed one is kept, under the
    direct property's (simpler) name.
    """
    for key in [k for k in grouped if len(k) == 2]:
        owners = {v.iri for v in grouped[key]}
        for direct in [k for k in grouped if len(k) == 1]:
            if {v.iri for v in grouped[direct]} == owners:
                grouped[(*key, direct[0])] = grouped.pop(key)
                del grouped[direct]
                break


def types_of(statements: Statements, node: ox.Term, labeler: Labeler) -> list[Value]:
    return sorted((Value(labeler.label(t.value), href=t.value, iri=t.value)
                   for t in statements.objects(node, RDF_TYPE.value)
                   if isinstance(t, ox.NamedNode)), key=lambda v: v.sort_key)
