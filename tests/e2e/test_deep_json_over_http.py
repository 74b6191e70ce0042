"""Deeply nested JSON is a 400 from the Procfile's server too, at the sign-in endpoints
(no token needed), a create with an `Idempotency-Key` and /mcp; never a 500."""

from __future__ import annotations

from http import HTTPStatus

import pytest
import requests
from django.db import connection
from rest_framework_simplejwt.tokens import AccessToken

from tasks.api.json_depth import MAX_JSON_DEPTH
from tests.e2e.servers import ProductionServer

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the server needs a shared database"),
]

DEEP = "[" * 1000 + "]" * 1000


def test_deeply_nested_bodies_are_400s_not_500s(alice):
    bearer = {"Authorization": f"Bearer {AccessToken.for_user(alice)}"}
    attempts = [
        ("/api/auth/token", f'{{"username": {DEEP}, "password": "x"}}', {}),
        ("/api/auth/token/refresh", f'{{"refresh": {DEEP}}}', {}),
        ("/api/me/tasks", f'{{"title": "x", "extra": {"[" * 300 + "]" * 300}}}', {"Idempotency-Key": "deep"}),
        ("/api/me/tasks", f'{{"title": {DEEP}}}', {}),
        (
            "/mcp",
            f'{{"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {{"name": "add_task", '
            f'"arguments": {{"title": {DEEP}}}}}}}',
            {"Accept": "application/json, text/event-stream"},
        ),
    ]
    server = ProductionServer(workers=1)
    try:
        server.wait_until_ready()
        responses = [
            requests.post(
                server.url + path,
                data=body,
                headers={"Content-Type": "application/json", **bearer, **headers},
                timeout=10,
            )
            for path, body, headers in attempts
        ]
    finally:
        server.stop()

    for (path, _, _), response in zip(attempts, responses, strict=True):
        assert response.status_code == HTTPStatus.BAD_REQUEST, (path, response.text)
        assert f"nested deeper than {MAX_JSON_DEPTH}" in response.text, path
