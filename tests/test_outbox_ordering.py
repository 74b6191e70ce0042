"""A reader that resumes after the last event id it saw never misses one: concurrent
writers of one user commit their events in id order (PostgreSQL; SQLite's writers
take turns anyway)."""

from __future__ import annotations

import threading

import psycopg
import pytest
from django.db import connection, connections

from events.feed import events_after
from tasks.store import TaskStore

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif("connection.vendor != 'postgresql'", reason="concurrent writers need PostgreSQL"),
]

DANA, ERIN = "idp|dana", "idp|erin"


def raw_connection() -> psycopg.Connection:
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    return psycopg.connect(**params, autocommit=True)


def wait_until_blocked(observer: psycopg.Connection, pid: int) -> None:
    """Until the backend `pid` waits for a lock (the server says so: no timing)."""
    for _ in range(10_000):
        row = observer.execute("SELECT cardinality(pg_blocking_pids(%s))", [pid]).fetchone()
        if row[0]:
            return
    raise AssertionError("the second writer never waited")


def test_an_open_write_holds_back_the_users_later_events_but_no_one_elses():
    TaskStore(DANA).create(title="Before")
    with raw_connection() as slow, raw_connection() as waiting:
        slow.execute("BEGIN")
        slow.execute(
            "UPDATE tasks_task SET title = 'Slow edit' WHERE user_id = %s",
            [DANA],
        )
        blocked = threading.Thread(
            target=waiting.execute,
            args=(
                "INSERT INTO tasks_task (id, user_id, title, completed, priority, tag_names, created_at, "
                "updated_at, change_seq) VALUES (gen_random_uuid(), %s, 'Later', false, 0, '[]', now(), "
                "now(), 0)",
                [DANA],
            ),
        )
        blocked.start()
        wait_until_blocked(slow, waiting.info.backend_pid)
        # Another user's writes do not wait for Dana's.
        TaskStore(ERIN).create(title="Erin's")
        seen = events_after(DANA)
        assert [event["task"]["title"] for event in seen] == ["Before"]

        slow.execute("COMMIT")
        blocked.join()

    later = events_after(DANA, seen[-1]["id"])
    assert [event["task"]["title"] for event in later] == ["Slow edit", "Later"]
    assert later[0]["id"] < later[1]["id"]
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
