"""Django session login, for the browsable API: works, but only with a CSRF token for writes."""

from http import HTTPStatus

import pytest
from rest_framework.test import APIClient

from tasks.identity.principal import principal_id
from tasks.models import Task
from tests.conftest import tasks_url

pytestmark = pytest.mark.django_db

LOGIN_URL = "/api-auth/login/"


@pytest.fixture
def csrf_client() -> APIClient:
    """A browser-like client: Django checks CSRF on it as it would for a real browser."""
    return APIClient(enforce_csrf_checks=True)


@pytest.fixture
def alice_session(alice, csrf_client) -> APIClient:
    csrf_client.force_login(alice)
    return csrf_client


def csrf_token(client: APIClient) -> str:
    """Load the login page, as a browser would, to receive the CSRF cookie."""
    assert client.get(LOGIN_URL).status_code == HTTPStatus.OK
    return client.cookies["csrftoken"].value


def test_a_logged_in_session_reads_its_own_tasks(alice, alice_session, make_task):
    make_task(alice, title="From the browser")

    response = alice_session.get(tasks_url())

    assert response.status_code == HTTPStatus.OK
    assert [task["title"] for task in response.json()] == ["From the browser"]


def test_the_browsable_api_login_form_starts_a_session(alice, csrf_client):
    token = csrf_token(csrf_client)

    login = csrf_client.post(
        LOGIN_URL,
        {"username": "alice", "password": "alice-pass-123!", "csrfmiddlewaretoken": token},
        format="multipart",
    )

    assert login.status_code == HTTPStatus.FOUND
    assert csrf_client.get(tasks_url(principal_id(alice))).status_code == HTTPStatus.OK


def test_the_browsable_api_renders_html_for_a_browser(alice_session):
    response = alice_session.get(tasks_url(), HTTP_ACCEPT="text/html")

    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"].startswith("text/html")


@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [
        ("post", "", {"title": "Forged"}),
        ("put", "/{id}", {"title": "Forged"}),
        ("patch", "/{id}", {"title": "Forged"}),
        ("delete", "/{id}", None),
        ("patch", "/{id}/complete", None),
        ("post", "/clear-completed", None),
    ],
    ids=["create", "put", "patch", "delete", "complete", "clear-completed"],
)
def test_a_session_write_without_a_csrf_token_is_403_and_changes_nothing(
    alice, alice_session, make_task, method, suffix, body
):
    task = make_task(alice, title="Untouched")
    make_task(alice, title="Done", completed=True)
    before = list(Task.objects.order_by("id").values())

    response = getattr(alice_session, method)(tasks_url() + suffix.format(id=task.pk), body, format="json")

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert "CSRF" in response.json()["detail"]
    assert list(Task.objects.order_by("id").values()) == before


def test_a_session_write_with_the_csrf_token_succeeds(alice, alice_session):
    token = csrf_token(alice_session)

    response = alice_session.post(tasks_url(), {"title": "Real"}, format="json", HTTP_X_CSRFTOKEN=token)

    assert response.status_code == HTTPStatus.CREATED
    assert Task.objects.get().user_id == principal_id(alice)


def test_a_bearer_token_needs_no_csrf_token(alice_client):
    alice_client.handler.enforce_csrf_checks = True

    response = alice_client.post(tasks_url(), {"title": "From the app"}, format="json")

    assert response.status_code == HTTPStatus.CREATED


def test_after_logout_the_session_gets_401(alice_session):
    alice_session.logout()

    response = alice_session.get(tasks_url())

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_deactivated_users_session_gets_401(alice, alice_session):
    alice.is_active = False
    alice.save(update_fields=["is_active"])

    assert alice_session.get(tasks_url()).status_code == HTTPStatus.UNAUTHORIZED
