"""No client can stop the others: with slow request bodies, slowloris headers and idle
connections holding thousands of connections open, the production server still answers
a normal client at once, on new connections and on a kept-alive one (SPEC section 5)."""

from __future__ import annotations

import resource
from http import HTTPStatus
from urllib.parse import urlsplit

import pytest
import requests
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import connection

from tests.e2e.attackers import Attack
from tests.e2e.servers import production_servers

# Generous: the point is that no request waits for the attack to end (which it does not).
TIMEOUT = 5
ROUNDS = 10
SLOW_BODIES = 64
SLOWLORIS = 1000
IDLE = 1000
# Shorter than the default so that the test sees the refusal within its run.
BODY_READ_TIMEOUT = "3"
# This process holds every attacking connection; the server raises its own limit.
FILES_NEEDED = SLOW_BODIES + SLOWLORIS + IDLE + 500


@pytest.fixture
def enough_file_descriptors():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < FILES_NEEDED:
        pytest.skip(f"needs {FILES_NEEDED} open files, the hard limit is {hard}")
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, FILES_NEEDED), hard))
    yield
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


@pytest.mark.e2e
@pytest.mark.skipif(connection.vendor != "postgresql", reason="the server process needs a shared database")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_normal_client_is_served_while_slow_and_idle_clients_hold_thousands_of_connections(
    alice, enough_file_descriptors
):
    # The production settings' hasher (the test settings' fast one is not among them),
    # so a log-in costs what it costs in production.
    hasher = PBKDF2PasswordHasher()
    alice.password = hasher.encode("alice-pass-123!", hasher.salt())
    alice.save(update_fields=["password"])
    login = {"username": "alice", "password": "alice-pass-123!"}
    with production_servers(1, BODY_READ_TIMEOUT=BODY_READ_TIMEOUT) as (server,):
        address = urlsplit(server)
        attack = Attack(
            address.hostname, address.port, slow_bodies=SLOW_BODIES, slowloris=SLOWLORIS, idle=IDLE
        )
        answers: list[tuple[str, int]] = []
        with attack, requests.Session() as kept_alive:
            token = requests.post(server + "/api/auth/token", json=login, timeout=TIMEOUT).json()["access"]
            kept_alive.headers["Authorization"] = f"Bearer {token}"
            rounds = 0
            # Until the server has refused a slow body too, so the attack was at full strength.
            while rounds < ROUNDS or not attack.body_refused.is_set():
                rounds += 1
                assert rounds < 100, "no slow body was refused"
                answers += [
                    (
                        "new connection /healthz",
                        requests.get(server + "/healthz", timeout=TIMEOUT).status_code,
                    ),
                    (
                        "kept-alive list",
                        kept_alive.get(server + "/api/me/tasks", timeout=TIMEOUT).status_code,
                    ),
                    (
                        "new connection log-in",
                        requests.post(server + "/api/auth/token", json=login, timeout=TIMEOUT).status_code,
                    ),
                ]
        counts = attack.counts

    assert counts.opened >= SLOW_BODIES + SLOWLORIS + IDLE, counts
    assert counts.answers.get("408", 0) >= 1, counts
    assert [status for _, status in answers] == [HTTPStatus.OK] * len(answers), answers
