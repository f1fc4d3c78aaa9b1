"""The routing table: every path the service answers, in one place.

Paths are under the base (``PUBLISHER_BASE``'s path: ``/`` or ``/data/``). Each entry
names what answers it and documents it; the application mounts this table and the
OpenAPI document (``api/openapi.json``) is made from it, so neither can drift from the
other, and the README's URL table is checked against it by the tests.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .formats import (
    DOCUMENT_FORMATS,
    GRAPH_FORMATS,
    GZIP,
    HTML,
    INPUT_RDF_FORMATS,
    RESULT_FORMATS,
    Format,
)
from .http.errors import ERROR_FORMATS
from .http.routing import Body, Outcome, Parameter, RouteSpec
from .linked_data.documents import LinkedDataRoute
from .linked_data.urls import VOCABULARY_FORMATS, VOID_FORMATS, Resolver, UrlSpace
from .ops.health import health
from .ops.wiring import Operations
from .reconcile.routes import (
    FORM,
    SUGGEST_KINDS,
    preview_endpoint,
    propose_properties_endpoint,
    reconcile_endpoint,
    suggest_endpoint,
)
from .search.routes import SEARCH_FORMATS, search_endpoint
from .settings import Settings
from .snapshot import Snapshot
from .sparql.endpoint import DESCRIPTION_FORMATS, SparqlEndpoint
from .validation.routes import REPORT_FORMATS, validate_endpoint


def _types(offered: tuple[Format, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(fmt.media_type for fmt in offered))


ERRORS = _types(ERROR_FORMATS)
ACCEPT = Parameter("Accept", "header", "Media types the client accepts, with q-values "
                   "(RFC 9110 content negotiation).")
CONDITIONAL = (Parameter("If-None-Match", "header", "ETags of a cached copy: 304 when "
                         "one still matches."),
               Parameter("If-Modified-Since", "header", "Date of a cached copy: 304 when "
                         "the build is not newer."))


def _errors(*statuses: int) -> tuple[Outcome, ...]:
    why = {400: "The request is malformed; the message says where.",
           403: "Refused: this service is read-only (or the SERVICE is not allowed).",
           404: "Nothing is published at this IRI (a page with suggestions, or a message).",
           405: "The method is not allowed here (Allow lists those that are).",
           406: "No offered format is acceptable (the message lists them).",
           413: "The body is larger than the configured limit.",
           414: "The query string is longer than the configured limit.",
           415: "The body's media type (or charset) is not one this route reads.",
           422: "The request was understood but cannot be answered as asked.",
           503: "No build is published yet, the service is busy, or a query ran out of "
                "time (Retry-After)."}
    return tuple(Outcome(status, why[status], ERRORS) for status in statuses)


DOCUMENT_ANSWERS = (Outcome(304, "Not modified since the cached copy (validators match)."),)


@dataclass(frozen=True)
class Features:
    """The objects that answer routes, made once per application."""

    urls: UrlSpace
    sparql: SparqlEndpoint
    ops: Operations
    #: Called once per build, at its first linked-data request (prewarming starts there).
    first_document: Callable[[Snapshot], object] | None = None

    def linked_data(self, settings: Settings, resolve: Resolver,
                    needs_build: bool = True) -> LinkedDataRoute:
        return LinkedDataRoute(settings, resolve, needs_build=needs_build,
                               first_use=self.first_document)


ENTITY_PATH = Parameter("path", "path", "`{kind}/{slug}.{ext}` fixes the format "
                        "(.html .ttl .jsonld .nt .rdf .nq .trig); without an extension the "
                        "format is negotiated.", required=True,
                        example="person/sergey-lavrov.ttl")
THING_PATH = Parameter("path", "path", "The rest of the IRI after the prefix: "
                       "`{kind}/{slug}`, e.g. `person/sergey-lavrov`.", required=True,
                       example="person/sergey-lavrov")
EXTENSION = Parameter("ext", "path", "The format's file extension.", required=True,
                      enum=tuple(f.extension for f in DOCUMENT_FORMATS))
TERM = Parameter("term", "path", "A term's local name (or the version).", required=True)
QUERY = Parameter("query", "query", "A SPARQL 1.1 query (SELECT, ASK, CONSTRUCT or "
                  "DESCRIBE). Without it: the service description, or the query page "
                  "for browsers.", example="ASK {}")
GRAPHS = (Parameter("default-graph-uri", "query", "A graph of the default graph "
                    "(repeatable); replaces the union of all graphs.", repeated=True),
          Parameter("named-graph-uri", "query", "A named graph of the dataset "
                    "(repeatable).", repeated=True))
RESULT_FORMAT = Parameter("format", "query", "The result format by name or extension "
                          "(json, xml, csv, tsv, ttl, nt, jsonld, rdf, html); wins over "
                          "Accept.")


def table(settings: Settings, features: Features) -> list[RouteSpec]:
    """Every route of the service, in matching order."""
    return [*_linked_data(settings, features), *_vocabularies(settings, features),
            *_dataset(settings, features), *_sparql(features.sparql),
            *_validation(), *_search(), *_reconcile(), *_operations(features.ops),
            *_api()]


def _linked_data(settings: Settings, features: Features) -> list[RouteSpec]:
    """Home, things (303) and their descriptions."""
    ld, urls = features.linked_data, features.urls
    path, fixed = THING_PATH, ENTITY_PATH
    document_types = _types(DOCUMENT_FORMATS)
    return [
        RouteSpec("", ld(settings, urls.home), ("GET",), "Home page",
                  "What the dataset is: counts per class, entry points, example queries. "
                  "RDF media types get the dataset description (VoID).", "linked data",
                  (ACCEPT, *CONDITIONAL),
                  responses=(Outcome(200, "The home page, or the dataset description.",
                                     _types(VOID_FORMATS)), *DOCUMENT_ANSWERS,
                             *_errors(406, 503))),
        RouteSpec("index.html", ld(settings, urls.home), ("GET",), "Home page (HTML)",
                  tag="linked data", parameters=CONDITIONAL,
                  responses=(Outcome(200, "The home page.", ("text/html",)),
                             *DOCUMENT_ANSWERS, *_errors(503))),
        RouteSpec("id/{path:path}", ld(settings, urls.thing), ("GET",),
                  "A thing: 303 to its description",
                  "Every entity IRI `id/{kind}/{slug}` answers 303 See Other to "
                  "`doc/{kind}/{slug}` (Cool URIs), or 406 at once when no format of the "
                  "description fits Accept.", "linked data", (path, ACCEPT),
                  responses=(Outcome(303, "See Other: the description.", ("text/plain",),
                                     ("Location",)), *_errors(404, 406, 503))),
        RouteSpec("doc/{path:path}", ld(settings, urls.document), ("GET",),
                  "The description of a thing",
                  "Its Concise Bounded Description, incoming links, labels of everything "
                  "it links to, and the provenance of each fact. Negotiated by Accept "
                  "(Vary, Content-Location) or fixed by the extension. "
                  "`doc/{kind}/{slug}/timeline.json` (`network.json`, `map.json`): the "
                  "data of a picture of its page.", "linked data",
                  (fixed, ACCEPT, *CONDITIONAL),
                  responses=(Outcome(200, "The description.", (*document_types,
                                                               "application/json"),
                                     ("ETag", "Last-Modified", "Link")),
                             *DOCUMENT_ANSWERS, *_errors(404, 406, 503))),
        RouteSpec("meetings", ld(settings, urls.meetings), ("GET",),
                  "Every meeting and other event, in date order",
                  "Side meetings under the event they were held beside, a timeline of all.",
                  "pages", CONDITIONAL,
                  responses=(Outcome(200, "The page.", ("text/html",)), *DOCUMENT_ANSWERS,
                             *_errors(503))),
        RouteSpec("meetings/timeline.json", ld(settings, urls.meetings), ("GET",),
                  "The data of the meetings page's timeline", tag="pages",
                  parameters=CONDITIONAL,
                  responses=(Outcome(200, "The events as drawn.", ("application/json",)),
                             *DOCUMENT_ANSWERS, *_errors(503))),
        RouteSpec("figures/{name}", ld(settings, urls.figures), ("GET",),
                  "The data of a picture of the home page", tag="pages",
                  parameters=(Parameter("name", "path", "The picture.", required=True,
                                        enum=("timeline.json", "network.json", "map.json")),
                              *CONDITIONAL),
                  responses=(Outcome(200, "The data drawn.", ("application/json",)),
                             *DOCUMENT_ANSWERS, *_errors(404, 503))),
    ]


def _vocabularies(settings: Settings, features: Features) -> list[RouteSpec]:
    """The ontology and the shapes: documents, one format each, slash forms of terms."""
    ld, urls = features.linked_data, features.urls
    vocabulary = _types(VOCABULARY_FORMATS)
    ext, term = EXTENSION, TERM
    return [
        *[RouteSpec(f"{stem}", ld(settings, urls.vocabulary), ("GET",), title,
                    "HTML documentation for people, RDF by content negotiation.",
                    "vocabulary", (ACCEPT, *CONDITIONAL),
                    responses=(Outcome(200, title, vocabulary), *DOCUMENT_ANSWERS,
                               *_errors(406, 503)))
          for stem, title in (("ontology", "The ontology"), ("shapes", "The SHACL shapes"))],
        *[RouteSpec(f"{stem}.{{ext}}", ld(settings, urls.vocabulary), ("GET",),
                    f"{title} in one format", tag="vocabulary",
                    parameters=(ext, *CONDITIONAL),
                    responses=(Outcome(200, title, vocabulary), *DOCUMENT_ANSWERS,
                               *_errors(404, 503)))
          for stem, title in (("ontology", "The ontology"), ("shapes", "The SHACL shapes"))],
        *[RouteSpec(f"{stem}/{{term:path}}", ld(settings, urls.term), ("GET",),
                    f"Slash form of a {what}: 303 to its anchor", tag="vocabulary",
                    parameters=(term,),
                    responses=(Outcome(303, "See Other: the term in its document.",
                                       ("text/plain",), ("Location",)),
                               *_errors(404, 503)))
          for stem, what in (("ontology", "term"), ("shapes", "shape"))],
    ]


def _dataset(settings: Settings, features: Features) -> list[RouteSpec]:
    """The dataset description, the dumps, the site's static files."""
    ld, urls = features.linked_data, features.urls
    return [
        RouteSpec("void", ld(settings, urls.vocabulary), ("GET",),
                  "The dataset description (VoID, DCAT)",
                  "Triples, entities per class, vocabularies, the endpoint, the dumps with "
                  "size and SHA-256, licence and sources.", "dataset", (ACCEPT, *CONDITIONAL),
                  responses=(Outcome(200, "The dataset description.", _types(VOID_FORMATS)),
                             *DOCUMENT_ANSWERS, *_errors(406, 503))),
        RouteSpec("void.{ext}", ld(settings, urls.vocabulary), ("GET",),
                  "The dataset description in one format", tag="dataset",
                  parameters=(Parameter("ext", "path", "The format's file extension.",
                                        required=True,
                                        enum=tuple(f.extension for f in VOID_FORMATS)),
                              *CONDITIONAL),
                  responses=(Outcome(200, "The dataset description.", _types(VOID_FORMATS)),
                             *DOCUMENT_ANSWERS, *_errors(404, 503))),
        RouteSpec(".well-known/void", ld(settings, urls.well_known_void), ("GET",),
                  "Where VoID is looked for (RFC 8615): 303 to `void`", tag="dataset",
                  responses=(Outcome(303, "See Other: the dataset description.",
                                     ("text/plain",), ("Location",)), *_errors(503))),
        RouteSpec("dumps", ld(settings, urls.dumps_listing), ("GET",),
                  "303 to the dumps listing", tag="dataset",
                  responses=(Outcome(303, "See Other: dumps/.", ("text/plain",),
                                     ("Location",)), *_errors(503))),
        RouteSpec("dumps/", ld(settings, urls.dumps_listing), ("GET",),
                  "The dumps: the whole dataset as N-Quads, TriG and Turtle, gzipped",
                  tag="dataset", parameters=CONDITIONAL,
                  responses=(Outcome(200, "A page listing each file with its size and "
                                     "SHA-256.", ("text/html",)), *DOCUMENT_ANSWERS,
                             *_errors(503))),
        RouteSpec("dumps/{name}", ld(settings, urls.dump), ("GET",), "One dump file",
                  tag="dataset",
                  parameters=(Parameter("name", "path", "The file.", required=True,
                                        enum=("dataset.nq.gz", "dataset.trig.gz",
                                              "dataset.ttl.gz")), *CONDITIONAL),
                  responses=(Outcome(200, "The gzipped file.", (GZIP.media_type,)),
                             *DOCUMENT_ANSWERS, *_errors(404, 503))),
        RouteSpec("favicon.ico", ld(settings, urls.favicon, needs_build=False), ("GET",),
                  "The site's icon, where browsers look for it", tag="pages",
                  parameters=CONDITIONAL,
                  responses=(Outcome(200, "The icon.", ("image/x-icon",)),
                             *DOCUMENT_ANSWERS)),
        RouteSpec("static/{path:path}", ld(settings, urls.static, needs_build=False),
                  ("GET",), "The site's stylesheet, images and search-box script", tag="pages",
                  parameters=(Parameter("path", "path", "A file.", required=True,
                                        example="css/site.css"), *CONDITIONAL),
                  responses=(Outcome(200, "The file.", ("text/css", "image/svg+xml",
                                                       "image/png", "image/x-icon",
                                                       "text/javascript")),
                             *DOCUMENT_ANSWERS, *_errors(404))),
    ]


