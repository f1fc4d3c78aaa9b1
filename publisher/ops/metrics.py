"""Prometheus metrics: what an operator graphs and alerts on, served at ``/metrics``.

One :class:`Metrics` object per application holds its own registry (tests build many
apps in one process; the global registry would mix them). With several web processes
(``publisher serve --workers N``) set ``PROMETHEUS_MULTIPROC_DIR`` to an empty folder:
prometheus-client then aggregates every process's values at each scrape.

Route labels come from the router's route names, never from raw paths, so the number of
series stays bounded whatever URLs clients send.
"""

from __future__ import annotations

import os
from typing import Any, Literal

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from starlette.types import Message, Receive, Scope, Send

#: Seconds; documents are answered in about a millisecond, queries in up to the timeout.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
                   10.0, 30.0)
QueryOutcome = Literal["completed", "cut", "timed_out", "failed", "store_unavailable"]


class Metrics:
    """Every metric the publisher exports; see docs/operations.md for their meaning."""

    def __init__(self, namespace: str = "publisher") -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.requests = Counter("http_requests", "HTTP requests answered, by route, "
                                "method and status.", ["route", "method", "status"],
                                namespace=namespace, registry=r)
        self.latency = Histogram("http_request_duration_seconds", "Time from request to "
                                 "the last byte of the answer, by route.", ["route"],
                                 buckets=LATENCY_BUCKETS, namespace=namespace, registry=r)
        self.response_bytes = Counter("http_response_bytes", "Body bytes sent, by route.",
                                      ["route"], namespace=namespace, registry=r)
        self.sparql_running = Gauge("sparql_queries_running", "SPARQL queries being "
                                    "answered now.", namespace=namespace, registry=r,
                                    multiprocess_mode="livesum")
        self.sparql_queries = Counter("sparql_queries", "SPARQL queries by outcome: "
                                      "completed, cut (row cap), timed_out, failed, "
                                      "store_unavailable.", ["outcome"],
                                      namespace=namespace, registry=r)
        self.worker_restarts = Counter("worker_restarts", "Worker processes replaced "
                                       "(killed at a deadline, crashed, over memory), by "
                                       "pool.", ["pool"], namespace=namespace, registry=r)
        self.cache = Counter("cache_lookups", "Lookups in the publisher's own caches "
                             "(prepared documents, SPARQL answers), by cache and result.",
                             ["cache", "result"], namespace=namespace, registry=r)
        self.build_info = Gauge("build_info", "The build being served (value 1), by id.",
                                ["build_id"], namespace=namespace, registry=r,
                                multiprocess_mode="liveall")
        self.build_time = Gauge("build_timestamp_seconds", "When the served build was "
                                "made (Unix time); its age is time() - this.",
                                namespace=namespace, registry=r, multiprocess_mode="liveall")
        self.store_up = Gauge("store_up", "1 when the store answered the last readiness "
                              "check, else 0.", namespace=namespace, registry=r,
                              multiprocess_mode="liveall")
        self._build: str | None = None
        # labels() takes a lock and builds a tuple of strings on every call; a request
        # uses a handful of label sets, so their children are looked up once each.
        self._request_children: dict[tuple[str, str, int], tuple[Any, Any, Any]] = {}
        self._cache_children: dict[tuple[str, bool], Any] = {}

    # -- what the rest of the publisher reports

    def served_build(self, build_id: str, built_at_unix: float) -> None:
        """The build being served changed (or is reported for the first time)."""
        if build_id == self._build:
            return
        if self._build is not None:
            self.build_info.remove(self._build)
        self.build_info.labels(build_id).set(1)
        self.build_time.set(built_at_unix)
        self._build = build_id

    def query_started(self) -> None:
        self.sparql_running.inc()

    def query_finished(self, outcome: QueryOutcome) -> None:
        self.sparql_running.dec()
        self.sparql_queries.labels(outcome).inc()

    def request_done(self, route: str, method: str, status: int, seconds: float,
                     sent_bytes: int) -> None:
        """One HTTP request answered (``route`` a bounded label: :func:`first_segment_route`)."""
        key = (route, method, status)
        children = self._request_children.get(key)
        if children is None:
            children = (self.requests.labels(route, method, str(status)),
                        self.latency.labels(route), self.response_bytes.labels(route))
            self._request_children[key] = children
        children[0].inc()
        children[1].observe(seconds)
        children[2].inc(sent_bytes)

    def cache_lookup(self, cache: str, hit: bool) -> None:
        child = self._cache_children.get((cache, hit))
        if child is None:
            child = self._cache_children[(cache, hit)] = self.cache.labels(
                cache, "hit" if hit else "miss")
        child.inc()

    def worker_restarted(self, pool: str) -> None:
        self.worker_restarts.labels(pool).inc()

    # -- exposition

    def exposition(self) -> bytes:
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)
            return generate_latest(registry)
        return generate_latest(self.registry)

    @property
    def endpoint(self) -> MetricsEndpoint:
        """``/metrics`` as a raw ASGI app (Prometheus text exposition format)."""
        return MetricsEndpoint(self)


class MetricsEndpoint:
    """An object, not a function, so that Starlette's ``Route`` passes it raw ASGI."""

    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = self.metrics.exposition()
        await send({"type": "http.response.start", "status": 200, "headers": [
            (b"content-type", CONTENT_TYPE_LATEST.encode()),
            (b"content-length", str(len(body)).encode()),
            (b"cache-control", b"no-store")]})
        await send({"type": "http.response.body",
                    "body": b"" if scope["method"] == "HEAD" else body})


def first_segment_route(scope: Scope, base_path: str = "/") -> str:
    """A bounded route label from the path's first segment under the base (``/doc/x/y``,
    or ``/data/doc/x/y`` under the base path ``/data/``, → ``doc``).

    The stand-in until the router names its routes: unknown first segments collapse into
    ``other`` so that a scan of random URLs cannot create new series.
    """
    path = scope.get("path", "/")
    if base_path != "/":
        if not path.startswith(base_path) and path != base_path.rstrip("/"):
            return "other"
        path = path[len(base_path):]
    segment = path.lstrip("/").split("/", 1)[0]
    if segment in KNOWN_SEGMENTS:
        return segment
    return "home" if segment == "" else "other"


KNOWN_SEGMENTS = frozenset({"id", "doc", "sparql", "validate", "void", ".well-known",
                            "dumps", "ontology", "shapes", "search", "reconcile", "static",
                            "health", "ready", "metrics", "api"})


class Sent:
    """What a response sent: its status (500 until a start is seen, so an exception that
    escapes the app counts as one) and its body bytes. Shared by the metrics and the
    access log, which both watch the same messages."""

    __slots__ = ("status", "bytes")

    def __init__(self) -> None:
        self.status = 500
        self.bytes = 0

    def watching(self, send: Send) -> Send:
        async def watched(message: Message) -> None:
            if message["type"] == "http.response.start":
                self.status = message["status"]
            elif message["type"] == "http.response.body":
                self.bytes += len(message.get("body", b""))
            await send(message)
        return watched
