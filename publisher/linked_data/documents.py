"""The HTTP face of the linked-data URL space: raw ASGI routes over prepared bytes.

One :class:`LinkedDataRoute` per kind of path (things, documents, vocabularies, the
dataset description, dumps, static files), each with the resolver of its kind from
:mod:`.urls`. A route reads the request's Snapshot, resolves the path against it,
negotiates the format, takes the prepared variant (rendering it once per build, in a
thread) and answers with the right validators. Its answers are marked keepable, so the
next identical request is answered by :mod:`publisher.http.snapshot_layer` alone.
"""

from __future__ import annotations

from collections.abc import Callable

import anyio.to_thread
from starlette.types import Receive, Scope, Send

from .. import formats, pages
from ..formats import HTML, Format
from ..http.compression import CODINGS, ENCODED, PACKED_CODINGS, choose_coding
from ..http.errors import ERROR_FORMATS, HTTPProblem
from ..http.requests import RequestHeaders
from ..http.responses import TEXT, Answer, Validators
from ..settings import Settings
from ..snapshot import Snapshot, pinned, snapshot_of
from . import rendering
from .pack import packed as packed_here
from .urls import (
    Document,
    Missing,
    Moved,
    Redirect,
    Resolver,
    Withdrawn,
    header_path,
    iri_path,
)

DOCUMENT_CACHE = b"public, max-age=300, stale-while-revalidate=60"
REDIRECT_CACHE = b"public, max-age=3600"
STATIC_CACHE = b"public, max-age=86400"


class LinkedDataRoute:
    """One kind of linked-data path (see the module docstring)."""

    def __init__(self, settings: Settings, resolve: Resolver, *, needs_build: bool = True,
                 first_use: Callable[[Snapshot], object] | None = None) -> None:
        self.settings = settings
        self.resolve = resolve
        self.needs_build = needs_build
        self.first_use = first_use

    def rest(self, scope: Scope) -> str:
        """The path under the base, as the IRI path it names."""
        raw = scope.get("raw_path") or scope["path"].encode("utf-8")
        return iri_path(raw)[len(self.settings.base_path):]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        rest = self.rest(scope)
        snapshot = pinned(scope) if not self.needs_build else snapshot_of(scope)
        if snapshot is None:  # a static file while no build is served (the 503 page's CSS)
            route = self.resolve(snapshot, rest)  # type: ignore[arg-type]
            if not isinstance(route, Document):
                raise HTTPProblem(404, f"no static file {rest}")
            answer = await anyio.to_thread.run_sync(_unprepared, route)
            await answer.send(scope, send)
            return
        prepared = snapshot.prepared
        if self.first_use is not None and "first linked-data request" not in prepared.memo:
            first_use = self.first_use
            prepared.once("first linked-data request", lambda: first_use(snapshot))
        route = prepared.routes.get(rest)
        if route is None:
            route = self.resolve(snapshot, rest)
            if not isinstance(route, Missing):
                prepared.remember_route(rest, route)
        headers = RequestHeaders(scope["headers"])
        if isinstance(route, Missing):
            raise HTTPProblem(
                404, f"Nothing is published at {self.settings.base}{route.what}. The dataset "
                     f"mints IRIs as {self.settings.id_base}{{kind}}/{{slug}}; the home page "
                     "lists them all.", suggestions=route.suggestions)
        if isinstance(route, Withdrawn):
            await _withdrawn(snapshot, route, headers).send(scope, send, headers)
            return
        if isinstance(route, Moved):
            answer, variant = _moved(route), "moved"
        elif isinstance(route, Redirect):
            answer, variant = _redirect(route, headers), "redirect"
        else:
            answer, variant = await _document(snapshot, route, headers)
            scope[ENCODED] = True
        answer.keep(scope, variant)  # a document's answer leaves with its variant's bytes
        await answer.send(scope, send, headers)


