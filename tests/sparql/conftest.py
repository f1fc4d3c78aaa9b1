"""Fixtures for the SPARQL endpoint: a small published build and live uvicorn servers.

The build holds a few named graphs in the shape the pipeline produces (reference graph,
two source graphs, the ontology), plus generated graphs that make queries expensive or
large on purpose: ``GENERATED`` (3000 small triples, for cartesian products that never
finish) and ``BIG`` (300 literals of 2 KB, for results too large to buffer).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest

from publisher.builds import BUILD_INFO, swap_in
from publisher.settings import Settings
from tests import conftest as shared

from ..peaks import descendants  # noqa: F401 - the tests of this folder import it here

ROOT = Path(__file__).resolve().parents[2]
BASE = "http://localhost:8000/"
EX = "http://example.org/"
GENERATED = EX + "graph/generated"
BIG = EX + "graph/big"
SOURCE_A = BASE + "id/graph/source-a"
SOURCE_B = BASE + "id/graph/source-b"
REFERENCE = BASE + "id/graph/reference"
N_GENERATED = 3000
N_BIG = 300
BIG_LITERAL = 2000

TRIG = """
@prefix dip: <http://localhost:8000/ontology#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix org: <http://www.w3.org/ns/org#> .
@prefix prov: <http://www.w3.org/ns/prov#> .
@prefix schema: <http://schema.org/> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@base <http://localhost:8000/> .

<id/graph/reference> {
  <id/person/sergey-lavrov> a foaf:Person ; rdfs:label "Sergey Lavrov"@en .
  <id/person/wang-yi> a foaf:Person ; rdfs:label "Wang Yi"@en .
  <id/person/jeyhun-bayramov> a foaf:Person ; rdfs:label "Jeyhun Bayramov"@en .
  <id/place/vientiane> a dip:City ; rdfs:label "Vientiane"@en .
  <id/place/baku> a dip:City ; rdfs:label "Baku"@en .
  <id/country/RUS> a dip:Country ; rdfs:label "Russia"@en .
  <id/country/AZE> a dip:Country ; rdfs:label "Azerbaijan"@en .
  <id/organization/asean> a dip:IntergovernmentalOrganization ;
      rdfs:label "Association of Southeast Asian Nations"@en .
  <id/membership/rus-asean> a org:Membership ; org:member <id/country/RUS> ;
      org:organization <id/organization/asean> ; org:role dip:DialoguePartner .
}

<id/graph/source-a> {
  <id/graph/source-a> prov:wasDerivedFrom <id/article/mfa-2024> .
  <id/article/mfa-2024> schema:headline "Lavrov holds talks in Vientiane"@en .
  <id/event/amm57> a dip:MinisterialMeeting ; rdfs:label "57th AMM"@en .
  <id/event/lavrov-wang-yi> a dip:BilateralMeeting ;
      rdfs:label "Talks between Sergey Lavrov and Wang Yi"@en ;
      dip:date "2024-07-25"^^xsd:date ; dip:dateStatus dip:Stated ;
      dip:place <id/place/vientiane> ; dip:onSidelinesOf <id/event/amm57> ;
      dip:participant <id/person/sergey-lavrov>, <id/person/wang-yi> .
}

