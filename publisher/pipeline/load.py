"""Stage 4: write a complete new store beside the live one, then swap it in.

The new build is written to ``<builds>/<name>.partial`` and renamed only once the store
and its ``build.json`` are complete; only then does the live symlink move. A build that
fails removes what it wrote; one that is killed leaves at most ``.partial`` leftovers,
which the next build removes (it holds the build lock, :mod:`.lock`, so no other build
can be writing them); the live store is never touched. Every name is claimed with an
exclusive ``mkdir``, so two builds in the same second, or of the same inputs, never share
a folder, and an existing build is never overwritten.

The store is written by a separate process (:mod:`.bulk_load`), from an N-Quads dump of
the prepared dataset, so that it runs alongside SHACL validation. At a million triples
this takes most of the load (13 s) off the build's critical path on a 2-core machine.

When the live build's store was written by a build that recorded what each of its graphs
held (a hash of the graph's sorted N-Quads, kept in the build cache), the new store is
that store copied on write (a RocksDB checkpoint: its immutable files are hard-linked,
not copied) with only the graphs whose hash changed replaced, and those that are gone
removed: the same quads a full load writes, in a fraction of the time after a small
change. Without such a record (the first build, the cache turned off or deleted, another
builder's store) the store is written whole.
"""

from __future__ import annotations

import itertools
import json
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from ..builds import BUILD_INFO, StoreUnavailable, resolve_live_build, swap_in
from ..settings import Settings
from .nquads import graph_of

#: The command that writes a store from an N-Quads file; the two paths are appended.
LOADER = [sys.executable, "-m", "publisher.pipeline.bulk_load"]


def clean_partial_builds(builds_dir: Path) -> None:
    """Remove what killed builds left. Call only while holding the build lock: then no
    ``.partial`` belongs to a build that is still running."""
    if builds_dir.is_dir():
        for leftover in builds_dir.glob("*.partial"):
            if leftover.is_dir() and not leftover.is_symlink():
                shutil.rmtree(leftover, ignore_errors=True)
            else:
                leftover.unlink(missing_ok=True)


class LoadFailed(Exception):
    """Writing the new store failed (its process, or the disk); the message says how."""


def _claim(builds: Path, name: str) -> Path:
    """A new, empty ``<name>[-n].partial`` folder whose final name is free too."""
    for number in itertools.count(1):
        candidate = name if number == 1 else f"{name}-{number}"
        if (builds / candidate).exists():
            continue
        partial = builds / f"{candidate}.partial"
        try:
            partial.mkdir()
        except FileExistsError:
            continue
        return partial
    raise AssertionError("unreachable")


def _oserror(action: str, path: Path, error: OSError) -> LoadFailed:
    return LoadFailed(f"{action} {path}: {error.strerror or error}")


def _manifest_path(settings: Settings, build: Path) -> Path:
    return settings.build_cache_dir / "stores" / f"{build.name}.json"


def previous_store(settings: Settings) -> tuple[Path, Path] | None:
    """The live build and the record of the hash of each of its graphs, when a build
    made that record for exactly that build (same folder, same build id); else None."""
    if not settings.build_cache:
        return None
    try:
        live = resolve_live_build(settings)
        build_id = json.loads((live / BUILD_INFO).read_text(encoding="utf-8"))["build_id"]
        record = json.loads(_manifest_path(settings, live).read_text(encoding="utf-8"))
    except (StoreUnavailable, OSError, ValueError, KeyError, TypeError):
        return None
    if not isinstance(record, dict) or record.get("build_id") != build_id \
            or not isinstance(record.get("graphs"), dict):
        return None
    return live, _manifest_path(settings, live)


def recorded_graphs(record: Path) -> dict[str, str]:
    """The hash of each graph of a build, as :func:`record_store` wrote it (OSError or
    ValueError when it cannot be read)."""
    graphs = json.loads(record.read_text(encoding="utf-8"))["graphs"]
    if not isinstance(graphs, dict):
        raise ValueError(f"{record} holds no record of graphs")
    return graphs


