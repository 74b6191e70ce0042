"""`/healthz` and `/readyz` answered on the production server's event loop, never in one
of its request threads (config.wsgi_over_rsgi hands them here before any thread is taken).

With every thread busy (heavy load, a slow database), a probe that waited for a thread
would time out and the platform would restart, or stop sending traffic to, a worker
that is merely busy. Here /healthz answers at once, and /readyz waits, without holding
a thread, for the check that runs in the probe's own thread over its own database
connection (config.database_probe): at most `probe_budget()` (0.8 s), else "not ready".
The answers are the views' (config.health): same bodies and statuses, whatever the
Host; as there, other methods go on to Django. Each probe still gets an `X-Request-ID`,
its access line and its metrics.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable

from django.conf import settings

from config import database_probe, health
from config.middleware.request_id import current_request_id, request_id_for

access_logger = logging.getLogger("tasks.access")
METHODS = ("GET", "HEAD")

Answer = tuple[int, list[tuple[str, str]], bytes]


async def healthz() -> tuple[int, dict]:
    return 200, health.OK


async def readyz() -> tuple[int, dict]:
    """The latest check's answer if it comes within the budget; "unreachable" if not."""
    check = asyncio.wrap_future(database_probe.readiness_check())
    # asyncio.wait never cancels what it waits on: the next probe may still use it.
    done, _ = await asyncio.wait({check}, timeout=database_probe.probe_budget())
    if not done:
        return 503, health.UNREACHABLE
    return check.result()


PROBES = {"/healthz": healthz, "/readyz": readyz}


def start() -> None:
    """As a worker starts: the first check (it reads the migrations), so that the
    first probe finds the answer ready."""
    database_probe.readiness_check()


def answer(scope, headers: dict[str, str]) -> Awaitable[Answer] | None:
    """The probe's response to come, or None when the request is not a probe for this
    module (every request is asked: those get no coroutine)."""
    probe = PROBES.get(scope.path)
    if probe is None or scope.method not in METHODS:
        return None
    return _answer(probe, scope, headers)


async def _answer(probe, scope, headers: dict[str, str]) -> Answer:
    started = time.perf_counter()
    status, body = await probe()
    request_id = request_id_for(headers.get("x-request-id", ""))
    response_headers = [
        ("content-type", "application/json"),
        ("x-content-type-options", "nosniff"),
        ("x-request-id", request_id),
    ]
    _record(scope, status, time.perf_counter() - started, request_id)
    return status, response_headers, b"" if scope.method == "HEAD" else json.dumps(body).encode()


def _record(scope, status: int, seconds: float, request_id: str) -> None:
    """The access line and the metrics that Django's middleware would have written."""
    if settings.ACCESS_LOG:
        token = current_request_id.set(request_id)
        try:
            access_logger.info(
                "%s %s %s",
                scope.method,
                scope.path,
                status,
                extra={
                    "fields": {
                        "method": scope.method,
                        "path": scope.path,
                        "status": status,
                        "duration_ms": round(seconds * 1000, 1),
                        "request_id": request_id,
                        "principal": None,
                    }
                },
            )
        finally:
            current_request_id.reset(token)
    if settings.METRICS_TOKEN:
        from config import metrics

        route = scope.path.strip("/")
        metrics.LATENCY.labels(route, scope.method).observe(seconds)
        metrics.REQUESTS.labels(route, scope.method, status).inc()
