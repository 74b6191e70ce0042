"""Real worker processes (the Procfile's `worker:`) fire reminders: each once, with two
workers at once; a moved one at its new time only; a cleared, completed or deleted one
never; and once still when the worker firing it is killed mid-run. Each reaches a real
webhook receiver as any event does.

No test waits for a time to pass: a "sentinel" reminder due after the others shows the
workers have looked again since, so a second firing would have happened by then."""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime, timedelta

import psycopg
import pytest
from django.db import connection  # noqa: F401 - read by the skipif condition
from django.utils import timezone

from events.models import Event, WebhookSubscription
from events.webhooks import new_secret
from tasks.data.store import TaskStore
from tasks.models import Task
from tests.e2e.servers import served_database_url
from tests.e2e.workers import receiver, wait_until, workers

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif("connection.vendor != 'postgresql'", reason="worker processes share the database"),
]

USERS = ["idp|ines", "idp|jonas", "idp|kemal", "idp|lea"]
FAST = {"WEBHOOK_ALLOW_PRIVATE": "1", "WEBHOOK_RETRY_BASE_SECONDS": "0.2", "WEBHOOK_LEASE_SECONDS": "2"}


def subscribe(url: str, user_id: str) -> None:
    WebhookSubscription.objects.create(
        user_id=user_id, url=url, events=["task.reminder_due"], secret=new_secret()
    )


def soon(seconds: float) -> datetime:
    return timezone.now() + timedelta(seconds=seconds)


def reminders_of(requests: list[dict]) -> Counter:
    """Task id -> how many reminder events the receiver got for it."""
    return Counter(json.loads(request["body"])["task_id"] for request in requests)


def has_task(task_id: str):
    return lambda requests: task_id in reminders_of(requests)


def recorded() -> Counter:
    return Counter(Event.objects.filter(type="task.reminder_due").values_list("aggregateid", flat=True))


def test_two_workers_fire_each_reminder_once_at_or_after_its_time():
    with receiver() as hooks, workers(2, **FAST):
        for user_id in USERS:
            subscribe(hooks.url, user_id)
        due = soon(2)
        tasks = [
            TaskStore(user_id).create(title=f"Reminder {n}", remind_at=due + timedelta(milliseconds=20 * n))
            for n in range(10)
            for user_id in USERS
        ]
        sentinel = TaskStore(USERS[0]).create(title="Sentinel", remind_at=due + timedelta(seconds=2))

        got = hooks.wait_for(has_task(str(sentinel.pk)), what="the sentinel's reminder")
        hooks.wait_for(lambda requests: len(requests) >= len(tasks) + 1, what="every reminder")

    expected = {str(task.pk): 1 for task in [*tasks, sentinel]}
    assert reminders_of(hooks.requests) == expected
    assert recorded() == expected
    assert len({request["headers"]["webhook-id"] for request in got}) == len(got)
    for event in Event.objects.filter(type="task.reminder_due"):
        assert event.occurred_at >= datetime.fromisoformat(event.payload["task"]["remind_at"])


def test_moved_fires_at_the_new_time_only_and_cleared_completed_deleted_never():
    store = TaskStore(USERS[1])
    with receiver() as hooks, workers(2, **FAST):
        subscribe(hooks.url, USERS[1])
        first = soon(3)
        moved = store.create(title="Moved", remind_at=first)
        cleared = store.create(title="Cleared", remind_at=first)
        completed = store.create(title="Completed", remind_at=first)
        deleted = store.create(title="Deleted", remind_at=first)
        store.update(moved.pk, remind_at=first + timedelta(seconds=2))
        store.update(cleared.pk, remind_at=None)
        store.set_completion(completed.pk, True)
        store.delete(deleted.pk)
        sentinel = store.create(title="Sentinel", remind_at=first + timedelta(seconds=3))

        hooks.wait_for(has_task(str(sentinel.pk)), what="the sentinel's reminder")

    assert reminders_of(hooks.requests) == {str(moved.pk): 1, str(sentinel.pk): 1}
    event = Event.objects.get(type="task.reminder_due", aggregateid=str(moved.pk))
    new_time = first + timedelta(seconds=2)
    assert event.payload["task"]["remind_at"] == new_time.isoformat().replace("+00:00", "Z")
    assert event.occurred_at >= new_time


@pytest.mark.parametrize("dead_transaction", ["rolled back", "committed"])
def test_a_worker_killed_while_firing_leaves_exactly_one_reminder(dead_transaction):
    """The firing worker is stopped mid-transaction: its reminder marked and its event
    written but not committed (held at commit by the owner's event lock, which this test
    takes). Killed there, its transaction either rolls back (the database noticed the
    dead client) and another worker fires the reminder, or commits once the lock is free;
    either way the reminder fires once."""
    owner = USERS[2]
    store = TaskStore(owner)
    with receiver() as hooks:
        subscribe(hooks.url, owner)
        task = store.create(title="Survives a crash", remind_at=soon(1.5))
        with owners_event_lock(owner) as lock:
            with workers(1, **FAST) as (doomed,):
                orphan = lock.wait_for_a_waiter()
                doomed.kill()
            assert recorded() == {}
            if dead_transaction == "rolled back":
                lock.terminate(orphan)
                assert Task.objects.get(pk=task.pk).reminded_at is None
            with workers(2, **FAST):
                lock.release()
                sentinel = store.create(title="Sentinel", remind_at=soon(1))
                hooks.wait_for(has_task(str(sentinel.pk)), what="the sentinel's reminder")
                wait_until(lambda: str(task.pk) in recorded(), what="the reminder recorded")

    assert recorded() == {str(task.pk): 1, str(sentinel.pk): 1}
    assert reminders_of(hooks.requests) == {str(task.pk): 1, str(sentinel.pk): 1}


class owners_event_lock:
    """Holds a user's event lock (events.outbox_sql) in an open transaction of its own
    connection (also through a transaction-mode pooler), so that the commit of any
    transaction with an event of theirs waits."""

    def __init__(self, user_id: str) -> None:
        self.user_id = user_id

    def __enter__(self) -> owners_event_lock:
        self.connection = psycopg.connect(served_database_url(), prepare_threshold=None)
        self.connection.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [f"events:{self.user_id}"]
        )
        return self

    def wait_for_a_waiter(self) -> int:
        """The backend of the first transaction that waits for the lock."""
        waiting: list[int] = []

        def found() -> bool:
            with psycopg.connect(served_database_url(), autocommit=True, prepare_threshold=None) as probe:
                waiting[:] = [
                    row[0]
                    for row in probe.execute(
                        "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
                        "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
                    )
                ]
            return bool(waiting)

        wait_until(found, what="a worker's commit waiting for the owner's event lock")
        return waiting[0]

    def terminate(self, pid: int) -> None:
        with psycopg.connect(served_database_url(), autocommit=True, prepare_threshold=None) as probe:
            probe.execute("SELECT pg_terminate_backend(%s, 5000)", [pid])

    def release(self) -> None:
        if not self.connection.closed:
            self.connection.commit()
            self.connection.close()

    def __exit__(self, *exc) -> None:
        self.release()
