"""A build reads files anyone can propose: each hostile one is refused with file and line.

Each case runs ``publisher build`` as a user would, in a child process under a memory
limit and a time bound (so a regression fails instead of taking the machine or the suite
down), on a copy of the project with one bad file added.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from publisher.pipeline.facts import FactFileError, read_fact_file

#: Address space of the child build: the 601-byte bomb below needs far more than this
#: once expanded (the unbounded build ran until killed), a normal failing build far less.
MEMORY_LIMIT = 1536 * 1024 * 1024
#: Not a timing check: a bound after which a build that "runs forever" fails the test.
RUN_BOUND_S = 120

SOURCE = "data/sources/zz-hostile.yaml"


def _bomb(levels: int, width: int = 9) -> str:
    """A "billion laughs": each level a list of ``width`` aliases of the level before."""
    lines = ["id: graph/zz-bomb", "facts:", "  - id: event/bomb", "    type: Meeting",
             "    note: &a0 [" + ",".join(["lol"] * width) + "]"]
    lines += [f"    n{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * width) + "]"
              for i in range(1, levels)]
    lines.append(f"    label: *a{levels - 1}")
    return "\n".join(lines) + "\n"


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def run_build(project: Path, *extra: str, env: dict[str, str] | None = None,
              limit_memory: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "publisher.cli", "build", "--project-dir", str(project),
         "--store-dir", str(project / "var" / "store"), *extra],
        capture_output=True, text=True, timeout=RUN_BOUND_S, stdin=subprocess.DEVNULL,
        preexec_fn=_limit_memory if limit_memory else None,
        env={**os.environ, "PUBLISHER_BUILD_WORKERS": "1", **(env or {})})


def assert_refused(run: subprocess.CompletedProcess[str], *expected: str) -> None:
    """Exit 1 (the inputs are at fault), the file named, no traceback, nothing published."""
    assert run.returncode == 1, (run.returncode, run.stderr[-2000:])
    assert "Traceback" not in run.stderr
    assert "BUILD FAILED at mapping" in run.stderr
    for text in expected:
        assert text in run.stderr, run.stderr[-2000:]
    store = Path(run.args[run.args.index("--store-dir") + 1])
    assert not store.exists() and not list(store.parent.glob("store.builds/*"))


def test_an_alias_bomb_is_refused_at_its_line_in_bounded_memory(project_copy: Path) -> None:
    text = _bomb(12)
    assert len(text.encode()) < 700  # 601 bytes ran forever; this is bigger still
    (project_copy / SOURCE).write_text(text, encoding="utf-8")
    run = run_build(project_copy)
    assert_refused(run, f"{SOURCE}:6: YAML aliases (*name) are not allowed")


def test_merge_keys_and_tags_are_refused(tmp_path: Path) -> None:
    cases = {
        "merge.yaml": ("id: graph/x\nfacts:\n  - &base {id: event/a, label: A}\n"
                       "  - {<<: *base, id: event/b}\n", "merge.yaml:4: YAML aliases"),
        "merge-tag.yaml": ("id: graph/x\nfacts:\n  - {id: event/a,\n     !!merge x: {label: b}}\n",
                           "merge-tag.yaml:4: YAML merge keys (<<) are not allowed"),
        "binary.yaml": ("id: graph/x\nfacts:\n  - id: event/a\n    label: !!binary aGVsbG8=\n",
                        "binary.yaml:4: YAML tag tag:yaml.org,2002:binary is not allowed"),
        "time.yaml": ("id: graph/x\nfacts:\n  - id: event/a\n    date: !!timestamp 2025-01-01\n",
                      "time.yaml:4: YAML tag tag:yaml.org,2002:timestamp is not allowed"),
        "python.yaml": ("id: graph/x\nfacts:\n  - !!python/object:os.system {}\n",
                        "python.yaml:3: YAML tag tag:yaml.org,2002:python/object:os.system"),
    }
    for name, (text, expected) in cases.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
        with pytest.raises(FactFileError) as error:
            read_fact_file(tmp_path / name)
        assert expected in str(error.value), name


def test_a_symlink_to_dev_zero_is_refused(project_copy: Path) -> None:
    (project_copy / SOURCE).symlink_to("/dev/zero")
    assert_refused(run_build(project_copy),
                   f"{SOURCE}: a symlink to /dev/zero, outside the project")


def test_a_fifo_is_refused_without_blocking(project_copy: Path) -> None:
    os.mkfifo(project_copy / SOURCE)
    assert_refused(run_build(project_copy), f"{SOURCE}: not a regular file (a FIFO)")


def test_a_symlink_inside_the_project_to_a_fifo_is_refused(project_copy: Path) -> None:
    os.mkfifo(project_copy / "pipe")
    (project_copy / SOURCE).symlink_to(project_copy / "pipe")
    assert_refused(run_build(project_copy), f"{SOURCE}: not a regular file (a FIFO)")


def test_a_symlink_leaving_the_project_is_refused(project_copy: Path, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere" / "secret.yaml"
    outside.parent.mkdir()
    outside.write_text("id: graph/secret\nfacts:\n  - {id: person/x, type: Person, "
                       "label: Not for publication}\n", encoding="utf-8")
    (project_copy / SOURCE).symlink_to(outside)
    assert_refused(run_build(project_copy), f"{SOURCE}: a symlink to {outside}, outside the "
                                            "project")


def test_symlinked_folders_are_refused_and_symlinks_within_the_project_followed(
        project_copy: Path, tmp_path: Path) -> None:
    (project_copy / "data" / "more").symlink_to(tmp_path)
    assert_refused(run_build(project_copy), "data/more: a symlinked folder")
    (project_copy / "data" / "more").unlink()
    shared = project_copy / "shared-facts.yaml"
    shared.write_text("id: graph/reference\nfacts:\n  - {id: person/someone-new, type: Person,"
                      " label: Someone New}\n", encoding="utf-8")
    (project_copy / "data" / "reference" / "extra.yaml").symlink_to(shared)
    run = run_build(project_copy, limit_memory=False)
    assert run.returncode == 0, run.stderr


def test_a_huge_value_is_refused_with_its_line(project_copy: Path) -> None:
    (project_copy / SOURCE).write_text(
        "id: graph/zz\nfacts:\n  - id: event/huge\n    type: Meeting\n"
        f"    label: \"{'x' * 200_000}\"\n", encoding="utf-8")
    assert_refused(run_build(project_copy), f"{SOURCE}:5: a value of 200,000 characters, over "
                                            "the limit of 100,000 (PUBLISHER_MAX_FACT_VALUE_CHARS)")


def test_a_huge_file_is_refused_before_it_is_read(project_copy: Path) -> None:
    with (project_copy / SOURCE).open("w", encoding="utf-8") as out:
        out.write("id: graph/zz\nfacts:\n  - id: event/huge\n    label: \"")
        out.write("x" * (50 * 1024 * 1024))
        out.write("\"\n")
    size = (project_copy / SOURCE).stat().st_size
    assert_refused(run_build(project_copy), f"{SOURCE}: {size:,} bytes, over the limit of "
                                            "16,777,216 (PUBLISHER_MAX_INPUT_FILE_BYTES)")


def test_limits_are_settings(project_copy: Path) -> None:
    (project_copy / SOURCE).write_text(
        "id: graph/zz\nfacts:\n  - id: event/long\n    type: Meeting\n"
        f"    label: \"{'x' * 2_000}\"\n", encoding="utf-8")
    run = run_build(project_copy, env={"PUBLISHER_MAX_FACT_VALUE_CHARS": "1000"})
    assert_refused(run, f"{SOURCE}:5: a value of 2,000 characters, over the limit of 1,000")
    (project_copy / SOURCE).write_text(
        "id: graph/zz\nfacts:\n" + "  - {id: event/a, type: Meeting}\n" * 5000,
        encoding="utf-8")
    run = run_build(project_copy, env={"PUBLISHER_MAX_INPUT_FILE_BYTES": "100000"})
    size = (project_copy / SOURCE).stat().st_size
    assert_refused(run, f"{SOURCE}: {size:,} bytes, over the limit of 100,000")


@pytest.mark.parametrize("nesting", [
    "[" * 200_000 + "]" * 200_000,                       # flow collections
    "\n" + "".join(" " * (i + 4) + "- \n" for i in range(0, 6000, 2)) + " " * 6004 + "x",
])
def test_deep_nesting_is_refused_not_a_crash(tmp_path: Path, nesting: str) -> None:
    path = tmp_path / "deep.yaml"
    path.write_text(f"id: graph/x\nfacts:\n  - id: event/a\n    label: {nesting}\n",
                    encoding="utf-8")
    code = ("import sys\nfrom pathlib import Path\n"
            "from publisher.pipeline.facts import FactFileError, read_fact_file\n"
            "try:\n    read_fact_file(Path(sys.argv[1]))\n"
            "except FactFileError as error:\n    print(error)\n")
    run = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True,
                         text=True, timeout=RUN_BOUND_S)
    assert run.returncode == 0, run.stderr  # not killed by a C stack overflow
    assert run.stdout.startswith("deep.yaml:"), run.stdout
    assert "nest" in run.stdout


def test_unquoted_words_yaml_reads_as_booleans_are_caught(tmp_path: Path) -> None:
    from publisher.pipeline.build import fact_checker
    from publisher.pipeline.mapping import load_context, parse_turtle_dir
    from publisher.settings import Settings
    from tests.conftest import ROOT

    settings = Settings(project_dir=ROOT)
    checker = fact_checker(settings, load_context(settings.mappings_dir),
                           parse_turtle_dir(settings.ontology_dir, settings.base, None))
    path = tmp_path / "norway.yaml"
    path.write_text("id: graph/reference\nfacts:\n  - {id: country/NOR, type: Country, "
                    "label: Norway, iso2: NO, iso3: NOR}\n", encoding="utf-8")
    with pytest.raises(FactFileError) as error:
        read_fact_file(path, tmp_path, checker=checker)
    assert error.value.problems == [
        "norway.yaml:3 (record country/NOR): `iso2` must be text; YAML read the unquoted "
        "value as false: put it in quotes (YAML takes yes/no/on/off, NO and numbers as "
        "non-text)"]
