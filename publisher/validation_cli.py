"""``publisher validate FILE…``: the validation service for other people's CI pipelines.

The files are validated together as one submission (a meeting in one file may reference
a person described in another), in the same child process and time limit as the HTTP
service, so a pathological file fails with a message instead of crashing or hanging the
pipeline. Exit codes: 0 conforms, 1 violations, 2 unreadable input (or no store to
resolve references against: build one or pass ``--standalone``).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TextIO

from .builds import StoreUnavailable
from .formats import TURTLE
from .settings import Settings
from .snapshot import Snapshot, open_live
from .validation.service import (
    Rules,
    StoreContext,
    ValidationBusy,
    ValidationFailed,
    ValidationTimeout,
    validate,
)
from .validation.submission import Document, SubmissionError, format_for_name, format_for_path

EXIT_OK, EXIT_INVALID, EXIT_UNREADABLE = 0, 1, 2


def run_validate_cli(settings: Settings, files: list[Path], fmt: str = "table",
                     input_format: str | None = None, standalone: bool = False,
                     out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Validate ``files`` and print the report as a table or as Turtle; return the exit code."""
    out = out or sys.stdout
    err = err or sys.stderr
    try:
        documents = [read_document(path, input_format) for path in files]
    except SubmissionError as error:
        print(f"error: {error}", file=err)
        return EXIT_UNREADABLE
    snapshot: Snapshot | None = None
    try:
        snapshot = open_live(settings)
    except StoreUnavailable as missing:
        if not standalone:
            print(f"error: {missing}\n(or pass --standalone to validate without resolving "
                  "references against the published data)", file=err)
            return EXIT_UNREADABLE
    if snapshot is not None:  # the shapes the published data was validated with
        rules = Rules.of_build(snapshot)
    elif settings.shapes_dir.is_dir() and settings.ontology_dir.is_dir():
        rules = Rules.of_project(settings)
    else:
        print(f"error: no build and no shapes/ and ontology/ in "
              f"{settings.project_dir.resolve()}: run from the project folder or pass "
              "--project-dir", file=err)
        return EXIT_UNREADABLE
    context = StoreContext(snapshot) if snapshot is not None and not standalone else None
    try:
        report = validate(documents, settings, context, rules)
    except SubmissionError as error:
        print(f"error: {'refused' if error.refused else 'does not parse'}: {error}", file=err)
        return EXIT_UNREADABLE
    except (ValidationTimeout, ValidationFailed, ValidationBusy) as error:
        print(f"error: {error}", file=err)
        return EXIT_UNREADABLE
    if fmt == "turtle":
        out.write(report.serialize(TURTLE).decode("utf-8"))
    else:
        out.write(report.table())
    return EXIT_OK if report.conforms else EXIT_INVALID


def read_document(path: Path, input_format: str | None) -> Document:
    """Read one file; its format comes from ``--input-format`` or its extension."""
    if input_format:
        fmt = format_for_name(input_format)
        if fmt is None:
            raise SubmissionError(f"unknown input format {input_format!r} (use ttl, trig, "
                                  "nt, nq, jsonld or rdf)", document=str(path))
    else:
        fmt = format_for_path(path)
        if fmt is None:
            raise SubmissionError("cannot tell the RDF format from the extension; pass "
                                  "--input-format", document=str(path))
    try:
        data = path.read_bytes()
    except OSError as error:
        raise SubmissionError(f"cannot read: {error.strerror or error}",
                              document=str(path)) from None
    return Document(str(path), fmt, data)
