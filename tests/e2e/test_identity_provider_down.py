"""With the identity provider's key set unreachable (and its key not cached yet), a
valid token is answered 503 with `Retry-After`, never 401: a client signs its user out
on a 401. Served by the Procfile's server, the provider a socket that never answers."""

from __future__ import annotations

import time
from http import HTTPStatus

import jwt
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import ec
from django.db import connection

from tests.conftest import CAROL_ID
from tests.e2e.servers import ProductionServer
from tests.e2e.silent_server import SilentServer

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the server needs a shared database"),
]


def test_a_valid_token_gets_503_with_retry_after_while_the_provider_is_hung():
    provider = SilentServer()
    key = ec.generate_private_key(ec.SECP256R1())
    now = int(time.time())
    token = jwt.encode(
        {"sub": CAROL_ID, "iat": now, "exp": now + 600}, key, algorithm="ES256", headers={"kid": "ec-1"}
    )
    server = ProductionServer(
        workers=1,
        AUTH_JWKS_URL=f"http://127.0.0.1:{provider.port}/jwks",
        AUTH_JWT_SECRET="",
        AUTH_JWT_ISSUER="",
        AUTH_JWT_AUDIENCE="",
    )
    try:
        server.wait_until_ready()
        responses = [
            requests.get(
                server.url + "/api/me/tasks", headers={"Authorization": f"Bearer {token}"}, timeout=10
            )
            for _ in range(3)
        ]
    finally:
        server.stop()
        provider.close()

    for response in responses:
        assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE, response.text
        assert int(response.headers["Retry-After"]) > 0
        assert "identity provider" in response.json()["detail"]
    # The first request waited for the provider; the next two did not ask it again.
    assert len(provider.connections) == 1
