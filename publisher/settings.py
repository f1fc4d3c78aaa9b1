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

from pydantic import Field, field_validator
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
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = Field(1, ge=1, description="uvicorn worker processes.")
    access_log: bool = Field(
        True, description="uvicorn's per-request log line; about a third of the web "
        "process's time under load (bench/), so off behind a proxy that logs already.")
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
    sparql_max_body_bytes: int = Field(1_000_000, ge=1024)
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
    shacl_engine: Literal["turbo", "pyshacl"] = Field(
        "turbo",
        description="SHACL engine of the build: pyshacl-turbo (Rust, ~50x faster here) or "
        "pyshacl (the reference); the validation service always uses pyshacl.",
    )

    max_input_file_bytes: int = Field(
        16 * 1024 * 1024, ge=1024,
        description="Largest file a build reads from data/, mappings/, ontology/ or shapes/.",
    )
    max_fact_value_chars: int = Field(
        100_000, ge=100, description="Longest single value (text, id, date) in a fact file.",
    )

    validate_max_body_bytes: int = Field(5_000_000, ge=1024)
    validate_timeout_s: float = Field(30.0, gt=0)
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
        if not (value.startswith("http://") or value.startswith("https://")):
            raise ValueError(f"base must be an absolute http(s) IRI, got {value!r}")
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


def load_settings(**overrides: Any) -> Settings:
    """Environment first, then explicit overrides (CLI flags) that are not None."""
    return Settings(**{k: v for k, v in overrides.items() if v is not None})


@lru_cache(maxsize=1)
def default_settings() -> Settings:
    return Settings()
