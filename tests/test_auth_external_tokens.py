"""HS256 tokens from the external identity provider: a user Django has never heard of."""

import time
from http import HTTPStatus

import jwt
import pytest
from django.contrib.auth import get_user_model

from tasks.models import Task
from tests.conftest import CAROL_ID, bearer_client, tasks_url

pytestmark = pytest.mark.django_db


def assert_unauthorized(response) -> None:
    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert response.json()["detail"]


def test_carol_creates_and_lists_her_tasks_without_a_django_account(carol_client):
    created = carol_client.post(tasks_url(), {"title": "Water the plants"})
    listed = carol_client.get(tasks_url(CAROL_ID))

    assert created.status_code == HTTPStatus.CREATED
    assert created.json()["user_id"] == CAROL_ID
    assert listed.status_code == HTTPStatus.OK
    assert [task["title"] for task in listed.json()] == ["Water the plants"]
    assert Task.objects.get().user_id == CAROL_ID
    assert not get_user_model().objects.exists()


def test_carol_does_not_see_alices_tasks(alice, carol_client, make_task):
    make_task(alice, title="Alice's")
    make_task(CAROL_ID, title="Carol's")

    response = carol_client.get(tasks_url())

    assert [task["title"] for task in response.json()] == ["Carol's"]


def test_a_token_signed_with_another_secret_gets_401(external_token):
    token = external_token(secret="someone-elses-secret-of-32-bytes-or-more")

    assert_unauthorized(bearer_client(token).get(tasks_url()))


def test_an_expired_token_gets_401(external_token):
    # Older than the verifier's 30 seconds of clock-skew leeway.
    token = external_token(iat=int(time.time()) - 3600, exp=int(time.time()) - 60)

    assert_unauthorized(bearer_client(token).get(tasks_url()))


@pytest.mark.parametrize(
    "claims",
    [
        {"iss": "https://evil.example.test"},
        {"iss": None},
        {"aud": "another-api"},
        {"aud": None},
        {"exp": None},
    ],
    ids=["wrong-issuer", "no-issuer", "wrong-audience", "no-audience", "no-expiry"],
)
def test_a_token_with_a_wrong_or_missing_claim_gets_401(external_token, claims):
    assert_unauthorized(bearer_client(external_token(**claims)).get(tasks_url()))


def test_a_token_without_a_subject_gets_401(external_token):
    assert_unauthorized(bearer_client(external_token(sub=None)).get(tasks_url()))


def test_a_subject_with_a_slash_is_refused_as_it_could_never_name_a_path(external_token):
    assert_unauthorized(bearer_client(external_token(sub="idp/carol")).get(tasks_url()))


def test_an_unsigned_alg_none_token_gets_401(external_token):
    claims = jwt.decode(external_token(), options={"verify_signature": False})
    token = jwt.encode(claims, None, algorithm="none")

    assert_unauthorized(bearer_client(token).get(tasks_url()))


def test_the_user_claim_setting_picks_the_user_id_from_another_claim(settings, external_token):
    settings.AUTH_JWT_USER_CLAIM = "uid"
    client = bearer_client(external_token(sub="session-42", uid="idp|dave"))

    response = client.post(tasks_url("idp|dave"), {"title": "Dave's"})

    assert response.status_code == HTTPStatus.CREATED
    assert Task.objects.get().user_id == "idp|dave"
    assert client.get(tasks_url("session-42")).status_code == HTTPStatus.FORBIDDEN


def test_a_token_without_the_configured_user_claim_gets_401(settings, external_token):
    settings.AUTH_JWT_USER_CLAIM = "uid"

    assert_unauthorized(bearer_client(external_token()).get(tasks_url()))


def test_external_tokens_are_refused_when_no_secret_is_configured(settings, external_token):
    token = external_token()
    settings.AUTH_JWT_SECRET = ""

    assert_unauthorized(bearer_client(token).get(tasks_url()))


def test_a_token_signed_with_this_services_own_key_is_not_an_external_token(settings, external_token):
    claims = jwt.decode(external_token(), options={"verify_signature": False})
    token = jwt.encode(claims, settings.SIMPLE_JWT["SIGNING_KEY"], algorithm="HS256")

    assert_unauthorized(bearer_client(token).get(tasks_url()))


def test_an_external_token_passing_as_an_issued_one_gets_401(external_token):
    token = external_token(token_type="access", user_id="1")

    assert_unauthorized(bearer_client(token).get(tasks_url()))


def test_an_audience_list_accepts_a_token_for_any_of_them(settings, external_token):
    # One deployment: tokens for its REST API (a front end's) and for its /mcp (a connector's).
    settings.AUTH_JWT_AUDIENCE = "https://tasks.example.test, https://tasks.example.test/mcp"

    for audience in ("https://tasks.example.test", "https://tasks.example.test/mcp"):
        response = bearer_client(external_token(aud=audience)).get(tasks_url())
        assert response.status_code == HTTPStatus.OK, audience
    assert_unauthorized(
        bearer_client(external_token(aud="https://tasks.example.test/other")).get(tasks_url())
    )
