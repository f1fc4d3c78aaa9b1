"""A million-row SELECT: time to first byte, total time and the servers' memory.

A SPARQL endpoint that builds a whole result in memory before sending it falls over on
the first large query; ours streams (a worker process writes 64 KiB chunks and waits
for a slow client). This benchmark checks that claim against the reference, both over
the same store in the same run: ``SELECT ?s ?p ?o WHERE { ?s ?p ?o } LIMIT 1000000``
(on the 1M dataset) in SPARQL JSON, CSV and TSV, read as fast as one client can.

Memory is sampled every 50 ms over the server's whole process tree (the web process,
the forkserver and every query worker, including workers started during the query):
RSS as asked for; PSS, which divides pages shared between forked workers among them
and so is what the tree really costs; RSS split into anonymous memory and file-backed
pages (store files mapped while reading); and the growth of each process, which tells
the web process (where buffering a result would show) from the query worker (where
RocksDB's caches fill during a full scan, as they do in Oxigraph's own server) and from
workers forked during the query. The baseline is taken after a small warm-up query,
when the workers exist and are idle; growth is peak minus baseline. Target: our growth
within 50 MB.

    python -m bench.streaming --project-dir /tmp/gen-1m --store-dir /tmp/gen-1m/var/store
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

from . import harness

FORMATS = {
    "json": "application/sparql-results+json",
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
}
INCOMPLETE = b"INCOMPLETE RESULT"
MB = 1_000_000


def _status_kb(pid: int, fields: tuple[str, ...]) -> dict[str, int]:
    """``RssAnon``/``RssFile`` from ``/proc/<pid>/status`` (Linux), in bytes."""
    out = dict.fromkeys(fields, 0)
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                name, _, value = line.partition(":")
                if name in out:
                    out[name] = int(value.split()[0]) * 1024
    except OSError:
        pass
    return out


def tree_memory(pid: int) -> dict[int, tuple[int, int, int, int]]:
    """(RSS, PSS, anonymous RSS, file-backed RSS) in bytes per live process of the tree.

    The split matters for a database reader: pages of the store's files mapped while a
    query reads them count in RSS but belong to the page cache (shared, reclaimable),
    whereas anonymous memory is what buffering a result would cost.
    """
    import psutil

    out: dict[int, tuple[int, int, int, int]] = {}
    for p in harness.tree_pids(pid):
        try:
            info = psutil.Process(p).memory_full_info()
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
        split = _status_kb(p, ("RssAnon", "RssFile"))
        out[p] = (info.rss, info.pss, split["RssAnon"], split["RssFile"])
    return out


class MemorySampler(harness.RssSampler):
    """Peak RSS, PSS and anonymous RSS of a process tree (sums, and RSS per process)."""

    def __init__(self, pid: int, interval: float = 0.05) -> None:
        super().__init__(pid, interval)
        self.peak_pss_total = 0
        self.peak_anon_total = 0
        self.peak_file_total = 0
        self.peak_pss_by_pid: dict[int, int] = {}
        self.peak_anon_by_pid: dict[int, int] = {}

    def _sample(self) -> None:
        memory = tree_memory(self.pid)
        self.samples += 1
        self.peak_total = max(self.peak_total, sum(m[0] for m in memory.values()))
        self.peak_pss_total = max(self.peak_pss_total, sum(m[1] for m in memory.values()))
        self.peak_anon_total = max(self.peak_anon_total, sum(m[2] for m in memory.values()))
        self.peak_file_total = max(self.peak_file_total, sum(m[3] for m in memory.values()))
        for p, (rss, pss, anon, _file) in memory.items():
            self.peak_by_pid[p] = max(self.peak_by_pid.get(p, 0), rss)
            self.peak_pss_by_pid[p] = max(self.peak_pss_by_pid.get(p, 0), pss)
            self.peak_anon_by_pid[p] = max(self.peak_anon_by_pid.get(p, 0), anon)


def count_rows(tail: bytes, newlines: int, fmt: str) -> int | None:
    """Rows of a CSV/TSV answer from its line count (one header line); None for JSON."""
    if fmt == "json":
        return None
    return newlines - 1 + (0 if tail.endswith(b"\n") else 1)


def stream_once(url: str, params: dict[str, str], accept: str, pid: int,
                timeout_s: float) -> dict[str, Any]:
    """One request read to the end, with the server tree's memory sampled meanwhile."""
    import httpx

    baseline = tree_memory(pid)
    base_rss = sum(m[0] for m in baseline.values())
    base_pss = sum(m[1] for m in baseline.values())
    base_anon = sum(m[2] for m in baseline.values())
    base_file = sum(m[3] for m in baseline.values())
    received = newlines = 0
    tail = b""
    first_byte = headers_at = None
    complete = True
    error = None
    status = None
    with MemorySampler(pid) as sampler, httpx.Client(timeout=timeout_s) as http:
        began = time.perf_counter()
        try:
            with http.stream("GET", url, params=params, headers={
                    "Accept": accept, "Accept-Encoding": "identity"}) as resp:
                headers_at = time.perf_counter() - began
                status = resp.status_code
                for chunk in resp.iter_raw(65536):
                    if first_byte is None:
                        first_byte = time.perf_counter() - began
                    received += len(chunk)
                    newlines += chunk.count(b"\n")
                    tail = (tail + chunk)[-4096:]
        except httpx.HTTPError as exc:  # an incomplete chunked body says "cut"
            complete = False
            error = f"{type(exc).__name__}: {exc}"
        total = time.perf_counter() - began
    after = tree_memory(pid)
    if INCOMPLETE in tail:
        complete = False
    growth_by_pid = {
        str(p): round((peak - baseline.get(p, (0, 0))[0]) / MB, 1)
        for p, peak in sampler.peak_by_pid.items()}
    existing = [peak - baseline[p][0] for p, peak in sampler.peak_by_pid.items()
                if p in baseline]
    started = {str(p): {"peak_rss_mb": round(peak / MB, 1),
                        "peak_pss_mb": round(sampler.peak_pss_by_pid.get(p, 0) / MB, 1),
                        "peak_anon_mb": round(sampler.peak_anon_by_pid.get(p, 0) / MB, 1)}
               for p, peak in sampler.peak_by_pid.items() if p not in baseline}
    return {
        "status": status, "complete": complete, "error": error,
        "headers_s": round(headers_at, 3) if headers_at is not None else None,
        "ttfb_s": round(first_byte, 3) if first_byte is not None else None,
        "total_s": round(total, 2), "bytes": received,
        "mb_per_s": round(received / total / MB, 1) if total else None,
        "rows_counted": count_rows(tail, newlines,
                                   "json" if accept == FORMATS["json"] else "lines"),
        "processes_before": len(baseline), "processes_peak": len(sampler.peak_by_pid),
        "baseline_rss_mb": round(base_rss / MB, 1),
        "peak_rss_mb": round(sampler.peak_total / MB, 1),
        "rss_growth_mb": round((sampler.peak_total - base_rss) / MB, 1),
        "baseline_pss_mb": round(base_pss / MB, 1),
        "peak_pss_mb": round(sampler.peak_pss_total / MB, 1),
        "pss_growth_mb": round((sampler.peak_pss_total - base_pss) / MB, 1),
        "baseline_anon_mb": round(base_anon / MB, 1),
        "anon_growth_mb": round((sampler.peak_anon_total - base_anon) / MB, 1),
        "file_backed_growth_mb": round((sampler.peak_file_total - base_file) / MB, 1),
        "max_existing_process_anon_growth_mb": round(max(
            (peak - baseline[p][2] for p, peak in sampler.peak_anon_by_pid.items()
             if p in baseline), default=0) / MB, 1),
        "rss_after_mb": round(sum(m[0] for m in after.values()) / MB, 1),
        "rss_growth_by_pid_mb": growth_by_pid,
        # A query still running after 0.5 s gets a fresh fast-lane worker forked in its
        # place: a new process whose RSS is mostly pages shared with the forkserver.
        # Separating it from the growth of the processes that existed shows what the
        # streaming itself costs.
        "max_existing_process_rss_growth_mb": round(max(existing, default=0) / MB, 1),
        "processes_started": started,
        "samples": sampler.samples,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.streaming", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    harness.common_arguments(parser)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--formats", default="json,csv,tsv")
    parser.add_argument("--timeout", type=float, default=900.0,
                        help="client timeout and PUBLISHER_SPARQL_TIMEOUT_S for the run")
    args = parser.parse_args(argv)

    target = harness.target_of(args)
    store_dir, store, dataset, base = target.store_dir, target.store, target.dataset, target.base
    query = f"SELECT ?s ?p ?o WHERE {{ ?s ?p ?o }} LIMIT {args.rows}"
    env = {"PUBLISHER_SPARQL_MAX_ROWS": str(args.rows + 1),
           "PUBLISHER_SPARQL_TIMEOUT_S": str(args.timeout)}
    machine = harness.machine_info()
    if dataset["triples"] and dataset["triples"] < args.rows:
        print(f"note: the store has {dataset['triples']} triples, fewer than {args.rows} "
              f"rows; the answer will be shorter", file=sys.stderr)
    print(f"dataset {dataset['name']}: {dataset['triples']} triples; query: {query}")

    results: dict[str, dict[str, Any]] = {}
    reference, copy = harness.start_reference(store)
    server = harness.publisher_server(args.project_dir, store_dir, base, 1, env)
    try:
        with server:
            harness.wait_quiet([server.pid], max_wait=60)
            small = {"query": "SELECT ?s WHERE { ?s ?p ?o } LIMIT 10"}
            for fmt in [f.strip() for f in args.formats.split(",") if f.strip()]:
                accept = FORMATS[fmt]
                for who, target, path in (("ours", server, "/sparql"),
                                          ("oxigraph", reference, "/query")):
                    # Warm-up: workers started, RocksDB opened; then idle for the baseline.
                    stream_once(target.url + path, small, accept, target.pid, 60)
                    time.sleep(1.0)
                    runs = [stream_once(target.url + path, {"query": query}, accept,
                                        target.pid, args.timeout) for _ in range(args.rounds)]
                    run = min(runs, key=lambda r: r["total_s"]) if len(runs) > 1 else runs[0]
                    if len(runs) > 1:
                        run = {**run, "rounds": runs,
                               "rss_growth_mb": max(r["rss_growth_mb"] for r in runs),
                               "pss_growth_mb": max(r["pss_growth_mb"] for r in runs)}
                    results.setdefault(fmt, {})[who] = run
                    print(f"  {fmt:4s} {who:8s} status {run['status']} complete "
                          f"{run['complete']}  ttfb {run['ttfb_s']} s  total {run['total_s']} s"
                          f"  {run['bytes'] / MB:.1f} MB  rows {run['rows_counted']}  RSS "
                          f"{run['baseline_rss_mb']} -> {run['peak_rss_mb']} MB "
                          f"(+{run['rss_growth_mb']})  PSS +{run['pss_growth_mb']} MB  "
                          f"anon +{run['anon_growth_mb']} MB  "
                          f"file +{run['file_backed_growth_mb']} MB")
    finally:
        server.stop()
        reference.stop()
        if copy is not None:
            import shutil

            shutil.rmtree(copy.parent, ignore_errors=True)

    rows, summary = [], {}
    for fmt, pair in results.items():
        for who, run in pair.items():
            other = pair["oxigraph" if who == "ours" else "ours"]
            rows.append([fmt, who, run["status"], run["complete"], run["ttfb_s"],
                         run["total_s"], round(run["bytes"] / MB, 1), run["baseline_rss_mb"],
                         run["peak_rss_mb"], run["rss_growth_mb"],
                         run["max_existing_process_rss_growth_mb"], run["pss_growth_mb"],
                         run["anon_growth_mb"], run["file_backed_growth_mb"],
                         harness.ratio(run["total_s"], other["total_s"])
                         if who == "ours" else None])
        ours = pair["ours"]
        summary[fmt] = {
            "ttfb_ratio": harness.ratio(ours["ttfb_s"], pair["oxigraph"]["ttfb_s"]),
            "total_time_ratio": harness.ratio(ours["total_s"], pair["oxigraph"]["total_s"]),
            "ours_rss_growth_mb": ours["rss_growth_mb"],
            "ours_pss_growth_mb": ours["pss_growth_mb"],
            "oxigraph_rss_growth_mb": pair["oxigraph"]["rss_growth_mb"],
            "ours_max_existing_process_rss_growth_mb":
                ours["max_existing_process_rss_growth_mb"],
            "ours_processes_started": len(ours["processes_started"]),
            "ours_anon_growth_mb": ours["anon_growth_mb"],
            "ours_file_backed_growth_mb": ours["file_backed_growth_mb"],
            "target_50mb_met_anon": ours["anon_growth_mb"] <= 50,
            "target_50mb_met_rss": ours["rss_growth_mb"] <= 50,
            "target_50mb_met_pss": ours["pss_growth_mb"] <= 50,
        }
    table = harness.markdown_table(
        ["format", "server", "status", "complete", "TTFB s", "total s", "MB",
         "tree RSS before MB", "tree RSS peak MB", "tree RSS growth MB",
         "max growth of one existing process MB", "tree PSS growth MB",
         "tree anon growth MB", "tree file-backed growth MB",
         "total ÷ Oxigraph"], rows)
    print("\n" + table)
    payload = {
        "benchmark": "streaming",
        "machine": machine,
        "dataset": dataset,
        "settings": {"query": query, "rows": args.rows, "server_env": env,
                     "sample_interval_s": 0.05, "client": "httpx, Accept-Encoding: identity",
                     "reference": "oxigraph serve-read-only --union-default-graph",
                     "target": "our server's memory growth within 50 MB"},
        "summary": summary,
        "results": results,
        "table": table,
    }
    path = harness.write_results("streaming", payload, args.out)
    print(f"\nwrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
