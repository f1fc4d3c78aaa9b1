"""Stage 5b: load a complete build into the remote SPARQL store, blue/green.

Runs after the build folder is complete and before it goes live (``before_publish``):
the remote store is switched to the new build first, then the local live link, so a
failed remote load fails the build with the served data untouched on both sides. What
"blue/green" means depends on the engine (docs/remote-stores.md):

- two query endpoints configured (``PUBLISHER_STORE_URL=a,b``): whole-store slots, the
  one not serving the live build is cleared, loaded and counted (:class:`SlotLoader`);
- one endpoint: staging graphs, counted, switched in at once (:class:`BlueGreenLoader`);
  on Virtuoso with ``PUBLISHER_STORE_ISQL`` through its bulk loader and one SQL
  transaction, otherwise through SPARQL Update.

The build record then names the store and the slot (``"store"`` in ``build.json``), so
every reader of the build queries the store that holds it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from ..builds import BUILD_INFO, BuildRecord, StoreUnavailable, resolve_live_build
from ..remote.client import Credentials, SparqlClient, StoreError
from ..remote.dialects import Dialect, detect, graph_store_url
from ..remote.load import (
    BlueGreenLoader,
    LoadFailed,
    SlotLoader,
    Stager,
    Switcher,
    graph_store_stager,
    update_stager,
)
from ..settings import Settings
from .load import LoadFailed as BuildLoadFailed

Progress = Callable[[str], None]


def remote_clients(settings: Settings) -> list[SparqlClient]:
    """One client per configured store (query endpoint and its update endpoint)."""
    queries, updates = settings.store_urls, settings.store_update_urls
    if len(updates) != len(queries):
        raise BuildLoadFailed(
            f"{len(queries)} store query endpoint(s) but {len(updates)} update endpoint(s): "
            "give one --store-update-url per --store-url (PUBLISHER_STORE_UPDATE_URL)")
    credentials = None
    if settings.store_user:
        password = settings.store_password.get_secret_value() if settings.store_password \
            else ""
        credentials = Credentials(settings.store_user, password, settings.store_auth)
    clients = []
    for query_url, update_url in zip(queries, updates, strict=True):
        clients.append(SparqlClient(
            query_url, update_url=update_url, credentials=credentials,
            timeout_s=settings.sparql_timeout_s, connect_timeout_s=5.0))
    return clients


def _dialect(settings: Settings, client: SparqlClient) -> Dialect:
    from ..remote.dialects import DIALECTS

    if settings.store_engine != "auto":
        return DIALECTS[settings.store_engine]
    return detect(client.probe(timeout_s=10.0))


def _stager_and_switcher(settings: Settings, client: SparqlClient,
                         dialect: Dialect, progress: Progress) -> tuple[Stager, Switcher | None]:
    if dialect.name == "oxigraph":
        client.store_url = graph_store_url(dialect, client.update_url or client.query_url)
        return graph_store_stager(client), None
    if dialect.name == "virtuoso" and settings.store_isql and settings.store_load_dir:
        from ..remote.virtuoso import Isql, bulk_stager, sql_switcher

        password = settings.store_password.get_secret_value() if settings.store_password \
            else "dba"
        isql = Isql(settings.store_isql, settings.store_user or "dba", password)
        return bulk_stager(isql, settings.store_load_dir), sql_switcher(isql)
    if dialect.name == "virtuoso":
        progress("  warning: Virtuoso without PUBLISHER_STORE_ISQL: the switch is a SPARQL "
                 "Update of several MOVEs, which Virtuoso does not apply at once for "
                 "readers (docs/remote-stores.md)")
    return update_stager(client), None


def _previous(settings: Settings) -> BuildRecord | None:
    try:
        return BuildRecord.read(resolve_live_build(settings))
    except StoreUnavailable:
        return None


def load_remote(settings: Settings, build: Path, progress: Progress) -> dict[str, Any]:
    """Load the build in ``build`` into the remote store; what to record about it."""
    record = json.loads((build / BUILD_INFO).read_text(encoding="utf-8"))
    expected: dict[str, int] = dict(record["stats"]["triples_per_graph"])
    expected = {graph: count for graph, count in expected.items() if count}
    clients = remote_clients(settings)
    previous = _previous(settings)
    try:
        dialect = _dialect(settings, clients[0])
        store = ox.Store.read_only(str(build))
        quads = iter(store)
        if len(clients) > 1:
            slots = {}
            for client in clients:
                stager, _ = _stager_and_switcher(settings, client, dialect, progress)
                slots[client.query_url] = (client, stager)
            live = previous.store.get("query_url") if previous is not None else None
            target, report = SlotLoader(slots, log=lambda line: progress(f"  {line}")).load(
                quads, record["build_id"], expected, live)
        else:
            client = clients[0]
            target = client.query_url
            stager, switcher = _stager_and_switcher(settings, client, dialect, progress)
            if dialect.union_by_server:
                progress("  warning: one Oxigraph server answering over the union of its "
                         "graphs: while the new build is staged, queries the publisher has "
                         "not answered before see the staging graphs too (the switch itself "
                         "is one transaction). Give two stores as slots "
                         "(--store-url a,b --store-update-url a,b) so readers never see a "
                         "load (docs/remote-stores.md)")
            old = [g for g in (previous.stats.get("triples_per_graph", {}) if previous
                               else {}) if g]
            report = BlueGreenLoader(client, dialect, stager, base=settings.base,
                                     switcher=switcher,
                                     log=lambda line: progress(f"  {line}")).load(
                quads, record["build_id"], expected, old)
    except LoadFailed as failure:
        raise BuildLoadFailed(f"the remote store ({failure.stage}): {failure.message}; the "
                              "data it serves was not changed") from None
    except StoreError as error:
        raise BuildLoadFailed(f"the remote store: {error.message}") from None
    finally:
        for client in clients:
            client.close()
    progress(f"  remote store {target} ({dialect.name}): "
             + ", ".join(f"{k} {v:.2f} s" for k, v in report.timings.items()))
    # The slot's position too: a replica on another machine may reach the same slots
    # under other addresses, and reads its own PUBLISHER_STORE_URL at that position.
    return {"kind": "remote", "query_url": target, "engine": dialect.name,
            "slot": settings.store_urls.index(target), "slots": len(settings.store_urls),
            "dropped_graphs": report.dropped,
            "timings": {k: round(v, 3) for k, v in report.timings.items()}}


def before_publish_remote(settings: Settings, progress: Progress) -> Callable[[Path], None]:
    """The ``before_publish`` step: load remotely, then record where in ``build.json``."""

    def step(build: Path) -> None:
        stored = load_remote(settings, build, progress)
        path = build / BUILD_INFO
        record = json.loads(path.read_text(encoding="utf-8"))
        record["store"] = stored
        path.write_text(json.dumps(record, indent=2, sort_keys=True) + "\n", encoding="utf-8")

    return step
