"""HTTP routes of the SPARQL endpoint: ``/sparql`` and the query page's assets.

Thin by design: :mod:`.protocol` reads the request, :mod:`.analysis` classifies the
query, :mod:`.workers` runs it, :mod:`.results` wrote it; this module only turns their
outcomes into responses with the right status, headers (ETag, Vary) and body; CORS is app-wide.
Plain Starlette routes, not FastAPI's: no validation layer on the hot path.
"""

from __future__ import annotations

import asyncio
import json
from importlib import resources
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response, StreamingResponse
from starlette.types import Send

from ..formats import GRAPH_FORMATS, HTML, Format, by_extension, describe_offered, negotiate
from ..settings import Settings
from ..store import LiveStore, StoreMissing
from . import service_description
from .analysis import MAX_NESTING, analyse, gate
from .cache import AnswerCache
from .examples import load_examples
from .protocol import (
    ProtocolError,
    QueryRequest,
    choose_format,
    etag,
    etag_matches,
    read_query_request,
)
from .results import cut_marker
from .workers import Complete, Failure, PoolBusy, PoolClosed, QueryPool, collect, stream_rest

ALLOW = "GET, HEAD, POST, OPTIONS"
YASGUI_VERSION = "4.6.2"
ASSETS = {"yasgui.min.js": "text/javascript; charset=utf-8",
          "yasgui.min.css": "text/css; charset=utf-8"}
#: What a GET without a query offers: the SD for machines (Turtle first), the page for people.
DESCRIPTION_FORMATS: tuple[Format, ...] = (GRAPH_FORMATS[0], HTML, *GRAPH_FORMATS[1:])


def _text(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    return PlainTextResponse(message.rstrip("\n") + "\n", status_code=status, headers=headers)


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
    """State shared by the routes of one app: settings, store, worker pool, templates."""

    def __init__(self, settings: Settings, store: LiveStore) -> None:
        self.settings = settings
        self.store = store
        self.pool: QueryPool | None = None
        self.answers = AnswerCache(settings.sparql_cache_bytes)
        self._description_cache: dict[tuple[str, str], bytes] = {}
        self._templates = Environment(loader=PackageLoader("publisher", "templates"),
                                      autoescape=select_autoescape(["html"]))

    # -- lifecycle

    def ensure_pool(self) -> QueryPool:
        if self.pool is None:
            self.pool = QueryPool(
                self.settings.sparql_workers, self.settings.sparql_workers,
                isolate_network=not self.settings.service_allowlist,
            )
            self.pool.start()
        return self.pool

    async def close(self) -> None:
        if self.pool is not None:
            await self.pool.close()
            self.pool = None

    # -- routes

    async def sparql(self, request: Request) -> Response:
        if request.method == "OPTIONS":
            return self.preflight(request)
        if request.method not in ("GET", "HEAD", "POST"):
            return _text(405, f"{request.method} is not allowed on the SPARQL endpoint; "
                              f"use GET or POST (SPARQL 1.1 Protocol)", {"Allow": ALLOW})
        try:
            query_request = await read_query_request(request,
                                                     self.settings.sparql_max_body_bytes)
            if query_request is None:
                return self.describe(request)
            return await self.answer(request, query_request)
        except ProtocolError as error:
            return _text(error.status, error.message, error.headers)
        except StoreMissing as error:
            return _text(503, str(error))

    def preflight(self, request: Request) -> Response:
        """A plain OPTIONS: what the endpoint allows.

        CORS preflights (with ``Origin`` and ``Access-Control-Request-Method``) are
        answered before this by the app-wide CORS middleware (publisher.http_middleware).
        """
        return Response(status_code=204, headers={"Allow": ALLOW})

    async def answer(self, request: Request, query_request: QueryRequest) -> Response:
        settings = self.settings
        info = analyse(query_request.query)
        refusal = gate(info, settings.service_allowlist)
        if refusal is not None:
            raise ProtocolError(400 if info.nesting > MAX_NESTING else 403, refusal)
        fmt = choose_format(info, query_request.format, request.headers.get("accept"))
        build = self.store.info
        headers = {"Vary": "Accept, Accept-Encoding"}
        tag = None
        if info.deterministic:
            tag = etag(build.build_id, query_request, fmt, settings.sparql_max_rows)
        if tag is not None and request.method in ("GET", "HEAD"):
            headers["ETag"] = tag
            headers["Cache-Control"] = "public, no-cache"
            if etag_matches(request.headers.get("if-none-match"), tag):
                return Response(status_code=304, headers=headers)
        else:
            headers["Cache-Control"] = "no-store"
        if tag is not None:
            cached = self.answers.get(build.build_id, tag)
            if cached is not None:
                return Response(cached, media_type=fmt.content_type, headers=headers)

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
            execution = await self.ensure_pool().execute(job, deadline)
        except PoolBusy as error:
            return _text(503, f"{error}: too many long queries are running; retry later",
                         {"Retry-After": "5"})
        except PoolClosed as error:
            return _text(503, str(error))
        outcome = await collect(execution, timeout_s=settings.sparql_timeout_s,
                                max_rows=settings.sparql_max_rows)
        if isinstance(outcome, Failure):
            return _text(outcome.status, outcome.message)
        if isinstance(outcome, Complete):
            if tag is not None:
                self.answers.put(build.build_id, tag, outcome.body)
            return Response(outcome.body, media_type=fmt.content_type, headers=headers)
        pairs = stream_rest(outcome, timeout_s=settings.sparql_timeout_s,
                            max_rows=settings.sparql_max_rows)
        return CutAwareStreamingResponse(pairs, fmt, headers)

    def describe(self, request: Request) -> Response:
        """GET without a query: the service description, or the query page for browsers."""
        format_param = request.query_params.get("format")
        if format_param:
            fmt = by_extension(format_param, DESCRIPTION_FORMATS)
        else:
            fmt = negotiate(request.headers.get("accept"), DESCRIPTION_FORMATS)
        if fmt is None:
            return _text(406, "offered for the service description:\n"
                              + describe_offered(DESCRIPTION_FORMATS))
        headers = {"Vary": "Accept"}
        if fmt is HTML:
            return Response(self.page(), media_type=HTML.content_type, headers=headers)
        build = self.store.info
        key = (build.build_id, fmt.name)
        body = self._description_cache.get(key)
        if body is None:
            graphs = list(self.store.oxigraph.named_graphs())
            graphs.sort(key=str)
            triples = service_description.description(self.settings, graphs)
            body = service_description.serialize(triples, fmt)
            self._description_cache = {key: body}
        return Response(body, media_type=fmt.content_type, headers=headers)

    def page(self) -> str:
        examples = load_examples(self.settings.project_dir / "queries", self.settings.base)
        examples_json = json.dumps([vars(example) for example in examples]).replace("<", "\\u003c")
        return self._templates.get_template("sparql.html").render(
            endpoint=service_description.endpoint_iri(self.settings),
            limits=service_description.limits_text(self.settings),
            examples=examples, examples_json=examples_json,
            assets="sparql/yasgui", yasgui_version=YASGUI_VERSION,
        )

    async def asset(self, request: Request) -> Response:
        name = request.path_params["name"]
        if name not in ASSETS:
            return _text(404, f"no asset {name!r}")
        path = Path(str(resources.files("publisher").joinpath("static", "yasgui", name)))
        return FileResponse(path, media_type=ASSETS[name], headers={
            "Cache-Control": "public, max-age=86400"})
