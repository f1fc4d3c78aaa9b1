"""deploy/nginx.conf.template in front of two publisher replicas, all on loopback:
repeated requests come from the cache, a new build is picked up, dumps come from disk,
and a replica killed under load costs no request."""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bench.harness import free_port, publisher_server
from deploy.nginx import NginxProxy, ProxyConfig, nginx_binary
from publisher.pipeline.build import build
from publisher.settings import Settings

from ..conftest import copy_project

DOC = "/doc/person/sergey-lavrov"


class Site:
    def __init__(self, project: Path, settings: Settings, replicas: list, proxy: NginxProxy,
                 dumps: Path) -> None:
        self.project = project
        self.settings = settings
        self.replicas = replicas
        self.proxy = proxy
        self.dumps = dumps
        self.http = httpx.Client(base_url=proxy.url, timeout=30)


def _logged(log: Path, path: str, status: int) -> bool:
    """A replica's JSON-lines access log has a request for ``path`` answered ``status``."""
    for line in log.read_text(errors="replace").splitlines():
        if line.startswith("{"):
            record = json.loads(line)
            if record.get("path") == path and record.get("status") == status:
                return True
    return False


def _wait_for(predicate, timeout: float = 60.0, step: float = 0.1) -> None:  # noqa: ANN001
    """Poll a condition (never a fixed sleep as synchronisation), bounded."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(step)
    raise AssertionError("condition not reached in time")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    if not Path(nginx_binary()).exists():
        pytest.fail("nginx is not installed: .ci/run installs it (apt-get install nginx)")
    root = tmp_path_factory.mktemp("deploy")
    project = copy_project(root / "project")
    port = free_port()
    settings = Settings(base=f"http://127.0.0.1:{port}/", project_dir=project,
                        store_dir=root / "var" / "store")
    build(settings, progress=lambda _line: None)
    replicas = [publisher_server(project, settings.store_dir, settings.base).start()
                for _ in range(2)]
    dumps = settings.store_dir / "dumps"  # the live build's, through the live link
    config = ProxyConfig(listen=f"127.0.0.1:{port}",
                         replicas=[f"127.0.0.1:{r.port}" for r in replicas],
                         dumps_dir=dumps, run_dir=root / "nginx", fresh="1s",
                         worker_processes="1", rate=10_000, burst=10_000)
    proxy = NginxProxy(config).start(ready_path="/health")
    try:
        yield Site(project, settings, replicas, proxy, dumps)
    finally:
        proxy.stop()
        for replica in replicas:
            replica.stop()


def test_repeated_requests_are_served_from_the_cache(site: Site) -> None:
    url = DOC + "?first"  # a URL no other test asked for: the cache starts empty
    first = site.http.get(url, headers={"Accept": "text/turtle"})
    second = site.http.get(url, headers={"Accept": "text/turtle"})
    assert first.status_code == second.status_code == 200
    assert first.headers["x-cache-status"] == "MISS"
    assert second.headers["x-cache-status"] == "HIT"
    assert second.content == first.content and second.headers["etag"] == first.headers["etag"]
    log = (site.proxy.config.run_dir / "access.log").read_text()
    assert f"GET {url} HTTP/1.1\" 200" in log and "cache=HIT" in log


def test_each_variant_is_cached_apart(site: Site) -> None:
    """Vary: Accept keeps Turtle and HTML apart: a cached Turtle never answers a browser."""
    url = DOC + "?variants"
    for _ in range(2):
        turtle = site.http.get(url, headers={"Accept": "text/turtle"})
        html = site.http.get(url, headers={"Accept": "text/html"})
    assert turtle.headers["x-cache-status"] == html.headers["x-cache-status"] == "HIT"
    assert turtle.headers["content-type"].startswith("text/turtle")
    assert html.headers["content-type"].startswith("text/html")


def test_stale_entries_are_revalidated_with_the_etag(site: Site) -> None:
    """Past its freshness an entry is revalidated in the background (the client gets it
    at once, STALE); the replica answers the conditional request with 304."""
    url = DOC + "?revalidate"
    site.http.get(url)
    statuses: list[str] = []

    def replica_said_304() -> bool:
        statuses.append(site.http.get(url).headers["x-cache-status"])
        return any(_logged(replica.log_path, DOC, 304) for replica in site.replicas)

    _wait_for(replica_said_304, timeout=30, step=0.3)  # 1 s freshness, then revalidation
    assert set(statuses) <= {"HIT", "REVALIDATED", "UPDATING", "STALE"}
    assert any(status in ("STALE", "REVALIDATED", "UPDATING") for status in statuses)


def test_dumps_are_served_by_nginx_from_disk(site: Site) -> None:
    """From the build's folder, the same bytes the application serves."""
    response = site.http.get("/dumps/dataset.nq.gz")
    assert response.status_code == 200
    assert response.headers["x-served-by"] == "nginx"
    assert "x-cache-status" not in response.headers  # never reached a replica
    assert response.content == (site.dumps / "dataset.nq.gz").read_bytes()
    with urllib.request.urlopen(site.replicas[0].url + "/dumps/dataset.nq.gz") as direct:
        assert direct.read() == response.content


def test_a_new_build_is_picked_up(site: Site) -> None:
    before = site.http.get(DOC, headers={"Accept": "text/turtle"})
    people = site.project / "data" / "reference" / "people.yaml"
    text = people.read_text(encoding="utf-8")
    people.write_text(text.replace("label: Sergey Lavrov,",
                                   'label: Sergey Lavrov, altLabel: "Sergej Lawrow",', 1),
                      encoding="utf-8")
    build(site.settings, progress=lambda _line: None)
    latest: dict[str, httpx.Response] = {}

    def changed() -> bool:
        latest["r"] = site.http.get(DOC, headers={"Accept": "text/turtle"})
        return latest["r"].headers["etag"] != before.headers["etag"]

    _wait_for(changed, timeout=60, step=0.3)
    assert "Sergej Lawrow" in latest["r"].text and "Sergej Lawrow" not in before.text


def test_a_replica_killed_under_load_fails_no_request(site: Site) -> None:
    """A bounded load through nginx, half of it uncached; one replica is SIGKILLed."""
    statuses: list[int] = []
    errors: list[str] = []
    stop = threading.Event()

    def client(index: int) -> None:
        with httpx.Client(base_url=site.proxy.url, timeout=30) as http:
            for n in range(400):  # bounded
                if stop.is_set() and n > 50:
                    return
                # Distinct SPARQL queries are never in the cache: they reach a replica.
                url = (f"/sparql?query=ASK%7B%3Curn%3Ax%3A{index}-{n}%3E%20%3Fp%20%3Fo%7D"
                       if n % 2 else DOC)
                try:
                    statuses.append(http.get(url).status_code)
                except httpx.HTTPError as error:
                    errors.append(repr(error))

    threads = [threading.Thread(target=client, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    _wait_for(lambda: len(statuses) >= 40, timeout=60, step=0.02)
    victim = site.replicas[0]
    assert victim.process is not None
    victim.process.kill()  # SIGKILL the uvicorn process: in-flight requests are cut
    killed_at = len(statuses)
    stop.set()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert len(statuses) > killed_at + 20  # the load went on after the kill
    assert set(statuses) == {200}, {s: statuses.count(s) for s in set(statuses)}