def _sparql(endpoint: SparqlEndpoint) -> list[RouteSpec]:
    query, graphs, result_format = QUERY, GRAPHS, RESULT_FORMAT
    results = _types((*RESULT_FORMATS, *GRAPH_FORMATS, HTML))
    sparql_errors = _errors(400, 403, 406, 413, 414, 415, 422, 503)
    return [
        RouteSpec("sparql", endpoint, ("GET", "POST"), "SPARQL 1.1 endpoint",
                  "Read-only SPARQL 1.1 Protocol. A query by GET `query=`, form POST or "
                  "direct POST; results by Accept or `format=`; without a query, the "
                  "service description (or the query page for browsers). The default graph "
                  "is the union of all graphs; relative IRIs resolve against the "
                  "endpoint's IRI. Updates are refused with 403.", "sparql",
                  (query, *graphs, result_format, ACCEPT,
                   Parameter("If-None-Match", "header",
                             "The ETag of a cached answer: 304 when it still matches.")),
                  (Body("application/x-www-form-urlencoded", "A form with the query.",
                        (Parameter("query", "query", "The SPARQL query.", required=True,
                                   example="ASK {}"), *graphs, result_format)),
                   Body("application/sparql-query", "The query itself, UTF-8.")),
                  (Outcome(200, "The results, or the service description.",
                           (*results, *_types(DESCRIPTION_FORMATS)), ("ETag",)),
                   Outcome(304, "Not modified (GET with a matching If-None-Match)."),
                   *sparql_errors)),
    ]


