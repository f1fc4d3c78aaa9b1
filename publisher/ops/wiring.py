"""The operations pieces made for one application: its metrics, its readiness checks.

:func:`operations` builds them from the application's settings and Snapshots; the app
mounts ``health``, ``ready`` and ``metrics`` from the routing table and wraps itself in
the metrics and access-log middleware (:func:`publisher.app.create_app`).
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.types import Scope

from ..builds import StoreUnavailable
from ..settings import Settings
from ..snapshot import Snapshot, Snapshots, pinned
from .health import NotReady, Readiness
from .metrics import Metrics

#: How long the store may take to answer the readiness probe.
PROBE_TIMEOUT_S = 2.0


@dataclass
class Operations:
    metrics: Metrics
    readiness: Readiness


def operations(settings: Settings, snapshots: Snapshots) -> Operations:
    metrics = Metrics()

    def build() -> dict[str, object]:
        try:
            snapshot = snapshots.current()
        except StoreUnavailable as problem:
            raise NotReady(str(problem)) from None
        return {"build_id": snapshot.build_id, "built_at": snapshot.build.built_at.isoformat()}

    def store() -> dict[str, object]:
        try:
            snapshot = snapshots.current()
        except StoreUnavailable as problem:
            raise NotReady(str(problem)) from None
        probe = getattr(snapshot.store, "probe", None)
        if probe is None:
            return {"kind": "embedded"}
        from ..remote.client import StoreError

        try:
            server = probe(PROBE_TIMEOUT_S)
        except StoreError as error:
            raise NotReady(error.message) from None
        return {"kind": "remote", "server": server}

    def on_result(name: str, ok: bool) -> None:
        if name == "store":
            metrics.store_up.set(1 if ok else 0)

    readiness = Readiness({"build": build, "store": store}, ttl_s=1.0, on_result=on_result)
    snapshots.on_open.append(
        lambda snapshot: metrics.served_build(snapshot.build_id,
                                              snapshot.build.built_at.timestamp()))
    return Operations(metrics, readiness)


def build_of(scope: Scope) -> str | None:
    """The build that answered a request (for the access log)."""
    snapshot: Snapshot | None = pinned(scope)
    return snapshot.build_id if snapshot is not None else None
