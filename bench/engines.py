"""Remote SPARQL engines started on loopback, for the tests and the benchmarks.

- :class:`OxigraphEngine`: ``oxigraph serve`` (read-write: ``/query``, ``/update``,
  ``/store``) or ``serve-read-only`` on a folder, ``--union-default-graph`` like the
  publisher, ``--timeout-s`` like its query timeout.
- :class:`VirtuosoEngine`: ``virtuoso-t +foreground`` with a generated ``virtuoso.ini``:
  SQL and HTTP ports on 127.0.0.1, the database in a temporary folder, a query time
  limit, and a load folder in ``DirsAllowed`` for the bulk loader.

Both pick free ports, wait until a query is answered, and stop with everything they
started (the process group). Neither is ever started by hand: ``.ci/run`` installs the
binaries (PyPI ``oxigraph``, Debian ``virtuoso-opensource-7-bin``) and tests start them.
"""

from __future__ import annotations

import shutil
import subprocess
import textwrap
from pathlib import Path

from .harness import Server, free_port, oxigraph_binary

VIRTUOSO_BINARY = "virtuoso-t"
ISQL_BINARY = "isql-vt"


def virtuoso_available() -> bool:
    return shutil.which(VIRTUOSO_BINARY) is not None and shutil.which(ISQL_BINARY) is not None


class OxigraphEngine:
    """An Oxigraph server over ``folder`` (created if missing)."""

    name = "oxigraph"

    def __init__(self, folder: Path, *, read_only: bool = False, timeout_s: float = 10.0,
                 port: int | None = None) -> None:
        self.folder = folder
        self.read_only = read_only
        self.timeout_s = timeout_s
        self.port = port or free_port()
        self.server: Server | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def query_url(self) -> str:
        return self.base_url + "/query"

    @property
    def update_url(self) -> str | None:
        return None if self.read_only else self.base_url + "/update"

    @property
    def store_url(self) -> str | None:
        return None if self.read_only else self.base_url + "/store"

    def load(self, nquads: Path) -> None:
        """Offline bulk load (``oxigraph load``), only while the server is stopped."""
        self.folder.mkdir(parents=True, exist_ok=True)
        subprocess.run([oxigraph_binary(), "load", "--location", str(self.folder),
                        "--file", str(nquads)], check=True, capture_output=True)

    def start(self) -> OxigraphEngine:
        self.folder.mkdir(parents=True, exist_ok=True)
        command = "serve-read-only" if self.read_only else "serve"
        cmd = [oxigraph_binary(), command, "--location", str(self.folder),
               "--bind", f"127.0.0.1:{self.port}", "--union-default-graph",
               "--timeout-s", f"{max(1, round(self.timeout_s))}"]
        self.server = Server(f"oxigraph-{command}", cmd, self.port,
                             "/query?query=ASK%7B%7D").start(timeout=60)
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()

    def kill(self) -> None:
        """SIGKILL, as a crash would: nothing is flushed or answered."""
        if self.server is not None and self.server.process is not None:
            self.server.process.kill()
            self.server.process.wait()

    def __enter__(self) -> OxigraphEngine:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class VirtuosoEngine:
    """Virtuoso OSE (Debian's 7.2) with its database in ``folder``."""

    name = "virtuoso"
    user = "dba"
    password = "dba"  # the fresh database's default; loopback only

    def __init__(self, folder: Path, *, timeout_s: float = 10.0,
                 sql_port: int | None = None, http_port: int | None = None) -> None:
        self.folder = folder.resolve()
        self.timeout_s = timeout_s
        self.sql_port = sql_port or free_port()
        self.http_port = http_port or free_port()
        self.server: Server | None = None

    @property
    def load_dir(self) -> Path:
        return self.folder / "load"

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def query_url(self) -> str:
        return self.base_url + "/sparql"

    @property
    def update_url(self) -> str:
        """Virtuoso's authenticated endpoint (HTTP digest, ``dba``) takes updates."""
        return self.base_url + "/sparql-auth"

    @property
    def isql_address(self) -> str:
        return f"127.0.0.1:{self.sql_port}"

    def ini(self) -> str:
        db = self.folder
        return textwrap.dedent(f"""\
            [Database]
            DatabaseFile = {db}/virtuoso.db
            ErrorLogFile = {db}/virtuoso.log
            LockFile = {db}/virtuoso.lck
            TransactionFile = {db}/virtuoso.trx
            xa_persistent_file = {db}/virtuoso.pxa
            ErrorLogLevel = 7
            FileExtend = 200
            MaxCheckpointRemap = 2000
            Striping = 0
            TempStorage = TempDatabase

            [TempDatabase]
            DatabaseFile = {db}/virtuoso-temp.db
            TransactionFile = {db}/virtuoso-temp.trx
            MaxCheckpointRemap = 2000
            Striping = 0

            [Parameters]
            ServerPort = 127.0.0.1:{self.sql_port}
            DisableUnixSocket = 1
            ServerThreads = 10
            CheckpointInterval = 60
            NumberOfBuffers = 20000
            MaxDirtyBuffers = 15000
            DirsAllowed = ., {self.load_dir}
            ThreadCleanupInterval = 0
            ResourcesCleanupInterval = 0

            [HTTPServer]
            ServerPort = 127.0.0.1:{self.http_port}
            ServerThreads = 10
            MaxKeepAlives = 10
            KeepAliveTimeout = 10

            [SPARQL]
            ResultSetMaxRows = 1000000
            MaxQueryExecutionTime = {max(1, round(self.timeout_s))}
            MaxQueryCostEstimationTime = 0
            """)

    def start(self) -> VirtuosoEngine:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.load_dir.mkdir(exist_ok=True)
        config = self.folder / "virtuoso.ini"
        config.write_text(self.ini(), encoding="utf-8")
        cmd = [shutil.which(VIRTUOSO_BINARY) or VIRTUOSO_BINARY, "+foreground",
               "+configfile", str(config)]
        self.server = Server("virtuoso", cmd, self.http_port,
                             "/sparql?query=ASK%7B%7D", cwd=self.folder).start(timeout=120)
        return self

    def isql(self):  # noqa: ANN201 - the publisher's Isql, imported late
        from publisher.remote.virtuoso import Isql

        return Isql(self.isql_address, self.user, self.password)

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()

    def kill(self) -> None:
        if self.server is not None and self.server.process is not None:
            self.server.process.kill()
            self.server.process.wait()

    def __enter__(self) -> VirtuosoEngine:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


