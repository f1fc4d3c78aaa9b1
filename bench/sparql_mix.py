"""A realistic SPARQL mix through our ``/sparql`` and Oxigraph's ``/query``, same store.

The mix is ``bench/queries/*.rq`` (lookups by IRI, ASK, label search with FILTER,
meeting-participant-country joins, n-ary capacity joins, GROUP BY/COUNT aggregates,
provenance through ``GRAPH ?g``, a CONSTRUCT) plus the competency questions of the
project's ``queries/cq*.rq``. Templates name placeholders (``{{person}}``,
``{{meeting}}``, ``{{country}}``, ``{{word}}``, ``{{base}}``) filled with entities
sampled from the store, ``--variants`` different ones per template, so the rotation
holds hundreds of distinct queries in equal shares per template.

Before any load, every distinct query is sent once to both servers and the answers are
compared (row counts, ASK booleans, triple counts): a speed-up that changes answers is
not one. Then, for each mode, wrk drives both servers in turn:

* ``cache``: our per-build answer cache on (the default): after the warm-up pass every
  query in the rotation is a repeated one, so this measures cached answers;
* ``nocache``: ``PUBLISHER_SPARQL_CACHE_BYTES=0``: every request executes its query,
  which is the like-for-like comparison with Oxigraph (target: >= 0.8x).

Re-run quickly while optimising ``publisher/sparql``::

    python -m bench.sparql_mix --project-dir /tmp/gen-100k --store-dir /tmp/gen-100k/var/store \\
        --modes nocache --duration 10 [--env PUBLISHER_SPARQL_WORKERS=3] [--by-category]
"""

from __future__ import annotations

import argparse
import random
import re
import shutil
import sys
import tempfile
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from . import harness
from .engines import store_modes
from .harness import Request

PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")
SELECT_ACCEPT = "application/sparql-results+json"
MODES = {"cache": {}, "nocache": {"PUBLISHER_SPARQL_CACHE_BYTES": "0"}}


@dataclass(frozen=True)
class Template:
    """One query file: its text with placeholders, and what its header declares."""

    name: str
    category: str
    accept: str
    text: str

    @property
    def placeholders(self) -> list[str]:
        """Entity placeholders that vary between variants (``base`` does not)."""
        return sorted({p for p in PLACEHOLDER.findall(self.text) if p != "base"})


def parse_template(name: str, text: str) -> Template:
    """Read ``# category: …`` and ``# accept: …`` from the leading comment lines."""
    meta: dict[str, str] = {}
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        key, sep, value = line.lstrip("# ").partition(":")
        if sep and key.strip() in ("category", "accept"):
            meta[key.strip()] = value.strip()
    return Template(name, meta.get("category", "other"), meta.get("accept", SELECT_ACCEPT),
                    text)


def fill(template: str, values: dict[str, str]) -> str:
    """Replace every ``{{name}}``; an unknown placeholder is an error, not a silent gap."""

    def replace(match: re.Match[str]) -> str:
        try:
            return values[match.group(1)]
        except KeyError:
            raise KeyError(f"no value for placeholder {{{{{match.group(1)}}}}}") from None

    return PLACEHOLDER.sub(replace, template)


def load_templates(queries_dir: Path, project_dir: Path) -> list[Template]:
    """The mix: ``bench/queries/*.rq`` then the project's competency questions."""
    templates = [parse_template(path.stem, path.read_text(encoding="utf-8"))
                 for path in sorted(queries_dir.glob("*.rq"))]
    cq_dir = project_dir / "queries"
    if not any(cq_dir.glob("cq*.rq")):
        cq_dir = harness.REPO / "queries"  # generated projects have no queries/ folder
    for path in sorted(cq_dir.glob("cq*.rq")):
        text = "BASE <{{base}}>\n" + path.read_text(encoding="utf-8")
        templates.append(Template(path.stem.split("-")[0], "competency", SELECT_ACCEPT, text))
    return templates


