"""API calls with a bearer token skip sessions, CSRF, messages and clickjacking headers;
browsers (the admin, /api-auth/, the browsable API, session calls) keep all of it, and
every response keeps the Host check and the security headers."""

from __future__ import annotations

from http import HTTPStatus
from unittest import mock

import pytest
from django.contrib.messages.middleware import MessageMiddleware
from django.contrib.sessions.middleware import SessionMiddleware
from django.middleware.csrf import CsrfViewMiddleware
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

from tasks.identity.principal import principal_id
from tasks.models import Task
from tests.conftest import tasks_url

pytestmark = pytest.mark.django_db

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}


@pytest.fixture
def browser_middleware_spies():
    """Records every request that reaches the session, CSRF and messages middleware."""
    spies = {
        name: mock.patch.object(
            middleware, "process_request", autospec=True, side_effect=middleware.process_request
        )
        for name, middleware in [
            ("session", SessionMiddleware),
            ("csrf", CsrfViewMiddleware),
            ("messages", MessageMiddleware),
        ]
    }
    with spies["session"] as session, spies["csrf"] as csrf, spies["messages"] as messages:
        yield {"session": session, "csrf": csrf, "messages": messages}


@pytest.fixture
def alice_bearer_csrf_client(alice) -> APIClient:
    """A client that carries Alice's bearer token, on which Django checks CSRF as for a browser."""
    client = APIClient(enforce_csrf_checks=True)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(alice)}")
    return client


@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "BEARER"])
def test_a_bearer_call_never_reaches_the_browser_middleware(alice, browser_middleware_spies, scheme):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"{scheme} {AccessToken.for_user(alice)}")

    response = client.get(tasks_url())

    assert response.status_code == HTTPStatus.OK
    assert [spy.call_count for spy in browser_middleware_spies.values()] == [0, 0, 0]


def test_a_bearer_write_without_a_csrf_token_sets_no_cookie(alice, alice_bearer_csrf_client):
    response = alice_bearer_csrf_client.post(tasks_url(), {"title": "From the app"}, format="json")

    assert response.status_code == HTTPStatus.CREATED
    assert not response.cookies
    assert "Set-Cookie" not in response
    assert "Cookie" not in response.get("Vary", "")
    assert "X-Frame-Options" not in response
    assert Task.objects.get().user_id == principal_id(alice)


def test_a_bearer_call_keeps_the_security_headers_request_id_and_cache_control(alice_client):
    response = alice_client.get(tasks_url())

    assert response.status_code == HTTPStatus.OK
    for header, value in SECURITY_HEADERS.items():
        assert response[header] == value
    assert response["X-Request-ID"]
    assert response["Cache-Control"] == "private, no-store"


def test_a_bearer_call_to_an_unknown_host_is_400(alice_client):
    response = alice_client.get(tasks_url(), HTTP_HOST="evil.example")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json() == {"detail": "Bad request."}


def test_a_bearer_call_to_an_unknown_path_is_still_json(alice_client):
    response = alice_client.get("/api/nowhere")

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert response.json() == {"detail": "Not found."}


def test_a_refused_bearer_token_is_401_without_a_session(browser_middleware_spies):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")

    response = client.get(tasks_url())

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert browser_middleware_spies["session"].call_count == 0


def test_a_session_call_goes_through_the_browser_middleware(alice, browser_middleware_spies):
    client = APIClient()
    client.force_login(alice)

    assert client.get(tasks_url()).status_code == HTTPStatus.OK

    # CSRF's at least once: DRF's SessionAuthentication runs Django's check again.
    assert all(spy.called for spy in browser_middleware_spies.values())


def test_a_session_write_without_a_csrf_token_is_still_403(alice, make_task):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(alice)

    response = client.post(tasks_url(), {"title": "Forged"}, format="json")

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert "CSRF" in response.json()["detail"]
    assert not Task.objects.exists()


@pytest.mark.parametrize("path", ["/admin/login/", "/api-auth/login/"])
def test_sign_in_pages_keep_the_whole_chain_even_with_a_bearer_token(alice_client, path):
    response = alice_client.get(path)

    assert response.status_code == HTTPStatus.OK
    assert "csrftoken" in response.cookies
    assert response["X-Frame-Options"] == "DENY"
    for header, value in SECURITY_HEADERS.items():
        assert response[header] == value


def test_the_admin_login_starts_a_session_with_csrf_and_xfo(django_user_model):
    django_user_model.objects.create_superuser(username="root", password="root-pass-123!")
    client = APIClient(enforce_csrf_checks=True)
    page = client.get("/admin/login/")
    assert page["X-Frame-Options"] == "DENY"
    token = client.cookies["csrftoken"].value

    login = client.post(
        "/admin/login/?next=/admin/",
        {"username": "root", "password": "root-pass-123!", "csrfmiddlewaretoken": token},
        format="multipart",
    )

    assert login.status_code == HTTPStatus.FOUND
    assert "sessionid" in login.cookies
    assert login["X-Frame-Options"] == "DENY"
    assert client.get("/admin/").status_code == HTTPStatus.OK


def test_the_browsable_api_still_renders_for_a_session(alice):
    client = APIClient()
    client.force_login(alice)

    response = client.get(tasks_url(), HTTP_ACCEPT="text/html")

    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"].startswith("text/html")
    assert response["X-Frame-Options"] == "DENY"
    assert 'name="csrfmiddlewaretoken"' in response.content.decode()


def test_a_bearer_call_that_asks_for_html_still_gets_the_browsable_page(alice_client):
    response = alice_client.get(tasks_url(), HTTP_ACCEPT="text/html")

    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"].startswith("text/html")
    assert "alice" in response.content.decode()