def _validation() -> list[RouteSpec]:
    return [
        RouteSpec("validate", validate_endpoint, ("GET", "POST"), "SHACL validation service",
                  "POST an RDF document (Content-Type says its syntax) to check it against "
                  "the shapes in the context of the published dataset; the answer is a "
                  "`sh:ValidationReport` (200 whether or not it conforms). GET: the page for "
                  "people, a usage text for programs.", "validation",
                  (Parameter("standalone", "query", "`1` to skip resolving references "
                             "against the published data.", enum=("0", "1")), ACCEPT),
                  tuple(Body(media_type, "An RDF document to validate.")
                        for media_type in INPUT_RDF_FORMATS),
                  (Outcome(200, "The report, the page, or a usage text.",
                           (*_types(REPORT_FORMATS), "text/plain")),
                   *_errors(400, 406, 413, 415, 422, 503))),
    ]


def _operations(ops: Operations) -> list[RouteSpec]:
    """Probes and metrics for load balancers, supervisors and Prometheus."""
    json_type = ("application/json",)
    return [
        RouteSpec("health", health, ("GET",), "Liveness: the process answers",
                  "200 while the process can answer at all; never touches the store "
                  "(docs/operations.md).", tag="operations",
                  responses=(Outcome(200, '{"status": "ok"}', json_type),)),
        RouteSpec("ready", ops.readiness, ("GET",), "Readiness: a build and its store",
                  "200 when a build is loaded and its store answers; otherwise 503 with "
                  "Retry-After and which check failed. Checked at most once a second.",
                  tag="operations",
                  responses=(Outcome(200, "Ready, with the build id.", json_type),
                             Outcome(503, "Not ready: the report says why.", json_type))),
        RouteSpec("metrics", ops.metrics.endpoint, ("GET",), "Prometheus metrics",
                  "Requests by route and status, latency, SPARQL queries by outcome, "
                  "worker restarts, cache lookups, the build served and its time.",
                  tag="operations",
                  responses=(Outcome(200, "Prometheus text exposition format.",
                                     ("text/plain",)),)),
    ]


