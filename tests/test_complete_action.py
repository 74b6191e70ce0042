"""`PATCH .../complete`: a body sets the state (idempotently), no body toggles it."""

from http import HTTPStatus

import pytest

from tasks.identity.principal import principal_id
from tasks.models import Task
from tests.conftest import tasks_url

pytestmark = pytest.mark.django_db


@pytest.fixture
def task(alice, make_task) -> Task:
    return make_task(alice, title="Water the plants")


@pytest.fixture
def complete_url(task) -> str:
    return tasks_url("me", task.pk, "/complete")


@pytest.mark.parametrize("state", [True, False])
def test_sending_a_state_sets_it_and_repeating_it_changes_nothing(alice_client, task, complete_url, state):
    if not state:
        alice_client.patch(complete_url, {"completed": True}, format="json")

    first = alice_client.patch(complete_url, {"completed": state}, format="json")
    second = alice_client.patch(complete_url, {"completed": state}, format="json")

    assert first.status_code == second.status_code == HTTPStatus.OK
    assert first.json()["completed"] is second.json()["completed"] is state
    assert first.json()["completed_at"] == second.json()["completed_at"]
    task.refresh_from_db()
    assert task.completed is state


def test_completing_stamps_completed_at_and_reopening_clears_it(alice_client, task, complete_url):
    done = alice_client.patch(complete_url, {"completed": True}, format="json").json()
    reopened = alice_client.patch(complete_url, {"completed": False}, format="json").json()

    assert done["completed_at"] is not None
    assert done["completed_at"] >= done["created_at"]
    assert reopened["completed_at"] is None


def test_an_empty_body_toggles_like_no_body(alice_client, task, complete_url):
    first = alice_client.patch(complete_url, {}, format="json")
    second = alice_client.patch(complete_url, {}, format="json")

    assert first.json()["completed"] is True
    assert first.json()["completed_at"] is not None
    assert second.json()["completed"] is False
    assert second.json()["completed_at"] is None


def test_completion_bumps_updated_at(alice_client, task, complete_url):
    before = alice_client.get(tasks_url("me", task.pk)).json()["updated_at"]

    after = alice_client.patch(complete_url).json()["updated_at"]

    assert after > before


def test_the_response_is_the_whole_task(alice_client, task, complete_url):
    body = alice_client.patch(complete_url).json()

    assert body["id"] == str(task.pk)
    assert body["title"] == "Water the plants"
    assert {"priority", "tags", "due_at", "completed_at"} <= body.keys()


@pytest.mark.parametrize(
    "body",
    [{"completed": "maybe"}, {"completed": None}, {"completed": [True]}, [True], "true", [], "", 0, False],
    ids=[
        *["word", "null", "list-value", "list-body", "string-body"],
        *["empty-list", "empty-string", "zero", "false"],  # empty, but not an empty object
    ],
)
def test_a_bad_body_is_a_400_and_changes_nothing(alice_client, task, complete_url, body):
    response = alice_client.patch(complete_url, body, format="json")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["detail"]
    task.refresh_from_db()
    assert task.completed is False


def test_a_misspelt_key_is_refused_rather_than_toggling(alice_client, task, complete_url):
    response = alice_client.patch(complete_url, {"complete": True}, format="json")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["detail"].startswith("complete: ")
    task.refresh_from_db()
    assert task.completed is False


def test_malformed_json_is_a_400(alice_client, task, complete_url):
    response = alice_client.patch(complete_url, b"{completed:", content_type="application/json")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    task.refresh_from_db()
    assert task.completed is False


def test_bob_gets_404_completing_alices_task(bob_client, task):
    response = bob_client.patch(tasks_url("me", task.pk, "/complete"), {"completed": True}, format="json")

    assert response.status_code == HTTPStatus.NOT_FOUND
    task.refresh_from_db()
    assert task.completed is False


def test_bob_gets_403_on_alices_path(alice, bob_client, task):
    response = bob_client.patch(tasks_url(principal_id(alice), task.pk, "/complete"))

    assert response.status_code == HTTPStatus.FORBIDDEN
    task.refresh_from_db()
    assert task.completed is False
