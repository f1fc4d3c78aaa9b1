"""What the nginx cache of deploy/ brings: the same requests, in one run, sent

1. straight to one ``publisher serve`` replica,
2. through nginx to two replicas with the cache off (``proxy_cache off``),
3. through nginx to the same two replicas with the cache on (deploy/nginx.conf.template),

so every ratio compares numbers taken minutes apart on the same machine. The rotation
mixes entity documents (``.ttl``, and conneg HTML as a browser asks) with SPARQL GET
queries (each answered with an ETag, so cacheable). Nothing asserts timings.

    python -m bench.cache --project-dir /tmp/gen-100k --store-dir /tmp/gen-100k/var/store
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any
from urllib.parse import quote

from deploy.nginx import NginxProxy, ProxyConfig

from . import harness
from .deref import BROWSER_ACCEPT, entity_iris
from .harness import Request


def rotation(base: str, iris: list[str]) -> list[Request]:
    requests: list[Request] = []
    for index, iri in enumerate(iris):
        name = iri[len(base) + 3:]
        requests.append(Request(f"/doc/{name}.ttl"))
        requests.append(Request(f"/doc/{name}", {"Accept": BROWSER_ACCEPT}))
        if index % 3 == 0:
            query = f"SELECT ?p ?o WHERE {{ <{iri}> ?p ?o }} LIMIT 50"
            requests.append(Request("/sparql?query=" + quote(query, safe=""),
                                    {"Accept": "application/sparql-results+json"}))
    return requests


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.cache", description=__doc__)
    harness.common_arguments(parser, default_duration=10.0)
    parser.add_argument("--entities", type=int, default=300)
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--fresh", default="2s",
                        help="nginx freshness before revalidation (deploy default 2s)")
    args = parser.parse_args(argv)

    target = harness.target_of(args)
    iris = entity_iris(target.store, target.base, args.entities, args.seed)
    requests = rotation(target.base, iris)
    machine = harness.machine_info()
    print(f"dataset {target.dataset['name']}: {target.dataset['triples']} triples, "
          f"{len(requests)} requests in the rotation; {machine['cores']} cores, "
          f"load {machine['load_average_at_start']}")
    run_dir = Path(tempfile.mkdtemp(prefix="bench-cache-"))
    replicas = [harness.publisher_server(args.project_dir, target.store_dir, target.base)
                for _ in range(2)]
    proxies: dict[str, NginxProxy] = {}
    runs: dict[str, list[dict[str, Any]]] = defaultdict(list)
    try:
        for replica in replicas:
            replica.start()
            # A replica prepares every document of the build in the background after
            # its first linked-data request (bench.deref does the same): let it finish.
            harness.run_load(replica.url, [Request("/")], 2, args.connections)
        waited = harness.wait_quiet([r.pid for r in replicas], max_wait=900)
        print(f"  replicas settled after {waited} s (documents prepared)")
        dumps = run_dir / "dumps"
        dumps.mkdir()
        for label, cache in (("nginx, cache off", "off"), ("nginx, cache on", "publisher")):
            config = ProxyConfig(
                listen=f"127.0.0.1:{harness.free_port()}",
                replicas=[f"127.0.0.1:{r.port}" for r in replicas], dumps_dir=dumps,
                run_dir=run_dir / cache, cache=cache, fresh=args.fresh,
                worker_processes="1", rate=1_000_000, burst=1_000_000,
                conn_per_client=10_000, access_log="off")
            proxies[label] = NginxProxy(config).start(ready_path="/")
        targets = {"one replica, direct": replicas[0].url,
                   **{label: proxy.url for label, proxy in proxies.items()}}
        for label, url in targets.items():
            began = time.perf_counter()
            statuses = harness.warm_up(url, requests)
            print(f"  warm-up {label}: {statuses} in {time.perf_counter() - began:.1f} s")
        for round_index in range(args.rounds):
            for label, url in targets.items():
                run = harness.run_load(url, requests, args.duration, args.connections)
                runs[label].append(run)
                print(f"  round {round_index + 1} {label:22s} {run['rps']:9.1f} req/s  "
                      f"p50 {run['p50_ms']:7.2f} ms  p99 {run['p99_ms']:7.2f} ms  "
                      f"failed {run['failed']}")
    finally:
        for proxy in proxies.values():
            proxy.stop()
        for replica in replicas:
            replica.stop()
        shutil.rmtree(run_dir, ignore_errors=True)

    summary = {label: harness.median_run(values) for label, values in runs.items()}
    direct = summary["one replica, direct"]["rps"]
    rows = [(label, f"{s['rps']:,.0f}", s["p50_ms"], s["p99_ms"], s["failed"],
             f"×{harness.ratio(s['rps'], direct)}") for label, s in summary.items()]
    table = harness.markdown_table(
        ["path", "req/s", "p50 ms", "p99 ms", "failed", "vs direct"], rows)
    print("\n" + table)
    payload = {
        "benchmark": "cache", "machine": machine, "dataset": target.dataset,
        "settings": {"duration_s": args.duration, "connections": args.connections,
                     "rounds": args.rounds, "entities": len(iris),
                     "requests_in_rotation": len(requests), "fresh": args.fresh,
                     "replicas": 2, "nginx_worker_processes": 1,
                     "load_generator": "wrk" if harness.wrk_available() else "httpx"},
        "summary": summary, "table": table,
    }
    path = harness.write_results("cache", payload, args.out)
    print(f"\nwrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
