"""Metrics for operators, in Prometheus' text format at `/metrics` (prometheus-client).

Off unless METRICS_TOKEN is set: then the middleware below is installed, and a scrape
must send `Authorization: Bearer <METRICS_TOKEN>`. Each worker process of the server
records its own numbers in prometheus-client's multiprocess mode (files in
PROMETHEUS_MULTIPROC_DIR, which config/settings.py sets per server run), and a scrape,
whichever worker answers it, reads every worker's.

Per request: one counter and one histogram update (a few microseconds). The pool and
circuit-breaker gauges are sampled by a thread every SAMPLE_SECONDS, never per request.
"""

from __future__ import annotations

import hmac
import logging
import os
import threading
import time

from django.conf import settings
from django.db import connections
from django.http import HttpResponse, JsonResponse
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

logger = logging.getLogger(__name__)

PATH = "/metrics"
SAMPLE_SECONDS = 5.0

REQUESTS = Counter(
    "tasks_http_requests", "Requests answered, by route, method and status.", ["route", "method", "status"]
)
LATENCY = Histogram(
    "tasks_http_request_duration_seconds",
    "Time to answer a request, by route and method.",
    ["route", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
POOL_CONNECTIONS = Gauge(
    "tasks_db_pool_connections", "Database connections the workers' pools hold.", multiprocess_mode="livesum"
)
POOL_IDLE = Gauge(
    "tasks_db_pool_idle_connections", "Pooled connections free for a request.", multiprocess_mode="livesum"
)
POOL_WAITING = Gauge(
    "tasks_db_pool_waiting_requests", "Requests waiting for a connection now.", multiprocess_mode="livesum"
)
POOL_WAITS = Counter("tasks_db_pool_waits", "Requests that had to wait for a free connection.")
POOL_WAIT_SECONDS = Counter("tasks_db_pool_wait_seconds", "Time requests spent waiting for a connection.")
POOL_FAILURES = Counter(
    "tasks_db_pool_request_failures", "Requests that got no connection (timeout or error)."
)
POOL_CONNECT_ERRORS = Counter(
    "tasks_db_pool_connect_errors", "Failed attempts to open a database connection."
)
THROTTLED = Counter("tasks_throttled_requests", "Requests refused with 429, by throttle scope.", ["scope"])
UNTHROTTLED = Counter(
    "tasks_throttle_unchecked_requests",
    "Requests served without a rate check: the counters' cache failed, or its breaker was open.",
    ["reason"],
)
BREAKER_OPEN = Gauge(
    "tasks_circuit_breaker_open",
    "Workers whose breaker is open or half-open (the dependency is being skipped), by dependency.",
    ["breaker"],
    multiprocess_mode="livesum",
)
BREAKER_OPENINGS = Counter(
    "tasks_circuit_breaker_openings", "Times a breaker opened, by dependency.", ["breaker"]
)


class MetricsMiddleware:
    """Counts and times every request, and answers the scrape at PATH."""

    def __init__(self, get_response):
        self.get_response = get_response
        Sampler.start_once()

    def __call__(self, request):
        if request.path_info == PATH:
            return scrape(request)
        started = time.perf_counter()
        response = self.get_response(request)
        route = _route(request)
        LATENCY.labels(route, request.method).observe(time.perf_counter() - started)
        REQUESTS.labels(route, request.method, response.status_code).inc()
        return response


def _route(request) -> str:
    """The URL pattern's name (`task-detail`), never the path: a label per task id would
    grow without bound."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        return request.path_info.strip("/") if request.path_info in ("/healthz", "/readyz") else "unmatched"
    return match.view_name or match.route


def scrape(request) -> HttpResponse:
    request.get_host()  # ALLOWED_HOSTS applies here as to any path but the health probes
    expected = f"Bearer {settings.METRICS_TOKEN}".encode()
    given = request.headers.get("Authorization", "").encode()
    if not settings.METRICS_TOKEN or not hmac.compare_digest(given, expected):
        response = JsonResponse({"detail": "Metrics need the bearer token METRICS_TOKEN."}, status=401)
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    Sampler.sample()  # this worker's gauges as of now
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)


class Sampler:
    """This worker's pool and breaker figures, copied into the metrics now and then."""

    _started = False
    _lock = threading.Lock()
    _last: dict[str, float] = {}

    @classmethod
    def start_once(cls) -> None:
        with cls._lock:
            if cls._started:
                return
            cls._started = True
        threading.Thread(target=cls._run, name="metrics-sampler", daemon=True).start()

    @classmethod
    def _run(cls) -> None:
        while True:
            time.sleep(SAMPLE_SECONDS)
            try:
                cls.sample()
            except Exception:  # a sampling error must not end the sampling
                logger.exception("metrics sampling failed")

    @classmethod
    def sample(cls) -> None:
        with cls._lock:
            cls._sample_pool()
            cls._sample_breakers()

    @classmethod
    def _sample_pool(cls) -> None:
        connection = connections["default"]
        if connection.vendor != "postgresql" or not connection.settings_dict["OPTIONS"].get("pool"):
            return
        stats = connection.pool.get_stats()
        POOL_CONNECTIONS.set(stats.get("pool_size", 0))
        POOL_IDLE.set(stats.get("pool_available", 0))
        POOL_WAITING.set(stats.get("requests_waiting", 0))
        # The pool's own totals since it started: add what is new since the last sample.
        POOL_WAITS.inc(cls._new("requests_queued", stats))
        POOL_WAIT_SECONDS.inc(cls._new("requests_wait_ms", stats) / 1000)
        POOL_FAILURES.inc(cls._new("requests_errors", stats))
        POOL_CONNECT_ERRORS.inc(cls._new("connections_errors", stats))

    @classmethod
    def _new(cls, key: str, stats: dict) -> float:
        total = stats.get(key, 0)
        new = max(total - cls._last.get(key, 0), 0)
        cls._last[key] = total
        return new

    @classmethod
    def _sample_breakers(cls) -> None:
        from config.circuit_breaker import CLOSED
        from tasks.api import throttling
        from tasks.identity.identity_provider import configured_verifier

        breakers = {"redis": throttling.breaker}
        jwks_client = configured_verifier().jwks_client
        if jwks_client is not None:
            breakers["jwks"] = jwks_client.breaker
        for name, breaker in breakers.items():
            BREAKER_OPEN.labels(name).set(0 if breaker.state == CLOSED else 1)
            BREAKER_OPENINGS.labels(name).inc(
                cls._new(f"breaker:{name}", {f"breaker:{name}": breaker.times_opened})
            )
