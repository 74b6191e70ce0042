"""Asymmetric tokens verified with keys from a JWKS URL, as Better Auth serves them."""

import base64
import hashlib
import hmac
import json
import threading
import time
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from jwt.algorithms import get_default_algorithms

from tasks.models import Task
from tests.conftest import CAROL_ID, bearer_client, tasks_url

pytestmark = pytest.mark.django_db

ISSUER = "https://auth.example.test"
AUDIENCE = "tasks-api"


@dataclass(frozen=True)
class SigningKey:
    kid: str
    alg: str
    private: object

    def jwk(self) -> dict:
        jwk = get_default_algorithms()[self.alg].to_jwk(self.private.public_key(), as_dict=True)
        return jwk | {"kid": self.kid, "alg": self.alg, "use": "sig"}

    def sign(self, *, kid: str | None = None, **claims) -> str:
        now = int(time.time())
        payload = {"sub": CAROL_ID, "iss": ISSUER, "aud": AUDIENCE, "iat": now, "exp": now + 600} | claims
        return jwt.encode(payload, self.private, algorithm=self.alg, headers={"kid": kid or self.kid})


RSA_KEY = SigningKey("rsa-1", "RS256", rsa.generate_private_key(public_exponent=65537, key_size=2048))
EC_KEY = SigningKey("ec-1", "ES256", ec.generate_private_key(ec.SECP256R1()))
ED_KEY = SigningKey("ed-1", "EdDSA", ed25519.Ed25519PrivateKey.generate())


