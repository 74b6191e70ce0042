"""The earlier backend's six endpoints answer its clients exactly as before."""

from http import HTTPStatus
from uuid import UUID

import pytest

from tasks.identity.principal import principal_id
from tasks.models import Task
from tests.conftest import tasks_url

pytestmark = pytest.mark.django_db

SEED_FIELDS = {"id", "user_id", "title", "description", "completed", "created_at", "updated_at"}


def test_create_returns_201_and_the_task_with_the_seeds_fields(alice, alice_client):
    response = alice_client.post(tasks_url(principal_id(alice)), {"title": "Buy milk"}, format="json")

    assert response.status_code == HTTPStatus.CREATED
    body = response.json()
    assert body.keys() >= SEED_FIELDS
    assert UUID(body["id"])
    assert body["user_id"] == principal_id(alice)
    assert body["title"] == "Buy milk"
    assert body["description"] is None
    assert body["completed"] is False
    assert body["created_at"].endswith("Z")
    assert Task.objects.filter(pk=body["id"], user_id=principal_id(alice)).exists()


def test_list_is_a_bare_array_newest_first(alice, alice_client, make_task):
    older = make_task(alice, title="older")
    newer = make_task(alice, title="newer")

    response = alice_client.get(tasks_url(principal_id(alice)))

    assert response.status_code == HTTPStatus.OK
    assert [task["id"] for task in response.json()] == [str(newer.pk), str(older.pk)]


def test_get_returns_the_task(alice, alice_client, make_task):
    task = make_task(alice, title="Read", description="a book")

    response = alice_client.get(tasks_url(principal_id(alice), task.pk))

    assert response.status_code == HTTPStatus.OK
    assert response.json()["description"] == "a book"


def test_put_changes_only_the_fields_it_sends(alice, alice_client, make_task):
    task = make_task(alice, title="Keep me", description="old")

    response = alice_client.put(
        tasks_url(principal_id(alice), task.pk), {"description": "new"}, format="json"
    )

    assert response.status_code == HTTPStatus.OK
    task.refresh_from_db()
    assert (task.title, task.description) == ("Keep me", "new")
    assert response.json()["updated_at"] > response.json()["created_at"]


def test_delete_returns_204_with_an_empty_body(alice, alice_client, make_task):
    task = make_task(alice)

    response = alice_client.delete(tasks_url(principal_id(alice), task.pk))

    assert response.status_code == HTTPStatus.NO_CONTENT
    assert response.content == b""
    assert not Task.objects.filter(pk=task.pk).exists()


def test_patch_complete_without_a_body_toggles(alice, alice_client, make_task):
    task = make_task(alice)
    url = tasks_url(principal_id(alice), task.pk, "/complete")

    first = alice_client.patch(url)
    second = alice_client.patch(url)

    assert first.status_code == HTTPStatus.OK
    assert first.json()["completed"] is True
    assert second.json()["completed"] is False


@pytest.mark.parametrize("path", ["/api/{uid}/tasks", "/api/{uid}/tasks/"])
def test_paths_resolve_with_or_without_a_trailing_slash_and_never_redirect(alice, alice_client, path):
    response = alice_client.post(path.format(uid=principal_id(alice)), {"title": "x"}, format="json")

    assert response.status_code == HTTPStatus.CREATED


def test_missing_task_is_404_with_a_detail(alice, alice_client):
    response = alice_client.get(tasks_url(principal_id(alice), "00000000-0000-4000-8000-000000000000"))

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert response.json() == {"detail": "Task not found"}


def test_validation_error_has_detail_and_errors_per_field(alice, alice_client):
    response = alice_client.post(tasks_url(principal_id(alice)), {"title": "   "}, format="json")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json() == {
        "detail": "title: This field may not be blank.",
        "errors": {"title": ["This field may not be blank."]},
    }
