"""The SPARQL query page in the site's layout: an editor that takes no focus, one example
open and the rest in a menu named by the questions they answer, and results read as a
table with labels beside IRIs and values without datatype noise."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from .results import ResultsTable, iris_in, results_table

#: Rows a results page shows; the CSV and JSON links give all of them.
HTML_ROWS = 1000


def ordered_examples(examples: Sequence[Any]) -> list[Any]:
    """Competency questions in their numbered order (cq2 before cq10), then the rest."""
    def key(example: Any) -> tuple:
        match = re.fullmatch(r"CQ(\d+)", getattr(example, "name", ""))
        return (0, int(match.group(1)), "") if match else (1, 0, example.name)
    return sorted(examples, key=key)


def labels_for(query: Callable[[str], Any], iris: Iterable[str]) -> dict[str, str]:
    """English (or untagged) rdfs:label of each IRI, asked in one query."""
    wanted = [i for i in iris if re.fullmatch(r"[^\s<>\"{}|\\^`]+", i)][:2000]
    if not wanted:
        return {}
    found: dict[str, str] = {}
    solutions = query("SELECT ?s ?l WHERE { VALUES ?s { " + " ".join(f"<{i}>" for i in wanted)
                      + " } ?s <http://www.w3.org/2000/01/rdf-schema#label> ?l "
                        "FILTER(LANG(?l) = '' || LANGMATCHES(LANG(?l), 'en')) }")
    for solution in solutions:
        found.setdefault(solution["s"].value, solution["l"].value)
    return found


def results_from_json(body: bytes, labels: Callable[[Iterable[str]], dict[str, str]],
                      base: str) -> ResultsTable:
    results = json.loads(body)
    return results_table(results, labels(iris_in(results)), base)


def page_context(examples: Sequence[Any], query: str | None) -> dict[str, Any]:
    """What the template needs besides the results: the example shown and the editor's
    text (the query given, or the first example's)."""
    ordered = ordered_examples(examples)
    shown = next((e for e in ordered if query is not None and e.query.strip() == query.strip()),
                 None)
    if query is None and ordered:
        shown = ordered[0]
    text = query if query is not None else (shown.query if shown else "")
    return {"examples": ordered, "example": shown, "query": text,
            "query_given": query is not None, "rows": min(max(text.count("\n") + 2, 8), 30)}
