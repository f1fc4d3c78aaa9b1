"""What validating each source on its own costs, beside validating the union once.

Run ``python -m bench.validation --project-dir DIR [--rounds N]`` on a generated project
(``python -m bench.generate --triples 100000 --seed 1 --out DIR``). It prepares the
dataset once (map and derive, as the build does) and then times, in the same process and
run, interleaved over the rounds:

* **union**: one pyshacl-turbo run over the union of every graph, which is what the build
  did before sources were validated one by one (and what it would still cost to catch
  cross-source errors that way);
* **per source**: what the build does now (:func:`publisher.pipeline.per_source.
  validate_sources`), split into its parts: assembling each graph with its context (the
  part of the reference graph and the ontology it reaches), the SHACL runs on those
  (limited to the graph's own nodes), and the consistency run on the nodes two or more
  graphs share.

It prints a table and writes ``bench/results/validation.json``. The figures to read are
the ratios, measured seconds apart on the same machine.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from publisher.pipeline.build import prepare
from publisher.pipeline.per_source import (
    GraphIndex,
    graph_alone,
    own_subjects,
    shared_nodes,
    union_of,
)
from publisher.pipeline.shacl import run_shacl_turbo, to_rdflib_graph
from publisher.settings import Settings

from . import harness


def one_round(dataset: ox.Store, base: str, ontology: ox.NamedNode, shapes) -> dict[str, float]:
    timings: dict[str, float] = {}
    start = time.perf_counter()
    union = run_shacl_turbo(dataset, shapes)
    timings["union"] = time.perf_counter() - start
    assert union.conforms, union.results[:3]

    start = time.perf_counter()
    index = GraphIndex(dataset, base, ontology)
    assemble = check = 0.0
    context_triples = own_triples = 0
    for graph in index.kinds:
        t0 = time.perf_counter()
        data, own = graph_alone(index, graph)
        focus = own_subjects(index, graph)
        t1 = time.perf_counter()
        report = run_shacl_turbo(data, shapes, focus)
        t2 = time.perf_counter()
        assert report.conforms, (graph.value, report.results[:3])
        assemble += t1 - t0
        check += t2 - t1
        own_triples += own
        context_triples += len(data) - own
    t0 = time.perf_counter()
    shared = shared_nodes(index)
    consistency_data = union_of(index, shared)
    report = run_shacl_turbo(consistency_data, shapes, [n.value for n in shared])
    consistency = time.perf_counter() - t0
    timings.update({
        "per_source_total": time.perf_counter() - start,
        "assemble_graphs_with_context": assemble,
        "shacl_per_graph": check,
        "consistency_on_shared_nodes": consistency,
        "graphs": len(index.kinds),
        "own_triples": own_triples,
        "context_triples": context_triples,
        "shared_nodes": len(shared),
        "consistency_triples": len(consistency_data),
    })
    return timings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.validation",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--project-dir", type=Path, required=True)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out", type=Path, default=None, help="JSON (bench/results/…)")
    args = parser.parse_args(argv)
    settings = Settings(project_dir=args.project_dir, base="http://localhost:8000/")
    prepared = prepare(settings)
    shapes = to_rdflib_graph(prepared.shapes)
    ontology = ox.NamedNode(settings.ontology_iri)
    rounds = [one_round(prepared.dataset, settings.base, ontology, shapes)
              for _ in range(args.rounds)]
    median = {key: statistics.median(r[key] for r in rounds) for key in rounds[0]}
    print(f"{len(prepared.dataset):,} quads, {median['graphs']:.0f} graphs, "
          f"{median['shared_nodes']:.0f} nodes shared by two or more graphs; "
          f"median of {args.rounds} rounds")
    print("| validation | s | ÷ union |\n|---|---:|---:|")
    for key in ("union", "per_source_total", "assemble_graphs_with_context",
                "shacl_per_graph", "consistency_on_shared_nodes"):
        print(f"| {key.replace('_', ' ')} | {median[key]:.2f} | "
              f"{median[key] / median['union']:.2f} |")
    print(f"context added to the graphs: {median['context_triples']:,.0f} triples "
          f"({median['context_triples'] / median['own_triples']:.2f} per own triple)")
    record: dict[str, Any] = {"benchmark": "validation", "machine": harness.machine_info(),
                              "project": str(args.project_dir),
                              "quads": len(prepared.dataset), "rounds": rounds,
                              "median": median}
    print(f"wrote {harness.write_results('validation', record, args.out)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
