"""On PostgreSQL, workers firing reminders at the same moment fire each once, and the
worker's look for due reminders reads the partial index, however many tasks have
reminders that fired long ago."""

from __future__ import annotations

import re
import threading
from collections import Counter
from datetime import timedelta

import pytest
from django.db import OperationalError, connection, connections
from django.utils import timezone

from events.models import Event
from tasks.data import reminders
from tasks.data.store import TaskStore

pytestmark = [pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent workers (PostgreSQL)")]

USERS = [f"idp|racer-{n}" for n in range(20)]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("firing_lock", ["taken", "skipped"])
def test_four_workers_firing_at_once_fire_each_reminder_once(firing_lock, monkeypatch):
    """Also without the lock that lets one worker at a time fire (which only spares them
    deadlocks on their owners' event locks): the claim's condition alone fires each once."""
    if firing_lock == "skipped":
        monkeypatch.setattr(reminders, "_firing_lock", lambda: True)
    due = timezone.now() - timedelta(seconds=1)
    tasks = [
        TaskStore(user_id).create(title=f"r{n}", remind_at=due - timedelta(milliseconds=n))
        for n in range(15)
        for user_id in USERS
    ]
    start = threading.Barrier(4)
    fired: list[int] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            start.wait()
            while True:
                # Small batches, so that the workers' turns interleave.
                try:
                    batch = reminders.fire_due(limit=7)
                except OperationalError as exc:
                    if "deadlock" not in str(exc):
                        raise
                    batch = 0  # rolled back whole: its reminders are still due
                fired.append(batch)
                if batch == 0 and not reminders_left():
                    return
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert sum(fired) == len(tasks)
    per_task = Counter(Event.objects.filter(type="task.reminder_due").values_list("aggregateid", flat=True))
    assert per_task == {str(task.pk): 1 for task in tasks}


def reminders_left() -> bool:
    from tasks.models import REMINDER_PENDING, Task

    return Task.objects.filter(REMINDER_PENDING, remind_at__lte=timezone.now()).exists()


@pytest.mark.django_db
def test_looking_for_due_reminders_reads_only_the_pending_ones_index():
    now = timezone.now()
    with connection.cursor() as cursor:
        # 20,000 tasks whose reminders fired, 20,000 without one, 50 due.
        cursor.execute(
            "INSERT INTO tasks_task (id, user_id, title, completed, priority, tag_names, created_at, "
            "updated_at, remind_at, reminded_at) SELECT gen_random_uuid(), 'plan-' || mod(n, 100), "
            "'t', false, 0, '[]', now(), now(), r, CASE WHEN n <= 20000 THEN r END "
            "FROM generate_series(1, 40050) n, LATERAL (SELECT CASE WHEN n <= 20000 OR n > 40000 "
            "THEN %s - n * interval '1 second' END AS r) at",
            [now],
        )
        cursor.execute("ANALYZE tasks_task")
        sql, params = reminders.claim_sql(now=now, limit=reminders.BATCH)
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())

    assert re.search(r"Index Scan using task_reminder_pending", plan), plan
    assert "Seq Scan" not in plan, plan
