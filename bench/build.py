"""Benchmark 1: the build (map, validate, load) at several scales, beside raw Oxigraph.

Run ``python -m bench.build [--scales 10000 100000 1000000] [--seed 1]``. For each scale
it generates the synthetic project (``bench.generate``, skipped when the folder already
holds that scale and seed), runs a complete ``publisher build`` in a fresh process that
reports each stage's seconds and the peak resident memory of its process tree (the build
and the processes it starts: mapping workers, the store writer) during that stage, and
then, as the reference in the same run, has the ``oxigraph`` command (PyPI) load the very
same quads from an N-Quads file into an empty store. The table shows how each stage grows
from one scale to the next; the JSON goes to ``bench/results/build.json``.

At the scales given to ``--rebuild-scales`` (by default the largest), it then changes one
fact file of a source (the label of the middle one) and builds again, as a curator's
edit would: the mapping of every other file, the SHACL runs on unchanged data and the
unchanged graphs of the live store are reused (:mod:`publisher.pipeline.build_cache`).
The file is put back afterwards, so a cached dataset stays the generator's.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.generate import COPIED_FOLDERS

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
#: Stages that print ``- name ...``; the load runs alongside validation, so its memory is
#: counted under ``validate``.
STAGES = ("map", "validate")


def _pss_mib(root: int) -> float:
    """Proportional memory (PSS) of process ``root`` and every descendant now (Linux
    ``/proc``): a page that forked processes share counts once in all, not once in
    each, as the build's workers share its prepared dataset."""
    total = 0
    for pid in _tree(root):
        try:
            with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as rollup:
                for line in rollup:
                    if line.startswith("Pss:"):
                        total += int(line.split()[1])
                        break
        except (OSError, IndexError, ValueError):
            pass  # it ended in between
    return total / 1024


def _tree(root: int) -> list[int]:
    pids, todo = [], [root]
    while todo:
        pid = todo.pop()
        pids.append(pid)
        for task in Path(f"/proc/{pid}/task").glob("*/children"):  # every thread's children
            try:
                todo.extend(int(child) for child in task.read_text("ascii").split())
            except OSError:
                pass
    return pids


class StagePeaks:
    """Samples the memory (PSS) of a build's process tree, from outside it (a thread in
    the build's own process would change what it measures: the build forks workers only
    while it has no other thread), and keeps the highest value seen in each stage.

    Reading PSS costs the kernel a walk of every page table of the tree, and the build's
    processes hold gigabytes at 1M: sampled every 50 ms, the walks took 112 of the 176 s
    of a 1M document pack, which itself took 176 s instead of 130. So the sampler waits
    :data:`SAMPLING_SHARE` times as long as its last reading took (at least 50 ms): it
    costs the machine at most about 1/SAMPLING_SHARE of one core, and a build's memory
    plateaus (a stage holds its dataset for seconds) are still seen."""

    #: The sampler's pause, as a multiple of the time its last reading took.
    SAMPLING_SHARE = 40

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.stage = "start"
        self.lines: list[str] = []
        self.peaks: dict[str, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        pause = 0.05
        while not self._stop.wait(pause):
            started = time.perf_counter()
            pss = _pss_mib(self.pid)
            self.peaks[self.stage] = max(self.peaks.get(self.stage, 0.0), pss)
            pause = max(0.05, self.SAMPLING_SHARE * (time.perf_counter() - started))

    def progress(self, line: str) -> None:
        """A line the build printed: ``- map ...`` lines start a stage."""
        self.lines.append(line)
        if line.startswith("- ") and line.endswith(" ..."):
            self.stage = line[2:-4]

    def __enter__(self) -> StagePeaks:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()


#: What the child prints before its JSON line of measurements.
RESULT = "RESULT "


def child(project: Path, store: Path, dump: Path) -> None:
    """One build in this (fresh) process, with nothing else running in it; prints its
    progress lines, then its measurements as one JSON line. ``dump`` ``-``: no dump of
    the store afterwards (a rebuild)."""
    from publisher.pipeline.build import build
    from publisher.settings import Settings

    settings = Settings(project_dir=project, store_dir=store, base="http://localhost:8000/")
    lines: list[str] = []

    def progress(line: str) -> None:
        lines.append(line)
        print(line, flush=True)

    result = build(settings, progress=progress)
    import pyoxigraph as ox

    if str(dump) != "-":
        ox.Store.read_only(str(store.resolve())).dump(str(dump), format=ox.RdfFormat.N_QUADS)
    lines = [line.strip() for line in lines]
    print(RESULT + json.dumps({
        "triples": result.stats["triples"], "seconds": result.timings,
        "report": [line for line in lines if any(
            said in line for said in ("cache", "load:", "dumps:", "search index:",
                                      "as in the live build"))]}), flush=True)


def _run_build(command: list[str]) -> tuple[dict[str, Any], float]:
    """Run a ``--child`` build, sampling its memory per stage from here; its
    measurements and wall seconds."""
    start = time.perf_counter()
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          cwd=ROOT, text=True) as process:
        errors: list[str] = []
        reader = threading.Thread(target=lambda: errors.append(process.stderr.read()),
                                  daemon=True)
        reader.start()
        result: dict[str, Any] | None = None
        with StagePeaks(process.pid) as peaks:
            for line in process.stdout:
                if line.startswith(RESULT):
                    result = json.loads(line[len(RESULT):])
                else:
                    peaks.progress(line.rstrip("\n"))
        process.wait()
        reader.join()
    seconds = time.perf_counter() - start
    if process.returncode != 0 or result is None:
        sys.exit(f"{' '.join(command)} failed ({process.returncode}):\n"
                 f"{''.join(errors)[-2000:]}")
    result["peak_pss_mib"] = {k: round(v, 1) for k, v in peaks.peaks.items()}
    result["max_pss_mib"] = round(max(peaks.peaks.values()), 1)
    return result, seconds