async def _document(snapshot: Snapshot, document: Document,
                    headers: RequestHeaders) -> tuple[Answer, object]:
    negotiated = document.fixed is None
    fmt = document.fixed or formats.negotiate(headers.accept, document.offered)
    if fmt is None:
        raise _not_acceptable(document.offered, document)
    # a variant a pack holds has the pack's codings, rendered here or read from the pack
    wanted = choose_coding(headers.accept_encoding, PACKED_CODINGS if packed_here(
        document.key, fmt) else CODINGS) if headers.accept_encoding else None
    representation = snapshot.prepared.representations.get((document.key, fmt.name))
    pack = snapshot.document_pack() if representation is None else None
    packed = pack.lookup(document.key, fmt.name, wanted) if pack is not None else None
    if packed is not None:  # prepared by the build: one index seek, nothing kept here
        content_type, etags, coding, body = (packed.content_type, packed.etags,
                                             packed.coding, packed.body)
    else:
        if representation is None:
            representation = await anyio.to_thread.run_sync(
                rendering.representation, snapshot, document, fmt)
        coding = wanted if wanted in representation.bodies else None
        content_type, etags, body = (representation.content_type, representation.etags,
                                     representation.bodies[coding])
    out = [
        (b"content-type", content_type.encode()),
        (b"etag", etags[coding].encode()),
        (b"last-modified", snapshot.last_modified.encode()),
        (b"cache-control", STATIC_CACHE if document.key.startswith("static:")
         else DOCUMENT_CACHE),
        (b"vary", b"Accept, Accept-Encoding" if negotiated else b"Accept-Encoding"),
        (b"x-content-type-options", b"nosniff"),
    ]
    if negotiated:
        out.append((b"content-location", header_path(document.variant_path(fmt)).encode()))
    if len(document.offered) > 1:
        out.append((b"link", _links(document, exclude=None if negotiated else fmt)))
    if coding is not None:
        out.append((b"content-encoding", coding.encode()))
    validators = Validators(tuple(etags.values()), snapshot.build.built_at)
    # An answer made from the pack is kept within the build's budget of loose answers
    # (oldest out, shared with query answers), so a popular document costs no lookup and
    # memory stays bounded whatever the size of the dataset; one rendered here leaves
    # with the bytes it was made from.
    return (Answer(200, out, body, validators),
            "packed document" if packed is not None else (document.key, fmt.name))


def _redirect(redirect: Redirect, headers: RequestHeaders) -> Answer:
    if redirect.offered and formats.negotiate(headers.accept, redirect.offered) is None:
        raise _not_acceptable(redirect.offered, None)
    location = header_path(redirect.location)
    return Answer(303, [(b"location", location.encode()), (b"content-type", TEXT),
                        (b"cache-control", REDIRECT_CACHE), (b"vary", b"Accept")],
                  f"See Other: {location}\n".encode())


def _moved(moved: Moved) -> Answer:
    location = header_path(moved.location)
    return Answer(301, [(b"location", location.encode()), (b"content-type", TEXT),
                        (b"cache-control", REDIRECT_CACHE)],
                  f"Moved Permanently: {location}\n".encode())


def _withdrawn(snapshot: Snapshot, gone: Withdrawn, headers: RequestHeaders) -> Answer:
    """410 Gone: a page saying what the IRI was for people, the same words for others."""
    message = (f"{gone.iri} ({gone.label}) was published here and has been withdrawn. "
               f"{gone.note}").strip()
    if formats.negotiate(headers.accept, ERROR_FORMATS) is not HTML:
        raise HTTPProblem(410, message)
    body = pages.render("gone.html", rendering.site(snapshot), retired=gone, iri=gone.iri)
    return Answer.of(410, body, HTML.content_type, {
        "Cache-Control": "public, max-age=60", "Vary": "Accept",
        "X-Content-Type-Options": "nosniff"})


def _not_acceptable(offered: tuple[Format, ...], document: Document | None) -> HTTPProblem:
    extra = {"Link": _links(document, exclude=None).decode()} if document else {}
    return HTTPProblem(406, "Not Acceptable: none of the media types in the Accept header "
                            "is offered here. Available:\n"
                       + formats.describe_offered(offered), extra)


def _links(document: Document, exclude: Format | None) -> bytes:
    parts = [f'<{header_path(document.variant_path(fmt))}>; rel="alternate"; '
             f'type="{fmt.media_type}"' for fmt in document.offered if fmt is not exclude]
    return ", ".join(parts).encode()


def _unprepared(document: Document) -> Answer:
    fmt = document.offered[0]
    body = rendering.render(None, document, fmt)  # type: ignore[arg-type]
    return Answer(200, [(b"content-type", fmt.content_type.encode()),
                        (b"cache-control", b"no-store")], body)
