"""The rate throttles count each client's requests in fixed windows of the rate's period:
exactly the budget is let through however many requests race for it (threads, and
processes sharing Redis), every 429 says in `Retry-After` when the window ends (also
after the rate was lowered under a client's feet), the budget is whole again in the next
window, and with Redis unreachable requests are served unthrottled."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import uuid
from http import HTTPStatus
from pathlib import Path
from types import SimpleNamespace

import pytest
from prometheus_client import REGISTRY
from rest_framework.throttling import SimpleRateThrottle

from config.circuit_breaker import CLOSED, CircuitBreaker
from tasks.api import throttling
from tests.conftest import tasks_url

pytestmark = pytest.mark.django_db

REPO = Path(__file__).resolve().parent.parent
LOCMEM = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
PROJECT_REDIS = "config.redis_cache.RedisCache"  # the backend REDIS_URL selects
REDIS_URL = os.environ.get("REDIS_URL", "")
needs_redis = pytest.mark.skipif(not REDIS_URL, reason="needs REDIS_URL (a cache the processes share)")


def set_rates(settings, monkeypatch, user: str, anon: str = "100000/min") -> None:
    rates = {"user": user, "anon": anon}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    # DRF copied the rates onto the class when it was defined; the setting alone would not reach it.
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", rates)


@pytest.fixture
def fresh_counters(settings) -> str:
    """The configured cache (Redis when REDIS_URL is set), with counters no other test or
    run has touched."""
    prefix = f"fixed-window-{uuid.uuid4().hex}"
    settings.CACHES = {name: {**config, "KEY_PREFIX": prefix} for name, config in settings.CACHES.items()}
    return prefix


def retry_after(response) -> int:
    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS, response.content
    return int(response.headers["Retry-After"])


@pytest.mark.usefixtures("fresh_counters")
def test_every_429_says_when_the_window_ends(alice_client, settings, monkeypatch, throttle_clock):
    set_rates(settings, monkeypatch, "3/min")
    throttle_clock.now = 6_000_000 * 60 + 42.25  # 17.75 s before the minute ends

    statuses = [alice_client.get(tasks_url()).status_code for _ in range(3)]
    refused = [alice_client.get(tasks_url()) for _ in range(5)]

    assert statuses == [HTTPStatus.OK] * 3
    assert [retry_after(response) for response in refused] == [18] * 5


@pytest.mark.usefixtures("fresh_counters")
def test_after_the_rate_is_lowered_the_429_still_has_retry_after(alice_client, settings, monkeypatch):
    set_rates(settings, monkeypatch, "5/min")
    spent = [alice_client.get(tasks_url()).status_code for _ in range(5)]

    # The operator lowers the rate: the client has already spent more than the new budget
    # (DRF's own throttle then answers 429 without Retry-After).
    set_rates(settings, monkeypatch, "2/min")
    over = alice_client.get(tasks_url())

    assert spent == [HTTPStatus.OK] * 5
    assert 1 <= retry_after(over) <= 60


@pytest.mark.usefixtures("fresh_counters")
def test_the_budget_is_whole_again_when_the_window_rolls_over(
    alice_client, settings, monkeypatch, throttle_clock
):
    set_rates(settings, monkeypatch, "2/min")
    throttle_clock.now = 6_000_000 * 60 + 59.5  # half a second before the minute ends
    spent = [alice_client.get(tasks_url()).status_code for _ in range(2)]
    wait = retry_after(alice_client.get(tasks_url()))

    throttle_clock.now += wait
    next_window = [alice_client.get(tasks_url()).status_code for _ in range(2)]
    over_again = alice_client.get(tasks_url())

    assert spent == [HTTPStatus.OK] * 2
    assert wait == 1  # never 0, which tells a client nothing
    assert next_window == [HTTPStatus.OK] * 2
    assert retry_after(over_again) == 60


def principal(pk: int) -> SimpleNamespace:
    """The request a throttle sees, reduced to what it reads: an authenticated Django account."""
    return SimpleNamespace(user=SimpleNamespace(is_authenticated=True, pk=pk))


@pytest.mark.parametrize("backend", ["locmem", pytest.param("redis", marks=needs_redis)])
def test_exactly_the_budget_is_let_through_when_threads_race_for_it(settings, monkeypatch, backend):
    budget, threads, attempts = 50, 8, 25
    set_rates(settings, monkeypatch, f"{budget}/min")
    prefix = f"race-{uuid.uuid4().hex}"
    config = LOCMEM if backend == "locmem" else settings.CACHES["default"]
    settings.CACHES = {"default": {**config, "KEY_PREFIX": prefix}}
    request = principal(7)
    start = threading.Barrier(threads)
    allowed: list[int] = []

    def client() -> None:
        start.wait()
        mine = sum(throttling.UserRateThrottle().allow_request(request, None) for _ in range(attempts))
        allowed.append(mine)

    workers = [threading.Thread(target=client) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()

    assert len(allowed) == threads
    assert sum(allowed) == budget  # of threads x attempts = 200


# Run by each racing process: as many threads, each asking the throttle as often, at one
# fixed instant (so that a window cannot end during the race); prints how many it let through.
RACER = """
import sys, threading, types
import django
django.setup()
from rest_framework.throttling import SimpleRateThrottle
from tasks.api import throttling
budget, threads, attempts, instant = map(float, sys.argv[1:5])
SimpleRateThrottle.THROTTLE_RATES = {"user": f"{int(budget)}/min", "anon": "1/min"}
throttling.FixedWindowRateThrottle.timer = staticmethod(lambda: instant)
request = types.SimpleNamespace(user=types.SimpleNamespace(is_authenticated=True, pk=7))
start = threading.Barrier(int(threads))
allowed = []
def client():
    start.wait()
    ask = lambda: throttling.UserRateThrottle().allow_request(request, None)
    allowed.append(sum(ask() for _ in range(int(attempts))))
