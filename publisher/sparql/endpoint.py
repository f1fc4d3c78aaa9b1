"""The SPARQL endpoint as raw ASGI routes: ``sparql`` and the query page's assets.

Thin by design: :mod:`.protocol` reads the request, :mod:`.analysis` classifies the
query, :mod:`.workers` runs it against the request's build, the format registry wrote
it; this module turns their outcomes into answers (status, ETag, Vary) and raises
:class:`~publisher.http.errors.HTTPProblem` for everything that is not one. Raw ASGI,
not request/response objects: a query's own checks cost tens of microseconds, and
building Request and Response objects would cost as much again.
"""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

from .. import formats, namespaces, pages
from ..formats import GRAPH_FORMATS, HTML, Format, by_extension, describe_offered, negotiate
from ..formats.results import cut_marker
from ..http.errors import HTTPProblem
from ..http.requests import RequestHeaders, query_params
from ..http.responses import Answer, Validators, etag_matches
from ..pages import query_page
from ..settings import Settings
from ..snapshot import Snapshot, snapshot_of
from . import inline, service_description
from .analysis import MAX_NESTING, analyse, gate
from .examples import load_examples
from .protocol import QueryRequest, choose_format, etag, read_query_request
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

#: What a GET without a query offers: the SD for machines (Turtle first), the page for people.
DESCRIPTION_FORMATS: tuple[Format, ...] = (GRAPH_FORMATS[0], HTML, *GRAPH_FORMATS[1:])
_CONTENT_TYPES = {fmt.name: (b"content-type", fmt.content_type.encode())
                  for fmt in formats.ALL_FORMATS}


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


