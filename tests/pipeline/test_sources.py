"""Claims held per source: one node for one claim, each source valid on its own, and a
disagreement between sources a warning that names both, never a failed build."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

from publisher.cli import main
from publisher.pipeline.build import BuildFailed, build, prepare
from publisher.pipeline.per_source import (
    GraphIndex,
    graph_alone,
    own_subjects,
    validate_sources,
)
from publisher.pipeline.shacl import run_shacl_turbo, to_rdflib_graph
from publisher.settings import Settings

from .conftest import BASE

SOURCE_000 = "data/sources/000-thesun-malaysia-russia-education-security.yaml"
SECOND = "data/sources/900-second-source.yaml"
GRAPH = BASE + "id/graph/900-second-source"

#: A second source restating facts of source 000: its own article, its own evidence.
HEADER = """\
id: graph/900-second-source
type: SourceGraph
label: Facts stated by a second report of the same talks
derivedFrom: article/second-report
attributedTo: organization/diplomacy-publisher
created: "2026-11-24"
facts:
  - id: article/second-report
    type: NewsArticle
    headline: A second report of the talks
    publisher: organization/bernama
    sourceFile: 900_0000000000000000.txt
    evidence: ["A second report of the talks"]
"""

SAME_PERIOD_AND_PARTICIPATION = HEADER + """\
  - id: partnership/asean-rus-dialogue
    type: Partnership
    label: ASEAN–Russia dialogue partnership
    partners: [organization/asean, country/RUS]
    level: partnership-level/dialogue-partner
    during: {from: {year: "1996", dateStatus: stated}}
    evidence: ["Russia has been an ASEAN dialogue partner since 1996."]
  - id: event/2025-07-mohamad-hasan-lavrov-kuala-lumpur
    type: [BilateralMeeting, Talks]
    label: Talks between Mohamad Hasan and Sergey Lavrov, Kuala Lumpur
    place: place/kuala-lumpur
    participants:
      - {agent: person/mohamad-hasan, capacity: post/foreign-minister-mys, represents: country/MYS}
      - {agent: person/sergey-lavrov, capacity: post/foreign-minister-rus, represents: country/RUS}
    evidence: ["Mohamad Hasan met Sergey Lavrov in Kuala Lumpur."]
"""

OTHER_DATE = HEADER + """\
  - id: event/2025-07-10-lavrov-rubio-kuala-lumpur
    type: BilateralMeeting
    label: Meeting of Sergey Lavrov and Marco Rubio, Kuala Lumpur, 10 July 2025
    date: "2025-07-11"
    dateStatus: stated
    participants:
      - {agent: person/sergey-lavrov, capacity: post/foreign-minister-rus, represents: country/RUS}
      - {agent: person/marco-rubio, capacity: post/secretary-of-state-usa, represents: country/USA}
    evidence: ["Lavrov and Rubio met on July 11."]
