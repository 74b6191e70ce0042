"""The Procfile's server writes one JSON access line per request to its output."""

from __future__ import annotations

import json
from http import HTTPStatus

import pytest
import requests
from django.db import connection
from rest_framework_simplejwt.tokens import AccessToken

from tasks.identity.principal import principal_id
from tests.conftest import tasks_url
from tests.e2e.servers import ProductionServer

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the server needs a shared database"),
]


def test_the_production_server_logs_each_request_as_a_json_line(alice):
    token = str(AccessToken.for_user(alice))
    server = ProductionServer(workers=1)
    try:
        server.wait_until_ready()
        response = requests.get(
            server.url + tasks_url() + "?search=findme",
            headers={"Authorization": f"Bearer {token}", "X-Request-ID": "e2e-access-1"},
            timeout=10,
        )
        output = server.output()
    finally:
        server.stop()

    lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    [line] = [line for line in lines if line.get("request_id") == "e2e-access-1"]
    print(f"\naccess line: {json.dumps(line)}")
    assert response.status_code == HTTPStatus.OK
    assert line["logger"] == "tasks.access"
    assert (line["method"], line["path"], line["status"]) == ("GET", "/api/me/tasks", 200)
    assert line["principal"] == principal_id(alice)
    assert line["duration_ms"] > 0
    assert token not in output and "findme" not in output
