"""The task endpoints' fast JSON path says exactly what TaskSerializer says, in the same bytes."""

import json
from datetime import UTC, datetime, timedelta, timezone
from http import HTTPStatus

import orjson
import pytest

from tasks.api.serializers import TaskSerializer
from tasks.api.task_json import COLUMNS, RENDER_OPTIONS, task_as_json, task_fields, task_row
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

    assert [task_as_json(row) for row in tasks.values_list(*COLUMNS)] == expected
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


def _as_drf_wrote_them(data) -> bytes:
    """The bytes of the JSON responses before orjson formatted timestamps and ids: every
    value a string made by task_as_json (DRF's spelling), then written by orjson."""
    return orjson.dumps(data)


def test_orjson_writes_the_timestamps_and_ids_as_the_strings_task_as_json_makes(alice, varied_tasks):
    rows = list(Task.objects.for_owner(principal_id(alice)).values_list(*COLUMNS))
    # one more row with microseconds that print with leading zeros and an offset of its own
    odd = dict(zip(COLUMNS, rows[0], strict=True))
    odd["due_at"] = datetime(2027, 5, 6, 7, 8, 9, 120, tzinfo=timezone(timedelta(hours=-3, minutes=-30)))
    odd["completed_at"] = datetime(2027, 5, 6, 7, 8, 9, 999999, tzinfo=UTC)
    rows.append(tuple(odd.values()))

    assert orjson.dumps([task_fields(row) for row in rows], option=RENDER_OPTIONS) == _as_drf_wrote_them(
        [task_as_json(row) for row in rows]
    )


def test_task_responses_are_byte_for_byte_what_they_were(alice, alice_client, varied_tasks):
    tasks = list(Task.objects.for_owner(principal_id(alice)))
    listed = alice_client.get(tasks_url("me"))
    one = alice_client.get(tasks_url("me", tasks[1].id))
    created = alice_client.post(
        tasks_url("me"), {"title": "new", "due_at": "2027-02-03T04:05:06.000007+02:00"}, format="json"
    )
    toggled = alice_client.patch(tasks_url("me", tasks[0].id, "/complete"))

    assert listed.content == _as_drf_wrote_them([task_as_json(task_row(task)) for task in tasks])
    assert one.content == _as_drf_wrote_them(task_as_json(task_row(tasks[1])))
    assert created.status_code == HTTPStatus.CREATED
    assert created.content == _as_drf_wrote_them(
        task_as_json(task_row(Task.objects.for_owner(principal_id(alice)).get(id=created.json()["id"])))
    )
    completed = task_as_json(task_row(Task.objects.get(id=tasks[0].id)))
    assert toggled.content == _as_drf_wrote_them({**completed, "next_task": None})


def test_indented_json_spells_timestamps_and_ids_as_compact_json_does(alice, alice_client, varied_tasks):
    compact = alice_client.get(tasks_url("me"))
    indented = alice_client.get(tasks_url("me"), HTTP_ACCEPT="application/json; indent=2")

    assert indented.status_code == HTTPStatus.OK
    assert b'\n  {\n    "id": "' in indented.content
    assert json.loads(indented.content) == json.loads(compact.content)


def test_a_replayed_write_answers_what_the_first_answered(alice_client):
    headers = {"HTTP_IDEMPOTENCY_KEY": "create-once"}
    body = {"title": "once", "due_at": "2027-02-03T04:05:06.5Z"}

    first = alice_client.post(tasks_url("me"), body, format="json", **headers)
    again = alice_client.post(tasks_url("me"), body, format="json", **headers)

    assert first.status_code == again.status_code == HTTPStatus.CREATED
    assert again["Idempotent-Replayed"] == "true"
    # (PostgreSQL's jsonb keeps the keys in an order of its own)
    assert again.json() == first.json()
    assert first.json()["due_at"] == again.json()["due_at"] == "2027-02-03T04:05:06.500000Z"
