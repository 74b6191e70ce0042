"""With the throttle counters' cache unreachable, requests are served (throttling fails
open) and a warning is logged now and then, not per request; once the cache answers
again, the limits hold again. (tests/e2e/test_outages.py does this with a real Redis.)"""

from __future__ import annotations

import logging
import uuid
from http import HTTPStatus

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError
from rest_framework.throttling import SimpleRateThrottle

from tasks.api import throttling
from tests.conftest import tasks_url

pytestmark = pytest.mark.django_db


class UnreachableCache:
    def get(self, *args, **kwargs):
        raise RedisConnectionError("Error 111 connecting to 127.0.0.1:6390. Connection refused.")

    set = get


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


def test_the_limit_holds_again_once_the_counters_answer(alice_client, monkeypatch):
    monkeypatch.setattr(throttling.UserRateThrottle, "cache", UnreachableCache())
    assert alice_client.get(tasks_url()).status_code == HTTPStatus.OK
    monkeypatch.undo()
    # undo() also put back the rates; set them again for the cache that is back.
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"user": "1/min", "anon": "1/min"})

    statuses = [alice_client.get(tasks_url()).status_code for _ in range(2)]

    assert statuses == [HTTPStatus.OK, HTTPStatus.TOO_MANY_REQUESTS]
