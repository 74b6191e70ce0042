"""The list endpoint's fast JSON path says exactly what TaskSerializer says."""

from datetime import UTC, datetime, timedelta, timezone
from http import HTTPStatus

import pytest

from tasks.api.serializers import TaskSerializer
from tasks.api.task_json import COLUMNS, task_as_json, task_row
from tasks.data.store import TaskStore
from tasks.identity.principal import principal_id
from tasks.models import Priority, Task
from tests.conftest import tasks_url

pytestmark = pytest.mark.django_db


@pytest.fixture
def varied_tasks(alice):
    owner = principal_id(alice)
    plus_five = timezone(timedelta(hours=5))
    TaskStore(owner).create(title="plain")
    TaskStore(owner).create(
        title='Ünïcode "quotes" and \\ slashes',
        description="long " * 100,
        priority=Priority.HIGH,
        tag_names=["work", "émoji 🎉", "a"],
        due_at=datetime(2027, 3, 1, 9, 30, tzinfo=plus_five),
    )
    TaskStore(owner).create(title="done", completed=True, priority=Priority.LOW)
    TaskStore(owner).create(
        title="whole second",
        description="",
        priority=Priority.MEDIUM,
        due_at=datetime(2027, 1, 1, tzinfo=UTC),
    )


def test_each_task_renders_as_the_serializer_renders_it(alice, varied_tasks):
    tasks = Task.objects.for_owner(principal_id(alice))

    expected = [dict(item) for item in TaskSerializer(tasks, many=True).data]

    assert [task_as_json(row) for row in tasks.values(*COLUMNS)] == expected
    assert [task_as_json(task_row(task)) for task in tasks] == expected


def test_the_list_endpoint_returns_what_the_serializer_returns_in_the_same_order(
    alice, alice_client, varied_tasks
):
    response = alice_client.get(tasks_url(principal_id(alice)))

    assert response.status_code == HTTPStatus.OK
    expected = TaskSerializer(Task.objects.for_owner(principal_id(alice)), many=True).data
    assert response.json() == [dict(item) for item in expected]
    assert len(response.json()) == 4


def test_the_browsable_api_still_renders_the_list_through_the_serializer(alice, varied_tasks, client):
    client.force_login(alice)

    response = client.get(tasks_url("me"), HTTP_ACCEPT="text/html")

    assert response.status_code == HTTPStatus.OK
    assert b"\\u00dcn\\u00efcode" in response.content or "Ünïcode".encode() in response.content
