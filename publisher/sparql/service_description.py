"""The SPARQL 1.1 Service Description of the endpoint (what a GET without query returns).

It tells machines what the endpoint supports and how it is bounded: result formats, the
union default graph, whether federation is available, the named graphs of the current
build, and the limits (timeout, rows, body size) as text, since SD has no terms for them.
"""

from __future__ import annotations

import pyoxigraph as ox

from ..settings import Settings

SD = "http://www.w3.org/ns/sparql-service-description#"
FORMATS = "http://www.w3.org/ns/formats/"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
RDFS_COMMENT = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#comment")
DCTERMS_TITLE = ox.NamedNode("http://purl.org/dc/terms/title")
PREFIXES = {"sd": SD, "formats": FORMATS, "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
            "dcterms": "http://purl.org/dc/terms/"}

#: The W3C format IRIs (https://www.w3.org/ns/formats/) of what the endpoint writes.
RESULT_FORMAT_IRIS = ("SPARQL_Results_JSON", "SPARQL_Results_XML", "SPARQL_Results_CSV",
                      "SPARQL_Results_TSV", "Turtle", "N-Triples", "JSON-LD", "RDF_XML")


def _sd(name: str) -> ox.NamedNode:
    return ox.NamedNode(SD + name)


def description(settings: Settings,
                named_graphs: list[ox.NamedNode | ox.BlankNode]) -> list[ox.Triple]:
    """The SD graph for this deployment and the current build's named graphs."""
    service = ox.NamedNode(settings.sparql_endpoint)
    dataset, default_graph = ox.BlankNode("dataset"), ox.BlankNode("defaultGraph")
    out = [
        ox.Triple(service, RDF_TYPE, _sd("Service")),
        ox.Triple(service, _sd("endpoint"), service),
        ox.Triple(service, _sd("supportedLanguage"), _sd("SPARQL11Query")),
        ox.Triple(service, _sd("feature"), _sd("UnionDefaultGraph")),
        ox.Triple(service, _sd("defaultEntailmentRegime"),
                  ox.NamedNode("http://www.w3.org/ns/entailment/Simple")),
        ox.Triple(service, DCTERMS_TITLE, ox.Literal("Diplomacy SPARQL endpoint", language="en")),
        ox.Triple(service, RDFS_COMMENT, ox.Literal(limits_text(settings), language="en")),
        ox.Triple(service, _sd("defaultDataset"), dataset),
        ox.Triple(dataset, RDF_TYPE, _sd("Dataset")),
        ox.Triple(dataset, _sd("defaultGraph"), default_graph),
        ox.Triple(default_graph, RDF_TYPE, _sd("Graph")),
        ox.Triple(default_graph, RDFS_COMMENT, ox.Literal(
            "The default graph is the union of all named graphs. Relative IRIs in a query "
            "resolve against the endpoint's IRI.", language="en")),
    ]
    if settings.service_allowlist:
        out.append(ox.Triple(service, _sd("feature"), _sd("BasicFederatedQuery")))
    for name in RESULT_FORMAT_IRIS:
        out.append(ox.Triple(service, _sd("resultFormat"), ox.NamedNode(FORMATS + name)))
    for index, graph in enumerate(named_graphs):
        node = ox.BlankNode(f"namedGraph{index}")
        out += [ox.Triple(dataset, _sd("namedGraph"), node),
                ox.Triple(node, RDF_TYPE, _sd("NamedGraph")),
                ox.Triple(node, _sd("name"), graph)]
    return out


def limits_text(settings: Settings) -> str:
    service = ("SERVICE is refused" if not settings.service_allowlist else
               "SERVICE may call only: " + ", ".join(settings.service_allowlist))
    return (f"Read-only. Queries stop after {settings.sparql_timeout_s:g} s; results are cut "
            f"after {settings.sparql_max_rows} rows (or triples), with an error status or an "
            f"in-band marker; request bodies are limited to {settings.sparql_max_body_bytes} "
            f"bytes; {service}.")