SEARCH_PARAMETERS = (
    Parameter("q", "query", "The text: a name or part of one, case and accents aside; the "
              "last word may be unfinished. Empty: everything (of the type), most linked "
              "first.", example="lavrov"),
    Parameter("type", "query", "A class (`Country`, `foaf:Person`, `Meeting`, a full IRI "
              "or a class's name), sub-classes included; repeatable or comma-separated.",
              repeated=True, example="foaf:Person"),
    Parameter("limit", "query", "Results per page (1 to PUBLISHER_SEARCH_MAX_LIMIT).",
              example="10"),
    Parameter("offset", "query", "Where the page starts (0 first).", example="0"),
    Parameter("page", "query", "The page number (1 first), instead of `offset`."),
)


def _search() -> list[RouteSpec]:
    """Label search: ranked, paged, JSON for machines and a page for people."""
    answers = (Outcome(200, "One page of matches: exact names first, then names starting "
                            "with the text, then names with every word.",
                       _types(SEARCH_FORMATS)), *_errors(400, 406, 503))
    return [
        RouteSpec("search", search_endpoint, ("GET",), "Search entities by name",
                  "Labels and other names (`skos:altLabel`, acronyms, codes), ranked "
                  "(exact, prefix, words; then by how many statements link the entity), "
                  "filtered by class, paged. JSON by default, the results page for "
                  "browsers.", "search", (*SEARCH_PARAMETERS, ACCEPT), responses=answers),
        RouteSpec("search.json", search_endpoint, ("GET",), "Search entities by name (JSON)",
                  tag="search", parameters=SEARCH_PARAMETERS,
                  responses=(Outcome(200, "One page of matches.", ("application/json",)),
                             *_errors(400, 406, 503))),
    ]


