"""SPARQL 1.1 Protocol: turn an HTTP request into a query request, or a clear 4xx.

Three ways to send a query (section 2.1): GET with ``query=``, POST of an HTML form
(``application/x-www-form-urlencoded``) and POST of the query itself
(``application/sparql-query``). ``default-graph-uri`` and ``named-graph-uri`` may be
repeated; with a direct POST they travel in the URL. Updates are refused here, whatever
way they come, because this endpoint is read-only.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import parse_qsl

import pyoxigraph as ox
from starlette.types import Receive

from ..formats import (
    GRAPH_FORMATS,
    JSON_LD,
    N_TRIPLES,
    RDF_XML,
    RESULT_FORMATS,
    Format,
    by_extension,
    describe_offered,
    negotiate,
)
from .analysis import UPDATE_REFUSED, QueryInfo

FORM = "application/x-www-form-urlencoded"
DIRECT = "application/sparql-query"
UPDATE = "application/sparql-update"



class ProtocolError(Exception):
    """A request the endpoint answers with ``status`` and a plain-text ``message``."""

    def __init__(self, status: int, message: str, headers: Mapping[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = dict(headers or {})


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


class RequestHeaders:
    """The request headers the endpoint reads, found in one pass over the raw ASGI list."""

    __slots__ = ("accept", "content_type", "content_length", "if_none_match")

    def __init__(self, raw: Iterable[tuple[bytes, bytes]]) -> None:
        self.accept: str | None = None
        self.content_type = ""
        self.content_length: str | None = None
        self.if_none_match: str | None = None
        for name, value in raw:
            if name == b"accept":
                self.accept = value.decode("latin-1")
            elif name == b"content-type":
                self.content_type = value.decode("latin-1")
            elif name == b"content-length":
                self.content_length = value.decode("latin-1")
            elif name == b"if-none-match":
                self.if_none_match = value.decode("latin-1")


def query_params(query_string: bytes) -> list[tuple[str, str]]:
    """The URL's parameters, decoded as Starlette decodes them."""
    if not query_string:
        return []
    return parse_qsl(query_string.decode("latin-1"), keep_blank_values=True)


async def _read_body(receive: Receive, declared: str | None, max_bytes: int) -> bytes:
    """The body, refusing with 413 as soon as it is larger than allowed."""
    too_large = ProtocolError(
        413, f"request body larger than this endpoint's limit of {max_bytes} bytes")
    if declared is not None:
        try:
            if int(declared) > max_bytes:
                raise too_large
        except ValueError:
            raise ProtocolError(400, "invalid Content-Length") from None
    body = b""
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ProtocolError(400, "the client went away before sending the whole body")
        chunk = message.get("body", b"")
        if chunk:
            body += chunk
            if len(body) > max_bytes:
                raise too_large
        if not message.get("more_body", False):
            return body


def _decode(data: bytes, what: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ProtocolError(400, f"{what} is not valid UTF-8: {error}") from None


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
        if len(query_string) > max_bytes:
            raise ProtocolError(414, f"query string longer than this endpoint's limit of "
                                     f"{max_bytes} bytes: send the query by POST")
        return _from_query_string(query_string)

    url_params = query_params(query_string)
    media_type = headers.content_type.split(";")[0].strip().lower()
    if media_type == UPDATE:
        raise ProtocolError(403, UPDATE_REFUSED)
    if media_type == FORM:
        body = _decode(await _read_body(receive, headers.content_length, max_bytes),
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
        body = _decode(await _read_body(receive, headers.content_length, max_bytes),
                       "the query")
        return _from_params(url_params, body)
    shown = media_type or "no Content-Type"
    raise ProtocolError(
        415, f"cannot read a POST body of {shown}: send {FORM} (with a 'query' field) or "
             f"{DIRECT}", {"Accept-Post": f"{FORM}, {DIRECT}"})


#: ``format`` values clients commonly send that are not a name, extension or media type.
_GRAPH_FORMAT_ALIASES = {"json": JSON_LD, "xml": RDF_XML, "json-ld": JSON_LD,
                         "n-triples": N_TRIPLES, "rdf/xml": RDF_XML}


def offered_formats(info: QueryInfo) -> tuple[Format, ...]:
    return GRAPH_FORMATS if info.returns_graph else RESULT_FORMATS


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
    offered = GRAPH_FORMATS if returns_graph else RESULT_FORMATS
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


def etag_matches(if_none_match: str | None, current: str) -> bool:
    """Weak comparison (RFC 9110 section 13.1.2), as GET requires."""
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    bare = current.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == bare for tag in if_none_match.split(","))
