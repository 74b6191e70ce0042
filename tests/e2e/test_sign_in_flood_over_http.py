"""A flood of wrong sign-ins against the Procfile's server (PBKDF2 at production cost,
each attempt from a new address, so no lockout applies): the surplus is refused with a
429 and Retry-After before hashing, never a 5xx, while a bearer-token API request
answers 200 throughout."""

from __future__ import annotations

import itertools
import threading
from collections import Counter
from http import HTTPStatus

import pytest
import requests
from django.db import connection

from tests.e2e.servers import ProductionServer

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the server needs a shared database"),
]

ATTACKERS = 16
ATTEMPTS_EACH = 12


def test_a_flood_of_wrong_sign_ins_gets_429s_while_the_api_answers(external_token):
    # NUM_PROXIES=1: each attempt's X-Forwarded-For is its address, as behind a router.
    server = ProductionServer(workers=2, NUM_PROXIES="1")
    addresses = (f"10.0.{n // 250}.{n % 250 + 1}" for n in itertools.count())
    lock = threading.Lock()
    attempts: Counter = Counter()
    retry_afters: set[str] = set()
    api_statuses: Counter = Counter()
    flood_over = threading.Event()

    def attacker(number: int) -> None:
        with requests.Session() as session:
            for attempt in range(ATTEMPTS_EACH):
                with lock:
                    address = next(addresses)
                response = session.post(
                    server.url + "/api/auth/token",
                    json={"username": f"nobody-{number}-{attempt}", "password": "guess"},
                    headers={"X-Forwarded-For": address},
                    timeout=30,
                )
                with lock:
                    attempts[response.status_code] += 1
                    if response.status_code == HTTPStatus.TOO_MANY_REQUESTS:
                        retry_afters.add(response.headers.get("Retry-After", ""))

    def api_client() -> None:
        with requests.Session() as session:
            session.headers["Authorization"] = f"Bearer {external_token()}"
            while not flood_over.is_set():
                api_statuses[session.get(server.url + "/api/me/tasks", timeout=30).status_code] += 1

    try:
        server.wait_until_ready()
        attackers = [threading.Thread(target=attacker, args=(n,)) for n in range(ATTACKERS)]
        reader = threading.Thread(target=api_client)
        reader.start()
        for thread in attackers:
            thread.start()
        for thread in attackers:
            thread.join()
        flood_over.set()
        reader.join()
    finally:
        server.stop()

    assert sum(attempts.values()) == ATTACKERS * ATTEMPTS_EACH
    assert set(attempts) <= {HTTPStatus.UNAUTHORIZED, HTTPStatus.TOO_MANY_REQUESTS}, attempts
    assert attempts[HTTPStatus.TOO_MANY_REQUESTS] > 0, attempts
    assert retry_afters == {"1"}
    assert api_statuses and set(api_statuses) == {HTTPStatus.OK}, api_statuses
