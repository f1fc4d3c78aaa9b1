"""``publisher check-evidence DIR``: every record's evidence occurs verbatim in its article.

Each source file names its article (the record typed ``NewsArticle``, with ``sourceFile``:
the capture in DIR that holds its text). When a capture holds several articles, the
article's ``textBeginsWith`` and ``textEndsWith`` delimit its own text, and a passage is
looked for there only, so a quote from a neighbouring article cannot count as evidence.

A passage is found when it occurs in the text after whitespace normalisation (runs of
spaces and line breaks are one space); nothing else is normalised: quotation marks,
apostrophes and case must be as the article prints them. A passage is at most
:data:`MAX_WORDS` words. Every record must carry at least one passage.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from .facts import FactFile, FactFileError, Record, discover, read_fact_file

MAX_WORDS = 25
_SPACE = re.compile(r"\s+")


def normalise(text: str) -> str:
    return _SPACE.sub(" ", text).strip()


def words(text: str) -> int:
    return len(normalise(text).split(" ")) if normalise(text) else 0


@dataclass(frozen=True)
class Problem:
    file: str
    line: int
    record: str | None
    message: str

    def __str__(self) -> str:
        record = f" (record {self.record})" if self.record else ""
        return f"{self.file}:{self.line}{record}: {self.message}"


@dataclass
class EvidenceReport:
    files: int = 0
    records: int = 0
    passages: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


class EvidenceFolderMissing(FileNotFoundError):
    """The folder with the article texts is not there."""


def _articles(fact_file: FactFile) -> list[Record]:
    return [r for r in fact_file.records
            if "NewsArticle" in _types(r.body) and r.body.get("sourceFile")]


def _types(body: dict) -> list[str]:
    kind = body.get("type", [])
    return [kind] if isinstance(kind, str) else list(kind)


def article_text(record: Record, texts: Path) -> tuple[str | None, str | None]:
    """The article's normalised text, or (None, why not)."""
    name = str(record.body["sourceFile"])
    path = texts / name
    try:
        text = normalise(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        return None, f"cannot read the article text {path}: {error}"
    begins, ends = record.body.get("textBeginsWith"), record.body.get("textEndsWith")
    if begins is not None:
        start = text.find(normalise(str(begins)))
        if start < 0:
            return None, f"textBeginsWith does not occur in {name}: {begins!r}"
        text = text[start:]
    if ends is not None:
        end = text.find(normalise(str(ends)))
        if end < 0:
            return None, f"textEndsWith does not occur in {name} after textBeginsWith: {ends!r}"
        text = text[:end + len(normalise(str(ends)))]
    return text, None


def _passages(record: Record) -> list[str] | str:
    """The record's passages, or a message saying what is wrong with them."""
    evidence = record.body.get("evidence")
    if evidence is None:
        return "no evidence: quote the passage of the article that states this record " \
               "(evidence: [\"…\"])"
    if not isinstance(evidence, list) or not evidence:
        return "evidence must be a non-empty list of quoted passages"
    if not all(isinstance(item, str) for item in evidence):
        return "each evidence item must be a quoted passage (a string)"
    return evidence


def check_file(fact_file: FactFile, texts: Path, report: EvidenceReport) -> None:
    records = fact_file.records
    shown = str(records[0].file if records else fact_file.path)  # as the project names it
    articles = _articles(fact_file)
    if not articles:
        report.problems.append(Problem(shown, 1, None, "no record typed NewsArticle with a "
                                       "sourceFile: the file does not say where its text is"))
        return
    if len(articles) > 1:
        report.problems.append(Problem(shown, articles[1].line, articles[1].id,
                                       "a source file holds the facts of one article"))
    text, why = article_text(articles[0], texts)
    if text is None:
        report.problems.append(Problem(shown, articles[0].line, articles[0].id, str(why)))
        return
    for record in fact_file.records:
        report.records += 1
        passages = _passages(record)
        if isinstance(passages, str):
            report.problems.append(Problem(shown, record.line, record.id, passages))
            continue
        for passage in passages:
            report.passages += 1
            count = words(passage)
            if count > MAX_WORDS:
                report.problems.append(Problem(
                    shown, record.line, record.id,
                    f"passage of {count} words (at most {MAX_WORDS}): {passage!r}"))
            if normalise(passage) not in text:
                report.problems.append(Problem(
                    shown, record.line, record.id,
                    f"passage not found verbatim in {articles[0].body['sourceFile']}: "
                    f"{passage!r}"))


def check_evidence(data_dir: Path, texts: Path, root: Path | None = None) -> EvidenceReport:
    """Check every source file under ``data_dir/sources`` against the texts in ``texts``."""
    if not texts.is_dir():
        raise EvidenceFolderMissing(
            f"{texts}: folder of source article texts not found (in CI the repository "
            "checkout sits beside shared/, so it is ../shared/sources)")
    report = EvidenceReport()
    sources = data_dir / "sources"
    for path in discover(data_dir):
        if not path.is_relative_to(sources):
            continue
        report.files += 1
        try:
            fact_file = read_fact_file(path, root)
        except FactFileError as error:
            report.problems.append(Problem(str(path), 0, None, str(error)))
            continue
        check_file(fact_file, texts, report)
    return report
