"""Which store a build's readers use: the embedded one in the build's folder, or the
remote SPARQL store the build was loaded into (``PUBLISHER_STORE_URL``)."""

from __future__ import annotations

from collections.abc import Callable

from ..builds import BuildRecord, StoreUnavailable
from ..settings import Settings
from . import Store
from .embedded import EmbeddedStore


def opener(settings: Settings) -> Callable[[BuildRecord], Store]:
    """A function opening the store of a build, as the settings say."""
    if not settings.store_urls:
        return lambda build: EmbeddedStore.open_read_only(build.path)
    return lambda build: open_remote_build(settings, build)


def open_store_at(location: str) -> Store:
    """A store from its :attr:`~publisher.store.Store.location`, in another process."""
    from ..remote.store import is_remote, open_remote

    if is_remote(location):
        return open_remote(location)
    return EmbeddedStore.open_read_only(location)


def store_url_of(settings: Settings, recorded: dict) -> str:
    """The query URL this process reads a build from. One store: this process's own
    ``PUBLISHER_STORE_URL`` (a replica may reach the store under another address, or a
    read-only copy of it). Two slots: this process's URL at the slot the build was loaded
    into; the loader's own URL only when this process configures fewer slots."""
    configured = settings.store_urls
    loaded_into = recorded.get("query_url")
    if loaded_into in configured:
        return loaded_into
    slot, slots = recorded.get("slot"), recorded.get("slots", 1)
    if slots > 1 and isinstance(slot, int) and 0 <= slot < len(configured):
        return configured[slot]
    if slots > 1 and loaded_into and len(configured) < slots:
        return loaded_into
    return configured[0]


def open_remote_build(settings: Settings, build: BuildRecord) -> Store:
    """The remote store holding ``build``: the endpoint its record names (the slot it
    was loaded into), else the configured one; the engine as configured, recorded at
    load time, or asked (its Server header)."""
    from ..remote.client import StoreError
    from ..remote.dialects import detect, graph_store_url
    from ..remote.store import RemoteSpec, RemoteStore

    recorded = build.store if build.store.get("kind") == "remote" else {}
    query_url = store_url_of(settings, recorded)
    engine = settings.store_engine
    if engine == "auto":
        engine = recorded.get("engine") or ""
    if not engine or engine == "auto":
        probe = RemoteSpec(query_url, "generic", (), 2.0).client()
        try:
            engine = detect(probe.probe()).name
        except StoreError as error:
            raise StoreUnavailable(f"the SPARQL store {query_url} cannot be reached to tell "
                                   f"what engine it is ({error.message}); set "
                                   "PUBLISHER_STORE_ENGINE, or retry") from None
        finally:
            probe.close()
    from ..remote.dialects import DIALECTS

    dialect = DIALECTS[engine]
    password = settings.store_password.get_secret_value() if settings.store_password else None
    spec = RemoteSpec(
        query_url=query_url, engine=engine,
        graphs=tuple(sorted(g for g in build.stats.get("triples_per_graph", {}) if g)),
        timeout_s=settings.sparql_timeout_s,
        store_url=graph_store_url(dialect, query_url), user=settings.store_user,
        password=password, auth=settings.store_auth, base=settings.base)
    return RemoteStore(spec)
