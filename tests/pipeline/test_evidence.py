"""``publisher check-evidence DIR``: every record quotes its article, verbatim."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from publisher.cli import main
from publisher.pipeline.evidence import MAX_WORDS, check_evidence, normalise
from tests.conftest import ROOT

ARTICLE = """Capture header of a site
First headline of the capture
KUALA LUMPUR: Minister A met   Minister B
on Monday to discuss “trade” and energy.
They agreed to meet again. – Agency
Second headline, another article
Minister C met Minister D. – Other agency
"""

FILE = """\
id: graph/100-test
type: SourceGraph
derivedFrom: article/test
facts:
  - id: article/test
    type: NewsArticle
    headline: First headline of the capture
    sourceFile: 100_0000000000000000.txt
    textBeginsWith: First headline of the capture
    textEndsWith: again. – Agency
    evidence: ["First headline of the capture"]
  - id: event/a-b
    type: BilateralMeeting
    evidence:
      - "Minister A met Minister B on Monday"
      - "to discuss “trade” and energy."
"""


def _project(tmp_path: Path, text: str = FILE) -> tuple[Path, Path]:
    project = tmp_path / "project"
    (project / "data" / "sources").mkdir(parents=True)
    (project / "data" / "sources" / "100-test.yaml").write_text(text, encoding="utf-8")
    texts = tmp_path / "texts"
    texts.mkdir()
    (texts / "100_0000000000000000.txt").write_text(ARTICLE, encoding="utf-8")
    return project, texts


def test_passages_found_after_whitespace_normalisation(tmp_path: Path) -> None:
    project, texts = _project(tmp_path)
    report = check_evidence(project / "data", texts, project)
    assert report.ok, report.problems
    assert (report.files, report.records, report.passages) == (1, 2, 3)


@pytest.mark.parametrize(("passage", "message"), [
    ("Minister A met Minister B on Tuesday", "passage not found verbatim"),
    ('to discuss "trade" and energy.', "passage not found verbatim"),  # quotes as printed
    ("minister a met minister b", "passage not found verbatim"),  # case as printed
    ("Minister C met Minister D.", "passage not found verbatim"),  # the next article
    (" ".join(["word"] * (MAX_WORDS + 1)), f"passage of {MAX_WORDS + 1} words"),
])
def test_a_passage_not_in_the_article_is_reported_with_file_line_and_record(
        tmp_path: Path, passage: str, message: str) -> None:
    project, texts = _project(tmp_path, FILE.replace(
        '"to discuss “trade” and energy."', json.dumps(passage, ensure_ascii=False)))
    report = check_evidence(project / "data", texts, project)
    assert any(message in problem.message for problem in report.problems)
    assert report.problems and all(
        str(problem).startswith("data/sources/100-test.yaml:12 (record event/a-b):")
        for problem in report.problems)


def test_a_record_without_evidence_is_reported(tmp_path: Path) -> None:
    project, texts = _project(tmp_path, FILE + "  - {id: event/c-d, type: BilateralMeeting}\n")
    report = check_evidence(project / "data", texts, project)
    assert [str(p) for p in report.problems] == [
        "data/sources/100-test.yaml:17 (record event/c-d): no evidence: quote the passage of "
        "the article that states this record (evidence: [\"…\"])"]


def test_the_cli_exits_1_on_problems_and_2_without_the_texts(tmp_path: Path, capsys) -> None:
    project, texts = _project(tmp_path)
    args = ["check-evidence", "--project-dir", str(project)]
    assert main([*args, str(texts)]) == 0
    assert "1 source files, 2 records, 3 passages" in capsys.readouterr().out
    (texts / "100_0000000000000000.txt").write_text(ARTICLE.replace("energy", "oil"),
                                                    encoding="utf-8")
    assert main([*args, str(texts)]) == 1
    assert "passage not found verbatim" in capsys.readouterr().err
    assert main([*args, str(tmp_path / "missing")]) == 2
    err = capsys.readouterr().err
    assert "folder of source article texts not found" in err and "../shared/sources" in err


def test_normalise_collapses_whitespace_only() -> None:
    assert normalise("  a \n\t b  “c” ") == "a b “c”"


def _shared_sources() -> Path | None:
    """The article texts beside the checkout, as CI has them (../shared/sources)."""
    configured = os.environ.get("EVIDENCE_DIR")
    candidates = [Path(configured)] if configured else [ROOT.parent / "shared" / "sources",
                                                        ROOT.parents[1] / "shared" / "sources"]
    return next((path for path in candidates if path.is_dir()), None)


@pytest.mark.skipif(_shared_sources() is None,
                    reason="the article texts (../shared/sources) are not beside this checkout;"
                    " .ci/run checks the evidence against them")
def test_every_record_of_the_shipped_data_has_verbatim_evidence() -> None:
    texts = _shared_sources()
    assert texts is not None
    report = check_evidence(ROOT / "data", texts, ROOT)
    assert report.ok, "\n".join(map(str, report.problems))
    assert report.passages >= report.records > 0
    assert report.files == len(list((ROOT / "data" / "sources").glob("*.yaml")))
