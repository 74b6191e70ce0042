"""Shared fixtures: alice and bob (Django users), carol (known only to the identity
provider), and API clients that carry each one's bearer token."""

from __future__ import annotations

import time
from collections.abc import Callable

import jwt
import pytest
from django.conf import settings
from django.contrib.auth.hashers import MD5PasswordHasher
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

from config import database_probe, health
from config.circuit_breaker import CircuitBreaker
from tasks.api import throttling
from tasks.data.staff import load_tasks
from tasks.data.store import TaskStore
from tasks.identity.identity_provider import configured_verifier
from tasks.identity.principal import principal_id
from tasks.models import Task

CAROL_ID = "idp|carol-7f3a"


@pytest.fixture(autouse=True)
def _fresh_verifier():
    """Settings overridden in a test must reach the cached verifier."""
    configured_verifier.cache_clear()
    yield
    configured_verifier.cache_clear()


@pytest.fixture(autouse=True)
def _closed_throttle_breaker(monkeypatch):
    """A test that makes the throttle cache fail must not leave it skipped for the next."""
    monkeypatch.setattr(throttling, "breaker", CircuitBreaker("test throttle cache", cooldown=60))


class ThrottleClock:
    """The throttles' clock, standing still about the middle of an hour and of a minute
    unless a test moves it: a budget spent across the end of a window would start again
    and flip the test's expectations."""

    def __init__(self) -> None:
        self.now = time.time() // 3600 * 3600 + 1830.5

    def __call__(self) -> float:
        return self.now


@pytest.fixture(autouse=True)
def throttle_clock(monkeypatch) -> ThrottleClock:
    clock = ThrottleClock()
    monkeypatch.setattr(throttling.FixedWindowRateThrottle, "timer", clock)
    return clock


@pytest.fixture(autouse=True)
def _fresh_readiness_probe(monkeypatch):
    """Each test's /readyz starts as a new process's does: the migrations not yet seen
    applied, and no connection of the probe's own left open from another test (where a
    test makes the database unreachable, that one would still answer)."""
    monkeypatch.setattr(health, "_migrations_applied", False)
    yield
    database_probe.close()


@pytest.fixture
def alice(django_user_model):
    return django_user_model.objects.create_user(username="alice", password="alice-pass-123!")


@pytest.fixture
def bob(django_user_model):
    return django_user_model.objects.create_user(username="bob", password="bob-pass-123!")


def bearer_client(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


@pytest.fixture
def alice_client(alice) -> APIClient:
    return bearer_client(str(AccessToken.for_user(alice)))


@pytest.fixture
def bob_client(bob) -> APIClient:
    return bearer_client(str(AccessToken.for_user(bob)))


@pytest.fixture
def anon_client() -> APIClient:
    return APIClient()


@pytest.fixture
def external_token() -> Callable[..., str]:
    """Mint an HS256 token as the configured identity provider would."""

    def mint(sub: str = CAROL_ID, *, secret: str | None = None, **claims) -> str:
        now = int(time.time())
        payload = {
            "sub": sub,
            "iss": settings.AUTH_JWT_ISSUER,
            "aud": settings.AUTH_JWT_AUDIENCE,
            "iat": now,
            "exp": now + 600,
            **claims,
        }
        payload = {key: value for key, value in payload.items() if value is not None}
        return jwt.encode(payload, secret or settings.AUTH_JWT_SECRET, algorithm="HS256")

    return mint


@pytest.fixture
def carol_client(external_token) -> APIClient:
    return bearer_client(external_token())


@pytest.fixture
def make_task() -> Callable[..., Task]:
    def make(owner, **fields) -> Task:
        user_id = owner if isinstance(owner, str) else principal_id(owner)
        fields.setdefault("title", "A task")
        return load_tasks([Task(user_id=user_id, **fields)])[0]

    return make


def set_tags(task: Task, names: list[str]) -> Task:
    """Label the task with exactly these tags, through the store."""
    return TaskStore(task.user_id).update(task.pk, tag_names=names)


def tasks_url(user_id="me", task_id=None, suffix: str = "") -> str:
    url = f"/api/{user_id}/tasks"
    if task_id is not None:
        url += f"/{task_id}"
    return url + suffix


@pytest.fixture
def events_at_once(db):
    """Inside a test's transaction, which never commits: PostgreSQL records task events
    at each statement's end rather than at commit (events.outbox_sql defers them)."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS events_task_change IMMEDIATE")


@pytest.fixture
def hashings(monkeypatch) -> list[str]:
    """Every password the test hasher checks."""
    checked: list[str] = []
    real_verify = MD5PasswordHasher.verify

    def verify(self, password, encoded):
        checked.append(password)
        return real_verify(self, password, encoded)

    monkeypatch.setattr(MD5PasswordHasher, "verify", verify)
    return checked
