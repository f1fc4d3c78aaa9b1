"""Streaming serialization of SPARQL query results, with a row cap, in every format.

pyoxigraph serializes a whole ``QuerySolutions`` in one call, which leaves no place to
stop after ``max_rows`` rows. SELECT results are therefore written here row by row (the
four SPARQL result formats are small, well-specified text formats); graph results go
through ``pyoxigraph.serialize`` fed by a counting generator, which does stream. Output
is handed to a :class:`ChunkSink` in chunks, so a worker never holds a whole result.

A result cut by the row cap or by the timeout after its first bytes were sent cannot
get an error status any more. It is then ended by :func:`cut_marker`, which makes the
document invalid in its own syntax (an unterminated JSON object, an unclosed XML root, a
line no Turtle/N-Triples parser accepts, an unterminated CSV/TSV quoted field), so that
no client mistakes it for a complete result; the HTTP response is also left without its
final chunk. See docs/sparql.md, "Limits".
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from json.encoder import encode_basestring_ascii

import pyoxigraph as ox

from . import CSV, JSON_LD, N_TRIPLES, RDF_XML, SPARQL_JSON, SPARQL_XML, TSV, TURTLE, Format
from .rdf import STREAM_PREFIXES, write_jsonld

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
CHUNK_BYTES = 64 * 1024

_dumps = json.dumps
#: ``json.dumps`` of a string without its dispatch: the same escaping, in C.
_json_string: Callable[[str], str] = encode_basestring_ascii  # type: ignore[assignment]


class ChunkSink:
    """Collects output and passes it on in chunks of about ``CHUNK_BYTES``.

    Also a binary file-like object (``write``/``flush``) so pyoxigraph can write into it.
    """

    def __init__(self, emit: Callable[[bytes], object], chunk_bytes: int = CHUNK_BYTES) -> None:
        self._emit = emit
        self._parts: list[bytes] = []
        self._size = 0
        self._chunk = chunk_bytes
        self.total = 0

    def write(self, data: bytes) -> int:
        if data:
            self._parts.append(bytes(data))
            self._size += len(data)
            if self._size >= self._chunk:
                self.flush()
        return len(data)

    def flush(self) -> None:
        if self._parts:
            data = b"".join(self._parts)
            self._parts.clear()
            self._size = 0
            self.total += len(data)
            self._emit(data)


@dataclass(frozen=True)
class Outcome:
    """How a serialization ended: ``cut`` when the row cap stopped it."""

    rows: int
    cut: bool


def result_kind(result: object) -> str:
    if isinstance(result, ox.QuerySolutions):
        return "solutions"
    if isinstance(result, ox.QueryBoolean):
        return "boolean"
    return "graph"


def fits(kind: str, fmt: Format) -> bool:
    """Whether a result of ``kind`` can be written in ``fmt``."""
    return fmt.rdf is not None if kind == "graph" else fmt.results is not None


def write_result(result: object, fmt: Format, sink: ChunkSink, max_rows: int) -> Outcome:
    """Serialize any query result; the caller has checked :func:`fits`."""
    if isinstance(result, ox.QuerySolutions):
        outcome = write_solutions(result, fmt, sink, max_rows)
    elif isinstance(result, ox.QueryBoolean):
        assert fmt.results is not None
        sink.write(result.serialize(format=fmt.results))
        outcome = Outcome(1, False)
    else:
        outcome = write_triples(result, fmt, sink, max_rows)  # type: ignore[arg-type]
    sink.flush()
    return outcome


def write_triples(triples: Iterable[ox.Triple], fmt: Format, sink: ChunkSink,
                  max_rows: int) -> Outcome:
    state = {"rows": 0, "cut": False}

    def capped() -> Iterator[ox.Triple]:
        for triple in triples:
            if state["rows"] >= max_rows:
                state["cut"] = True
                return
            state["rows"] += 1
            yield triple

    assert fmt.rdf is not None
    if fmt.rdf == ox.RdfFormat.JSON_LD:
        write_jsonld(capped(), sink.write, STREAM_PREFIXES)  # the registry's one JSON-LD
    else:
        ox.serialize(capped(), sink, fmt.rdf)
    return Outcome(state["rows"], bool(state["cut"]))


def write_solutions(solutions: ox.QuerySolutions, fmt: Format, sink: ChunkSink,
                    max_rows: int) -> Outcome:
    names = [variable.value for variable in solutions.variables]
    head, row, tail = _ROW_WRITERS[fmt.name]
    write = sink.write
    write(head(names))
    encode = row(names)
    rows = 0
    for solution in solutions:
        if rows >= max_rows:
            return Outcome(rows, True)
        write(encode(solution, rows))
        rows += 1
    write(tail())
    return Outcome(rows, False)


#: Per result format: a byte string that occurs in pyoxigraph's output once per row or
#: more often (never less), and what to add to its count for an upper bound of the rows.
#: In JSON, ``},{`` outside strings only separates two rows (a literal may contain it
#: too: the bound only grows); XML escapes ``<`` in text, so ``<result>`` is exact; in
#: CSV and TSV every row ends a line, and so does the header.
_ROW_MARKS = {
    SPARQL_JSON.name: (b"},{", 1),
    SPARQL_XML.name: (b"<result>", 0),
    CSV.name: (b"\r\n", -1),
    TSV.name: (b"\n", -1),
}


class _Abandon(Exception):
    """Raised from the sink to stop pyoxigraph's serializer."""


