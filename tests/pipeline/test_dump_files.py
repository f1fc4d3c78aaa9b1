"""The dumps process: graph by graph, from the N-Quads it is given or from the parts it
kept, the bytes the application makes from a store."""

from __future__ import annotations

import gzip
import json
import subprocess
from pathlib import Path

import pyoxigraph as ox

from publisher.linked_data.dumps import DUMPS, DUMPS_FOLDER, make_dumps
from publisher.pipeline.build import DUMPER
from publisher.pipeline.dump_files import LAYOUT_FILE
from publisher.pipeline.nquads import graph_hashes
from publisher.store.embedded import EmbeddedStore

BASE = "http://example.org/"
EX = "http://example.org/id/"


def _quads() -> list[ox.Quad]:
    g1, g2 = ox.NamedNode(EX + "graph/one"), ox.NamedNode(EX + "graph/two")
    a, b, p = ox.NamedNode(EX + "a"), ox.NamedNode(EX + "b"), ox.NamedNode(EX + "p")
    blank = ox.BlankNode("shared")
    return [ox.Quad(a, p, b, ox.DefaultGraph()),
            ox.Quad(a, p, ox.Literal("one", language="en"), g1),
            ox.Quad(a, p, blank, g1), ox.Quad(blank, p, b, g1),
            ox.Quad(a, p, b, g2), ox.Quad(b, p, ox.Literal("2"), g2)]


def _store(quads: list[ox.Quad]) -> ox.Store:
    store = ox.Store()
    store.extend(quads)
    return store


def _run(tmp_path: Path, quads: list[ox.Quad], *extra: str
         ) -> tuple[subprocess.CompletedProcess[str], Path]:
    """The process as the build starts it (it nices itself: not in the test's process)."""
    nquads = tmp_path / "in.nq"
    nquads.write_bytes(ox.serialize(quads, format=ox.RdfFormat.N_QUADS) or b"")
    out = tmp_path / f"out-{len(list(tmp_path.iterdir()))}"
    done = subprocess.run([*DUMPER, str(nquads), str(out), BASE, *extra],
                          capture_output=True, text=True, timeout=120, check=False)
    return done, out


def _files(folder: Path) -> dict[str, bytes]:
    return {name: (folder / name).read_bytes() for name, _, _ in DUMPS}


def test_the_process_writes_what_the_application_makes(tmp_path: Path) -> None:
    quads = _quads()
    done, out = _run(tmp_path, quads)
    assert done.returncode == 0, done.stderr
    expected = {d.name: d.body for d in make_dumps(EmbeddedStore(_store(quads)), BASE)}
    assert _files(out) == expected
    members = gzip.decompress(expected["dataset.nq.gz"]).decode()
    assert members.count("\n") == len(quads)  # every statement once, graph by graph


def test_kept_parts_are_used_for_the_graphs_not_given(tmp_path: Path) -> None:
    quads = _quads()
    cache = tmp_path / "cache"
    done, first = _run(tmp_path, quads, "--cache", str(cache))
    assert done.returncode == 0 and any(cache.rglob("*")), done.stderr
    listed = tmp_path / "graphs.json"
    listed.write_text(json.dumps(graph_hashes(_store(quads))), encoding="utf-8")
    # nothing given: every graph from the cache
    done, again = _run(tmp_path, [], "--cache", str(cache), "--graphs", str(listed))
    assert done.returncode == 0 and _files(again) == _files(first), done.stderr
    # one graph changed: given, the others kept
    changed = [q for q in quads if q.graph_name != ox.NamedNode(EX + "graph/two")]
    two = [ox.Quad(ox.NamedNode(EX + "c"), ox.NamedNode(EX + "p"), ox.Literal("3"),
                   ox.NamedNode(EX + "graph/two"))]
    listed.write_text(json.dumps(graph_hashes(_store(changed + two))), encoding="utf-8")
    done, partly = _run(tmp_path, two, "--cache", str(cache), "--graphs", str(listed))
    assert done.returncode == 0, done.stderr
    expected = {d.name: d.body for d in make_dumps(EmbeddedStore(_store(changed + two)), BASE)}
    assert _files(partly) == expected


