"""The API over real HTTP (pytest-django's live server): the seed's six endpoints, every
way in, owner checks, no redirects, request ids and CORS, as a client on the wire sees them."""

from __future__ import annotations

import time
import uuid
from http import HTTPStatus

import pytest

from tasks.identity.principal import principal_id
from tasks.models import Task
from tests.conftest import CAROL_ID, tasks_url

# The live server sees only committed rows, so each test runs in its own committed
# transaction; rows that migrations create are restored after the flush between tests.
pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

SEED_FIELDS = {"id", "user_id", "title", "description", "completed", "created_at", "updated_at"}
FRONT_END = "https://app.example.test"


def create(http, user_id, **fields):
    response = http.post(tasks_url(user_id), json={"title": "A task", **fields})
    assert response.status_code == HTTPStatus.CREATED, response.text
    return response.json()


def test_a_token_from_post_api_auth_token_opens_the_api(alice, alice_http):
    response = alice_http.get(tasks_url(principal_id(alice)))

    assert response.status_code == HTTPStatus.OK
    assert response.json() == []


def test_wrong_password_gets_401_and_no_token(alice, http):
    response = http.post("/api/auth/token", json={"username": "alice", "password": "wrong"})

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert "access" not in response.json()
    assert response.json()["detail"]


def test_post_creates_and_returns_201_with_the_seeds_fields(alice, alice_http):
    response = alice_http.post(
        tasks_url(principal_id(alice)), json={"title": "Buy milk", "description": "2 l"}
    )

    assert response.status_code == HTTPStatus.CREATED
    assert response.headers["Content-Type"] == "application/json"
    body = response.json()
    assert body.keys() >= SEED_FIELDS
    assert uuid.UUID(body["id"])
    assert (body["user_id"], body["title"], body["description"]) == (principal_id(alice), "Buy milk", "2 l")
    assert body["completed"] is False
    assert body["created_at"].endswith("Z") and body["updated_at"].endswith("Z")
    assert Task.objects.filter(pk=body["id"], user_id=principal_id(alice)).exists()


def test_list_is_a_bare_array_newest_first(alice, alice_http):
    older = create(alice_http, principal_id(alice), title="older")
    newer = create(alice_http, principal_id(alice), title="newer")

    response = alice_http.get(tasks_url(principal_id(alice)))

    assert response.status_code == HTTPStatus.OK
    assert response.content.startswith(b"[")
    assert [task["id"] for task in response.json()] == [newer["id"], older["id"]]


def test_get_returns_the_task(alice, alice_http):
    task = create(alice_http, principal_id(alice), title="Read", description="a book")

    response = alice_http.get(tasks_url(principal_id(alice), task["id"]))

    assert response.status_code == HTTPStatus.OK
    assert response.json() == task


def test_put_changes_only_the_fields_it_sends(alice, alice_http):
    task = create(alice_http, principal_id(alice), title="Keep me", description="old")
    time.sleep(0.01)

    response = alice_http.put(tasks_url(principal_id(alice), task["id"]), json={"description": "new"})

    assert response.status_code == HTTPStatus.OK
    body = response.json()
    assert (body["title"], body["description"], body["completed"]) == ("Keep me", "new", False)
    assert body["created_at"] == task["created_at"]
    assert body["updated_at"] > task["updated_at"]
    assert alice_http.get(tasks_url(principal_id(alice), task["id"])).json() == body


def test_patch_complete_without_a_body_toggles(alice, alice_http):
    task = create(alice_http, principal_id(alice))
    url = tasks_url(principal_id(alice), task["id"], "/complete")

    first = alice_http.patch(url)
    second = alice_http.patch(url)

    assert (first.status_code, second.status_code) == (HTTPStatus.OK, HTTPStatus.OK)
    assert first.json()["completed"] is True
    assert second.json()["completed"] is False
    assert Task.objects.get(pk=task["id"]).completed is False


def test_delete_returns_204_with_an_empty_body(alice, alice_http):
    task = create(alice_http, principal_id(alice))

    response = alice_http.delete(tasks_url(principal_id(alice), task["id"]))

    assert response.status_code == HTTPStatus.NO_CONTENT
    assert response.content == b""
    assert alice_http.get(tasks_url(principal_id(alice), task["id"])).status_code == HTTPStatus.NOT_FOUND


def test_me_is_an_alias_for_the_callers_own_user_id(alice, alice_http):
    task = create(alice_http, "me", title="via me")

    assert task["user_id"] == principal_id(alice)
    assert [t["id"] for t in alice_http.get(tasks_url(principal_id(alice))).json()] == [task["id"]]


def test_an_external_hs256_token_works_over_http(http, external_token):
    carol = http.as_bearer(external_token())

    created = carol.post(tasks_url(CAROL_ID), json={"title": "From the IdP"})
    listed = carol.get(tasks_url("me"))

    assert created.status_code == HTTPStatus.CREATED
    assert created.json()["user_id"] == CAROL_ID
    assert [task["id"] for task in listed.json()] == [created.json()["id"]]


