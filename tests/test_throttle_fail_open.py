"""With the throttle counters' cache unreachable, requests are served (throttling fails
open) and a warning is logged now and then, not per request; after a failure the cache
is not called again until the breaker's cooldown is over, and once it answers again the
limits hold again. (tests/e2e/test_outages.py does this with a real Redis.)"""

from __future__ import annotations

import logging
import uuid
from http import HTTPStatus

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError
from rest_framework.throttling import SimpleRateThrottle

from config.circuit_breaker import OPEN, CircuitBreaker
from tasks.api import throttling
from tests.conftest import tasks_url

pytestmark = pytest.mark.django_db


class UnreachableCache:
    calls = 0

    def incr(self, *args, **kwargs):
        UnreachableCache.calls += 1
        raise RedisConnectionError("Error 111 connecting to 127.0.0.1:6390. Connection refused.")

    add = incr


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch) -> FakeClock:
    clock = FakeClock()
    monkeypatch.setattr(throttling, "breaker", CircuitBreaker("throttle cache", cooldown=5, clock=clock))
    return clock


@pytest.fixture(autouse=True)
def one_request_a_minute(settings, monkeypatch):
    rates = {"user": "1/min", "anon": "1/min"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", rates)
    monkeypatch.setattr(throttling, "_warned_at", float("-inf"))
    # Counters no other test has touched.
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "KEY_PREFIX": f"fail-open-{uuid.uuid4().hex}",
        }
    }


def test_requests_are_served_while_the_counters_are_unreachable(alice_client, monkeypatch, caplog):
    monkeypatch.setattr(throttling.UserRateThrottle, "cache", UnreachableCache())

    with caplog.at_level(logging.WARNING, logger="tasks.api.throttling"):
        statuses = [alice_client.get(tasks_url()).status_code for _ in range(3)]

    assert statuses == [HTTPStatus.OK] * 3
    warnings = [record for record in caplog.records if record.name == "tasks.api.throttling"]
    assert len(warnings) == 1
    assert "Connection refused" in warnings[0].getMessage()


def test_after_a_failure_the_cache_is_not_called_until_the_cooldown_is_over(alice_client, monkeypatch, clock):
    monkeypatch.setattr(throttling.UserRateThrottle, "cache", UnreachableCache())
    UnreachableCache.calls = 0

    statuses = [alice_client.get(tasks_url()).status_code for _ in range(5)]
    calls_while_open = UnreachableCache.calls
    clock.now += 5
    probe = alice_client.get(tasks_url())

    assert statuses == [HTTPStatus.OK] * 5
    assert calls_while_open == 1
    assert probe.status_code == HTTPStatus.OK
    assert UnreachableCache.calls == 2  # one probe, which failed: open again
    assert throttling.breaker.state == OPEN


def test_the_limit_holds_again_once_the_counters_answer(alice_client, monkeypatch, clock):
    with monkeypatch.context() as unreachable:
        unreachable.setattr(throttling.UserRateThrottle, "cache", UnreachableCache())
        assert alice_client.get(tasks_url()).status_code == HTTPStatus.OK
    clock.now += 5

    statuses = [alice_client.get(tasks_url()).status_code for _ in range(2)]

    assert statuses == [HTTPStatus.OK, HTTPStatus.TOO_MANY_REQUESTS]