def record_store(settings: Settings, build: Path, build_id: str,
                 hashes: dict[str, str]) -> None:
    """Remember what each graph of the published build holds, for the next build; the
    records of builds no longer kept are removed. Best effort, like every cache write."""
    folder = settings.build_cache_dir / "stores"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        target = _manifest_path(settings, build)
        temporary = target.with_name(f".{target.name}.tmp")
        temporary.write_text(json.dumps({"build_id": build_id, "graphs": hashes},
                                        sort_keys=True), encoding="utf-8")
        temporary.replace(target)
        kept = {p.name for p in settings.builds_dir.iterdir()}
        for old in folder.glob("*.json"):
            if old.name.removesuffix(".json") not in kept:
                old.unlink(missing_ok=True)
    except OSError:
        pass


class Loading:
    """A new store being written in ``<builds>/<name>.partial`` by another process.

    A thread of this process dumps the dataset for it (2 s at a million triples, so that
    overlaps the validation too), starts it and waits for it. The writer dies with that
    thread (``PR_SET_PDEATHSIG`` is per thread), so the thread lives as long as the writer.
    With ``previous`` (:func:`previous_store`), only the graphs that changed are written,
    into a copy-on-write checkpoint of that store.
    """

    def __init__(self, settings: Settings, name: str, dataset: ox.Store,
                 previous: tuple[Path, Path] | None = None, deferred: bool = False,
                 clean: bool = True) -> None:
        """``deferred``: start nothing yet; :meth:`write_changes` starts the writer
        once the build knows each graph's hash. ``clean``: remove what killed builds
        left first (false when the caller did, before starting writers of its own)."""
        self.previous = previous
        self.hashes: dict[str, str] = {}
        self.changed: int | None = None  # graphs written in place of the live store's
        builds = settings.builds_dir
        try:
            builds.mkdir(parents=True, exist_ok=True)
            if clean:
                clean_partial_builds(builds)
            self.partial = _claim(builds, name)
        except OSError as error:
            raise _oserror("cannot create a new build in", builds, error) from error
        self.started = time.perf_counter()
        self._dump = self.partial.with_name(self.partial.name.removesuffix(".partial")
                                            + ".nq.partial")
        self._hashes = self.partial.with_name(self.partial.name.removesuffix(".partial")
                                              + ".hashes.partial")
        self._lock = threading.Lock()
        self._cancelled = False
        self._process: subprocess.Popen[bytes] | None = None
        self._failure: str | None = None
        self._finished = self.started
        self._thread = threading.Thread(target=self._run, args=(dataset,),
                                        name="build-load", daemon=True)
        if not deferred:
            self._thread.start()

    def write_changes(self, dataset: ox.Store, hashes: dict[str, str]) -> None:
        """Start writing a copy of the live store (``previous``) with only the graphs
        whose hash differs from its record replaced, and those gone removed: only they
        are dumped for the writer, and nothing is hashed again."""
        assert self.previous is not None
        live, record = self.previous
        try:
            before = recorded_graphs(record)
        except (OSError, ValueError, KeyError, TypeError) as error:
            self._failure = f"reading {record}: {error}"
            return
        replace = sorted(key for key in {*before, *hashes} if before.get(key) != hashes.get(key))
        self.hashes, self.changed = dict(hashes), len(replace)
        self._thread = threading.Thread(target=self._run_changes,
                                        args=(dataset, live, replace),
                                        name="build-load", daemon=True)
        self.started = time.perf_counter()
        self._thread.start()

    def _run_changes(self, dataset: ox.Store, live: Path, replace: list[str]) -> None:
        listed = self._hashes
        try:
            listed.write_text(json.dumps(replace), encoding="utf-8")
            with open(self._dump, "wb") as out:  # the changed graphs only
                for key in replace:
                    out.write(ox.serialize(dataset.quads_for_pattern(None, None, None,
                                                                     graph_of(key)),
                                           format=ox.RdfFormat.N_QUADS) or b"")
            if not self._start([*LOADER, "--onto", str(live), "--replace", str(listed),
                                str(self._dump), str(self.partial)]):
                return
            _, errors = self._process.communicate()
            if self._process.returncode != 0 and not self._cancelled:
                lines = errors.decode(errors="replace").strip().splitlines()
                self._failure = (lines[-1] if lines else
                                 f"the load process exited with {self._process.returncode}")
        except OSError as error:  # reported by wait()
            self._failure = f"writing {self._dump}: {error.strerror or error}"
        except Exception as error:
            self._failure = f"writing {self.partial}: {type(error).__name__}: {error}"
        finally:
            self._dump.unlink(missing_ok=True)
            listed.unlink(missing_ok=True)
            self._finished = time.perf_counter()

    def _start(self, command: list[str]) -> bool:
        with self._lock:
            if self._cancelled:
                return False
            self._process = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE)
        return True

    def _run(self, dataset: ox.Store) -> None:
        hashes = self._hashes
        try:
            dataset.dump(str(self._dump), format=ox.RdfFormat.N_QUADS)
            command = [*LOADER]
            if self.previous is not None:
                live, record = self.previous
                command += ["--onto", str(live), "--previous", str(record),
                            "--hashes", str(hashes)]
            if not self._start([*command, str(self._dump), str(self.partial)]):
                return
            _, errors = self._process.communicate()
            if self._process.returncode != 0 and not self._cancelled:
                lines = errors.decode(errors="replace").strip().splitlines()
                self._failure = (lines[-1] if lines else
                                 f"the load process exited with {self._process.returncode}")
            elif self.previous is not None and not self._cancelled:
                written = json.loads(hashes.read_text(encoding="utf-8"))
                self.hashes, self.changed = written["graphs"], written["changed"]
        except OSError as error:  # reported by wait()
            self._failure = f"writing {self._dump}: {error.strerror or error}"
        except Exception as error:
            self._failure = f"writing {self.partial}: {type(error).__name__}: {error}"
        finally:
            self._dump.unlink(missing_ok=True)
            hashes.unlink(missing_ok=True)
            self._finished = time.perf_counter()

    def wait(self) -> float:
        """Block until the store is complete; the seconds it took, or LoadFailed."""
        if self._thread.ident is not None:  # started (a deferred load may fail before)
            self._thread.join()
        if self._failure is not None:
            self.discard()
            raise LoadFailed(self._failure)
        return round(self._finished - self.started, 3)

    def discard(self) -> None:
        """Stop the load at once (the build failed) and delete what it wrote."""
        with self._lock:
            self._cancelled = True
            if self._process is not None and self._process.poll() is None:
                self._process.kill()
        if self._thread.ident is not None:
            self._thread.join()
        self._dump.unlink(missing_ok=True)
        self._hashes.unlink(missing_ok=True)
        shutil.rmtree(self.partial, ignore_errors=True)


