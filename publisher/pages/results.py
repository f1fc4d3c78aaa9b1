"""SPARQL results as a table a person reads: labels beside IRIs, values without
datatype noise (``2024``, not ``"2024"^^<…#integer>``; dates in words inside ``<time>``).

It works on the SPARQL 1.1 JSON results format, so it shows exactly what a client of the
endpoint receives; labels come from the caller (one lookup for the IRIs of the page).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from ..namespaces import STANDARD, compact
from .dates import PartialDate

XSD = STANDARD["xsd"]
#: Datatypes whose values are shown as dates (in words, with a ``datetime`` value).
DATE_TYPES = {XSD + "date", XSD + "gYearMonth", XSD + "gYear", XSD + "dateTime"}


@dataclass(frozen=True)
class Cell:
    #: ``iri``, ``literal``, ``bnode`` or ``empty`` (unbound).
    kind: str
    text: str = ""
    iri: str | None = None
    #: The IRI as prefix:name or a path under the base, shown beside its label.
    short: str | None = None
    lang: str | None = None
    #: For dates: the ``datetime`` attribute value; the text is then the date in words.
    datetime: str | None = None
    #: The datatype in words, for a tooltip (never shown inline).
    datatype: str | None = None
    internal: bool = False


@dataclass
class ResultsTable:
    columns: list[str]
    rows: list[list[Cell]] = field(default_factory=list)
    #: For ASK: the answer.
    boolean: bool | None = None


def iris_in(results: Mapping) -> list[str]:
    """The IRIs a result mentions, in first-seen order: what to ask labels for."""
    seen: dict[str, None] = {}
    for binding in results.get("results", {}).get("bindings", []):
        for value in binding.values():
            if value.get("type") == "uri":
                seen.setdefault(value["value"], None)
    return list(seen)


def _cell(value: Mapping | None, labels: Mapping[str, str], base: str) -> Cell:
    if value is None:
        return Cell("empty")
    kind = value.get("type")
    text = value.get("value", "")
    if kind == "uri":
        short = compact(text, base)
        label = labels.get(text)
        if label:  # the label, with the IRI's short form beside it
            return Cell("iri", label, text, short, internal=text.startswith(base))
        return Cell("iri", short, text, None, internal=text.startswith(base))
    if kind == "bnode":
        return Cell("bnode", f"_:{text}")
    datatype = value.get("datatype")
    if datatype in DATE_TYPES:
        try:
            moment = PartialDate.parse(text)
        except ValueError:
            pass
        else:
            return Cell("literal", moment.text, datetime=moment.iso,
                        datatype=compact(datatype, base))
    return Cell("literal", text, lang=value.get("xml:lang"),
                datatype=compact(datatype, base) if datatype else None)


def results_table(results: Mapping, labels: Mapping[str, str] | Callable[[Iterable[str]],
                  Mapping[str, str]], base: str) -> ResultsTable:
    """The table for SELECT results (columns in the query's order) or ASK's answer."""
    if "boolean" in results:
        return ResultsTable([], boolean=bool(results["boolean"]))
    if callable(labels):
        labels = labels(iris_in(results))
    columns = list(results.get("head", {}).get("vars", []))
    rows = [[_cell(binding.get(column), labels, base) for column in columns]
            for binding in results.get("results", {}).get("bindings", [])]
    return ResultsTable(columns, rows)
