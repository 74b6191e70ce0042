"""A task's reminder fires once, when its `remind_at` comes: one `task.reminder_due`
event with the task as the API shows it. Moved, it fires at the new time only; cleared,
completed or deleted, never. Firing changes nothing of the task itself. (The worker's
job calls `fire_due` every second; here the tests call it, with the clock they choose.)"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from uuid import UUID

import pytest

from events.feed import events_after
from events.models import Event
from tasks.data import reminders
from tasks.data.store import TaskStore
from tasks.models import REMINDER_PENDING
from tests.conftest import CAROL_ID, tasks_url

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("events_at_once")]

DINA, ERIK = "idp|dina", "idp|erik"
NOON = datetime(2031, 3, 14, 12, 0, tzinfo=UTC)
SECOND = timedelta(seconds=1)


def reminded(user_id: str) -> list[dict]:
    return [event for event in events_after(user_id) if event["type"] == "task.reminder_due"]


def test_a_reminder_fires_when_its_time_comes_and_only_then():
    task = TaskStore(DINA).create(title="Call the dentist", remind_at=NOON)

    assert reminders.fire_due(now=NOON - SECOND) == 0
    assert reminded(DINA) == []

    assert reminders.fire_due(now=NOON) == 1
    assert [event["task_id"] for event in reminded(DINA)] == [str(task.pk)]


def test_a_reminder_fires_once_however_often_the_worker_looks():
    TaskStore(DINA).create(title="Once", remind_at=NOON)

    fired = [reminders.fire_due(now=NOON + n * SECOND) for n in range(5)]

    assert fired == [1, 0, 0, 0, 0]
    assert len(reminded(DINA)) == 1


def test_the_event_carries_the_task_as_the_api_shows_it(carol_client):
    created = carol_client.post(
        tasks_url(),
        {"title": "Renew passport", "tags": ["admin"], "remind_at": "2031-03-14T12:00:00Z"},
        format="json",
    ).json()

    reminders.fire_due(now=NOON)

    (event,) = reminded(CAROL_ID)
    shown = carol_client.get(tasks_url("me", created["id"])).json()
    assert event["task"] == shown
    assert (event["user_id"], event["task_id"]) == (CAROL_ID, created["id"])
    row = Event.objects.get(id=event["id"])
    assert (row.type, row.aggregateid) == ("task.reminder_due", created["id"])


def test_firing_is_no_change_of_the_task(carol_client):
    created = carol_client.post(
        tasks_url(), {"title": "Water plants", "remind_at": "2031-03-14T12:00:00Z"}, format="json"
    )
    url = tasks_url("me", created.json()["id"])

    reminders.fire_due(now=NOON)

    after = carol_client.get(url)
    assert after["ETag"] == created["ETag"]
    assert after.json()["updated_at"] == created.json()["updated_at"]


def test_a_reminder_moved_before_it_fired_fires_at_the_new_time_only():
    store = TaskStore(DINA)
    task = store.create(title="Moved", remind_at=NOON)
    store.update(task.pk, remind_at=NOON + timedelta(hours=1))

    assert reminders.fire_due(now=NOON + timedelta(minutes=59)) == 0
    assert reminders.fire_due(now=NOON + timedelta(hours=1)) == 1
    assert reminders.fire_due(now=NOON + timedelta(hours=2)) == 0
    (event,) = reminded(DINA)
    assert event["task"]["remind_at"] == "2031-03-14T13:00:00Z"


def test_a_reminder_moved_after_it_fired_fires_again_at_the_new_time():
    store = TaskStore(DINA)
    task = store.create(title="Snoozed", remind_at=NOON)
    reminders.fire_due(now=NOON)
    store.update(task.pk, remind_at=NOON + timedelta(minutes=10))

    assert reminders.fire_due(now=NOON + timedelta(minutes=5)) == 0
    assert reminders.fire_due(now=NOON + timedelta(minutes=10)) == 1
    assert [event["task"]["remind_at"] for event in reminded(DINA)] == [
        "2031-03-14T12:00:00Z",
        "2031-03-14T12:10:00Z",
    ]


@pytest.mark.parametrize(
    "undo",
    [
        pytest.param(lambda store, task: store.update(task.pk, remind_at=None), id="cleared"),
        pytest.param(lambda store, task: store.set_completion(task.pk, True), id="completed"),
        pytest.param(lambda store, task: store.delete(task.pk), id="deleted"),
    ],
)
def test_a_cleared_completed_or_deleted_reminder_never_fires(undo):
    store = TaskStore(DINA)
    task = store.create(title="Never mind", remind_at=NOON)
    undo(store, task)

    assert reminders.fire_due(now=NOON + timedelta(days=365)) == 0
    assert reminded(DINA) == []


def test_a_task_created_already_completed_never_reminds():
    TaskStore(DINA).create(title="Done already", remind_at=NOON, completed=True)

    assert reminders.fire_due(now=NOON) == 0


def test_a_reminder_missed_while_no_worker_ran_fires_late_not_never():
    TaskStore(DINA).create(title="While the worker was down", remind_at=NOON)

    assert reminders.fire_due(now=NOON + timedelta(hours=6)) == 1


def test_the_earliest_fire_first_in_batches():
    store = TaskStore(DINA)
    late = store.create(title="Late", remind_at=NOON)
    early = store.create(title="Early", remind_at=NOON - timedelta(minutes=2))
    middle = store.create(title="Middle", remind_at=NOON - timedelta(minutes=1))

    assert reminders.fire_due(now=NOON, limit=2) == 2
    # The batch is the two earliest; within one statement the rows' order is the database's.
    assert {event["task_id"] for event in reminded(DINA)} == {str(early.pk), str(middle.pk)}
    assert reminders.fire_due(now=NOON, limit=2) == 1
    assert [event["task_id"] for event in reminded(DINA)][-1] == str(late.pk)


def test_each_owner_gets_their_own_reminders_only():
    dina = TaskStore(DINA).create(title="Dina's", remind_at=NOON)
    erik = TaskStore(ERIK).create(title="Erik's", remind_at=NOON)
    TaskStore(ERIK).create(title="Erik's later", remind_at=NOON + timedelta(hours=1))

    assert reminders.fire_due(now=NOON) == 2

    assert [event["task_id"] for event in reminded(DINA)] == [str(dina.pk)]
    assert [event["task_id"] for event in reminded(ERIK)] == [str(erik.pk)]


def test_the_api_can_move_and_clear_a_reminder(carol_client):
    task = carol_client.post(
        tasks_url(), {"title": "Via the API", "remind_at": "2031-03-14T12:00:00Z"}, format="json"
    ).json()
    url = tasks_url("me", task["id"])
    moved = carol_client.patch(url, {"remind_at": "2031-03-14T12:30:00+00:00"}, format="json")
    assert moved.status_code == HTTPStatus.OK

    assert reminders.fire_due(now=NOON) == 0
    assert reminders.fire_due(now=NOON + timedelta(minutes=30)) == 1

    carol_client.patch(url, {"remind_at": "2031-03-14T13:00:00Z"}, format="json")
    carol_client.patch(url, {"remind_at": None}, format="json")
    assert reminders.fire_due(now=NOON + timedelta(hours=2)) == 0


def test_the_claim_finds_the_rows_the_models_condition_names():
    """The worker's hand-written condition and tasks.models.REMINDER_PENDING (the partial
    index's) say the same thing, on rows of every kind."""
    store = TaskStore(DINA)
    fired = store.create(title="Fired", remind_at=NOON - timedelta(hours=2))
    snoozed = store.create(title="Fired, then snoozed", remind_at=NOON - timedelta(hours=2))
    reminders.fire_due(now=NOON - timedelta(hours=1))
    store.update(snoozed.pk, remind_at=NOON - timedelta(minutes=1))
    due = store.create(title="Due", remind_at=NOON - SECOND)
    store.create(title="Not yet", remind_at=NOON + SECOND)
    store.create(title="No reminder")
    store.create(title="Done", remind_at=NOON - SECOND, completed=True)
    already = len(reminded(DINA))

    pending = set(store.tasks().filter(REMINDER_PENDING, remind_at__lte=NOON).values_list("pk", flat=True))
    assert reminders.fire_due(now=NOON) == 2

    assert pending == {snoozed.pk, due.pk}
    assert {UUID(event["task_id"]) for event in reminded(DINA)[already:]} == pending
    assert fired.pk not in pending