def _reconcile() -> list[RouteSpec]:
    """The W3C Reconciliation Service API 0.2, as OpenRefine speaks it."""
    json_type = ("application/json",)
    queries = Parameter("queries", "query", "A reconciliation batch: a JSON object of "
                        "0.2 queries keyed by your own ids.",
                        example='{"q0": {"query": "Lavrov", "type": "foaf:Person"}}')
    extend = Parameter("extend", "query", "A data-extension request: JSON with `ids` and "
                       "`properties`.",
                       example='{"ids": ["country/MYS"], "properties": [{"id": "iso3166Alpha2"}]}')
    errors = _errors(400, 413, 414, 415, 503)
    return [
        RouteSpec("reconcile", reconcile_endpoint, ("GET", "POST"),
                  "Reconciliation service (W3C 0.2)",
                  "Without parameters: the service manifest. With `queries`: candidates "
                  "for each query, scored, `match: true` for one unambiguous candidate. "
                  "With `extend`: property values of matched entities. Parameters in the "
                  "query string or a form body.", "reconcile", (queries, extend),
                  (Body(FORM, "The parameters as a form.", (queries, extend)),),
                  (Outcome(200, "The manifest, the candidates or the values.", json_type),
                   *errors)),
        RouteSpec("reconcile/suggest/{kind}", suggest_endpoint, ("GET",),
                  "Suggest services: entities, types, properties",
                  "Autocomplete over the search index, in its ranking.", "reconcile",
                  (Parameter("kind", "path", "What to suggest.", required=True,
                             enum=SUGGEST_KINDS),
                   Parameter("prefix", "query", "The text typed so far.", required=True,
                             example="lav"),
                   Parameter("cursor", "query", "How many to skip (paging).", example="0"),
                   Parameter("limit", "query", "How many to return."),
                   Parameter("type", "query", "Entities of these classes only "
                             "(comma-separated).")),
                  responses=(Outcome(200, "Suggestions.", json_type), *_errors(400, 404, 503))),
        RouteSpec("reconcile/propose_properties", propose_properties_endpoint, ("GET",),
                  "Properties to fetch for a type (data extension)", tag="reconcile",
                  parameters=(Parameter("type", "query", "A class.", example="Country"),
                              Parameter("limit", "query", "How many.")),
                  responses=(Outcome(200, "Properties, the most used first.", json_type),
                             *_errors(400, 503))),
        RouteSpec("reconcile/preview", preview_endpoint, ("GET",),
                  "Preview card of an entity", tag="reconcile",
                  parameters=(Parameter("id", "query", "The entity's id.", required=True,
                                        example="person/sergey-lavrov"),),
                  responses=(Outcome(200, "A small HTML card.", ("text/html",)),
                             *_errors(400, 404, 503))),
    ]


def _api() -> list[RouteSpec]:
    return [
        RouteSpec("api/openapi.json", OpenApiRoute(), ("GET",),
                  "This document: the HTTP API as OpenAPI 3.1", tag="api",
                  responses=(Outcome(200, "The OpenAPI document.", ("application/json",)),)),
    ]


class OpenApiRoute:
    """``api/openapi.json``: the application's OpenAPI document (made from the table)."""

    async def __call__(self, scope, receive, send) -> None:
        from .http.responses import Answer

        app = scope["app"]
        answer = Answer.of(200, app.state.openapi_json, "application/json",
                           {"Cache-Control": "no-cache"})
        await answer.send(scope, send)
