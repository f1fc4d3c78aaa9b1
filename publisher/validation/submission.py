"""Safe parsing of submitted RDF: bytes in, quads out, nothing fetched, nothing expanded.

pyoxigraph is the parser because it never dereferences anything: a remote JSON-LD
``@context`` raises instead of being loaded, and ``owl:imports`` is just a triple. Two
of its behaviours are unsafe on hostile input, and both were measured (see
``docs/validation.md``), so this module screens the bytes before pyoxigraph sees them:

- RDF/XML: it expands internal DTD entities, so a 1 kB "billion laughs" document grows
  to gigabytes. Any ``<!DOCTYPE``/``<!ENTITY`` is therefore refused outright (RDF/XML never
  needs one), and the document is checked for well-formedness and nesting depth with
  expat first, which also gives line and column for XML errors pyoxigraph reports
  without a position. Deep element nesting costs pyoxigraph quadratic time.
- JSON-LD: deeply nested objects cost quadratic time and, from a few thousand levels,
  overflow the native stack and kill the process (SIGSEGV). The JSON is read with the
  standard library first (which fails safely) and refused beyond ``MAX_NESTING`` levels.

Everything must be UTF-8 (pyoxigraph reads nothing else); a UTF-8 byte-order mark is
dropped. Relative IRIs resolve against the deployment's base, as in our own data files,
so a submission can write ``<id/person/sergey-lavrov>``.
"""

from __future__ import annotations

import itertools
import json
import re
import xml.parsers.expat
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from ..formats import INPUT_RDF_FORMATS, JSON_LD, N_QUADS, N_TRIPLES, RDF_XML, TRIG, TURTLE
from ..formats import by_extension as _by_extension

#: Deepest JSON or XML nesting accepted; real RDF documents stay far below it.
MAX_NESTING = 100

#: The input formats, as registry entries (for names, extensions and labels).
INPUT_FORMATS = (TURTLE, TRIG, N_TRIPLES, N_QUADS, JSON_LD, RDF_XML)

_UTF8_BOM = b"\xef\xbb\xbf"
_DTD_DECLARATION = re.compile(rb"<!\s*(DOCTYPE|ENTITY|ATTLIST|ELEMENT|NOTATION)", re.IGNORECASE)
_REMOTE_CONTEXT = "LoadDocumentCallback"


class SubmissionError(ValueError):
    """The input is not RDF this service will read; says where when the parser knows.

    ``refused`` marks inputs that may be well-formed but are rejected on purpose
    (DTDs, excessive nesting, remote contexts), so callers can say so.
    """

    def __init__(self, message: str, line: int | None = None, column: int | None = None,
                 document: str | None = None, refused: bool = False) -> None:
        self.message = message
        self.line = line
        self.column = column
        self.document = document
        self.refused = refused
        super().__init__(str(self))

    def __str__(self) -> str:
        where = []
        if self.document:
            where.append(self.document)
        if self.line is not None:
            where.append(f"line {self.line}" + (f", column {self.column}"
                                                  if self.column is not None else ""))
        return f"{': '.join(where)}: {self.message}" if where else self.message

    def as_dict(self) -> dict[str, object]:
        return {"message": self.message, "line": self.line, "column": self.column,
                "document": self.document, "refused": self.refused}


class SubmissionTooLarge(SubmissionError):
    """The submission holds more triples than this service validates (413).

    Counted while parsing: Turtle collections, ``;`` and ``,`` make a few bytes stand for
    many triples (``(1 1 1 …)`` is two triples per two bytes), so the byte limit alone
    lets a 5 MB body become millions of triples and gigabytes in the SHACL engine.
    """

    def __init__(self, limit: int, document: str | None = None) -> None:
        super().__init__(
            f"the submission holds more than {limit:,} triples, this service's limit "
            "(PUBLISHER_VALIDATE_MAX_TRIPLES); split it, or validate it locally with "
            "`publisher validate` and that limit raised",
            document=document, refused=True)
        self.limit = limit

    def as_dict(self) -> dict[str, object]:
        return {**super().as_dict(), "limit": self.limit}


@dataclass(frozen=True)
class Document:
    """One submitted document: a name to show in messages, its format and its bytes."""

    name: str
    format: ox.RdfFormat
    data: bytes


def format_for_content_type(content_type: str | None) -> ox.RdfFormat | None:
    """The input format a ``Content-Type`` header names (parameters ignored)."""
    if not content_type:
        return None
    media_type = content_type.split(";", 1)[0].strip().lower()
    return INPUT_RDF_FORMATS.get(media_type)


def format_for_name(name: str) -> ox.RdfFormat | None:
    """The input format for a file extension, a format name or a media type."""
    by_media_type = format_for_content_type(name)
    if by_media_type is not None:
        return by_media_type
    fmt = _by_extension(name, INPUT_FORMATS)
    if fmt is None:
        fmt = {"json": JSON_LD, "xml": RDF_XML, "owl": RDF_XML, "n3": None}.get(
            name.lower().lstrip("."))
    return None if fmt is None else fmt.rdf


def format_for_path(path: Path) -> ox.RdfFormat | None:
    return format_for_name(path.suffix) if path.suffix else None


def accepted_media_types() -> str:
    """The list a 415 response shows."""
    return "\n".join(f"{fmt.media_type} ({fmt.label}, .{fmt.extension})"
                     for fmt in INPUT_FORMATS)


