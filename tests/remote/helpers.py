"""One remote store as the tests use it: engine, client, dialect and loader together."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from publisher.remote.client import Credentials, SparqlClient
from publisher.remote.dialects import OXIGRAPH, VIRTUOSO, Dialect
from publisher.remote.load import (
    BlueGreenLoader,
    Stager,
    graph_store_stager,
    update_stager,
)
from publisher.remote.virtuoso import bulk_stager, sql_switcher


@dataclass
class Remote:
    engine: Any
    client: SparqlClient
    dialect: Dialect
    loader: BlueGreenLoader

    def select_union(self, query: str, graphs: list[str]) -> list[dict[str, Any]]:
        """``query`` over "all graphs" of a build, as the publisher sends it."""
        dataset = self.loader.dialect.union_dataset(graphs)
        if dataset is None:
            return self.client.select(query)
        return self.client.select(query, default_graphs=dataset[0], named_graphs=dataset[1])


def client_for(engine: Any, timeout_s: float = 10.0) -> SparqlClient:
    if engine.name == "virtuoso":
        return SparqlClient(engine.query_url, update_url=engine.update_url,
                            credentials=Credentials(engine.user, engine.password, "digest"),
                            timeout_s=timeout_s, rewrite_json=VIRTUOSO.json_rewriter)
    return SparqlClient(engine.query_url, update_url=engine.update_url,
                        store_url=engine.store_url, timeout_s=timeout_s)


def remote_for(engine: Any, base: str, route: str = "default") -> Remote:
    """``route``: ``default`` (GSP for Oxigraph, bulk loader for Virtuoso) or ``update``."""
    client = client_for(engine)
    dialect = VIRTUOSO if engine.name == "virtuoso" else OXIGRAPH
    stager: Stager
    if route == "update":
        stager = update_stager(client)
    elif engine.name == "virtuoso":
        stager = bulk_stager(engine.isql(), engine.load_dir)
    else:
        stager = graph_store_stager(client)
    switcher = sql_switcher(engine.isql()) if engine.name == "virtuoso" else None
    return Remote(engine, client, dialect,
                  BlueGreenLoader(client, dialect, stager, base=base, switcher=switcher))
