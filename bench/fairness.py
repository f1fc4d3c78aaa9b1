"""How long a cheap query waits while other clients keep the endpoint busy with heavy ones.

Issue 16, problem 4: eight clients sending heavy queries for 30 s made a cheap uncached
SELECT wait ~10 s and then get 503. This starts ``publisher serve``'s app (uvicorn, no
proxy headers) from a source tree, has ``--heavy-clients`` clients, each from its own
loopback address (127.0.0.2, …), send a query that never finishes (a cartesian
``COUNT``, so each runs to the timeout) one after the other, and meanwhile one client on
127.0.0.1 sends a cheap uncached SELECT every 0.5 s. It prints the cheap query's waits
and the status codes of both.

    python -m bench.fairness --store-dir var/store --duration 30
    python -m bench.fairness --source /path/to/an/older/checkout   # the same, before

Nothing here is asserted; the tests check the behaviour (tests/sparql/test_fairness.py).
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent
HEAVY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store-dir", type=Path, default=REPO / "var" / "store")
    parser.add_argument("--source", type=Path, default=REPO,
                        help="the source tree to serve (default: this one)")
    parser.add_argument("--duration", type=float, default=30.0)
    parser.add_argument("--heavy-clients", type=int, default=8)
    parser.add_argument("--same-text", action="store_true",
                        help="every heavy client repeats one text (default: a new "
                        "comment each time, so nothing is known about the next one)")
    parser.add_argument("--out", type=Path, help="also write the summary as JSON here")
    args = parser.parse_args()

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "PYTHONPATH": str(args.source),
           "PUBLISHER_STORE_DIR": str(args.store_dir.absolute())}
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "publisher.app:create_app", "--factory",
         "--port", str(port), "--log-level", "warning", "--no-proxy-headers"],
        cwd=args.source, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/sparql"
    try:
        summary = run(url, args)
    finally:
        server.terminate()
        server.wait(30)
    print(json.dumps(summary, indent=1))
    if args.out:
        args.out.write_text(json.dumps(summary, indent=1) + "\n")


def run(url: str, args: argparse.Namespace) -> dict[str, object]:
    for _ in range(600):
        try:
            if httpx.get(url, params={"query": "ASK {}"}).status_code == 200:
                break
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    time.sleep(2.0)  # let the workers start and settle
    stop = time.monotonic() + args.duration
    heavy_status: collections.Counter[str] = collections.Counter()

    def heavy(address: str) -> None:
        transport = httpx.HTTPTransport(local_address=address)
        with httpx.Client(transport=transport, timeout=300) as client:
            while time.monotonic() < stop:
                query = HEAVY if args.same_text else f"{HEAVY} # {uuid.uuid4()}"
                try:
                    response = client.get(url, params={"query": query})
                except httpx.HTTPError as error:
                    heavy_status[type(error).__name__] += 1
                    continue
                heavy_status[str(response.status_code)] += 1
                if response.status_code == 429:
                    time.sleep(float(response.headers.get("retry-after", "1")))

    threads = [threading.Thread(target=heavy, args=(f"127.0.0.{2 + i}",))
               for i in range(args.heavy_clients)]
    for thread in threads:
        thread.start()
    time.sleep(1.0)
    waits: list[float] = []
    cheap_status: collections.Counter[str] = collections.Counter()
    with httpx.Client(timeout=300) as client:
        while time.monotonic() < stop:
            query = f"SELECT ?s WHERE {{ ?s a ?type }} LIMIT 3 # {uuid.uuid4()}"
            started = time.monotonic()
            response = client.get(url, params={"query": query})
            waits.append(time.monotonic() - started)
            cheap_status[str(response.status_code)] += 1
            time.sleep(0.5)
    for thread in threads:
        thread.join()
    ordered = sorted(waits)
    return {
        "source": str(args.source), "duration_s": args.duration,
        "heavy_clients": args.heavy_clients, "same_text": args.same_text,
        "load_average": os.getloadavg(),
        "cheap_answers": len(waits), "cheap_status": dict(cheap_status),
        "cheap_wait_median_s": round(statistics.median(waits), 3),
        "cheap_wait_p90_s": round(ordered[int(len(ordered) * 0.9)], 3),
        "cheap_wait_max_s": round(ordered[-1], 3),
        "heavy_status": dict(heavy_status),
    }


if __name__ == "__main__":
    main()
