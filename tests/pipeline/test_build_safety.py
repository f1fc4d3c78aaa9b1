"""Builds one at a time, in folders of their own, and failures that clean up after them.

A second build while one runs is refused (exit 3) and does not touch the first; builds in
the same second never share a folder; a killed build leaves no mapping worker behind; a
full disk at any step is a message and exit 3, with no traceback, no ``.partial`` left and
the live store untouched.
"""

from __future__ import annotations

import errno
import os
import pathlib
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pyoxigraph as ox
import pytest

from publisher.cli import main
from publisher.pipeline import build as build_module
from publisher.pipeline import load as load_module
from publisher.pipeline.build import BuildFailed, build
from publisher.pipeline.lock import build_lock
from publisher.settings import Settings

from .test_build import SOURCE_000, _edit, _running

BOUND_S = 120  # how long a condition may take to come true on a busy machine


def _settings(project: Path, store: Path | None = None) -> Settings:
    return Settings(project_dir=project, store_dir=store or project / "var" / "store")


def _quiet(_line: str) -> None:
    pass


def _wait_for(condition, what: str) -> None:
    deadline = time.monotonic() + BOUND_S
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def _cli(settings: Settings) -> list[str]:
    return ["build", "--project-dir", str(settings.project_dir),
            "--store-dir", str(settings.store_dir)]


def _triples(settings: Settings) -> int:
    return len(ox.Store.read_only(str(settings.store_dir.resolve())))


PAUSED_BUILD = """
import sys, time
from pathlib import Path
from publisher.pipeline.build import build
from publisher.settings import Settings
ready, go = Path(sys.argv[3]), Path(sys.argv[4])
def pause(_partial):
    ready.write_text("")
    while not go.exists():
        time.sleep(0.05)
result = build(Settings(project_dir=Path(sys.argv[1]), store_dir=Path(sys.argv[2])),
               progress=lambda _line: None, before_publish=pause)
print(result.path)
"""


def test_a_second_build_is_refused_while_one_runs_and_the_first_completes(
        project_copy: Path, tmp_path: Path, capsys) -> None:
    settings = _settings(project_copy)
    ready, go = tmp_path / "ready", tmp_path / "go"
    first = subprocess.Popen([sys.executable, "-c", PAUSED_BUILD, str(project_copy),
                              str(settings.store_dir), str(ready), str(go)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        _wait_for(lambda: ready.exists() or first.poll() is not None, "the first build")
        assert first.poll() is None, first.communicate()
        partial = list(settings.builds_dir.glob("*.partial"))
        assert len(partial) == 1
        assert main(_cli(settings)) == 3
        err = capsys.readouterr().err
        assert "BUILD FAILED at lock" in err and f"pid {first.pid}" in err
        assert "another build is running on this store" in err and "Traceback" not in err
        assert list(settings.builds_dir.glob("*.partial")) == partial  # left alone
    finally:
        go.write_text("")
        out, errors = first.communicate(timeout=BOUND_S)
    assert first.returncode == 0, errors
    assert settings.store_dir.resolve() == Path(out.strip()).resolve()
    assert (settings.store_dir / "build.json").is_file() and _triples(settings) > 2000
    assert main(_cli(settings)) == 0  # the lock is free again


def test_the_lock_is_released_when_its_holder_dies(project_copy: Path) -> None:
    settings = _settings(project_copy)
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time\nfrom pathlib import Path\n"
        "from publisher.pipeline.lock import build_lock\n"
        "with build_lock(Path(sys.argv[1])):\n    print('held', flush=True)\n"
        "    time.sleep(300)\n"), str(settings.build_lock)], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    with pytest.raises(BuildFailed) as failure:
        build(settings, progress=_quiet)
    assert failure.value.stage == "lock" and failure.value.environment
    holder.kill()
    holder.wait(timeout=BOUND_S)
    build(settings, progress=_quiet)  # a killed build leaves no stale lock
    with build_lock(settings.build_lock):
        pass


