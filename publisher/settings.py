"""The one settings object of the publisher.

Every tunable (base IRI, paths, limits, allow-lists) lives here, so a deployment is
described by environment variables (``PUBLISHER_*``) or CLI flags and nothing else in
the code reads the environment. CLI flags override environment variables by being
passed to :func:`load_settings` as keyword arguments.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

#: Below this a worker cannot even start: it inherits the forkserver's memory (~50 MiB)
#: and opening the store takes ~75 MiB more.
MIN_WORKER_MEMORY_MB = 192


class Settings(BaseSettings):
    """Deployment configuration; see the README's "Configuration" table."""

    model_config = SettingsConfigDict(env_prefix="PUBLISHER_", extra="forbid")

    base: str = Field(
        "http://localhost:8000/",
        description="Base IRI under which every entity, ontology term and shape is minted.",
    )
    project_dir: Path = Field(
        Path("."), description="Folder holding data/, mappings/, ontology/ and shapes/."
    )
    store_dir: Path = Field(
        Path("var/store"),
        description="Live store: a symlink to the current build, swapped atomically.",
    )
    keep_builds: int = Field(
        3, ge=1, description="Complete builds kept beside the live one's folder, so a reader "
        "still on an older build is not cut off.")

    build_dumps: bool = Field(
        True, description="Write the dumps into each build (dumps/, for a reverse proxy to "
        "serve), by a process of their own alongside validation; off: each serving "
        "process makes them on first request.")
    store_url: str | None = Field(
        None, description="A remote SPARQL store's query endpoint (e.g. "
        "http://127.0.0.1:7878/query for the Oxigraph server); unset: the embedded store. "
        "Two, comma-separated: blue/green over two whole stores, each build loaded into "
        "the one not being served (docs/remote-stores.md).")
    store_update_url: str | None = Field(
        None, description="The remote store's SPARQL Update endpoint(s), for `publisher "
        "build` (one per query endpoint, same order).")
    store_user: str | None = Field(None, description="User name for the remote store.")
    store_password: SecretStr | None = Field(
        None, description="Password for the remote store (never logged).")
    store_auth: Literal["basic", "digest"] = Field(
        "basic", description="HTTP authentication the remote store expects (Virtuoso's "
        "/sparql-auth: digest).")
    store_engine: Literal["auto", "oxigraph", "virtuoso", "generic"] = Field(
        "auto", description="What the remote store is; auto: from its Server header.")
    store_isql: str | None = Field(
        None, description="Virtuoso's SQL address (host:port), for its bulk loader and a "
        "switch in one transaction; with store_load_dir.")
    store_load_dir: Path | None = Field(
        None, description="A folder Virtuoso may read (DirsAllowed), where a build writes "
        "the file its bulk loader reads.")

    host: str = Field("127.0.0.1", description="Address `serve` listens on.")
    port: int = Field(8000, ge=0, le=65535, description="Port `serve` listens on.")
    workers: int = Field(1, ge=1, description="uvicorn worker processes.")
    access_log: bool = Field(
        True, description="uvicorn's per-request log line; about a third of the web "
        "process's time under load (bench/), so off behind a proxy that logs already.")
    prewarm: bool = Field(
        True, description="Read a new build's document pack once in the background, so "
        "its pages are in the page cache (shared by every process) before they are asked for.")
    http_header_timeout_s: float = Field(
        10.0, gt=0, description="A connection whose request headers are not complete this "
        "long after it opened (or after its previous response) is closed.")
    http_keep_alive_s: float = Field(
        5.0, gt=0, description="An idle keep-alive connection is closed after this long.")
    http_max_connections: int = Field(
        1000, ge=1, description="Connections (and requests in progress) per web process; "
        "beyond it a request is answered 503.")
    http_max_header_bytes: int = Field(
        65536, ge=1024, description="Largest request line plus headers; more is 431.")
    trusted_proxies: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Addresses or networks of reverse proxies whose X-Forwarded-For names "
        "the client (per-client limits count that client); empty: the TCP peer is the "
        "client and forwarded headers are ignored.",
    )

    sparql_timeout_s: float = Field(10.0, gt=0, description="Wall-clock budget of one query.")
    sparql_max_rows: int = Field(
        100_000, ge=1, description="Rows (or triples) a query may return before it is cut."
    )
    sparql_workers: int = Field(2, ge=1, description="Query worker processes.")
    sparql_spare_workers: int = Field(
        1, ge=0, description="Idle workers kept started to take a fast-lane place at once "
        "when a query turns long (no process start while it runs).",
    )
    sparql_inline_quads: int = Field(
        256, ge=0, description="A query proved (by its shape and index counts) to touch "
        "at most this many quads runs in the web process, without the hop to a worker; "
        "0: every query runs in a worker.",
    )
    sparql_slow_after_s: float = Field(
        0.5, gt=0, description="A query still running after this long moves its worker to "
        "the slow lane, and a spare takes its fast-lane place.")
    sparql_max_body_bytes: int = Field(
        1_000_000, ge=1024, description="Largest query request body (or GET query string).")
    sparql_worker_memory_mb: int = Field(
        512, ge=0, description="Memory one query worker may use (RLIMIT_DATA, MiB); a "
        "query needing more is stopped with 422. 0: no limit. Four busy workers (two "
        "cheap, two heavy) at 512 MiB fit a 4 GB host beside the validation workers.",
    )
    sparql_worker_recycle_mb: int = Field(
        256, ge=0, description="A query worker still holding more than this resident "
        "after a query (once freed memory is given back) is replaced. 0: never.",
    )
    sparql_client_heavy_queries: int = Field(
        1, ge=0, description="Heavy queries (running past the cheap lane's 0.5 s) one "
        "client may have running or waiting at once; one more gets 429. 0: no cap.",
    )
    sparql_cache_bytes: int = Field(
        64 * 1024 * 1024, ge=0,
        description="Memory for complete answers of repeated queries, per build; 0 disables.",
    )
    service_allowlist: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="SPARQL SERVICE endpoints a query may call; empty means SERVICE is refused.",
    )

    build_workers: int = Field(
        default_factory=lambda: os.cpu_count() or 1, ge=1,
        description="Processes that read and map fact files in parallel during a build.",
    )
    build_document_pack: bool = Field(
        True, description="Write every entity document in every RDF format, compressed, "
        "into the build (`documents.sqlite`), so that serving reads them instead of "
        "rendering them; false: a faster build, documents rendered on request.")
    build_cache: bool = Field(
        True, description="Remember each fact file's mapping and each SHACL run by the hash "
        "of everything they depend on (beside the store, in `<store>.cache`), so a rebuild "
        "redoes only what a change touches; false: map and validate everything.")
    shacl_engine: Literal["turbo", "pyshacl"] = Field(
        "turbo",
        description="SHACL engine of the build and the validation service: pyshacl-turbo "
        "(Rust, ~50x faster here) or pyshacl (the reference).",
    )

    validate_max_body_bytes: int = Field(
        5_000_000, ge=1024, description="Largest submission to the validation service.")
    validate_timeout_s: float = Field(30.0, gt=0, description="Validation time limit.")
    parallel_validations: int = Field(
        default_factory=lambda: max(1, min(4, os.cpu_count() or 1)), ge=1,
        description="Validations running at once (each a CPU-bound process); more wait "
        "until their deadline, then get 503.")

    search_default_limit: int = Field(
        20, ge=1, description="Results per page of `search` when `limit` is not given.")
    search_max_limit: int = Field(
        100, ge=1, description="Largest `limit` of `search` and of the suggest services.")
    search_max_query_chars: int = Field(
        500, ge=1, description="Longest search, suggest or reconciliation query text.")
    reconcile_batch_size: int = Field(
        50, ge=1, description="Queries in one reconciliation batch (the manifest's "
        "`batchSize`); more is 413.")
    reconcile_max_limit: int = Field(
        100, ge=1, description="Largest `limit` of one reconciliation query (candidates "
        "returned); larger ones are lowered to it.")
    reconcile_extend_ids: int = Field(
        100, ge=1, description="Entity ids in one data-extension request; more is 413.")
    reconcile_max_body_bytes: int = Field(
        1_000_000, ge=1024, description="Largest reconciliation request (POST body or GET "
        "query string); more is 413 (or 414).")

    max_prepared_bytes: int = Field(
        512 * 2**20, ge=0, description="Bytes of prepared documents (every format and "
        "compression) one web process keeps per build; the oldest leave first.")
    max_input_file_bytes: int = Field(
        16 * 1024 * 1024, ge=1024,
        description="Largest file a build reads from data/, mappings/, ontology/ or shapes/.",
    )
    max_fact_value_chars: int = Field(
        100_000, ge=100, description="Longest single value (text, id, date) in a fact file.",
    )

    validate_max_triples: int = Field(
        100_000, ge=1, description="Triples a submission may hold; counted while parsing, "
        "so a few bytes of Turtle that expand to millions of triples stop early (413).",
    )
    validate_worker_memory_mb: int = Field(
        640, ge=0, description="Memory one validation worker may use (RLIMIT_DATA, MiB); "
        "a submission needing more gets 422. 0: no limit. A 40,000-triple submission "
        "peaks at ~200 MiB; two validations at once fit a 4 GB host beside the queries.",
    )

    @field_validator("base")
    @classmethod
    def _base_is_absolute_with_slash(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"base must be an absolute http(s) IRI, got {value!r}")
        if parts.query or parts.fragment:
            raise ValueError(f"base must have no query or fragment, got {value!r}")
        return value if value.endswith("/") else value + "/"

    @field_validator("sparql_worker_memory_mb", "validate_worker_memory_mb")
    @classmethod
    def _memory_limit_leaves_room_to_start(cls, value: int) -> int:
        if 0 < value < MIN_WORKER_MEMORY_MB:
            raise ValueError(f"a worker needs at least {MIN_WORKER_MEMORY_MB} MiB to start "
                             f"(it inherits ~50 MiB and the open store takes ~75 more); "
                             f"got {value}, use 0 for no limit")
        return value

    @field_validator("service_allowlist", "trusted_proxies", mode="before")
    @classmethod
    def _split_allowlist(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [item.strip() for item in value.split(",") if item.strip()]
        return value

    # Paths of the pipeline stages, derived so that one project_dir moves them all.
    @property
    def data_dir(self) -> Path:
        return self.project_dir / "data"

    @property
    def mappings_dir(self) -> Path:
        return self.project_dir / "mappings"

    @property
    def ontology_dir(self) -> Path:
        return self.project_dir / "ontology"

    @property
    def shapes_dir(self) -> Path:
        return self.project_dir / "shapes"

    @property
    def builds_dir(self) -> Path:
        """Where complete builds live side by side; ``store_dir`` points at one of them."""
        return self.store_dir.parent / (self.store_dir.name + ".builds")

    @property
    def build_cache_dir(self) -> Path:
        """What builds remember for the next one (:mod:`publisher.pipeline.build_cache`)."""
        return self.store_dir.parent / (self.store_dir.name + ".cache")

    @property
    def build_lock(self) -> Path:
        """The file a build holds locked (``flock``) while it runs: one build at a time."""
        return self.store_dir.parent / (self.store_dir.name + ".lock")

    # IRIs minted under the base.
    @property
    def ontology_iri(self) -> str:
        return self.base + "ontology"

    @property
    def vocab(self) -> str:
        return self.base + "ontology#"

    @property
    def shapes_iri(self) -> str:
        return self.base + "shapes"

    @property
    def id_base(self) -> str:
        return self.base + "id/"

    @property
    def doc_base(self) -> str:
        return self.base + "doc/"

    @property
    def sparql_endpoint(self) -> str:
        """The endpoint's IRI, also the base that relative IRIs in a query resolve against."""
        return self.base + "sparql"

    @property
    def base_path(self) -> str:
        """The base's path (``/`` or ``/data/``): every route lives under it."""
        return urlsplit(self.base).path or "/"

    @property
    def store_urls(self) -> list[str]:
        """The remote store's query endpoints (none: the embedded store)."""
        return [url.strip() for url in (self.store_url or "").split(",") if url.strip()]

    @property
    def store_update_urls(self) -> list[str]:
        return [url.strip() for url in (self.store_update_url or "").split(",") if url.strip()]

    @property
    def queries_dir(self) -> Path:
        return self.project_dir / "queries"


def load_settings(**overrides: Any) -> Settings:
    """Environment first, then explicit overrides (CLI flags) that are not None."""
    return Settings(**{k: v for k, v in overrides.items() if v is not None})


@lru_cache(maxsize=1)
def default_settings() -> Settings:
    return Settings()
