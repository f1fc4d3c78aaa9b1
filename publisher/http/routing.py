"""Routes as data: each path of the service, what answers it, and what it answers.

A :class:`RouteSpec` names a path under the base, its methods, the endpoint (a raw ASGI
application or a request/response function) and its documentation (parameters, request
bodies, responses). :func:`starlette_routes` mounts a table of them, under the base's
path, into the one application; :mod:`.openapi` publishes the same table as an OpenAPI
document, so the documented API is exactly the routed one.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from starlette.routing import Route, request_response
from starlette.types import ASGIApp, Receive, Scope, Send


@dataclass(frozen=True)
class Parameter:
    """A path, query or header parameter."""

    name: str
    where: str  # "path" | "query" | "header"
    description: str
    required: bool = False
    enum: tuple[str, ...] = ()
    repeated: bool = False
    example: str | None = None


@dataclass(frozen=True)
class Body:
    """A request body of one media type; ``form`` lists the fields of a form body."""

    media_type: str
    description: str
    form: tuple[Parameter, ...] = ()


@dataclass(frozen=True)
class Outcome:
    """A documented response."""

    status: int
    description: str
    media_types: tuple[str, ...] = ()
    headers: tuple[str, ...] = ()


@dataclass(frozen=True)
class RouteSpec:
    path: str  # under the base, Starlette syntax: "doc/{path:path}"
    endpoint: Any
    methods: tuple[str, ...]
    summary: str
    description: str = ""
    tag: str = ""
    parameters: tuple[Parameter, ...] = ()
    bodies: tuple[Body, ...] = ()
    responses: tuple[Outcome, ...] = ()
    name: str = ""
    examples: dict[str, str] = field(default_factory=dict)  # path params for docs/tests

    @property
    def allow(self) -> str:
        methods = list(self.methods)
        if "GET" in methods and "HEAD" not in methods:
            methods.insert(methods.index("GET") + 1, "HEAD")
        return ", ".join([*methods, "OPTIONS"])


class _WithOptions:
    """A plain ``OPTIONS`` (not a CORS preflight, answered before) lists the methods."""

    def __init__(self, app: ASGIApp, allow: str) -> None:
        self.app = app
        self.allow = allow.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["method"] == "OPTIONS":
            await send({"type": "http.response.start", "status": 204,
                        "headers": [(b"allow", self.allow), (b"content-length", b"0")]})
            await send({"type": "http.response.body", "body": b""})
            return
        await self.app(scope, receive, send)


#: Paths most requests go to, tried first: Starlette's router tries its routes in order
#: with a regular expression each, and ``sparql`` came 22nd (about a tenth of an uncached
#: query's time in the web process). No other route can match these paths (every route's
#: first segment is literal and distinct), so the order changes nothing but the cost.
FIRST = ("sparql", "doc/", "id/")


def _tried_first(spec: RouteSpec) -> int:
    return next((rank for rank, start in enumerate(FIRST) if spec.path.startswith(start)),
                len(FIRST))


def starlette_routes(table: Sequence[RouteSpec], base_path: str) -> list[Route]:
    """The table as Starlette routes under ``base_path`` (``/`` or ``/data/``)."""
    routes = []
    for spec in sorted(table, key=_tried_first):  # stable: the rest keep their order
        endpoint = spec.endpoint
        app = (request_response(endpoint)
               if inspect.isfunction(endpoint) or inspect.ismethod(endpoint) else endpoint)
        methods = [m for m in spec.allow.split(", ")]
        route = Route(base_path + spec.path, _WithOptions(app, spec.allow), methods=methods,
                      name=spec.name or spec.path or "home", include_in_schema=False)
        # Starlette ends its patterns with ``$``, which also matches before a final
        # newline: ``/sparql%0A`` would be ``/sparql``. ``\Z`` matches the end only.
        pattern = route.path_regex.pattern
        if pattern.endswith("$"):
            route.path_regex = re.compile(pattern[:-1] + r"\Z")
        routes.append(route)
    return routes


def openapi_path(spec: RouteSpec) -> str:
    """``doc/{path:path}`` as OpenAPI writes it: ``/doc/{path}``."""
    out, rest = [], spec.path
    while "{" in rest:
        before, _, after = rest.partition("{")
        name, _, rest = after.partition("}")
        out += [before, "{" + name.split(":")[0] + "}"]
    return "/" + "".join(out) + rest
