"""Latency of label search and reconciliation: median and p99 over a few hundred queries.

Run ``python -m bench.search --project-dir /tmp/gen-100k`` after building that project
(``publisher build --project-dir … --store-dir …/var/store``). Two modes, both by default:

- ``core``: the functions the routes call (:class:`~publisher.search.SearchIndex`,
  :class:`~publisher.reconcile.ReconciliationService`) on the build's index file, in
  this process: the cost of the work itself;
- ``http``: the same requests sent one at a time to ``publisher serve`` (started here on
  127.0.0.1 and a free port), ``GET search?q=…`` as JSON and ``POST reconcile`` with a
  ``queries=`` form: what a client waits for, framework and network stack included;
  beside it, in the same run and interleaved round by round, the reference: raw Oxigraph
  (``oxigraph serve-read-only`` on the same store) asked the nearest SPARQL question
  (names containing the words, case-insensitively, in the type), which has neither
  accent folding nor ranking nor scoring, so it is a lower bound of the work.

Queries are drawn from the data itself with a fixed seed: search queries are what a
person types (a word or two of a name, the last word often unfinished, sometimes with a
``type=``), reconciliation queries are names with a typo or a dropped word, some with a
type and a property constraint, as a spreadsheet column would have them. Every request is
timed on its own (latency, not throughput); the JSON written to ``--out`` holds every
setting, the machine, the dataset and the numbers.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import time
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from publisher.reconcile import ReconciliationService, StoreValues
from publisher.search import INDEX_FILE, SearchIndex
from publisher.search.text import words


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def summary(times: list[float]) -> dict[str, float]:
    return {"n": len(times), "median_ms": round(statistics.median(times) * 1000, 3),
            "p99_ms": round(percentile(times, 0.99) * 1000, 3),
            "max_ms": round(max(times) * 1000, 3)}


def search_queries(index: SearchIndex, count: int, rng: random.Random) -> list[dict[str, Any]]:
    names = [row[0] for row in index._db().execute(
        "SELECT text FROM label JOIN item ON item.id = label.item WHERE item.kind = 'entity'"
        " ORDER BY label.id")]
    types = sorted(index.types)
    found = []
    while len(found) < count:
        tokens = words(rng.choice(names))
        if not tokens:
            continue
        take = tokens[: rng.randint(1, min(2, len(tokens)))]
        if rng.random() < 0.6 and len(take[-1]) > 2:
            take[-1] = take[-1][: rng.randint(2, len(take[-1]) - 1)]
        query: dict[str, Any] = {"q": " ".join(take)}
        if rng.random() < 0.2:
            query["type"] = rng.choice(types)
        found.append(query)
    return found


def reconcile_queries(index: SearchIndex, values: StoreValues, count: int,
                      rng: random.Random) -> list[dict[str, Any]]:
    rows = index._db().execute(
        "SELECT item.key, item.name, (SELECT type FROM item_type WHERE item_type.item = item.id"
        " AND asserted = 1 LIMIT 1) FROM item WHERE kind = 'entity' ORDER BY item.id").fetchall()
    sample = rng.sample(rows, min(count, len(rows)))
    countries = values.values([key for key, _, _ in sample], ["country"])
    found = []
    for key, name, type_id in sample:
        text = name
        roll = rng.random()
        if roll < 0.3 and len(text) > 4:  # a typo
            i = rng.randrange(1, len(text) - 1)
            text = text[:i] + text[i + 1] + text[i] + text[i + 2:]
        elif roll < 0.5 and len(text.split()) > 2:  # a dropped word
            parts = text.split()
            del parts[rng.randrange(len(parts))]
            text = " ".join(parts)
        query: dict[str, Any] = {"query": text}
        if type_id and rng.random() < 0.5:
            query["type"] = type_id
        country = countries.get(key, {}).get("country")
        if country and rng.random() < 0.5:
            query["properties"] = [{"pid": "country", "v": country[0].text}]
        found.append(query)
    return found


def run_core(index: SearchIndex, values: StoreValues, searches: list[dict],
             reconciles: list[dict], batch: int) -> dict[str, Any]:
    service = ReconciliationService(index, values)
    search_times, one_times, batch_times = [], [], []
    for query in searches:
        start = time.perf_counter()
        index.search(query["q"], [query["type"]] if "type" in query else (), limit=20)
        search_times.append(time.perf_counter() - start)
    for query in reconciles:
        start = time.perf_counter()
        service.reconcile(json.dumps({"q0": query}))
        one_times.append(time.perf_counter() - start)
    for start_at in range(0, len(reconciles), batch):
        chunk = {f"q{i}": q for i, q in enumerate(reconciles[start_at:start_at + batch])}
        start = time.perf_counter()
        service.reconcile(json.dumps(chunk))
        batch_times.append(time.perf_counter() - start)
    return {"search": summary(search_times), "reconcile_one": summary(one_times),
            f"reconcile_batch_{batch}": summary(batch_times)}


RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
SKOS_ALT = "http://www.w3.org/2004/02/skos/core#altLabel"
RDFS_SUBCLASS = "http://www.w3.org/2000/01/rdf-schema#subClassOf"


def sparql_literal(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a SPARQL string here


def reference_search(query: dict[str, Any], vocab: str) -> str:
    """What raw Oxigraph is asked in place of ``search``: names containing every word,
    case-insensitively (no accent folding, no ranking: a lower bound of the work)."""
    filters = " && ".join(f"CONTAINS(LCASE(STR(?name)), {sparql_literal(w.lower())})"
                          for w in words(query["q"]))
    typed = ""
    if "type" in query:
        typed = f"?s a/<{RDFS_SUBCLASS}>* <{expand_type(query['type'], vocab)}> ."
    return (f"SELECT DISTINCT ?s ?name WHERE {{ ?s <{RDFS_LABEL}>|<{SKOS_ALT}> ?name . "
            f"{typed} FILTER({filters or 'true'}) }} LIMIT 20")


def reference_reconcile(query: dict[str, Any], vocab: str) -> str:
    """The same for one reconciliation query: names sharing any word with the text, in
    the type, with the wanted country when there is a constraint (candidates only, no
    scoring)."""
    tokens = [w.lower() for w in words(query["query"]) if len(w) > 2] or \
        [w.lower() for w in words(query["query"])]
    filters = " || ".join(f"CONTAINS(LCASE(STR(?name)), {sparql_literal(w)})" for w in tokens)
    typed = ""
    if "type" in query:
        typed = f"?s a/<{RDFS_SUBCLASS}>* <{expand_type(query['type'], vocab)}> ."
    return (f"SELECT DISTINCT ?s ?name WHERE {{ ?s <{RDFS_LABEL}>|<{SKOS_ALT}> ?name . "
            f"{typed} FILTER({filters or 'true'}) }} LIMIT 50")


def expand_type(type_id: str, vocab: str) -> str:
    from publisher.search import expand

    return expand(type_id, vocab)


def timed(send: Any, requests: list[Any]) -> list[float]:
    times = []
    for request in requests:
        start = time.perf_counter()
        response = send(request)
        times.append(time.perf_counter() - start)
        response.raise_for_status()
    return times


def run_http(project: Path, store: Path, searches: list[dict], reconciles: list[dict],
             batch: int, rounds: int) -> dict[str, Any]:
    """Every request on its own, ours and raw Oxigraph's interleaved round by round."""
    import httpx

    from bench.harness import publisher_server, resolve_store, start_reference

    vocab_holder: dict[str, str] = {}
    ours = publisher_server(project, store, None, access_log=False).start()
    reference, copy = start_reference(resolve_store(store))
    try:
        base = ours.url + "/"
        batches = [{f"q{i}": q for i, q in enumerate(reconciles[at:at + batch])}
                   for at in range(0, len(reconciles), batch)]
        results: dict[str, list[float]] = {}
        with httpx.Client(timeout=60) as client:
            vocab_holder["vocab"] = client.get(base + "reconcile").json()["schemaSpace"]
            vocab = vocab_holder["vocab"]
            ref_search = [reference_search(q, vocab) for q in searches]
            ref_reconcile = [reference_reconcile(q, vocab) for q in reconciles]
            ref_json = {"Accept": "application/sparql-results+json"}
            scenarios = {
                "search": lambda: timed(lambda q: client.get(
                    base + "search", params=q, headers={"Accept": "application/json"}),
                    searches),
                "oxigraph_search": lambda: timed(lambda q: client.get(
                    reference.url + "/query", params={"query": q}, headers=ref_json),
                    ref_search),
                "reconcile_one": lambda: timed(lambda q: client.post(
                    base + "reconcile", data={"queries": json.dumps({"q0": q})}), reconciles),
                "oxigraph_reconcile_one": lambda: timed(lambda q: client.get(
                    reference.url + "/query", params={"query": q}, headers=ref_json),
                    ref_reconcile),
                f"reconcile_batch_{batch}": lambda: timed(lambda chunk: client.post(
                    base + "reconcile", data={"queries": json.dumps(chunk)}), batches),
            }
            for run in scenarios.values():  # one warm-up pass (first-use costs)
                run()
            for _ in range(rounds):
                for name, run in scenarios.items():
                    results.setdefault(name, []).extend(run())
    finally:
        ours.stop()
        reference.stop()
        if copy is not None:
            shutil.rmtree(copy.parent, ignore_errors=True)
    return {name: summary(times) for name, times in results.items()}


