"""The dumps process: graph by graph, from the N-Quads it is given or from the parts it
kept, the bytes the application makes from a store."""

from __future__ import annotations

import gzip
import json
import subprocess
from pathlib import Path

import pyoxigraph as ox

from publisher.linked_data.dumps import DUMPS, make_dumps
from publisher.pipeline.build import DUMPER
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