def sample_values(store: Path, base: str, seed: int, count: int) -> dict[str, list[str]]:
    """Entities to put into the templates, read from the store itself.

    People and meetings are taken from actual participations, countries from actual
    representations, so most variants have answers; words are first names of people,
    lower-cased (for the label FILTERs).
    """
    import pyoxigraph as ox

    dip = base + "ontology#"
    db = ox.Store.read_only(str(store))

    def column(query: str) -> list[str]:
        rows = db.query(query, use_default_graph_as_union=True)
        return sorted({str(row[0].value) for row in rows})

    people = column(f"SELECT DISTINCT ?x WHERE {{ ?m <{dip}participant> ?x . "
                    f"?x a <http://xmlns.com/foaf/0.1/Person> }}")
    meetings = column(f"SELECT DISTINCT ?x WHERE {{ ?x <{dip}participant> ?p }}")
    countries = column(f"SELECT DISTINCT ?x WHERE {{ ?p <{dip}represents> ?x }}")
    names = column("SELECT ?x WHERE { ?p a <http://xmlns.com/foaf/0.1/Person> ; "
                   "<http://www.w3.org/2000/01/rdf-schema#label> ?x }")
    words = sorted({w.lower() for name in names for w in name.split()[:1]
                    if w.isalpha() and len(w) >= 3})
    rng = random.Random(seed)

    def pick(pool: list[str], iri: bool = True) -> list[str]:
        chosen = rng.sample(pool, min(count, len(pool))) if pool else []
        return [f"<{v}>" for v in chosen] if iri else chosen

    return {"person": pick(people), "meeting": pick(meetings), "country": pick(countries),
            "word": pick(words, iri=False)}


@dataclass(frozen=True)
class MixQuery:
    template: str
    category: str
    accept: str
    text: str


def build_mix(templates: list[Template], values: dict[str, list[str]], base: str,
              variants: int) -> tuple[list[MixQuery], list[str]]:
    """The rotation: variant 0 of every template, then variant 1 of each, and so on.

    Each template gets the same share of requests; one without placeholders repeats
    its single query. Templates whose placeholders have no values in this dataset are
    skipped (and reported).
    """
    skipped = [t.name for t in templates if any(not values.get(p) for p in t.placeholders)]
    usable = [t for t in templates if t.name not in skipped]
    mix: list[MixQuery] = []
    for index in range(variants):
        for template in usable:
            chosen = {p: values[p][index % len(values[p])] for p in template.placeholders}
            chosen["base"] = base
            mix.append(MixQuery(template.name, template.category, template.accept,
                                fill(template.text, chosen)))
    return mix, skipped


def requests_for(mix: list[MixQuery], path: str) -> list[Request]:
    """GET ``path?query=…`` (our ``/sparql`` or Oxigraph's ``/query``) per query."""
    return [Request(f"{path}?query={quote(q.text, safe='')}", {"Accept": q.accept},
                    label=q.category) for q in mix]


def answer_size(body: bytes, accept: str) -> int | bool:
    """Rows of a JSON result, the boolean of an ASK, or the triples of an RDF answer."""
    import json

    import pyoxigraph as ox

    if accept == SELECT_ACCEPT:
        data = json.loads(body)
        return data["boolean"] if "boolean" in data else len(data["results"]["bindings"])
    return sum(1 for _ in ox.parse(body, ox.RdfFormat.TURTLE))


