"""A database that cannot be reached is a JSON 503 with `Retry-After` (never a 500 or
an HTML page), for the API's views and Django's own alike, and /readyz says so."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.db import InterfaceError, OperationalError
from django.db.backends.base.base import BaseDatabaseWrapper

from tests.conftest import tasks_url

pytestmark = pytest.mark.django_db


@pytest.fixture
def database_down(monkeypatch):
    """Every attempt to use the database fails as a refused connection does."""

    def refuse(self):
        raise OperationalError('connection to server at "127.0.0.1", port 5432 failed: Connection refused')

    def turn_on():
        monkeypatch.setattr(BaseDatabaseWrapper, "ensure_connection", refuse)

    return turn_on


def assert_unavailable(response) -> None:
    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE, response.content
    assert response["Content-Type"] == "application/json"
    assert int(response["Retry-After"]) > 0
    assert "database is unavailable" in response.json()["detail"].lower()


def test_an_api_request_gets_a_json_503_with_retry_after(alice_client, database_down):
    alice_client.get(tasks_url())  # authenticated once while the database was up
    database_down()

    assert_unavailable(alice_client.get(tasks_url()))
    assert_unavailable(alice_client.post(tasks_url(), {"title": "lost?"}, format="json"))


def test_a_plain_django_view_gets_the_same_503(alice, client, database_down):
    client.force_login(alice)
    database_down()

    assert_unavailable(client.get("/admin/"))


def test_readyz_is_unavailable_meanwhile(anon_client, database_down):
    database_down()

    response = anon_client.get("/readyz")

    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert "database" in response.json()["detail"].lower()


def test_a_dropped_connection_is_a_503_too(alice_client, monkeypatch):
    def dropped(self):
        raise InterfaceError("the connection is lost")

    monkeypatch.setattr(BaseDatabaseWrapper, "ensure_connection", dropped)

    assert_unavailable(alice_client.get(tasks_url()))


def test_other_errors_are_still_a_500(alice_client, monkeypatch):
    from tasks.api import viewsets as views

    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(views.TaskViewSet, "list", broken)
    alice_client.raise_request_exception = False

    response = alice_client.get(tasks_url())

    assert response.status_code == HTTPStatus.INTERNAL_SERVER_ERROR
    assert response.json() == {"detail": "Server error."}


def test_every_operation_documents_the_503(anon_client):
    schema = anon_client.get("/api/schema", {"format": "json"}).json()

    operations = [op for path in schema["paths"].values() for op in path.values() if "responses" in op]
    assert operations
    for operation in operations:
        assert "503" in operation["responses"], operation["operationId"]
