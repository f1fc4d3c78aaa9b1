"""Which engine for label search: SQLite FTS5 (standard library) or tantivy (PyPI)?

Run ``python -m bench.search_engines --project-dir /tmp/gen-100k`` (needs
``pip install tantivy``). Both engines index the same labels of the same build (the
entities' names and alternative names, as :mod:`publisher.search.extract` reads them) and
answer the same as-you-type queries: every word must match, the last one as a prefix,
case and accents folded, the 20 most linked hits. Reported: index time, index size, and
per-query latency (median, p99) over a few hundred queries taken from the labels
themselves (whole words, and prefixes of 1-4 letters of the last word).

This compares the engines on the one query both can answer alike. The ranking tiers of
the real index (exact label, label prefix, words) are FTS5 initial-token queries
(``^"…"``) over the same table; tantivy has no initial-token query, so it would need a
second, untokenized field and regex queries for the same tiers, and reconciliation would
still need a relational store for property values beside it.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

from publisher.pipeline.build import prepare
from publisher.search.extract import extract
from publisher.search.text import TOKENIZER, words, words_query
from publisher.settings import Settings


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def queries_from(labels: list[str], count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    found = []
    while len(found) < count:
        tokens = words(rng.choice(labels))
        if not tokens:
            continue
        take = tokens[: rng.randint(1, min(3, len(tokens)))]
        last = take[-1]
        if rng.random() < 0.6 and len(last) > 1:
            take[-1] = last[: rng.randint(1, min(4, len(last)))]
        found.append(" ".join(take))
    return found


def run_fts5(rows: list[tuple[int, str, int]], queries: list[str], folder: Path) -> dict:
    path = folder / "fts5.sqlite"
    start = time.perf_counter()
    db = sqlite3.connect(path)
    db.executescript(f"""
        PRAGMA journal_mode=OFF;
        CREATE TABLE label (id INTEGER PRIMARY KEY, text TEXT, links INTEGER);
        CREATE VIRTUAL TABLE label_fts USING fts5 (text, content='label', content_rowid='id',
          tokenize='{TOKENIZER}', prefix='1 2 3');""")
    db.executemany("INSERT INTO label VALUES (?, ?, ?)", rows)
    db.execute("INSERT INTO label_fts (label_fts) VALUES ('rebuild')")
    db.execute("INSERT INTO label_fts (label_fts) VALUES ('optimize')")
    db.commit()
    db.close()
    built = time.perf_counter() - start
    db = sqlite3.connect(path.resolve().as_uri() + "?mode=ro&immutable=1", uri=True)
    times, hits = [], 0
    for query in queries:
        start = time.perf_counter()
        found = db.execute(
            "SELECT label.id FROM label_fts JOIN label ON label.id = label_fts.rowid"
            " WHERE label_fts MATCH ? ORDER BY label.links DESC LIMIT 20",
            (words_query(words(query)),)).fetchall()
        times.append(time.perf_counter() - start)
        hits += bool(found)
    return {"index_s": round(built, 3), "size_bytes": path.stat().st_size,
            "median_ms": round(statistics.median(times) * 1000, 3),
            "p99_ms": round(percentile(times, 0.99) * 1000, 3), "queries_with_hits": hits}


def run_tantivy(rows: list[tuple[int, str, int]], queries: list[str], folder: Path) -> dict:
    import tantivy

    analyzer = (tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
                .filter(tantivy.Filter.lowercase()).filter(tantivy.Filter.ascii_fold()).build())
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("text", stored=False, tokenizer_name="folded")
    builder.add_integer_field("id", stored=True, fast=True)
    builder.add_integer_field("links", stored=False, fast=True)
    schema = builder.build()
    path = folder / "tantivy"
    path.mkdir()
    start = time.perf_counter()
    index = tantivy.Index(schema, path=str(path))
    index.register_tokenizer("folded", analyzer)
    writer = index.writer(heap_size=50_000_000, num_threads=1)
    for rowid, text, links in rows:
        writer.add_document(tantivy.Document(text=text, id=rowid, links=links))
    writer.commit()
    writer.wait_merging_threads()
    built = time.perf_counter() - start
    index.reload()
    searcher = index.searcher()
    times, hits = [], 0
    for query in queries:
        tokens = [t.lower() for t in words(query)]
        start = time.perf_counter()
        # Fold the query words as the analyzer folds the labels, then AND of term queries,
        # the last word as a prefix (a regex over the term dictionary).
        folded = [_fold_like_tantivy(t) for t in tokens]
        parts = [(tantivy.Occur.Must, tantivy.Query.term_query(schema, "text", t))
                 for t in folded[:-1]]
        parts.append((tantivy.Occur.Must, tantivy.Query.regex_query(
            schema, "text", _regex_escape(folded[-1]) + ".*")))
        result = searcher.search(tantivy.Query.boolean_query(parts), limit=20,
                                 order_by_field="links")
        times.append(time.perf_counter() - start)
        hits += bool(result.hits)
    size = sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    return {"index_s": round(built, 3), "size_bytes": size,
            "median_ms": round(statistics.median(times) * 1000, 3),
            "p99_ms": round(percentile(times, 0.99) * 1000, 3), "queries_with_hits": hits}


def _fold_like_tantivy(token: str) -> str:
    from publisher.search.text import fold

    return fold(token)


def _regex_escape(text: str) -> str:
    return "".join("\\" + ch if ch in ".^$*+?()[]{}|\\" else ch for ch in text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.search_engines")
    parser.add_argument("--project-dir", type=Path, required=True)
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=Path("bench/results/search_engines.json"))
    args = parser.parse_args(argv)
    settings = Settings(project_dir=args.project_dir, store_dir=args.project_dir / "var/store")
    data = extract(prepare(settings).dataset, settings.base, settings.ontology_iri)
    rows = [(n, text, e.links) for n, (e, text) in enumerate(
        ((e, text) for e in data.entities.values() for text, _ in e.labels), 1)]
    queries = queries_from([text for _, text, _ in rows], args.queries, args.seed)
    folder = Path(tempfile.mkdtemp(prefix="search-engines-"))
    try:
        results = {"labels": len(rows), "queries": len(queries),
                   "fts5": run_fts5(rows, queries, folder)}
        try:
            results["tantivy"] = run_tantivy(rows, queries, folder)
        except ImportError:
            results["tantivy"] = "not installed (pip install tantivy)"
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    results["dataset"] = str(args.project_dir)
    print(json.dumps(results, indent=2))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
