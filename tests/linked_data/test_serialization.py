"""Writing a description: one ordering for every format, compact JSON-LD, the codings.

The build's document pack and the request path must write the same bytes for the same
quads (their ETags name those bytes), so the faster paths the pack takes are checked here
against the plain definitions they replace.
"""

from __future__ import annotations

import gzip
import json

import pyoxigraph as ox
import pytest
import rdflib

from publisher import formats
from publisher.formats import rdf
from publisher.formats.rdf import (
    Ordered,
    ordered_quads,
    ordered_triples,
    prefixes_of,
    used_prefixes,
)
from publisher.http.compression import CODINGS, PACKED_CODINGS, choose_coding, precompress
from publisher.linked_data.pack import PACK_FORMATS, packed
from publisher.linked_data.rendering import rdf_document, rdf_documents

BASE = "http://example.org/"
EX = BASE + "id/"
SCHEMA = "http://schema.org/"


def _quads() -> list[ox.Quad]:
    one, two = ox.NamedNode(EX + "graph/one"), ox.NamedNode(EX + "graph/two")
    meeting, person = ox.NamedNode(EX + "event/m"), ox.NamedNode(EX + "person/p")
    part = ox.NamedNode(EX + "event/m#participation-1")
    blank = ox.BlankNode("b1")
    name = ox.NamedNode(SCHEMA + "name")
    quads = [
        ox.Quad(meeting, ox.NamedNode(SCHEMA + "startDate"),
                ox.Literal("2024-01-02", datatype=ox.NamedNode(
                    "http://www.w3.org/2001/XMLSchema#date")), one),
        ox.Quad(meeting, name, ox.Literal("Talks", language="en"), one),
        ox.Quad(meeting, name, ox.Literal("Talks", language="en"), two),  # both graphs
        ox.Quad(meeting, ox.NamedNode(SCHEMA + "attendee"), person, two),
        ox.Quad(person, name, ox.Literal("P"), one),
        ox.Quad(part, ox.NamedNode(SCHEMA + "agent"), person, one),
        ox.Quad(blank, ox.NamedNode(SCHEMA + "about"), meeting, two),
        ox.Quad(one, ox.NamedNode("http://www.w3.org/ns/prov#wasDerivedFrom"),
                ox.NamedNode("http://news.example/a"), ox.DefaultGraph()),
        ox.Quad(meeting, ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
                ox.NamedNode(SCHEMA + "Event"), one),
    ]
    return quads + quads[:3]  # duplicates, as a description may repeat a quad


def _reference_order(quads: list[ox.Quad], subject_first: str | None):
    """The definitions the one-pass ordering replaced."""

    def subject_key(term, first):
        if isinstance(term, ox.NamedNode):
            return (0 if term.value == first else 1, term.value)
        return (2, term.value)

    triples = sorted({q.triple for q in quads}, key=lambda t: (
        subject_key(t.subject, subject_first), t.predicate.value, str(t.object)))
    in_quads = sorted(set(quads), key=lambda q: (
        "" if isinstance(q.graph_name, ox.DefaultGraph) else q.graph_name.value,
        subject_key(q.subject, None), q.predicate.value, str(q.object)))
    return triples, in_quads


@pytest.mark.parametrize("first", [EX + "event/m", EX + "person/p", None])
def test_one_pass_ordering_is_the_plain_sort(first: str | None) -> None:
    quads = _quads()
    triples, in_quads = _reference_order(quads, first)
    ordered = Ordered(quads, first)
    assert ordered.triples == triples
    assert ordered.quads == in_quads
    assert ordered_triples(quads, first) == triples
    assert ordered_quads(quads) == in_quads
    iris = {term.value for t in triples for term in (t.subject, t.predicate, t.object)
            if isinstance(term, ox.NamedNode)}
    iris |= {t.object.datatype.value for t in triples if isinstance(t.object, ox.Literal)
             and t.object.datatype.value != rdf.XSD_STRING}
    assert ordered.iris == iris
    assert ordered.prefixes(BASE) == used_prefixes(triples, BASE) == prefixes_of(iris, BASE)
    assert set(ordered.prefixes(BASE)) == {"graph", "prov", "rdf", "schema", "xsd"}


def test_the_pack_writes_what_the_request_path_writes() -> None:
    quads = _quads()
    subject = EX + "event/m"
    together = rdf_documents(quads, PACK_FORMATS, BASE, subject)
    assert set(together) == set(PACK_FORMATS)
    for fmt in PACK_FORMATS:
        assert together[fmt] == rdf_document(quads, fmt, BASE, subject), fmt.name
    # and each one is the document it claims to be
    for fmt in PACK_FORMATS:
        if fmt.quads:
            parsed = rdflib.Dataset()
            parsed.parse(data=together[fmt], format="nquads" if fmt.name == "nquads"
                         else "trig")
            assert len(list(parsed.quads())) == len(set(quads))
        else:
            graph = rdflib.Graph().parse(data=together[fmt], format={
                "turtle": "turtle", "jsonld": "json-ld", "ntriples": "nt",
                "rdfxml": "xml"}[fmt.name], publicID=BASE)
            assert len(graph) == len({q.triple for q in quads}), fmt.name


def test_jsonld_compaction_remembers_within_its_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    quads = _quads()
    expected = formats.serialize(quads, formats.JSON_LD, base=BASE, subject_first=EX + "event/m")
    monkeypatch.setattr(rdf, "COMPACTED", 2)  # starts afresh again and again
    assert formats.serialize(quads, formats.JSON_LD, base=BASE,
                             subject_first=EX + "event/m") == expected
    document = json.loads(expected)
    first = document["@graph"][0]
    assert first["@id"] == EX + "event/m"  # no prefix covers it: left whole
    assert first["@type"] == "schema:Event"
    assert first["schema:startDate"] == {"@value": "2024-01-02", "@type": "xsd:date"}
    assert document["@context"]["schema"] == SCHEMA


def test_the_pack_holds_gzip_only_and_a_client_is_offered_what_it_holds() -> None:
    body = b"<http://example.org/a> <http://example.org/b> <http://example.org/c> .\n" * 40
    assert set(precompress(body, PACKED_CODINGS)) == {"gzip"}
    assert gzip.decompress(precompress(body, PACKED_CODINGS)["gzip"]) == body
    assert set(precompress(body)) == set(CODINGS)
    assert precompress(body[:100], PACKED_CODINGS) == {}  # too small to gain
    assert choose_coding("br, gzip") == "br"
    assert choose_coding("br, gzip", PACKED_CODINGS) == "gzip"
    assert choose_coding("br", PACKED_CODINGS) is None
    assert choose_coding("*", PACKED_CODINGS) == "gzip"
    assert choose_coding("gzip;q=0, br", PACKED_CODINGS) is None
    assert packed("entity:person/p", formats.TURTLE)
    assert not packed("entity:person/p", formats.HTML)
    assert not packed("void:", formats.TURTLE)
