"""A timeline of events: one row and one mark per event, side meetings nested under
the summit they were held on the sidelines of, and bars as wide as the date is vague.

A meeting known to the day is a narrow bar on its day; one known only to the month spans
the month; one known only to the year spans the year. So the picture never claims more
precision than the source gives, and a reader sees at a glance which dates are exact.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from markupsafe import Markup

from ..dates import PartialDate, format_span, parse_date
from .svg import element, figure, shorten, text_width, title

WIDTH = 960.0
LABEL_WIDTH = 330.0
PLOT_LEFT = LABEL_WIDTH + 10
PLOT_RIGHT = WIDTH - 20
AXIS_HEIGHT = 34.0
ROW = 24.0
BAR = 14.0
INDENT = 16.0
FONT = 12.5
MIN_BAR = 4.0
LEGEND_HEIGHT = 30.0
MONTH_ABBR = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov",
              "Dec")

STYLE = """
svg.timeline { font-family: system-ui, "DejaVu Sans", sans-serif; font-size: 12.5px; }
svg.timeline .axis line { stroke: #c5cbd6; }
svg.timeline .axis text { fill: #4a5264; font-size: 11px; }
svg.timeline .axis .break { stroke: #4a5264; fill: none; stroke-width: 1.5; }
svg.timeline .gap { fill: #ffffff; }
svg.timeline .group { fill: #eef3fa; stroke: #c9d8ec; }
svg.timeline .label { fill: #1d2433; }
svg.timeline .connector { stroke: #8a94a6; fill: none; }
svg.timeline .mark, svg.timeline .key { fill: #1f5fa8; }
svg.timeline .precision-month { fill: #6f9fd8; stroke: #1f5fa8; }
svg.timeline .precision-year { fill: #b5cdeb; stroke: #1f5fa8; }
svg.timeline .legend text { fill: #4a5264; font-size: 11px; }
"""


@dataclass(frozen=True)
class TimelineEvent:
    """One event as the timeline needs it; plain data, also served as JSON."""

    iri: str
    label: str
    start: PartialDate | str
    end: PartialDate | str | None = None
    #: The event it was part of or on the sidelines of, when that is on the timeline too.
    parent: str | None = None
    #: A word for CSS and JSON: ``meeting``, ``summit``, ``visit`` …
    kind: str = "meeting"

    @property
    def first(self) -> PartialDate:
        return parse_date(self.start)

    @property
    def last(self) -> PartialDate:
        return parse_date(self.end) or self.first

    @property
    def when(self) -> str:
        return format_span(self.first, parse_date(self.end))

    @property
    def sort_key(self) -> tuple:
        return (*self.first.sort_key, self.last.last_day, self.label, self.iri)

    def to_json(self) -> dict[str, object]:
        return {"iri": self.iri, "label": self.label, "start": self.first.iso,
                "end": parse_date(self.end).iso if self.end else None,
                "precision": self.first.precision, "when": self.when,
                "parent": self.parent, "kind": self.kind}


def rows(events: Sequence[TimelineEvent]) -> list[tuple[TimelineEvent, int]]:
    """Events in reading order with their depth: each root by date, then the events held
    on its sidelines by date, under it. A parent not on the timeline makes a root."""
    known = {event.iri for event in events}
    children: dict[str | None, list[TimelineEvent]] = defaultdict(list)
    for event in events:
        parent = event.parent if event.parent in known and event.parent != event.iri else None
        children[parent].append(event)
    ordered: list[tuple[TimelineEvent, int]] = []
    seen: set[str] = set()

    def visit(parent: str | None, depth: int) -> None:
        for event in sorted(children.get(parent, ()), key=lambda e: e.sort_key):
            if event.iri in seen:  # a cycle in the data must not hang a page
                continue
            seen.add(event.iri)
            ordered.append((event, depth))
            visit(event.iri, depth + 1)

    visit(None, 0)
    for event in sorted(events, key=lambda e: e.sort_key):  # members of a parent cycle
        if event.iri not in seen:
            seen.add(event.iri)
            ordered.append((event, 0))
    return ordered


#: Quiet time longer than this between events is cut out of the axis (with a mark).
GAP_DAYS = 45
BREAK = 26.0


@dataclass(frozen=True)
class Segment:
    start: date
    end: date
    x0: float
    x1: float

    def x(self, day: date) -> float:
        share = (day - self.start).days / max((self.end - self.start).days, 1)
        return self.x0 + share * (self.x1 - self.x0)

    def ticks(self) -> list[tuple[date, str]]:
        """Weeks for a few weeks, month starts up to two years, else years; the first
        tick of a segment names its year."""
        span = (self.end - self.start).days
        if span > 2 * 366:
            return [(date(y, 1, 1), str(y)) for y in range(self.start.year + 1,
                                                           self.end.year + 1)]
        if span <= 62:
            ticks, day = [], self.start + timedelta(days=(7 - self.start.weekday()) % 7)
            while day < self.end:
                first = not ticks
                ticks.append((day, f"{day.day} {MONTH_ABBR[day.month - 1]}"
                              + (f" {day.year}" if first else "")))
                day += timedelta(days=7)
            return ticks
        every = 1 if span <= 200 else 3 if span <= 500 else 6
        ticks = []
        year, month = self.start.year, self.start.month
        while True:
            month += 1
            if month > 12:
                year, month = year + 1, 1
            day = date(year, month, 1)
            if day >= self.end:
                return ticks
            if (month - 1) % every == 0:
                label = MONTH_ABBR[month - 1] + (f" {year}" if month == 1 or not ticks else "")
                ticks.append((day, label))


@dataclass(frozen=True)
class Scale:
    """Time to x: one segment per cluster of events, the quiet time between clusters
    cut out and marked, so that a week of meetings a year after another week is still
    readable; within a segment time is linear, so widths stay honest."""

    segments: tuple[Segment, ...]

    @classmethod
    def around(cls, events: Sequence[TimelineEvent]) -> Scale:
        spans = sorted((e.first.first_day, e.last.last_day + timedelta(days=1))
                       for e in events)
        clusters: list[list[date]] = []
        for first, last in spans:
            if clusters and first <= clusters[-1][1] + timedelta(days=GAP_DAYS):
                clusters[-1][1] = max(clusters[-1][1], last)
            else:
                clusters.append([first, last])
        padded = []
        for first, last in clusters:
            pad = timedelta(days=max((last - first).days // 20, 3))
            first, last = first - pad, last + pad
            if (last - first).days < 21:  # a day or two still gets a readable stretch
                middle = first + (last - first) / 2
                first, last = middle - timedelta(days=10), middle + timedelta(days=11)
            padded.append((first, last))
        weights = [max((last - first).days, 21) ** 0.75 for first, last in padded]
        room = PLOT_RIGHT - PLOT_LEFT - BREAK * (len(padded) - 1)
        x, segments = PLOT_LEFT, []
        for (first, last), weight in zip(padded, weights, strict=True):
            width = room * weight / sum(weights)
            segments.append(Segment(first, last, x, x + width))
            x += width + BREAK
        return cls(tuple(segments))

    def x(self, day: date) -> float:
        for segment in self.segments:
            if day <= segment.end:
                return segment.x(max(day, segment.start))
        return self.segments[-1].x1

    @property
    def broken(self) -> bool:
        return len(self.segments) > 1


def _axis(scale: Scale, height: float) -> tuple[Markup, Markup]:
    """The ticks and their labels; and the cuts between stretches (drawn over the
    bands of summits, so that a cut shows all the way down)."""
    parts, cuts = [], []
    for segment in scale.segments:
        last_end = -1.0
        for day, label in segment.ticks():
            x = segment.x(day)
            parts.append(element("line", {"x1": x, "x2": x, "y1": AXIS_HEIGHT - 8.0,
                                          "y2": height}))
            width = text_width(label, 11.0)
            if x + 3 > last_end and x + 3 + width <= min(segment.x1 + BREAK - 4, WIDTH):
                parts.append(element("text", {"x": x + 3, "y": AXIS_HEIGHT - 12.0}, label))
                last_end = x + 3 + width + 4
    for left, right in zip(scale.segments, scale.segments[1:], strict=False):
        middle = (left.x1 + right.x0) / 2
        cuts.append(element("rect", {"class": "gap", "x": middle - 4, "y": AXIS_HEIGHT - 8.0,
                                     "width": 8.0, "height": height - AXIS_HEIGHT + 8}))
        cuts.append(element("path", {
            "class": "break", "d": f"M{middle - 5:.1f} {AXIS_HEIGHT - 2:.1f}"
                                   f"l5 -6 l5 6 M{middle - 5:.1f} {AXIS_HEIGHT + 4:.1f}"
                                   f"l5 -6 l5 6"}))
    return (element("g", {"class": "axis", "aria-hidden": "true"}, *parts),
            element("g", {"class": "axis cuts", "aria-hidden": "true"}, *cuts) if cuts else
            Markup(""))


def _legend(y: float) -> Markup:
    intro = "Bar width shows how precisely the date is known:"
    parts = [element("text", {"x": 6.0, "y": y + 12}, intro)]
    x = 6.0 + text_width(intro, 11.0) + 14
    for precision, width, words in (("day", MIN_BAR, "to the day"),
                                    ("month", 24.0, "to the month"),
                                    ("year", 44.0, "to the year")):
        parts.append(element("rect", {"class": f"key precision-{precision}", "x": x,
                                      "y": y + 3, "width": width, "height": 10.0}))
        parts.append(element("text", {"x": x + width + 5, "y": y + 12}, words))
        x += width + 5 + text_width(words, 11.0) + 22
    return element("g", {"class": "legend", "aria-hidden": "true"}, *parts)


def _description(ordered: list[tuple[TimelineEvent, int]], scale: Scale) -> str:
    events = [event for event, _ in ordered]
    first = min(events, key=lambda e: e.first.sort_key).first
    last = max(events, key=lambda e: e.last.last_day).last
    nested = sum(1 for _, depth in ordered if depth)
    text = (f"{len(events)} event{'s' if len(events) != 1 else ''} from {first.text} "
            f"to {last.text}")
    if nested:
        text += f"; {nested} of them held on the sidelines of another event shown"
    if scale.broken:
        text += (f". The time axis is cut in {len(scale.segments)} stretches, leaving out the "
                 "quiet time between them")
    return text + ". The same events are listed as text beside this picture."


def timeline_svg(events: Sequence[TimelineEvent], heading: str,
                 figure_id: str = "timeline") -> Markup:
    """The timeline as an SVG element, or empty markup when there is nothing to draw."""
    if not events:
        return Markup("")
    ordered = rows(events)
    scale = Scale.around(events)
    plot_bottom = AXIS_HEIGHT + ROW * len(ordered)
    height = plot_bottom + LEGEND_HEIGHT + 6
    row_of = {event.iri: index for index, (event, _) in enumerate(ordered)}
    groups, connectors, labels, marks = [], [], [], []
    for index, (event, depth) in enumerate(ordered):
        top = AXIS_HEIGHT + ROW * index
        last_child = index
        for i in range(index + 1, len(ordered)):
            if ordered[i][1] <= depth:
                break
            last_child = i
        if last_child > index:
            groups.append(element("rect", {
                "class": "group", "x": depth * INDENT, "y": top + 1.0,
                "width": PLOT_RIGHT - depth * INDENT + 8, "height": ROW * (last_child - index + 1)
                - 2.0, "rx": 4.0}))
        indent = depth * INDENT + 6
        if depth:
            parent_row = row_of[ordered[index][0].parent]
            x = (depth - 1) * INDENT + 12
            connectors.append(element("path", {
                "class": "connector",
                "d": f"M{x:.1f} {AXIS_HEIGHT + ROW * parent_row + ROW - 5:.1f}"
                     f"V{top + ROW / 2:.1f}H{indent - 2:.1f}"}))
        labels.append(element(
            "text", {"class": "label", "x": indent + 2, "y": top + ROW / 2 + FONT / 2 - 2},
            shorten(event.label, LABEL_WIDTH - indent - 6, FONT)))
        x0 = scale.x(event.first.first_day)
        x1 = scale.x(event.last.last_day + timedelta(days=1))
        width = max(x1 - x0, MIN_BAR)
        marks.append(element("rect", {
            "class": f"mark {event.kind} precision-{event.first.precision}",
            "data-iri": event.iri, "x": x0 - (width - (x1 - x0)) / 2, "y": top + (ROW - BAR) / 2,
            "width": width, "height": BAR, "rx": 2.0},
            title(f"{event.label}, {event.when}")))
    axis, cuts = _axis(scale, plot_bottom)
    body = [
        axis,
        element("g", {"class": "groups"}, *groups) if groups else "",
        cuts,
        element("g", {"class": "connectors", "aria-hidden": "true"}, *connectors)
        if connectors else "",
        element("g", {"class": "labels"}, *labels),
        element("g", {"class": "marks"}, *marks),
        _legend(plot_bottom + 8),
    ]
    return figure("timeline", figure_id, WIDTH, height, heading, _description(ordered, scale),
                  STYLE, body)


def timeline_json(events: Sequence[TimelineEvent]) -> dict[str, object]:
    """The data behind the picture, in the order it is drawn."""
    return {"events": [{**event.to_json(), "depth": depth} for event, depth in rows(events)]}
