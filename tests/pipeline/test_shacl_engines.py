"""The build's SHACL engine (pyshacl-turbo) must judge our data exactly as pyshacl does.

pyshacl is the reference implementation; the build uses pyshacl-turbo because it is
fast enough for a million triples. Each case breaks the shipped data in one way and
checks that both engines report the same results (focus node, path, value, message,
severity, shape, constraint component), so a divergence on our shapes fails here first.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from publisher.pipeline import build as build_module
from publisher.pipeline.build import prepare
from publisher.pipeline.shacl import (
    ShaclResult,
    run_shacl,
    run_shacl_turbo,
    to_rdflib_graph,
)
from publisher.settings import Settings

SOURCE_000 = "data/sources/000-thesun-malaysia-russia-education-security.yaml"
BRICS = "data/sources/002-nst-anwar-at-17th-brics-summit.yaml"

CASES = {
    "shipped data": [],
    "ill-formed month": [(SOURCE_000, 'month: "2025-07"\n    dateStatus: inferred',
                          'month: "July 2025"\n    dateStatus: inferred')],
    "dangling reference": [(SOURCE_000, "agent: person/mohamad-hasan,",
                            "agent: person/mohamad-hassan,")],
    "span ends before it begins": [(BRICS, 'during: {from: {month: "2021-03"}}',
                                    'during: {from: {month: "2021-03"}, to: {year: "2020"}}')],
    "one participant": [(SOURCE_000, "      - {agent: person/sergey-lavrov, capacity: "
                         "post/foreign-minister-rus, represents: country/RUS}\n    topics",
                         "    topics")],
    "precision does not match": [(SOURCE_000, 'month: "2025-07"\n    dateStatus: inferred',
                                  'month: "2025-07"\n    datePrecision: day\n'
                                  '    dateStatus: inferred')],
    "bad ISO code and place as participant": [
        ("data/reference/countries.yaml", "iso3: MYS", "iso3: MY5"),
        (SOURCE_000, "agent: person/mohamad-hasan,", "agent: place/kuala-lumpur,"),
    ],
}


# Where the engines differ, the reference is wrong: "July 2025"^^xsd:gYearMonth is an
# ill-formed literal, so it fails sh:datatype xsd:gYearMonth and with it the whole sh:or
# (SHACL 4.1.1). rdflib does not check gYearMonth lexical forms, so pyshacl misses that
# result; the shapes' sh:pattern catches the value with both engines.
TURBO_ONLY = {
    "ill-formed month": [("http://localhost:8000/ontology#date", "July 2025",
                          "OrConstraintComponent")],
}


def _comparable(result: ShaclResult) -> tuple:
    # pyshacl-turbo quotes the shape in one default message: `Shape '<…>'` for `Shape <…>`.
    message = result.message.replace("Shape '<", "Shape <").replace(">'.", ">.")
    return (result.focus if not result.focus_is_blank else "_:",
            result.path, result.value, message, result.severity, result.shape,
            result.component)


#: Cases the fact files' schema refuses before SHACL sees them; the shapes must still
#: catch them, in submissions to the validation service, which have no YAML behind them.
SCHEMA_CATCHES = {"ill-formed month"}


@pytest.mark.parametrize("case", CASES)
def test_both_engines_report_the_same_results(case: str, project_copy: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    if case in SCHEMA_CATCHES:
        monkeypatch.setattr(build_module, "fact_checker", lambda *_args: None)
    for relative, old, new in CASES[case]:
        path = project_copy / relative
        text = path.read_text(encoding="utf-8")
        assert old in text
        path.write_text(text.replace(old, new, 1), encoding="utf-8")
    prepared = prepare(Settings(project_dir=project_copy, base="http://localhost:8000/"))
    shapes = to_rdflib_graph(prepared.shapes)
    reference = run_shacl(to_rdflib_graph(prepared.dataset), shapes)
    turbo = run_shacl_turbo(prepared.dataset, shapes)  # exactly what the build validates
    expected = sorted(map(_comparable, reference.results))
    extra = [r for r in map(_comparable, turbo.results) if r not in expected]
    assert [(r[1], r[2], r[6]) for r in extra] == TURBO_ONLY.get(case, [])
    assert sorted(r for r in map(_comparable, turbo.results) if r not in extra) == expected
    assert turbo.conforms == reference.conforms == (case == "shipped data")
