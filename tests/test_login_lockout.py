"""Sign-in lockout: after LOGIN_FAILURE_LIMIT wrong passwords for one username from one
address, that pair is refused (429 with Retry-After) without its password being hashed,
at POST /api/auth/token and at the admin's and the browsable API's login forms; the
same user from another address, and other users, are not affected."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/auth/token"
RIGHT = "alice-pass-123!"


@pytest.fixture(autouse=True)
def limit_of_three(settings):
    settings.AXES_FAILURE_LIMIT = 3


def sign_in(client, username: str, password: str, address: str = "198.51.100.1"):
    return client.post(
        TOKEN_URL, {"username": username, "password": password}, format="json", REMOTE_ADDR=address
    )


def assert_locked_out(response) -> None:
    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS, response.content
    assert int(response["Retry-After"]) == 15 * 60
    assert "Too many failed sign-ins" in response.content.decode()


def test_wrong_passwords_lock_the_username_and_address_out_of_the_token_endpoint(alice, anon_client):
    wrong = [sign_in(anon_client, "alice", "wrong") for _ in range(2)]
    third = sign_in(anon_client, "alice", "wrong")
    even_the_right_password = sign_in(anon_client, "alice", RIGHT)

    assert [response.status_code for response in wrong] == [HTTPStatus.UNAUTHORIZED] * 2
    assert_locked_out(third)
    assert_locked_out(even_the_right_password)
    assert even_the_right_password["Content-Type"] == "application/json"


def test_a_locked_out_attempt_is_refused_before_its_password_is_hashed(alice, anon_client, hashings):
    for _ in range(3):
        sign_in(anon_client, "alice", "wrong")
    hashed_before = len(hashings)

    locked = [sign_in(anon_client, "alice", f"guess-{n}") for n in range(5)]

    for response in locked:
        assert_locked_out(response)
    assert len(hashings) == hashed_before


def test_the_same_user_from_another_address_and_others_from_this_one_still_sign_in(alice, bob, anon_client):
    for _ in range(3):
        sign_in(anon_client, "alice", "wrong")

    assert sign_in(anon_client, "alice", RIGHT, address="203.0.113.5").status_code == HTTPStatus.OK
    assert sign_in(anon_client, "bob", "bob-pass-123!").status_code == HTTPStatus.OK


def test_a_successful_sign_in_starts_the_count_again(alice, anon_client):
    for _ in range(2):
        sign_in(anon_client, "alice", "wrong")
    assert sign_in(anon_client, "alice", RIGHT).status_code == HTTPStatus.OK

    again = [sign_in(anon_client, "alice", "wrong") for _ in range(2)]

    assert [response.status_code for response in again] == [HTTPStatus.UNAUTHORIZED] * 2


@pytest.mark.parametrize("login_url", ["/admin/login/", "/api-auth/login/"])
def test_the_login_forms_lock_out_too(alice, login_url):
    alice.is_staff = True
    alice.save()
    browser = Client()

    def submit(password: str):
        return browser.post(login_url, {"username": "alice", "password": password, "next": "/admin/"})

    wrong = [submit("wrong") for _ in range(2)]
    third = submit("wrong")
    right = submit(RIGHT)

    assert [response.status_code for response in wrong] == [
        HTTPStatus.OK
    ] * 2  # the form again, with an error
    assert_locked_out(third)
    assert_locked_out(right)
    assert right["Content-Type"].startswith("text/plain")


def test_an_overlong_username_is_counted_not_a_server_error(anon_client):
    username = "a" * 100_000

    responses = [sign_in(anon_client, username, "x") for _ in range(3)]

    assert [response.status_code for response in responses[:2]] == [HTTPStatus.UNAUTHORIZED] * 2
    assert_locked_out(responses[2])
