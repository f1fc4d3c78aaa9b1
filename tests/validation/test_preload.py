"""The validation forkserver's warm-up runs the real validation path, without failing."""

from __future__ import annotations

import logging

import pytest

from publisher.validation import preload, service


def test_exercise_validates_without_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger=preload.__name__):
        preload.exercise()
    assert not caplog.records, [r.getMessage() for r in caplog.records]


def test_the_exercise_finds_its_violation() -> None:
    """A warm-up that validated nothing would warm nothing: its document has one error."""
    from pathlib import Path
    from tempfile import TemporaryDirectory

    import pyoxigraph as ox

    from publisher.validation import worker
    from publisher.validation.submission import Document

    with TemporaryDirectory() as folder:
        for name, body in (("shapes", preload.SHAPES), ("ontology", preload.ONTOLOGY)):
            Path(folder, name).mkdir()
            Path(folder, name, f"{name}.ttl").write_bytes(body)
        outcome = worker.validate_documents(
            [Document("t.ttl", ox.RdfFormat.TURTLE, preload.DOCUMENT)], preload.BASE,
            Path(folder, "shapes"), Path(folder, "ontology"), None)
    assert not outcome["conforms"]
    assert [row["focus"] for row in outcome["rows"]] == [preload.BASE + "id/thing/b"]


def test_the_forkserver_preloads_the_exercise() -> None:
    ctx = service.mp_context()
    if ctx.get_start_method() != "forkserver":
        pytest.skip("no forkserver on this platform")
    import multiprocessing.forkserver

    assert service.PRELOAD in multiprocessing.forkserver._forkserver._preload_modules
