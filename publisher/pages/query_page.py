"""The SPARQL query page in the site's layout: an editor that takes no focus, one example
open and the rest in a menu named by the questions they answer, and results read as a
table with labels beside IRIs and values without datatype noise."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..sparql.analysis import tokens
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


#: Oxigraph's syntax errors: ``error at LINE:COLUMN: expected one of …``.
_SYNTAX = re.compile(r"SPARQL syntax error: error at (\d+):(\d+): (.*)", re.DOTALL)
#: A message longer than this is cut (Oxigraph lists every character class it expected).
_MAX_DETAIL = 160


@dataclass(frozen=True)
class QueryProblem:
    """Why a query gave no results, told for a person: the message, the line it is on
    with a marker under the column, and for a prefix used without its declaration the
    line to add (and the query with it, one click away)."""

    message: str
    line: int | None = None
    column: int | None = None
    excerpt: str | None = None
    declarations: tuple[str, ...] = ()
    fixed_query: str | None = None

    @property
    def marker(self) -> str:
        return " " * (self.column - 1) + "^" if self.column else ""


def undeclared_prefixes(query: str) -> list[str]:
    """Prefixes the query uses in prefixed names without a ``PREFIX`` declaration."""
    toks = tokens(query)
    declared: set[str] = set()
    used: list[str] = []
    for i, tok in enumerate(toks):
        if tok.keyword == "PREFIX" and i + 1 < len(toks) and toks[i + 1].text.endswith(":"):
            declared.add(toks[i + 1].text[:-1])
        elif tok.kind == "word" and ":" in tok.text and (i == 0 or toks[i - 1].keyword
                                                         != "PREFIX"):
            prefix = tok.text.partition(":")[0]
            if prefix not in used:
                used.append(prefix)
    return [p for p in used if p not in declared]


def query_problem(message: str, query: str, known: Mapping[str, str]) -> QueryProblem:
    """A failed query's message in words a person can act on (see :class:`QueryProblem`);
    ``known`` maps the prefixes this site uses to their namespaces."""
    syntax = _SYNTAX.fullmatch(message.strip())
    if syntax is None:
        return QueryProblem(message)
    line, column, detail = int(syntax.group(1)), int(syntax.group(2)), syntax.group(3)
    lines = query.splitlines() or [""]
    excerpt = lines[line - 1] if 0 < line <= len(lines) else None
    if excerpt is None or column > len(excerpt) + 1:
        column = 0
    missing = undeclared_prefixes(query) if "Prefix not found" in detail else []
    if missing:
        names = ", ".join(f"{p}:" for p in missing)
        lacking = [p for p in missing if p not in known]
        declarations = tuple(f"PREFIX {p}: <{known[p]}>" for p in missing if p in known)
        said = (f"The prefix{'es' if len(missing) > 1 else ''} {names} "
                f"{'are' if len(missing) > 1 else 'is'} used without a PREFIX declaration.")
        if lacking:
            said += (" Declare " + ", ".join(f"{p}:" for p in lacking)
                     + " with the namespace you mean.")
        fixed = "\n".join(declarations) + "\n" + query if declarations and not lacking else None
        return QueryProblem(f"Syntax error at line {line}: {said}", line, column or None,
                            excerpt, declarations, fixed)
    detail = re.sub(r"\s+", " ", detail)
    if len(detail) > _MAX_DETAIL:
        detail = detail[:_MAX_DETAIL].rsplit(" ", 1)[0] + " …"
    return QueryProblem(f"Syntax error at line {line}, column {column or '?'}: {detail}",
                        line, column or None, excerpt)


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
