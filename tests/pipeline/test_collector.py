"""The build's use of the garbage collector: what it hides, it gives back.

A build freezes its long-lived data (``settling``), pauses the collector while it
builds an index (``bulk_building``) and freezes around forks (``forking``); none of
these may leave the process's collector changed afterwards, since a test run or any
caller of :func:`publisher.pipeline.build.build` goes on in the same process.
"""

from __future__ import annotations

import gc
from pathlib import Path

import pytest

from publisher.pipeline import build as build_module
from publisher.pipeline.build import build
from publisher.process import bulk_building, forking, settling
from publisher.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _unfrozen():
    gc.unfreeze()
    yield
    gc.unfreeze()


def test_settling_hides_what_was_made_until_the_block_ends() -> None:
    with settling() as settle:
        kept = [[i] for i in range(1000)]
        settle()
        assert gc.get_freeze_count() >= 1000
        with forking():  # a fork inside keeps the caller's objects hidden
            pass
        assert gc.get_freeze_count() >= 1000
    assert gc.get_freeze_count() == 0
    assert kept


def test_forking_alone_gives_everything_back() -> None:
    with forking():
        assert gc.get_freeze_count() > 0
    assert gc.get_freeze_count() == 0


def test_a_caller_that_froze_keeps_its_objects_frozen() -> None:
    gc.freeze()
    frozen = gc.get_freeze_count()
    with settling() as settle:
        settle()
    with forking():
        pass
    assert gc.get_freeze_count() >= frozen


def test_bulk_building_pauses_and_restores_the_collector() -> None:
    assert gc.isenabled()
    with bulk_building():
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(ValueError), bulk_building():
        raise ValueError("the collector comes back on failure too")
    assert gc.isenabled()
    gc.disable()
    try:
        with bulk_building():
            pass
        assert not gc.isenabled()  # a caller's choice is kept
    finally:
        gc.enable()


def test_a_build_leaves_the_collector_as_it_found_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = Settings(project_dir=ROOT, store_dir=tmp_path / "store",
                        base="http://example.org/")
    settled: list[int] = []
    real = build_module._build

    def watching(*args, **kwargs):
        result = real(*args, **kwargs)
        settled.append(gc.get_freeze_count())  # still inside the build
        return result

    monkeypatch.setattr(build_module, "_build", watching)
    build(settings, progress=lambda _line: None)
    assert settled and settled[0] > 0  # the prepared dataset was hidden from collections
    assert gc.get_freeze_count() == 0 and gc.isenabled()
