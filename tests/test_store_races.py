"""A delete that waits for a concurrent relabelling of the same task still removes the
task and every link, the new ones included (PostgreSQL: one statement sees one snapshot)."""

from __future__ import annotations

import threading

import psycopg
import pytest
from django.db import connection, connections

from tasks.data.store import TaskStore
from tasks.models import Tag, Task, TaskTombstone
from tests.conftest import CAROL_ID

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent writers (PostgreSQL)"),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def other_connection() -> psycopg.Connection:
    params = connection.get_connection_params()
    return psycopg.connect(
        dbname=params["dbname"], user=params.get("user"), host=params.get("host"), port=params.get("port")
    )


def wait_until_someone_waits_for_a_lock(watcher: psycopg.Connection) -> None:
    """Block until another backend waits on a row lock (no clock involved)."""
    while not watcher.execute("SELECT count(*) FROM pg_locks WHERE NOT granted").fetchone()[0]:
        pass


@pytest.mark.parametrize("how", ["delete", "clear-completed"])
def test_a_delete_waiting_on_a_relabelling_removes_the_new_links_too(how):
    store = TaskStore(CAROL_ID)
    task = store.create(title="t", completed=True, tag_names=["old"])
    errors: list[BaseException] = []

    def delete() -> None:
        try:
            store.delete(task.pk) if how == "delete" else store.clear_completed()
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)
        finally:
            connections.close_all()

    with other_connection() as relabelling, other_connection() as watcher:
        watcher.autocommit = True
        # The relabelling holds the row and adds a link when the delete begins.
        relabelling.execute("UPDATE tasks_task SET title = 'relabelled' WHERE id = %s", [task.pk])
        tag_id = relabelling.execute(
            "INSERT INTO tasks_tag (user_id, name) VALUES (%s, 'new') RETURNING id", [CAROL_ID]
        ).fetchone()[0]
        relabelling.execute(
            "INSERT INTO tasks_task_tags (task_id, tag_id) VALUES (%s, %s)", [task.pk, tag_id]
        )
        deleter = threading.Thread(target=delete)
        deleter.start()
        wait_until_someone_waits_for_a_lock(watcher)
        relabelling.commit()
        deleter.join()

    assert errors == []
    assert not Task.objects.filter(pk=task.pk).exists()
    assert not Task.tags.through.objects.exists()
    assert TaskTombstone.objects.filter(task_id=task.pk).exists()
    assert Tag.objects.filter(user_id=CAROL_ID).count() == 2
