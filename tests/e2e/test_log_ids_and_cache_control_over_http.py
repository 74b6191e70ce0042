"""As the Procfile's server answers: every log line of a 503 during a database outage
carries the request's id, and a signed-in caller's JSON is `private, no-store` while
ETag revalidation still gives 304."""

from __future__ import annotations

import json
from http import HTTPStatus

import pytest
import requests
from django.db import connection
from rest_framework_simplejwt.tokens import AccessToken

from tests.conftest import tasks_url
from tests.e2e.servers import ProductionServer, served_database_url
from tests.e2e.tcp_proxy import TcpProxy

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the server needs a shared database"),
]


def test_the_log_lines_of_a_503_carry_the_request_id(alice):
    db = connection.settings_dict
    proxy = TcpProxy((db["HOST"] or "127.0.0.1", int(db["PORT"] or 5432)))
    proxied_url = served_database_url().replace(f":{db['PORT'] or 5432}/", f":{proxy.port}/")
    headers = {"Authorization": f"Bearer {AccessToken.for_user(alice)}", "X-Request-ID": "outage-probe-1"}
    server = ProductionServer(workers=1, DATABASE_URL=proxied_url, DB_POOL_TIMEOUT="1", ACCESS_LOG="0")
    try:
        server.wait_until_ready()
        proxy.cut()
        response = requests.get(server.url + tasks_url(), headers=headers, timeout=10)
        output = server.output()
    finally:
        server.stop()

    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    about_it = [line for line in lines if "/api/" in line["message"] or "database" in line["message"]]
    assert about_it, output
    assert {line["request_id"] for line in about_it} == {"outage-probe-1"}


def test_a_signed_in_callers_json_is_private_and_the_etag_still_revalidates(alice, make_task):
    task = make_task(alice, title="mine")
    headers = {"Authorization": f"Bearer {AccessToken.for_user(alice)}"}
    server = ProductionServer(workers=1)
    try:
        server.wait_until_ready()
        first = requests.get(server.url + tasks_url(task_id=task.id), headers=headers, timeout=10)
        again = requests.get(
            server.url + tasks_url(task_id=task.id),
            headers={**headers, "If-None-Match": first.headers["ETag"]},
            timeout=10,
        )
        schema = requests.get(server.url + "/api/schema", timeout=10)
    finally:
        server.stop()

    assert first.status_code == HTTPStatus.OK
    assert first.headers["Cache-Control"] == "private, no-store"
    assert again.status_code == HTTPStatus.NOT_MODIFIED
    assert again.headers["Cache-Control"] == "private, no-store"
    assert "no-store" not in schema.headers.get("Cache-Control", "")
