"""``/health`` (the process answers) and ``/ready`` (it can serve: a build is loaded and
its store answers), the two probes a load balancer or orchestrator needs.

``/health`` never touches the store: a store outage must not get healthy web processes
restarted. ``/ready`` runs its checks at most once per ``ttl_s`` (a busy balancer must
not turn into load on the store) and says what failed, with ``503`` and ``Retry-After``
until every check passes again; recovery needs nothing but the next check.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from starlette.types import Receive, Scope, Send


class NotReady(Exception):
    """A readiness check failed; the message says what and what to do."""


#: A check returns details to show (e.g. the build id), or raises NotReady.
Check = Callable[[], dict[str, object]]


@dataclass
class Readiness:
    """Named checks, run together, their result kept for ``ttl_s`` seconds."""

    checks: dict[str, Check]
    ttl_s: float = 1.0
    retry_after_s: int = 5
    on_result: Callable[[str, bool], None] = lambda _name, _ok: None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _result: tuple[float, bool, dict[str, object]] | None = field(default=None, repr=False)

    def status(self) -> tuple[bool, dict[str, object]]:
        now = time.monotonic()
        with self._lock:
            if self._result is not None and now - self._result[0] < self.ttl_s:
                return self._result[1], self._result[2]
        ready = True
        report: dict[str, object] = {}
        for name, check in self.checks.items():
            try:
                report[name] = {"ok": True, **check()}
                self.on_result(name, True)
            except NotReady as problem:
                ready = False
                report[name] = {"ok": False, "problem": str(problem)}
                self.on_result(name, False)
            except Exception as error:  # noqa: BLE001 - a check must never crash the probe
                ready = False
                report[name] = {"ok": False, "problem": f"{type(error).__name__}: {error}"}
                self.on_result(name, False)
        with self._lock:
            self._result = (now, ready, report)
        return ready, report

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """``/ready`` as a raw ASGI app (an object, so Starlette's Route passes it raw)."""
        ready, report = self.status()
        body = json.dumps({"status": "ready" if ready else "not ready", "checks": report},
                          indent=2).encode() + b"\n"
        headers = [(b"content-type", b"application/json"),
                   (b"content-length", str(len(body)).encode()),
                   (b"cache-control", b"no-store")]
        if not ready:
            headers.append((b"retry-after", str(self.retry_after_s).encode()))
        await send({"type": "http.response.start", "status": 200 if ready else 503,
                    "headers": headers})
        await send({"type": "http.response.body",
                    "body": b"" if scope["method"] == "HEAD" else body})


class Health:
    """``/health``: 200 while the process can answer at all."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await _health(scope, receive, send)


health = Health()


async def _health(scope: Scope, receive: Receive, send: Send) -> None:
    body = b'{"status": "ok"}\n'
    await send({"type": "http.response.start", "status": 200, "headers": [
        (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
        (b"cache-control", b"no-store")]})
    await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD"
                else body})
