"""``publisher serve`` hands uvicorn the serving app and the settings' choices."""

from __future__ import annotations

import uvicorn

from publisher.cli import main


def _serve(monkeypatch, built, *flags: str) -> dict:
    settings, _ = built
    # serve exports its settings for uvicorn's factory; let monkeypatch restore them.
    for name in ("PUBLISHER_BASE", "PUBLISHER_PROJECT_DIR", "PUBLISHER_STORE_DIR"):
        monkeypatch.delenv(name, raising=False)
    seen: dict = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kwargs: seen.update(app=app, **kwargs))
    assert main(["serve", "--store-dir", str(settings.store_dir), "--port", "8123",
                 *flags]) == 0
    return seen


def test_serve_runs_the_lean_serving_app_with_access_log_by_default(monkeypatch, built):
    seen = _serve(monkeypatch, built)
    assert seen["app"] == "publisher.app:serving_app" and seen["factory"] is True
    assert seen["port"] == 8123 and seen["access_log"] is True


def test_no_access_log_flag_and_environment(monkeypatch, built):
    assert _serve(monkeypatch, built, "--no-access-log")["access_log"] is False
    monkeypatch.setenv("PUBLISHER_ACCESS_LOG", "false")
    assert _serve(monkeypatch, built)["access_log"] is False


def test_serve_without_a_built_store_exits_2(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: None)
    assert main(["serve", "--store-dir", str(tmp_path / "none")]) == 2
    assert capsys.readouterr().err