def publish(
    settings: Settings,
    partial: Path,
    info: dict[str, Any],
    before_publish: Callable[[Path], None] | None = None,
) -> Path:
    """Record ``info`` in a complete partial store, rename it and swap it in.

    Any failure before the swap (a full disk while writing ``build.json``, an interrupt)
    deletes the new build and leaves the live one; OSError becomes LoadFailed."""
    final = partial.with_name(partial.name.removesuffix(".partial"))
    try:
        try:
            (partial / BUILD_INFO).write_text(
                json.dumps(info, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        except OSError as error:
            raise _oserror("cannot write", partial / BUILD_INFO, error) from error
        if before_publish is not None:
            before_publish(partial)
        try:
            partial.rename(final)
        except OSError as error:
            raise _oserror("cannot rename the new build to", final, error) from error
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    try:
        swap_in(settings, final)
    except BaseException as error:
        with suppress(OSError):
            if settings.store_dir.resolve() != final.resolve():  # it did not go live
                shutil.rmtree(final, ignore_errors=True)
        if isinstance(error, OSError | RuntimeError):
            message = error.strerror if isinstance(error, OSError) and error.strerror \
                else error
            raise LoadFailed(f"cannot point {settings.store_dir} at the new build: "
                             f"{message}") from error
        raise
    with suppress(OSError):  # the new build is live; old ones can go next time
        _prune(settings.builds_dir, keep={final}, count=settings.keep_builds)
    return final


def _prune(builds: Path, keep: set[Path], count: int) -> None:
    """Keep the newest ``count`` builds so a reader still on an older one is not cut off."""
    complete = sorted((p for p in builds.iterdir() if p.is_dir() and not p.name.endswith(
        ".partial")), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in complete[count:]:
        if old not in keep:
            shutil.rmtree(old, ignore_errors=True)
