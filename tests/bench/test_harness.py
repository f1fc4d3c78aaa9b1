"""The benchmark helpers that decide what is measured and how it is reported.

A benchmark that silently sends the wrong requests (a broken Lua rotation, a header that
never arrives, a CONSTRUCT that is not the document we serve) produces confident wrong
numbers, so these pieces are checked here. No test asserts a timing.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pyoxigraph as ox
import pytest

from bench import harness
from bench.deref import describe_query, entity_iris, scenarios
from bench.harness import Request
from bench.sparql_mix import build_mix, fill, load_templates, parse_template
from bench.streaming import count_rows

ROOT = Path(__file__).resolve().parents[2]


# -- pure helpers ---------------------------------------------------------------------

@pytest.mark.parametrize("text", ["plain", "a]]b", "x]=]y]]", "\nleading newline",
                                  'quotes " and \\ backslashes'])
def test_lua_string_never_closes_early(text: str) -> None:
    literal = harness.lua_string(text)
    eq = literal[1:literal.index("[", 1)]
    assert set(eq) <= {"="}
    opening, closing = f"[{eq}[", f"]{eq}]"
    # Lua drops a newline right after the opening bracket, hence the extra one.
    assert literal == opening + ("\n" if text.startswith("\n") else "") + text + closing
    assert closing not in text


def test_wrk_script_lists_every_request_with_its_headers() -> None:
    script = harness.wrk_script([
        Request("/a", {"Accept": "text/turtle"}),
        Request("/query", {"Content-Type": "application/sparql-query"}, "POST", "ASK {}"),
    ])
    assert "[ [[Accept]] ] = [[text/turtle]]" in script
    assert "[[POST]], [[/query]]" in script and "[[ASK {}]]" in script
    with pytest.raises(ValueError):
        harness.wrk_script([])


def test_parse_wrk_output_converts_units() -> None:
    line = harness.WRK_MARK + json.dumps({
        "requests": 1000, "duration_us": 2_000_000, "bytes": 5_000_000,
        "errors": {"connect": 0, "read": 1, "write": 0, "status": 2, "timeout": 0},
        "latency_us": {"min": 100, "mean": 1500.0, "stdev": 10.0, "max": 9000,
                       "p50": 1200, "p90": 2000, "p99": 8000, "p999": 8900}})
    result = harness.parse_wrk_output("Running 2s test\n" + line + "\n")
    assert result["rps"] == 500.0
    assert result["p99_ms"] == 8.0 and result["p50_ms"] == 1.2
    assert result["failed"] == 3
    with pytest.raises(RuntimeError):
        harness.parse_wrk_output("no summary here")


def test_ratio_and_median() -> None:
    assert harness.ratio(3, 2) == 1.5
    assert harness.ratio(1, 0) is None and harness.ratio(None, 2) is None
    runs = [{"rps": r, "p50_ms": 1, "p90_ms": 2, "p99_ms": p, "p999_ms": 4, "mean_ms": 1,
             "max_ms": 5, "mb_per_s": 1, "requests": 10, "failed": 0}
            for r, p in ((100, 9), (300, 3), (200, 6))]
    median = harness.median_run(runs)
    assert median["rps"] == 200 and median["p99_ms"] == 6 and median["requests"] == 30


def test_markdown_table_shape() -> None:
    table = harness.markdown_table(["a", "b"], [[1.23456, None], [1234.5, "x"]])
    lines = table.splitlines()
    assert lines[0] == "| a | b |" and lines[1] == "|---|---|"
    assert lines[2] == "| 1.235 | — |" and lines[3] == "| 1,234 | x |"


def test_count_rows() -> None:
    assert count_rows(b"s,p,o\r\na,b,c\r\n", 2, "lines") == 1
    assert count_rows(b"a,b,c", 1, "lines") == 1
    assert count_rows(b"}}", 0, "json") is None


# -- the SPARQL mix -------------------------------------------------------------------

def test_template_header_and_fill() -> None:
    template = parse_template("t", "# category: join\n# accept: text/turtle\n"
                                   "SELECT * WHERE { {{person}} <{{base}}p> ?o }")
    assert template.category == "join" and template.accept == "text/turtle"
    assert template.placeholders == ["person"]
    assert fill(template.text, {"person": "<x>", "base": "http://b/"}).endswith(
        "{ <x> <http://b/p> ?o }")
    with pytest.raises(KeyError):
        fill("{{nope}}", {})


def test_mix_gives_each_template_an_equal_share_and_skips_unfillable() -> None:
    templates = [parse_template("a", "SELECT * { {{person}} ?p ?o }"),
                 parse_template("b", "ASK {}"),
                 parse_template("c", "SELECT * { {{meeting}} ?p ?o }")]
    mix, skipped = build_mix(templates, {"person": ["<p1>", "<p2>"], "meeting": []},
                             "http://b/", variants=3)
    assert skipped == ["c"]
    assert [q.template for q in mix] == ["a", "b"] * 3
    assert {q.text for q in mix if q.template == "a"} == {"SELECT * { <p1> ?p ?o }",
                                                        "SELECT * { <p2> ?p ?o }"}


def test_shipped_templates_parse_and_name_known_placeholders() -> None:
    templates = load_templates(harness.QUERIES_DIR, ROOT)
    names = {t.name for t in templates}
    assert {"cq1", "cq5"} <= names and len(templates) >= 15
    for template in templates:
        assert set(template.placeholders) <= {"person", "meeting", "country", "word"}
        assert template.category != "other", template.name


# -- wrk really rotates and sends the headers -----------------------------------------

@pytest.mark.skipif(shutil.which("wrk") is None and not os.environ.get("CI"),
                    reason="wrk is not installed (CI installs it: there this test runs)")
def test_wrk_rotation_reaches_every_path_with_headers() -> None:
    seen: list[tuple[str, str | None]] = []

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            seen.append((self.path, self.headers.get("Accept")))
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        rotation = [Request(f"/r/{i}", {"Accept": f"type/{i}"}) for i in range(5)]
        result = harness.run_wrk(url, rotation, duration=1, connections=2, threads=2)
    finally:
        server.shutdown()
    assert result["requests"] > 0 and result["failed"] == 0
    assert {(f"/r/{i}", f"type/{i}") for i in range(5)} <= set(seen)


# -- the reference CONSTRUCT is our document ------------------------------------------

@pytest.fixture(scope="module")
def shipped_store(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    from publisher.pipeline.build import build
    from publisher.settings import Settings

    store_dir = tmp_path_factory.mktemp("bench-store") / "store"
    settings = Settings(project_dir=ROOT, store_dir=store_dir)
    build(settings, progress=lambda _line: None)
    return store_dir.resolve(), settings.base


def test_describe_query_returns_the_description(shipped_store: tuple[Path, str]) -> None:
    """Oxigraph's CONSTRUCT gives most of ``describe()``'s triples for every entity, and
    never a triple more: the comparison in bench.deref errs in Oxigraph's favour (the
    labels and descriptions that the document's provenance brings in are what it
    misses)."""
    from publisher.linked_data.describe import describe
    from publisher.store.embedded import EmbeddedStore

    store_path, base = shipped_store
    iris = entity_iris(store_path, base, 10_000, seed=1)
    store = ox.Store.read_only(str(store_path))
    coverage = []
    for iri in iris:
        assert "#" not in iri  # parts are described in their owner's document
        ours = {(str(q.subject), str(q.predicate), str(q.object))
                for q in describe(EmbeddedStore(store), iri)}
        theirs = {(str(t.subject), str(t.predicate), str(t.object))
                  for t in store.query(describe_query(iri), use_default_graph_as_union=True)}
        assert theirs <= ours, iri
        coverage.append(len(theirs) / len(ours))
    assert len(iris) > 200
    assert sum(coverage) / len(coverage) >= 0.8


def test_deref_scenarios_cover_fixed_variants_and_conneg() -> None:
    rotations = scenarios(["person/x"], ["http://b/id/person/x"], ["CONSTRUCT {} WHERE {}"])
    assert rotations["ours .ttl"][0].path == "/doc/person/x.ttl"
    assert rotations["ours conneg turtle"][0].headers == {"Accept": "text/turtle"}
    construct = rotations["oxigraph CONSTRUCT turtle"][0]
    assert construct.method == "POST" and construct.body == "CONSTRUCT {} WHERE {}"


# -- the linked-data cache budget (found by bench.deref on the 100k/1M datasets) -------

def test_prepared_variants_stay_within_the_byte_budget() -> None:
    """Oldest variants leave first, one at a time, and take their whole answers along."""
    from publisher.prepared import PreparedDocuments, Representation

    cache = PreparedDocuments("seed", max_bytes=1000)

    def variant(size: int) -> Representation:
        return Representation.prepare(b"x" * size, "text/plain", "t", compressible=False)

    for index in range(5):
        cache.remember((f"doc{index}", "ttl"), variant(300))
        cache.remember_answer((f"doc/{index}.ttl", "", ""), object(), (f"doc{index}", "ttl"))
    assert cache.prepared_bytes <= 1000
    assert list(cache.representations) == [("doc2", "ttl"), ("doc3", "ttl"), ("doc4", "ttl")]
    assert set(cache.answers) == {(f"doc/{i}.ttl", "", "") for i in (2, 3, 4)}
    # An answer whose variant is already gone is not kept (it would pin evicted bytes).
    cache.remember_answer(("doc/0.ttl", "", ""), object(), ("doc0", "ttl"))
    assert ("doc/0.ttl", "", "") not in cache.answers