def test_builds_in_the_same_second_never_share_a_folder(project_copy: Path,
                                                         monkeypatch) -> None:
    frozen = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)

    class Clock(datetime):
        @classmethod
        def now(cls, tz=None):
            return frozen

    monkeypatch.setattr(build_module, "datetime", Clock)
    settings = _settings(project_copy)
    first = build(settings, progress=_quiet).path
    reader = ox.Store.read_only(str(first))  # a server still reading the first build
    second = build(settings, progress=_quiet).path
    assert first != second and first.name.startswith("20260102T030405Z-")
    assert settings.store_dir.resolve() == second.resolve()
    assert (first / "build.json").is_file() and len(reader) == len(ox.Store.read_only(
        str(second)))


KILLED_MAPPING = """
import os, sys, time
from pathlib import Path
from publisher.pipeline import parallel_map
pids = Path(sys.argv[1])
def stuck(paths, *args):
    (pids / str(os.getpid())).write_text("")
    time.sleep(300)  # a worker busy with its files when the build is killed
    return []
parallel_map._map_slice = stuck
parallel_map.MIN_FILES_PER_WORKER = 1  # the shipped 13 files use the pool (128 would anyway)
print("mapping", flush=True)
parallel_map.read_and_map(Path(sys.argv[2]) / "data", {}, "http://localhost:8000/",
                          Path(sys.argv[2]), 2)
"""


def test_a_killed_build_leaves_no_mapping_worker_behind(project_copy: Path,
                                                        tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    pids.mkdir()
    build_process = subprocess.Popen([sys.executable, "-c", KILLED_MAPPING, str(pids),
                                      str(project_copy)], stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL)
    _wait_for(lambda: len(list(pids.iterdir())) == 2, "two mapping workers")
    workers = [int(p.name) for p in pids.iterdir()]
    build_process.kill()
    build_process.wait(timeout=BOUND_S)
    _wait_for(lambda: not any(_running(pid) for pid in workers), "the workers to die")
    # Nothing holds the build's stdout any more: whoever reads it sees its end.
    out, _ = build_process.communicate(timeout=BOUND_S)
    assert out == b"mapping\n"


def _enospc(*_args, **_kwargs):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def _fail_when(method, test):
    def failing(self, *args, **kwargs):
        if test(self):
            _enospc()
        return method(self, *args, **kwargs)
    return failing


STEPS = {
    "creating the build folder": lambda mp: mp.setattr(load_module, "_claim", _enospc),
    "writing build.json": lambda mp: mp.setattr(pathlib.Path, "write_text", _fail_when(
        pathlib.Path.write_text, lambda path: path.name == "build.json")),
    "renaming the build": lambda mp: mp.setattr(pathlib.Path, "rename", _fail_when(
        pathlib.Path.rename, lambda path: path.name.endswith(".partial"))),
    "swapping the live link": lambda mp: mp.setattr(load_module, "swap_in", _enospc),
    # the dumps are made by a process of their own: its failure is the build's
    "making the dumps": lambda mp: mp.setattr(build_module, "DUMPER", [
        sys.executable, "-c", "import sys; sys.exit('writing: No space left on device')"]),
}


@pytest.mark.parametrize("step", STEPS)
def test_a_full_disk_at_any_step_is_reported_and_cleaned_up(step: str, project_copy: Path,
                                                           monkeypatch, capsys) -> None:
    settings = _settings(project_copy)
    build(settings, progress=_quiet)
    live, triples = settings.store_dir.resolve(), _triples(settings)
    _edit(project_copy, SOURCE_000, "label: Talks between Mohamad Hasan",
          "label: Changed talks between Mohamad Hasan")
    with monkeypatch.context() as patch:
        STEPS[step](patch)
        assert main(_cli(settings)) == 3
    err = capsys.readouterr().err
    assert "No space left on device" in err and "Traceback" not in err, err
    assert settings.store_dir.resolve() == live and _triples(settings) == triples
    assert not list(settings.builds_dir.glob("*.partial"))
    assert [p for p in settings.builds_dir.iterdir()] == [live]


def test_an_unwritable_store_is_an_environment_failure(project_copy: Path, capsys) -> None:
    not_a_folder = project_copy / "var-file"
    not_a_folder.write_text("")
    assert main(_cli(_settings(project_copy, not_a_folder / "store"))) == 3
    err = capsys.readouterr().err
    assert "cannot create the build lock" in err and "Traceback" not in err
    real_folder = project_copy / "var" / "store"
    real_folder.mkdir(parents=True)
    assert main(_cli(_settings(project_copy, real_folder))) == 3
    assert "is not the symlink `publisher build` makes" in capsys.readouterr().err


# -- a real full disk: a tiny tmpfs (needs the right to mount, as root in CI) -------------

@pytest.fixture
def tiny_disk(tmp_path: Path):
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(disk)],
                             capture_output=True)
    if mounted.returncode != 0:
        pytest.skip("cannot mount a tmpfs here; the fault-injection tests cover the steps")
    try:
        yield disk
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