"""


def _settings(project: Path) -> Settings:
    return Settings(project_dir=project, store_dir=project / "var" / "store", base=BASE)


def _store(settings: Settings) -> ox.Store:
    return ox.Store.read_only(str(settings.store_dir.resolve()))


def _rows(store: ox.Store, query: str) -> list[tuple]:
    return [tuple(None if v is None else v.value for v in row)
            for row in store.query(query, base_iri=BASE, use_default_graph_as_union=True)]


def test_two_sources_stating_the_same_period_and_participation_are_one_claim(
        project_copy: Path) -> None:
    (project_copy / SECOND).write_text(SAME_PERIOD_AND_PARTICIPATION, encoding="utf-8")
    settings = _settings(project_copy)
    warnings: list[str] = []
    result = build(settings, progress=lambda line: warnings.append(line)
                   if "warning" in line else None)
    assert warnings == [] and result.warnings == []
    store = _store(settings)
    # One start node, one year, stated by both graphs.
    start = BASE + "id/partnership/asean-rus-dialogue#period-start"
    assert _rows(store, f"""
        PREFIX time: <http://www.w3.org/2006/time#>
        SELECT DISTINCT ?year WHERE {{ <{start}> time:inXSDgYear ?year }}""") == [("1996",)]
    graphs = {g for (g,) in _rows(store, f"""
        PREFIX time: <http://www.w3.org/2006/time#>
        PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
        SELECT ?g WHERE {{ GRAPH ?g {{ <{start}> time:inXSDgYear "1996"^^xsd:gYear }} }}""")}
    assert graphs == {BASE + "id/graph/000-thesun-malaysia-russia-education-security", GRAPH}
    # One participation node per agent, stated by both graphs.
    participation = (BASE + "id/event/2025-07-mohamad-hasan-lavrov-kuala-lumpur"
                     "#participation-person-sergey-lavrov")
    assert len(_rows(store, f"""
        PREFIX dip: <ontology#>
        SELECT ?g WHERE {{ GRAPH ?g {{ <{participation}> dip:agent <id/person/sergey-lavrov> }} }}
        """)) == 2
    assert _rows(store, """
        PREFIX dip: <ontology#>
        SELECT (COUNT(DISTINCT ?p) AS ?n) WHERE {
          <id/event/2025-07-mohamad-hasan-lavrov-kuala-lumpur> dip:participation ?p }""") == [
        ("2",)]
    # Each claim names both sources as the articles its evidence is quoted from.
    sources = {a for (a,) in _rows(store, """
        PREFIX dcterms: <http://purl.org/dc/terms/>
        SELECT DISTINCT ?a WHERE { <id/partnership/asean-rus-dialogue> dcterms:source ?a }""")}
    assert BASE + "id/article/second-report" in sources and len(sources) == 3


def test_two_sources_giving_different_dates_build_warn_and_keep_both(project_copy: Path,
                                                                     capsys) -> None:
    (project_copy / SECOND).write_text(OTHER_DATE, encoding="utf-8")
    args = ["build", "--project-dir", str(project_copy),
            "--store-dir", str(project_copy / "var" / "store")]
    assert main(args) == 0
    out = capsys.readouterr().out
    warning = next(line for line in out.splitlines()
                   if "sources disagree on id/event/2025-07-10-lavrov-rubio-kuala-lumpur dip:date"
                   in line)
    assert "2025-07-10 in data/sources/001-bernama-lavrov-rubio-meeting-being-finalised.yaml" \
        in warning
    assert f"2025-07-11 in {SECOND}" in warning
    # the per-source summary counts the warning on both sources
    summary = {line.split()[-1]: line.split()[-2] for line in out.splitlines()
               if line.strip().endswith(".yaml")}
    assert summary[SECOND] != "0"
    assert summary["data/sources/001-bernama-lavrov-rubio-meeting-being-finalised.yaml"] != "0"
    store = _store(_settings(project_copy))
    dates = set(_rows(store, """
        PREFIX dip: <ontology#>
        SELECT ?g ?date WHERE {
          GRAPH ?g { <id/event/2025-07-10-lavrov-rubio-kuala-lumpur> dip:date ?date } }"""))
    assert dates == {(BASE + "id/graph/001-bernama-lavrov-rubio-meeting-being-finalised",
                      "2025-07-10"), (GRAPH, "2025-07-11")}


def test_every_source_graph_with_the_reference_validates_on_its_own(built) -> None:
    settings, _result = built
    prepared = prepare(settings)
    shapes = to_rdflib_graph(prepared.shapes)
    index = GraphIndex(prepared.dataset, settings.base, ox.NamedNode(settings.ontology_iri))
    sources = [g for g, kind in index.kinds.items() if kind == "source"]
    assert len(sources) == len(list((settings.project_dir / "data/sources").glob("*.yaml")))
    for graph in sources:
        data, own = graph_alone(index, graph)
        # nothing of another source graph is in its data: only reference and ontology
        assert not any(q.graph_name == other for other in sources if other != graph
                       for q in data)
        # the graph's own nodes, given the reference graph and the ontology
        report = run_shacl_turbo(data, shapes, own_subjects(index, graph))
        assert report.conforms, (graph.value, [r.message for r in report.results][:5])
        assert own == len(list(prepared.dataset.quads_for_pattern(None, None, None, graph)))
    checked = validate_sources(prepared.dataset, settings.base,
                               ox.NamedNode(settings.ontology_iri), shapes,
                               lambda data, sh, focus: run_shacl_turbo(data, sh, focus))
    assert all(not check.results for check in checked.checks)
    assert checked.disagreements == [] and checked.shared_nodes > 10


def test_a_source_cannot_borrow_an_event_another_source_describes(project_copy: Path) -> None:
    """Source 000 refers to the 58th AMM; without its own record of it, 000 is invalid,
    although three other sources describe that meeting."""
    path = project_copy / SOURCE_000
    text = path.read_text(encoding="utf-8")
    start = text.index("  - id: event/2025-07-58th-asean-foreign-ministers-meeting")
    end = text.index("  - id: event/2025-07-asean-russia-post-ministerial-conference")
    path.write_text(text[:start] + text[end:], encoding="utf-8")
    with pytest.raises(BuildFailed) as failure:
        build(_settings(project_copy), progress=lambda line: None)
    problems = "\n".join(failure.value.problems)
    assert f"{SOURCE_000}:" in problems
    assert "dip:onSidelinesOf" in problems
    assert "id/event/2025-07-58th-asean-foreign-ministers-meeting" in problems
    assert "001-bernama" not in problems and "002-bernama" not in problems


def test_a_date_status_without_the_date_is_refused(project_copy: Path) -> None:
    path = project_copy / SOURCE_000
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("    note: The article gives no date for the talks.\n",
                                 "    dateStatus: stated\n", 1), encoding="utf-8")
    with pytest.raises(BuildFailed) as failure:
        build(_settings(project_copy), progress=lambda line: None)
    assert "dateStatus without a date" in "\n".join(failure.value.problems)


def test_a_fact_without_evidence_fails_the_build(project_copy: Path) -> None:
    path = project_copy / SOURCE_000
    text = path.read_text(encoding="utf-8")
    old = ('    evidence:\n      - "Malaysia currently chairs ASEAN under the theme '
           '‘Inclusivity and Sustainability.’"\n')
    assert old in text
    path.write_text(text.replace(old, ""), encoding="utf-8")
    with pytest.raises(BuildFailed) as failure:
        build(_settings(project_copy), progress=lambda line: None)
    problems = "\n".join(failure.value.problems)
    assert "(record chairmanship/asean-2025-mys)" in problems
    assert "A fact needs evidence" in problems


def test_a_nested_value_the_rules_cannot_name_is_refused(built) -> None:
    """No blank node may reach the store: a second source could not restate it. (The fact
    schema refuses nested records where the context has no scoped context, so this is
    the last line of defence: checked on mapped quads directly.)"""
    from publisher.pipeline.per_source import remaining_blank_nodes

    settings, _result = built
    prepared = prepare(settings)
    graph = prepared.mapped[-1].graph
    assert remaining_blank_nodes(prepared.dataset, [m.graph for m in prepared.mapped]) == {}
    blank = ox.BlankNode()
    prepared.dataset.add(ox.Quad(ox.NamedNode(BASE + "id/event/x"),
                                 ox.NamedNode(BASE + "ontology#mentions"), blank, graph))
    prepared.dataset.add(ox.Quad(blank, ox.NamedNode(BASE + "ontology#x"), ox.Literal("y"),
                                 graph))
    found = remaining_blank_nodes(prepared.dataset, [graph])
    assert list(found) == [graph] and len(found[graph]) == 2
    from publisher.pipeline.build import validate

    # The quads were planted after the derivation, which saw that graph free of blank
    # nodes; validation trusts what the derivation saw, so it must be told it is stale.
    prepared.blank_free.discard(graph)

    violations, _warnings = validate(settings, prepared)
    assert violations == [f"{prepared.mapped[-1].fact_file.records[0].file}: id/event/x holds "
                          "a nested value the rules of mappings/derive.ru cannot name (2 quads);"
                          " give it an id or a key they know"]


def test_the_build_prints_records_facts_evidence_and_warnings_per_source(project_copy: Path,
                                                                         capsys) -> None:
    args = ["build", "--project-dir", str(project_copy),
            "--store-dir", str(project_copy / "var" / "store")]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "per source:" in out and "records  with evidence    facts  with evidence" in out
    lines = [line.split() for line in out.splitlines() if line.strip().endswith(".yaml")
             and "data/sources/" in line]
    assert len(lines) == len(list((project_copy / "data/sources").glob("*.yaml")))
    for records, with_evidence, facts, facts_evidenced, warnings, _file in lines:
        assert records == with_evidence and facts == facts_evidenced
        assert int(facts) > int(records) > 0 and warnings == "0"
