"""Units without a server: the lexical gate, the serializers, the CLI helper."""

from __future__ import annotations

import io
import json

import pyoxigraph as ox
import pytest

from publisher.formats import (
    CSV,
    JSON_LD,
    N_TRIPLES,
    RDF_XML,
    SPARQL_JSON,
    SPARQL_XML,
    TSV,
    TURTLE,
)
from publisher.formats.results import (
    ChunkSink,
    TermCache,
    cut_marker,
    serialize_native,
    write_result,
)
from publisher.prepared import ByteBudgetCache
from publisher.settings import Settings
from publisher.snapshot import Snapshots
from publisher.sparql import workers
from publisher.sparql.analysis import analyse, refused_services
from publisher.sparql.cli import run_query_cli

# --- analysis ----------------------------------------------------------------------------


@pytest.mark.parametrize("query, form", [
    ("SELECT * { ?s ?p ?o }", "SELECT"),
    ("PREFIX a: <http://a/> BASE <http://b/> construct { ?s ?p ?o } where { ?s ?p ?o }",
     "CONSTRUCT"),
    ("# ASK\nDESCRIBE <x>", "DESCRIBE"),
    ("ASK{?s?p?o}", "ASK"),
    ("SELEC ?x", None),
])
def test_query_form(query: str, form: str | None) -> None:
    assert analyse(query).form == form


@pytest.mark.parametrize("update", [
    "INSERT DATA { <a> <b> <c> }", "PREFIX x: <y> DELETE WHERE { ?s ?p ?o }",
    "LOAD <http://example.org/data.ttl>", "clear all", "DROP GRAPH <g>",
    "WITH <g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }", "CREATE GRAPH <g>",
])
def test_updates_are_recognised(update: str) -> None:
    assert analyse(update).is_update


def test_words_inside_strings_iris_and_comments_are_not_keywords() -> None:
    info = analyse('PREFIX service: <http://x/> SELECT * { ?s service:SERVICE "SERVICE <http://a/>"'
                   " . ?s <http://x/SERVICE> ?o # SERVICE <http://b/> {}\n"
                   " FILTER(?o = '''FROM NOW()''') }")
    assert info.services == ()
    assert not info.has_dataset
    assert info.deterministic


def test_service_targets_are_resolved() -> None:
    info = analyse("BASE <http://h/> PREFIX p: <http://q/> SELECT * {"
                   " SERVICE <r> {} SERVICE SILENT p:s {} SERVICE ?v {}"
                   " service <http://\\u0074/> {}"
                   " SERVICE unknown:x {} }")
    assert info.services == ("http://h/r", "http://q/s", None, "http://t/", None)
    assert refused_services(info, ["http://h/r", "http://q/s", "http://t/"]) == [
        "(a target that is not a constant IRI)"] * 2


def test_from_and_nondeterminism() -> None:
    assert analyse("SELECT * FROM <g> { ?s ?p ?o }").has_dataset
    assert not analyse("SELECT (RAND() AS ?r) {}").deterministic
    assert analyse("SELECT ?now { ?s <http://x/now> ?now }").deterministic


# --- serializers, checked against pyoxigraph's own reader --------------------------------

