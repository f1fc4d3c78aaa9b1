"""The build's statistics are the same whether validation's counts of each graph are
used or every graph is counted again."""

from __future__ import annotations

import json

from publisher.pipeline.build import prepare, statistics, validate


def test_statistics_from_validation_counts_equal_a_count_of_the_store(built) -> None:
    settings, _result = built
    prepared = prepare(settings)
    violations, _warnings = validate(settings, prepared)
    assert not violations
    assert prepared.graph_counts  # every source and reference graph
    assert settings.ontology_iri not in prepared.graph_counts  # counted by the store
    counted = statistics(settings, prepared.dataset, prepared.graph_counts)
    again = statistics(settings, prepared.dataset)
    assert counted == again
    assert counted["triples"] == len(prepared.dataset)
    # most graphs counted, the others counted by the store; or few, and all counted
    for some in (dict(list(prepared.graph_counts.items())[2:]),
                 dict(list(prepared.graph_counts.items())[::5])):
        assert statistics(settings, prepared.dataset, some) == again
    # and what the published build recorded
    info = json.loads((settings.store_dir.resolve() / "build.json").read_text())
    assert {k: info["stats"][k] for k in again} == again