# --- a build loaded into an engine, for the benchmarks' --store-url mode ----------------

class StoreMode:
    """Where ``publisher serve`` reads a build from in one benchmark run."""

    def __init__(self, label: str, env: dict[str, str], engine: object | None = None,
                 load_s: float | None = None) -> None:
        self.label = label
        self.env = env
        self.engine = engine
        self.load_s = load_s

    def stop(self) -> None:
        if self.engine is not None:
            self.engine.stop()  # type: ignore[attr-defined]


def store_modes(spec: str | None, build: Path, base: str, scratch: Path) -> list[StoreMode]:
    """``--store-url``: comma-separated ``embedded``, ``oxigraph``, ``virtuoso`` (started
    here on loopback and loaded with ``build`` by the publisher's own blue/green loader)
    or the query URL of a store that already holds the build. Default: embedded only."""
    import time

    modes: list[StoreMode] = []
    for item in [part.strip() for part in (spec or "embedded").split(",") if part.strip()]:
        if item == "embedded":
            modes.append(StoreMode("embedded", {}))
            continue
        if item.startswith(("http://", "https://")):
            modes.append(StoreMode(f"remote {item}", {"PUBLISHER_STORE_URL": item}))
            continue
        from pydantic import SecretStr

        from publisher.pipeline.remote_load import load_remote
        from publisher.settings import Settings

        if item == "oxigraph":
            engine: OxigraphEngine | VirtuosoEngine = OxigraphEngine(
                scratch / "oxigraph").start()
            env = {"PUBLISHER_STORE_URL": engine.query_url, "PUBLISHER_STORE_ENGINE": "oxigraph"}
            settings = Settings(base=base, store_url=engine.query_url,
                                store_update_url=engine.update_url, store_engine="oxigraph")
        elif item == "virtuoso":
            engine = VirtuosoEngine(scratch / "virtuoso", timeout_s=60).start()
            env = {"PUBLISHER_STORE_URL": engine.query_url, "PUBLISHER_STORE_ENGINE": "virtuoso"}
            settings = Settings(base=base, store_url=engine.query_url,
                                store_update_url=engine.update_url, store_engine="virtuoso",
                                store_user=engine.user,
                                store_password=SecretStr(engine.password),
                                store_auth="digest", store_isql=engine.isql_address,
                                store_load_dir=engine.load_dir)
        else:
            raise SystemExit(f"--store-url: {item!r} is not embedded, oxigraph, virtuoso or "
                             "a URL")
        began = time.perf_counter()
        load_remote(settings, build, lambda line, name=item: print(f"  [{name}] {line}"))
        modes.append(StoreMode(item, env, engine, round(time.perf_counter() - began, 2)))
    return modes
