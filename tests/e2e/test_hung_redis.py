"""A hung Redis (it accepts connections and never answers) costs one request the socket
timeout, not every request: the throttle cache's circuit breaker opens after the first
failure and the API serves on, unthrottled, without calling Redis again."""

from __future__ import annotations

from http import HTTPStatus

import pytest
import requests
from django.db import connection
from rest_framework_simplejwt.tokens import AccessToken

from tests.conftest import tasks_url
from tests.e2e.servers import ProductionServer
from tests.e2e.silent_server import SilentServer

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the server needs a shared database"),
]


def test_a_hung_redis_opens_the_breaker_and_requests_keep_being_served(alice):
    hung = SilentServer()
    server = ProductionServer(
        workers=1,
        REDIS_URL=f"redis://127.0.0.1:{hung.port}/0",
        # No probe during the test: every request after the first skips Redis.
        REDIS_RETRY_SECONDS="600",
        THROTTLE_USER_RATE="1/min",
        ACCESS_LOG="0",  # the server's output holds the warnings alone
    )
    headers = {"Authorization": f"Bearer {AccessToken.for_user(alice)}"}
    try:
        server.wait_until_ready()
        statuses = [
            requests.get(server.url + tasks_url(), headers=headers, timeout=10).status_code for _ in range(20)
        ]
        log = server.output()
    finally:
        server.stop()
        hung.close()

    print(f"\nhung Redis: {len(statuses)} requests, {len(hung.connections)} connection(s) to Redis")
    # Served, and unthrottled (the budget is 1 a minute): the counters were never read.
    assert statuses == [HTTPStatus.OK] * 20
    # Only the first request waited for Redis; without the breaker each would have.
    assert len(hung.connections) == 1
    assert "circuit open" in log
