"""What a page shows, as plain data: the templates lay it out and add nothing.

A page is a header that answers the first question about the thing (a person's current
post, a meeting's date and place), pictures, then sections, each a titled and counted
table whose rows carry their own references (the sources that state the row, with the
words they use). Bookkeeping (the IRI, date precision and status, sequence numbers, the
number of statements) goes into a collapsed "about this record". Per-kind builders
fill these objects from the description of the thing; nothing here knows a fact.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from markupsafe import Markup

from .dates import PartialDate, parse_date


@dataclass(frozen=True)
class Link:
    """A named link; ``kind`` is a CSS hook (``person``, ``country`` …)."""

    part: ClassVar[str] = "link"
    label: str
    href: str
    kind: str | None = None
    #: Leaves the site (an article's original address, another dataset's IRI).
    external: bool = False
    #: The IRI shown on hover, when the label hides it.
    iri: str | None = None


@dataclass(frozen=True)
class Text:
    part: ClassVar[str] = "text"
    text: str
    lang: str | None = None


@dataclass(frozen=True)
class Code:
    """A value to copy exactly (a checksum, an identifier): monospace, breaking anywhere."""

    part: ClassVar[str] = "code"
    text: str


@dataclass(frozen=True)
class When:
    """A date or a span, shown as words inside ``<time datetime>``."""

    part: ClassVar[str] = "when"
    start: PartialDate | str
    end: PartialDate | str | None = None
    #: A word before the date, part of the same phrase ("since", "until", "as of").
    word: str | None = None

    @property
    def first(self) -> PartialDate:
        return parse_date(self.start)

    @property
    def sort_key(self) -> tuple:
        last = parse_date(self.end) or self.first
        return (*self.first.sort_key, last.last_day)


@dataclass(frozen=True)
class Quote:
    """Evidence: the passage of a source that states a fact, word for word."""

    part: ClassVar[str] = "quote"
    exact: str
    prefix: str | None = None
    suffix: str | None = None


#: What may stand in a cell: a link, words, a date, a source's own words.
Part = Link | Text | When | Quote | Code


@dataclass
class Reference:
    """One source of a row: where the statement comes from and what it says there."""

    number: int
    label: str
    href: str
    url: str | None = None
    publisher: str | None = None
    published: PartialDate | str | None = None
    quotes: list[Quote] = field(default_factory=list)


@dataclass
class Row:
    cells: list[list[Part]]
    references: list[Reference] = field(default_factory=list)
    #: Rows shown indented under this one (side meetings under their summit).
    children: list[Row] = field(default_factory=list)
    #: A word for CSS (``current`` for a post held now, ``side`` for a side meeting …).
    tag: str | None = None
    #: The row's ``id``, for links to one term (``ontology#Meeting``).
    anchor: str | None = None


@dataclass
class Section:
    """A titled group of rows: a table whose first column is usually a date.

    ``layout`` ``"facts"`` shows label–value pairs (the first cell is the label);
    ``"table"`` shows columns with headers; ``"list"`` a plain list of the first cells.
    """

    id: str
    heading: str
    rows: list[Row]
    columns: Sequence[str] = ()
    layout: str = "table"
    intro: str | None = None
    #: Shown beside the heading; by default the number of rows (children included).
    count: int | None = None
    #: When the rows are the first of a longer list (:mod:`..bounds`): says which are
    #: shown of how many ("Showing the most recent 100 of 2,345 events …"), and a link
    #: to the query page listing them all.
    more: str | None = None
    more_href: str | None = None
    more_label: str | None = None

    def without_empty_columns(self) -> Section:
        """The same section without the columns no row fills (a "Role" column where no
        participant had a role); the first column always stays."""
        if self.layout != "table" or not self.rows:
            return self

        def every(rows: list[Row]) -> list[Row]:
            return [r for row in rows for r in (row, *every(row.children))]

        rows = every(self.rows)
        width = len(self.columns) or max(len(r.cells) for r in rows)
        keep = [0] + [i for i in range(1, width)
                      if any(i < len(r.cells) and r.cells[i] for r in rows)]
        if len(keep) == width:
            return self

        def trim(row: Row) -> Row:
            return Row([row.cells[i] if i < len(row.cells) else [] for i in keep],
                       row.references, [trim(child) for child in row.children], row.tag,
                       row.anchor)

        columns = [self.columns[i] for i in keep] if self.columns else ()
        return Section(self.id, self.heading, [trim(r) for r in self.rows], columns,
                       self.layout, self.intro, self.count if self.count is not None
                       else self.shown_count, self.more, self.more_href, self.more_label)

    @property
    def shown_count(self) -> int:
        if self.count is not None:
            return self.count
        return sum(1 + len(row.children) for row in self.rows)


class _Computed:
    """A field that may be given as a function, called on first read: a picture's JSON
    holds more than the picture draws and is only made when someone asks for it."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.slot = "_" + name

    def __get__(self, obj: Any, owner: type | None = None) -> Any:
        if obj is None:
            return None  # the dataclass default
        value = obj.__dict__.get(self.slot)
        if callable(value):
            value = obj.__dict__[self.slot] = value()
        return value

    def __set__(self, obj: Any, value: Any) -> None:
        obj.__dict__[self.slot] = value


@dataclass
class Figure:
    """A picture with its data: the SVG, and where the same data is served as JSON."""

    id: str
    heading: str
    svg: Markup
    json_href: str | None = None
    #: Words under the picture: what it leaves out ("Showing the 40 most connected …").
    note: str | None = None
    #: The data of the picture, as served at ``json_href`` (or a function making it).
    data: dict | Callable[[], dict] | None = _Computed()  # type: ignore[assignment]


@dataclass
class Summary:
    """One line of the page's header: the answer a reader came for."""

    label: str
    parts: list[Part]
    references: list[Reference] = field(default_factory=list)
    #: Between the parts: ", " for a list of values, " " for words making a sentence
    #: ("Minister of Foreign Affairs of Russia since 2004").
    sep: str = " "


@dataclass
class Page:
    title: str
    iri: str
    doc_iri: str
    #: The kinds of thing it is, in words (``person``, ``bilateral meeting`` …).
    kinds: list[Link] = field(default_factory=list)
    lead: str | None = None
    summary: list[Summary] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)
    #: Bookkeeping, shown collapsed: IRI, date precision and status, statement count.
    about: list[Summary] = field(default_factory=list)
    #: The same thing elsewhere (``owl:sameAs``) and a country's ISO codes
    #: (:class:`publisher.identifiers.Identifier` rows).
    identifiers: list[Any] = field(default_factory=list)
    references: list[Reference] = field(default_factory=list)
    #: The template of the page's kind (``person.html`` …); ``page.html`` is generic.
    template: str = "page.html"
    #: The kind of page (``person``, ``event`` …): a CSS hook, and what tests look for.
    kind: str = "thing"
