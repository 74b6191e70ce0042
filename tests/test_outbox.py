"""Every change of a task records its event, in the same statement, whoever writes it:
the REST API, MCP, the admin's ORM saves, clear-completed. The event's `task` is the
task exactly as the REST API shows it; a change that rolls back leaves no event; a
change that repeats the task's state leaves none either."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.db import connection, transaction

from events.feed import events_after
from events.models import Event
from tasks.data import staff
from tasks.data.store import TaskStore
from tasks.identity.principal import principal_id
from tasks.models import Task
from tests.conftest import CAROL_ID, tasks_url
from tests.test_mcp_tools import ok

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("events_at_once")]


def kinds(user_id: str) -> list[str]:
    return [event["type"] for event in events_after(user_id)]


def test_each_api_change_records_its_event_with_the_task_as_the_api_shows_it(carol_client):
    created = carol_client.post(
        tasks_url(),
        {
            "title": "Water the plants",
            "tags": ["home", "garden"],
            "priority": "high",
            "due_at": "2026-12-01T17:00:00Z",
        },
        format="json",
    ).json()
    url = tasks_url("me", created["id"])
    updated = carol_client.patch(url, {"description": "Twice a week"}, format="json").json()
    completed = carol_client.patch(url + "/complete", {"completed": True}, format="json").json()
    reopened = carol_client.patch(url + "/complete", format="json").json()
    # A completion's answer has one more key: the next occurrence of a recurring task.
    assert completed.pop("next_task") is None and reopened.pop("next_task") is None
    assert carol_client.delete(url).status_code == HTTPStatus.NO_CONTENT

    events = events_after(CAROL_ID)

    assert [event["type"] for event in events] == [
        "task.created",
        "task.updated",
        "task.completed",
        "task.reopened",
        "task.deleted",
    ]
    assert [event["task"] for event in events] == [created, updated, completed, reopened, None]
    assert {event["task_id"] for event in events} == {created["id"]}
    assert {event["user_id"] for event in events} == {CAROL_ID}
    ids = [event["id"] for event in events]
    assert ids == sorted(set(ids))
    assert all(event["occurred_at"].endswith("Z") for event in events)


def test_the_event_row_carries_the_outbox_columns_a_cdc_router_reads(carol_client):
    task = carol_client.post(tasks_url(), {"title": "Call the bank"}, format="json").json()

    row = Event.objects.get()

    assert (row.aggregatetype, row.aggregateid, row.type) == ("task", task["id"], "task.created")
    assert row.payload["id"] == row.id
    assert row.user_id == CAROL_ID


def test_repeating_a_state_that_is_already_so_records_nothing(carol_client):
    task = carol_client.post(tasks_url(), {"title": "Pay rent", "priority": "low"}, format="json").json()
    url = tasks_url("me", task["id"])
    carol_client.patch(url + "/complete", {"completed": True}, format="json")

    carol_client.patch(url + "/complete", {"completed": True}, format="json")
    carol_client.patch(url, {"priority": "low", "title": "Pay rent"}, format="json")

    assert kinds(CAROL_ID) == ["task.created", "task.completed"]


def test_clear_completed_records_a_deletion_per_task(carol_client):
    store = TaskStore(CAROL_ID)
    done = [store.create(title=f"Done {n}", completed=True) for n in range(3)]
    store.create(title="Still open")

    assert carol_client.post(tasks_url(suffix="/clear-completed")).json() == {"deleted": 3}

    deletions = [event for event in events_after(CAROL_ID) if event["type"] == "task.deleted"]
    assert sorted(event["task_id"] for event in deletions) == sorted(str(task.pk) for task in done)
    assert all(event["task"] is None for event in deletions)


def test_the_admins_writes_record_events_too(alice, alice_client):
    owner = principal_id(alice)
    task = staff.save_task(
        Task(user_id=owner, title="Made in the admin"), owner=owner, changed=(), tag_names=[], adding=True
    )
    task.title = "Renamed in the admin"
    staff.save_task(task, owner=owner, changed=["title"], tag_names=[], adding=False)
    staff.set_completion(staff.all_tasks().filter(pk=task.pk), True)
    staff.delete_tasks(staff.all_tasks().filter(pk=task.pk))

    assert kinds(owner) == ["task.created", "task.updated", "task.completed", "task.deleted"]


def test_mcp_tools_record_events_through_the_same_data_path(carol_client):
    task_id = ok(carol_client, "add_task", title="Ask the assistant")["task_id"]
    ok(carol_client, "complete_task", task_id=task_id)

    events = events_after(CAROL_ID)

    assert [event["type"] for event in events] == ["task.created", "task.completed"]
    assert events[1]["task"] == carol_client.get(tasks_url("me", task_id)).json()


def test_a_rolled_back_change_leaves_no_event():
    store = TaskStore(CAROL_ID)
    kept = store.create(title="Kept")

    with pytest.raises(RuntimeError), transaction.atomic():
        store.create(title="Rolled back")
        store.set_completion(kept.pk, True)
        raise RuntimeError("the request failed after its writes")

    assert kinds(CAROL_ID) == ["task.created"]


def test_each_user_sees_only_their_own_events(alice, bob):
    TaskStore(principal_id(alice)).create(title="Alice's")
    TaskStore(principal_id(bob)).create(title="Bob's")

    assert [event["task"]["title"] for event in events_after(principal_id(alice))] == ["Alice's"]


def test_a_reader_resumes_after_the_last_id_it_saw():
    store = TaskStore(CAROL_ID)
    store.create(title="First")
    seen = events_after(CAROL_ID)
    store.create(title="Second")

    later = events_after(CAROL_ID, seen[-1]["id"])

    assert [event["task"]["title"] for event in later] == ["Second"]


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="the trigger names a PostgreSQL sequence")
def test_event_ids_come_from_the_event_tables_own_sequence():
    """The trigger names the sequence it was installed with (events.outbox_sql.install)."""
    TaskStore(CAROL_ID).create(title="Numbered")
    with connection.cursor() as cursor:
        cursor.execute("SELECT last_value FROM " + connection.ops.quote_name("events_event_id_seq"))
        (last,) = cursor.fetchone()
        cursor.execute("SELECT pg_get_serial_sequence('events_event', 'id')")
        (sequence,) = cursor.fetchone()

    assert sequence == "public.events_event_id_seq"
    assert Event.objects.get().id == last
