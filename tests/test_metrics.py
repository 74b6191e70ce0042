"""Metrics for operators: off unless METRICS_TOKEN is set; then `/metrics` needs that
bearer token and counts requests by route and status, times them, and counts 429s.
(tests/e2e/test_metrics_over_http.py scrapes the Procfile's server, several workers.)"""

from __future__ import annotations

import uuid
from http import HTTPStatus

import pytest
from django.test import Client
from prometheus_client import REGISTRY
from rest_framework.throttling import SimpleRateThrottle

from tests.conftest import tasks_url

pytestmark = pytest.mark.django_db

TOKEN = "scrape-token-for-tests"


@pytest.fixture
def metrics_on(settings):
    settings.METRICS_TOKEN = TOKEN
    settings.MIDDLEWARE = [
        settings.MIDDLEWARE[0],
        "config.metrics.MetricsMiddleware",
        *settings.MIDDLEWARE[1:],
    ]


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def scrape(token: str | None = TOKEN):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    return Client().get("/metrics", **headers)


def test_metrics_are_not_served_without_a_token_configured(anon_client):
    assert anon_client.get("/metrics").status_code == HTTPStatus.NOT_FOUND


@pytest.mark.usefixtures("metrics_on")
@pytest.mark.parametrize("token", [None, "wrong"])
def test_a_scrape_without_the_right_token_is_refused(token):
    response = scrape(token)

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert b"tasks_http_requests" not in response.content


@pytest.mark.usefixtures("metrics_on")
def test_requests_are_counted_and_timed_by_route_and_status(alice_client):
    labels = {"route": "task-list", "method": "GET"}
    counted = sample("tasks_http_requests_total", status="200", **labels)
    timed = sample("tasks_http_request_duration_seconds_count", **labels)
    not_found = sample("tasks_http_requests_total", route="unmatched", method="GET", status="404")

    for _ in range(3):
        alice_client.get(tasks_url())
    alice_client.get("/api/no/such/path/here")
    response = scrape()

    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"].startswith("text/plain")
    assert sample("tasks_http_requests_total", status="200", **labels) == counted + 3
    assert sample("tasks_http_request_duration_seconds_count", **labels) == timed + 3
    assert sample("tasks_http_requests_total", route="unmatched", method="GET", status="404") == not_found + 1
    assert b'tasks_circuit_breaker_open{breaker="redis"} 0.0' in response.content


@pytest.mark.usefixtures("metrics_on")
def test_throttled_requests_are_counted_by_scope(alice_client, settings, monkeypatch):
    rates = {"user": "1/min", "anon": "1/min"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", rates)
    locmem = "django.core.cache.backends.locmem.LocMemCache"
    settings.CACHES = {"default": {"BACKEND": locmem, "KEY_PREFIX": f"metrics-{uuid.uuid4().hex}"}}
    before = sample("tasks_throttled_requests_total", scope="user")

    statuses = [alice_client.get(tasks_url()).status_code for _ in range(2)]

    assert statuses == [HTTPStatus.OK, HTTPStatus.TOO_MANY_REQUESTS]
    assert sample("tasks_throttled_requests_total", scope="user") == before + 1
