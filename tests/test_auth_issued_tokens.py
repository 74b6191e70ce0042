"""Tokens this service issues: obtained with a password, refreshed, and refused when bent."""

import base64
import json
from datetime import timedelta
from http import HTTPStatus

import jwt
import pytest
from django.conf import settings
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from tasks.identity.principal import principal_id
from tests.conftest import bearer_client, tasks_url

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/auth/token"
REFRESH_URL = "/api/auth/token/refresh"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def assert_unauthorized(response) -> None:
    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert isinstance(response.json()["detail"], str)
    assert response.json()["detail"]


def test_alice_gets_an_access_and_a_refresh_token_for_her_password(alice, anon_client):
    response = anon_client.post(TOKEN_URL, {"username": "alice", "password": "alice-pass-123!"})

    assert response.status_code == HTTPStatus.OK
    tokens = response.json()
    assert AccessToken(tokens["access"])["user_id"] == str(alice.pk)
    assert RefreshToken(tokens["refresh"])["user_id"] == str(alice.pk)
    assert bearer_client(tokens["access"]).get(tasks_url()).status_code == HTTPStatus.OK


def test_a_wrong_password_gets_401_and_no_token(alice, anon_client):
    response = anon_client.post(TOKEN_URL, {"username": "alice", "password": "guess"})

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert "access" not in response.json()
    assert response.json()["detail"]


def test_the_refresh_token_buys_a_new_working_access_token(alice, anon_client):
    refresh = str(RefreshToken.for_user(alice))

    response = anon_client.post(REFRESH_URL, {"refresh": refresh})

    assert response.status_code == HTTPStatus.OK
    access = response.json()["access"]
    assert AccessToken(access)["user_id"] == str(alice.pk)
    assert bearer_client(access).get(tasks_url(principal_id(alice))).status_code == HTTPStatus.OK


def test_a_refresh_token_is_not_accepted_as_an_access_token(alice):
    assert_unauthorized(bearer_client(str(RefreshToken.for_user(alice))).get(tasks_url()))


def test_an_expired_access_token_gets_401(alice):
    token = AccessToken.for_user(alice)
    token.set_exp(lifetime=-timedelta(seconds=1))

    assert_unauthorized(bearer_client(str(token)).get(tasks_url()))


def test_a_token_with_an_altered_signature_gets_401(alice):
    header, payload, signature = str(AccessToken.for_user(alice)).split(".")
    forged = b64url(bytes(byte ^ 0x01 for byte in b64url_decode(signature)))

    assert_unauthorized(bearer_client(f"{header}.{payload}.{forged}").get(tasks_url()))


def test_a_token_whose_payload_names_bob_instead_of_alice_gets_401(alice, bob, make_task):
    make_task(bob, title="Bob's secret")
    header, payload, signature = str(AccessToken.for_user(alice)).split(".")
    claims = json.loads(b64url_decode(payload)) | {"user_id": str(bob.pk)}
    forged = b64url(json.dumps(claims).encode())

    response = bearer_client(f"{header}.{forged}.{signature}").get(tasks_url(principal_id(bob)))

    assert_unauthorized(response)
    assert "Bob's secret" not in response.content.decode()


def test_a_token_signed_with_another_key_gets_401(alice):
    claims = AccessToken.for_user(alice).payload
    token = jwt.encode(claims, "not-the-servers-secret-but-long-enough", algorithm="HS256")

    assert_unauthorized(bearer_client(token).get(tasks_url()))


def test_an_unsigned_alg_none_token_gets_401(alice):
    token = jwt.encode(AccessToken.for_user(alice).payload, None, algorithm="none")

    assert_unauthorized(bearer_client(token).get(tasks_url()))


def test_the_token_of_a_deactivated_user_gets_401(alice):
    client = bearer_client(str(AccessToken.for_user(alice)))
    alice.is_active = False
    alice.save(update_fields=["is_active"])

    assert_unauthorized(client.get(tasks_url()))


def test_the_token_of_a_deleted_user_gets_401(alice):
    client = bearer_client(str(AccessToken.for_user(alice)))
    alice.delete()

    assert_unauthorized(client.get(tasks_url()))


def test_an_unauthenticated_request_is_told_to_use_a_bearer_token(anon_client):
    assert_unauthorized(anon_client.get(tasks_url()))


@pytest.mark.parametrize(
    "authorization",
    ["Bearer", "Bearer a b", "Bearer not-a-jwt", "Bearer a.b.c", "Bearer " + "é".encode().decode("latin-1")],
    ids=["no-token", "two-tokens", "garbage", "three-garbage-parts", "non-ascii"],
)
def test_a_malformed_authorization_header_gets_401_with_a_detail(alice, authorization):
    client = bearer_client("unused")
    client.credentials(HTTP_AUTHORIZATION=authorization)

    assert_unauthorized(client.get(tasks_url()))


def test_the_issued_token_is_signed_by_this_service(alice):
    claims = jwt.decode(
        str(AccessToken.for_user(alice)),
        settings.SIMPLE_JWT["SIGNING_KEY"],
        algorithms=["HS256"],
        issuer=settings.SIMPLE_JWT["ISSUER"],
    )

    assert claims["token_type"] == "access"
