"""Real third-party clients against a live server: SPARQLWrapper and rdflib's SPARQLStore."""

from __future__ import annotations

import urllib.error
from http.client import IncompleteRead
from xml.dom.minidom import Document

import pytest
import rdflib
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from SPARQLWrapper import JSON, POST, TURTLE, XML, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import QueryBadFormed, SPARQLWrapperException

from .conftest import BASE, BIG, GENERATED, Server

DIP = BASE + "ontology#"
EVENT = BASE + "id/event/lavrov-wang-yi"
PARTICIPANTS = f"""PREFIX dip: <{DIP}> PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?name WHERE {{ <{EVENT}> dip:participant/rdfs:label ?name }} ORDER BY ?name"""
NAMES = ["Sergey Lavrov", "Wang Yi"]


def wrapper(server: Server, query: str, fmt: str, method: str | None = None) -> SPARQLWrapper:
    client = SPARQLWrapper(server.url)
    client.setQuery(query)
    client.setReturnFormat(fmt)
    if method:
        client.setMethod(method)
    return client


@pytest.mark.parametrize("method", [None, POST])
def test_sparqlwrapper_json(server: Server, method: str | None) -> None:
    result = wrapper(server, PARTICIPANTS, JSON, method).queryAndConvert()
    assert [row["name"]["value"] for row in result["results"]["bindings"]] == NAMES
    assert result["results"]["bindings"][0]["name"]["xml:lang"] == "en"


@pytest.mark.parametrize("method", [None, POST])
def test_sparqlwrapper_xml(server: Server, method: str | None) -> None:
    document = wrapper(server, PARTICIPANTS, XML, method).queryAndConvert()
    assert isinstance(document, Document)
    literals = document.getElementsByTagName("literal")
    assert [node.firstChild.data for node in literals] == NAMES
    assert literals[0].getAttribute("xml:lang") == "en"


def test_sparqlwrapper_ask(server: Server) -> None:
    assert wrapper(server, f"ASK {{ <{EVENT}> ?p ?o }}", JSON).queryAndConvert()["boolean"]


def test_sparqlwrapper_construct(server: Server) -> None:
    query = f"CONSTRUCT {{ <{EVENT}> ?p ?o }} WHERE {{ <{EVENT}> ?p ?o }}"
    data = wrapper(server, query, TURTLE).queryAndConvert()
    graph = rdflib.Graph().parse(data=data, format="turtle")
    assert len(graph) == 8
    rdfxml = wrapper(server, query, XML).queryAndConvert()  # an rdflib Graph
    assert len(rdfxml) == 8


def test_sparqlwrapper_sees_a_syntax_error(server: Server) -> None:
    with pytest.raises(QueryBadFormed) as raised:
        wrapper(server, "SELECT ?s WHERE { ?s ?p }", JSON).queryAndConvert()
    assert "syntax error" in str(raised.value)


def test_sparqlwrapper_sees_the_timeout(server: Server) -> None:
    query = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
    with pytest.raises((urllib.error.HTTPError, SPARQLWrapperException)) as raised:
        wrapper(server, query, JSON).queryAndConvert()
    assert "503" in str(raised.value) or "timed out" in str(raised.value)


def test_sparqlwrapper_cannot_take_a_cut_result_for_complete(server: Server) -> None:
    query = (f"SELECT ?o ?n WHERE {{ GRAPH <{BIG}> {{ ?b ?p ?o }} "
             f"GRAPH <{GENERATED}> {{ ?x ?q ?n }} }}")
    with pytest.raises((IncompleteRead, ValueError, urllib.error.URLError)):
        wrapper(server, query, JSON).queryAndConvert()


def test_sparqlwrapper_update_is_refused(server: Server) -> None:
    client = wrapper(server, f"DELETE WHERE {{ <{EVENT}> ?p ?o }}", JSON)
    client.setMethod(POST)
    with pytest.raises((urllib.error.HTTPError, SPARQLWrapperException)) as raised:
        client.query()
    assert "403" in str(raised.value)
    assert wrapper(server, f"ASK {{ <{EVENT}> ?p ?o }}", JSON).queryAndConvert()["boolean"]


def test_rdflib_sparqlstore_select_and_ask(server: Server) -> None:
    store = SPARQLStore(server.url)
    rows = store.query(PARTICIPANTS)
    assert [str(row.name) for row in rows] == NAMES
    assert store.query(f"ASK {{ <{EVENT}> ?p ?o }}").askAnswer is True


def test_rdflib_sparqlstore_construct_and_graph_api(server: Server) -> None:
    store = SPARQLStore(server.url, returnFormat="xml")
    result = store.query(f"CONSTRUCT {{ <{EVENT}> ?p ?o }} WHERE {{ <{EVENT}> ?p ?o }}")
    assert len(result.graph) == 8
    graph = rdflib.Graph(store=SPARQLStore(server.url))
    label = graph.value(rdflib.URIRef(EVENT), rdflib.RDFS.label)
    assert str(label) == "Talks between Sergey Lavrov and Wang Yi"
    assert (rdflib.URIRef(EVENT), rdflib.RDF.type, rdflib.URIRef(DIP + "BilateralMeeting")) \
        in graph


def test_rdflib_sparqlstore_named_graphs(server: Server) -> None:
    store = SPARQLStore(server.url)
    names = {str(context) for context in store.contexts()}
    assert BASE + "id/graph/source-a" in names


def test_rdflib_sparqlstore_sees_a_syntax_error(server: Server) -> None:
    with pytest.raises(ValueError) as raised:  # rdflib's message for a 400 answer
        list(SPARQLStore(server.url).query("SELECT ?s WHERE { ?s ?p }"))
    cause = raised.value.__cause__ or raised.value.__context__
    assert isinstance(cause, urllib.error.HTTPError) and cause.code == 400
