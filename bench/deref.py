"""Dereferencing entity documents: ``publisher serve`` against Oxigraph's own server.

What a Linked Data client does most is fetch one entity's description. We answer from
documents prepared once per build; a plain SPARQL server has to compute the same
description per request. To compare like with like, the reference is ``oxigraph
serve-read-only`` over the same store answering a CONSTRUCT that returns the same
triples as :func:`publisher.linked_data.describe.describe` (CBD with blank nodes, incoming
links with their n-ary nodes, labels of everything linked, provenance of the source
graphs), and the script *checks* that equivalence on every entity of the rotation
before measuring.

Scenarios, each a wrk run rotating over a few hundred entities picked across kinds:
``.html`` and ``.ttl`` fixed variants, conneg on ``/doc/…`` with ``Accept: text/turtle``
and with a browser's ``Accept``, and Oxigraph's ``POST /query`` with ``Accept:
text/turtle``. A second Oxigraph scenario, the "floor", asks only for the entity's
outgoing triples: not the same document, but the cheapest per-entity answer Oxigraph's
HTTP server can give, so the report shows how far from that ceiling we are too.
Run for ``--workers 1`` and ``2`` (uvicorn processes), each next to its own Oxigraph
measurement, so every ratio compares numbers taken minutes apart.

    python -m bench.deref --project-dir /tmp/gen-100k --store-dir /tmp/gen-100k/var/store
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any
from urllib.parse import quote

from . import harness
from .engines import store_modes
from .harness import Request

LABEL_PREDICATES = ("rdfs:label", "skos:prefLabel", "schema:headline", "schema:name",
                    "foaf:name")
PREFIXES = """PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX schema: <http://schema.org/>
PREFIX foaf: <http://xmlns.com/foaf/0.1/>
PREFIX prov: <http://www.w3.org/ns/prov#>
"""
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def describe_query(iri: str) -> str:
    """A CONSTRUCT returning what ``describe(iri)`` returns, as union-graph triples.

    Branches, in the order of ``describe.py``:

    1. the CBD: outgoing statements, following blank-node objects two levels deep and
       the hash IRIs of its own document (``x#period``, ``x#participation-…``) to any
       depth; the statements of what it refers to under ``id/``, transitively (what
       ``describe`` adds so that a document validates on its own);
    2. incoming links, and for a link from a blank node (``event dip:participation
       [ dip:agent <iri> ; dip:capacity post ]``) that node's statements and its owner's
       link to it;
    3. labels (the five label predicates) of every IRI in subject/object position of 1-2;
    4. provenance: for every named graph stating one of those facts or labels, its
       description in the *real* default graph (``FILTER NOT EXISTS { GRAPH ?ng … }``
       tells it apart under the union default graph), the CBD of the article it is
       ``prov:wasDerivedFrom``, and the labels of what these mention.

    Steps 1's context, 3 and 4 read, as ``describe`` does, only the graphs that state the
    resource or link to it and the graphs that are no source's (an ``EXISTS`` per graph);
    the context is followed three steps, and one from the resource's own parts, with the
    labels of what its first step mentions (a property path cannot be kept within those
    graphs).

    ``describe`` repeats steps 4 and the context of step 1 until nothing new appears;
    this query does one round, so it misses the labels and descriptions that provenance
    brings in (the publisher of each source article, the labels of what the context
    mentions): on the shipped data it returns 83% of our triples on average and never a
    triple more, i.e. the comparison errs in Oxigraph's favour.
    The shape is the fastest of the formulations tried on Oxigraph 0.5, and it matters
    by orders of magnitude on larger stores: the sets of referenced IRIs and of graphs
    are computed once in a subquery and then looked up with Oxigraph's ``LATERAL``
    (SEP-0006), because a plain join of such a subquery with ``?g ?p ?o`` is planned as
    a scan of the whole store (0.7 s per description on the 100k dataset, 36 ms with
    ``LATERAL``); label predicates are matched with ``FILTER(?p IN (…))``, which is
    faster there than a ``|`` property path or ``VALUES``.
    """
    branches = describe_branches(iri)
    query = f"{PREFIXES}CONSTRUCT {{ ?s ?p ?o }} WHERE {{\n  " + "\n  UNION ".join(
        branches.values()) + "\n}"
    return " ".join(query.split())


def describe_branches(iri: str) -> dict[str, str]:
    """The UNION branches of :func:`describe_query`, by name (timed one by one when
    tuning the query)."""
    x = f"<{iri}>"
    label_in = ", ".join(LABEL_PREDICATES)
    referenced = f"""SELECT DISTINCT ?r WHERE {{
      {{ {x} ?ra ?r }} UNION {{ {x} ?ra ?rb . FILTER(isBlank(?rb)) ?rb ?rc ?r }}
      UNION {{ ?r ?ra {x} }}
      UNION {{ ?rb ?ra {x} . FILTER(isBlank(?rb)) {{ ?rb ?rc ?r }} UNION {{ ?r ?rc ?rb }} }}
      FILTER(isIRI(?r) && ?r != {x}) }}"""
    def scoped(graph: str) -> str:
        """Whether ``graph`` is one ``describe`` reads beyond the resource itself: one
        stating it or linking to it, or no source's (the reference data)."""
        return (f"(EXISTS {{ GRAPH {graph} {{ {{ {x} ?sa ?sb }} UNION {{ ?sa ?sb {x} }} }} }}"
                f" || NOT EXISTS {{ {graph} prov:wasDerivedFrom ?sc }})")

    graphs = f"""SELECT DISTINCT ?g WHERE {{
      {{ GRAPH ?g {{ {{ {x} ?ga ?gb }} UNION {{ ?ga ?gb {x} }} }} }}
      UNION {{ {{ {referenced} }} GRAPH ?g {{ ?r ?lp ?gl }} FILTER(?lp IN ({label_in}))
               FILTER {scoped("?g")} }}
    }}"""
    part = f'STRSTARTS(STR(?s), "{iri}#")'
    anything = "(<urn:x:any>|!<urn:x:any>)"
    id_namespace = iri[:iri.rindex("/id/") + 4] if "/id/" in iri else iri
    return {
        "cbd": f"{{ {x} ?p ?o BIND({x} AS ?s) }}",
        # claims named from their owner (periods, participations, evidence), any depth
        "parts": f"{{ {x} {anything}+ ?s . FILTER(isIRI(?s) && {part}) ?s ?p ?o }}",
        "incoming parts": f"{{ ?s ?p0 {x} . FILTER(isIRI(?s) && CONTAINS(STR(?s), \"#\")) "
                          f"?s ?p ?o }}",
        "incoming part parts": f"{{ ?a ?p0 {x} . FILTER(isIRI(?a) && "
                               f"STRSTARTS(STR(?a), \"{iri}#\")) ?a {anything}+ ?s . "
                               f"FILTER(isIRI(?s) && {part}) ?s ?p ?o }}",
        "incoming part owners": f"{{ ?o ?p0 {x} . FILTER(isIRI(?o) && "
                                f"CONTAINS(STR(?o), \"#\")) ?s ?p ?o }}",
        # what the document's resources refer to, described so it validates on its own
        # one step only: a path through the other sources' statements may reach what
        # describe, reading the document's own sources, does not
        "context": f"{{ {x} ?p1 ?s . FILTER(isIRI(?s) && ?s != {x} && "
                   f"STRSTARTS(STR(?s), \"{id_namespace}\")) GRAPH ?h {{ ?s ?p ?o }} "
                   f"FILTER {scoped('?h')} }}",
        "context 2": f"{{ {x} ?p1 ?m . FILTER(isIRI(?m) && ?m != {x} && "
                     f"STRSTARTS(STR(?m), \"{id_namespace}\")) "
                     f"GRAPH ?h1 {{ ?m a ?t1 ; ?p2 ?s }} FILTER {scoped('?h1')} "
                     f"FILTER(isIRI(?s) && ?s != {x} && STRSTARTS(STR(?s), \"{id_namespace}\")) "
                     f"GRAPH ?h {{ ?s ?p ?o }} FILTER {scoped('?h')} }}",
        "context 3": f"{{ {x} ?p1 ?m . FILTER(isIRI(?m) && ?m != {x} && "
                     f"STRSTARTS(STR(?m), \"{id_namespace}\")) "
                     f"GRAPH ?h1 {{ ?m a ?t1 ; ?p2 ?n }} FILTER {scoped('?h1')} "
                     f"FILTER(isIRI(?n) && ?n != {x} && STRSTARTS(STR(?n), \"{id_namespace}\")) "
                     f"GRAPH ?h2 {{ ?n a ?t2 ; ?p3 ?s }} FILTER {scoped('?h2')} "
                     f"FILTER(isIRI(?s) && ?s != {x} && STRSTARTS(STR(?s), \"{id_namespace}\")) "
                     f"GRAPH ?h {{ ?s ?p ?o }} FILTER {scoped('?h')} }}",
        "context labels": f"{{ {x} ?p1 ?m . FILTER(isIRI(?m) && ?m != {x} && "
                          f"STRSTARTS(STR(?m), \"{id_namespace}\")) "
                          f"GRAPH ?h1 {{ ?m ?p2 ?s }} FILTER(isIRI(?s)) FILTER {scoped('?h1')} "
                          f"GRAPH ?h {{ ?s ?p ?o }} FILTER(?p IN ({label_in})) "
                          f"FILTER {scoped('?h')} }}",
        "part context": f"{{ {x} {anything}+ ?pt . FILTER(isIRI(?pt) && "
                        f"STRSTARTS(STR(?pt), \"{iri}#\")) ?pt ?p1 ?s . "
                        f"FILTER(isIRI(?s) && ?s != {x} && "
                        f"STRSTARTS(STR(?s), \"{id_namespace}\")) "
                        f"GRAPH ?h {{ ?s ?p ?o }} FILTER {scoped('?h')} }}",
        "cbd blank": f"{{ {x} ?p0 ?s . FILTER(isBlank(?s)) ?s ?p ?o }}",
        "cbd blank 2": f"{{ {x} ?p0 ?b0 . FILTER(isBlank(?b0)) ?b0 ?p1 ?s . "
                       f"FILTER(isBlank(?s)) ?s ?p ?o }}",
        "incoming": f"{{ ?s ?p {x} BIND({x} AS ?o) }}",
        "incoming blank": f"{{ ?s ?p0 {x} . FILTER(isBlank(?s)) ?s ?p ?o }}",
        "incoming owner": f"{{ ?o ?p0 {x} . FILTER(isBlank(?o)) ?s ?p ?o }}",
        "labels": f"{{ {{ {referenced} }} LATERAL {{ GRAPH ?h {{ ?r ?p ?o }} "
                  f"FILTER(?p IN ({label_in})) FILTER {scoped('?h')} }} BIND(?r AS ?s) }}",
        "graph descriptions": f"{{ {{ {graphs} }} LATERAL {{ ?g ?p ?o "
                              f"FILTER NOT EXISTS {{ GRAPH ?ng {{ ?g ?p ?o }} }} }} "
                              f"BIND(?g AS ?s) }}",
        "articles": f"{{ {{ {graphs} }} LATERAL {{ ?g prov:wasDerivedFrom ?s . "
                    f"FILTER(isIRI(?s)) GRAPH ?h {{ ?s ?p ?o }} "
                    f"FILTER(?h = ?g || {scoped('?h')}) }} }}",
        "provenance labels": f"""{{ {{ {graphs} }} LATERAL {{ SELECT DISTINCT ?g ?s WHERE {{
           ?g ?pa ?s . FILTER(isIRI(?s)) FILTER NOT EXISTS {{ GRAPH ?ng {{ ?g ?pa ?s }} }} }} }}
           LATERAL {{ GRAPH ?h {{ ?s ?p ?o }} FILTER(?p IN ({label_in}))
                      FILTER(?h = ?g || {scoped('?h')}) }} }}""",
        "article labels": f"""{{ {{ {graphs} }} LATERAL {{ ?g prov:wasDerivedFrom ?pd .
           ?pd ?pb ?s . FILTER(isIRI(?s)) GRAPH ?h {{ ?s ?p ?o }} FILTER(?p IN ({label_in}))
           FILTER(?h = ?g || {scoped('?h')}) }} }}""",
    }


def entity_iris(store: Path, base: str, count: int, seed: int) -> list[str]:
    """``count`` typed entities minted under ``base``id/, spread evenly over kinds.

    Picking round-robin across kinds (person, event, country…) keeps a rotation from
    being all one kind when one kind dominates the data; the seed makes it repeatable.
    """
    import pyoxigraph as ox

    rdf_type = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
    prefix = base + "id/"
    by_kind: dict[str, set[str]] = defaultdict(set)
    db = ox.Store.read_only(str(store))
    for quad in db.quads_for_pattern(None, rdf_type, None, None):
        subject = quad.subject
        if (isinstance(subject, ox.NamedNode) and subject.value.startswith(prefix)
                and "#" not in subject.value):  # a hash IRI is part of its owner's document
            kind = subject.value[len(prefix):].split("/", 1)[0]
            by_kind[kind].add(subject.value)
    del db
    rng = random.Random(seed)
    pools = {kind: sorted(iris) for kind, iris in sorted(by_kind.items())}
    for pool in pools.values():
        rng.shuffle(pool)
    picked: list[str] = []
    while len(picked) < count and any(pools.values()):
        for pool in pools.values():
            if pool and len(picked) < count:
                picked.append(pool.pop())
    rng.shuffle(picked)
    return picked


def scenarios(names: list[str], iris: list[str],
              constructs: list[str]) -> dict[str, list[Request]]:
    """Rotations per scenario; ours first, Oxigraph's CONSTRUCT last.

    The CONSTRUCT is sent as a direct POST (``application/sparql-query``, SPARQL 1.1
    Protocol): as a GET query string it exceeds Oxigraph's 8 KiB header limit.
    """
    return {
        "ours .html": [Request(f"/doc/{n}.html") for n in names],
        "ours .ttl": [Request(f"/doc/{n}.ttl") for n in names],
        "ours conneg turtle": [Request(f"/doc/{n}", {"Accept": "text/turtle"}) for n in names],
        "ours conneg html": [Request(f"/doc/{n}", {"Accept": BROWSER_ACCEPT}) for n in names],
        "oxigraph CONSTRUCT turtle": [
            Request("/query", {"Accept": "text/turtle",
                               "Content-Type": "application/sparql-query"}, "POST", q)
            for q in constructs],
        # Not the same document: only the outgoing triples. Oxigraph's best case per
        # entity, to show how much of the gap is the description's size, not HTTP.
        "oxigraph floor: outgoing triples only": [
            Request("/query?query=" + quote(f"CONSTRUCT {{ <{iri}> ?p ?o }} WHERE "
                                            f"{{ <{iri}> ?p ?o }}", safe=""),
                    {"Accept": "text/turtle"}) for iri in iris],
    }


def check_equivalence(ours: str, reference: str, names: list[str], base: str,
                      constructs: list[str]) -> dict[str, Any]:
    """Compare our ``.nt`` with Oxigraph's CONSTRUCT for every entity of the rotation.

    Blank nodes keep their stored identifiers on both sides (checked), so the triple
    sets are compared directly. Returns counts, not a verdict: the one-round
    provenance of :func:`describe_query` is known to miss a few triples.
    """
    import httpx
    import pyoxigraph as ox

    def triples(text: bytes) -> set[tuple[str, str, str]]:
        return {(str(t.subject), str(t.predicate), str(t.object))
                for t in ox.parse(text, ox.RdfFormat.N_TRIPLES)}

    identical = 0
    missing_in_reference = extra_in_reference = ours_total = 0
    examples: list[dict[str, Any]] = []
    with httpx.Client(timeout=60) as http:
        for name, query in zip(names, constructs, strict=True):
            mine = triples(http.get(f"{ours}/doc/{name}.nt").content)
            answer = http.post(reference + "/query", content=query.encode(), headers={
                "Accept": "application/n-triples", "Content-Type": "application/sparql-query"})
            answer.raise_for_status()
            theirs = triples(answer.content)
            ours_total += len(mine)
            if mine == theirs:
                identical += 1
                continue
            missing_in_reference += len(mine - theirs)
            extra_in_reference += len(theirs - mine)
            if len(examples) < 3:
                examples.append({"entity": base + "id/" + name, "ours": len(mine),
                                 "oxigraph": len(theirs),
                                 "only_ours": sorted(mine - theirs)[:3],
                                 "only_oxigraph": sorted(theirs - mine)[:3]})
    return {"entities": len(names), "identical": identical,
            "triples_ours": ours_total, "triples_only_ours": missing_in_reference,
            "triples_only_oxigraph": extra_in_reference, "examples": examples}


def summarize(results: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """Ratios against the same-run Oxigraph measurements, targets, and the table.

    Separate from :func:`main` so that a results file can be re-rendered
    (``python -c 'from bench.deref import summarize; …'``) without measuring again.
    """
    rows, summary = [], {}
    for setting, block in results.items():
        scen = block["scenarios"]
        ref = scen["oxigraph CONSTRUCT turtle"]
        floor = scen.get("oxigraph floor: outgoing triples only")
        for label, run in scen.items():
            entry = {
                "rps": run["rps"], "p50_ms": run["p50_ms"], "p99_ms": run["p99_ms"],
                "rps_ratio_vs_oxigraph": harness.ratio(run["rps"], ref["rps"]),
                "p99_ratio_vs_oxigraph": harness.ratio(run["p99_ms"], ref["p99_ms"]),
                "rps_ratio_vs_oxigraph_floor": harness.ratio(run["rps"], floor["rps"])
                if floor else None,
                "throughput_target_met": (None if label.startswith("oxigraph")
                                          else run["rps"] >= ref["rps"]),
                "p99_target_met": None if label.startswith("oxigraph") else run["p99_ms"] < 20,
            }
            summary[f"{setting} {label}"] = entry
            rows.append([setting, label, run["rps"], run["p50_ms"], run["p99_ms"],
                         entry["rps_ratio_vs_oxigraph"], entry["p99_ratio_vs_oxigraph"],
                         entry["rps_ratio_vs_oxigraph_floor"],
                         run.get("requests_per_cpu_s"), run["failed"]])
    table = harness.markdown_table(
        ["server", "scenario", "req/s", "p50 ms", "p99 ms", "req/s ÷ Oxigraph",
         "p99 ÷ Oxigraph", "req/s ÷ floor", "req per server CPU-s", "failed"], rows)
    return summary, table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.deref", description=__doc__)
    harness.common_arguments(parser, default_duration=15.0)
    parser.add_argument("--entities", type=int, default=300,
                        help="entities in the rotation (spread over kinds)")
    parser.add_argument("--workers", default="1,2",
                        help="comma-separated uvicorn worker counts to measure")
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--quiet-wait", type=float, default=900.0,
                        help="max seconds to wait for the server's background "
                             "preparation of documents to finish before measuring")
    parser.add_argument("--no-access-log", action="store_true",
                        help="also measure the same app under uvicorn --no-access-log "
                             "(1 worker): what the access log costs")
    parser.add_argument("--store-url", default=None,
                        help="where publisher serve reads the build: comma-separated "
                             "embedded (default), oxigraph, virtuoso (started here and "
                             "loaded with the build), or a store's query URL")
    parser.add_argument("--skip-check", action="store_true",
                        help="do not compare descriptions with Oxigraph's CONSTRUCT")
    parser.add_argument("--env", action="append", default=[], metavar="KEY=VALUE",
                        help="extra setting for our server (repeatable), e.g. "
                             "PUBLISHER_PREWARM=false")
    parser.add_argument("--scenarios", default="",
                        help="comma-separated scenario names to run (default: all)")
    args = parser.parse_args(argv)

    target = harness.target_of(args)
    store_dir, store, dataset, base = target.store_dir, target.store, target.dataset, target.base
    iris = entity_iris(store, base, args.entities, args.seed)
    if not iris:
        print("no typed entities under the base in this store", file=sys.stderr)
        return 2
    names = [iri[len(base) + 3:] for iri in iris]
    constructs = [describe_query(iri) for iri in iris]
    rotations = scenarios(names, iris, constructs)
    if args.scenarios:
        keep = {name.strip() for name in args.scenarios.split(",")}
        rotations = {k: v for k, v in rotations.items()
                     if k in keep or k == "oxigraph CONSTRUCT turtle"}
    extra_env = dict(item.split("=", 1) for item in args.env)
    machine = harness.machine_info()
    print(f"dataset {dataset['name']}: {dataset['triples']} triples, "
          f"{len(iris)} entities in the rotation; {machine['cores']} cores "
          f"({machine['cpu_model']}), load {machine['load_average_at_start']}")

    results: dict[str, Any] = {}
    equivalence: dict[str, Any] | None = None
    reference, copy = harness.start_reference(store)
    scratch = Path(tempfile.mkdtemp(prefix="bench-stores-"))
    stores = store_modes(args.store_url, store, base, scratch)
    try:
        settings = [(int(w), True) for w in args.workers.split(",") if w.strip()]
        if args.no_access_log:
            settings.append((1, False))
        runs_of = [(s, w, a) for s in stores for w, a in settings]
        for store_mode, workers, access_log in runs_of:
            server = harness.publisher_server(args.project_dir, store_dir, base, workers,
                                              env={**extra_env, **store_mode.env},
                                              access_log=access_log)
            setting = f"workers={workers}" + ("" if access_log else " no-access-log")
            if len(stores) > 1:
                setting = f"{store_mode.label} / {setting}"
            with server:
                print(f"\n== {server.name} (pid {server.pid}) "
                      f"vs oxigraph (pid {reference.pid})")
                # The first linked-data request a uvicorn worker gets starts its
                # background preparation of every document of the build; a burst of
                # concurrent requests reaches every worker. Then wait for them all.
                time.sleep(2.0 * workers)
                if extra_env.get("PUBLISHER_PREWARM", "true").lower() not in ("0", "false"):
                    harness.run_load(server.url, [Request("/")], 2, args.connections)
                waited = harness.wait_quiet([server.pid], max_wait=args.quiet_wait)
                rss_prepared = round(sum(harness.tree_rss(server.pid).values()) / 1e6, 1)
                print(f"  server settled after {waited} s (documents prepared), "
                      f"tree RSS {rss_prepared} MB")
                warm: dict[str, Any] = {}
                for label, rotation in rotations.items():
                    target = reference if label.startswith("oxigraph") else server
                    began = time.perf_counter()
                    warm[label] = harness.warm_up(target.url, rotation)
                    print(f"  warm-up {label}: {warm[label]} in "
                          f"{time.perf_counter() - began:.1f} s")
                # Warm-up misses render on demand; let that work finish too.
                waited += harness.wait_quiet([server.pid], max_wait=args.quiet_wait)
                if equivalence is None and not args.skip_check:
                    equivalence = check_equivalence(server.url, reference.url, names, base,
                                                    constructs)
                    print(f"  descriptions identical to Oxigraph's CONSTRUCT: "
                          f"{equivalence['identical']}/{equivalence['entities']} "
                          f"(triples only ours {equivalence['triples_only_ours']}, "
                          f"only Oxigraph {equivalence['triples_only_oxigraph']})")
                runs: dict[str, list[dict[str, Any]]] = defaultdict(list)
                for round_index in range(args.rounds):
                    for label, rotation in rotations.items():
                        target = reference if label.startswith("oxigraph") else server
                        run = harness.measure(target, rotation, args.duration,
                                              args.connections)
                        runs[label].append(run)
                        print(f"  round {round_index + 1} {label:28s} {run['rps']:9.1f} req/s"
                              f"  p50 {run['p50_ms']:7.2f} ms  p99 {run['p99_ms']:7.2f} ms"
                              f"  failed {run['failed']}")
                results[setting] = {
                    "settled_after_s": waited, "tree_rss_mb_when_settled": rss_prepared,
                    "tree_rss_mb_after_runs": round(
                        sum(harness.tree_rss(server.pid).values()) / 1e6, 1),
                    "warm_up_statuses": warm,
                    "scenarios": {k: harness.median_run(v) for k, v in runs.items()},
                }
    finally:
        for store_mode in stores:
            store_mode.stop()
        shutil.rmtree(scratch, ignore_errors=True)
        reference.stop()
        if copy is not None:
            shutil.rmtree(copy.parent, ignore_errors=True)

    summary, table = summarize(results)
    print("\n" + table)
    payload = {
        "benchmark": "deref",
        "machine": machine,
        "dataset": dataset,
        "settings": {"duration_s": args.duration, "connections": args.connections,
                     "rounds": args.rounds, "entities": len(iris), "seed": args.seed,
                     "workers": args.workers, "no_access_log_variant": args.no_access_log,
                     "load_generator": "wrk" if
                     harness.wrk_available() else "httpx",
                     "reference": "oxigraph serve-read-only --union-default-graph, "
                                  "POST /query CONSTRUCT (bench.deref.describe_query), "
                                  "Accept: text/turtle",
                     "targets": "ours req/s >= Oxigraph's; p99 < 20 ms at 16 connections"},
        "equivalence": equivalence,
        "summary": summary,
        "results": results,
        "table": table,
        "example_construct": describe_query(iris[0]),
    }
    path = harness.write_results("deref", payload, args.out)
    print(f"\nwrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
