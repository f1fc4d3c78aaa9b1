"""Streaming serialization of query results, with a row cap, in every offered format.

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

import pyoxigraph as ox

from ..formats import CSV, JSON_LD, N_TRIPLES, RDF_XML, SPARQL_JSON, SPARQL_XML, TSV, TURTLE, Format

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
CHUNK_BYTES = 64 * 1024

_dumps = json.dumps


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


# --- SPARQL 1.1 Query Results JSON -------------------------------------------------------

def _json_term(term: object) -> str:
    kind = type(term)
    if kind is ox.NamedNode:
        return '{"type":"uri","value":' + _dumps(term.value) + "}"  # type: ignore[attr-defined]
    if kind is ox.Literal:
        value = _dumps(term.value)  # type: ignore[attr-defined]
        language = term.language  # type: ignore[attr-defined]
        if language:
            extra = ""
            direction = getattr(term, "direction", None)
            if direction is not None:
                extra = ',"its:dir":' + _dumps(str(direction))
            return '{"type":"literal","value":' + value + ',"xml:lang":' + _dumps(language) \
                + extra + "}"
        datatype = term.datatype.value  # type: ignore[attr-defined]
        if datatype == XSD_STRING:
            return '{"type":"literal","value":' + value + "}"
        return '{"type":"literal","value":' + value + ',"datatype":' + _dumps(datatype) + "}"
    if kind is ox.BlankNode:
        return '{"type":"bnode","value":' + _dumps(term.value) + "}"  # type: ignore[attr-defined]
    if kind is ox.Triple:
        return ('{"type":"triple","value":{"subject":' + _json_term(term.subject)  # type: ignore[attr-defined]
                + ',"predicate":' + _json_term(term.predicate)  # type: ignore[attr-defined]
                + ',"object":' + _json_term(term.object) + "}}")  # type: ignore[attr-defined]
    raise TypeError(f"not an RDF term: {term!r}")


def _json_head(names: list[str]) -> bytes:
    return ('{"head":{"vars":' + _dumps(names) + '},"results":{"bindings":[').encode()


def _json_row(names: list[str]) -> Callable[[ox.QuerySolution, int], bytes]:
    keys = [(i, _dumps(name) + ":") for i, name in enumerate(names)]

    def encode(solution: ox.QuerySolution, index: int) -> bytes:
        parts = [key + _json_term(solution[i]) for i, key in keys if solution[i] is not None]
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
    if kind is ox.NamedNode:
        return "<uri>" + _xml_text(term.value) + "</uri>"  # type: ignore[attr-defined]
    if kind is ox.Literal:
        value = _xml_text(term.value)  # type: ignore[attr-defined]
        if term.language:  # type: ignore[attr-defined]
            return f'<literal xml:lang="{_xml_attr(term.language)}">{value}</literal>'  # type: ignore[attr-defined]
        datatype = term.datatype.value  # type: ignore[attr-defined]
        if datatype == XSD_STRING:
            return "<literal>" + value + "</literal>"
        return f'<literal datatype="{_xml_attr(datatype)}">{value}</literal>'
    if kind is ox.BlankNode:
        return "<bnode>" + _xml_text(term.value) + "</bnode>"  # type: ignore[attr-defined]
    if kind is ox.Triple:
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
    opens = [(i, f'<binding name="{_xml_attr(name)}">') for i, name in enumerate(names)]

    def encode(solution: ox.QuerySolution, index: int) -> bytes:
        parts = [open_ + _xml_term(solution[i]) + "</binding>"
                 for i, open_ in opens if solution[i] is not None]
        return ("\n<result>" + "".join(parts) + "</result>").encode()

    return encode


def _xml_tail() -> bytes:
    return b"\n</results></sparql>\n"


# --- CSV and TSV (SPARQL 1.1 Query Results CSV and TSV Formats) --------------------------

def _csv_field(term: object) -> str:
    if term is None:
        return ""
    kind = type(term)
    if kind is ox.BlankNode:
        text = "_:" + term.value  # type: ignore[attr-defined]
    elif kind is ox.Triple:
        text = str(term)
    else:
        text = term.value  # type: ignore[attr-defined]
    if any(c in text for c in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def _csv_head(names: list[str]) -> bytes:
    return (",".join(_csv_field(ox.Literal(name)) for name in names) + "\r\n").encode()


def _csv_row(names: list[str]) -> Callable[[ox.QuerySolution, int], bytes]:
    indexes = range(len(names))

    def encode(solution: ox.QuerySolution, index: int) -> bytes:
        return (",".join(_csv_field(solution[i]) for i in indexes) + "\r\n").encode()

    return encode


def _tsv_field(term: object) -> str:
    # pyoxigraph's str() is the N-Triples form, which escapes newlines but not tabs.
    return "" if term is None else str(term).replace("\t", "\\t")


def _tsv_head(names: list[str]) -> bytes:
    return ("\t".join("?" + name for name in names) + "\n").encode()


def _tsv_row(names: list[str]) -> Callable[[ox.QuerySolution, int], bytes]:
    indexes = range(len(names))

    def encode(solution: ox.QuerySolution, index: int) -> bytes:
        return ("\t".join(_tsv_field(solution[i]) for i in indexes) + "\n").encode()

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