TRICKY = ox.Store()
_S = ox.NamedNode("http://example.org/s")
for index, term in enumerate([
    ox.Literal("plain"), ox.Literal("chat", language="fr"),
    ox.Literal("42", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")),
    ox.Literal('quote " comma , tab \t newline \n cr \r back \\ <tag> & amp'),
    ox.Literal("ünïcödé ✓ 𝄞"), ox.BlankNode("b1"), ox.NamedNode("http://example.org/a?b=c&d"),
]):
    TRICKY.add(ox.Quad(_S, ox.NamedNode(f"http://example.org/p{index}"), term))
QUERY = "SELECT ?p ?o ?unbound WHERE { ?s ?p ?o } ORDER BY ?p"


def serialize(fmt, max_rows: int = 100) -> tuple[bytes, bool]:  # noqa: ANN001
    chunks: list[bytes] = []
    outcome = write_result(TRICKY.query(QUERY), fmt, ChunkSink(chunks.append, 64), max_rows)
    return b"".join(chunks), outcome.cut


def reference(fmt: ox.QueryResultsFormat) -> list[tuple]:
    return [tuple(solution) for solution in ox.parse_query_results(
        TRICKY.query(QUERY).serialize(format=fmt), fmt)]


@pytest.mark.parametrize("fmt", [SPARQL_JSON, SPARQL_XML, TSV])
def test_select_serializers_match_pyoxigraph(fmt) -> None:  # noqa: ANN001
    data, cut = serialize(fmt)
    assert not cut
    parsed = [tuple(solution) for solution in ox.parse_query_results(data, fmt.results)]
    assert parsed == reference(fmt.results)
    assert len(parsed) == 7


def test_csv_serializer() -> None:
    import csv

    data, _ = serialize(CSV)
    rows = list(csv.reader(io.StringIO(data.decode(), newline="")))
    assert rows[0] == ["p", "o", "unbound"]
    values = {row[0].rsplit("p", 1)[1]: row[1] for row in rows[1:]}
    assert values["0"] == "plain" and values["1"] == "chat" and values["2"] == "42"
    assert values["3"] == 'quote " comma , tab \t newline \n cr \r back \\ <tag> & amp'
    assert values["5"] == "_:b1"
    assert all(row[2] == "" for row in rows[1:])


@pytest.mark.parametrize("fmt", [SPARQL_JSON, SPARQL_XML, CSV, TSV])
def test_row_cap_cuts_and_the_marker_breaks_the_document(fmt) -> None:  # noqa: ANN001
    data, cut = serialize(fmt, max_rows=3)
    assert cut
    document = data + cut_marker(fmt, "result truncated")
    if fmt in (SPARQL_JSON, SPARQL_XML, TSV):
        with pytest.raises((SyntaxError, ValueError)):
            list(ox.parse_query_results(document, fmt.results))
    else:
        import csv

        with pytest.raises(csv.Error):
            list(csv.reader(io.StringIO(document.decode(), newline=""), strict=True))


@pytest.mark.parametrize("fmt", [TURTLE, N_TRIPLES, JSON_LD, RDF_XML])
def test_graph_marker_breaks_the_document(fmt) -> None:  # noqa: ANN001
    chunks: list[bytes] = []
    result = TRICKY.query("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }")
    outcome = write_result(result, fmt, ChunkSink(chunks.append), 2)
    assert outcome.cut and outcome.rows == 2
    data = b"".join(chunks)
    assert len(list(ox.parse(data, fmt.rdf))) == 2
    with pytest.raises(SyntaxError):
        list(ox.parse(data + cut_marker(fmt, "result truncated"), fmt.rdf))


RESULT_FORMATS = [SPARQL_JSON, SPARQL_XML, CSV, TSV]


@pytest.mark.parametrize("fmt", RESULT_FORMATS)
def test_native_serialization_is_pyoxigraphs_within_the_cap(fmt) -> None:  # noqa: ANN001
    body = serialize_native(TRICKY.query(QUERY), fmt, max_rows=7, hold_bytes=1 << 20)
    assert body == TRICKY.query(QUERY).serialize(format=fmt.results)


@pytest.mark.parametrize("fmt", RESULT_FORMATS)
def test_native_serialization_gives_up_over_the_cap_or_the_hold(fmt) -> None:  # noqa: ANN001
    assert serialize_native(TRICKY.query(QUERY), fmt, max_rows=6, hold_bytes=1 << 20) is None
    assert serialize_native(TRICKY.query(QUERY), fmt, max_rows=7, hold_bytes=100) is None


def test_native_row_bound_is_never_below_the_rows() -> None:
    """Literals that look like row separators only make the bound larger, never smaller."""
    store = ox.Store()
    for index in range(50):
        store.add(ox.Quad(ox.NamedNode(f"http://example.org/s{index}"),
                          ox.NamedNode("http://example.org/p"),
                          ox.Literal("},{" * index + "\r\n\n<result>")))
    query = "SELECT ?s ?o WHERE { ?s ?p ?o }"
    for fmt in RESULT_FORMATS:
        for max_rows in (49, 50):
            body = serialize_native(store.query(query), fmt, max_rows, 1 << 22)
            if body is not None:  # complete: so it really has at most max_rows rows
                if fmt is CSV:
                    import csv

                    rows = len(list(csv.reader(io.StringIO(body.decode(), newline="")))) - 1
                else:
                    rows = len(list(ox.parse_query_results(body, fmt.results)))
                assert rows <= max_rows
            assert max_rows == 50 or body is None
        _, cut = _written(store, query, fmt, 49)
        assert cut  # the row-by-row writer cuts exactly where the bound gave up


def _written(store: ox.Store, query: str, fmt, max_rows: int) -> tuple[bytes, bool]:  # noqa: ANN001
    chunks: list[bytes] = []
    outcome = write_result(store.query(query), fmt, ChunkSink(chunks.append), max_rows)
    return b"".join(chunks), outcome.cut


def test_term_cache_is_bounded() -> None:
    encoded: list[object] = []
    cache = TermCache(lambda term: encoded.append(term) or str(term))
    terms = [ox.NamedNode(f"http://example.org/{index}") for index in range(TermCache.LIMIT + 10)]
    for term in terms:
        assert cache[term] == str(term)
    assert len(cache) <= TermCache.LIMIT
    assert cache[terms[-1]] == str(terms[-1])
    assert len(encoded) == len(terms)  # the last one was still cached


def test_job_encoding_round_trip() -> None:
    job = {"query": "SELECT * {\n ?s ?p \"ü\\n\" }", "store": "/x", "format": "json",
           "max_rows": 3, "union": True, "default_graph": ["http://g/"], "named_graphs": None}
    assert workers.decode_job(workers.encode_job(job)) == job


class _FakeTransport:
    def __init__(self) -> None:
        self.paused = False

    def pause_reading(self) -> None:
        self.paused = True

    def resume_reading(self) -> None:
        self.paused = False

    def is_closing(self) -> bool:
        return False


def test_channel_reassembles_frames_split_anyhow() -> None:
    import asyncio

    frames = [(workers.DATA, b"x" * 70_000), (workers.DATA, b""), (workers.DONE, b"{}")]
    wire = b"".join(workers.HEADER.pack(kind, len(payload)) + payload
                    for kind, payload in frames)

    async def read_back(cuts: list[int]) -> list[tuple[bytes, bytes]]:
        channel = workers.Channel(high_water=65_536)
        transport = _FakeTransport()
        channel.connection_made(transport)  # type: ignore[arg-type]
        start = 0
        for cut in [*cuts, len(wire)]:
            channel.data_received(wire[start:cut])
            start = cut
        assert transport.paused  # more than high_water bytes were waiting
        received = [await channel.next_frame() for _ in frames]
        assert not transport.paused
        channel.connection_lost(None)
        with pytest.raises(EOFError):
            await channel.next_frame()
        return received

    for cuts in ([], [1], [3, 5, 6], [70_004, 70_005, 70_006, 70_010], list(range(1, 40, 7))):
        assert asyncio.run(read_back(cuts)) == frames


def test_boolean_results() -> None:
    for fmt in (SPARQL_JSON, SPARQL_XML):
        chunks: list[bytes] = []
        write_result(TRICKY.query("ASK { ?s ?p ?o }"), fmt, ChunkSink(chunks.append), 1)
        assert bool(ox.parse_query_results(b"".join(chunks), fmt.results)) is True


# --- CLI helper --------------------------------------------------------------------------

@pytest.fixture
def cli_settings(build_settings: Settings) -> Settings:
    return build_settings


def run(settings: Settings, query: str, fmt: str) -> tuple[int, bytes, str]:
    out, err = io.BytesIO(), io.StringIO()
    code = run_query_cli(settings, query, fmt, out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_cli_prints_results(cli_settings: Settings) -> None:
    code, out, err = run(cli_settings, "SELECT ?t WHERE { <http://localhost:8000/id/event/"
                                       "lavrov-wang-yi> a ?t }", "json")
    assert code == 0, err
    assert json.loads(out)["results"]["bindings"][0]["t"]["value"].endswith("BilateralMeeting")
    code, out, _ = run(cli_settings, "CONSTRUCT { ?s ?p ?o } WHERE { ?s a ?o ; ?p ?o } LIMIT 2",
                       "nt")
    assert code == 0 and len(list(ox.parse(out, ox.RdfFormat.N_TRIPLES))) == 2


def test_cli_exit_codes(cli_settings: Settings) -> None:
    code, _, err = run(cli_settings, "SELECT ?s WHERE { ?s ?p }", "json")
    assert code == 2 and "syntax error" in err
    code, _, err = run(cli_settings, "INSERT DATA { <a> <b> <c> }", "json")
    assert code == 1 and "read-only" in err
    code, _, err = run(cli_settings, "SELECT * { SERVICE <http://127.0.0.1:1/> {} }", "json")
    assert code == 1 and "SERVICE" in err
    code, _, err = run(cli_settings, "SELECT * { ?s ?p ?o }", "pdf")
    assert code == 1 and "format" in err
    capped = cli_settings.model_copy(update={"sparql_max_rows": 5})
    code, out, err = run(capped, "SELECT * { ?s ?p ?o }", "csv")
    assert code == 1 and "5 rows" in err and b"INCOMPLETE RESULT" in out


# --- answer cache ------------------------------------------------------------------------

def test_answer_cache_is_bounded() -> None:
    cache = ByteBudgetCache(max_bytes=1600)
    cache.put("q1", b"x" * 100)
    cache.put("q2", b"y" * 100)
    assert cache.get("q1") == b"x" * 100
    cache.put("too-big", b"z" * 101)  # more than a sixteenth of the budget
    assert cache.get("too-big") is None
    for index in range(20):  # q1 was used last, so q2 goes first
        cache.put(f"fill{index}", b"f" * 100)
    assert cache.get("q2") is None
    assert sum(len(body) for body in cache._entries.values()) <= 1600
    disabled = ByteBudgetCache(max_bytes=0)
    disabled.put("q", b"a")
    assert disabled.get("q") is None


def test_answers_belong_to_their_build(build_settings: Settings, tmp_path) -> None:
    """Each build's Snapshot has its own answers: a new build starts with none."""
    from publisher.builds import swap_in

    from .conftest import make_build

    settings = make_build(tmp_path, "build-a", base=build_settings.base)
    snapshots = Snapshots(settings)
    first = snapshots.current()
    first.sparql_answers.put("q", b"answer")
    assert snapshots.current() is first and first.sparql_answers.get("q") == b"answer"
    other = make_build(tmp_path / "other", "build-b", base=build_settings.base)
    swap_in(settings, other.builds_dir / "build-b")
    second = snapshots.current()
    assert second is not first and second.build_id == "build-b"
    assert second.sparql_answers.get("q") is None
    assert first.sparql_answers.get("q") == b"answer"  # a request still on it keeps it


# --- parsing caches ----------------------------------------------------------------------

def test_get_query_strings_are_parsed_once_and_errors_never_kept() -> None:
    from urllib.parse import urlencode

    from publisher.sparql import protocol

    short = urlencode({"query": "ASK { ?s ?p ?o }", "format": "csv"}).encode()
    first = protocol._from_query_string(short)
    assert first is not None and first.format == "csv"
    assert protocol._from_query_string(short) is first
    bad = urlencode({"query": "ASK {}", "default-graph-uri": "not an iri"}).encode()
    for _ in range(2):
        with pytest.raises(protocol.ProtocolError):
            protocol._from_query_string(bad)
    long = urlencode({"query": "ASK {} #" + "x" * protocol.PARSED_QUERY_STRING_BYTES}).encode()
    assert protocol._from_query_string(long) is not protocol._from_query_string(long)


def test_only_short_queries_keep_their_analysis() -> None:
    from publisher.sparql import analysis

    short = "ASK { ?s ?p ?o } # short"
    assert analyse(short) is analyse(short)
    long = "ASK { ?s ?p ?o } #" + "x" * analysis.CACHED_QUERY_CHARS
    assert analyse(long) == analyse(long)
    assert analyse(long) is not analyse(long)


def test_kept_query_answers_stay_within_their_budget() -> None:
    """Answers the outermost layer keeps that hold no document (query answers) count
    against ``sparql_cache_bytes``, oldest out; none at all when it is 0."""
    from publisher.prepared import PreparedDocuments

    prepared = PreparedDocuments("seed", max_bytes=1000, loose_budget=1600)
    for index in range(30):
        prepared.remember_answer(("/sparql", f"q{index}".encode(), None, ""), object(),
                                 "sparql", 100)
    assert prepared.loose_bytes <= 1600 and len(prepared.answers) == 16
    assert ("/sparql", b"q29", None, "") in prepared.answers
    assert ("/sparql", b"q0", None, "") not in prepared.answers
    prepared.remember_answer(("/sparql", b"big", None, ""), object(), "sparql", 101)
    assert ("/sparql", b"big", None, "") not in prepared.answers  # over a sixteenth
    off = PreparedDocuments("seed", max_bytes=1000, loose_budget=0)
    off.remember_answer(("/sparql", b"q", None, ""), object(), "sparql", 10)
    assert not off.answers