def compare_answers(ours: str, reference: str, mix: list[MixQuery]) -> dict[str, Any]:
    """Send each distinct query to both servers; compare sizes of the answers."""
    import httpx

    distinct = list({q.text: q for q in mix}.values())
    same, differ, failures = 0, [], []
    empty = 0
    with httpx.Client(timeout=120) as http:
        for q in distinct:
            sizes = []
            for url in (f"{ours}/sparql", f"{reference}/query"):
                resp = http.get(url, params={"query": q.text}, headers={"Accept": q.accept})
                if resp.status_code != 200:
                    failures.append({"template": q.template, "url": url,
                                     "status": resp.status_code, "body": resp.text[:300]})
                    sizes.append(None)
                else:
                    sizes.append(answer_size(resp.content, q.accept))
            if sizes[0] == sizes[1] and sizes[0] is not None:
                same += 1
                empty += sizes[0] in (0, False)
            elif None not in sizes:
                differ.append({"template": q.template, "ours": sizes[0],
                               "oxigraph": sizes[1], "query": q.text[:400]})
    return {"distinct_queries": len(distinct), "same_size": same,
            "empty_answers": empty, "different": differ[:10],
            "different_count": len(differ), "failures": failures[:10],
            "failure_count": len(failures)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.sparql_mix", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    harness.common_arguments(parser, default_duration=20.0)
    parser.add_argument("--variants", type=int, default=40,
                        help="different entity choices per parameterised template")
    parser.add_argument("--modes", default="cache,nocache",
                        help="comma-separated: cache (default server), nocache "
                             "(PUBLISHER_SPARQL_CACHE_BYTES=0)")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    parser.add_argument("--env", action="append", default=[], metavar="KEY=VALUE",
                        help="extra PUBLISHER_* setting for our server (repeatable)")
    parser.add_argument("--templates", default="",
                        help="comma-separated template names to keep (default: all)")
    parser.add_argument("--by-category", action="store_true",
                        help="also run each category alone (duration/2 each) to see "
                             "where a ratio comes from")
    parser.add_argument("--access-log", default="on",
                        help="comma-separated: on (the default server), off "
                             "(--no-access-log): each is measured beside Oxigraph")
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--skip-check", action="store_true")
    parser.add_argument("--store-url", default=None,
                        help="where publisher serve reads the build: comma-separated "
                             "embedded (default), oxigraph, virtuoso (started here and "
                             "loaded with the build), or a store's query URL")
    args = parser.parse_args(argv)

    target = harness.target_of(args)
    store_dir, store, dataset, base = target.store_dir, target.store, target.dataset, target.base
    templates = load_templates(harness.QUERIES_DIR, args.project_dir)
    if args.templates:
        keep = {t.strip() for t in args.templates.split(",")}
        templates = [t for t in templates if t.name in keep]
    values = sample_values(store, base, args.seed, args.variants)
    mix, skipped = build_mix(templates, values, base, args.variants)
    if not mix:
        print("no usable template for this dataset", file=sys.stderr)
        return 2
    extra_env = dict(item.split("=", 1) for item in args.env)
    machine = harness.machine_info()
    distinct = len({q.text for q in mix})
    print(f"dataset {dataset['name']}: {dataset['triples']} triples; {len(mix)} requests in "
          f"the rotation, {distinct} distinct queries from {len(templates) - len(skipped)} "
          f"templates (skipped: {skipped or 'none'}); {machine['cores']} cores, "
          f"load {machine['load_average_at_start']}")
    ours_requests = requests_for(mix, "/sparql")
    reference_requests = requests_for(mix, "/query")
    categories = sorted({q.category for q in mix})

    results: dict[str, Any] = {}
    checks: dict[str, Any] = {}
    reference, copy = harness.start_reference(store)
    scratch = Path(tempfile.mkdtemp(prefix="bench-stores-"))
    stores = store_modes(args.store_url, store, base, scratch)
    try:
        for store_mode in stores:
            if store_mode.load_s is not None:
                print(f"\n{store_mode.label}: the build loaded in {store_mode.load_s} s")
            check: dict[str, Any] | None = None
            logs = [a.strip() == "on" for a in args.access_log.split(",") if a.strip()]
            for mode, logged in [(m.strip(), a) for m in args.modes.split(",")
                                 if m.strip() for a in logs]:
                env = {**MODES[mode], **extra_env, **store_mode.env}
                server = harness.publisher_server(args.project_dir, store_dir, base,
                                                  args.workers, env, access_log=logged)
                with server:
                    print(f"\n== store {store_mode.label}, mode {mode}: publisher serve "
                          f"(pid {server.pid}, env {env}) vs oxigraph (pid {reference.pid})")
                    harness.wait_quiet([server.pid], max_wait=60)
                    if check is None and not args.skip_check:
                        check = checks[store_mode.label] = compare_answers(server.url,
                                                                           reference.url, mix)
                        print(f"  answers of the same size: {check['same_size']}/"
                              f"{check['distinct_queries']} ({check['empty_answers']} empty), "
                              f"different {check['different_count']}, "
                              f"failed {check['failure_count']}")
                        for item in check["different"][:3] + check["failures"][:3]:
                            print(f"    {item}")
                    warm = {"ours": harness.warm_up(server.url, ours_requests),
                            "oxigraph": harness.warm_up(reference.url, reference_requests)}
                    print(f"  warm-up statuses: {warm}")
                    runs: dict[str, list[dict[str, Any]]] = defaultdict(list)
                    for round_index in range(args.rounds):
                        for who, target, rotation in (("oxigraph", reference, reference_requests),
                                                      ("ours", server, ours_requests)):
                            run = harness.measure(target, rotation, args.duration,
                                                  args.connections)
                            runs[who].append(run)
                            print(f"  round {round_index + 1} {who:9s} {run['rps']:9.1f} req/s  "
                                  f"p50 {run['p50_ms']:8.2f} ms  p99 {run['p99_ms']:8.2f} ms  "
                                  f"failed {run['failed']}")
                    block: dict[str, Any] = {"env": env, "warm_up_statuses": warm,
                                             "mix": {k: harness.median_run(v)
                                                     for k, v in runs.items()}}
                    if args.by_category:
                        block["by_category"] = {}
                        for category in categories:
                            pair = {}
                            for who, target, rotation in (
                                    ("oxigraph", reference, reference_requests),
                                    ("ours", server, ours_requests)):
                                subset = [r for r in rotation if r.label == category]
                                pair[who] = harness.measure(target, subset,
                                                            args.duration / 2, args.connections)
                            pair["rps_ratio"] = harness.ratio(pair["ours"]["rps"],
                                                              pair["oxigraph"]["rps"])
                            block["by_category"][category] = pair
                            print(f"  {category:12s} ours {pair['ours']['rps']:8.1f} req/s "
                                  f"p99 {pair['ours']['p99_ms']:7.2f} ms | oxigraph "
                                  f"{pair['oxigraph']['rps']:8.1f} req/s p99 "
                                  f"{pair['oxigraph']['p99_ms']:7.2f} ms | ratio "
                                  f"{pair['rps_ratio']}")
                    label = mode if logged else f"{mode} no-access-log"
                    results[label if len(stores) == 1 else f"{store_mode.label} / {label}"] = block
    finally:
        for store_mode in stores:
            store_mode.stop()
        shutil.rmtree(scratch, ignore_errors=True)
        reference.stop()
        if copy is not None:
            shutil.rmtree(copy.parent, ignore_errors=True)

    check = checks.get(stores[0].label) if len(stores) == 1 else checks
    rows, summary = [], {}
    for mode, block in results.items():
        ours, ref = block["mix"]["ours"], block["mix"]["oxigraph"]
        entry = {"ours_rps": ours["rps"], "oxigraph_rps": ref["rps"],
                 "rps_ratio": harness.ratio(ours["rps"], ref["rps"]),
                 "ours_p99_ms": ours["p99_ms"], "oxigraph_p99_ms": ref["p99_ms"],
                 "p99_ratio": harness.ratio(ours["p99_ms"], ref["p99_ms"])}
        if "nocache" in mode:
            entry["target_0.8x_met"] = bool(entry["rps_ratio"] and entry["rps_ratio"] >= 0.8)
        summary[mode] = entry
        rows.append([mode, ours["rps"], ours["p50_ms"], ours["p99_ms"], ref["rps"],
                     ref["p50_ms"], ref["p99_ms"], entry["rps_ratio"], entry["p99_ratio"],
                     ours["failed"] + ref["failed"]])
    table = harness.markdown_table(
        ["mode", "ours req/s", "ours p50 ms", "ours p99 ms", "Oxigraph req/s",
         "Oxigraph p50 ms", "Oxigraph p99 ms", "req/s ratio", "p99 ratio", "failed"], rows)
    print("\n" + table)
    payload = {
        "benchmark": "sparql_mix",
        "machine": machine,
        "dataset": dataset,
        "settings": {"duration_s": args.duration, "connections": args.connections,
                     "rounds": args.rounds, "variants": args.variants,
                     "uvicorn_workers": args.workers, "modes": args.modes,
                     "extra_env": extra_env, "seed": args.seed,
                     "rotation_requests": len(mix), "distinct_queries": distinct,
                     "templates": sorted({q.template for q in mix}),
                     "skipped_templates": skipped,
                     "load_generator": "wrk" if harness.wrk_available() else "httpx",
                     "reference": "oxigraph serve-read-only --union-default-graph, "
                                  "GET /query?query=…",
                     "target": "nocache req/s >= 0.8x Oxigraph"},
        "answers_check": check,
        "summary": summary,
        "results": results,
        "table": table,
    }
    path = harness.write_results("sparql_mix", payload, args.out)
    print(f"\nwrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
