"""Concurrent completions of one recurring task create exactly one next occurrence
(PostgreSQL: real concurrent writers)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from django.db import connection, connections

from tasks.data.store import TaskStore
from tasks.models import Task
from tests.conftest import CAROL_ID
from tests.test_store_races import other_connection

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent writers (PostgreSQL)"),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def waiting_for_locks(watcher, count: int) -> None:
    """Block until `count` other backends wait on a lock (no clock involved)."""
    while watcher.execute("SELECT count(*) FROM pg_locks WHERE NOT granted").fetchone()[0] < count:
        pass


@pytest.mark.parametrize("completed", [True, None], ids=["complete", "toggle"])
def test_two_completions_at_once_create_one_next_occurrence(completed):
    store = TaskStore(CAROL_ID)
    task = store.create(
        title="Water the plants",
        due_at=datetime(2027, 1, 31, 8, tzinfo=UTC),
        recurrence="monthly",
        tag_names=["home"],
    )
    results: list = []
    errors: list[BaseException] = []

    def complete() -> None:
        try:
            results.append(TaskStore(CAROL_ID).completion(task.pk, completed))
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)
        finally:
            connections.close_all()

    with other_connection() as holder, other_connection() as watcher:
        watcher.autocommit = True
        # Both completions start while another transaction holds the row.
        holder.execute("SELECT 1 FROM tasks_task WHERE id = %s FOR UPDATE", [task.pk])
        threads = [threading.Thread(target=complete) for _ in range(2)]
        for thread in threads:
            thread.start()
        waiting_for_locks(watcher, 2)
        holder.commit()
        for thread in threads:
            thread.join()

    assert errors == []
    following = Task.objects.filter(follows=task.pk)
    assert following.count() == 1
    assert Task.objects.count() == 2
    if completed:
        # Both answers name the one next occurrence.
        assert {str(next_task.pk) for _, next_task in results} == {str(following.get().pk)}
    else:
        # One toggle completed it, the other reopened it: one next occurrence all the same.
        assert sorted(task.completed for task, _ in results) == [False, True]


def test_completions_racing_with_toggles_keep_one_next_occurrence():
    store = TaskStore(CAROL_ID)
    task = store.create(title="Stretch", due_at=datetime(2027, 1, 1, 7, tzinfo=UTC), recurrence="daily")
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def work(completed: bool | None) -> None:
        try:
            start.wait()
            for _ in range(10):
                TaskStore(CAROL_ID).completion(task.pk, completed)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(value,)) for value in (True, None, True, None)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert Task.objects.filter(follows=task.pk).count() == 1
    assert Task.objects.count() == 2