workers = [threading.Thread(target=client) for _ in range(int(threads))]
[worker.start() for worker in workers]
[worker.join() for worker in workers]
print(sum(allowed))
"""


@needs_redis
def test_two_processes_racing_through_redis_let_exactly_the_budget_through(throttle_clock):
    budget, threads, attempts = 60, 4, 25
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "REDIS_URL": REDIS_URL,
        "CACHE_KEY_PREFIX": f"race-processes-{uuid.uuid4().hex}",
    }
    args = [str(budget), str(threads), str(attempts), repr(throttle_clock.now)]
    racers = [
        subprocess.Popen(  # noqa: S603 - this interpreter, a fixed script
            [sys.executable, "-c", RACER, *args], cwd=REPO, env=env, stdout=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    outputs = [racer.communicate(timeout=120)[0] for racer in racers]

    assert [racer.returncode for racer in racers] == [0, 0]
    assert sum(int(output.split()[-1]) for output in outputs) == budget  # of 2 x 4 x 25 = 200


def unchecked(reason: str) -> float:
    return REGISTRY.get_sample_value("tasks_throttle_unchecked_requests_total", {"reason": reason}) or 0.0


@pytest.mark.parametrize("backend", [PROJECT_REDIS, "django.core.cache.backends.redis.RedisCache"])
def test_with_redis_unreachable_requests_are_served_unthrottled(alice_client, settings, monkeypatch, backend):
    set_rates(settings, monkeypatch, "1/min")
    # A real Redis client, towards a port where nothing listens: refused at once.
    settings.CACHES = {
        "default": {
            "BACKEND": backend,
            "LOCATION": "redis://127.0.0.1:9/0",
            "OPTIONS": {"socket_connect_timeout": 0.25, "socket_timeout": 0.25},
        }
    }
    before = unchecked("cache_failed")
    skipped_before = unchecked("circuit_open")

    statuses = [alice_client.get(tasks_url()).status_code for _ in range(4)]

    assert statuses == [HTTPStatus.OK] * 4
    # One request found Redis down; the breaker then skipped it for the others.
    assert unchecked("cache_failed") == before + 1
    assert unchecked("circuit_open") == skipped_before + 3


def test_a_probe_that_finds_no_counter_closes_the_breaker(settings, monkeypatch):
    """The first request after an outage usually finds its counter gone (Redis restarted
    empty): the cache answered, so counting resumes."""
    settings.CACHES = {"default": {**LOCMEM, "KEY_PREFIX": f"probe-{uuid.uuid4().hex}"}}
    now = [0.0]
    monkeypatch.setattr(throttling, "breaker", CircuitBreaker("test", cooldown=5, clock=lambda: now[0]))
    throttling.breaker.failed()
    now[0] += 5
    cache = throttling.GuardedCache(throttling.FixedWindowRateThrottle.cache)

    assert cache.incr_counter("no-such-counter", 120) == 1
    assert throttling.breaker.state == CLOSED
