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
from starlette.requests import Request

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


async def _read_body(request: Request, max_bytes: int) -> bytes:
    """The body, refusing with 413 as soon as it is larger than allowed."""
    declared = request.headers.get("content-length")
    too_large = ProtocolError(
        413, f"request body larger than this endpoint's limit of {max_bytes} bytes")
    if declared is not None:
        try:
            if int(declared) > max_bytes:
                raise too_large
        except ValueError:
            raise ProtocolError(400, "invalid Content-Length") from None
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > max_bytes:
            raise too_large
    return bytes(body)


def _decode(data: bytes, what: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ProtocolError(400, f"{what} is not valid UTF-8: {error}") from None


async def read_query_request(request: Request, max_bytes: int) -> QueryRequest | None:
    """Parse GET or POST per the protocol; None means "no query" (service description)."""
    url_params = [(k, v) for k, v in request.query_params.multi_items()]
    if request.method in ("GET", "HEAD"):
        raw_query = request.url.query
        if len(raw_query.encode()) > max_bytes:
            raise ProtocolError(414, f"query string longer than this endpoint's limit of "
                                     f"{max_bytes} bytes: send the query by POST")
        return _from_params(url_params, None)

    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type == UPDATE:
        raise ProtocolError(403, UPDATE_REFUSED)
    if media_type == FORM:
        body = _decode(await _read_body(request, max_bytes), "the form body")
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
        body = _decode(await _read_body(request, max_bytes), "the query")
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
    """``format=`` wins (links, browsers); otherwise ``Accept`` with q-values; else 406."""
    offered = offered_formats(info)
    kind = "graph (CONSTRUCT/DESCRIBE)" if info.returns_graph else "SELECT/ASK"
    if format_param:
        value = format_param.strip().lower()
        fmt = by_extension(value, offered)
        if fmt is None and info.returns_graph:
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
    digest = hashlib.sha256()
    for part in (build_id, request.query, "\x1f".join(request.default_graphs),
                 "\x1f".join(request.named_graphs), fmt.media_type, *map(str, parts)):
        digest.update(part.encode())
        digest.update(b"\x00")
    return f'W/"{digest.hexdigest()[:40]}"'


def etag_matches(if_none_match: str | None, current: str) -> bool:
    """Weak comparison (RFC 9110 section 13.1.2), as GET requires."""
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    bare = current.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == bare for tag in if_none_match.split(","))
