"""The vendored 0.2 schemas do their job: the specification's own examples sort right.

Without this, a schema that failed to load or resolve its references could accept
anything, and every response check would pass whatever the service answered.
"""

from __future__ import annotations

import json

import pytest

from .schemas import SPEC, validator

EXAMPLES = sorted(p for p in (SPEC / "examples").glob("*/*/*.json"))


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: "/".join(p.parts[-3:]))
def test_specification_examples_are_classified_as_the_specification_says(path) -> None:
    schema, verdict = path.parts[-3], path.parts[-2]
    document = json.loads(path.read_text(encoding="utf-8"))
    valid = validator(schema).is_valid(document)
    assert valid is (verdict == "valid"), f"{path.name} should be {verdict}"


def test_every_schema_we_use_has_invalid_examples_rejected() -> None:
    rejected = {p.parts[-3] for p in EXAMPLES if p.parts[-2] == "invalid"}
    assert {"manifest", "reconciliation-query-batch", "reconciliation-result-batch",
            "data-extension-response"} <= rejected
