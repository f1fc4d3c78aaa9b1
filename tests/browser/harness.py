"""A real browser for the page tests: Debian's Chromium driven by Selenium.

One browser serves a whole test session (starting Chromium is the slow part). It runs
headless with the flags that keep Chromium off the network (no background requests, no
component updates, no sync, no QUIC), a fresh profile, and a host resolver that resolves
nothing but loopback; every request a page makes is read back from the DevTools
performance log, so a test can assert that none left 127.0.0.1.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

CHROMIUM = Path(os.environ.get("PUBLISHER_CHROMIUM", "/usr/bin/chromium"))
CHROMEDRIVER = Path(os.environ.get("PUBLISHER_CHROMEDRIVER", "/usr/bin/chromedriver"))
AXE = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"

#: The widths every page kind is looked at: a desktop window and a phone (iPhone 12-15).
WIDTHS = {"desktop": (1280, 900), "phone": (390, 844)}

FLAGS = (
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-default-apps", "--disable-extensions", "--hide-scrollbars",
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
)
#: Schemes that never touch the network.
LOCAL_SCHEMES = ("data", "about", "blob", "chrome", "chrome-extension", "devtools")


def missing() -> list[str]:
    """What this machine lacks to run the browser tests (``.ci/run`` installs all)."""
    lacking = []
    if not CHROMIUM.exists():
        lacking.append(f"{CHROMIUM} (apt-get install chromium)")
    if not CHROMEDRIVER.exists():
        lacking.append(f"{CHROMEDRIVER} (apt-get install chromium-driver)")
    if not AXE.exists():
        lacking.append(f"{AXE} (npm ci --prefix tests/browser)")
    try:
        import selenium  # noqa: F401
    except ImportError:
        lacking.append("selenium (pip install -e '.[test]')")
    return lacking


@dataclass
class Violation:
    rule: str
    impact: str | None
    help: str
    targets: list[str]

    def __str__(self) -> str:
        return f"{self.impact} {self.rule}: {self.help} at {', '.join(self.targets[:5])}"


class Browser:
    """One Chromium, with what the page tests ask of it."""

    def __init__(self) -> None:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service

        self.profile = tempfile.mkdtemp(prefix="chromium-profile-")
        options = webdriver.ChromeOptions()
        options.binary_location = str(CHROMIUM)
        for flag in (*FLAGS, f"--user-data-dir={self.profile}"):
            options.add_argument(flag)
        options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
        self.driver = webdriver.Chrome(options=options,
                                       service=Service(executable_path=str(CHROMEDRIVER)))
        self.driver.set_script_timeout(60)
        self.driver.set_page_load_timeout(60)
        self.requested: list[str] = []
        self.width = "desktop"
        self._axe_source: str | None = None

    def close(self) -> None:
        try:
            self.driver.quit()
        finally:
            shutil.rmtree(self.profile, ignore_errors=True)

    # -- navigation -------------------------------------------------------------------
    def resize(self, width: str) -> None:
        w, h = WIDTHS[width]
        self.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
            "width": w, "height": h, "deviceScaleFactor": 1, "mobile": width == "phone"})
        self.width = width

    def open(self, url: str, width: str = "desktop") -> None:
        """Load ``url`` at a width; the requests it makes are in :attr:`requested`."""
        self.resize(width)
        self._drain()
        self.requested = []
        self.driver.get(url)
        self.wait_for("return document.readyState === 'complete'")
        self._drain()

    def wait_for(self, script: str, timeout: float = 20) -> object:
        from selenium.webdriver.support.ui import WebDriverWait

        return WebDriverWait(self.driver, timeout, poll_frequency=0.05).until(
            lambda driver: driver.execute_script(script))

    def _drain(self) -> None:
        for entry in self.driver.get_log("performance"):
            message = json.loads(entry["message"])["message"]
            if message.get("method") == "Network.requestWillBeSent":
                self.requested.append(message["params"]["request"]["url"])

    def requests_leaving_loopback(self) -> list[str]:
        """Every request since the last :meth:`open` that went anywhere but 127.0.0.1."""
        self._drain()
        outside = []
        for url in self.requested:
            parts = urlsplit(url)
            if parts.scheme in LOCAL_SCHEMES:
                continue
            if parts.scheme in ("http", "https", "ws", "wss") and parts.hostname == "127.0.0.1":
                continue
            outside.append(url)
        return outside

    # -- reading the page -------------------------------------------------------------
    def js(self, script: str, *args: object) -> object:
        return self.driver.execute_script(script, *args)

    def texts(self, selector: str) -> list[str]:
        return self.js("return [...document.querySelectorAll(arguments[0])]"
                       ".map(e => e.innerText.trim())", selector)

    def overflows_horizontally(self) -> bool:
        return bool(self.js("return document.documentElement.scrollWidth > "
                            "document.documentElement.clientWidth"))

    def axe(self) -> list[Violation]:
        """axe-core's WCAG 2.x A/AA rules and best practices, run in the page, with
        WCAG 2.2's target size (2.5.8: 24 px), which axe-core leaves off by default."""
        if self._axe_source is None:
            self._axe_source = AXE.read_text(encoding="utf-8")
        self.js(self._axe_source)
        result = self.driver.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "axe.run(document, {resultTypes: ['violations'],"
            " rules: {'target-size': {enabled: true}}})"
            ".then(r => done(r.violations)).catch(e => done({error: String(e)}));")
        if isinstance(result, dict):
            raise RuntimeError(f"axe-core failed: {result['error']}")
        return [Violation(v["id"], v.get("impact"), v["help"],
                          [", ".join(n["target"]) if isinstance(n["target"], list)
                           else str(n["target"]) for n in v["nodes"]])
                for v in result]

    def screenshot(self, path: Path, max_height: int = 12000) -> Path:
        """The whole page (up to ``max_height`` pixels), not only the viewport."""
        width, _ = WIDTHS[self.width]
        height = min(int(self.js("return Math.ceil(document.documentElement.scrollHeight)")),
                     max_height)
        jpeg = path.suffix in (".jpg", ".jpeg")  # a sixth of the size, for long pages
        shot = self.driver.execute_cdp_cmd("Page.captureScreenshot", {
            "format": "jpeg" if jpeg else "png", **({"quality": 80} if jpeg else {}),
            "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": width, "height": height, "scale": 1}})
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(shot["data"]))
        return path