def _fill(disk: Path) -> Path:
    filler = disk / "filler"
    with filler.open("wb", buffering=0) as out:
        try:
            while True:
                out.write(b"\0" * 65536)
                out.flush()
        except OSError as error:
            assert error.errno == errno.ENOSPC
    return filler


FULL_AT_PUBLISH = """
import sys
from pathlib import Path
from publisher import cli
from publisher.pipeline import build, load
real = load.publish
def fill_then_publish(*args, **kwargs):
    with open(sys.argv[1], "wb", buffering=0) as out:
        try:
            while True:
                out.write(b"\\0" * 4096)
                out.flush()
        except OSError:
            pass
    return real(*args, **kwargs)
build.publish = fill_then_publish
sys.exit(cli.main(sys.argv[2:]))
"""


def test_a_really_full_disk_is_reported_and_cleaned_up(project_copy: Path,
                                                       tiny_disk: Path) -> None:
    # The document pack alone is about as large as this disk (its own full-disk failure is
    # tests/linked_data/test_document_pack.py's), so these builds go without it.
    settings = _settings(project_copy, tiny_disk / "store").model_copy(
        update={"build_document_pack": False})
    env = {**os.environ, "PUBLISHER_BUILD_WORKERS": "1",
           "PUBLISHER_BUILD_DOCUMENT_PACK": "false"}
    build(settings, progress=_quiet)
    live, triples = settings.store_dir.resolve(), _triples(settings)
    _edit(project_copy, SOURCE_000, "label: Talks between Mohamad Hasan",
          "label: Changed talks between Mohamad Hasan")

    def check_refused(run: subprocess.CompletedProcess[str], *expected: str) -> None:
        assert run.returncode == 3, run.stderr
        assert "Traceback" not in run.stderr and "No space left on device" in run.stderr
        for text in expected:
            assert text in run.stderr, run.stderr
        assert settings.store_dir.resolve() == live and _triples(settings) == triples
        assert not list(settings.builds_dir.glob("*.partial"))

    filler = _fill(tiny_disk)  # full from the start: the dump or the store cannot be written
    check_refused(subprocess.run([sys.executable, "-m", "publisher.cli", *_cli(settings)],
                                 capture_output=True, text=True, timeout=BOUND_S, env=env))
    filler.unlink()
    # Full just before build.json is written.
    check_refused(subprocess.run([sys.executable, "-c", FULL_AT_PUBLISH, str(filler),
                                  *_cli(settings)], capture_output=True, text=True,
                                 timeout=BOUND_S, env=env), "build.json")
    filler.unlink()
    assert build(settings, progress=_quiet).path.resolve() == settings.store_dir.resolve()
    assert settings.store_dir.resolve() != live


INTERRUPTED_AT_PUBLISH = """
import signal, sys
from publisher import cli
from publisher.pipeline import build
# A test run started in the background (nohup, `cmd &` in a script) inherits an ignored
# SIGINT, which Python then leaves ignored: Ctrl-C is what this build must get.
signal.signal(signal.SIGINT, signal.default_int_handler)
real = build.publish
def interrupted(settings, partial, info, _hook=None):
    return real(settings, partial, info, lambda _partial: signal.raise_signal(signal.SIGINT))
build.publish = interrupted
sys.exit(cli.main(sys.argv[1:]))
"""


def test_an_interrupted_build_says_so_and_leaves_nothing(project_copy: Path) -> None:
    """Ctrl-C at the last step: a message, exit 130, no traceback, nothing left behind."""
    settings = _settings(project_copy)
    run = subprocess.run([sys.executable, "-c", INTERRUPTED_AT_PUBLISH, *_cli(settings)],
                         capture_output=True, text=True, timeout=BOUND_S)
    assert run.returncode == 130 and "BUILD INTERRUPTED" in run.stderr, run.stderr
    assert "Traceback" not in run.stderr
    assert not settings.store_dir.exists()
    assert not list(settings.builds_dir.iterdir())