class SparqlEndpoint:
    """``sparql``: queries (GET, POST), the service description and the query page."""

    def __init__(self, settings: Settings, metrics: Any = None) -> None:
        self.settings = settings
        self.metrics = metrics  # publisher.ops.metrics.Metrics, or None
        self.pool: QueryPool | None = None

    # -- lifecycle (the application's lifespan) ----------------------------------------
    def ensure_pool(self) -> QueryPool:
        if self.pool is None:
            settings = self.settings
            self.pool = QueryPool(
                settings.sparql_workers, settings.sparql_workers,
                # A remote store is reached over the network: workers keep it (SERVICE
                # stays refused by the query check, and the engine's own setting).
                isolate_network=not settings.service_allowlist and not settings.store_urls,
                spares=settings.sparql_spare_workers,
                slow_after_s=settings.sparql_slow_after_s,
                memory_mb=settings.sparql_worker_memory_mb,
                recycle_mb=settings.sparql_worker_recycle_mb,
                client_heavy_limit=settings.sparql_client_heavy_queries,
                on_restart=None if self.metrics is None
                else lambda: self.metrics.worker_restarted("sparql"),
            )
            self.pool.start()
        return self.pool

    async def close(self) -> None:
        if self.pool is not None:
            await self.pool.close()
            self.pool = None

    # -- sparql ---------------------------------------------------------------------------
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = RequestHeaders(scope["headers"])
        query_request = await read_query_request(
            scope["method"], scope["query_string"], headers, receive,
            self.settings.sparql_max_body_bytes)
        snapshot = snapshot_of(scope)
        if query_request is None:
            answer = self.describe(snapshot, scope, headers)
            await answer.send(scope, send, headers)
            return
        await self.answer(snapshot, scope, receive, send, headers, query_request)

    async def answer(self, snapshot: Snapshot, scope: Scope, receive: Receive, send: Send,
                     request_headers: RequestHeaders, query_request: QueryRequest) -> None:
        settings = self.settings
        info = analyse(query_request.query)
        refusal = gate(info, settings.service_allowlist)
        if refusal is not None:
            raise HTTPProblem(400 if info.nesting > MAX_NESTING else 403, refusal)
        fmt = choose_format(info, query_request.format, request_headers.accept)
        if fmt is HTML:  # a browser following a link: the page, the query and its results
            answer = await self.results_page(snapshot, scope, query_request, info)
            await answer.send(scope, send)
            return
        headers = [(b"vary", b"Accept, Accept-Encoding")]
        tag = None
        if info.deterministic:
            tag = etag(snapshot.build_id, query_request, fmt, settings.sparql_max_rows)
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
        keep = tag is not None and scope["method"] == "GET"
        if tag is not None:
            cached = snapshot.sparql_answers.get(tag)
            if self.metrics is not None:
                self.metrics.cache_lookup("sparql", cached is not None)
            if cached is not None:
                await self._complete(scope, send, [content_type, *headers], cached, tag, keep)
                return
        if self.metrics is None:
            await self._run(snapshot, scope, receive, send, headers, query_request, info, fmt,
                            tag, keep, content_type)
            return
        self.metrics.query_started()
        outcome = "failed"
        try:
            await self._run(snapshot, scope, receive, send, headers, query_request, info, fmt,
                            tag, keep, content_type)
            outcome = "completed"
        except HTTPProblem as problem:
            outcome = _outcome(problem)
            raise
        finally:
            self.metrics.query_finished(outcome)  # type: ignore[arg-type]

    async def _run(self, snapshot: Snapshot, scope: Scope, receive: Receive, send: Send,
                   headers: list[tuple[bytes, bytes]], query_request: QueryRequest,
                   info: Any, fmt: Format, tag: str | None, keep: bool,
                   content_type: tuple[bytes, bytes]) -> None:
        """Run the query on a worker and answer with its outcome."""
        settings = self.settings
        job = {"query": query_request.query, "store": snapshot.store.location,
               "format": fmt.name, "max_rows": settings.sparql_max_rows,
               "base_iri": settings.sparql_endpoint,
               **query_request.dataset(info).as_job()}
        # A query proved cheap is answered here, the same bytes a worker would send.
        outcome = inline.answer(snapshot.store, job, settings.sparql_inline_quads)
        if outcome is None:
            outcome = await self._on_worker(scope, job)
        if isinstance(outcome, Failure):
            raise HTTPProblem(outcome.status, outcome.message, {} if outcome.retry_after
                              is None else {"Retry-After": str(outcome.retry_after)})
        if isinstance(outcome, Complete):
            if tag is not None:
                snapshot.sparql_answers.put(tag, outcome.body)
            await self._complete(scope, send, [content_type, *headers], outcome.body, tag,
                                 keep)
            return
        pairs = stream_rest(outcome, timeout_s=settings.sparql_timeout_s,
                            max_rows=settings.sparql_max_rows)
        response = CutAwareStreamingResponse(
            pairs, fmt, {name.decode(): value.decode() for name, value in headers})
        await response(scope, receive, send)

    async def _on_worker(self, scope: Scope, job: dict[str, Any]) -> Any:
        """Run ``job`` on a worker; its outcome (complete, failed, or streaming)."""
        settings = self.settings
        deadline = asyncio.get_running_loop().time() + settings.sparql_timeout_s
        try:
            execution = await self.ensure_pool().execute(job, deadline, client_key(scope))
        except ClientLimited as error:
            raise HTTPProblem(429, str(error),
                              {"Retry-After": str(error.retry_after)}) from None
        except PoolBusy as error:
            raise HTTPProblem(503, f"{error}: too many long queries are running; retry "
                                   "later", {"Retry-After": "5"}) from None
        except PoolClosed as error:
            raise HTTPProblem(503, str(error), {"Retry-After": "5"}) from None
        return await collect(execution, timeout_s=settings.sparql_timeout_s,
                             max_rows=settings.sparql_max_rows)

    @staticmethod
    async def _complete(scope: Scope, send: Send, headers: list[tuple[bytes, bytes]],
                        body: bytes, tag: str | None, keep: bool) -> None:
        """A whole answer; a GET's is kept for the build, so repeating the same request
        (query string and Accept headers) is answered by the outermost layer alone."""
        answer = Answer(200, headers, body)
        if keep and tag is not None:
            answer.validators = Validators((tag,))
            answer.keep(scope, "sparql")
        await answer.send(scope, send)

    def describe(self, snapshot: Snapshot, scope: Scope, headers: RequestHeaders) -> Answer:
        """GET without a query: the service description, or the query page for browsers."""
        format_param = dict(query_params(scope["query_string"])).get("format")
        if format_param:
            fmt = by_extension(format_param, DESCRIPTION_FORMATS)
        else:
            fmt = negotiate(headers.accept, DESCRIPTION_FORMATS)
        if fmt is None:
            raise HTTPProblem(406, "offered for the service description:\n"
                              + describe_offered(DESCRIPTION_FORMATS))
        if fmt is HTML:
            return self.page(snapshot, None)
        body = snapshot.once(f"service-description:{fmt.name}", lambda: formats.serialize(
            service_description.description(self.settings, snapshot.store.named_graphs()),
            fmt, prefixes=service_description.PREFIXES))
        answer = Answer.of(200, body, fmt.content_type, {"Vary": "Accept"})
        answer.validators = Validators(modified=snapshot.build.built_at)
        answer.headers.append((b"last-modified", snapshot.last_modified.encode()))
        if scope["method"] == "GET":
            answer.keep(scope, "service-description")
        return answer

    def page(self, snapshot: Snapshot, query: str | None, status: int = 200,
             **results: Any) -> Answer:
        """The query page, in the site's layout: ``query`` in the editor (else the first
        example), ``results`` (a table, an error, a graph's text) below it."""
        examples = snapshot.once("sparql-examples", lambda: load_examples(
            snapshot.build.queries_dir, self.settings.base))
        endpoint = self.settings.sparql_endpoint
        if results.get("error"):
            results["problem"] = query_page.query_problem(
                results.pop("error"), query or "", namespaces.prefixes(self.settings.base))
        body = pages.render(
            "sparql.html", pages.site_context(self.settings, snapshot), current_nav="SPARQL",
            endpoint=endpoint, endpoint_path=endpoint,
            limits=service_description.limits_text(self.settings),
            **query_page.page_context(examples, query), **results)
        return Answer.of(status, body, HTML.content_type,
                         {"Vary": "Accept", "Cache-Control": "no-cache" if query is None
                          else "no-store"})

    async def results_page(self, snapshot: Snapshot, scope: Scope,
                           query_request: QueryRequest, info: Any) -> Answer:
        """A browser following a query link: the page with the query and its results.

        The query runs in a worker like any other, bounded the same way, as SPARQL JSON
        (Turtle for CONSTRUCT/DESCRIBE) of at most :data:`query_page.HTML_ROWS` rows; the
        labels of the IRIs in it come from the same build. A failure is the page with the
        message and the status any client would get.
        """
        settings = self.settings
        fmt = choose_format(info, "ttl" if info.returns_graph else "json", None)
        job = {"query": query_request.query, "store": snapshot.store.location,
               "format": fmt.name, "max_rows": query_page.HTML_ROWS,
               "base_iri": settings.sparql_endpoint, **query_request.dataset(info).as_job()}
        deadline = asyncio.get_running_loop().time() + settings.sparql_timeout_s
        try:
            execution = await self.ensure_pool().execute(job, deadline, client_key(scope))
            outcome = await collect(execution, timeout_s=settings.sparql_timeout_s,
                                    max_rows=query_page.HTML_ROWS, prefix_bytes=64 * 2**20)
        except (ClientLimited, PoolBusy, PoolClosed) as error:
            outcome = Failure(503, f"{error}: try again in a moment")
        if isinstance(outcome, Failure):
            return self.page(snapshot, query_request.query, outcome.status,
                             error=outcome.message)
        if not isinstance(outcome, Complete):  # beyond the buffer: say so, never cut silently
            return self.page(snapshot, query_request.query, 422,
                             error="the result is too large to show here")
        if info.returns_graph:
            return self.page(snapshot, query_request.query, graph_text=outcome.body.decode(
                "utf-8", "replace"), graph_count="" if outcome.rows is None else outcome.rows)
        table = query_page.results_from_json(
            outcome.body, lambda iris: query_page.labels_for(snapshot.store.query, iris),
            settings.base)
        return self.page(snapshot, query_request.query, results=table)


def _outcome(problem: HTTPProblem) -> str:
    """How a refused or failed query is counted (``publisher_sparql_queries_total``)."""
    if problem.status == 422 and problem.message.startswith("result truncated"):
        return "cut"
    if problem.status == 503 and "timed out" in problem.message:
        return "timed_out"
    if problem.status in (502, 503) and "SPARQL store" in problem.message:
        return "store_unavailable"
    return "failed"
