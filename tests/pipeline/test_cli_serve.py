"""``publisher serve`` hands uvicorn the one application and the settings' choices."""

from __future__ import annotations

import os

import uvicorn

from publisher.app import create_app
from publisher.cli import main
from publisher.http.server import APP, GuardedHttpToolsProtocol
from publisher.settings import Settings


def _serve(monkeypatch, built, *flags: str, env: dict[str, str] | None = None) -> dict:
    settings, _ = built
    # serve exports its settings for uvicorn's factory; let monkeypatch restore them.
    for name in [n for n in os.environ if n.startswith("PUBLISHER_")] + [
            f"PUBLISHER_{field.upper()}" for field in Settings.model_fields]:
        monkeypatch.delenv(name, raising=False)
    for name, value in (env or {}).items():
        monkeypatch.setenv(name, value)
    seen: dict = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kwargs: seen.update(app=app, **kwargs))
    assert main(["serve", "--store-dir", str(settings.store_dir), "--port", "8123",
                 *flags]) == 0
    return seen


def test_serve_runs_the_one_application_with_access_log_by_default(monkeypatch, built):
    seen = _serve(monkeypatch, built)
    assert seen["app"] == APP == "publisher.app:create_app" and seen["factory"] is True
    module, _, name = APP.partition(":")
    assert getattr(__import__(module, fromlist=[name]), name) is create_app  # what tests drive
    assert seen["port"] == 8123 and seen["access_log"] is True


def test_serve_bounds_connections(monkeypatch, built):
    seen = _serve(monkeypatch, built, env={"PUBLISHER_HTTP_MAX_CONNECTIONS": "77",
                                           "PUBLISHER_HTTP_KEEP_ALIVE_S": "3"})
    assert seen["http"] is GuardedHttpToolsProtocol  # header timeout, header size cap
    assert seen["limit_concurrency"] == 77 and seen["timeout_keep_alive"] == 3


def test_no_access_log_flag_and_environment(monkeypatch, built):
    assert _serve(monkeypatch, built, "--no-access-log")["access_log"] is False
    assert _serve(monkeypatch, built, env={"PUBLISHER_ACCESS_LOG": "false"})[
        "access_log"] is False


def test_serve_without_a_built_store_exits_2(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: None)
    assert main(["serve", "--store-dir", str(tmp_path / "none")]) == 2
    assert capsys.readouterr().err
