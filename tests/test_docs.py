"""The README cannot drift from the code: its tables and examples are checked here.

- the configuration table lists exactly the fields of ``Settings``, with their defaults;
- the URL table names only paths the router answers, and every route's first segment;
- the command-line table lists exactly the subcommands and flags of ``publisher --help``;
- the ``curl`` examples run against ``publisher serve`` (with both base paths) and succeed;
- its other claims about the data model (``dateStatus`` values) match the mapping.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from publisher.app import create_app
from publisher.cli import parser
from publisher.settings import Settings
from tests.conftest import ROOT, Server, start_server, stop_server

README = (ROOT / "README.md").read_text(encoding="utf-8")
DEFAULT_BASE = "http://localhost:8000/"


def section(title: str) -> str:
    start = README.index(f"\n## {title}\n")
    end = README.find("\n## ", start + 1)
    return README[start:end if end != -1 else None]


def table_rows(text: str) -> list[list[str]]:
    rows = []
    for line in text.splitlines():
        if line.startswith("|") and not set(line) <= set("|- "):
            rows.append([cell.strip() for cell in line.strip("|").split(" | ")])
    return rows[1:]  # without the header


def code_spans(cell: str) -> list[str]:
    return re.findall(r"`([^`]+)`", cell)


# -- configuration -----------------------------------------------------------------------

def test_configuration_table_is_the_settings() -> None:
    rows = table_rows(section("Configuration"))
    documented = {}
    for row in rows:
        for variable in code_spans(row[0]):
            documented[variable] = row[1]
    fields = Settings.model_fields
    assert set(documented) == {f"PUBLISHER_{name.upper()}" for name in fields}
    for name, field in fields.items():
        shown = documented[f"PUBLISHER_{name.upper()}"]
        if field.default_factory is not None:
            assert "`" not in shown, (name, shown)  # described in words: "one per core"
            continue
        default = field.default
        expected = ("empty" if default == [] else str(default).lower()
                    if isinstance(default, bool) else f"{default:g}"
                    if isinstance(default, float) else str(default))
        assert shown in (f"`{expected}`", expected), (name, shown, expected)


# -- command line ------------------------------------------------------------------------

def test_command_line_table_is_the_cli() -> None:
    commands = parser()._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    documented = {}
    for row in table_rows(section("Command line")):
        usage = code_spans(row[0])[0]
        name = usage.split()[1]
        documented[name] = set(re.findall(r"--[a-z][a-z-]*", usage))
    assert set(documented) == set(commands)
    for name, sub in commands.items():
        flags = {option for action in sub._actions for option in action.option_strings
                 if option.startswith("--") and option != "--help"}
        assert documented[name] == flags, name


# -- URL layout --------------------------------------------------------------------------

EXAMPLE_VALUES = {"{kind}/{slug}": "person/sergey-lavrov"}


def readme_paths() -> list[str]:
    paths = []
    for row in table_rows(section("URL layout")):
        for span in code_spans(row[0]):
            if span.startswith(".") and "/" not in span:
                continue  # `.ttl`: an extension of the path before it
            if "#" in span:
                continue  # a term inside a document
            for placeholder, value in EXAMPLE_VALUES.items():
                span = span.replace(placeholder, value)
            paths.append(span.lstrip("/").replace("…", ""))
    return paths


@pytest.fixture(scope="module")
def app_client(shipped: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(shipped.model_copy(update={"prewarm": False})),
                    base_url=shipped.base.rstrip("/"), follow_redirects=False) as client:
        yield client


def test_every_path_of_the_url_table_is_routed(app_client: TestClient) -> None:
    paths = readme_paths()
    assert len(paths) > 15
    for path in paths:
        path = path.rstrip(",")
        if path.endswith("."):
            continue
        response = app_client.get(path, headers={"accept": "text/html, */*;q=0.5"})
        assert response.status_code in (200, 303), (path, response.status_code)


def test_every_route_is_in_the_url_table(app_client: TestClient) -> None:
    documented = {path.split("/")[0].split(".")[0] for path in readme_paths()}
    documented |= {path.split("/")[0] for path in readme_paths()}
    for spec in app_client.app.state.table:  # type: ignore[attr-defined]
        first = spec.path.split("/")[0].split("{")[0].rstrip(".")
        assert first in documented or first.split(".")[0] in documented, spec.path


# -- curl examples -----------------------------------------------------------------------

def curl_blocks() -> list[str]:
    blocks = re.findall(r"```sh\n(.*?)```", README, re.S)
    return [block for block in blocks if "curl " in block]


@pytest.fixture(scope="module")
def readme_server(shipped: Settings,
                  tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    log = tmp_path_factory.mktemp("readme") / "serve.log"
    running = start_server(shipped, log, port=shipped.port, prewarm=False)
    try:
        yield running
    finally:
        stop_server(running)


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
@pytest.mark.parametrize("index", range(len(curl_blocks())))
def test_readme_curl_examples_work(readme_server: Server, tmp_path: Path, index: int) -> None:
    """Each block as a shell script against the server (its base in place of the
    default one), every curl failing on an HTTP error: all of it must succeed."""
    script = curl_blocks()[index].replace(DEFAULT_BASE, readme_server.settings.base)
    script = script.replace(".venv/bin/python", sys.executable)
    prelude = ("set -euo pipefail\n"
               "curl() { command curl --fail --silent --show-error --max-time 120 \"$@\"; }\n")
    result = subprocess.run(["bash", "-c", prelude + script], cwd=tmp_path,
                            capture_output=True, text=True, timeout=600,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode == 0, (script, result.stdout[-2000:], result.stderr[-2000:])
    assert result.stdout.strip()


def test_readme_validation_example_works(readme_server: Server) -> None:
    command = re.search(r"\$ (curl -s -X POST http://localhost:8000/validate[^\n]*\n[^\n]*)",
                        README).group(1).replace("\\\n", " ")
    command = command.replace(DEFAULT_BASE, readme_server.settings.base)
    result = subprocess.run(["bash", "-c", "set -o pipefail; " + command.replace(
        "curl -s", "curl -s --fail")], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "sh:ValidationReport" in result.stdout and "sh:conforms false" in result.stdout


# -- claims about the data ---------------------------------------------------------------

def test_date_statuses_in_the_readme_are_the_mapping_s() -> None:
    context = json.loads((ROOT / "mappings" / "context.jsonld").read_text())["@context"]
    statuses = set(context["dateStatus"]["@context"])
    claimed = re.search(r"`dateStatus: ([a-z |\n]+)`", README).group(1)
    assert {word.strip() for word in claimed.split("|")} == statuses


def test_readme_states_no_test_count() -> None:
    """A number of tests in prose drifts with every commit; the README gives none."""
    assert not re.search(r"\b\d+ tests\b", README)
