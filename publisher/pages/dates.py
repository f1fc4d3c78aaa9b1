"""Dates as people write them, and as machines read them: ``<time datetime="…">``.

The facts give dates at the precision their source states them: a day (``xsd:date``),
a month (``xsd:gYearMonth``) or a year (``xsd:gYear``). A page must neither invent
precision ("1 July 2025" for "July 2025") nor hide it, so a :class:`PartialDate` keeps
the precision it was given, and everything shown (the words, the ``datetime``
attribute, the width of a timeline bar, the order of a list) follows from it.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from markupsafe import Markup, escape

Precision = Literal["day", "month", "year"]
PRECISIONS: tuple[Precision, ...] = ("year", "month", "day")

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")

#: ``2024``, ``2024-07``, ``2024-07-25``, each with an optional XSD timezone, or an
#: ``xsd:dateTime`` (whose time of day is kept for the ``datetime`` attribute).
_LEXICAL = re.compile(
    r"^(?P<year>\d{4})(?:-(?P<month>\d{2})(?:-(?P<day>\d{2})(?P<time>T[0-9:.]+)?)?)?"
    r"(?P<zone>Z|[+-]\d{2}:\d{2})?$")


@dataclass(frozen=True)
class PartialDate:
    """A calendar date known to a day, a month or a year."""

    year: int
    month: int | None = None
    day: int | None = None
    #: The lexical form it came from when that carries more (a time of day, a zone).
    lexical: str | None = None

    def __post_init__(self) -> None:
        if self.day is not None and self.month is None:
            raise ValueError("a day needs a month")
        date(self.year, self.month or 1, self.day or 1)  # raises ValueError if impossible

    @classmethod
    def parse(cls, text: str) -> PartialDate:
        """From the lexical form of ``xsd:date``, ``gYearMonth``, ``gYear`` or ``dateTime``."""
        match = _LEXICAL.match(text.strip())
        if not match:
            raise ValueError(f"not a date, month or year: {text!r}")
        month, day = match["month"], match["day"]
        extra = text.strip() if match["time"] else None
        if extra:
            datetime.fromisoformat(extra.replace("Z", "+00:00"))  # a real time of day
        return cls(int(match["year"]), int(month) if month else None,
                   int(day) if day else None, extra)

    @property
    def precision(self) -> Precision:
        return "day" if self.day else "month" if self.month else "year"

    @property
    def iso(self) -> str:
        """The value of an HTML ``datetime`` attribute (a date, month or year string)."""
        if self.lexical:
            return self.lexical
        if self.day:
            return f"{self.year:04d}-{self.month:02d}-{self.day:02d}"
        if self.month:
            return f"{self.year:04d}-{self.month:02d}"
        return f"{self.year:04d}"

    @property
    def first_day(self) -> date:
        return date(self.year, self.month or 1, self.day or 1)

    @property
    def last_day(self) -> date:
        if self.day:
            return self.first_day
        if self.month:
            return date(self.year, self.month, calendar.monthrange(self.year, self.month)[1])
        return date(self.year, 12, 31)

    @property
    def sort_key(self) -> tuple[date, int]:
        """Chronological; within the same first day the vaguer date first (it contains
        the other: "July 2024" is listed before "1 July 2024")."""
        return (self.first_day, PRECISIONS.index(self.precision))

    @property
    def text(self) -> str:
        """``25 July 2024``, ``July 2025`` or ``2025``; a time of day when one is given:
        ``10 July 2025, 18:00 (UTC+08:00)``."""
        if self.lexical:
            moment = datetime.fromisoformat(self.lexical.replace("Z", "+00:00"))
            words = f"{self.day} {MONTHS[self.month - 1]} {self.year}, {moment:%H:%M}"
            offset = moment.strftime("%z")
            if offset:
                words += " (UTC)" if offset == "+0000" else f" (UTC{offset[:3]}:{offset[3:]})"
            return words
        if self.day:
            return f"{self.day} {MONTHS[self.month - 1]} {self.year}"
        if self.month:
            return f"{MONTHS[self.month - 1]} {self.year}"
        return str(self.year)

    def __str__(self) -> str:
        return self.text


def parse_date(value: str | PartialDate | None) -> PartialDate | None:
    """Lenient for callers holding optional values; strict about what is given."""
    if value is None or isinstance(value, PartialDate):
        return value
    return PartialDate.parse(value)


def _time(value: PartialDate, text: str) -> Markup:
    return Markup('<time datetime="{}">{}</time>').format(value.iso, text)


def span_parts(start: PartialDate, end: PartialDate | None) -> tuple[str, str | None]:
    """The words for each end of a span, without repeating what both share:
    ``25``–``28 July 2024``, ``30 June``–``2 July 2024``, ``June``–``July 2025``."""
    if end is None or end == start:
        return start.text, None
    if start.precision == end.precision and start.year == end.year:
        if start.precision == "day" and start.month == end.month:
            return str(start.day), end.text
        if start.precision == "day":
            return f"{start.day} {MONTHS[start.month - 1]}", end.text
        if start.precision == "month":
            return MONTHS[start.month - 1], end.text
    return start.text, end.text


def _dash(first: str) -> str:
    """An unspaced en dash between single words (25–28 July), spaced otherwise."""
    return "–" if " " not in first else " – "


def format_span(start: str | PartialDate, end: str | PartialDate | None = None) -> str:
    """Plain words, for places where markup cannot go (an SVG ``<title>``, JSON)."""
    first, last = span_parts(parse_date(start), parse_date(end))
    if last is None:
        return first
    return f"{first}{_dash(first)}{last}"


def time_html(start: str | PartialDate | None, end: str | PartialDate | None = None) -> Markup:
    """``<time datetime="2024-07-25">25 July 2024</time>``; a span as two ``<time>``
    elements so that each end keeps its machine-readable value."""
    first = parse_date(start)
    if first is None:
        return Markup("")
    last = parse_date(end)
    first_text, last_text = span_parts(first, last)
    if last_text is None:
        return _time(first, first_text)
    return _time(first, first_text) + Markup(escape(_dash(first_text))) + _time(last, last_text)
