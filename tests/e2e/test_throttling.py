"""Rate limits: per user and per anonymous IP, 429 with `Retry-After`, and one budget
shared by every server process when the counters live in Redis."""

from __future__ import annotations

import os
import uuid
from http import HTTPStatus

import pytest
import requests
from django.db import connection
from rest_framework.throttling import SimpleRateThrottle
from rest_framework_simplejwt.tokens import AccessToken

from tasks.identity.principal import principal_id
from tasks.models import Task
from tests.conftest import tasks_url
from tests.e2e.servers import production_servers

pytestmark = pytest.mark.django_db

USER_BUDGET = 3
ANON_BUDGET = 2
RATES = {"user": f"{USER_BUDGET}/min", "anon": f"{ANON_BUDGET}/min"}
TOKEN_URL = "/api/auth/token"


@pytest.fixture(autouse=True)
def low_rates(settings, monkeypatch):
    """Small budgets, and counters no other test has touched (a fresh cache key prefix
    rather than clearing a cache that other runs may share)."""
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": RATES}
    # DRF copied the rates onto the class when it was defined; the settings change alone
    # would not reach it.
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", RATES)
    settings.CACHES = {
        name: {**config, "KEY_PREFIX": f"throttle-test-{uuid.uuid4().hex}"}
        for name, config in settings.CACHES.items()
    }


def assert_throttled(response, window: int = 60) -> None:
    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS, response.content
    retry_after = int(response.headers["Retry-After"])
    assert 0 < retry_after <= window
    assert "throttled" in response.json()["detail"].lower()


def test_a_user_gets_429_with_retry_after_once_the_budget_is_spent(alice_client):
    spent = [alice_client.get(tasks_url()) for _ in range(USER_BUDGET)]

    over = alice_client.get(tasks_url())

    assert [response.status_code for response in spent] == [HTTPStatus.OK] * USER_BUDGET
    assert_throttled(over)


def test_the_user_budget_is_per_user(alice_client, bob_client, carol_client):
    for _ in range(USER_BUDGET):
        alice_client.get(tasks_url())
    assert_throttled(alice_client.get(tasks_url()))

    assert bob_client.get(tasks_url()).status_code == HTTPStatus.OK
    assert carol_client.get(tasks_url()).status_code == HTTPStatus.OK


def test_a_throttled_write_changes_nothing(alice, alice_client):
    for _ in range(USER_BUDGET):
        alice_client.get(tasks_url())

    response = alice_client.post(tasks_url(), {"title": "Too late"}, format="json")

    assert_throttled(response)
    assert not Task.objects.filter(user_id=principal_id(alice)).exists()


def test_anonymous_logins_have_a_per_ip_budget(alice, anon_client):
    wrong = {"username": "alice", "password": "wrong"}
    attempts = [anon_client.post(TOKEN_URL, wrong, format="json") for _ in range(ANON_BUDGET)]

    over = anon_client.post(TOKEN_URL, wrong, format="json")
    even_the_right_password = anon_client.post(
        TOKEN_URL, {"username": "alice", "password": "alice-pass-123!"}, format="json"
    )
    from_another_ip = anon_client.post(TOKEN_URL, wrong, format="json", REMOTE_ADDR="203.0.113.9")

    assert [response.status_code for response in attempts] == [HTTPStatus.UNAUTHORIZED] * ANON_BUDGET
    assert_throttled(over)
    assert_throttled(even_the_right_password)
    assert from_another_ip.status_code == HTTPStatus.UNAUTHORIZED


def test_a_forged_x_forwarded_for_does_not_buy_a_fresh_anonymous_budget(anon_client):
    wrong = {"username": "alice", "password": "wrong"}
    responses = [
        anon_client.post(TOKEN_URL, wrong, format="json", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}")
        for n in range(ANON_BUDGET + 1)
    ]

    assert_throttled(responses[-1])


def test_behind_a_proxy_the_address_it_appends_is_the_client(settings, anon_client):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    wrong = {"username": "alice", "password": "wrong"}

    def via_proxy(forwarded_for: str):
        return anon_client.post(
            TOKEN_URL, wrong, format="json", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=forwarded_for
        )

    # The client forges the first entry each time; the proxy appends the real address.
    responses = [via_proxy(f"198.51.100.{n}, 203.0.113.7") for n in range(ANON_BUDGET + 1)]
    someone_else = via_proxy("203.0.113.8")

    assert_throttled(responses[-1])
    assert someone_else.status_code == HTTPStatus.UNAUTHORIZED


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL (a cache the processes share)")
@pytest.mark.skipif(connection.vendor != "postgresql", reason="the server processes need a shared database")
def test_two_server_processes_share_one_budget_through_redis(alice):
    budget = 6
    with production_servers(
        2,
        REDIS_URL=os.environ["REDIS_URL"],
        CACHE_KEY_PREFIX=f"throttle-e2e-{uuid.uuid4().hex}",
        # A budget per hour: the servers' clocks run, and a minute could end during the test.
        THROTTLE_USER_RATE=f"{budget}/hour",
    ) as servers:
        headers = {"Authorization": f"Bearer {AccessToken.for_user(alice)}"}

        def get(server: str) -> requests.Response:
            return requests.get(server + tasks_url(), headers=headers, timeout=10)

        first, second = servers
        allowed = [get(server) for server in (first, second) for _ in range(budget // 2)]
        seventh = get(first)
        eighth = get(second)

    print(f"\nshared throttle: 2 server processes, {len(allowed) + 2} requests, budget {budget}/hour")
    assert [response.status_code for response in allowed] == [HTTPStatus.OK] * budget
    for response in (seventh, eighth):
        assert_throttled(response, window=3600)
