"""The build: what lands in the store, and how failures are reported and contained."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyoxigraph as ox
import pytest

from publisher.cli import main
from publisher.pipeline import build as build_module
from publisher.pipeline import load as load_module
from publisher.pipeline.build import BuildFailed, build
from publisher.pipeline.facts import FactFileError, read_fact_file
from publisher.settings import Settings

from .conftest import BASE, select

SOURCE_000 = "data/sources/000-thesun-malaysia-russia-education-security.yaml"
SOURCE_004 = "data/sources/004-russian-mfa-lavrov-asean-vientiane-kuala-lumpur-2024.yaml"
BRICS = "data/sources/002-nst-pm-leads-charge-brics.yaml"
TALKS_000 = "event/2025-07-mohamad-hasan-lavrov-kuala-lumpur"


def record_line(relative: str, record_id: str) -> int:
    """The line of a record in a shipped file (so tests do not hard-code line numbers)."""
    fact_file = read_fact_file(Path(__file__).parents[2] / relative)
    return next(r.line for r in fact_file.records if r.id == record_id)


def _settings(project: Path, base: str = BASE) -> Settings:
    return Settings(project_dir=project, store_dir=project / "var" / "store", base=base)


def _quiet(_line: str) -> None:
    pass


def test_build_publishes_every_source_as_a_named_graph_with_provenance(built, store) -> None:
    _settings_, result = built
    graphs = {g.value for g in store.named_graphs()}
    sources = sorted(p.stem for p in (Path(__file__).parents[2] / "data/sources").glob("*.yaml"))
    for stem in sources:
        graph_id = re.sub(r"^(\d{3}-[a-z0-9-]+)$", r"\1", stem)
        assert any(g.endswith("/id/graph/" + graph_id[:3]) or "/id/graph/" + graph_id[:3] in g
                   for g in graphs), stem
    rows = select(store, """
        PREFIX prov: <http://www.w3.org/ns/prov#>
        SELECT ?g ?article WHERE { ?g a <ontology#SourceGraph> ; prov:wasDerivedFrom ?article }""")
    assert len(rows) == len(sources)
    assert result.stats["entities_per_class"][BASE + "ontology#SourceGraph"] == len(sources)


def test_which_source_says_lavrov_met_wang_yi_on_25_july_2024(store) -> None:
    rows = select(store, """
        PREFIX dip: <ontology#>
        PREFIX prov: <http://www.w3.org/ns/prov#>
        PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
        SELECT DISTINCT ?article WHERE {
          GRAPH ?g { ?m dip:participant <id/person/sergey-lavrov>, <id/person/wang-yi> ;
                        dip:date "2024-07-25"^^xsd:date }
          ?g prov:wasDerivedFrom ?article }""")
    assert rows == [(BASE + "id/article/russian-mfa-lavrov-asean-vientiane-kuala-lumpur-2024",)]


def test_dates_are_typed_and_precision_is_derived(store) -> None:
    rows = select(store, """
        PREFIX dip: <ontology#>
        SELECT ?date ?precision ?status WHERE {
          <id/event/2024-05-putin-xi-beijing> dip:date ?date ;
              dip:datePrecision ?precision ; dip:dateStatus ?status }""")
    assert rows == [("2024-05", BASE + "ontology#MonthPrecision", BASE + "ontology#Stated")]
    plain = select(store, """
        PREFIX dip: <ontology#>
        SELECT ?d WHERE {
          ?e dip:date ?d FILTER(DATATYPE(?d) = <http://www.w3.org/2001/XMLSchema#string>)
        }""")
    assert plain == []


def test_each_date_has_its_status_and_precision(store) -> None:
    """Bounds of a period and publication dates too, not only the date of an event."""
    bound = select(store, """
        PREFIX dip: <ontology#>
        PREFIX time: <http://www.w3.org/2006/time#>
        SELECT ?year ?status ?precision WHERE {
          <id/membership/asean-russia-coordinator-khm> <http://www.w3.org/ns/org#memberDuring>
              [ time:hasBeginning ?start ; time:hasEnd ?end ] .
          ?start time:inXSDgYear ?year ; dip:dateStatus ?status ; dip:datePrecision ?precision
        }""")
    assert bound == [("2021", BASE + "ontology#Inferred", BASE + "ontology#YearPrecision")]
    published = select(store, """
        PREFIX dip: <ontology#>
        SELECT ?date ?status ?precision WHERE {
          <id/article/bernama-kl-gears-up-for-asean-ministerial-week>
              <http://schema.org/datePublished> ?date ;
              dip:publicationDateStatus ?status ; dip:publicationDatePrecision ?precision }""")
    assert published == [("2025-07-07", BASE + "ontology#Inferred",
                           BASE + "ontology#DayPrecision")]


def test_relative_dates_are_resolved_not_stated(store) -> None:
    """"Thursday" and "Today" give resolved dates; "July 10 to 11" is stated, to the day."""
    rows = dict(select(store, """
        PREFIX dip: <ontology#>
        SELECT ?e ?status WHERE {
          VALUES ?e { <id/event/2025-07-10-lavrov-rubio-kuala-lumpur>
                      <id/event/2024-07-28-russia-malaysia-talks-kuala-lumpur>
                      <id/event/2025-07-10-lavrov-asean-ministerial-meetings-kuala-lumpur> }
          ?e dip:dateStatus ?status }"""))
    assert rows == {
        BASE + "id/event/2025-07-10-lavrov-rubio-kuala-lumpur": BASE + "ontology#Resolved",
        BASE + "id/event/2024-07-28-russia-malaysia-talks-kuala-lumpur":
            BASE + "ontology#Resolved",
        BASE + "id/event/2025-07-10-lavrov-asean-ministerial-meetings-kuala-lumpur":
            BASE + "ontology#Stated",
    }
    span = select(store, """
        PREFIX dip: <ontology#>
        SELECT ?start ?end ?precision WHERE {
          <id/event/2025-07-10-lavrov-asean-ministerial-meetings-kuala-lumpur>
              dip:startDate ?start ; dip:endDate ?end ; dip:datePrecision ?precision }""")
    assert span == [("2025-07-10", "2025-07-11", BASE + "ontology#DayPrecision")]


def test_countries_carry_iso_codes_and_stable_ids(store) -> None:
    rows = select(store, """
        PREFIX dip: <ontology#>
        SELECT ?a2 ?a3 WHERE { <id/country/MYS> dip:iso3166Alpha2 ?a2 ; dip:iso3166Alpha3 ?a3 }""")
    assert rows == [("MY", "MYS")]


def test_base_iri_is_configurable_and_nothing_mentions_the_default_host(project_copy) -> None:
    settings = _settings(project_copy, base="https://diplomacy.example.org/data/")
    build(settings, progress=_quiet)
    store = ox.Store.read_only(str(settings.store_dir.resolve()))
    iris = set()
    for quad in store.quads_for_pattern(None, None, None, None):
        for term in (quad.subject, quad.predicate, quad.object, quad.graph_name):
            if isinstance(term, ox.NamedNode):
                iris.add(term.value)
    assert not [i for i in iris if "localhost" in i]
    assert "https://diplomacy.example.org/data/id/person/sergey-lavrov" in iris
    assert "https://diplomacy.example.org/data/ontology#BilateralMeeting" in iris


def _edit(project: Path, relative: str, old: str, new: str) -> None:
    path = project / relative
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_invalid_fact_is_rejected_with_file_line_and_record(project_copy) -> None:
    record = "event/2024-07-25-lavrov-wang-yi-vientiane"
    _edit(project_copy, SOURCE_004, 'date: "2024-07-25"\n    dateStatus: stated\n    place',
          'date: "July 25 2024"\n    dateStatus: stated\n    place')
    with pytest.raises(BuildFailed) as failure:
        build(_settings(project_copy), progress=_quiet)
    # The form of a date is known from the context: caught before mapping, at its line.
    assert failure.value.stage == "mapping"
    line = 1 + next(i for i, text in enumerate(
        (project_copy / SOURCE_004).read_text(encoding="utf-8").splitlines())
        if 'date: "July 25 2024"' in text)
    assert failure.value.problems == [
        f"{SOURCE_004}:{line} (record {record}): `date` must be a date, YYYY-MM-DD, "
        'not "July 25 2024"']


def test_dangling_reference_is_caught(project_copy) -> None:
    _edit(project_copy, SOURCE_000, "agent: person/mohamad-hasan,", "agent: person/mohamad-hassan,")
    with pytest.raises(BuildFailed) as failure:
        build(_settings(project_copy), progress=_quiet)
    problems = "\n".join(failure.value.problems)
    assert "id/person/mohamad-hassan" in problems
    # the shape is named for a person to find it: the node shape and the property's name
    assert "[shape:ParticipationShape › agent, ClassConstraintComponent]" in problems
    assert f"{SOURCE_000}:{record_line(SOURCE_000, TALKS_000)} (record {TALKS_000})" in problems


def test_time_span_ending_before_it_begins_is_caught(project_copy) -> None:
    _edit(project_copy, BRICS, 'during: {from: {month: "2021-03", dateStatus: stated}}',
          'during: {from: {month: "2021-03", dateStatus: stated}, '
          'to: {year: "2020", dateStatus: stated}}')
    with pytest.raises(BuildFailed) as failure:
        build(_settings(project_copy), progress=_quiet)
    problems = "\n".join(failure.value.problems)
    assert "ends (2020) before it begins (2021-03)" in problems
    assert "record tenure/ngozi-okonjo-iweala-director-general-wto" in problems


def test_meeting_needs_two_participants(project_copy) -> None:
    _edit(project_copy, SOURCE_000,
          "      - {agent: person/sergey-lavrov, capacity: post/foreign-minister-rus, "
          "represents: country/RUS}\n    topics",
          "    topics")
    with pytest.raises(BuildFailed) as failure:
        build(_settings(project_copy), progress=_quiet)
    problems = "\n".join(failure.value.problems)
    assert "at least two participants" in problems
    assert "bilateral meeting has two sides" in problems


def test_yaml_error_names_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: graph/x\nfacts:\n  - {id: event/a, label: [unclosed\n", encoding="utf-8")
    with pytest.raises(FactFileError, match=r"bad.yaml:\d+:\d+: not valid YAML"):
        read_fact_file(bad)


def test_unquoted_comma_in_a_flow_record_is_not_silently_dropped(tmp_path: Path) -> None:
    bad = tmp_path / "comma.yaml"
    bad.write_text("id: graph/x\nfacts:\n  - {id: tenure/a, type: Tenure,"
                   " label: Sergey Lavrov, Minister of Foreign Affairs}\n", encoding="utf-8")
    with pytest.raises(FactFileError,
                       match=r"comma.yaml:3: record tenure/a: field `Minister of Foreign Affairs`"
                             r" has no value"):
        read_fact_file(bad)


def test_labels_with_commas_survive_the_mapping(store) -> None:
    rows = select(store, """
        PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
        SELECT DISTINCT ?label WHERE {
          <id/tenure/sergey-lavrov-foreign-minister-rus> rdfs:label ?label
        }""")
    assert {row[0] for row in rows} == {"Sergey Lavrov, Minister of Foreign Affairs of Russia"}


def _built_then_changed(project_copy: Path) -> tuple[Settings, str]:
    """A live build, then a valid edit, so the next build has something new to publish."""
    settings = _settings(project_copy)
    build(settings, progress=_quiet)
    _edit(project_copy, SOURCE_000, "label: Talks between Mohamad Hasan",
          "label: Changed talks between Mohamad Hasan")
    return settings, os.readlink(settings.store_dir)


def test_interrupted_build_leaves_the_live_store_intact(project_copy) -> None:
    settings, live_before = _built_then_changed(project_copy)
    first_triples = len(ox.Store.read_only(str(settings.store_dir.resolve())))

    def interrupt(_partial: Path) -> None:
        raise KeyboardInterrupt  # as if the process were stopped mid-build

    with pytest.raises(KeyboardInterrupt):
        build(settings, progress=_quiet, before_publish=interrupt)
    assert os.readlink(settings.store_dir) == live_before
    store = ox.Store.read_only(str(settings.store_dir.resolve()))
    assert len(store) == first_triples
    assert not list(settings.builds_dir.glob("*.partial"))  # the half-built store is gone
    # What a killed build leaves (it cannot clean up) the next build clears away.
    (settings.builds_dir / "20250101T000000Z-killed.partial").mkdir()
    (settings.builds_dir / "20250101T000000Z-killed.nq.partial").write_text("<a> <b> <c> .")
    build(settings, progress=_quiet)
    assert not list(settings.builds_dir.glob("*.partial"))
    assert os.readlink(settings.store_dir) != live_before


def test_failed_validation_leaves_the_live_store_intact(project_copy) -> None:
    settings = _settings(project_copy)
    build(settings, progress=_quiet)
    live_before = os.readlink(settings.store_dir)
    _edit(project_copy, "data/reference/countries.yaml", "iso3: MYS,", "iso3: mys,")
    with pytest.raises(BuildFailed):
        build(settings, progress=_quiet)
    assert os.readlink(settings.store_dir) == live_before
    # The store loaded alongside validation is thrown away, not left for later.
    assert not list(settings.builds_dir.glob("*.partial"))
    assert len([p for p in settings.builds_dir.iterdir() if p.is_dir()]) == 1


def test_validation_crashing_discards_the_store_loaded_alongside(project_copy,
                                                                monkeypatch) -> None:
    settings, live_before = _built_then_changed(project_copy)

    def crash(*_args: object) -> None:
        raise RuntimeError("validator crashed")

    monkeypatch.setattr(build_module, "validate", crash)
    with pytest.raises(RuntimeError, match="validator crashed"):
        build(settings, progress=_quiet)
    assert os.readlink(settings.store_dir) == live_before
    assert not list(settings.builds_dir.glob("*.partial"))


def test_cli_build_exit_codes(project_copy, capsys) -> None:
    args = ["build", "--project-dir", str(project_copy),
            "--store-dir", str(project_copy / "var" / "store")]
    assert main(args) == 0
    assert "triples per graph" in capsys.readouterr().out
    _edit(project_copy, "data/reference/countries.yaml", "label: Malaysia, iso2: MY,",
          "iso2: MY,")  # a country without its name
    assert main(args) == 1
    err = capsys.readouterr().err
    assert "BUILD FAILED at validation" in err and "data/reference/countries.yaml:" in err
    (project_copy / "data/reference/broken.yaml").write_text("id: [", encoding="utf-8")
    assert main(args) == 1  # unreadable facts are the inputs' fault too
    assert "data/reference/broken.yaml:2:1: not valid YAML: while parsing a flow node: did " \
        "not find expected node content\n" in capsys.readouterr().err
    assert main([*args, "--base", "ftp://nowhere/"]) == 2  # usage
    assert main(["build", "--project-dir", str(project_copy / "nothing")]) == 2


def test_stated_precision_must_match_the_date_datatype(project_copy) -> None:
    _edit(project_copy, SOURCE_004, 'month: "2024-05"\n    dateStatus: stated',
          'month: "2024-05"\n    datePrecision: day\n    dateStatus: stated')
    with pytest.raises(BuildFailed) as failure:
        build(_settings(project_copy), progress=_quiet)
    problems = "\n".join(failure.value.problems)
    assert "does not match the datatype of the date 2024-05" in problems


def test_a_failed_load_fails_the_build_and_keeps_the_live_store(project_copy,
                                                                 monkeypatch) -> None:
    settings, live_before = _built_then_changed(project_copy)
    failing = [sys.executable, "-c",
               "import sys; print('writing the store: No space left on device', "
               "file=sys.stderr); sys.exit(1)"]
    monkeypatch.setattr(load_module, "LOADER", failing)
    with pytest.raises(BuildFailed) as failure:
        build(settings, progress=_quiet)
    assert failure.value.stage == "load"
    assert failure.value.problems == ["writing the store: No space left on device"]
    assert os.readlink(settings.store_dir) == live_before
    assert not list(settings.builds_dir.glob("*.partial"))


LOADER_STANDIN = """
import os, sys, time
from publisher.process import die_with_parent
die_with_parent()
open(sys.argv[1], "w").write(str(os.getpid()))
time.sleep(120)
"""

KILLED_BUILD = """
import os, signal, sys, time
from pathlib import Path
import pyoxigraph as ox
from publisher.pipeline import load
from publisher.settings import Settings
pid_file = sys.argv[2]
load.LOADER = [sys.executable, "-c", sys.argv[1], pid_file]
loading = load.Loading(Settings(project_dir=Path(sys.argv[3])), "killed", ox.Store())
while not os.path.exists(pid_file) or not open(pid_file).read():
    time.sleep(0.05)
time.sleep(1.0)  # the writer must outlive the thread's start-up: it is still running
print("alive" if os.path.exists(f"/proc/{open(pid_file).read()}") else "gone", flush=True)
os.kill(os.getpid(), signal.SIGKILL)  # as if the build were killed mid-load
"""


def test_a_killed_build_leaves_no_store_writer_behind(tmp_path: Path) -> None:
    pid_file = tmp_path / "writer.pid"
    run = subprocess.run([sys.executable, "-c", KILLED_BUILD, LOADER_STANDIN, str(pid_file),
                          str(tmp_path)], capture_output=True, text=True, timeout=60)
    assert run.returncode == -signal.SIGKILL, run.stderr
    assert run.stdout.strip() == "alive"
    writer = int(pid_file.read_text())
    deadline = time.monotonic() + 5
    while _running(writer) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _running(writer), "the store writer outlived the build"


def _running(pid: int) -> bool:
    """Alive and not a zombie waiting for a reaper (a container's init may not reap)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"
