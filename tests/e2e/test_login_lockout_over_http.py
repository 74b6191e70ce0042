"""Sign-in lockout as the Procfile's server runs it: wrong passwords at the admin's login
form lock the username and address out there and at POST /api/auth/token (the attempts
are counted in the database, shared by the server's workers)."""

from __future__ import annotations

import re
from http import HTTPStatus

import pytest
import requests
from django.db import connection

from tests.e2e.servers import ProductionServer, collect_static

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the server needs a shared database"),
]

LIMIT = 3


def admin_login(browser: requests.Session, base: str, password: str) -> requests.Response:
    page = browser.get(base + "/admin/login/", timeout=10)
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    return browser.post(
        base + "/admin/login/",
        data={"username": "alice", "password": password, "csrfmiddlewaretoken": csrf, "next": "/admin/"},
        allow_redirects=False,
        timeout=10,
    )


def test_wrong_passwords_at_the_admin_form_lock_out_the_form_and_the_token_endpoint(alice):
    collect_static()
    server = ProductionServer(workers=2, LOGIN_FAILURE_LIMIT=str(LIMIT), SECURE_COOKIES="0")
    try:
        server.wait_until_ready()
        with requests.Session() as browser:
            wrong = [admin_login(browser, server.url, "wrong") for _ in range(LIMIT)]
            right_at_the_form = admin_login(browser, server.url, "alice-pass-123!")
        right_at_the_api = requests.post(
            server.url + "/api/auth/token",
            json={"username": "alice", "password": "alice-pass-123!"},
            timeout=10,
        )
    finally:
        server.stop()

    assert [response.status_code for response in wrong[:-1]] == [HTTPStatus.OK] * (LIMIT - 1)
    for locked in (wrong[-1], right_at_the_form, right_at_the_api):
        assert locked.status_code == HTTPStatus.TOO_MANY_REQUESTS, locked.text
        assert int(locked.headers["Retry-After"]) > 0
    assert "Too many failed sign-ins" in right_at_the_api.json()["detail"]
