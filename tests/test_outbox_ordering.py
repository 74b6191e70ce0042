"""A reader that resumes after the last event id it saw never misses one: concurrent
writers of one user commit their events in id order (PostgreSQL; SQLite's writers
take turns anyway)."""

from __future__ import annotations

import threading

import psycopg
import pytest
from django.db import connection, connections

from events.feed import events_after
from tasks.data.store import TaskStore

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif("connection.vendor != 'postgresql'", reason="concurrent writers need PostgreSQL"),
]

DANA, ERIN = "idp|dana", "idp|erin"


def raw_connection() -> psycopg.Connection:
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    return psycopg.connect(**params, autocommit=True)


def test_an_event_committed_after_a_reader_passed_a_later_one_still_comes_after_it():
    TaskStore(DANA).create(title="Before")
    with raw_connection() as slow:
        slow.execute("BEGIN")
        slow.execute("UPDATE tasks_task SET title = 'Slow edit' WHERE user_id = %s", [DANA])
        # Meanwhile another write of Dana's commits, and a reader passes its event.
        TaskStore(DANA).create(title="Quick")
        TaskStore(ERIN).create(title="Erin's")
        seen = events_after(DANA)
        assert [event["task"]["title"] for event in seen] == ["Before", "Quick"]
        slow.execute("COMMIT")

    later = events_after(DANA, seen[-1]["id"])
    assert [event["task"]["title"] for event in later] == ["Slow edit"]
    assert [event["type"] for event in events_after(ERIN)] == ["task.created"]


def test_a_reader_following_concurrent_writers_sees_every_event_once_in_order():
    writers, per_writer = 6, 15
    done = threading.Event()
    got: list[int] = []

    def write() -> None:
        try:
            store = TaskStore(DANA)
            for n in range(per_writer):
                task = store.create(title=f"Task {n}")
                store.set_completion(task.pk, True)
        finally:
            connections.close_all()

    def read() -> None:
        try:
            after = 0
            while True:
                finished = done.is_set()
                for event in events_after(DANA, after):
                    got.append(event["id"])
                    after = event["id"]
                if finished:
                    return
        finally:
            connections.close_all()

    reader = threading.Thread(target=read)
    reader.start()
    threads = [threading.Thread(target=write) for _ in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    done.set()
    reader.join()

    every = [event["id"] for event in events_after(DANA, limit=10_000)]
    assert len(every) == writers * per_writer * 2
    assert got == every  # nothing skipped, nothing twice, in order
