"""The fact files' schema is derived from the JSON-LD context: keys are declared once.

Unknown keys and values of the wrong shape are errors at their file and line; a term
added to the context is a key at once, with no code change; the key reference in
``data/README.md`` is generated from the same schema and must not go stale.
"""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema_rs
import pytest

from publisher.cli import main
from publisher.pipeline import key_reference
from publisher.pipeline.build import BuildFailed, build, fact_checker
from publisher.pipeline.fact_schema import Complement, ContextNotSupported, derive_schema
from publisher.pipeline.facts import FactFileError, read_fact_file
from publisher.pipeline.mapping import load_context, parse_turtle_dir
from publisher.settings import Settings
from tests.conftest import ROOT

RUBIO = "data/sources/001-bernama-lavrov-rubio-meeting-being-finalised.yaml"
MEETING = "record event/2025-07-10-lavrov-rubio-kuala-lumpur"


def _settings(project: Path) -> Settings:
    return Settings(project_dir=project, store_dir=project / "var" / "store")


def _edit(project: Path, relative: str, old: str, new: str) -> None:
    path = project / relative
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _problems(project: Path) -> list[str]:
    with pytest.raises(BuildFailed) as failure:
        build(_settings(project), progress=lambda _line: None)
    assert failure.value.stage == "mapping" and not failure.value.environment
    return failure.value.problems


def _line_of(project: Path, relative: str, text: str) -> int:
    lines = (project / relative).read_text(encoding="utf-8").splitlines()
    return next(number for number, line in enumerate(lines, 1) if text in line)


def _checker(project: Path = ROOT):
    settings = Settings(project_dir=project)
    return fact_checker(settings, load_context(settings.mappings_dir),
                        parse_turtle_dir(settings.ontology_dir, settings.base, None))


def test_a_misspelt_key_is_an_error_at_its_line_not_a_new_property(project_copy, capsys):
    _edit(project_copy, RUBIO, "    participants:\n", "    atendees:\n")
    line = _line_of(project_copy, RUBIO, "atendees:")
    assert _problems(project_copy) == [
        f"{RUBIO}:{line} ({MEETING}): unknown key `atendees`: keys are the terms of "
        "mappings/context.jsonld, listed in data/README.md"]
    args = ["build", "--project-dir", str(project_copy),
            "--store-dir", str(project_copy / "var" / "store")]
    assert main(args) == 1
    assert "unknown key `atendees`" in capsys.readouterr().err
    assert not (project_copy / "var" / "store").exists()


def test_a_near_miss_gets_a_suggestion(project_copy):
    _edit(project_copy, RUBIO, "    participants:\n", "    participant:\n")
    assert "unknown key `participant` (did you mean `participants`?)" in \
        _problems(project_copy)[0]


def test_a_list_where_one_value_belongs_is_an_error(project_copy):
    _edit(project_copy, "data/reference/people.yaml", "label: Sergey Lavrov,",
          "label: [Sergey Lavrov, Lavrov, S. Lavrov],")
    line = _line_of(project_copy, "data/reference/people.yaml", "S. Lavrov")
    assert _problems(project_copy) == [
        f"data/reference/people.yaml:{line} (record person/sergey-lavrov): `label` takes one "
        "value (English text), not a list of 3: write one value, or declare the key with "
        "\"@container\": \"@set\" in mappings/context.jsonld"]


def test_values_of_the_wrong_shape_are_errors_in_nested_records_too(project_copy):
    _edit(project_copy, RUBIO, "    participants:\n      - {agent: person/sergey-lavrov,",
          "    participants:\n      - {agent: person/sergey lavrov, capacty: post/x,")
    _edit(project_copy, RUBIO, "type: BilateralMeeting", "type: [BilateralMeting, Talks]")
    _edit(project_copy, RUBIO, "dateStatus: ", "dateStatus: maybe\n    datePrecision: ")
    problems = "\n".join(_problems(project_copy))
    assert "`participants[1].agent` must be a reference: kind/slug (person/sergey-lavrov) " \
           "or an absolute IRI, not \"person/sergey lavrov\"" in problems
    assert "unknown key `capacty` (did you mean `capacity`?)" in problems
    assert "unknown type `BilateralMeting` (did you mean `BilateralMeeting`?)" in problems
    assert "`dateStatus` must be one of stated, resolved, inferred, not \"maybe\"" in problems


def test_every_problem_of_every_file_is_reported_at_once(project_copy):
    _edit(project_copy, RUBIO, "    participants:\n", "    atendees:\n")
    _edit(project_copy, "data/reference/countries.yaml", "iso2: MY,", "iso2: [MY],")
    problems = _problems(project_copy)
    assert any(p.startswith("data/reference/countries.yaml:") for p in problems)
    assert any(p.startswith(RUBIO) for p in problems)


def test_an_empty_list_and_an_empty_value_are_errors(tmp_path):
    path = tmp_path / "empty.yaml"
    path.write_text("id: graph/x\nfacts:\n  - id: event/a\n    topics: []\n"
                    "  - {id: tenure/a, label: Sergey Lavrov, Minister}\n", encoding="utf-8")
    with pytest.raises(FactFileError) as error:
        read_fact_file(path, tmp_path, checker=_checker())
    assert error.value.problems == [
        "empty.yaml:4 (record event/a): `topics` is an empty list: give at least one value, "
        "or leave the key out",
        "empty.yaml:5 (record tenure/a): field `Minister` has no value (in a `{…}` record, "
        "quote any value that contains a comma)"]


