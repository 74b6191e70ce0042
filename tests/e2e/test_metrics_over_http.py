"""`/metrics` from the Procfile's server with two workers: one scrape, whichever worker
answers it, counts the requests both served (prometheus-client's multiprocess mode), and
shows the database pool and the circuit breakers; without the token it is refused."""

from __future__ import annotations

import re
from http import HTTPStatus

import pytest
import requests
from django.db import connection
from rest_framework_simplejwt.tokens import AccessToken

from tests.conftest import tasks_url
from tests.e2e.servers import ProductionServer

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the server needs a shared database"),
]

TOKEN = "e2e-metrics-token"
REQUESTS = 40


def value(text: str, sample: str) -> float:
    """The value of one sample line, e.g. `tasks_db_pool_connections`."""
    match = re.search(rf"^{re.escape(sample)} (\S+)$", text, re.MULTILINE)
    assert match, f"{sample} not in the scrape"
    return float(match.group(1))


def test_one_scrape_counts_every_workers_requests(alice):
    headers = {"Authorization": f"Bearer {AccessToken.for_user(alice)}"}
    server = ProductionServer(workers=2, METRICS_TOKEN=TOKEN)
    try:
        server.wait_until_ready()
        # A new connection each time: granian hands them to either worker.
        statuses = {
            requests.get(server.url + tasks_url(), headers=headers, timeout=10).status_code
            for _ in range(REQUESTS)
        }
        refused = requests.get(server.url + "/metrics", timeout=10)
        scrapes = [
            requests.get(server.url + "/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10)
            for _ in range(4)
        ]
    finally:
        server.stop()

    assert statuses == {HTTPStatus.OK}
    assert refused.status_code == HTTPStatus.UNAUTHORIZED
    for scrape in scrapes:
        assert scrape.status_code == HTTPStatus.OK
        text = scrape.text
        assert (
            value(text, 'tasks_http_requests_total{method="GET",route="task-list",status="200"}') == REQUESTS
        )
        assert (
            value(text, 'tasks_http_request_duration_seconds_count{method="GET",route="task-list"}')
            == REQUESTS
        )
        assert value(text, "tasks_db_pool_connections") > 0
        assert value(text, 'tasks_circuit_breaker_open{breaker="redis"}') == 0