class _BoundedBuffer:
    """Collects pyoxigraph's output while it is provably within the limits."""

    def __init__(self, mark: bytes, offset: int, max_rows: int, hold_bytes: int) -> None:
        self.parts: list[bytes] = []
        self.size = 0
        self.marks = 0
        self.tail = b""
        self.mark, self.offset = mark, offset
        self.max_rows, self.hold_bytes = max_rows, hold_bytes

    def write(self, data: bytes) -> int:
        data = bytes(data)
        self.size += len(data)
        if self.size > self.hold_bytes:
            raise _Abandon
        # A mark split across two writes is found in the previous tail plus this one.
        self.marks += (self.tail + data).count(self.mark)
        if self.marks + self.offset > self.max_rows:
            raise _Abandon
        self.tail = (self.tail + data)[-(len(self.mark) - 1):] if len(self.mark) > 1 else b""
        self.parts.append(data)
        return len(data)

    def flush(self) -> None:
        pass


def serialize_native(solutions: ox.QuerySolutions, fmt: Format, max_rows: int,
                     hold_bytes: int) -> bytes | None:
    """The whole result by pyoxigraph's own serializer, or None when it cannot be proved
    to have at most ``max_rows`` rows within ``hold_bytes`` (``solutions`` is then spent).

    pyoxigraph writes a result in one call with no place to stop at a row count, so its
    output is counted as it comes (:data:`_ROW_MARKS`): an upper bound of the rows. A
    result that stays within both limits is exact and complete; any other is run again
    through the row-by-row writers (:func:`write_solutions`), which cut it exactly. The
    native writer costs a fraction of the Python one per row.
    """
    assert fmt.results is not None
    mark, offset = _ROW_MARKS[fmt.name]
    buffer = _BoundedBuffer(mark, offset, max_rows, hold_bytes)
    try:
        solutions.serialize(buffer, fmt.results)
    except _Abandon:
        return None
    return b"".join(buffer.parts)


class TermCache(dict):  # type: ignore[type-arg]
    """Encoded terms of one result, by term: results repeat their IRIs and labels.

    Encoding a term reads several attributes, each a conversion from Rust; a lookup by
    the term's hash costs one. Bounded, so that a long stream keeps flat memory.
    """

    LIMIT = 4096

    def __init__(self, encode: Callable[[object], str]) -> None:
        super().__init__()
        self.encode = encode

    def __missing__(self, term: object) -> str:
        if len(self) >= self.LIMIT:
            self.clear()
        text = self[term] = self.encode(term)
        return text


