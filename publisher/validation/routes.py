"""HTTP face of the validation service: ``GET validate`` (the page), ``POST validate``.

Thin by design: read the body within the size limit, pick the input format from
``Content-Type`` (or the page's form), call :func:`.service.validate`, and pick the
report's format from ``Accept``. Status codes: 200 with the report whether or not the
data conforms (the report says which), 400 unreadable input, 406 no acceptable report
format, 413 body too large or too many triples, 415 unknown input format, 422 the input
was refused while being validated (time limit, memory limit, crashed worker), 500 the
validator itself failed, 503 busy or no published dataset yet.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from fastapi import FastAPI
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from ..formats import HTML, JSON_LD, N_TRIPLES, TURTLE, Format, describe_offered, negotiate
from ..settings import Settings
from ..store import LiveStore, StoreMissing
from .report import ValidationReport
from .service import (
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
TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"
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


class BodyTooLarge(Exception):
    def __init__(self, limit: int) -> None:
        super().__init__(f"the submission is larger than this service's limit of "
                         f"{limit:,} bytes; split it or validate it locally with "
                         "`publisher validate`")


class RequestProblem(Exception):
    """A request this service answers with ``status`` and a message, before validating."""

    def __init__(self, status: int, message: str) -> None:
        self.status = status
        super().__init__(message)


def register(app: FastAPI) -> None:
    """Add ``GET``/``POST {base path}validate`` to ``app``."""
    path = (urlsplit(app.state.settings.base).path or "/") + "validate"
    app.add_route(path, validate_page, methods=["GET", "HEAD"], include_in_schema=False)
    app.add_route(path, validate_submission, methods=["POST"], include_in_schema=False)


# --------------------------------------------------------------------------- pages


@dataclass
class PageSite:
    """What ``base.html`` needs to lay out a page (same fields as the site pages use)."""

    base: str
    build_id: str = ""
    built_at: str = ""
    licence: str | None = None
    nav: list[tuple[str, str]] = field(default_factory=list)

    @property
    def css(self) -> str:
        return (urlsplit(self.base).path or "/") + "static/css/site.css"

    @classmethod
    def make(cls, settings: Settings, store: LiveStore | None) -> PageSite:
        base = settings.base
        nav = [("Home", base), ("Ontology", base + "ontology"), ("Shapes", base + "shapes"),
               ("Dataset", base + "void"), ("Dumps", base + "dumps/"),
               ("SPARQL", base + "sparql"), ("Validate", base + "validate")]
        build_id = built_at = ""
        if store is not None:
            try:
                info = store.info
                build_id, built_at = info.build_id, info.built_at
            except (StoreMissing, OSError, ValueError):
                pass
        return cls(base, build_id, built_at, None, nav)


@lru_cache(maxsize=1)
def environment() -> Environment:
    """Autoescaping everywhere: every value a submission contains is shown as text."""
    return Environment(loader=FileSystemLoader(str(TEMPLATES_DIR)),
                       autoescape=select_autoescape(default_for_string=True, default=True),
                       trim_blocks=True, lstrip_blocks=True)


def render_page(settings: Settings, store: LiveStore | None, *,
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
    template = environment().get_template("validate.html")
    page = template.render(
        groups=groups, hidden_rows=hidden, report_turtle=turtle,
        site=PageSite.make(settings, store), report=report, error=error,
        form=form or {"format": TURTLE.media_type, "data": "", "standalone": False},
        formats=INPUT_FORMATS, endpoint=base + "validate", linkable=linkable,
        limit=settings.validate_max_body_bytes, timeout=settings.validate_timeout_s,
    )
    return page.encode("utf-8")


async def validate_page(request: Request) -> Response:
    """``GET validate``: the page for people; a short usage text for everyone else."""
    settings: Settings = request.app.state.settings
    if negotiate(request.headers.get("accept"), (HTML,)) is None:
        return PlainTextResponse(usage(settings), headers=DATA_HEADERS)
    body = render_page(settings, request.app.state.store)
    return Response(body, media_type=HTML.content_type, headers=HTML_HEADERS)


def usage(settings: Settings) -> str:
    return (f"POST an RDF document to {settings.base}validate with its Content-Type:\n"
            f"{accepted_media_types()}\n\nThe answer is a SHACL validation report; choose "
            f"it with Accept:\n{describe_offered(REPORT_FORMATS)}\n\nLimits: "
            f"{settings.validate_max_body_bytes:,} bytes, {settings.validate_timeout_s:g} s. "
            "Add ?standalone=1 to skip resolving references against the published data.\n")


# --------------------------------------------------------------------------- POST


async def validate_submission(request: Request) -> Response:
    """``POST validate``: a raw RDF body (API) or the page's form (people)."""
    settings: Settings = request.app.state.settings
    store: LiveStore = request.app.state.store
    content_type = request.headers.get("content-type", "")
    from_form = content_type.split(";", 1)[0].strip().lower() in FORM_TYPES
    offered = FORM_FORMATS if from_form else REPORT_FORMATS
    chosen = negotiate(request.headers.get("accept"), offered)
    if chosen is None:
        return PlainTextResponse(
            "none of the report formats is acceptable; offered:\n"
            + describe_offered(offered) + "\n", status_code=406, headers=DATA_HEADERS)
    form: dict[str, Any] | None = None
    try:
        body = await read_body(request, settings.validate_max_body_bytes)
        if from_form:
            document, form = await read_form(request, body)
        else:
            document = read_raw(content_type, body)
        standalone = (form or {}).get("standalone", False) or _flag(
            request.query_params.get("standalone"))
        context = None if standalone else StoreContext(store)
        report = await run_in_threadpool(validate, [document], settings, context)
    except BodyTooLarge as error:
        return _problem(413, str(error), chosen, settings, store, form)
    except RequestProblem as error:
        return _problem(error.status, str(error), chosen, settings, store, form)
    except SubmissionTooLarge as error:
        return _problem(413, f"the submission is refused: {error}", chosen, settings,
                        store, form)
    except SubmissionError as error:
        verdict = "is refused" if error.refused else "does not parse"
        return _problem(400, f"the submission {verdict}: {error}", chosen, settings, store,
                        form)
    except ValidationTimeout as error:
        return _problem(422, str(error), chosen, settings, store, form)
    except ValidationFailed as error:
        return _problem(422 if error.crashed else 500, str(error), chosen, settings, store,
                        form)
    except ValidationBusy as error:
        return _problem(503, str(error), chosen, settings, store, form, retry_after=5)
    except StoreMissing:
        return _problem(503, "no dataset is published yet, so references cannot be "
                        "resolved; retry later or add ?standalone=1", chosen, settings,
                        store, form)
    if chosen is HTML:
        page = render_page(settings, store, report=report, form=form)
        return Response(page, media_type=HTML.content_type, headers=HTML_HEADERS)
    return Response(report.serialize(chosen), media_type=chosen.content_type,
                    headers=DATA_HEADERS)


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


