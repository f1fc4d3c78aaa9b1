"""The vendored Reconciliation API 0.2 JSON schemas, loaded once, as validators."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft7Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

SPEC = Path(__file__).parent / "schemas" / "0.2"


@cache
def registry() -> Registry:
    resources = []
    for path in sorted((SPEC / "schemas").glob("*.json")):
        contents = json.loads(path.read_text(encoding="utf-8"))
        # The schemas declare "$schema": "http://json-schema.org/schema#" (no draft);
        # the specification's CI validates them with ajv 3 as draft 7.
        resource = Resource(contents=contents, specification=DRAFT7)
        resources.append((contents["$id"].rstrip("#"), resource))
    return Registry().with_resources(resources)


@cache
def validator(name: str) -> Draft7Validator:
    schema = json.loads((SPEC / "schemas" / f"{name}.json").read_text(encoding="utf-8"))
    return Draft7Validator(schema, registry=registry(),
                           format_checker=Draft7Validator.FORMAT_CHECKER)


def check(name: str, document: Any) -> Any:
    """``document`` if it is valid against schema ``name``, else AssertionError with why."""
    errors = sorted(validator(name).iter_errors(document), key=lambda e: list(e.path))
    assert not errors, f"not a valid {name}: " + "; ".join(
        f"{'/'.join(map(str, e.path))}: {e.message}" for e in errors[:5])
    return document