# --- SPARQL 1.1 Query Results JSON -------------------------------------------------------

_NAMED, _LITERAL, _BLANK, _TRIPLE = ox.NamedNode, ox.Literal, ox.BlankNode, ox.Triple


def _json_term(term: object) -> str:
    kind = type(term)
    if kind is _NAMED:
        return '{"type":"uri","value":' + _json_string(term.value) + "}"  # type: ignore[attr-defined]
    if kind is _LITERAL:
        value = _json_string(term.value)  # type: ignore[attr-defined]
        language = term.language  # type: ignore[attr-defined]
        if language:
            extra = ""
            direction = getattr(term, "direction", None)
            if direction is not None:
                extra = ',"its:dir":' + _json_string(str(direction))
            return ('{"type":"literal","value":' + value + ',"xml:lang":'
                    + _json_string(language) + extra + "}")
        datatype = term.datatype.value  # type: ignore[attr-defined]
        if datatype == XSD_STRING:
            return '{"type":"literal","value":' + value + "}"
        return ('{"type":"literal","value":' + value + ',"datatype":'
                + _json_string(datatype) + "}")
    if kind is _BLANK:
        return '{"type":"bnode","value":' + _json_string(term.value) + "}"  # type: ignore[attr-defined]
    if kind is _TRIPLE:
        return ('{"type":"triple","value":{"subject":' + _json_term(term.subject)  # type: ignore[attr-defined]
                + ',"predicate":' + _json_term(term.predicate)  # type: ignore[attr-defined]
                + ',"object":' + _json_term(term.object) + "}}")  # type: ignore[attr-defined]
    raise TypeError(f"not an RDF term: {term!r}")


def _json_head(names: list[str]) -> bytes:
    return ('{"head":{"vars":' + _dumps(names) + '},"results":{"bindings":[').encode()


def _json_row(names: list[str]) -> Callable[[ox.QuerySolution, int], bytes]:
    keys = [_json_string(name) + ":" for name in names]
    terms = TermCache(_json_term)

    def encode(solution: ox.QuerySolution, index: int) -> bytes:
        parts = [key + terms[term]
                 for key, term in zip(keys, solution, strict=True) if term is not None]
        return (("\n{" if index == 0 else ",\n{") + ",".join(parts) + "}").encode()

    return encode


def _json_tail() -> bytes:
    return b"\n]}}\n"


# --- SPARQL Query Results XML ------------------------------------------------------------

