"""HTTP face of the reconciliation service (W3C Reconciliation Service API 0.2).

Thin: read the parameters (query string, or a form body for ``POST reconcile``, within
``reconcile_max_body_bytes``), call the build's :class:`ReconciliationService` (one per
Snapshot: the build's own search index and store), answer JSON, or the preview card.
A :class:`ReconcileError` becomes its status (400, 404, 413) with its message.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from .. import pages
from ..formats import HTML, JSON
from ..http.errors import HTTPProblem
from ..http.requests import RequestHeaders, decode_utf8, query_params, read_body
from ..http.responses import Answer
from ..settings import Settings
from ..snapshot import Snapshot, snapshot_of
from . import protocol
from .requests import ReconcileError
from .service import Limits, ReconciliationService
from .values import StoreValues

FORM = "application/x-www-form-urlencoded"
HEADERS = {"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"}
SUGGEST_KINDS = ("entity", "type", "property")


def limits(settings: Settings) -> Limits:
    return Limits(batch_size=settings.reconcile_batch_size,
                  max_limit=settings.reconcile_max_limit,
                  query_chars=settings.search_max_query_chars,
                  extend_ids=settings.reconcile_extend_ids,
                  max_suggest_limit=settings.search_max_limit)


def service_of(snapshot: Snapshot) -> ReconciliationService:
    """The service of the request's build, made once per build in this process."""

    def make() -> ReconciliationService:
        index = snapshot.search_index()
        values = StoreValues(lambda sparql: snapshot.store.query(sparql), index)
        return ReconciliationService(index, values, limits(snapshot.settings))

    return snapshot.once("reconciliation service", make)


def _json(answer: dict[str, Any]) -> Answer:
    body = json.dumps(answer, ensure_ascii=False).encode("utf-8")
    return Answer.of(200, body, JSON.content_type, HEADERS)


async def _call(function: Callable[[], Any]) -> Any:
    try:
        return await run_in_threadpool(function)
    except ReconcileError as error:
        raise HTTPProblem(error.status, str(error)) from None


async def _parameters(request: Request, settings: Settings) -> dict[str, str]:
    """The query string's parameters, and a POST's form fields; each given once."""
    limit = settings.reconcile_max_body_bytes
    raw_query = request.scope.get("query_string", b"")
    if len(raw_query) > limit:
        raise HTTPProblem(414, f"the query string is longer than this service's limit of "
                               f"{limit:,} bytes: POST the parameters as a form")
    pairs = query_params(raw_query)
    if request.method == "POST":
        headers = RequestHeaders(request.scope["headers"])
        body = await read_body(request.receive, headers, limit, "the reconciliation request")
        if body.strip():
            if headers.media_type != FORM:
                raise HTTPProblem(415, f"POST the parameters as {FORM} (a form), not "
                                       f"{headers.media_type or 'an unlabelled body'}",
                                  {"Accept-Post": FORM})
            decode_utf8(body, "the form")
            pairs += query_params(body)
    found: dict[str, str] = {}
    for name, value in pairs:
        if name in found:
            raise HTTPProblem(400, f"`{name}` is given more than once")
        found[name] = value
    return found


async def reconcile_endpoint(request: Request) -> Answer:
    """``reconcile``: the manifest, a ``queries`` batch or an ``extend`` request."""
    settings: Settings = request.app.state.settings
    params = await _parameters(request, settings)
    service = service_of(snapshot_of(request.scope))
    return _json(await _call(lambda: protocol.answer(service, params)))


def _only(params: dict[str, str], allowed: set[str], where: str) -> None:
    unknown = sorted(set(params) - allowed)
    if unknown:
        raise HTTPProblem(400, f"unknown parameter(s) {', '.join(unknown)}; {where} takes "
                               f"{', '.join(sorted(allowed))}")


def _integer(params: dict[str, str], name: str) -> int | None:
    raw = params.get(name)
    if raw is None or raw == "":
        return None
    try:
        return int(raw)
    except ValueError:
        raise HTTPProblem(400, f"`{name}` must be a whole number, got {raw!r}") from None


async def suggest_endpoint(request: Request) -> Answer:
    """``reconcile/suggest/{kind}``: autocomplete of entities, types or properties."""
    kind = request.path_params["kind"]
    if kind not in SUGGEST_KINDS:
        raise HTTPProblem(404, f"no suggest service {kind!r}: there are "
                               f"{', '.join(SUGGEST_KINDS)}")
    params = await _parameters(request, request.app.state.settings)
    _only(params, {"prefix", "cursor", "limit", "type"}, f"suggest/{kind}")
    if "prefix" not in params:
        raise HTTPProblem(400, "give the text typed so far as `prefix`")
    cursor, limit = _integer(params, "cursor") or 0, _integer(params, "limit")
    types = [t for t in params.get("type", "").split(",") if t.strip()]
    service = service_of(snapshot_of(request.scope))
    return _json(await _call(lambda: service.suggest(kind, params["prefix"], cursor, limit,
                                                     types)))


async def propose_properties_endpoint(request: Request) -> Answer:
    """``reconcile/propose_properties``: properties worth fetching for a type."""
    params = await _parameters(request, request.app.state.settings)
    _only(params, {"type", "limit"}, "propose_properties")
    limit = _integer(params, "limit")
    service = service_of(snapshot_of(request.scope))
    return _json(await _call(lambda: service.propose_properties(params.get("type"), limit)))


async def preview_endpoint(request: Request) -> Answer:
    """``reconcile/preview?id=``: the small HTML card OpenRefine shows beside a candidate."""
    params = await _parameters(request, request.app.state.settings)
    _only(params, {"id"}, "preview")
    if not params.get("id", "").strip():
        raise HTTPProblem(400, "give the entity's id as `id` (e.g. person/sergey-lavrov)")
    snapshot = snapshot_of(request.scope)
    service = service_of(snapshot)
    preview = await _call(lambda: service.preview(params["id"]))
    if preview is None:
        raise HTTPProblem(404, f"no entity {params['id']!r} in this dataset")
    body = pages.render("reconcile_preview.html", pages.site_context(snapshot.settings,
                                                                      snapshot),
                        preview=preview)
    return Answer.of(200, body, HTML.content_type, {
        **HEADERS, "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'"})