def main(argv: list[str] | None = None) -> int:
    from bench.harness import dataset_info, machine_info, write_results

    parser = argparse.ArgumentParser(prog="python -m bench.search", description=__doc__)
    parser.add_argument("--project-dir", type=Path, required=True)
    parser.add_argument("--store-dir", type=Path)
    parser.add_argument("--queries", type=int, default=400)
    parser.add_argument("--batch", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--modes", default="core,http")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    store_dir = args.store_dir or args.project_dir / "var" / "store"
    build = store_dir.resolve()
    index = SearchIndex(build / INDEX_FILE)
    store = ox.Store.read_only(str(build))
    values = StoreValues(lambda sparql: store.query(sparql, use_default_graph_as_union=True),
                         index)
    rng = random.Random(args.seed)
    searches = search_queries(index, args.queries, rng)
    reconciles = reconcile_queries(index, values, args.queries, rng)
    results: dict[str, Any] = {
        "machine": machine_info(),
        "dataset": {**dataset_info(args.project_dir, store_dir), "entities": index._db().execute(
            "SELECT COUNT(*) FROM item WHERE kind = 'entity'").fetchone()[0]},
        "settings": {"queries": args.queries, "batch": args.batch, "seed": args.seed,
                     "rounds": args.rounds},
        "reference": "oxigraph serve-read-only on the same store: SPARQL label lookups "
                     "with CONTAINS(LCASE(...)) (no accent folding, no ranking, no scoring)",
    }
    modes = args.modes.split(",")
    if "core" in modes:
        results["core"] = run_core(index, values, searches, reconciles, args.batch)
    if "http" in modes:
        results["http"] = run_http(args.project_dir, store_dir, searches, reconciles,
                                   args.batch, args.rounds)
    print(json.dumps(results, indent=2))
    write_results("search", results, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