def _xml_text(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _xml_attr(text: str) -> str:
    return _xml_text(text).replace('"', "&quot;")


def _xml_term(term: object) -> str:
    kind = type(term)
    if kind is _NAMED:
        return "<uri>" + _xml_text(term.value) + "</uri>"  # type: ignore[attr-defined]
    if kind is _LITERAL:
        value = _xml_text(term.value)  # type: ignore[attr-defined]
        if term.language:  # type: ignore[attr-defined]
            return f'<literal xml:lang="{_xml_attr(term.language)}">{value}</literal>'  # type: ignore[attr-defined]
        datatype = term.datatype.value  # type: ignore[attr-defined]
        if datatype == XSD_STRING:
            return "<literal>" + value + "</literal>"
        return f'<literal datatype="{_xml_attr(datatype)}">{value}</literal>'
    if kind is _BLANK:
        return "<bnode>" + _xml_text(term.value) + "</bnode>"  # type: ignore[attr-defined]
    if kind is _TRIPLE:
        return ("<triple><subject>" + _xml_term(term.subject)  # type: ignore[attr-defined]
                + "</subject><predicate>" + _xml_term(term.predicate)  # type: ignore[attr-defined]
                + "</predicate><object>" + _xml_term(term.object)  # type: ignore[attr-defined]
                + "</object></triple>")
    raise TypeError(f"not an RDF term: {term!r}")


def _xml_head(names: list[str]) -> bytes:
    variables = "".join(f'<variable name="{_xml_attr(name)}"/>' for name in names)
    return ('<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">'
            f"<head>{variables}</head><results>").encode()


def _xml_row(names: list[str]) -> Callable[[ox.QuerySolution, int], bytes]:
    opens = [f'<binding name="{_xml_attr(name)}">' for name in names]
    terms = TermCache(_xml_term)

    def encode(solution: ox.QuerySolution, index: int) -> bytes:
        parts = [open_ + terms[term] + "</binding>"
                 for open_, term in zip(opens, solution, strict=True) if term is not None]
        return ("\n<result>" + "".join(parts) + "</result>").encode()

    return encode


def _xml_tail() -> bytes:
    return b"\n</results></sparql>\n"


# --- CSV and TSV (SPARQL 1.1 Query Results CSV and TSV Formats) --------------------------

def _csv_field(term: object) -> str:
    if term is None:
        return ""
    kind = type(term)
    if kind is _BLANK:
        text = "_:" + term.value  # type: ignore[attr-defined]
    elif kind is _TRIPLE:
        text = str(term)
    else:
        text = term.value  # type: ignore[attr-defined]
    if any(c in text for c in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def _csv_head(names: list[str]) -> bytes:
    return (",".join(_csv_field(ox.Literal(name)) for name in names) + "\r\n").encode()


def _csv_row(names: list[str]) -> Callable[[ox.QuerySolution, int], bytes]:
    def encode(solution: ox.QuerySolution, index: int) -> bytes:
        return (",".join(map(_csv_field, solution)) + "\r\n").encode()

    return encode


def _tsv_field(term: object) -> str:
    # pyoxigraph's str() is the N-Triples form, which escapes newlines but not tabs.
    return "" if term is None else str(term).replace("\t", "\\t")


def _tsv_head(names: list[str]) -> bytes:
    return ("\t".join("?" + name for name in names) + "\n").encode()


def _tsv_row(names: list[str]) -> Callable[[ox.QuerySolution, int], bytes]:
    def encode(solution: ox.QuerySolution, index: int) -> bytes:
        return ("\t".join(map(_tsv_field, solution)) + "\n").encode()

    return encode


def _no_tail() -> bytes:
    return b""


_ROW_WRITERS = {
    SPARQL_JSON.name: (_json_head, _json_row, _json_tail),
    SPARQL_XML.name: (_xml_head, _xml_row, _xml_tail),
    CSV.name: (_csv_head, _csv_row, _no_tail),
    TSV.name: (_tsv_head, _tsv_row, _no_tail),
}


def cut_marker(fmt: Format, message: str) -> bytes:
    """Bytes that end a cut result so that its own syntax rejects it (module docstring)."""
    line = " ".join(message.split())
    if fmt in (SPARQL_JSON, JSON_LD):
        # After rows: closes the array, then leaves the outer object unterminated.
        return ('\n],"error":' + _dumps("INCOMPLETE RESULT: " + line)).encode()
    if fmt in (SPARQL_XML, RDF_XML):
        return ("\n<!-- INCOMPLETE RESULT: " + line.replace("--", "- -") + " -->\n"
                "<error>INCOMPLETE RESULT: " + _xml_text(line) + "</error>\n").encode()
    if fmt in (CSV, TSV):
        return ('\r\n"INCOMPLETE RESULT: ' + line.replace('"', "'") + "\n").encode()
    if fmt in (TURTLE, N_TRIPLES):
        return ("\n# INCOMPLETE RESULT: " + line + "\n!INCOMPLETE RESULT!\n").encode()
    return ("\nINCOMPLETE RESULT: " + line + "\n").encode()
