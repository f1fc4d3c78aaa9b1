"""The OpenAPI 3.1 document of the service, made from the routing table.

Every route is in it with its parameters, request bodies (media types, form fields),
responses (status, media types, headers) and the shared error responses, so clients,
generators and fuzzers (schemathesis, in the tests) see the API that is actually routed.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from .. import __version__
from ..settings import Settings
from .routing import Body, Parameter, RouteSpec, openapi_path

TEXT_SCHEMA = {"type": "string"}


def document(settings: Settings, table: Sequence[RouteSpec]) -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for spec in table:
        item = paths.setdefault(openapi_path(spec), {})
        for method in spec.methods:
            item[method.lower()] = _operation(spec, method)
        if "GET" in spec.methods:
            head = _operation(spec, "HEAD")
            head["summary"] = f"{spec.summary} (headers only)"
            for outcome in head["responses"].values():
                outcome.pop("content", None)
            item["head"] = head
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Diplomacy linked-data publisher",
            "version": __version__,
            "description": "Dereferenceable Linked Data, a read-only SPARQL 1.1 endpoint "
                           "and a SHACL validation service over curated diplomatic facts. "
                           "Paths are relative to the base IRI; errors are text/plain, "
                           "text/html or application/problem+json by Accept.",
        },
        "servers": [{"url": settings.base.rstrip("/")}],
        "paths": paths,
        "components": {"schemas": {"Problem": _PROBLEM}},
    }


def as_json(settings: Settings, table: Sequence[RouteSpec]) -> bytes:
    return json.dumps(document(settings, table), indent=2).encode("utf-8")


def _operation(spec: RouteSpec, method: str) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "operationId": f"{method.lower()}_{_slug(spec.path or 'home')}",
        "summary": spec.summary,
        "tags": [spec.tag] if spec.tag else [],
        "parameters": [_parameter(p) for p in spec.parameters],
        "responses": {},
    }
    if spec.description:
        operation["description"] = spec.description
    if method == "POST":
        operation["parameters"] = [_parameter(p) for p in spec.parameters
                                   if p.where != "query" or p.name in (
                                       "default-graph-uri", "named-graph-uri", "standalone")]
        if spec.bodies:
            operation["requestBody"] = {"required": True, "content": {
                body.media_type: _body(body) for body in spec.bodies}}
    for outcome in spec.responses:
        if method == "POST" and outcome.status == 304:
            continue
        response: dict[str, Any] = {"description": outcome.description}
        if outcome.media_types:
            response["content"] = {
                media_type: {"schema": _PROBLEM_REF if media_type ==
                             "application/problem+json" else TEXT_SCHEMA}
                for media_type in outcome.media_types}
        if outcome.headers:
            response["headers"] = {name: {"schema": TEXT_SCHEMA} for name in outcome.headers}
        operation["responses"][str(outcome.status)] = response
    return operation


def _parameter(parameter: Parameter) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string"}
    if parameter.enum:
        schema["enum"] = list(parameter.enum)
    if parameter.repeated:
        schema = {"type": "array", "items": schema}
    out: dict[str, Any] = {"name": parameter.name, "in": parameter.where,
                           "description": parameter.description,
                           "required": parameter.required or parameter.where == "path",
                           "schema": schema}
    if parameter.example is not None:
        out["example"] = parameter.example
    return out


def _body(body: Body) -> dict[str, Any]:
    if not body.form:
        return {"schema": TEXT_SCHEMA}
    properties: dict[str, Any] = {}
    for field in body.form:
        schema: dict[str, Any] = {"type": "string"}
        if field.enum:
            schema["enum"] = list(field.enum)
        properties[field.name] = ({"type": "array", "items": schema} if field.repeated
                                  else schema)
    return {"schema": {"type": "object", "properties": properties,
                       "required": [f.name for f in body.form if f.required]}}


def _slug(path: str) -> str:
    return "".join(ch if ch.isalnum() else "_" for ch in path).strip("_") or "home"


_PROBLEM = {
    "type": "object",
    "description": "RFC 9457 problem details.",
    "properties": {"type": {"type": "string"}, "title": {"type": "string"},
                   "status": {"type": "integer"}, "detail": {"type": "string"}},
    "required": ["title", "status", "detail"],
}
_PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
