"""``publisher validate``: exit codes 0/1/2, table and Turtle output, several files."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest
from rdflib import Graph, Literal
from rdflib.namespace import RDF, SH

from publisher.validation_cli import run_validate_cli

from .conftest import EXAMPLES, ROOT

CONFORMING = EXAMPLES / "meeting-conforming.ttl"
NONCONFORMING = EXAMPLES / "meeting-nonconforming.ttl"


def run(settings, *files: Path, fmt: str = "table", input_format: str | None = None,
        standalone: bool = False) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run_validate_cli(settings, list(files), fmt, input_format, standalone, out, err)
    return code, out.getvalue(), err.getvalue()


def test_conforming_exits_0(settings):
    code, out, _ = run(settings, CONFORMING)
    assert code == 0
    assert "CONFORMS: 0 violation(s), 0 warning(s) on 0 focus node(s)" in out
    assert "in the context of the published dataset" in out


def test_violations_exit_1_with_the_grouped_table(settings):
    code, out, _ = run(settings, NONCONFORMING)
    assert code == 1
    lines = out.splitlines()
    assert lines[1] == "DOES NOT CONFORM: 4 violation(s), 0 warning(s) on 2 focus node(s)"
    assert any(line.startswith("id/event/2025-07-12-lavrov-nobody-atlantis  "
                               "(dip:BilateralMeeting)") for line in lines)
    assert "value: id/place/atlantis  (not in the published dataset)" in out
    assert "value: id/place/kuala-lumpur  (exists in the published dataset)" in out
    assert "shape: shape:DiplomaticEventShape › place (ClassConstraintComponent)" in out


def test_turtle_output_is_the_report_graph(settings):
    code, out, _ = run(settings, NONCONFORMING, fmt="turtle")
    assert code == 1
    graph = Graph().parse(data=out, format="turtle")
    report = next(graph.subjects(RDF.type, SH.ValidationReport))
    assert graph.value(report, SH.conforms) == Literal(False)
    assert len(list(graph.objects(report, SH.result))) == 4


def test_standalone_does_not_resolve_references(settings):
    code, out, _ = run(settings, CONFORMING, standalone=True)
    assert code == 1
    assert "validated standalone" in out
    assert "value: id/person/sergey-lavrov  (not looked up: standalone)" in out


def test_files_are_validated_together(settings, tmp_path):
    """A meeting in one file may reference a person described in another."""
    text = CONFORMING.read_text(encoding="utf-8")
    person_at = text.index("<id/person/rashid-amanov> a foaf:Person")
    prefixes = text[:text.index("<id/event/")]
    meeting = tmp_path / "meeting.ttl"
    person = tmp_path / "person.ttl"
    meeting.write_text(text[:person_at], encoding="utf-8")
    person.write_text(prefixes + text[person_at:], encoding="utf-8")
    assert run(settings, meeting)[0] == 1  # alone, rashid-amanov is unknown
    code, out, _ = run(settings, meeting, person)
    assert code == 0, out


@pytest.mark.parametrize("content,name,message", [
    (b'<a> <b> "open .\n', "broken.ttl", "broken.ttl: line 1, column 9"),
    (b"<a> <b> <c> .\n", "data.txt", "cannot tell the RDF format from the extension"),
    (None, "missing.ttl", "cannot read"),
])
def test_unreadable_input_exits_2(settings, tmp_path, content, name, message):
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    code, out, err = run(settings, path)
    assert code == 2
    assert message in err
    assert out == ""


def test_input_format_flag_overrides_the_extension(settings, tmp_path):
    path = tmp_path / "meeting.txt"
    path.write_bytes(CONFORMING.read_bytes())
    assert run(settings, path, input_format="ttl")[0] == 0
    assert run(settings, path, input_format="turtle")[0] == 0
    assert run(settings, path, input_format="text/turtle")[0] == 0
    assert run(settings, path, input_format="docx")[0] == 2


def test_no_store_exits_2_unless_standalone(settings, tmp_path):
    missing = settings.model_copy(update={"store_dir": tmp_path / "nowhere"})
    code, _, err = run(missing, CONFORMING)
    assert code == 2 and "--standalone" in err
    assert run(missing, NONCONFORMING, standalone=True)[0] == 1


def test_the_command_line_exit_codes(settings):
    """The real entry point, as another project's CI would call it."""
    def publisher(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "publisher.cli", "validate", "--base", settings.base,
             "--project-dir", str(ROOT), "--store-dir", str(settings.store_dir), *args],
            capture_output=True, text=True, timeout=120, cwd=ROOT)

    assert publisher(str(CONFORMING)).returncode == 0
    failed = publisher(str(NONCONFORMING), "--format", "turtle")
    assert failed.returncode == 1 and "sh:conforms false" in failed.stdout
    assert publisher(str(EXAMPLES / "no-such-file.ttl")).returncode == 2
