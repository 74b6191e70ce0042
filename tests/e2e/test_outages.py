"""A dependency's outage degrades, never downs, the API, as the Procfile's server runs it:
the database cut off (a TCP proxy between the server and PostgreSQL) or too slow (a
statement over the timeout) is a JSON 503 with `Retry-After`, and service resumes by
itself; with Redis (the throttle counters) stopped the API serves, and throttles again
once Redis is back."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http import HTTPStatus

import psycopg
import pytest
import requests
from django.db import connection
from rest_framework_simplejwt.tokens import AccessToken

from tasks.data import statement_timeout
from tests.conftest import tasks_url
from tests.e2e.servers import ProductionServer, direct_database_url, free_port, served_database_url
from tests.e2e.tcp_proxy import TcpProxy

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the servers need a shared database"),
]


@contextmanager
def one_worker_server(**env: str) -> Iterator[str]:
    """The Procfile's server with a single worker: a request after a failure is served
    by the very worker that failed."""
    server = ProductionServer(workers=1, **env)
    try:
        server.wait_until_ready()
        yield server.url
    finally:
        server.stop()


def get(server: str, path: str, user) -> requests.Response:
    headers = {"Authorization": f"Bearer {AccessToken.for_user(user)}"}
    return requests.get(server + path, headers=headers, timeout=10)


def assert_unavailable(response: requests.Response, detail: str) -> None:
    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE, response.text
    assert response.headers["Content-Type"] == "application/json"
    assert int(response.headers["Retry-After"]) > 0
    assert detail in response.json()["detail"]


def test_a_database_cut_off_is_a_503_until_it_is_back(alice, make_task):
    make_task(alice, title="still here")
    db = connection.settings_dict
    proxy = TcpProxy((db["HOST"] or "127.0.0.1", int(db["PORT"] or 5432)))
    proxied_url = served_database_url().replace(f":{db['PORT'] or 5432}/", f":{proxy.port}/")
    with one_worker_server(DATABASE_URL=proxied_url) as server:
        before = get(server, tasks_url(), alice)
        proxy.cut()
        during = [get(server, tasks_url(), alice) for _ in range(3)]
        ready_during = requests.get(server + "/readyz", timeout=10)
        proxy.restore()
        after = get(server, tasks_url(), alice)
        ready_after = requests.get(server + "/readyz", timeout=10)

    assert before.status_code == HTTPStatus.OK
    for response in during:
        assert_unavailable(response, "database is unavailable")
    assert ready_during.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert "Database" in ready_during.json()["detail"]
    assert after.status_code == HTTPStatus.OK
    assert [task["title"] for task in after.json()] == ["still here"]
    # Ready again as far as the database goes (a production server started without
    # collectstatic may still be unready for its static files).
    assert "Database" not in ready_after.json().get("detail", "")


@contextmanager
def locked_tasks_table() -> Iterator[None]:
    holder = psycopg.connect(**connection.get_connection_params())
    try:
        holder.execute("LOCK TABLE tasks_task IN ACCESS EXCLUSIVE MODE")
        yield
    finally:
        holder.rollback()
        holder.close()


def test_a_statement_over_the_timeout_is_a_503_and_the_worker_serves_the_next_request(alice, make_task):
    make_task(alice, title="patient")
    # The role's default in the test database, as `migrate` sets it, lowered for the test.
    statement_timeout.apply_role_default(connection, 300)
    try:
        # Straight to PostgreSQL: a role's default reaches only sessions that start after
        # it, and a pooler in between may hand out older ones (the pooled case is
        # tests/e2e/test_statement_timeout_behind_pgbouncer.py, with a pooler of its own).
        with one_worker_server(DATABASE_URL=direct_database_url()) as server:
            with locked_tasks_table():
                started = time.monotonic()
                stuck = get(server, tasks_url(), alice)
                waited = time.monotonic() - started
            after = get(server, tasks_url(), alice)
    finally:
        statement_timeout.apply_role_default(connection, statement_timeout.timeout_ms())

    print(f"\nstatement timeout 300 ms: answered {stuck.status_code} after {waited:.2f} s")
    assert_unavailable(stuck, "too long")
    assert after.status_code == HTTPStatus.OK
    assert [task["title"] for task in after.json()] == ["patient"]


class RedisServer:
    """A redis-server of the test's own on a free port, that the test stops and starts."""

    def __init__(self) -> None:
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port)]
            + ["--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


@pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server")
def test_with_redis_stopped_the_api_serves_and_throttles_again_once_it_is_back(alice):
    budget = 3
    redis = RedisServer()
    redis.start()
    try:
        with one_worker_server(
            REDIS_URL=f"redis://127.0.0.1:{redis.port}/0",
            # Per hour: the server's clock runs, and a minute could end during the test.
            THROTTLE_USER_RATE=f"{budget}/hour",
            # Each request tries Redis again at once (no breaker cooldown).
            REDIS_RETRY_SECONDS="0",
        ) as server:
            counted = [get(server, tasks_url(), alice).status_code for _ in range(budget + 1)]
            redis.stop()
            while_down = [get(server, tasks_url(), alice).status_code for _ in range(budget + 2)]
            redis.start()  # empty: the counters start again
            back = [get(server, tasks_url(), alice).status_code for _ in range(budget + 2)]
    finally:
        redis.stop()

    assert counted == [HTTPStatus.OK] * budget + [HTTPStatus.TOO_MANY_REQUESTS]
    assert while_down == [HTTPStatus.OK] * (budget + 2)
    # The first request after the restart may find a stale pooled connection and pass
    # uncounted; within the budget after that, the limit holds again.
    assert HTTPStatus.TOO_MANY_REQUESTS in back
    assert set(back) <= {HTTPStatus.OK, HTTPStatus.TOO_MANY_REQUESTS}
