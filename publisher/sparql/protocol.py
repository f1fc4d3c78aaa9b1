"""SPARQL 1.1 Protocol: turn an HTTP request into a query request, or a clear 4xx.

Three ways to send a query (section 2.1): GET with ``query=``, POST of an HTML form
(``application/x-www-form-urlencoded``) and POST of the query itself
(``application/sparql-query``). ``default-graph-uri`` and ``named-graph-uri`` may be
repeated; with a direct POST they travel in the URL. Updates are refused here, whatever
way they come, because this endpoint is read-only.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import parse_qsl

import pyoxigraph as ox
from starlette.types import Receive

from ..formats import (
    GRAPH_FORMATS,
    HTML,
    JSON_LD,
    N_TRIPLES,
    RDF_XML,
    RESULT_FORMATS,
    Format,
    by_extension,
    describe_offered,
    negotiate,
)
from ..http.errors import HTTPProblem
from ..http.requests import RequestHeaders, decode_utf8, query_params, read_body
from ..store import QueryDataset
from .analysis import UPDATE_REFUSED, QueryInfo

FORM = "application/x-www-form-urlencoded"
DIRECT = "application/sparql-query"
UPDATE = "application/sparql-update"



class ProtocolError(HTTPProblem):
    """A request the endpoint refuses, per the SPARQL 1.1 Protocol (a 4xx with a message)."""


@dataclass(frozen=True)
class QueryRequest:
    """A query and the dataset the protocol asks for, as the endpoint received them."""

    query: str
    default_graphs: tuple[str, ...] = ()
    named_graphs: tuple[str, ...] = ()
    format: str | None = None  # the ``format`` parameter, for links and browsers

    @property
    def has_protocol_dataset(self) -> bool:
        return bool(self.default_graphs or self.named_graphs)

    def dataset(self, info: QueryInfo) -> QueryDataset:
        """The protocol's dataset if any, else the query's ``FROM``, else the union."""
        return QueryDataset.for_request(self.default_graphs, self.named_graphs,
                                        info.has_dataset)


def _graphs(values: Iterable[str], name: str) -> tuple[str, ...]:
    graphs = tuple(value.strip() for value in values)
    for iri in graphs:
        try:
            ox.NamedNode(iri)
        except ValueError as error:
            raise ProtocolError(400, f"{name}: {iri!r} is not an absolute IRI ({error})") from None
    return graphs


def _from_params(params: list[tuple[str, str]], query: str | None) -> QueryRequest | None:
    """Build a request from parameters; ``query`` is the body of a direct POST."""
    names = {name for name, _ in params}
    if "update" in names or "using-graph-uri" in names or "using-named-graph-uri" in names:
        raise ProtocolError(403, UPDATE_REFUSED)
    queries = [value for name, value in params if name == "query"]
    if query is not None:
        queries.append(query)
    if len(queries) > 1:
        raise ProtocolError(400, "more than one query in the request: send exactly one")
    formats = [value for name, value in params if name == "format"]
    if not queries:
        return None
    return QueryRequest(
        query=queries[0],
        default_graphs=_graphs((v for n, v in params if n == "default-graph-uri"),
                               "default-graph-uri"),
        named_graphs=_graphs((v for n, v in params if n == "named-graph-uri"),
                             "named-graph-uri"),
        format=formats[-1] if formats else None,
    )


#: Parsed GET query strings up to this length are remembered (a bounded number of them).
PARSED_QUERY_STRING_BYTES = 4096
_parsed: dict[bytes, QueryRequest | None] = {}


def _from_query_string(query_string: bytes) -> QueryRequest | None:
    """A GET's parameters as a request; short query strings are parsed once.

    Percent-decoding a query string costs tens of microseconds (more than the rest of
    the request's checks), and clients repeat the same GET (links, dashboards, polling).
    """
    try:
        return _parsed[query_string]
    except KeyError:
        pass
    parsed = _from_params(query_params(query_string), None)  # ProtocolError: not kept
    if len(query_string) <= PARSED_QUERY_STRING_BYTES:
        if len(_parsed) >= 512:
            _parsed.clear()
        _parsed[query_string] = parsed
    return parsed


async def read_query_request(method: str, query_string: bytes, headers: RequestHeaders,
                             receive: Receive, max_bytes: int) -> QueryRequest | None:
    """Parse GET or POST per the protocol; None means "no query" (service description)."""
    if method in ("GET", "HEAD"):
        if headers.has_body:
            raise ProtocolError(400, "a GET request carries no body here: put the query in "
                                     "the URL (?query=), or send it by POST")
        if len(query_string) > max_bytes:
            raise ProtocolError(414, f"query string longer than this endpoint's limit of "
                                     f"{max_bytes} bytes: send the query by POST")
        return _from_query_string(query_string)

    url_params = query_params(query_string)
    media_type = headers.media_type
    if media_type == UPDATE:
        raise ProtocolError(403, UPDATE_REFUSED)
    charset = headers.charset
    if charset not in (None, "utf-8", "utf8") and media_type in (FORM, DIRECT):
        raise ProtocolError(415, f"the body is declared as charset={charset}: queries are "
                                 "read as UTF-8 only (SPARQL 1.1 Protocol); send UTF-8",
                            {"Accept-Post": f"{FORM}, {DIRECT}; charset=utf-8"})
    if media_type == FORM:
        body = decode_utf8(await read_body(receive, headers, max_bytes, "the form body"),
                           "the form body")
        try:
            form = parse_qsl(body, keep_blank_values=True, strict_parsing=False,
                             errors="strict")
        except (ValueError, UnicodeDecodeError) as error:
            raise ProtocolError(400, f"malformed form body: {error}") from None
        parsed = _from_params(url_params + form, None)
        if parsed is None:
            raise ProtocolError(400, "the form has no 'query' field")
        return parsed
    if media_type == DIRECT:
        body = decode_utf8(await read_body(receive, headers, max_bytes, "the query"),
                           "the query")
        return _from_params(url_params, body)
    shown = media_type or "no Content-Type"
    raise ProtocolError(
        415, f"cannot read a POST body of {shown}: send {FORM} (with a 'query' field) or "
             f"{DIRECT}", {"Accept-Post": f"{FORM}, {DIRECT}"})


#: ``format`` values clients commonly send that are not a name, extension or media type.
_GRAPH_FORMAT_ALIASES = {"json": JSON_LD, "xml": RDF_XML, "json-ld": JSON_LD,
                         "n-triples": N_TRIPLES, "rdf/xml": RDF_XML}


#: What a query's answer is offered as; HTML last, so ``*/*`` gets data and a browser
#: (``text/html`` first in its Accept) gets the query page with the query in it.
SELECT_OFFER: tuple[Format, ...] = (*RESULT_FORMATS, HTML)
GRAPH_OFFER: tuple[Format, ...] = (*GRAPH_FORMATS, HTML)


def offered_formats(info: QueryInfo) -> tuple[Format, ...]:
    return GRAPH_OFFER if info.returns_graph else SELECT_OFFER


def choose_format(info: QueryInfo, format_param: str | None, accept: str | None) -> Format:
    """``format=`` wins (links, browsers); otherwise ``Accept`` with q-values; else 406.

    Memoised per (kind, ``format``, ``Accept``): clients send the same few headers, and
    parsing an ``Accept`` header costs more than the rest of the request's checks.
    """
    key = (info.returns_graph, format_param, accept)
    fmt = _chosen.get(key)
    if fmt is None:
        fmt = _choose_format(info.returns_graph, format_param, accept)
        if len(_chosen) >= 1024:
            _chosen.clear()
        _chosen[key] = fmt
    return fmt


_chosen: dict[tuple[bool, str | None, str | None], Format] = {}


def _choose_format(returns_graph: bool, format_param: str | None,
                   accept: str | None) -> Format:
    offered = GRAPH_OFFER if returns_graph else SELECT_OFFER
    kind = "graph (CONSTRUCT/DESCRIBE)" if returns_graph else "SELECT/ASK"
    if format_param:
        value = format_param.strip().lower()
        fmt = by_extension(value, offered)
        if fmt is None and returns_graph:
            fmt = _GRAPH_FORMAT_ALIASES.get(value)
        if fmt is None:
            raise ProtocolError(406, f"format={format_param!r} is not offered for a {kind} "
                                     f"result; offered:\n{describe_offered(offered)}")
        return fmt
    fmt = negotiate(accept, offered)
    if fmt is None:
        raise ProtocolError(406, f"none of the accepted types ({accept}) is offered for a "
                                 f"{kind} result; offered:\n{describe_offered(offered)}")
    return fmt


def etag(build_id: str, request: QueryRequest, fmt: Format, *parts: object) -> str:
    """A weak ETag: same build, query, dataset and format give the same answer."""
    text = "\x00".join((build_id, request.query, "\x1f".join(request.default_graphs),
                        "\x1f".join(request.named_graphs), fmt.media_type, *map(str, parts)))
    digest = hashlib.sha256((text + "\x00").encode())
    return f'W/"{digest.hexdigest()[:40]}"'
