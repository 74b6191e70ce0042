"""A task's own fields: title, description, priority, tags, due_at and completed_at."""

from http import HTTPStatus

import pytest

from tasks.identity.principal import principal_id
from tasks.models import Tag, Task
from tests.conftest import tasks_url

pytestmark = pytest.mark.django_db


@pytest.fixture
def create(alice_client):
    def post(**body):
        return alice_client.post(tasks_url(), {"title": "A task", **body}, format="json")

    return post


def test_title_is_trimmed(create):
    response = create(title="  Buy milk \n")

    assert response.status_code == HTTPStatus.CREATED
    assert response.json()["title"] == "Buy milk"


@pytest.mark.parametrize(
    ("title", "status"),
    [
        ("x" * 255, HTTPStatus.CREATED),
        ("  " + "x" * 255 + "  ", HTTPStatus.CREATED),
        ("x" * 256, HTTPStatus.BAD_REQUEST),
        ("", HTTPStatus.BAD_REQUEST),
        ("   ", HTTPStatus.BAD_REQUEST),
        (None, HTTPStatus.BAD_REQUEST),
    ],
)
def test_title_has_1_to_255_characters_after_trimming(create, title, status):
    response = create(title=title)

    assert response.status_code == status
    if status == HTTPStatus.BAD_REQUEST:
        assert response.json()["detail"].startswith("title: ")
        assert not Task.objects.exists()


def test_a_task_without_a_title_is_refused(alice_client):
    response = alice_client.post(tasks_url(), {"description": "no title"}, format="json")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "title" in response.json()["errors"]


def test_description_holds_up_to_10000_characters(create):
    assert create(description="d" * 10_000).status_code == HTTPStatus.CREATED

    response = create(description="d" * 10_001)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["detail"].startswith("description: ")
    assert Task.objects.count() == 1


def test_priority_defaults_to_none_and_travels_as_a_name(alice, create):
    assert create().json()["priority"] == "none"

    response = create(priority="high")

    assert response.json()["priority"] == "high"
    assert Task.objects.get(pk=response.json()["id"]).priority == 3


@pytest.mark.parametrize("priority", ["urgent", "HIGH", 3, "", None])
def test_unknown_priority_is_refused(create, priority):
    response = create(priority=priority)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["detail"].startswith("priority: ")


def test_tags_are_trimmed_deduplicated_and_listed_by_name(alice, create):
    response = create(tags=["work", " home ", "work", "home"])

    assert response.status_code == HTTPStatus.CREATED
    assert response.json()["tags"] == ["home", "work"]
    assert Tag.objects.filter(user_id=principal_id(alice)).count() == 2


@pytest.mark.parametrize(
    "tags",
    [["x" * 51], [""], ["  "], [None], "work", [f"t{i}" for i in range(21)], [{"name": "work"}]],
    ids=["too-long", "empty", "blank", "null", "not-a-list", "too-many", "not-a-string"],
)
def test_bad_tags_are_refused_and_nothing_is_written(create, tags):
    response = create(tags=tags)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["detail"].startswith("tags")
    assert not Task.objects.exists()
    assert not Tag.objects.exists()


def test_patch_replaces_tags_and_an_empty_list_clears_them(alice_client, create):
    task_id = create(tags=["a", "b"]).json()["id"]

    replaced = alice_client.patch(tasks_url("me", task_id), {"tags": ["c"]}, format="json")
    untouched = alice_client.patch(tasks_url("me", task_id), {"title": "Renamed"}, format="json")
    cleared = alice_client.patch(tasks_url("me", task_id), {"tags": []}, format="json")

    assert replaced.json()["tags"] == ["c"]
    assert untouched.json()["tags"] == ["c"]
    assert cleared.json()["tags"] == []


def test_due_at_with_an_offset_is_returned_in_utc(create):
    response = create(due_at="2030-01-31T17:30:00+02:00")

    assert response.status_code == HTTPStatus.CREATED
    assert response.json()["due_at"] == "2030-01-31T15:30:00Z"


@pytest.mark.parametrize("due_at", ["2030-01-31T17:30:00", "2030-01-31", "tomorrow", "2030-13-01T00:00:00Z"])
def test_due_at_without_an_offset_or_unreadable_is_refused(create, due_at):
    response = create(due_at=due_at)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["detail"].startswith("due_at: ")


def test_due_at_can_be_cleared_with_null(alice_client, create):
    task_id = create(due_at="2030-01-31T17:30:00Z").json()["id"]

    response = alice_client.patch(tasks_url("me", task_id), {"due_at": None}, format="json")

    assert response.json()["due_at"] is None


@pytest.mark.parametrize("method", ["put", "patch"])
def test_completed_at_is_stamped_on_completion_and_cleared_on_reopen(alice_client, create, method):
    task_id = create().json()["id"]
    send = getattr(alice_client, method)
    url = tasks_url("me", task_id)

    done = send(url, {"completed": True}, format="json").json()
    again = send(url, {"completed": True}, format="json").json()
    reopened = send(url, {"completed": False}, format="json").json()

    assert done["completed_at"] is not None
    assert done["completed_at"].endswith("Z")
    assert again["completed_at"] == done["completed_at"]
    assert reopened["completed_at"] is None
    assert Task.objects.get(pk=task_id).completed_at is None


def test_creating_a_completed_task_stamps_completed_at(create):
    body = create(completed=True).json()

    assert body["completed"] is True
    assert body["completed_at"] is not None


def test_read_only_fields_sent_by_a_client_are_ignored(alice, alice_client, bob):
    response = alice_client.post(
        tasks_url(),
        {
            "title": "Mine",
            "user_id": principal_id(bob),
            "completed_at": "2020-01-01T00:00:00Z",
            "created_at": "2020-01-01T00:00:00Z",
        },
        format="json",
    )

    body = response.json()
    assert body["user_id"] == principal_id(alice)
    assert body["completed_at"] is None
    assert not body["created_at"].startswith("2020")


def test_bob_cannot_set_fields_on_alices_task(alice, bob_client, make_task):
    task = make_task(alice, priority=0)

    response = bob_client.patch(tasks_url("me", task.pk), {"priority": "high"}, format="json")

    assert response.status_code == HTTPStatus.NOT_FOUND
    task.refresh_from_db()
    assert task.priority == 0


def test_a_due_time_from_the_browsable_apis_form_is_taken_as_utc(alice, client):
    client.force_login(alice)

    response = client.post(
        tasks_url("me"),
        {"title": "From the form", "due_at": "2026-12-01T17:00"},
        HTTP_ACCEPT="application/json",
    )

    assert response.status_code == HTTPStatus.CREATED
    assert response.json()["due_at"] == "2026-12-01T17:00:00Z"
