"""The build's document pack: the same bytes and ETags as documents rendered on request.

A generated dataset (bench.generate, a few thousand triples: countries, people,
meetings, articles, posts, memberships) is built once; every document of it, in every
RDF format and every coding, is compared between the pack and the on-request path of the
same build, and the bulk descriptions with :func:`describe` over the store.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
from contextlib import closing
from pathlib import Path

import pyoxigraph as ox
import pytest
from fastapi.testclient import TestClient

from bench.generate import generate
from publisher.app import create_app
from publisher.builds import resolve_live_build
from publisher.linked_data.describe import describe
from publisher.linked_data.pack import BASE_FILE, PACK_FILE, PACK_FORMATS, open_layers, open_pack
from publisher.pipeline import build as build_module
from publisher.pipeline import document_pack
from publisher.pipeline.build import BuildFailed, build
from publisher.pipeline.document_pack import QuadIndex
from publisher.settings import Settings
from publisher.snapshot import Snapshot, Snapshots
from publisher.store.embedded import EmbeddedStore
from tests.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]


def _generated(folder: Path, port: int) -> Settings:
    generate(3000, 7, folder)
    settings = Settings(base=f"http://127.0.0.1:{port}/", project_dir=folder,
                        store_dir=folder / "var" / "store", build_workers=2,
                        access_log=False, prewarm=False)
    build(settings, progress=lambda _line: None)
    return settings


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return _generated(tmp_path_factory.mktemp("packed"), free_port())


def _names(settings: Settings) -> list[str]:
    with closing(open_layers(resolve_live_build(settings) / PACK_FILE)) as connection:
        return sorted({row[0].removeprefix("entity:") for row in connection.execute(
            "SELECT document FROM pack_variants")})


def test_bulk_descriptions_are_exactly_those_of_describe(generated: Settings) -> None:
    store = EmbeddedStore.open_read_only(resolve_live_build(generated))
    index = QuadIndex(store.quads())
    names = index.document_names(generated.id_base)
    assert len(names) > 100
    assert names == _names(generated)  # every document is in the pack
    for name in names:
        iri = generated.id_base + name
        bulk = describe(index, iri, generated.id_base)  # type: ignore[arg-type]
        single = describe(store, iri, generated.id_base)
        assert len(bulk) == len(single) and set(bulk) == set(single), name


def test_every_variant_of_the_pack_is_what_the_request_path_renders(
        generated: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    snapshots = Snapshots(generated)
    packed = snapshots.current()
    assert packed.document_pack() is not None
    monkeypatch.setattr(Snapshot, "document_pack", lambda self: None)
    rendered = Snapshots(generated).current()
    assert rendered.document_pack() is None
    pack = open_pack(packed.build.path, packed.prepared.seed)
    assert pack is not None
    from publisher.linked_data import rendering
    from publisher.linked_data.urls import UrlSpace

    space = UrlSpace(generated)
    names = _names(generated)
    for name in names:
        document = space.document(rendered, f"doc/{name}")
        for fmt in PACK_FORMATS:
            expected = rendering.representation(rendered, document, fmt)
            found = pack.representation(document.key, fmt.name)
            assert found is not None, (name, fmt.name)
            assert found.content_type == expected.content_type
            assert found.etags == expected.etags, (name, fmt.name)
            assert found.bodies == expected.bodies, (name, fmt.name)
            rendered.prepared.representations.clear()  # bounded memory in the test too
            rendered.prepared.prepared_bytes = 0


def test_served_answers_are_the_same_with_and_without_the_pack(
        generated: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    base = generated.base.rstrip("/")
    names = _names(generated)[::7]
    requests = [(accept, coding) for accept in ("text/turtle", "application/ld+json",
                                                 "application/n-triples")
                for coding in ("br", "gzip", "identity")]

    def answers() -> list[tuple]:
        found = []
        with TestClient(create_app(generated), base_url=base,
                        follow_redirects=False) as client:
            for name in names:
                for accept, coding in requests:
                    response = client.get(f"/doc/{name}", headers={
                        "accept": accept, "accept-encoding": coding})
                    assert response.status_code == 200, (name, response.text)
                    headers = {k: v for k, v in response.headers.items() if k != "date"}
                    found.append((name, accept, coding, headers, response.content))
                    tag = response.headers["etag"]
                    again = client.get(f"/doc/{name}", headers={
                        "accept": accept, "accept-encoding": coding, "if-none-match": tag})
                    assert again.status_code == 304
            fixed = client.get(f"/doc/{names[0]}.ttl")
            assert fixed.status_code == 200
            found.append(("fixed", fixed.headers["etag"], fixed.content))
        return found

    from_pack = answers()
    monkeypatch.setattr(Snapshot, "document_pack", lambda self: None)
    assert answers() == from_pack


def test_a_pack_made_for_another_build_or_renderer_is_not_used(generated: Settings) -> None:
    live = resolve_live_build(generated)
    snapshot = Snapshots(generated).current()
    assert open_pack(live, snapshot.prepared.seed) is not None
    assert open_pack(live, "another-seed") is None
    assert open_pack(live.parent / "nowhere", snapshot.prepared.seed) is None


def test_a_rebuild_reuses_what_did_not_change(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    settings = _generated(tmp_path / "project", free_port())
    # the touched documents described by worker processes, however few (the shipped
    # data's rebuilds, in tests/pipeline, describe them in the build's own process)
    monkeypatch.setattr(document_pack, "SPAWN_AT", 1)
    lines: list[str] = []
    build(settings, progress=lines.append)
    said = next(line for line in lines if "as in the live build" in line)
    variants = int(said.split(" variants (")[0].split(", ")[-1])
    reused = int(said.split(" variants (")[1].split(" ")[0])
    assert variants > 100 and reused == variants, said
    # one source file changed: only the documents it touches are rendered again
    source = sorted((settings.data_dir / "sources").glob("*.yaml"))[-1]
    text = source.read_text(encoding="utf-8")
    assert 'label: "Facts stated by' in text
    source.write_text(text.replace('label: "Facts stated by', 'label: "Facts as stated by',
                                   1), encoding="utf-8")
    lines.clear()
    build(settings, progress=lines.append)
    said = next(line for line in lines if "as in the live build" in line)
    reused = int(said.split(" variants (")[1].split(" ")[0])
    variants = int(said.split(" variants (")[0].split(", ")[-1])
    assert 0 < reused < variants, said
    # only the documents that read a changed quad were described again, and the pack
    # holds exactly what a pack made from nothing holds
    assert "incremental:" in said, said
    described = int(said.split("incremental: ")[1].split(" ")[0])
    documents = int(said.split(" documents, ")[0])
    assert 0 < described < documents / 4, said
    # (forked from the prepared dataset only when the build had no other thread: this
    # test process may have some left by others; the command line has none, see below)
    alone = threading.active_count() == 1
    assert said.endswith(" 2 processes" + (" sharing the prepared dataset" if alone
                                             else "")), said
    cold = settings.model_copy(update={"store_dir": settings.project_dir / "var" / "cold",
                                       "build_cache": False})
    build(cold, progress=lambda _line: None)
    assert _rows(settings) == _rows(cold)
    snapshot = Snapshots(settings).current()
    assert snapshot.document_pack() is not None
    # layered: the live pack's file is this build's base, linked, not copied
    assert "read from the live pack's base (linked, not copied)" in said, said
    assert (resolve_live_build(settings) / BASE_FILE).stat().st_nlink >= 2


def test_the_command_lines_rebuild_describes_from_the_prepared_dataset(
        tmp_path: Path) -> None:
    """``publisher build`` has no other thread when its incremental pack's workers are
    forked: they read the dataset the new store is written from, in memory, and the
    pack holds what a pack made from nothing holds."""
    settings = _generated(tmp_path / "project", free_port())
    _edit_source(settings, 0, 'label: "Facts stated by', 'label: "Facts as stated by')
    done = subprocess.run(
        [sys.executable, "-m", "publisher.cli", "build", "--project-dir",
         str(settings.project_dir), "--store-dir", str(settings.store_dir), "--base",
         settings.base], capture_output=True, text=True, timeout=600, cwd=ROOT,
        env={**os.environ, "PUBLISHER_BUILD_WORKERS": "2"})
    assert done.returncode == 0, done.stderr
    said = next(line for line in done.stdout.splitlines() if "as in the live build" in line)
    assert "incremental:" in said and said.endswith(
        " 2 processes sharing the prepared dataset"), said
    cold = settings.model_copy(update={"store_dir": settings.project_dir / "var" / "cold",
                                       "build_cache": False})
    build(cold, progress=lambda _line: None)
    assert _rows(settings) == _rows(cold)


def test_describers_that_cannot_fork_leave_the_pack_to_spawn_its_own(
        generated: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    class NoFork(document_pack.ProcessPoolExecutor):
        def submit(self, *_args: object, **_kwargs: object):  # type: ignore[override]
            raise OSError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(document_pack, "ProcessPoolExecutor", NoFork)
    monkeypatch.setattr(threading, "active_count", lambda: 1)
    live = resolve_live_build(generated) / PACK_FILE
    assert document_pack.Describers.fork(generated, ox.Store(), live) is None


def _edit_source(settings: Settings, index: int, old: str, new: str) -> None:
    source = sorted((settings.data_dir / "sources").glob("*.yaml"))[index]
    text = source.read_text(encoding="utf-8")
    assert old in text, source
    source.write_text(text.replace(old, new, 1), encoding="utf-8")


def _served(settings: Settings) -> dict[tuple[str, str], bytes | None]:
    """Every document's identity bytes in every format, as the live pack serves them."""
    pack = Snapshots(settings).current().document_pack()
    assert pack is not None
    return {(name, fmt.name): found.bodies[None] if (found := pack.representation(
        f"entity:{name}", fmt.name)) is not None else None
        for name in _names(settings) for fmt in PACK_FORMATS}


