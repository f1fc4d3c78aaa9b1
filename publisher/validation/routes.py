"""HTTP face of the validation service: ``GET validate`` (the page), ``POST validate``.

Thin by design: read the body within the size limit, pick the input format from
``Content-Type`` (or the page's form), call :func:`.service.validate` with the served
build's shapes, and pick the report's format from ``Accept``. Status codes: 200 with the
report whether or not the data conforms (the report says which), 400 unreadable input,
406 no acceptable report format, 413 body too large or too many triples, 415 unknown
input format, 422 the input could not be validated (time limit, memory limit, crashed or
failing worker), 503 busy or no published dataset yet. Problems are raised as
:class:`~publisher.http.errors.HTTPProblem` for programs; for people (the page's own
form) they are shown on the page, above the form they sent.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import Request

from .. import pages
from ..formats import HTML, JSON_LD, N_TRIPLES, TURTLE, Format, describe_offered, negotiate
from ..http.errors import HTTPProblem
from ..http.requests import RequestHeaders, read_body
from ..http.responses import Answer
from ..settings import Settings
from ..snapshot import Snapshot, pinned
from .report import ValidationReport
from .service import (
    Rules,
    StoreContext,
    ValidationBusy,
    ValidationFailed,
    ValidationTimeout,
    validate,
)
from .submission import (
    INPUT_FORMATS,
    Document,
    SubmissionError,
    SubmissionTooLarge,
    accepted_media_types,
    format_for_content_type,
    format_for_name,
)

#: Report formats for API clients: Turtle first, so ``*/*`` (curl) gets Turtle.
REPORT_FORMATS: tuple[Format, ...] = (TURTLE, JSON_LD, N_TRIPLES, HTML)
#: The page's own form posts want the page back first.
FORM_FORMATS: tuple[Format, ...] = (HTML, TURTLE, JSON_LD, N_TRIPLES)
FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")
#: Submissions longer than this are not echoed back into the page's text area.
ECHO_LIMIT = 200_000
#: Rows shown in the page's table; the RDF report always has every result.
ROW_DISPLAY_LIMIT = 1_000
#: Reports up to this size (N-Triples) are also shown as Turtle on the page.
TURTLE_DISPLAY_LIMIT = 1_000_000
#: Nothing on these pages runs script or loads from elsewhere, whatever a submission says.
HTML_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'self' 'unsafe-inline'; "
                               "img-src 'self'; form-action 'self'; base-uri 'none'; "
                               "frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
    "Vary": "Accept, Content-Type",
}
DATA_HEADERS = {"X-Content-Type-Options": "nosniff", "Cache-Control": "no-store",
                "Vary": "Accept, Content-Type"}


async def validate_endpoint(request: Request) -> Answer:
    """``validate``: the page (GET, HEAD) or a submission (POST)."""
    if request.method == "POST":
        return await validate_submission(request)
    return validate_page(request)


def render_page(settings: Settings, snapshot: Snapshot | None, *,
                report: ValidationReport | None = None, error: str | None = None,
                form: dict[str, Any] | None = None) -> bytes:
    """The validation page: the form, and below it a report or an error."""
    base = settings.base

    def linkable(iri: str | None) -> bool:
        """Only our own http(s) IRIs become links: a submitted ``javascript:`` IRI
        or a link to elsewhere stays text."""
        return bool(iri) and iri.startswith(base) and iri.startswith(("http://", "https://"))

    groups, hidden = report.limited_groups(ROW_DISPLAY_LIMIT) if report else ([], 0)
    turtle = (report.serialize(TURTLE).decode("utf-8")
              if report and len(report.report_ntriples) <= TURTLE_DISPLAY_LIMIT else None)
    return pages.render(
        "validate.html", pages.site_context(settings, snapshot),
        groups=groups, hidden_rows=hidden, report_turtle=turtle, report=report, error=error,
        form=form or {"format": TURTLE.media_type, "data": "", "standalone": False},
        formats=INPUT_FORMATS, endpoint=base + "validate", linkable=linkable,
        limit=settings.validate_max_body_bytes, timeout=settings.validate_timeout_s,
    )


def validate_page(request: Request) -> Answer:
    """``GET validate``: the page for people; a short usage text for everyone else."""
    settings: Settings = request.app.state.settings
    if negotiate(request.headers.get("accept"), (HTML,)) is None:
        return Answer.text(200, usage(settings), DATA_HEADERS)
    body = render_page(settings, pinned(request.scope))
    return Answer.of(200, body, HTML.content_type, HTML_HEADERS)


def usage(settings: Settings) -> str:
    return (f"POST an RDF document to {settings.base}validate with its Content-Type:\n"
            f"{accepted_media_types()}\n\nThe answer is a SHACL validation report; choose "
            f"it with Accept:\n{describe_offered(REPORT_FORMATS)}\n\nLimits: "
            f"{settings.validate_max_body_bytes:,} bytes, {settings.validate_timeout_s:g} s. "
            "Add ?standalone=1 to skip resolving references against the published data.\n")


async def validate_submission(request: Request) -> Answer:
    """``POST validate``: a raw RDF body (API) or the page's form (people)."""
    settings: Settings = request.app.state.settings
    snapshot = pinned(request.scope)
    headers = RequestHeaders(request.scope["headers"])
    from_form = headers.media_type in FORM_TYPES
    offered = FORM_FORMATS if from_form else REPORT_FORMATS
    chosen = negotiate(headers.accept, offered)
    if chosen is None:
        raise HTTPProblem(406, "none of the report formats is acceptable; offered:\n"
                          + describe_offered(offered))
    form: dict[str, Any] | None = None
    try:
        body = await read_body(request.receive, headers, settings.validate_max_body_bytes,
                               "the submission")
        if from_form:
            document, form = await read_form(request, body)
        else:
            document = read_raw(headers, body)
        standalone = (form or {}).get("standalone", False) or _flag(
            request.query_params.get("standalone"))
        if snapshot is None and not standalone:
            raise HTTPProblem(503, "no dataset is published yet, so references cannot be "
                                   "resolved; retry later or add ?standalone=1",
                              {"Retry-After": "60"})
        rules = Rules.of_build(snapshot) if snapshot is not None else Rules.of_project(settings)
        context = None if standalone else StoreContext(snapshot)  # type: ignore[arg-type]
        report = await run_in_threadpool(validate, [document], settings, context, rules)
    except SubmissionTooLarge as error:
        problem = HTTPProblem(413, f"the submission is refused: {error}")
    except SubmissionError as error:
        verdict = "is refused" if error.refused else "does not parse"
        problem = HTTPProblem(400, f"the submission {verdict}: {error}")
    except ValidationTimeout as error:
        problem = HTTPProblem(422, str(error))
    except ValidationFailed as error:  # this submission could not be validated
        problem = HTTPProblem(422, str(error))
    except ValidationBusy as error:
        problem = HTTPProblem(503, str(error), {"Retry-After": "5"})
    except HTTPProblem as error:
        problem = error
    else:
        if chosen is HTML:
            page = render_page(settings, snapshot, report=report, form=form)
            return Answer.of(200, page, HTML.content_type, HTML_HEADERS)
        return Answer.of(200, report.serialize(chosen), chosen.content_type, DATA_HEADERS)
    if chosen is HTML and from_form:  # people: the page again, with what went wrong
        page = render_page(settings, snapshot, error=problem.message, form=form)
        return Answer.of(problem.status, page, HTML.content_type,
                         {**HTML_HEADERS, **problem.headers})
    problem.headers = {**DATA_HEADERS, **problem.headers}
    raise problem


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


