"""HTTP routes of the SPARQL endpoint: ``/sparql`` and the query page's assets.

Thin by design: :mod:`.protocol` reads the request, :mod:`.analysis` classifies the
query, :mod:`.workers` runs it, :mod:`.results` wrote it; this module only turns their
outcomes into responses with the right status, headers (ETag, Vary) and body; CORS and
compression are app-wide. ``/sparql`` itself is a raw ASGI application (no Request or
Response objects on the hot path); the rare answers (service description, query page,
streamed results) still use Starlette's responses.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response, StreamingResponse
from starlette.types import Receive, Scope, Send

from ..formats import (
    ALL_FORMATS,
    GRAPH_FORMATS,
    HTML,
    RESULT_FORMATS,
    Format,
    by_extension,
    describe_offered,
    negotiate,
)
from ..pages import query_page
from ..settings import Settings
from ..store import BuildInfo, LiveStore, StoreMissing
from . import service_description
from .analysis import MAX_NESTING, analyse, gate
from .cache import AnswerCache
from .examples import load_examples
from .protocol import (
    ProtocolError,
    QueryRequest,
    RequestHeaders,
    choose_format,
    etag,
    etag_matches,
    query_params,
    read_query_request,
)
from .results import cut_marker
from .scheduling import client_key
from .workers import (
    ClientLimited,
    Complete,
    Failure,
    PoolBusy,
    PoolClosed,
    QueryPool,
    collect,
    stream_rest,
)

ALLOW = "GET, HEAD, POST, OPTIONS"


def wants_page(info: Any, accept: str | None) -> bool:
    """A browser following a link to a query (``Accept`` prefers HTML to every result
    format): it gets the query page with the results as a table, not a download."""
    offered = GRAPH_FORMATS if info.returns_graph else RESULT_FORMATS
    return negotiate(accept, (*offered, HTML)) is HTML
YASGUI_VERSION = "4.6.2"
ASSETS = {"yasgui.min.js": "text/javascript; charset=utf-8",
          "yasgui.min.css": "text/css; charset=utf-8"}
#: What a GET without a query offers: the SD for machines (Turtle first), the page for people.
DESCRIPTION_FORMATS: tuple[Format, ...] = (GRAPH_FORMATS[0], HTML, *GRAPH_FORMATS[1:])


def _text(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    return PlainTextResponse(message.rstrip("\n") + "\n", status_code=status, headers=headers)


TEXT_PLAIN = b"text/plain; charset=utf-8"
_CONTENT_TYPES = {fmt.name: (b"content-type", fmt.content_type.encode()) for fmt in ALL_FORMATS}


async def send_text(send: Send, status: int, message: str,
                    headers: Mapping[str, str] | None = None) -> None:
    """A plain-text answer (every error of the endpoint), sent as two raw ASGI messages."""
    extra = [(name.lower().encode("latin-1"), value.encode("latin-1"))
             for name, value in (headers or {}).items()]
    await send_body(send, status, [(b"content-type", TEXT_PLAIN), *extra],
                    (message.rstrip("\n") + "\n").encode())


async def send_body(send: Send, status: int, headers: list[tuple[bytes, bytes]],
                    body: bytes) -> None:
    headers.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class CutAwareStreamingResponse(StreamingResponse):
    """A streamed result that, when cut, ends *without* its final chunk.

    The body iterator yields ``(bytes, message)`` pairs; a message means the result was
    cut (row cap, timeout, failure) after the status line was sent. Then the format's
    in-band marker is written and the response is left incomplete, so the client's HTTP
    library reports an incomplete body as well (curl: exit 18; httpx, urllib: errors).
    """

    def __init__(self, pairs: Any, fmt: Format, headers: dict[str, str]) -> None:
        super().__init__(pairs, status_code=200, headers=headers, media_type=fmt.content_type)
        self.fmt = fmt

    async def stream_response(self, send: Send) -> None:
        await send({"type": "http.response.start", "status": self.status_code,
                    "headers": self.raw_headers})
        pairs = self.body_iterator
        try:
            async for chunk, message in pairs:  # type: ignore[misc]
                if message is not None:
                    await send({"type": "http.response.body",
                                "body": cut_marker(self.fmt, message), "more_body": True})
                    return  # no final chunk: the transfer is visibly incomplete
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
        finally:
            await pairs.aclose()  # type: ignore[attr-defined]
        await send({"type": "http.response.body", "body": b"", "more_body": False})


class Endpoint:
    """``/sparql`` as a raw ASGI application, and the state it shares with the assets route.

    Raw ASGI, not a Starlette request/response endpoint: a query's own checks cost tens
    of microseconds, and building Request and Response objects cost as much again. The
    same object is routed by FastAPI (``create_app``, what TestClient drives) and, when
    serving, called before FastAPI by :func:`publisher.sparql.front`.
    """

    def __init__(self, settings: Settings, store: LiveStore) -> None:
        self.settings = settings
        self.store = store
        self.pool: QueryPool | None = None
        self.answers = AnswerCache(settings.sparql_cache_bytes)
        self._description_cache: dict[tuple[str, str], bytes] = {}
        self._templates = Environment(loader=PackageLoader("publisher", "templates"),
                                      autoescape=select_autoescape(["html"]))
        self._link: str | None = None
        self._build: BuildInfo | None = None

    # -- lifecycle

    def ensure_pool(self) -> QueryPool:
        if self.pool is None:
            settings = self.settings
            self.pool = QueryPool(
                settings.sparql_workers, settings.sparql_workers,
                isolate_network=not settings.service_allowlist,
                spares=settings.sparql_spare_workers,
                memory_mb=settings.sparql_worker_memory_mb,
                recycle_mb=settings.sparql_worker_recycle_mb,
                client_heavy_limit=settings.sparql_client_heavy_queries,
            )
            self.pool.start()
        return self.pool

    async def close(self) -> None:
        if self.pool is not None:
            await self.pool.close()
            self.pool = None

    def build(self) -> BuildInfo:
        """The live build; one ``readlink`` when the live symlink has not changed.

        :attr:`LiveStore.info` resolves the whole path and stats it on every call; the
        symlink's target string is enough to know that the build is still the same one.
        """
        try:
            link = os.readlink(self.settings.store_dir)
        except OSError:  # not a symlink (or missing): the general path decides
            return self.store.info
        build = self._build
        if build is None or link != self._link:
            build = self.store.info
            self._link, self._build = link, build
        return build

    # -- /sparql

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        method = scope["method"]
        if method == "OPTIONS":
            # CORS preflights were answered by the app-wide CORS middleware before this.
            await send({"type": "http.response.start", "status": 204,
                        "headers": [(b"allow", ALLOW.encode())]})
            await send({"type": "http.response.body", "body": b""})
            return
        if method not in ("GET", "HEAD", "POST"):
            await send_text(send, 405, f"{method} is not allowed on the SPARQL endpoint; "
                                       f"use GET or POST (SPARQL 1.1 Protocol)",
                            {"Allow": ALLOW})
            return
        headers = RequestHeaders(scope["headers"])
        try:
            query_request = await read_query_request(
                method, scope["query_string"], headers, receive,
                self.settings.sparql_max_body_bytes)
            if query_request is None:
                await self.describe(scope, headers)(scope, receive, send)
                return
            await self.answer(scope, receive, send, headers, query_request)
        except ProtocolError as error:
            await send_text(send, error.status, error.message, error.headers)
        except StoreMissing as error:
            await send_text(send, 503, str(error))

    async def answer(self, scope: Scope, receive: Receive, send: Send,
                     request_headers: RequestHeaders, query_request: QueryRequest) -> None:
        settings = self.settings
        info = analyse(query_request.query)
        refusal = gate(info, settings.service_allowlist)
        if refusal is not None:
            raise ProtocolError(400 if info.nesting > MAX_NESTING else 403, refusal)
        if query_request.format is None and scope["method"] == "GET" and \
                wants_page(info, request_headers.accept):
            await self.results_page(scope, receive, send, query_request, info)
            return
        fmt = choose_format(info, query_request.format, request_headers.accept)
        build = self.build()
        headers = [(b"vary", b"Accept, Accept-Encoding")]
        tag = None
        if info.deterministic:
            tag = etag(build.build_id, query_request, fmt, settings.sparql_max_rows)
        if tag is not None and scope["method"] in ("GET", "HEAD"):
            headers.append((b"etag", tag.encode()))
            headers.append((b"cache-control", b"public, no-cache"))
            if etag_matches(request_headers.if_none_match, tag):
                await send({"type": "http.response.start", "status": 304, "headers": headers})
                await send({"type": "http.response.body", "body": b""})
                return
        else:
            headers.append((b"cache-control", b"no-store"))
        content_type = _CONTENT_TYPES[fmt.name]
        if tag is not None:
            cached = self.answers.get(build.build_id, tag)
            if cached is not None:
                await send_body(send, 200, [content_type, *headers], cached)
                return

        job = {
            "query": query_request.query,
            "store": str(build.path),
            "format": fmt.name,
            "max_rows": settings.sparql_max_rows,
            "union": not info.has_dataset,
            "default_graph": list(query_request.default_graphs)
            if query_request.has_protocol_dataset else None,
            "named_graphs": list(query_request.named_graphs)
            if query_request.has_protocol_dataset else None,
        }
        loop = asyncio.get_running_loop()
        deadline = loop.time() + settings.sparql_timeout_s
        try:
            execution = await self.ensure_pool().execute(job, deadline, client_key(scope))
        except ClientLimited as error:
            await send_text(send, 429, str(error), {"Retry-After": str(error.retry_after)})
            return
        except PoolBusy as error:
            await send_text(send, 503, f"{error}: too many long queries are running; "
                                       f"retry later", {"Retry-After": "5"})
            return
        except PoolClosed as error:
            await send_text(send, 503, str(error))
            return
        outcome = await collect(execution, timeout_s=settings.sparql_timeout_s,
                                max_rows=settings.sparql_max_rows)
        if isinstance(outcome, Failure):
            retry = {} if outcome.retry_after is None else {
                "Retry-After": str(outcome.retry_after)}
            await send_text(send, outcome.status, outcome.message, retry)
            return
        if isinstance(outcome, Complete):
            if tag is not None:
                self.answers.put(build.build_id, tag, outcome.body)
            await send_body(send, 200, [content_type, *headers], outcome.body)
            return
        pairs = stream_rest(outcome, timeout_s=settings.sparql_timeout_s,
                            max_rows=settings.sparql_max_rows)
        response = CutAwareStreamingResponse(
            pairs, fmt, {name.decode(): value.decode() for name, value in headers})
        await response(scope, receive, send)

    def describe(self, scope: Scope, request_headers: RequestHeaders) -> Response:
        """GET without a query: the service description, or the query page for browsers."""
        format_param = dict(query_params(scope["query_string"])).get("format")
        if format_param:
            fmt = by_extension(format_param, DESCRIPTION_FORMATS)
        else:
            fmt = negotiate(request_headers.accept, DESCRIPTION_FORMATS)
        if fmt is None:
            return _text(406, "offered for the service description:\n"
                              + describe_offered(DESCRIPTION_FORMATS))
        headers = {"Vary": "Accept"}
        if fmt is HTML:
            return Response(self.page(None), media_type=HTML.content_type,
                            headers={**headers, "Cache-Control": "no-cache"})
        build = self.build()
        key = (build.build_id, fmt.name)
        body = self._description_cache.get(key)
        if body is None:
            graphs = list(self.store.oxigraph.named_graphs())
            graphs.sort(key=str)
            triples = service_description.description(self.settings, graphs)
            body = service_description.serialize(triples, fmt)
            self._description_cache = {key: body}
        return Response(body, media_type=fmt.content_type, headers=headers)

    def page(self, query: str | None, **results: Any) -> bytes:
        """The query page in the site's layout; ``query`` in the editor, ``results``
        (table, error, truncated, graph_text) below it."""
        from ..linked_data.html import SiteContext, render

        build = self.build()
        examples = load_examples(self.settings.project_dir / "queries", self.settings.base)
        site = SiteContext.make(self.settings.base, build.build_id, build.built_at)
        endpoint = service_description.endpoint_iri(self.settings)
        return render("sparql.html", site, current_nav="SPARQL", endpoint=endpoint,
                      endpoint_path=endpoint, limits=service_description.limits_text(
                          self.settings), **query_page.page_context(examples, query),
                      **results)

    async def results_page(self, scope: Scope, receive: Receive, send: Send,
                           query_request: QueryRequest, info: Any) -> None:
        """A browser following a query link: the page with the query and its results.

        The query runs in a worker like any other, bounded the same way, as SPARQL JSON
        (or Turtle for CONSTRUCT/DESCRIBE) of at most :data:`query_page.HTML_ROWS` rows;
        labels of the IRIs in it come from the same build.
        """
        build = self.build()
        fmt = choose_format(info, "ttl" if info.returns_graph else "json", None)
        job = {"query": query_request.query, "store": str(build.path), "format": fmt.name,
               "max_rows": query_page.HTML_ROWS, "union": not info.has_dataset,
               "default_graph": list(query_request.default_graphs)
               if query_request.has_protocol_dataset else None,
               "named_graphs": list(query_request.named_graphs)
               if query_request.has_protocol_dataset else None}
        results: dict[str, Any] = {}
        status = 200
        deadline = asyncio.get_running_loop().time() + self.settings.sparql_timeout_s
        try:
            execution = await self.ensure_pool().execute(job, deadline, client_key(scope))
            outcome = await collect(execution, timeout_s=self.settings.sparql_timeout_s,
                                    max_rows=query_page.HTML_ROWS, prefix_bytes=64 * 2**20)
        except (ClientLimited, PoolBusy, PoolClosed) as error:
            outcome = Failure(503, f"{error}: try again in a moment")
        if isinstance(outcome, Failure):  # the page, with the status a client would get
            results["error"] = outcome.message
            status = outcome.status
        elif isinstance(outcome, Complete) and info.returns_graph:
            results["graph_text"] = outcome.body.decode("utf-8", "replace")
            results["graph_count"] = outcome.rows if outcome.rows is not None else ""
        elif isinstance(outcome, Complete):
            store = self.store.oxigraph
            results["results"] = query_page.results_from_json(
                outcome.body, lambda iris: query_page.labels_for(
                    lambda q: store.query(q, use_default_graph_as_union=True), iris),
                self.settings.base)
        else:  # larger than the buffer: never for HTML_ROWS rows, but say so honestly
            results["error"] = "the result is too large to show here; use the CSV link"
        body = self.page(query_request.query, **results)
        await send_body(send, status, [(b"content-type", HTML.content_type.encode()),
                                    (b"vary", b"Accept, Accept-Encoding"),
                                    (b"cache-control", b"no-store")], body)

    async def asset(self, request: Request) -> Response:
        name = request.path_params["name"]
        if name not in ASSETS:
            return _text(404, f"no asset {name!r}")
        path = Path(str(resources.files("publisher").joinpath("static", "yasgui", name)))
        return FileResponse(path, media_type=ASSETS[name], headers={
            "Cache-Control": "public, max-age=86400"})