class JwksServer(ThreadingHTTPServer):
    """Serves `{"keys": [...]}` for whichever keys the test publishes, counting fetches."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), JwksHandler)
        self.published: list[SigningKey] = [RSA_KEY, EC_KEY, ED_KEY]
        self.fetches = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/api/auth/jwks"


class JwksHandler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (the name http.server calls)
        self.server.fetches += 1
        body = json.dumps({"keys": [key.jwk() for key in self.server.published]}).encode()
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args) -> None:
        pass


@pytest.fixture
def jwks(settings):
    server = JwksServer()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    settings.AUTH_JWKS_URL = server.url
    settings.AUTH_JWT_SECRET = ""
    settings.AUTH_JWT_ISSUER = ISSUER
    settings.AUTH_JWT_AUDIENCE = AUDIENCE
    yield server
    server.shutdown()
    server.server_close()


def assert_unauthorized(response) -> None:
    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert response.json()["detail"]


@pytest.mark.parametrize("key", [RSA_KEY, EC_KEY, ED_KEY], ids=lambda key: key.alg)
def test_a_token_signed_with_a_published_key_is_accepted(jwks, key):
    response = bearer_client(key.sign()).post(tasks_url(CAROL_ID), {"title": key.alg})

    assert response.status_code == HTTPStatus.CREATED
    assert Task.objects.get().user_id == CAROL_ID


def test_the_key_set_is_fetched_once_and_then_cached(jwks):
    for key in (RSA_KEY, EC_KEY, ED_KEY, RSA_KEY):
        assert bearer_client(key.sign()).get(tasks_url()).status_code == HTTPStatus.OK

    assert jwks.fetches == 1


def test_a_new_key_is_fetched_when_a_token_names_an_unknown_kid(jwks, monkeypatch):
    assert bearer_client(RSA_KEY.sign()).get(tasks_url()).status_code == HTTPStatus.OK
    rotated = SigningKey("ed-2", "EdDSA", ed25519.Ed25519PrivateKey.generate())
    jwks.published.append(rotated)
    # PyJWKClient refetches for an unknown kid at most once per 30 s cooldown.
    now = time.monotonic
    monkeypatch.setattr(time, "monotonic", lambda: now() + 31)

    response = bearer_client(rotated.sign()).get(tasks_url())

    assert response.status_code == HTTPStatus.OK
    assert jwks.fetches == 2


def test_made_up_kids_do_not_make_the_service_hammer_the_key_endpoint(jwks):
    assert bearer_client(RSA_KEY.sign()).get(tasks_url()).status_code == HTTPStatus.OK

    for attempt in range(3):
        assert_unauthorized(bearer_client(RSA_KEY.sign(kid=f"made-up-{attempt}")).get(tasks_url()))

    assert jwks.fetches == 1


def test_a_token_signed_by_a_key_outside_the_set_gets_401(jwks):
    impostor = SigningKey(
        RSA_KEY.kid, "RS256", rsa.generate_private_key(public_exponent=65537, key_size=2048)
    )

    assert_unauthorized(bearer_client(impostor.sign()).get(tasks_url()))


@pytest.mark.parametrize(
    ("signer", "named_key"),
    [(EC_KEY, RSA_KEY), (ED_KEY, RSA_KEY), (RSA_KEY, EC_KEY), (EC_KEY, ED_KEY)],
    ids=["ES256-with-rsa-kid", "EdDSA-with-rsa-kid", "RS256-with-ec-kid", "ES256-with-ed-kid"],
)
def test_a_token_whose_alg_does_not_fit_its_kids_key_gets_401(jwks, signer, named_key):
    assert_unauthorized(bearer_client(signer.sign(kid=named_key.kid)).get(tasks_url()))


@pytest.mark.parametrize("shared_secret", ["", "test-external-idp-secret-with-32-bytes!"])
def test_an_hs256_token_keyed_with_the_public_key_gets_401(jwks, settings, shared_secret):
    settings.AUTH_JWT_SECRET = shared_secret
    public_pem = RSA_KEY.private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    claims = jwt.decode(RSA_KEY.sign(), options={"verify_signature": False})

    def segment(data: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    signing_input = f"{segment({'alg': 'HS256', 'typ': 'JWT', 'kid': RSA_KEY.kid})}.{segment(claims)}"
    mac = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
    token = f"{signing_input}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"

    assert_unauthorized(bearer_client(token).get(tasks_url()))


def test_an_unsigned_alg_none_token_with_a_known_kid_gets_401(jwks):
    claims = jwt.decode(RSA_KEY.sign(), options={"verify_signature": False})
    token = jwt.encode(claims, None, algorithm="none", headers={"kid": RSA_KEY.kid})

    assert_unauthorized(bearer_client(token).get(tasks_url()))


@pytest.mark.parametrize(
    "claims",
    [{"iss": "https://evil.example.test"}, {"aud": "another-api"}, {"exp": int(time.time()) - 3600}],
    ids=["wrong-issuer", "wrong-audience", "expired"],
)
def test_issuer_audience_and_expiry_are_checked_for_jwks_tokens(jwks, claims):
    assert_unauthorized(bearer_client(ED_KEY.sign(**claims)).get(tasks_url()))


def assert_provider_unavailable(response) -> None:
    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE, response.content
    assert int(response["Retry-After"]) > 0
    assert "identity provider" in response.json()["detail"]


def test_an_unreachable_key_endpoint_gives_503_with_retry_after_not_401(jwks):
    jwks.shutdown()
    jwks.server_close()

    assert_provider_unavailable(bearer_client(ED_KEY.sign()).get(tasks_url()))


def test_after_a_failed_fetch_the_key_endpoint_is_left_alone_for_a_while(jwks, monkeypatch):
    fetches = []
    real_fetch = jwt.PyJWKClient.fetch_data

    def failing_fetch(client):
        fetches.append(client.uri)
        raise jwt.PyJWKClientConnectionError("timed out")

    monkeypatch.setattr(jwt.PyJWKClient, "fetch_data", failing_fetch)
    token = ED_KEY.sign()
    during = [bearer_client(token).get(tasks_url()) for _ in range(3)]
    monkeypatch.setattr(jwt.PyJWKClient, "fetch_data", real_fetch)

    for response in during:
        assert_provider_unavailable(response)
    assert len(fetches) == 1


def test_keys_already_cached_keep_working_while_the_endpoint_is_down(jwks):
    assert bearer_client(ED_KEY.sign()).get(tasks_url()).status_code == HTTPStatus.OK
    jwks.shutdown()
    jwks.server_close()

    assert bearer_client(ED_KEY.sign(jti="another")).get(tasks_url()).status_code == HTTPStatus.OK