def test_layered_packs_serve_what_a_whole_pack_serves(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Rebuild after rebuild, each pack layered over the same base: the documents of the
    top file, of the base, and none of those that are gone; the base's first build retired
    without harm; past the layer's share, a whole file again. Each time the same rows,
    and the same bytes served, as a pack made from nothing."""
    settings = _generated(tmp_path / "project", free_port())
    cold = settings.model_copy(update={"store_dir": settings.project_dir / "var" / "cold",
                                       "build_cache": False})
    monkeypatch.setattr(document_pack, "LAYER_SHARE", 1.0)
    monkeypatch.setattr(document_pack, "INCREMENTAL_SHARE", 1.0)
    first = resolve_live_build(settings)
    base = (first / PACK_FILE).stat().st_ino
    # what the builds add to the published list is taken back: the source added below
    # can then be removed
    published = settings.data_dir / "published-iris.txt"
    listed = published.read_bytes()

    def rebuild(expect: str) -> None:
        lines: list[str] = []
        build(settings, progress=lines.append)
        said = next(line for line in lines if "as in the live build" in line)
        assert expect in said, said
        build(cold, progress=lambda _line: None)
        published.write_bytes(listed)
        assert _rows(settings) == _rows(cold)
        assert _served(settings) == _served(cold)

    # a source added (its article a document of its own)
    sources = sorted((settings.data_dir / "sources").glob("*.yaml"))
    copy = settings.data_dir / "sources" / "zz-copy.yaml"
    copy.write_text(sources[1].read_text(encoding="utf-8").replace(
        "article/", "article/zz-copy-").replace("id: graph/", "id: graph/zz-copy-", 1),
        encoding="utf-8")
    article = next(line.split("id: ")[1].strip() for line in copy.read_text(
        encoding="utf-8").splitlines() if "id: article/zz-copy-" in line)
    rebuild("linked, not copied")
    pack = Snapshots(settings).current().document_pack()
    assert pack is not None and pack.representation(f"entity:{article}", "turtle") is not None
    _edit_source(settings, 0, 'label: "Facts stated by', 'label: "Facts as stated by')
    rebuild("linked, not copied")  # the first top file's documents carried over
    assert (resolve_live_build(settings) / BASE_FILE).stat().st_ino == base
    shutil.rmtree(first)  # the build that made the base retired: one name of it gone
    copy.unlink()  # its article's document is gone (the top file says so)
    rebuild("linked, not copied")
    assert (resolve_live_build(settings) / BASE_FILE).stat().st_ino == base
    pack = Snapshots(settings).current().document_pack()
    assert pack is not None and pack.representation(f"entity:{article}", "turtle") is None
    # a layered pack copied without its base is not used (documents render on request)
    alone = tmp_path / "alone"
    alone.mkdir()
    shutil.copyfile(resolve_live_build(settings) / PACK_FILE, alone / PACK_FILE)
    assert open_pack(alone, Snapshots(settings).current().prepared.seed) is None
    assert open_pack(resolve_live_build(settings),
                     Snapshots(settings).current().prepared.seed) is not None
    # past the layer's share: a whole file, no base
    monkeypatch.setattr(document_pack, "LAYER_SHARE", 0.0)
    _edit_source(settings, -1, 'label: "Facts stated by', 'label: "Facts as stated by')
    rebuild(" the rest copied")
    assert not (resolve_live_build(settings) / BASE_FILE).exists()


def _rows(settings: Settings) -> dict[tuple[str, str, str], tuple[str, str, bytes]]:
    """What the live pack serves, layered or not."""
    with closing(open_layers(resolve_live_build(settings) / PACK_FILE)) as connection:
        return {tuple(row[:3]): tuple(row[3:]) for row in connection.execute(
            "SELECT document, format, coding, content_type, codings, body "
            "FROM pack_variants")}


def test_a_live_pack_without_dependencies_is_not_built_on(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A live pack whose dependencies were recorded another way (or by older code) is
    never the base of an incremental pack: every document is described."""
    settings = _generated(tmp_path / "project", free_port())
    monkeypatch.setattr(document_pack, "DEPENDENCY_SCHEME", "another")
    lines: list[str] = []
    build(settings, progress=lines.append)
    said = next(line for line in lines if "as in the live build" in line)
    assert "incremental:" not in said and "store read in" in said, said


def test_a_failing_pack_fails_the_build_and_keeps_the_live_one(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = _generated(tmp_path / "project", free_port())
    live = resolve_live_build(settings)

    def full_disk(*_args: object, **_kwargs: object) -> dict:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(document_pack, "rdf_documents", full_disk)
    monkeypatch.setattr(build_module, "previous_pack", lambda _settings: None)
    with pytest.raises(BuildFailed) as failed:
        build(settings.model_copy(update={"build_workers": 1}), progress=lambda _line: None)
    assert failed.value.stage == "document pack"
    assert "No space left on device" in str(failed.value)
    assert resolve_live_build(settings) == live
    assert not [p for p in live.parent.iterdir() if p != live]  # nothing of it is left
    assert open_pack(live, Snapshots(settings).current().prepared.seed) is not None


def _damaged(pack: bytes) -> bytes:
    """The pack with every page after the fourth overwritten: its meta table stays
    readable, its rows do not."""
    data = bytearray(pack)
    page = int.from_bytes(data[16:18], "big") or 65536
    data[4 * page:] = b"\xff" * (len(data) - 4 * page)
    return bytes(data)


def test_a_damaged_pack_is_a_miss_not_an_error(generated: Settings, tmp_path: Path) -> None:
    """A pack damaged on disk makes documents render on request; it never answers 500."""
    live = resolve_live_build(generated)
    seed = Snapshots(generated).current().prepared.seed
    (tmp_path / PACK_FILE).write_bytes(_damaged((live / PACK_FILE).read_bytes()))
    pack = open_pack(tmp_path, seed)
    assert pack is not None
    name = _names(generated)[0]
    assert pack.lookup(f"entity:{name}", "turtle", "gzip") is None
    assert pack.representation(f"entity:{name}", "turtle") is None


def test_a_damaged_live_pack_costs_the_reuse_not_the_build(tmp_path: Path) -> None:
    """A live pack that cannot be read (a disk error, a truncated copy) is not built on:
    the next build describes every document and succeeds."""
    settings = _generated(tmp_path / "project", free_port())
    live = resolve_live_build(settings) / PACK_FILE
    live.write_bytes(_damaged(live.read_bytes()))
    source = sorted((settings.data_dir / "sources").glob("*.yaml"))[-1]
    text = source.read_text(encoding="utf-8")
    source.write_text(text.replace('label: "Facts stated by', 'label: "Facts as stated by',
                                   1), encoding="utf-8")
    lines: list[str] = []
    build(settings, progress=lines.append)
    assert any("cannot build on the live build's pack" in line for line in lines), lines
    said = next(line for line in lines if "as in the live build" in line)
    assert "store read in" in said and "(0 as in the live build)" in said, said
    cold = settings.model_copy(update={"store_dir": settings.project_dir / "var" / "cold",
                                       "build_cache": False})
    build(cold, progress=lambda _line: None)
    assert _rows(settings) == _rows(cold)