def read_raw(headers: RequestHeaders, body: bytes) -> Document:
    if not headers.content_type:
        raise HTTPProblem(415, "say which RDF format the body is with Content-Type; "
                               "accepted:\n" + accepted_media_types())
    fmt = format_for_content_type(headers.content_type)
    if fmt is None:
        raise HTTPProblem(415, f"cannot validate {headers.media_type or 'that'}: "
                               "Content-Type must be one of\n" + accepted_media_types())
    if not body.strip():
        raise HTTPProblem(400, "the request body is empty: send the RDF document to "
                               "validate")
    return Document("request body", fmt, body)


async def read_form(request: Request, body: bytes) -> tuple[Document, dict[str, Any]]:
    """The page's form: pasted text or an uploaded file, a format, a context switch."""

    async def replay() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    try:
        parsed = await Request(request.scope, replay).form(
            max_files=1, max_fields=8, max_part_size=len(body) + 1)
    except Exception as error:  # noqa: BLE001 - multipart errors are the client's
        raise HTTPProblem(400, f"the form cannot be read: {error}") from None
    upload = parsed.get("file")
    text = parsed.get("data")
    chosen = str(parsed.get("format") or "auto")
    standalone = _flag(str(parsed.get("standalone") or ""))
    name = "pasted text"
    if isinstance(upload, UploadFile) and upload.filename:
        data = await upload.read()
        name = Path(upload.filename).name[:200] or "upload"
    else:
        data = (text if isinstance(text, str) else "").encode("utf-8")
    form = {"format": chosen, "standalone": standalone,
            "data": data.decode("utf-8", errors="replace") if len(data) <= ECHO_LIMIT
            and name == "pasted text" else ""}
    if not data.strip():
        raise HTTPProblem(400, "nothing to validate: paste RDF or choose a file")
    fmt = format_for_name(chosen) if chosen != "auto" else format_for_name(Path(name).suffix)
    if fmt is None:
        raise HTTPProblem(415, "choose the format of the document (or upload a file "
                               "whose extension says it: .ttl .trig .nt .nq .jsonld .rdf)")
    return Document(name, fmt, data), form
