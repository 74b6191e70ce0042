"""Setting a task's completion to what it already is changes nothing at all: the same
ETag and `updated_at`, no new version for sync, and still one statement."""

from http import HTTPStatus

import pytest
from django.core import signing
from django.db import connection

from tasks.data.sync import TOKEN_SALT
from tasks.models import Task
from tests.conftest import tasks_url

# Each request commits on its own, as sync sees it in production.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def task(alice, make_task) -> Task:
    return make_task(alice, title="Water the plants")


def complete(client, task, body=None):
    return client.patch(tasks_url("me", task.pk, "/complete"), body, format="json")


@pytest.mark.parametrize("state", [True, False])
@pytest.mark.parametrize("how", ["complete", "patch"])
def test_repeating_a_state_is_a_no_op(alice_client, task, state, how):
    def send():
        if how == "complete":
            return complete(alice_client, task, {"completed": state})
        return alice_client.patch(tasks_url("me", task.pk), {"completed": state}, format="json")

    if not state:
        complete(alice_client, task, {"completed": True})
    first = send()
    version = Task.objects.get(pk=task.pk).change_seq

    second = send()

    assert first.status_code == second.status_code == HTTPStatus.OK
    assert second["ETag"] == first["ETag"]
    assert second.json() == first.json()
    assert Task.objects.get(pk=task.pk).change_seq == version


def test_a_repeated_completion_is_not_sent_again_by_sync(alice_client, task):
    complete(alice_client, task, {"completed": True})
    stamped = Task.objects.get(pk=task.pk).change_seq
    token = alice_client.get(tasks_url(suffix="/sync")).json()["next"]

    complete(alice_client, task, {"completed": True})
    delta = alice_client.get(tasks_url(suffix="/sync"), {"since": token}).json()

    # Sync sends the tasks stamped at or after the token: this one keeps its stamp. (On
    # PostgreSQL the token is held back by any transaction open anywhere on the server,
    # so it may re-send; it never misses.)
    assert Task.objects.get(pk=task.pk).change_seq == stamped
    if connection.vendor == "sqlite":
        assert delta["changed"] == []
        assert stamped < signing.loads(token, salt=TOKEN_SALT)


def test_a_real_change_still_moves_the_version(alice_client, task):
    first = complete(alice_client, task, {"completed": True})

    reopened = complete(alice_client, task, {"completed": False})
    toggled = complete(alice_client, task)

    assert len({first["ETag"], reopened["ETag"], toggled["ETag"]}) == 3
    assert reopened.json()["updated_at"] > first.json()["updated_at"]


def test_a_repeated_state_of_a_missing_task_is_still_a_404(alice_client):
    response = alice_client.patch(
        tasks_url("me", "00000000-0000-0000-0000-000000000000", "/complete"),
        {"completed": True},
        format="json",
    )

    assert response.status_code == HTTPStatus.NOT_FOUND
