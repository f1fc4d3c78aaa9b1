"""The validation report: results grouped by focus node, as RDF, a text table or HTML.

The RDF form is the W3C ``sh:ValidationReport`` pyshacl produced, cut down to the
submission's own nodes, with one annotation of ours: ``val:valueInPublishedDataset``
on results whose value is a reference (``sh:class`` and friends), saying whether the
IRI exists in our published dataset. That turns "value does not have class foaf:Agent"
into either "a typo or an entity we do not know: describe it" or "a known entity of the
wrong kind".
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import pyoxigraph as ox

from .. import formats
from ..formats import Format
from ..namespaces import prefixes

#: How a reference's value was resolved, in words for tables and pages.
REFERENCE_TEXT = {
    "dataset": "exists in the published dataset",
    "missing": "not in the published dataset",
    "submission": "described in the submission",
    "unchecked": "not looked up: standalone",
}


@dataclass(frozen=True)
class Row:
    """One result, flattened; ``reference`` is None unless the value is a reference."""

    focus: str
    focus_display: str
    path: str | None
    path_display: str | None
    value: str | None
    value_display: str | None
    value_kind: str | None
    message: str
    severity: str
    shape: str | None
    shape_display: str
    component: str
    reference: str | None

    @property
    def reference_text(self) -> str | None:
        return REFERENCE_TEXT.get(self.reference) if self.reference else None


@dataclass(frozen=True)
class FocusGroup:
    """Every result about one node of the submission."""

    focus: str
    display: str
    types: list[str]
    documents: list[str]
    rows: list[Row]
    published: bool = False  # the focus node is an entity of the published dataset

    @property
    def is_blank(self) -> bool:
        return self.focus.startswith("_:")


@dataclass
class ValidationReport:
    conforms: bool
    rows: list[Row]
    report_ntriples: bytes
    base: str
    standalone: bool
    build_id: str | None = None
    focus: dict[str, dict[str, Any]] = field(default_factory=dict)
    stats: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_worker(cls, outcome: dict[str, Any], base: str, build_id: str | None,
                    standalone: bool, seconds: float) -> ValidationReport:
        stats = dict(outcome.get("stats", {}))
        stats["seconds"] = round(seconds, 3)
        return cls(
            conforms=bool(outcome["conforms"]),
            rows=[Row(**row) for row in outcome["rows"]],
            report_ntriples=outcome["report_nt"].encode("utf-8"),
            base=base, standalone=standalone, build_id=build_id,
            focus=outcome.get("focus", {}), stats=stats,
        )

    def count(self, severity: str) -> int:
        return sum(1 for row in self.rows if row.severity == severity)

    @property
    def groups(self) -> list[FocusGroup]:
        """Rows grouped by focus node, in the rows' order (focus, then severity)."""
        groups: dict[str, list[Row]] = {}
        for row in self.rows:
            groups.setdefault(row.focus, []).append(row)
        return [FocusGroup(focus, rows[0].focus_display,
                           self.focus.get(focus, {}).get("types", []),
                           self.focus.get(focus, {}).get("documents", []), rows,
                           bool(self.focus.get(focus, {}).get("published", False)))
                for focus, rows in groups.items()]

    def limited_groups(self, limit: int) -> tuple[list[FocusGroup], int]:
        """The groups holding the first ``limit`` rows, and how many rows were left out
        (a page with 50,000 rows helps nobody; the RDF report keeps them all)."""
        shown: list[FocusGroup] = []
        left = limit
        for group in self.groups:
            if left <= 0:
                break
            rows = group.rows[:left]
            left -= len(rows)
            shown.append(FocusGroup(group.focus, group.display, group.types, group.documents,
                                    rows, group.published))
        return shown, len(self.rows) - sum(len(g.rows) for g in shown)

    @property
    def summary(self) -> str:
        """One line: the verdict and the counts."""
        violations, warnings, infos = (self.count(s) for s in ("Violation", "Warning", "Info"))
        counts = f"{violations} violation(s), {warnings} warning(s)"
        if infos:
            counts += f", {infos} info(s)"
        nodes = len({row.focus for row in self.rows})
        verdict = "CONFORMS" if self.conforms else "DOES NOT CONFORM"
        return f"{verdict}: {counts} on {nodes} focus node(s)"

    @property
    def context_line(self) -> str:
        stats = self.stats
        scope = ("standalone (references not resolved against the published data)"
                 if self.standalone else
                 f"in the context of the published dataset (build {(self.build_id or '?')[:12]})")
        return (f"{', '.join(stats.get('documents', []))}: {stats.get('triples', 0)} triples, "
                f"{stats.get('subjects', 0)} subjects, validated {scope} "
                f"in {stats.get('seconds', 0):.2f} s")

    def triples(self) -> list[ox.Triple]:
        return [q.triple for q in ox.parse(self.report_ntriples,
                                           format=ox.RdfFormat.N_TRIPLES)]

    def serialize(self, fmt: Format) -> bytes:
        """The report graph in an RDF format of the registry, with our prefixes."""
        if fmt.rdf is None:
            raise ValueError(f"{fmt.label} is not an RDF format")
        used = {name: namespace for name, namespace in report_prefixes(self.base).items()
                if name == "sh" or namespace.encode("utf-8") in self.report_ntriples}
        return formats.serialize(self.triples(), fmt, prefixes=used, in_order=True)

    def table(self) -> str:
        """The plain-text report the CLI prints: grouped, aligned, one line per result."""
        lines = [self.context_line, self.summary]
        for group in self.groups:
            lines.append("")
            kinds = f"  ({', '.join(group.types)})" if group.types else ""
            where = f"  [{', '.join(group.documents)}]" if group.documents else ""
            lines.append(f"{group.display}{kinds}{where}")
            lines.extend(_table_rows(group.rows))
        return "\n".join(lines) + "\n"


def report_prefixes(base: str) -> dict[str, str]:
    wanted = ("sh", "rdf", "rdfs", "xsd", "dip", "shape", "foaf", "org", "skos", "schema",
              "dcterms", "time", "owl")
    ours = prefixes(base)
    chosen = {name: ours[name] for name in wanted if name in ours}
    chosen["val"] = base + "validate#"
    return chosen


def _table_rows(rows: Iterable[Row]) -> list[str]:
    cells = [(row.severity, row.path_display or "-", _value_cell(row), row.message,
              f"{row.shape_display} ({row.component})") for row in rows]
    widths = [max(len(cell[i]) for cell in cells) for i in range(2)]
    return [f"  {sev:<{widths[0]}}  {path:<{widths[1]}}  {message}"
            + (f"\n  {'':<{widths[0]}}  {'':<{widths[1]}}  value: {value}" if value else "")
            + f"\n  {'':<{widths[0]}}  {'':<{widths[1]}}  shape: {shape}"
            for sev, path, value, message, shape in cells]


def _value_cell(row: Row) -> str:
    if row.value_display is None:
        return ""
    return row.value_display + (f"  ({row.reference_text})" if row.reference_text else "")
