"""HTTP face of label search: ``search`` (negotiated) and ``search.json``.

Thin: read the parameters, run the search on the request's build (its own index, pinned
by the Snapshot), answer JSON for machines or the results page for people. A parameter
that cannot be used is a 400 naming it.
"""

from __future__ import annotations

import json

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from .. import pages
from ..formats import HTML, JSON, Format, describe_offered, negotiate
from ..http.errors import HTTPProblem
from ..http.requests import RequestHeaders, query_params
from ..http.responses import Answer
from ..settings import Settings
from ..snapshot import Snapshot, snapshot_of
from .results import Results, SearchError, page_url, parse_request, run, to_json

#: ``search`` offers JSON first, so curl and libraries (``*/*``) get data; browsers ask
#: for HTML by name.
SEARCH_FORMATS: tuple[Format, ...] = (JSON, HTML)
PARAMETERS = frozenset({"q", "type", "limit", "offset", "page"})
HEADERS = {"Cache-Control": "public, max-age=60", "X-Content-Type-Options": "nosniff"}


async def search_endpoint(request: Request) -> Answer:
    """``search`` and ``search.json``: one page of ranked matches."""
    fixed = request.url.path.endswith(".json")
    offered = (JSON,) if fixed else SEARCH_FORMATS
    fmt = negotiate(RequestHeaders(request.scope["headers"]).accept, offered)
    if fmt is None:
        raise HTTPProblem(406, "none of the search's formats is acceptable; offered:\n"
                          + describe_offered(offered))
    settings: Settings = request.app.state.settings
    params = query_params(request.scope.get("query_string", b""))
    unknown = sorted({name for name, _ in params} - PARAMETERS)
    if unknown:
        raise HTTPProblem(400, f"unknown parameter(s) {', '.join(unknown)}: search takes "
                               "q, type, limit, and offset or page")
    single = {name: value for name, value in params if name != "type"}
    repeated = [name for name in PARAMETERS - {"type"}
                if sum(1 for n, _ in params if n == name) > 1]
    if repeated:
        raise HTTPProblem(400, f"`{repeated[0]}` is given more than once")
    types = [value for name, value in params if name == "type"]
    snapshot = snapshot_of(request.scope)
    try:
        search = parse_request(single, types, settings.search_default_limit,
                               settings.search_max_limit, settings.search_max_query_chars)
        results = await run_in_threadpool(run, snapshot.search_index(), search)
    except SearchError as error:
        raise HTTPProblem(400, str(error)) from None
    vary = {} if fixed else {"Vary": "Accept"}
    if fmt is JSON:
        body = json.dumps(to_json(results, snapshot.search_index()), ensure_ascii=False)
        return Answer.of(200, body.encode("utf-8"), JSON.content_type, {**HEADERS, **vary})
    return Answer.of(200, results_page(snapshot, results), HTML.content_type,
                     {**HEADERS, **vary})


def results_page(snapshot: Snapshot, results: Results) -> bytes:
    from ..linked_data.rendering import site

    base = snapshot.settings.base
    index = snapshot.search_index()
    request = results.request
    options = sorted(((key, item.name) for key, item in index.types.items() if item.links),
                     key=lambda option: option[1].lower())
    json_url = page_url(base, request, request.offset).replace(
        f"{base}search?", f"{base}search.json?", 1)
    return pages.render(
        "search.html", site(snapshot), results=results, query=request.q,
        type_options=options, json_url=json_url,
        next_url=None if results.next_offset is None
        else page_url(base, request, results.next_offset),
        previous_url=None if results.previous_offset is None
        else page_url(base, request, results.previous_offset))