<id/graph/source-b> {
  <id/graph/source-b> prov:wasDerivedFrom <id/article/caliber-2025> .
  <id/event/baku-talks> a dip:Talks, dip:BilateralMeeting ;
      rdfs:label "Bayramov meets Alamin in Baku"@en ;
      dip:date "2025-06"^^xsd:gYearMonth ; dip:dateStatus dip:Resolved ;
      dip:place <id/place/baku> ; dip:mentions <id/organization/asean> ;
      dip:participant <id/person/jeyhun-bayramov> .
}
"""


def make_build(root: Path, build_id: str = "test-build-1", base: str = BASE,
               small: bool = False) -> Settings:
    """Build a store like ``publisher build`` would and publish it under ``root``.

    The data's IRIs are under ``BASE`` whatever ``base`` the deployment has: a SPARQL
    endpoint serves any IRIs; ``base`` decides where its routes are. ``small``: only the
    few dozen triples of ``TRIG`` (no ontology, no generated graphs), where no query can
    be expensive.
    """
    settings = Settings(store_dir=root / "var" / "store", project_dir=root, base=base)
    build = settings.builds_dir / build_id
    build.mkdir(parents=True)
    store = ox.Store(str(build))
    store.load(TRIG.encode(), ox.RdfFormat.TRIG)
    if small:
        return _publish(settings, build, store, build_id, base)
    store.load(path=str(ROOT / "ontology" / "diplomacy.ttl"), format=ox.RdfFormat.TURTLE,
               base_iri=BASE, to_graph=ox.NamedNode(BASE + "ontology"))
    number = ox.NamedNode(EX + "num")
    big = ox.NamedNode(EX + "big")
    store.extend(
        ox.Quad(ox.NamedNode(f"{EX}n{i}"), number, ox.Literal(str(i), datatype=ox.NamedNode(
            "http://www.w3.org/2001/XMLSchema#integer")), ox.NamedNode(GENERATED))
        for i in range(N_GENERATED))
    store.extend(
        ox.Quad(ox.NamedNode(f"{EX}b{i}"), big, ox.Literal(f"{i:06d}" + "x" * BIG_LITERAL),
                ox.NamedNode(BIG))
        for i in range(N_BIG))
    return _publish(settings, build, store, build_id, base)


def _publish(settings: Settings, build: Path, store: ox.Store, build_id: str,
             base: str) -> Settings:
    store.flush()
    del store  # close the writable store before anything opens it read-only
    (build / BUILD_INFO).write_text(json.dumps({
        "build_id": build_id, "built_at": "2026-11-23T00:00:00+00:00", "base": base,
        "stats": {}}), encoding="utf-8")
    queries = build / "queries"  # what serving reads besides the store, as a build keeps it
    queries.mkdir()
    (queries / "cq1-lavrov-vientiane.rq").write_text(
        "# Whom did Sergey Lavrov meet in Vientiane?\n"
        "PREFIX dip: <ontology#>\nPREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
        "SELECT ?name WHERE { ?m dip:participant <id/person/sergey-lavrov>, ?p ;\n"
        "  dip:place <id/place/vientiane> . ?p rdfs:label ?name .\n"
        "  FILTER(?p != <id/person/sergey-lavrov>) }\n", encoding="utf-8")
    for folder in ("shapes", "ontology"):
        shutil.copytree(ROOT / folder, build / folder)
    swap_in(settings, build)
    return settings


@pytest.fixture(scope="session")
def build_settings(tmp_path_factory: pytest.TempPathFactory, base_path: str) -> Settings:
    """The endpoint's build, for a deployment at the root and one under ``/data/``."""
    return make_build(tmp_path_factory.mktemp("sparql-project"),
                      base=f"http://localhost:8000{base_path}")


free_port = shared.free_port  # the tests of this folder import it here


@dataclass
class Server:
    url: str  # the endpoint, http://127.0.0.1:PORT{base path}sparql
    process: subprocess.Popen[bytes]
    settings: Settings
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid


def start_server(settings: Settings, log: Path, **overrides: object) -> Server:
    """``publisher serve`` on a free port of 127.0.0.1, with ``overrides`` of settings."""
    running = shared.start_server(settings, log, **overrides)
    _wait_until_idle(running.pid)
    return Server(running.root + "sparql", running.process, running.settings, log)


def stop_server(server: Server) -> None:
    shared.stop_server(shared.Server(server.url, server.process, server.settings, server.log))


@pytest.fixture(scope="session")
def server(build_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The endpoint as deployed, with small limits: 2 s timeout, 1000 rows."""
    log = tmp_path_factory.mktemp("logs") / "uvicorn.log"
    running = start_server(build_settings, log, sparql_timeout_s=2.0, sparql_max_rows=1000,
                           sparql_max_body_bytes=20000)
    yield running
    stop_server(running)


@pytest.fixture
def client(server: Server) -> Iterator[httpx.Client]:
    with httpx.Client(timeout=30) as http:
        yield http


def _wait_until_idle(pid: int, limit_s: float = 15.0) -> None:
    """Let start-up work (imports, linked-data prewarming) finish before tests measure CPU."""
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        if sum(cpu_used(descendants(pid) | {pid}, 0.3).values()) <= 0.03:
            return


# --- process accounting from /proc ------------------------------------------------------

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2:].split()  # fields from "state" on


def cpu_seconds(pid: int) -> float:
    fields = _stat(pid)
    if fields is None or fields[0] == "Z":
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime + stime


def alive(pid: int) -> bool:
    fields = _stat(pid)
    return fields is not None and fields[0] != "Z"


def cpu_used(pids: set[int], seconds: float) -> dict[int, float]:
    before = {pid: cpu_seconds(pid) for pid in pids}
    time.sleep(seconds)
    return {pid: cpu_seconds(pid) - before[pid] for pid in pids}