def test_a_graph_neither_given_nor_kept_fails(tmp_path: Path) -> None:
    listed = tmp_path / "graphs.json"
    listed.write_text(json.dumps(graph_hashes(_store(_quads()))), encoding="utf-8")
    done, out = _run(tmp_path, [], "--cache", str(tmp_path / "empty"), "--graphs", str(listed))
    assert done.returncode == 1
    assert f"<{EX}graph/one> is neither in" in done.stderr
    assert not out.exists()


def _build_dumps(tmp_path: Path, name: str, quads: list[ox.Quad], *extra: str
                 ) -> tuple[subprocess.CompletedProcess[str], Path]:
    """The dumps written as a build holds them: ``<build>/dumps/`` and the layout beside."""
    nquads = tmp_path / f"{name}.nq"
    nquads.write_bytes(ox.serialize(quads, format=ox.RdfFormat.N_QUADS) or b"")
    build = tmp_path / name
    build.mkdir()
    done = subprocess.run([*DUMPER, str(nquads), str(build / DUMPS_FOLDER), BASE, *extra],
                          capture_output=True, text=True, timeout=120, check=False)
    return done, build


def _changed() -> tuple[list[ox.Quad], list[ox.Quad]]:
    """The dataset with graph two replaced, and graph two's new quads."""
    two = [ox.Quad(ox.NamedNode(EX + "c"), ox.NamedNode(EX + "p"), ox.Literal("3"),
                   ox.NamedNode(EX + "graph/two"))]
    return [q for q in _quads() if q.graph_name != ox.NamedNode(EX + "graph/two")] + two, two


def test_unchanged_graphs_are_copied_from_the_live_dumps(tmp_path: Path) -> None:
    done, live = _build_dumps(tmp_path, "live", _quads())
    assert done.returncode == 0, done.stderr
    layout = json.loads((live / LAYOUT_FILE).read_text(encoding="utf-8"))
    for name, _, _ in DUMPS:  # every member where the layout says, the file's size
        body = (live / DUMPS_FOLDER / name).read_bytes()
        assert layout["files"][name]["size"] == len(body)
        members = layout["files"][name]["members"]
        assert [m[0] for m in members] == sorted(m[0] for m in members)
        for _key, _digest, offset, length in members:
            assert gzip.decompress(body[offset:offset + length]) is not None
    dataset, two = _changed()
    listed = tmp_path / "graphs.json"
    listed.write_text(json.dumps(graph_hashes(_store(dataset))), encoding="utf-8")
    # no cache: the unchanged graphs can only come from the live build's files
    done, new = _build_dumps(tmp_path, "new", two, "--graphs", str(listed),
                             "--live", str(live))
    assert done.returncode == 0, done.stderr
    expected = {d.name: d.body for d in make_dumps(EmbeddedStore(_store(dataset)), BASE)}
    assert _files(new / DUMPS_FOLDER) == expected
    # and its own layout serves the next build in turn
    done, again = _build_dumps(tmp_path, "again", [], "--graphs", str(listed),
                               "--live", str(new))
    assert done.returncode == 0 and _files(again / DUMPS_FOLDER) == expected, done.stderr


def test_live_dumps_that_do_not_match_their_layout_are_not_used(tmp_path: Path) -> None:
    done, live = _build_dumps(tmp_path, "live", _quads())
    assert done.returncode == 0, done.stderr
    dataset, two = _changed()
    listed = tmp_path / "graphs.json"
    listed.write_text(json.dumps(graph_hashes(_store(dataset))), encoding="utf-8")
    with open(live / DUMPS_FOLDER / "dataset.trig.gz", "ab") as grown:  # changed since
        grown.write(b"\0")
    done, new = _build_dumps(tmp_path, "new", two, "--graphs", str(listed),
                             "--live", str(live))
    assert done.returncode == 1 and "is neither in" in done.stderr
    assert not (new / DUMPS_FOLDER).exists()
    # a layout written for another base is not used either
    done, other = _build_dumps(tmp_path, "other", _quads())
    layout = json.loads((other / LAYOUT_FILE).read_text(encoding="utf-8"))
    layout["identity"]["base"] = "http://elsewhere.example/"
    (other / LAYOUT_FILE).write_text(json.dumps(layout), encoding="utf-8")
    done, new = _build_dumps(tmp_path, "new2", two, "--graphs", str(listed),
                             "--live", str(other))
    assert done.returncode == 1 and "is neither in" in done.stderr
