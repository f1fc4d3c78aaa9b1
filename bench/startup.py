"""Benchmark: start-up to ready and memory of the serving processes, by dataset size.

Run ``python -m bench.startup --project /tmp/g10k --project /tmp/g100k [--touch 1000]
[--before /work/main/.venv/bin/publisher]``. Each project must have been built
(``publisher build --project-dir P --store-dir P/var/store``), which writes its document
pack (``documents.sqlite``); the figures of the build's ``document pack`` stage are read
from its ``build.json``.

For each project, side by side in one run:

- ``publisher serve`` (this checkout): seconds from the command to ``/ready`` answering
  200, the resident memory of its whole process tree (uvicorn and its SPARQL workers)
  once ready, and again after ``--touch`` entity documents were fetched (Turtle, JSON-LD
  and N-Triples in turn, brotli), plus the mean seconds of those requests;
- ``--before``: another ``publisher`` (the code before the pack: documents prepared per
  process, in memory) on the same build, measured the same way;
- ``oxigraph serve-read-only`` on the same store: seconds to its first answer (``ASK``)
  and its memory, then after as many ``DESCRIBE`` queries of the same entities.

It also times the pack's lookup in-process (µs per variant, the lean path of a request)
next to rendering the same variants. Results go to ``bench/results/startup.json`` and a
Markdown table to stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from bench.harness import (
    Server,
    free_port,
    machine_info,
    markdown_table,
    oxigraph_binary,
    publisher_binary,
    publisher_env,
    tree_rss,
    write_results,
)
from publisher.linked_data.pack import open_layers

ACCEPTS = ("text/turtle", "application/ld+json", "application/n-triples")


def _names(build: Path, count: int) -> list[str]:
    """``count`` documents spread over the whole pack: after a rebuild, its layers too
    (the top file alone holds only what the rebuild described again)."""
    connection = open_layers(build / "documents.sqlite")
    try:
        names = sorted({row[0].removeprefix("entity:") for row in connection.execute(
            "SELECT DISTINCT document FROM pack_variants")})
    finally:
        connection.close()
    step = max(1, len(names) // count)
    return names[::step][:count]


def _start(server: Server, timeout: float = 600.0) -> float:
    """Start ``server``; seconds until its ready path answers 200 (polled every 10 ms)."""
    started = time.perf_counter()
    log = server.log_path.open("wb")
    import subprocess

    server.process = subprocess.Popen(server.cmd, stdout=log, stderr=subprocess.STDOUT,
                                      env=server.env, start_new_session=True)
    log.close()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"{server.name} exited; log:\n{server.tail()}")
        try:
            with urllib.request.urlopen(server.url + server.ready_path, timeout=5) as answer:
                if answer.status == 200:
                    return time.perf_counter() - started
        except OSError:
            pass
        time.sleep(0.01)
    server.stop()
    raise RuntimeError(f"{server.name} not ready after {timeout} s:\n{server.tail()}")


def _mib(pid: int) -> float:
    """Resident MiB of the whole process tree (web process and its SPARQL workers)."""
    return round(sum(tree_rss(pid).values()) / 2**20, 1)


def _web_mib(pid: int) -> float:
    """Resident MiB of the web process alone (the one that serves documents)."""
    return round(tree_rss(pid).get(pid, 0) / 2**20, 1)


def _touch(url: str, paths: list[str], headers_of) -> float:
    started = time.perf_counter()
    for index, path in enumerate(paths):
        request = urllib.request.Request(url + path, headers=headers_of(index))
        with urllib.request.urlopen(request, timeout=120) as answer:
            answer.read()
    return (time.perf_counter() - started) / max(1, len(paths))


def measure_publisher(name: str, binary: str, project: Path, names: list[str],
                      settle: float, base: str) -> dict[str, Any]:
    port = free_port()
    cmd = [binary, "serve", "--project-dir", str(project), "--store-dir",
           str(project / "var" / "store"), "--host", "127.0.0.1", "--port", str(port),
           "--base", base, "--no-access-log"]  # the build's base; requests go to the port
    server = Server(name, cmd, port, "/ready", publisher_env())
    try:
        ready = _start(server)
        rss_ready, web_ready = _mib(server.pid), _web_mib(server.pid)
        time.sleep(settle)  # the SPARQL workers start after ready: their memory shows here
        rss_settled = _mib(server.pid)
        per_request = _touch(server.url, [f"/doc/{n}" for n in names], lambda i: {
            "Accept": ACCEPTS[i % len(ACCEPTS)], "Accept-Encoding": "br"})
        touched, web_touched = _mib(server.pid), _web_mib(server.pid)
        time.sleep(settle)  # background preparation started by the first document
        return {"ready_s": round(ready, 3), "rss_ready_mib": rss_ready,
                "rss_settled_mib": rss_settled, "rss_touched_mib": touched,
                "rss_later_mib": _mib(server.pid), "web_ready_mib": web_ready,
                "web_touched_mib": web_touched, "web_later_mib": _web_mib(server.pid),
                "touch_ms": round(per_request * 1000, 2)}
    finally:
        server.stop()


def measure_oxigraph(project: Path, id_base: str, names: list[str]) -> dict[str, Any]:
    port = free_port()
    store = (project / "var" / "store").resolve()
    cmd = [oxigraph_binary(), "serve-read-only", "--location", str(store),
           "--bind", f"127.0.0.1:{port}", "--union-default-graph"]
    server = Server("oxigraph-startup", cmd, port, "/query?query=ASK%7B%7D")
    try:
        ready = _start(server)
        rss_ready = _mib(server.pid)
        paths = ["/query?query=" + urllib.parse.quote(f"DESCRIBE <{id_base}{n}>")
                 for n in names]
        per_request = _touch(server.url, paths, lambda i: {"Accept": "text/turtle"})
        return {"ready_s": round(ready, 3), "rss_ready_mib": rss_ready,
                "rss_touched_mib": _mib(server.pid), "touch_ms": round(per_request * 1000, 2)}
    finally:
        server.stop()


def lookup_cost(project: Path, names: list[str]) -> dict[str, float]:
    """µs per variant: the pack's lookup (one coding) against rendering it."""
    from publisher.formats import DOCUMENT_FORMATS, HTML
    from publisher.linked_data import rendering
    from publisher.linked_data.urls import UrlSpace
    from publisher.settings import Settings
    from publisher.snapshot import Snapshots

    settings = Settings(project_dir=project, store_dir=project / "var" / "store")
    snapshot = Snapshots(settings).current()
    pack = snapshot.document_pack()
    if pack is None:
        return {}
    formats = [f for f in DOCUMENT_FORMATS if f is not HTML]
    keys = [(f"entity:{n}", f) for n in names for f in formats]
    started = time.perf_counter()
    for _round in range(3):
        for key, fmt in keys:
            pack.lookup(key, fmt.name, "br")
    looked = (time.perf_counter() - started) / (3 * len(keys))
    space = UrlSpace(settings)
    sample = names[: min(len(names), 100)]
    started = time.perf_counter()
    for name in sample:
        document = space.document(snapshot, f"doc/{name}")
        for fmt in formats:
            rendering.render(snapshot, document, fmt)
        snapshot.prepared.descriptions.clear()
    rendered = (time.perf_counter() - started) / (len(sample) * len(formats))
    return {"pack_lookup_us": round(looked * 1e6, 1), "render_us": round(rendered * 1e6, 1)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.startup", description=__doc__)
    parser.add_argument("--project", type=Path, action="append", required=True)
    parser.add_argument("--touch", type=int, default=1000)
    parser.add_argument("--settle", type=float, default=5.0,
                        help="seconds to wait after ready before the second memory figure")
    parser.add_argument("--before", help="another `publisher` to measure beside this one")
    args = parser.parse_args(argv)
    rows: list[dict[str, Any]] = []
    for project in args.project:
        build = (project / "var" / "store").resolve()
        record = json.loads((build / "build.json").read_text())
        names = _names(build, args.touch)
        row: dict[str, Any] = {
            "project": str(project), "triples": record["stats"].get("triples"),
            "pack_s": record["timings"].get("document pack"),
            "pack_mib": round((build / "documents.sqlite").stat().st_size / 2**20, 1),
            "documents": len(_names(build, 10**9)), "touched": len(names),
            "load": os.getloadavg()[0]}
        row["ours"] = measure_publisher("publisher-startup", publisher_binary(), project,
                                        names, args.settle, record["base"])
        if args.before:
            row["before"] = measure_publisher("publisher-before", args.before, project,
                                              names, args.settle, record["base"])
        row["oxigraph"] = measure_oxigraph(project, f"{record['base']}id/", names)
        row["lookup"] = lookup_cost(project, names)
        row["load_after"] = os.getloadavg()[0]
        rows.append(row)
        print(json.dumps(row), flush=True)
    out = write_results("startup", {"machine": machine_info(), "rows": rows})
    header = ["dataset", "pack build s", "pack MiB", "ready s (ours / before / Oxigraph)",
              "RSS MiB ready (tree)", "RSS MiB after touching (tree)",
              "web process MiB after touching, later", "ms per document"]
    table = []
    for row in rows:
        ours, ox = row["ours"], row["oxigraph"]
        before = row.get("before", {})
        table.append([
            Path(row["project"]).name, row["pack_s"], row["pack_mib"],
            f"{ours['ready_s']} / {before.get('ready_s', '-')} / {ox['ready_s']}",
            f"{ours['rss_ready_mib']} / {before.get('rss_ready_mib', '-')} / "
            f"{ox['rss_ready_mib']}",
            f"{ours['rss_touched_mib']} / {before.get('rss_touched_mib', '-')} / "
            f"{ox['rss_touched_mib']}",
            f"{ours['web_touched_mib']}, {ours['web_later_mib']} / "
            f"{before.get('web_touched_mib', '-')}, {before.get('web_later_mib', '-')}",
            f"{ours['touch_ms']} / {before.get('touch_ms', '-')} / {ox['touch_ms']}"])
    print(markdown_table(header, table))
    print(f"results: {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