def test_records_need_an_id(tmp_path):
    path = tmp_path / "anonymous.yaml"
    path.write_text("id: graph/x\nfacts:\n  - {type: Meeting, label: A meeting}\n",
                    encoding="utf-8")
    with pytest.raises(FactFileError) as error:
        read_fact_file(path, tmp_path, checker=_checker())
    assert error.value.problems == ["anonymous.yaml:3 (record 1): a record needs `id`"]


def test_the_shipped_data_conforms_and_the_schema_is_valid_json_schema():
    checker = _checker()
    jsonschema_rs.meta.validate(checker.fact_schema.schema)
    for path in sorted((ROOT / "data").rglob("*.yaml")):
        read_fact_file(path, ROOT, checker=checker)


def test_a_new_context_term_is_a_key_without_code_changes(project_copy):
    """What another change adding record kinds and keys relies on."""
    context_path = project_copy / "mappings" / "context.jsonld"
    document = json.loads(context_path.read_text(encoding="utf-8"))
    document["@context"].update({
        "Quote": "schema:Quotation",
        "quotes": {"@id": "quote", "@container": "@set", "@context": {
            "text": {"@id": "schema:text", "@language": "en"},
            "spokenBy": {"@id": "schema:spokenByCharacter", "@type": "@id"},
            "original": {"@id": "originalText", "@container": "@language"},
        }},
        "amount": {"@id": "amount", "@type": "xsd:decimal"},
    })
    context_path.write_text(json.dumps(document, indent=2), encoding="utf-8")
    settings = Settings(project_dir=project_copy)
    fact_schema, _ = key_reference.schema_and_meanings(settings)
    assert "Quote" in fact_schema.classes
    keys = {(k.scope, k.name): k for k in fact_schema.keys}
    assert keys[("", "quotes")].many and keys[("quotes", "text")].value == "English text"
    assert keys[("quotes", "original")].value == "a map from language tag to text"
    checker = _checker(project_copy)
    good = project_copy / "good.yaml"
    good.write_text(
        "id: graph/x\nfacts:\n  - id: event/a\n    type: [Meeting, Quote]\n    amount: 1.5\n"
        "    quotes:\n      - {text: We agreed., spokenBy: person/sergey-lavrov,"
        " original: {ru: Мы договорились.}}\n", encoding="utf-8")
    read_fact_file(good, project_copy, checker=checker)
    bad = project_copy / "bad.yaml"
    bad.write_text(
        "id: graph/x\nfacts:\n  - id: event/a\n    amount: lots\n"
        "    quotes:\n      - {txt: We agreed.}\n", encoding="utf-8")
    with pytest.raises(FactFileError) as error:
        read_fact_file(bad, project_copy, checker=checker)
    assert error.value.problems == [
        "bad.yaml:4 (record event/a): `amount` must be a decimal number, not \"lots\"",
        "bad.yaml:6 (record event/a): unknown key `txt` (did you mean `text`?): keys are the "
        "terms of mappings/context.jsonld, listed in data/README.md"]
    section = key_reference.current(settings)
    assert "| `quotes` | a nested record | yes | `dip:quote` |" in section
    assert "#### Inside `quotes`" in section and "| `spokenBy` |" in section


def test_keys_a_type_requires_come_from_the_complement(project_copy):
    keys_file = project_copy / "mappings" / "keys.yaml"
    keys_file.write_text(keys_file.read_text(encoding="utf-8").replace(
        "required-by-type: {}", "required-by-type:\n  Tenure: [holder, post]"),
        encoding="utf-8")
    _edit(project_copy, "data/sources/002-nst-pm-leads-charge-brics.yaml",
          "    holder: person/ngozi-okonjo-iweala\n", "")
    problems = _problems(project_copy)
    assert len(problems) == 1
    assert "(record tenure/ngozi-okonjo-iweala-director-general-wto): a record of type Tenure" \
           " needs `holder`" in problems[0]


def test_features_the_schema_cannot_follow_are_named():
    with pytest.raises(ContextNotSupported, match="term 'x': @container"):
        derive_schema({"facts": "@graph", "x": {"@id": "x", "@container": "@index"}})
    with pytest.raises(ContextNotSupported, match="type-scoped contexts"):
        derive_schema({"facts": "@graph", "Quote": {"@id": "q", "@context": {"a": "b"}}})
    with pytest.raises(ContextNotSupported, match="@reverse"):
        derive_schema({"facts": "@graph", "x": {"@reverse": "y"}})
    assert Complement().required == ["id"]


def test_the_key_reference_in_data_readme_is_current():
    readme = (ROOT / "data" / "README.md").read_text(encoding="utf-8")
    section = key_reference.current(Settings(project_dir=ROOT))
    assert key_reference.replace_section(readme, section) == readme, \
        "data/README.md is stale: run `python -m publisher.pipeline.key_reference --write`"


def test_the_json_schema_is_printed_for_editors(capsys):
    assert key_reference.main(["--project-dir", str(ROOT), "--json-schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert "participants" in schema["$defs"]["fact"]["properties"]


def test_a_broken_complement_is_named(project_copy):
    keys_file = project_copy / "mappings" / "keys.yaml"
    keys_file.write_text(keys_file.read_text(encoding="utf-8") + "requried-by-typ: {}\n",
                         encoding="utf-8")
    problems = _problems(project_copy)
    assert len(problems) == 1 and "mappings/keys.yaml: unknown entries ['requried-by-typ']" \
        in problems[0]
    keys_file.write_text("a: &x [1]\nb: *x\n", encoding="utf-8")
    assert _problems(project_copy) == [
        "mappings/keys.yaml:2: YAML aliases (*name) are not allowed in fact files: write the "
        "value out"]