def test_an_external_token_with_the_wrong_secret_gets_401(http, external_token):
    stranger = http.as_bearer(external_token(secret="not-the-identity-providers-secret-32b"))

    response = stranger.get(tasks_url(CAROL_ID))

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_bob_gets_403_for_alices_user_id(alice, bob_http):
    for response in (
        bob_http.get(tasks_url(principal_id(alice))),
        bob_http.post(tasks_url(principal_id(alice)), json={"title": "sneaky"}),
    ):
        assert response.status_code == HTTPStatus.FORBIDDEN
        assert response.json()["detail"]
    assert not Task.objects.exists()


def test_bob_gets_404_for_alices_task_as_for_a_missing_one(alice, alice_http, bob, bob_http):
    task = create(alice_http, principal_id(alice), title="Alice's")
    missing = str(uuid.uuid4())

    for task_id in (task["id"], missing):
        assert bob_http.get(tasks_url(principal_id(bob), task_id)).json() == {"detail": "Task not found"}
        assert bob_http.put(tasks_url(principal_id(bob), task_id), json={"title": "x"}).status_code == 404
        assert bob_http.patch(tasks_url(principal_id(bob), task_id, "/complete")).status_code == 404
        assert bob_http.delete(tasks_url(principal_id(bob), task_id)).status_code == 404
    assert Task.objects.get(pk=task["id"]).title == "Alice's"


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_anonymous_gets_401_with_www_authenticate(alice, http, method):
    response = http.request(method, tasks_url(principal_id(alice)), json={"title": "x"})

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="api"'
    assert response.json()["detail"]


@pytest.mark.parametrize("suffix", ["", "/"])
def test_no_path_ever_redirects_with_or_without_a_trailing_slash(alice, alice_http, suffix):
    # LiveHttp fails on any 3xx; here every seed route is walked both ways.
    task = create(alice_http, principal_id(alice))
    base = tasks_url(principal_id(alice))
    item = tasks_url(principal_id(alice), task["id"])

    assert alice_http.post(base + suffix, json={"title": "x"}).status_code == HTTPStatus.CREATED
    assert alice_http.get(base + suffix).status_code == HTTPStatus.OK
    assert alice_http.get(item + suffix).status_code == HTTPStatus.OK
    assert alice_http.put(item + suffix, json={"title": "y"}).status_code == HTTPStatus.OK
    assert alice_http.patch(item + "/complete" + suffix).status_code == HTTPStatus.OK
    assert alice_http.delete(item + suffix).status_code == HTTPStatus.NO_CONTENT


def test_a_given_request_id_is_echoed(alice, alice_http):
    response = alice_http.get(tasks_url(principal_id(alice)), headers={"X-Request-ID": "client-req.42"})

    assert response.headers["X-Request-ID"] == "client-req.42"


@pytest.mark.parametrize("given", [None, "bad id\twith spaces", "x" * 129])
def test_a_request_id_is_generated_when_none_or_an_unsafe_one_is_given(alice, alice_http, given):
    headers = {"X-Request-ID": given} if given else {}

    first = alice_http.get(tasks_url(principal_id(alice)), headers=headers).headers["X-Request-ID"]
    second = alice_http.get(tasks_url(principal_id(alice)), headers=headers).headers["X-Request-ID"]

    assert first and first != given
    assert first != second


def test_errors_carry_a_request_id_too(http):
    response = http.get("/api/nobody/tasks")

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response.headers["X-Request-ID"]


def preflight(http, origin: str):
    return http.options(
        tasks_url("me"),
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type,idempotency-key",
        },
    )


def test_cors_preflight_from_a_configured_origin_is_allowed(http, settings):
    settings.CORS_ALLOWED_ORIGINS = [FRONT_END]

    response = preflight(http, FRONT_END)

    assert response.status_code == HTTPStatus.OK
    assert response.headers["Access-Control-Allow-Origin"] == FRONT_END
    assert "POST" in response.headers["Access-Control-Allow-Methods"]
    allowed = response.headers["Access-Control-Allow-Headers"].lower()
    assert {"authorization", "content-type", "idempotency-key"} <= set(allowed.replace(" ", "").split(","))


def test_cors_preflight_from_an_unlisted_origin_gets_no_allow_origin(http, settings):
    settings.CORS_ALLOWED_ORIGINS = [FRONT_END]

    response = preflight(http, "https://evil.example.test")

    assert "Access-Control-Allow-Origin" not in response.headers


def test_cors_actual_response_exposes_the_api_headers_to_the_front_end(alice, alice_http, settings):
    settings.CORS_ALLOWED_ORIGINS = [FRONT_END]

    response = alice_http.get(tasks_url(principal_id(alice)), headers={"Origin": FRONT_END})

    assert response.headers["Access-Control-Allow-Origin"] == FRONT_END
    exposed = response.headers["Access-Control-Expose-Headers"].lower()
    assert "x-request-id" in exposed and "etag" in exposed
