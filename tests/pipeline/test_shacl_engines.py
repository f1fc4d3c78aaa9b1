"""The build's SHACL engine (pyshacl-turbo) must judge our data exactly as pyshacl does.

pyshacl is the reference implementation; the build uses pyshacl-turbo because it is
fast enough for a million triples. Each case breaks the shipped data in one way and
checks that both engines report the same results (focus node, path, value, message,
severity, shape, constraint component) on what the build validates: every graph alone
with its context, and the union on the nodes graphs share. A divergence on our shapes
fails here first.
"""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

from publisher.pipeline import build as build_module
from publisher.pipeline.build import prepare
from publisher.pipeline.per_source import validate_sources
from publisher.pipeline.shacl import (
    ShaclResult,
    run_shacl,
    run_shacl_turbo,
    to_rdflib_graph,
)
from publisher.settings import Settings

SOURCE_000 = "data/sources/000-thesun-malaysia-russia-education-security.yaml"
SOURCE_004 = "data/sources/004-russian-mfa-lavrov-asean-vientiane-kuala-lumpur-2024.yaml"
BRICS = "data/sources/002-nst-pm-leads-charge-brics.yaml"
HEALTH = "data/sources/002-nst-global-health-climate-equity-brics.yaml"

CASES = {
    "shipped data": [],
    "ill-formed month": [(SOURCE_004, 'month: "2024-05"\n    dateStatus: stated',
                          'month: "May 2024"\n    dateStatus: stated')],
    "dangling reference": [(SOURCE_000, "agent: person/mohamad-hasan,",
                            "agent: person/mohamad-hassan,")],
    "span ends before it begins": [(BRICS, 'during: {from: {month: "2021-03", dateStatus: stated}}',
                                    'during: {from: {month: "2021-03", dateStatus: stated}, '
                                    'to: {year: "2020", dateStatus: stated}}')],
    "one participant": [(SOURCE_000, "      - {agent: person/sergey-lavrov, capacity: "
                         "post/foreign-minister-rus, represents: country/RUS}\n    topics",
                         "    topics")],
    "precision does not match": [(SOURCE_004, 'month: "2024-05"\n    dateStatus: stated',
                                  'month: "2024-05"\n    datePrecision: day\n'
                                  '    dateStatus: stated')],
    "bad sameAs and place as participant": [
        ("data/reference/countries.yaml", '"http://www.wikidata.org/entity/Q833"]}',
         '"http://dbpedia.org/resource/Malaysia"]}'),
        (SOURCE_000, "agent: person/mohamad-hasan,", "agent: place/kuala-lumpur,"),
    ],
    "two sources disagree": [(HEALTH, "    inSeries: organization/brics\n    place",
                              '    inSeries: organization/brics\n    year: "2024"\n'
                              '    dateStatus: stated\n    place')],
}


# Where the engines differ, the reference is wrong: "May 2024"^^xsd:gYearMonth is an
# ill-formed literal, so it fails sh:datatype xsd:gYearMonth and with it the whole sh:or
# (SHACL 4.1.1). rdflib does not check gYearMonth lexical forms, so pyshacl misses that
# result; the shapes' sh:pattern catches the value with both engines.
TURBO_ONLY = {
    "ill-formed month": [("http://localhost:8000/ontology#date", "May 2024",
                          "OrConstraintComponent")],
}


def _comparable(result: ShaclResult) -> tuple:
    # pyshacl-turbo quotes the shape in one default message: `Shape '<…>'` for `Shape <…>`.
    message = result.message.replace("Shape '<", "Shape <").replace(">'.", ">.")
    return (result.focus if not result.focus_is_blank else "_:",
            result.path, result.value, message, result.severity, result.shape,
            result.component)


def _turbo(data, shapes, focus):
    return run_shacl_turbo(data, shapes, focus)


def _reference(data, shapes, focus):
    return run_shacl(to_rdflib_graph(data), shapes, focus_nodes=focus)


#: Cases the fact files' schema refuses before SHACL sees them; the shapes must still
#: catch them, in submissions to the validation service, which have no YAML behind them.
SCHEMA_CATCHES = {"ill-formed month"}


@pytest.mark.parametrize("case", CASES)
def test_both_engines_report_the_same_results(case: str, project_copy: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """What the build validates (each graph alone, then the union where graphs meet)."""
    if case in SCHEMA_CATCHES:
        monkeypatch.setattr(build_module, "fact_checker", lambda *_args: None)
    for relative, old, new in CASES[case]:
        path = project_copy / relative
        text = path.read_text(encoding="utf-8")
        assert old in text
        path.write_text(text.replace(old, new, 1), encoding="utf-8")
    settings = Settings(project_dir=project_copy, base="http://localhost:8000/")
    prepared = prepare(settings)
    shapes = to_rdflib_graph(prepared.shapes)
    ontology = ox.NamedNode(settings.ontology_iri)
    turbo = validate_sources(prepared.dataset, settings.base, ontology, shapes, _turbo)
    reference = validate_sources(prepared.dataset, settings.base, ontology, shapes, _reference)
    turbo_results = [r for c in turbo.checks for r in c.results] + [
        d.result for d in turbo.disagreements]
    reference_results = [r for c in reference.checks for r in c.results] + [
        d.result for d in reference.disagreements]
    expected = sorted(map(_comparable, reference_results), key=repr)
    extra = [r for r in map(_comparable, turbo_results) if r not in expected]
    assert [(r[1], r[2], r[6]) for r in extra] == TURBO_ONLY.get(case, [])
    assert sorted((r for r in map(_comparable, turbo_results) if r not in extra),
                  key=repr) == expected
    assert len(turbo.disagreements) == len(reference.disagreements) == (
        2 if case == "two sources disagree" else 0)
    assert bool(turbo_results) == (case != "shipped data")
