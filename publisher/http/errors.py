"""Errors become responses in one place, rendered in the format the client accepts.

Routes raise :class:`HTTPProblem` (or let :class:`~publisher.builds.StoreUnavailable`
through); :func:`install` maps those, the router's own 404/405 and anything unexpected
to an answer: a page in the site's layout for browsers, ``application/problem+json``
(RFC 9457) for API clients that ask for it, plain text for everyone else (curl). An
unexpected error is a 500 that names no internals: the traceback goes to the server log,
never to the client.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request

from .. import formats
from ..formats import HTML, PROBLEM_JSON, TEXT, Format

log = logging.getLogger(__name__)

#: Offered for errors; plain text first, so ``*/*`` (curl, most libraries) reads it.
ERROR_FORMATS: tuple[Format, ...] = (TEXT, HTML, PROBLEM_JSON)
CACHE = {404: "public, max-age=60", 410: "public, max-age=60"}
METHOD_ORDER = {"GET": 0, "HEAD": 1, "POST": 2, "OPTIONS": 3}


class HTTPProblem(Exception):
    """A request answered with ``status`` and a message for the person who sent it.

    ``suggestions`` are (label, IRI) pairs shown as "did you mean"; ``headers`` are added
    to the answer (``Allow``, ``Retry-After``, ``Accept-Post``...).
    """

    def __init__(self, status: int, message: str, headers: Mapping[str, str] | None = None,
                 suggestions: Sequence[tuple[str, str]] = ()) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = dict(headers or {})
        self.suggestions = tuple(suggestions)


def install(app: Any) -> None:
    """Register the mapping on a Starlette/FastAPI application."""
    app.add_exception_handler(HTTPProblem, problem_handler)
    app.add_exception_handler(HTTPException, http_exception_handler)
    from ..builds import StoreUnavailable

    app.add_exception_handler(StoreUnavailable, unavailable_handler)
    app.add_exception_handler(Exception, unexpected_handler)


async def problem_handler(request: Request, exc: Exception) -> Any:
    assert isinstance(exc, HTTPProblem)
    return render(request, exc)


async def http_exception_handler(request: Request, exc: Exception) -> Any:
    assert isinstance(exc, HTTPException)
    status = exc.status_code
    if status == 404:
        iri = request.app.state.settings.base + request.url.path.removeprefix(
            request.app.state.settings.base_path).lstrip("/")
        message = (f"Nothing is published at {iri}. The dataset mints IRIs as "
                   f"{request.app.state.settings.id_base}{{kind}}/{{slug}}; the home page "
                   "lists them all.")
    elif status == 405:
        allowed = sorted((exc.headers or {}).get("Allow", "GET, HEAD").split(", "),
                         key=lambda method: METHOD_ORDER.get(method, 9))
        headers = {**(exc.headers or {}), "Allow": ", ".join(allowed)}  # a set: order it
        return render(request, HTTPProblem(405, f"{request.method} is not allowed here; "
                                                f"allowed: {headers['Allow']}", headers))
    else:
        message = str(exc.detail)
    return render(request, HTTPProblem(status, message, exc.headers))


async def unavailable_handler(request: Request, exc: Exception) -> Any:
    return render(request, HTTPProblem(503, str(exc), {"Retry-After": "60"}))


async def unexpected_handler(request: Request, exc: Exception) -> Any:
    """The last resort (ServerErrorMiddleware logs the traceback after this answer)."""
    answer = render(request, HTTPProblem(
        500, "The server failed to answer this request; the failure is in its log. "
             "Please report the URL."))
    from .cors import simple_headers

    answer.headers.extend(simple_headers())  # outside the CORS layer
    return answer


def render(request: Request, problem: HTTPProblem) -> Any:
    """The problem as an Answer in the best of :data:`ERROR_FORMATS` for ``Accept``."""
    from .requests import RequestHeaders
    from .responses import Answer, raw_headers

    accept = RequestHeaders(request.scope["headers"]).accept
    fmt = formats.negotiate(accept, ERROR_FORMATS) or TEXT
    headers = {"Vary": "Accept", "Cache-Control": CACHE.get(problem.status, "no-store"),
               "X-Content-Type-Options": "nosniff", **problem.headers}
    title = _title(problem.status)
    if fmt is HTML:
        body = _page(request, problem, title)
    elif fmt is PROBLEM_JSON:
        body = json.dumps({"type": "about:blank", "title": title, "status": problem.status,
                           "detail": problem.message,
                           **({"suggestions": [{"label": label, "iri": iri} for label, iri
                                               in problem.suggestions]}
                              if problem.suggestions else {})},
                          ensure_ascii=False, indent=2).encode("utf-8") + b"\n"
    else:
        lines = [problem.message.rstrip("\n"),
                 *(f"Did you mean {iri} ({label})?" for label, iri in problem.suggestions)]
        body = ("\n".join(lines) + "\n").encode("utf-8")
    return Answer(problem.status, [(b"content-type", fmt.content_type.encode()),
                                   *raw_headers(headers)], body)


def _title(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _page(request: Request, problem: HTTPProblem, title: str) -> bytes:
    from .. import pages
    from ..snapshot import pinned

    settings = request.app.state.settings
    snapshot = pinned(request.scope)
    try:
        site = pages.site_context(settings, snapshot)
    except Exception:  # noqa: BLE001 - an error page must not fail on its own context
        log.exception("site context for an error page")
        site = pages.site_context(settings, None)
    return pages.error_page(site, problem.status, title, problem.message,
                            problem.suggestions)