def prescreen(document: Document) -> bytes:
    """The checks cheap enough for the web process itself (linear, no parsing): UTF-8,
    and no DTD in RDF/XML. An entity bomb is refused here in milliseconds, without
    spending a worker process on it. Returns the data without a byte-order mark."""
    data = document.data
    if data.startswith(_UTF8_BOM):
        data = data[len(_UTF8_BOM):]
    try:
        _require_utf8(data)
        if document.format == ox.RdfFormat.RDF_XML:
            refuse_dtd(data)
    except SubmissionError as error:
        error.document = document.name
        raise
    return data


def parse_document(document: Document, base: str, rename_blank_nodes: bool = False,
                   max_triples: int | None = None) -> list[ox.Quad]:
    """Screen then parse one document; raises SubmissionError naming the position.

    With ``max_triples``, parsing stops at the first triple past it
    (:class:`SubmissionTooLarge`), before the rest is ever held in memory.
    """
    data = prescreen(document)
    try:
        if document.format == ox.RdfFormat.RDF_XML:
            check_xml(data)
        elif document.format == ox.RdfFormat.JSON_LD:
            check_json(data)
        quads = ox.parse(data, format=document.format, base_iri=base,
                         rename_blank_nodes=rename_blank_nodes)
        if max_triples is None:
            return list(quads)
        kept = list(itertools.islice(quads, max_triples + 1))
        if len(kept) > max_triples:
            raise SubmissionTooLarge(max_triples)
        return kept
    except SyntaxError as error:
        raise _from_syntax_error(error, document.name) from None
    except SubmissionError as error:
        error.document = document.name
        raise


def _from_syntax_error(error: SyntaxError, name: str) -> SubmissionError:
    message = error.msg or str(error)
    if _REMOTE_CONTEXT in message:
        return SubmissionError(
            "remote JSON-LD contexts are not fetched by this service: put the @context "
            "inline (an object, not a URL)", document=name, refused=True)
    if message.startswith("Parser error"):
        # "Parser error at line 3 column 11: …": the position is in lineno/offset.
        message = message.split(": ", 1)[-1]
    return SubmissionError(message, error.lineno, error.offset, name)


def _require_utf8(data: bytes) -> None:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as error:
        line, column = _position(data, error.start)
        raise SubmissionError("the document is not UTF-8 (the only encoding accepted)",
                              line, column) from None


def _position(data: bytes, offset: int) -> tuple[int, int]:
    """1-based line and column (in characters) of a byte offset."""
    line_start = data.rfind(b"\n", 0, offset) + 1
    column = len(data[line_start:offset].decode("utf-8", errors="replace")) + 1
    return data.count(b"\n", 0, offset) + 1, column


def refuse_dtd(data: bytes) -> None:
    """Any DTD declaration, anywhere, is refused (case-insensitive, as parsers vary)."""
    declaration = _DTD_DECLARATION.search(data)
    if declaration is not None:
        line, column = _position(data, declaration.start())
        raise SubmissionError(
            f"RDF/XML with a <!{declaration.group(1).decode().upper()} declaration is "
            "refused: DTDs and entities are never needed in RDF/XML and are how XML entity "
            "expansion and external-entity attacks work; remove the declaration",
            line, column, refused=True)


def check_xml(data: bytes) -> None:
    """Refuse DTDs and entity declarations, and check well-formedness and depth."""
    refuse_dtd(data)
    parser = xml.parsers.expat.ParserCreate(encoding="UTF-8")
    parser.SetParamEntityParsing(xml.parsers.expat.XML_PARAM_ENTITY_PARSING_NEVER)
    depth = 0

    def dtd_found(*_args: object) -> None:
        raise SubmissionError("XML DTDs and entities are refused", parser.CurrentLineNumber,
                              parser.CurrentColumnNumber + 1, refused=True)

    def start(_name: str, _attributes: dict[str, str]) -> None:
        nonlocal depth
        depth += 1
        if depth > MAX_NESTING:
            raise SubmissionError(
                f"XML elements nested deeper than {MAX_NESTING} levels are refused",
                parser.CurrentLineNumber, parser.CurrentColumnNumber + 1, refused=True)

    def end(_name: str) -> None:
        nonlocal depth
        depth -= 1

    parser.StartDoctypeDeclHandler = dtd_found
    parser.EntityDeclHandler = dtd_found
    parser.ExternalEntityRefHandler = dtd_found
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    try:
        parser.Parse(data, True)
    except xml.parsers.expat.ExpatError as error:
        raise SubmissionError(f"not well-formed XML: {xml.parsers.expat.ErrorString(error.code)}",
                              error.lineno, error.offset + 1) from None


def check_json(data: bytes) -> None:
    """Parse with the standard library (safe on deep input) and bound the nesting."""
    try:
        document = json.loads(data)
    except RecursionError:
        raise SubmissionError(f"JSON nested deeper than {MAX_NESTING} levels is refused",
                              refused=True) from None
    except json.JSONDecodeError as error:
        raise SubmissionError(f"not JSON: {error.msg}", error.lineno, error.colno) from None
    if json_depth(document) > MAX_NESTING:
        raise SubmissionError(f"JSON nested deeper than {MAX_NESTING} levels is refused",
                              refused=True)


def json_depth(document: object) -> int:
    """Nesting depth of arrays and objects, computed without recursion."""
    deepest = 0
    stack: list[tuple[object, int]] = [(document, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            children = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        deepest = max(deepest, depth)
        if deepest > MAX_NESTING:
            return deepest
        stack.extend((child, depth + 1) for child in children)
    return deepest
