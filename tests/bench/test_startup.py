"""``bench.startup`` fetches documents spread over the whole pack it serves: after a
rebuild, the pack is layered and its top file holds only the documents described again,
so sampling that file alone would measure memory over a few changed documents."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.build import changed_file
from bench.generate import generate
from bench.startup import _names
from publisher.linked_data.pack import connect
from publisher.pipeline import document_pack
from publisher.pipeline.build import BuildResult, build
from publisher.settings import Settings


def _quiet(_line: str) -> None:
    pass


def _top_file(result: BuildResult) -> tuple[set[str], bool]:
    """The documents of the build's pack file itself, and whether it is layered."""
    connection = connect(result.path / "documents.sqlite")
    try:
        documents = {row[0].removeprefix("entity:") for row in connection.execute(
            "SELECT DISTINCT document FROM variants")}
        meta = dict(connection.execute("SELECT key, value FROM meta"))
        return documents, meta.get("layered") == "1"
    finally:
        connection.close()


def test_documents_are_sampled_from_every_layer(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    project = tmp_path / "project"
    generate(20_000, 1, project)  # many sources: one changed touches a tenth of them
    # layered even so (at 100k, a twentieth)
    monkeypatch.setattr(document_pack, "LAYER_SHARE", 0.5)
    settings = Settings(project_dir=project, store_dir=project / "var" / "store",
                        base="http://localhost:8000/")
    cold = build(settings, progress=_quiet)
    everything, layered = _top_file(cold)
    assert not layered
    assert set(_names(cold.path, len(everything))) == everything
    source = changed_file(project)
    source.write_text(source.read_text().replace('\nlabel: "', '\nlabel: "Changed ', 1))
    rebuilt = build(settings, progress=_quiet)
    top, layered = _top_file(rebuilt)
    assert layered, "a one-file rebuild layers its pack"
    assert 0 < len(top) < len(everything)
    sampled = _names(rebuilt.path, len(everything))
    assert set(sampled) == everything
    few = _names(rebuilt.path, 10)
    assert len(few) == 10 and not set(few) <= top