def _timed_peak(command: list[str]) -> tuple[float, float]:
    """Wall seconds and peak RSS of ``command`` via GNU time (``-f %M``, KiB)."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as report:
        start = time.perf_counter()
        subprocess.run(["/usr/bin/time", "-f", "%M", "-o", report.name, *command], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        seconds = time.perf_counter() - start
        peak_kib = int(report.read().strip().splitlines()[-1])
    return seconds, peak_kib / 1024


def ensure_dataset(folder: Path, triples: int, seed: int) -> None:
    stamp = folder / "bench-dataset.json"
    wanted = {"triples": triples, "seed": seed}
    if stamp.exists() and json.loads(stamp.read_text()) == wanted:
        # The facts are cached; the mapping, ontology and shapes are this checkout's, so a
        # cached dataset is built the way the code under test builds it.
        for name in COPIED_FOLDERS:
            shutil.rmtree(folder / name, ignore_errors=True)
            shutil.copytree(ROOT / name, folder / name)
        return
    shutil.rmtree(folder, ignore_errors=True)
    subprocess.run([sys.executable, "-m", "bench.generate", "--triples", str(triples),
                    "--seed", str(seed), "--out", str(folder)], check=True, cwd=ROOT,
                   stdout=subprocess.DEVNULL)
    stamp.write_text(json.dumps(wanted))


def changed_file(folder: Path) -> Path:
    """The fact file a rebuild changes: the middle source file."""
    sources = sorted((folder / "data" / "sources").glob("*.yaml"))
    return sources[len(sources) // 2]


def rebuild(folder: Path, number: int = 1) -> dict[str, Any]:
    """Change one source file's label (differently for each ``number``, so each rebuild
    has a change to make against the live build), build again (with the cache of the
    builds before), and put the file back."""
    path = changed_file(folder)
    original = path.read_bytes()
    text = original.decode("utf-8")
    marker = '\nlabel: "'  # the generator quotes every label
    if marker not in text:
        sys.exit(f"{path}: no quoted top-level label to change")
    path.write_text(text.replace(marker, marker + ("edited: " if number == 1 else
                                                   f"edited {number}: "), 1),
                    encoding="utf-8")
    try:
        result, wall = _run_build([sys.executable, "-m", "bench.build", "--child",
                                   str(folder), str(folder / "var" / "store"), "-"])
    finally:
        path.write_bytes(original)
    result["wall_seconds"] = round(wall, 2)
    result["changed_file"] = str(path.relative_to(folder))
    return result


def measure(folder: Path, again: bool = False, repeats: int = 1) -> dict[str, Any]:
    store = folder / "var" / "store"
    shutil.rmtree(folder / "var", ignore_errors=True)  # the build cache too: a cold build
    dump = folder / "dataset.nq"
    ours, wall = _run_build([sys.executable, "-m", "bench.build", "--child", str(folder),
                             str(store), str(dump)])
    ours["wall_seconds"] = round(wall, 2)
    rebuilds = [rebuild(folder, number) for number in range(1, repeats + 1)] if again else []
    oxigraph = shutil.which("oxigraph") or str(Path(sys.executable).parent / "oxigraph")
    reference_store = folder / "var" / "oxigraph-load"
    seconds, peak = _timed_peak([oxigraph, "load", "--location", str(reference_store),
                                 "--file", str(dump)])
    shutil.rmtree(reference_store, ignore_errors=True)
    dump.unlink()
    return {"ours": ours, "one_file_rebuild": rebuilds[0] if rebuilds else None,
            "one_file_rebuilds": rebuilds,
            "oxigraph_load": {"seconds": round(seconds, 2), "peak_rss_mib": round(peak, 1)}}


def machine() -> dict[str, Any]:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    from importlib.metadata import version

    return {"date": datetime.now(UTC).isoformat(timespec="seconds"), "cpu": model,
            "cores": os.cpu_count(), "python": platform.python_version(),
            "versions": {p: version(p) for p in ("pyoxigraph", "pyshacl", "pyshacl-turbo",
                                                 "oxigraph", "rdflib")}}


def _row(build: str, ours: dict[str, Any], ref: dict[str, Any]) -> str:
    s, peaks = ours["seconds"], ours.get("peak_pss_mib") or ours["peak_rss_mib"]
    return (f"| {ours['triples']:,} | {build} | {s['map']:.2f} ({s.get('map.files', 0):.2f} "
            f"/ {s.get('map.derive', 0):.2f}) | {s['validate']:.2f} | {s['load']:.2f} "
            f"| {s.get('dumps', 0):.2f} / {s.get('search index', 0):.2f} "
            f"| {s.get('document pack', 0):.2f} | {s['total']:.2f} "
            f"| {' / '.join(f'{peaks[k]:.0f}' if k in peaks else '—' for k in STAGES)} "
            f"| {ref['seconds']:.2f} ({ref['peak_rss_mib']:.0f}) "
            f"| ×{s['total'] / ref['seconds']:.2f} |")


def table(rows: list[dict[str, Any]]) -> str:
    lines = ["| triples | build | map s (files / derive) | validate s "
             "| load s (alongside validation) | dumps / search index s (alongside) "
             "| document pack s (after) | total s "
             "| peak MiB, PSS (map / validate+load) | oxigraph load s (peak RSS MiB) "
             "| total / oxigraph |",
             "|---:|---|---:|---:|---:|---:|---:|---:|---|---:|---:|"]
    for row in rows:
        lines.append(_row("cold", row["ours"], row["oxigraph_load"]))
        for number, again in enumerate(row.get("one_file_rebuilds") or [
                row["one_file_rebuild"]] if row.get("one_file_rebuild") else [], 1):
            lines.append(_row("one file changed" + (f" ({number})" if number > 1 else ""),
                              again,
                              row["oxigraph_load"]))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.build", description=__doc__)
    parser.add_argument("--scales", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rebuild-scales", type=int, nargs="*", default=None,
                        help="scales at which one file is then changed and the project "
                        "built again (default: the largest scale)")
    parser.add_argument("--rebuilds", type=int, default=1,
                        help="one-file rebuilds in a row at each of those scales, each "
                        "changing the file differently (the first after a cold build "
                        "also pays for the writes the cold build left to the disk)")
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "bench")
    parser.add_argument("--out", type=Path, default=None,
                        help="JSON results (default bench/results/build.json)")
    parser.add_argument("--child", nargs=3, type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(*args.child)
        return 0
    rows = []
    again = set(args.rebuild_scales if args.rebuild_scales is not None
                else [max(args.scales)])
    for scale in args.scales:
        folder = args.workdir / f"gen-{scale}-seed{args.seed}"
        ensure_dataset(folder, scale, args.seed)
        print(f"building {scale:,} triples in {folder} ...", file=sys.stderr)
        load_before = os.getloadavg()[0]
        rows.append({"scale": scale, **measure(folder, scale in again, args.rebuilds),
                     "load_average": {"before": round(load_before, 2),
                                      "after": round(os.getloadavg()[0], 2)}})
    print(table(rows))
    out = args.out or RESULTS / "build.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(
        {"benchmark": "build", "machine": machine(), "seed": args.seed, "rows": rows},
        indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
