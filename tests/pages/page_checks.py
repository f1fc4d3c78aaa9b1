"""Checks every page must pass, on its HTML: no label made up as "is … of" from another
label, and every list of events in date order (side meetings in order under theirs).

Used on the sample page here and on every page of the shipped data by the crawl in
``tests/pages/test_every_page.py``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

from publisher.pages.dates import PartialDate

#: Elements whose text is a label: headings, terms, table headers, summaries.
LABEL_TAGS = {"h1", "h2", "h3", "h4", "dt", "th", "summary", "caption", "figcaption"}
BUILT_INVERSE = re.compile(r"^\s*is\b.*\bof\s*$", re.I)


@dataclass
class Table:
    heading: str
    rows: list[tuple[int, str | None]] = field(default_factory=list)  # (depth, datetime)


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.label_text: list[list[str]] = []
        self.labels: list[str] = []
        self.tables: list[Table] = []
        self.heading = ""
        self.in_heading = False
        self.row: list | None = None
        self.in_rows_table = 0
        self.in_first_cell = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        classes = (attributes.get("class") or "").split()
        if tag in LABEL_TAGS:
            self.label_text.append([])
        if tag == "h2":
            self.in_heading, self.heading = True, ""
        if tag == "table" and "rows" in classes:
            self.in_rows_table += 1
            self.tables.append(Table(self.heading.strip()))
        if tag == "tr" and self.in_rows_table:
            depth = next((int(c.split("-")[1]) for c in classes if c.startswith("depth-")), 0)
            self.row = [depth, None]
        if tag == "th" and self.row is not None and attributes.get("scope") == "row":
            self.in_first_cell = True  # the date column: the only date a row is sorted by
        if tag == "time" and self.in_first_cell and self.row[1] is None:
            self.row[1] = attributes.get("datetime")

    def handle_endtag(self, tag: str) -> None:
        if tag in LABEL_TAGS and self.label_text:
            self.labels.append(" ".join("".join(self.label_text.pop()).split()))
        if tag == "h2":
            self.in_heading = False
        if tag == "th":
            self.in_first_cell = False
        if tag == "tr" and self.row is not None:
            if self.row[1] is not None or self.row[0] or self.tables[-1].rows:
                self.tables[-1].rows.append((self.row[0], self.row[1]))
            self.row = None
        if tag == "table" and self.in_rows_table:
            self.in_rows_table -= 1

    def handle_data(self, data: str) -> None:
        for text in self.label_text:
            text.append(data)
        if self.in_heading:
            self.heading += data


def read(html: str) -> _Reader:
    reader = _Reader()
    reader.feed(html)
    return reader


def built_inverse_labels(html: str) -> list[str]:
    """Labels of the form "is … of": what gluing "is" and "of" around a label makes."""
    return [label for label in read(html).labels if BUILT_INVERSE.match(label)]


def _key(value: str) -> tuple:
    return PartialDate.parse(value).sort_key


def out_of_order(html: str) -> list[str]:
    """Dated tables whose rows, or whose nested rows under one row, go back in time."""
    problems = []
    for table in read(html).tables:
        dated = [(depth, when) for depth, when in table.rows if when]
        if not dated:
            continue
        last: dict[int, tuple] = {}
        for depth, when in table.rows:
            for deeper in [d for d in last if d > depth]:
                del last[deeper]  # a new parent: its children start afresh
            if when is None:
                continue
            key = _key(when)
            if depth in last and key < last[depth]:
                problems.append(f"{table.heading or 'a table'}: {when} after a later date")
            last[depth] = key
    return problems