async def read_body(request: Request, limit: int) -> bytes:
    """The body, refused as soon as it passes ``limit`` (declared or actual length)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge(limit)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge(limit)
        chunks.append(chunk)
    return b"".join(chunks)


def read_raw(content_type: str, body: bytes) -> Document:
    if not content_type:
        raise RequestProblem(415, "say which RDF format the body is with Content-Type; "
                             "accepted:\n" + accepted_media_types())
    fmt = format_for_content_type(content_type)
    if fmt is None:
        raise RequestProblem(415, f"cannot validate {content_type.split(';')[0]!s}: "
                             "Content-Type must be one of\n" + accepted_media_types())
    if not body.strip():
        raise RequestProblem(400, "the request body is empty: send the RDF document to "
                             "validate")
    return Document("request body", fmt, body)


async def read_form(request: Request, body: bytes) -> tuple[Document, dict[str, Any]]:
    """The page's form: pasted text or an uploaded file, a format, a context switch."""

    async def replay() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    parsed = await Request(request.scope, replay).form(max_files=1, max_fields=8,
                                                       max_part_size=len(body) + 1)
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
        raise RequestProblem(400, "nothing to validate: paste RDF or choose a file")
    fmt = format_for_name(chosen) if chosen != "auto" else format_for_name(Path(name).suffix)
    if fmt is None:
        raise RequestProblem(415, "choose the format of the document (or upload a file "
                             "whose extension says it: .ttl .trig .nt .nq .jsonld .rdf)")
    return Document(name, fmt, data), form


def _problem(status: int, message: str, chosen: Format, settings: Settings,
             store: LiveStore, form: dict[str, Any] | None,
             retry_after: int | None = None) -> Response:
    """An error as the page (for people) or as plain text (for programs)."""
    headers = dict(HTML_HEADERS if chosen is HTML else DATA_HEADERS)
    if retry_after is not None:
        headers["Retry-After"] = str(retry_after)
    if chosen is HTML:
        page = render_page(settings, store, error=message, form=form)
        return Response(page, status_code=status, media_type=HTML.content_type,
                        headers=headers)
    return PlainTextResponse(message.rstrip("\n") + "\n", status_code=status, headers=headers)
