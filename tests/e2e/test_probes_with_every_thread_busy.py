"""The Procfile's server answers /healthz and /readyz while every one of its threads is
busy: twice as many requests as it has threads wait on a table lock (a slow database,
as under heavy load), and the probes are still answered ok, without taking a thread
(config.probes_on_loop). Before, a probe queued behind those requests and the platform
took a busy worker for a dead one."""

from __future__ import annotations

import threading
from http import HTTPStatus

import pytest
import requests
from django.db import connection
from rest_framework_simplejwt.tokens import AccessToken

from tasks.data import statement_timeout
from tests.conftest import tasks_url
from tests.e2e.servers import ProductionServer, collect_static
from tests.e2e.test_database_faults import wait_until
from tests.e2e.test_outages import locked_tasks_table

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the server needs a shared database"),
]

THREADS = 4
# Generous, and far shorter than the requests ahead of a queued probe would take.
PROBE_TIMEOUT = 5
ROUNDS = 5
# The held requests wait on the lock until the test lets go (never on the statement timeout).
HELD_STATEMENT_TIMEOUT_MS = 120_000


def sessions_waiting_on_a_lock() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0]


def test_probes_are_answered_while_every_thread_waits_on_the_database(alice, make_task):
    make_task(alice, title="behind the lock")
    collect_static()  # /readyz waits for the static files, as in a deploy
    statement_timeout.apply_role_default(connection, HELD_STATEMENT_TIMEOUT_MS)
    server = ProductionServer(workers=1, WEB_THREADS=str(THREADS), ACCESS_LOG="0")
    headers = {"Authorization": f"Bearer {AccessToken.for_user(alice)}"}
    held: list[int] = []
    probes: list[tuple[str, int, dict]] = []
    try:
        server.wait_until_ready()
        with locked_tasks_table():

            def held_request() -> None:
                response = requests.get(server.url + tasks_url(), headers=headers, timeout=120)
                held.append(response.status_code)

            clients = [threading.Thread(target=held_request) for _ in range(2 * THREADS)]
            for client in clients:
                client.start()
            # Every thread of the worker holds a request stuck on the lock; as many queue.
            wait_until(lambda: sessions_waiting_on_a_lock() == THREADS, within=30, what="every thread busy")
            for _ in range(ROUNDS):
                for path in ("/healthz", "/readyz"):
                    response = requests.get(server.url + path, timeout=PROBE_TIMEOUT)
                    probes.append((path, response.status_code, response.json()))
            still_waiting = sessions_waiting_on_a_lock()
        for client in clients:
            client.join(timeout=60)
    finally:
        server.stop()
        statement_timeout.apply_role_default(connection, statement_timeout.timeout_ms())

    assert probes == [
        (path, HTTPStatus.OK, {"status": "ok"}) for _ in range(ROUNDS) for path in ("/healthz", "/readyz")
    ]
    assert still_waiting == THREADS  # the probes were answered with every thread still held
    assert held == [HTTPStatus.OK] * (2 * THREADS)  # served once the lock was let go
