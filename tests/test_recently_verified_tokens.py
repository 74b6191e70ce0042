"""External tokens are verified once, then remembered for a bounded time."""

import time
from datetime import datetime
from http import HTTPStatus

import jwt
import pytest

from tasks.identity import identity_provider
from tasks.identity.identity_provider import LEEWAY, RecentlyVerifiedTokens, configured_verifier
from tests.conftest import CAROL_ID, bearer_client, tasks_url


class Clock:
    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_a_token_is_remembered_with_its_user_id():
    tokens = RecentlyVerifiedTokens(clock=Clock())

    tokens.add("token-a", "carol", expires_at=1_000_600)

    assert tokens.get("token-a") == "carol"
    assert tokens.get("token-b") is None


def test_a_token_is_forgotten_when_jwt_decode_would_call_it_expired():
    clock = Clock()
    tokens = RecentlyVerifiedTokens(clock=clock, max_age=3600)
    tokens.add("token", "carol", expires_at=clock.now + 10)

    clock.now += 10 + LEEWAY - 0.5
    assert tokens.get("token") == "carol"
    clock.now += 1
    assert tokens.get("token") is None


def test_a_long_lived_token_is_verified_again_after_max_age():
    clock = Clock()
    tokens = RecentlyVerifiedTokens(clock=clock, max_age=60)
    tokens.add("token", "carol", expires_at=clock.now + 86_400)

    clock.now += 59
    assert tokens.get("token") == "carol"
    clock.now += 2
    assert tokens.get("token") is None


def test_the_oldest_entries_make_room_for_new_ones():
    tokens = RecentlyVerifiedTokens(clock=Clock(), max_entries=2)

    for name in ("first", "second", "third"):
        tokens.add(name, name.upper(), expires_at=2_000_000)

    assert tokens.get("first") is None
    assert (tokens.get("second"), tokens.get("third")) == ("SECOND", "THIRD")


@pytest.mark.django_db
def test_the_signature_is_checked_once_per_token(monkeypatch, external_token):
    decoded = []
    real_decode = identity_provider.jwt.decode
    monkeypatch.setattr(
        identity_provider.jwt, "decode", lambda *a, **kw: decoded.append(a[0]) or real_decode(*a, **kw)
    )
    client = bearer_client(external_token())

    statuses = [client.get(tasks_url(CAROL_ID)).status_code for _ in range(3)]

    assert statuses == [HTTPStatus.OK] * 3
    assert len(decoded) == 1


@pytest.mark.django_db
def test_a_tampered_copy_of_a_remembered_token_is_still_refused(external_token):
    token = external_token()
    assert bearer_client(token).get(tasks_url(CAROL_ID)).status_code == HTTPStatus.OK
    header, payload, _signature = token.split(".")
    # Same claims, but carol's remembered token does not vouch for another signature.
    forged = f"{header}.{payload}.{jwt.encode({'sub': CAROL_ID}, 'x' * 32).split('.')[2]}"

    response = bearer_client(forged).get(tasks_url(CAROL_ID))

    assert response.status_code == HTTPStatus.UNAUTHORIZED


@pytest.mark.django_db
def test_a_remembered_token_past_its_expiry_is_refused(monkeypatch, external_token):
    now = time.time()
    token = external_token(exp=int(now) + 5)
    assert bearer_client(token).get(tasks_url(CAROL_ID)).status_code == HTTPStatus.OK
    later = now + 5 + LEEWAY + 1

    class Later(datetime):
        @classmethod
        def now(cls, tz=None):
            return datetime.fromtimestamp(later, tz)

    # Move both the cache's clock and PyJWT's past the token's expiry and leeway.
    configured_verifier().recently_verified.clock = lambda: later
    monkeypatch.setattr(jwt.api_jwt, "datetime", Later)
    response = bearer_client(token).get(tasks_url(CAROL_ID))

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response.json()["detail"] == "Token has expired."


@pytest.mark.django_db
@pytest.mark.parametrize("token", ["abc", "a.b.c", "a.!!!.c", "a.bnVsbA.c", "a.WzFd.c", "a.b.c.d"])
def test_a_token_that_is_not_a_jwt_gets_401(token):
    # "bnVsbA" is `null` and "WzFd" is `[1]`: JSON, but not a set of claims.
    response = bearer_client(token).get(tasks_url(CAROL_ID))

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response.json()["detail"] == "Token is malformed."
