"""The database failing under the Procfile's server, as a client sees it: every fault
made with the test's own processes (a TCP proxy between the server and PostgreSQL, a
PgBouncer of its own). Each test prints what the clients saw (statuses, p99, time to
recover); the bounds asserted are the contract's (SPEC section 5) with room for a
loaded machine.

- A connection the database or a pooler dropped is never the one a request gets: no
  request fails after a restart or a PgBouncer KILL.
- During an outage every request gets its JSON 503 within 2 s and /readyz says so
  within 1 s, whatever the load; service resumes within 1 s of the database.
- A write whose answer was lost after it committed is retried safely with its key.
- CONN_HEALTH_CHECKS=1, which the docs recommend for serverless PostgreSQL, serves and
  migrates.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http import HTTPStatus

import psycopg
import pytest
import requests
from django.db import connection
from rest_framework_simplejwt.tokens import AccessToken

from tasks.models import Task
from tests.conftest import tasks_url
from tests.e2e import blackhole
from tests.e2e.servers import PROJECT_DIR, ProductionServer, served_database_url, server_env
from tests.e2e.tcp_proxy import TcpProxy
from tests.e2e.test_statement_timeout_behind_pgbouncer import PGBOUNCER, pgbouncer_in_transaction_mode

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the servers need a shared database"),
]

# The contract (SPEC section 5), and the room a shared, loaded test machine gets on top.
OUTAGE_ANSWER_S = 2.0
READYZ_ANSWER_S = 1.0
RECOVERY_S = 1.0
SLACK_S = 1.0


def url_through(port: int) -> str:
    db_port = connection.settings_dict["PORT"] or 5432
    return served_database_url().replace(f":{db_port}/", f":{port}/")


@contextmanager
def server_behind_proxy(workers: int = 1, **env: str) -> Iterator[tuple[str, TcpProxy]]:
    db = connection.settings_dict
    proxy = TcpProxy((db["HOST"] or "127.0.0.1", int(db["PORT"] or 5432)))
    server = ProductionServer(workers=workers, DATABASE_URL=url_through(proxy.port), **env)
    try:
        server.wait_until_ready()
        yield server.url, proxy
    finally:
        server.stop()
        proxy.cut()


def auth(user) -> dict[str, str]:
    return {"Authorization": f"Bearer {AccessToken.for_user(user)}"}


@dataclass
class Outcome:
    started: float
    status: int | str
    seconds: float


def timed_get(session: requests.Session, url: str, headers: dict | None = None) -> Outcome:
    started = time.monotonic()
    try:
        status: int | str = session.get(url, headers=headers, timeout=15).status_code
    except requests.RequestException as exc:
        status = type(exc).__name__
    return Outcome(started, status, time.monotonic() - started)


@dataclass
class Load:
    """`clients` threads, each sending GETs back to back on its own keep-alive session."""

    url: str
    headers: dict
    clients: int
    outcomes: list[Outcome] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)

    def __enter__(self) -> Load:
        self._threads = [threading.Thread(target=self._run, daemon=True) for _ in range(self.clients)]
        for thread in self._threads:
            thread.start()
        return self

    def _run(self) -> None:
        with requests.Session() as session:
            while not self._stop.is_set():
                self.outcomes.append(timed_get(session, self.url, self.headers))

    def __exit__(self, *exc) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=20)

    def started_between(self, start: float, end: float = float("inf")) -> list[Outcome]:
        return [o for o in list(self.outcomes) if start <= o.started and o.started + o.seconds <= end]


def wait_until(condition: Callable[[], bool], *, within: float, what: str) -> None:
    """Poll `condition` until it holds; fail after `within` seconds."""
    deadline = time.monotonic() + within
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def poll_until(condition: Callable[[], bool], *, at_most: float) -> None:
    """Poll `condition` until it holds or `at_most` seconds have passed (the caller
    then asserts on what happened meanwhile)."""
    deadline = time.monotonic() + at_most
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.02)


def p99(outcomes: list[Outcome]) -> float:
    seconds = sorted(o.seconds for o in outcomes)
    return seconds[min(len(seconds) - 1, int(len(seconds) * 0.99))] if seconds else 0.0


def tally(outcomes: list[Outcome]) -> dict:
    counts: dict = {}
    for outcome in outcomes:
        counts[outcome.status] = counts.get(outcome.status, 0) + 1
    return counts


def report(label: str, outcomes: list[Outcome]) -> None:
    median = statistics.median(o.seconds for o in outcomes) if outcomes else 0.0
    print(
        f"\n{label}: {len(outcomes)} requests, statuses {tally(outcomes)}, "
        f"p50 {median * 1000:.0f} ms, p99 {p99(outcomes) * 1000:.0f} ms, "
        f"max {max((o.seconds for o in outcomes), default=0) * 1000:.0f} ms"
    )


def sequential(url: str, headers: dict, count: int) -> list[Outcome]:
    with requests.Session() as session:
        return [timed_get(session, url, headers) for _ in range(count)]


def fill_the_pool(url: str, headers: dict) -> None:
    """Requests from as many clients as the server has threads, so every pooled
    connection is open and has served (and rests idle in the pool afterwards)."""
    with Load(url, headers, clients=8) as load:
        wait_until(lambda: len(load.outcomes) >= 80, within=30, what="the warm-up requests")
    assert set(tally(load.outcomes)) == {HTTPStatus.OK}, tally(load.outcomes)


def test_conn_health_checks_serves_requests_and_migrates(alice, make_task):
    make_task(alice, title="checked")
    server = ProductionServer(workers=1, CONN_HEALTH_CHECKS="1")
    try:
        server.wait_until_ready()
        outcomes = sequential(server.url + tasks_url(), auth(alice), 20)
        ready = requests.get(server.url + "/readyz", timeout=10)
    finally:
        server.stop()
    migrate = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--no-input"],
        cwd=PROJECT_DIR,
        env={**server_env(CONN_HEALTH_CHECKS="1"), "DB_POOL": "1", "CONN_MAX_AGE": "0"},
        capture_output=True,
        text=True,
        timeout=120,
    )

    report("CONN_HEALTH_CHECKS=1", outcomes)
    assert tally(outcomes) == {HTTPStatus.OK: 20}
    assert "Database" not in ready.json().get("detail", "")
    assert migrate.returncode == 0, migrate.stderr[-2000:]


def test_no_request_fails_after_a_restart(alice, make_task):
    make_task(alice, title="survives restarts")
    with server_behind_proxy(workers=2) as (server, proxy):
        url, headers = server + tasks_url(), auth(alice)
        fill_the_pool(url, headers)
        # A fast restart: every connection dropped, the database accepting again at once.
        proxy.cut()
        proxy.restore()
        after = sequential(url, headers, 16)
        with Load(url, headers, clients=8) as load:
            wait_until(lambda: len(load.outcomes) >= 80, within=30, what="requests after the restart")

    report("after a restart, sequential", after)
    report("after a restart, 8 clients", load.outcomes)
    assert tally(after) == {HTTPStatus.OK: 16}
    assert set(tally(load.outcomes)) == {HTTPStatus.OK}


@pytest.mark.skipif(not os.access(PGBOUNCER, os.X_OK), reason="needs pgbouncer")
def test_no_request_fails_after_pgbouncer_kills_its_clients(alice, make_task):
    make_task(alice, title="survives KILL")
    name = connection.settings_dict["NAME"]
    with pgbouncer_in_transaction_mode() as port:
        server = ProductionServer(workers=2, DATABASE_URL=url_through(port))
        try:
            server.wait_until_ready()
            url, headers = server.url + tasks_url(), auth(alice)
            fill_the_pool(url, headers)
            admin_url = url_through(port).rsplit("/", 1)[0] + "/pgbouncer"
            # What a serverless compute suspending after idle does to its clients.
            with psycopg.connect(admin_url, autocommit=True) as admin:
                admin.execute(f"KILL {name}")
                admin.execute(f"RESUME {name}")
            after = sequential(url, headers, 12)
            with Load(url, headers, clients=8) as load:
                wait_until(lambda: len(load.outcomes) >= 80, within=30, what="requests after KILL")
        finally:
            server.stop()

    report("after PgBouncer KILL, sequential", after)
    report("after PgBouncer KILL, 8 clients", load.outcomes)
    assert tally(after) == {HTTPStatus.OK: 12}
    assert set(tally(load.outcomes)) == {HTTPStatus.OK}


@dataclass
class OutageSeen:
    during: list[Outcome]
    probes: list[Outcome]
    after: list[Outcome]
    resumed_after: float

    def report(self, fault: str) -> None:
        report(f"{fault}, during, 16 clients", self.during)
        report(f"{fault}, /readyz during", self.probes)
        report(f"{fault}, after, 16 clients", self.after)
        print(f"{fault}: service resumed {self.resumed_after:.2f} s after the database")

    def assert_within_the_contract(self) -> None:
        # Requests under way when the link broke may have been answered from it.
        assert set(tally(self.during)) <= {HTTPStatus.OK, HTTPStatus.SERVICE_UNAVAILABLE}, tally(self.during)
        assert tally(self.during).get(HTTPStatus.SERVICE_UNAVAILABLE, 0) >= 190
        assert max(o.seconds for o in self.during) < OUTAGE_ANSWER_S + SLACK_S
        assert {o.status for o in self.probes[1:]} == {HTTPStatus.SERVICE_UNAVAILABLE}
        assert max(o.seconds for o in self.probes) < READYZ_ANSWER_S + SLACK_S
        assert set(tally(self.after)) == {HTTPStatus.OK}, tally(self.after)


def outage_under_load(server: str, user, *, break_link: Callable, mend_link: Callable) -> OutageSeen:
    """16 clients and a /readyz probe at work while the link breaks and mends."""
    url, headers = server + tasks_url(), auth(user)
    fill_the_pool(url, headers)
    with Load(url, headers, clients=16) as load, Load(server + "/readyz", {}, clients=1) as probes:
        wait_until(lambda: len(load.outcomes) >= 50, within=30, what="requests before the outage")
        broken_at = time.monotonic()
        break_link()
        # The outage lasts until the clients have had 200 answers (so each client has
        # had many, and a queue had time to build), at most 20 s.
        poll_until(
            lambda: (
                len(load.started_between(broken_at)) >= 200 and len(probes.started_between(broken_at)) >= 5
            ),
            at_most=20,
        )
        mended_at = time.monotonic()
        mend_link()
        wait_until(
            lambda: any(o.status == HTTPStatus.OK for o in load.started_between(mended_at)),
            within=30,
            what="service to resume",
        )
        first_ok = min(
            o.started + o.seconds for o in load.started_between(mended_at) if o.status == HTTPStatus.OK
        )
        settled = time.monotonic()
        wait_until(lambda: len(load.started_between(settled)) >= 100, within=30, what="requests after")
    return OutageSeen(
        during=load.started_between(broken_at, mended_at),
        probes=probes.started_between(broken_at, mended_at),
        after=load.started_between(settled),
        resumed_after=first_ok - mended_at,
    )


def test_a_database_down_is_a_fast_503_for_every_client_and_service_resumes_at_once(alice, make_task):
    make_task(alice, title="back soon")
    with server_behind_proxy(workers=2) as (server, proxy):
        # Connections dropped and new ones refused, as while PostgreSQL restarts.
        seen = outage_under_load(server, alice, break_link=proxy.cut, mend_link=proxy.restore)

    seen.report("database down")
    seen.assert_within_the_contract()
    assert seen.resumed_after < RECOVERY_S + SLACK_S


@pytest.mark.skipif(not blackhole.available(), reason="needs root and network namespaces")
def test_a_blackholed_link_is_found_within_the_same_bounds(alice, make_task):
    make_task(alice, title="behind a black hole")
    db = connection.settings_dict
    link = blackhole.BlackholeLink((db["HOST"] or "127.0.0.1", int(db["PORT"] or 5432)))
    try:
        database_url = served_database_url().replace(
            f"@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/", f"@{link.ns_ip}:{link.address[1]}/"
        )
        server = ProductionServer(workers=2, DATABASE_URL=database_url)
        try:
            server.wait_until_ready()
            # Packets dropped both ways: nothing refused, nothing reset.
            seen = outage_under_load(server.url, alice, break_link=link.blackhole, mend_link=link.restore)
        finally:
            server.stop()
    finally:
        link.close()

    seen.report("link blackholed")
    seen.assert_within_the_contract()
    # Reconnecting waits on the kernel's SYN retransmissions (1 s, then 2 s apart).
    assert seen.resumed_after < 3 * RECOVERY_S + SLACK_S


def test_a_write_answered_503_after_it_committed_is_retried_safely_with_its_key(alice, make_task):
    task = make_task(alice, title="toggle once")
    url = tasks_url(task_id=task.pk, suffix="/complete")
    headers = {**auth(alice), "Idempotency-Key": "lost-answer-1"}
    with server_behind_proxy() as (server, proxy):
        fill_the_pool(server + tasks_url(), auth(alice))
        # The COMMIT reaches PostgreSQL; its answer never comes back.
        proxy.cut_after(b"COMMIT\x00")
        lost = requests.patch(server + url, headers=headers, timeout=15)
        # The cut closes the server's sockets before the proxy's thread records it: the
        # 503 can come back first.
        assert proxy.cut_done.wait(timeout=5)
        proxy.restore()
        # PostgreSQL commits it as the client hears of the cut, or a moment later.
        wait_until(lambda: Task.objects.get(pk=task.pk).completed, within=10, what="the commit")
        # The client retries as a 503 tells it to, with the same key, until answered.
        retries = [requests.patch(server + url, headers=headers, timeout=15)]
        while retries[-1].status_code == HTTPStatus.SERVICE_UNAVAILABLE and len(retries) < 50:
            retries.append(requests.patch(server + url, headers=headers, timeout=15))
        retry = retries[-1]
        again = requests.patch(server + url, headers=headers, timeout=15)

    print(
        f"\nlost answer: {lost.status_code}; retries: {[r.status_code for r in retries]}, {again.status_code}"
    )
    assert lost.status_code == HTTPStatus.SERVICE_UNAVAILABLE  # although the write committed
    assert retry.status_code == again.status_code == HTTPStatus.OK
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert retry.json()["completed"] is True
    assert Task.objects.get(pk=task.pk).completed is True  # toggled once, not three times
