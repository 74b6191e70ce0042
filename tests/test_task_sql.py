"""The store's hand-written statements say what the ORM says, on SQLite and PostgreSQL:
each is run beside the ORM path that does the same thing, and the rows compared."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.core import signing
from django.db import connection
from django.db.models import QuerySet
from django.http import QueryDict

from tasks.api import task_json
from tasks.api.filters import list_arguments
from tasks.data import task_list, task_sql
from tasks.data.errors import InvalidArgument, TaskNotFound, VersionMismatch
from tasks.data.staff import load_tasks
from tasks.data.store import TaskStore
from tasks.data.task_sql import _column
from tasks.models import Priority, Tag, Task, TaskTombstone
from tests.conftest import CAROL_ID
from tests.statements import kinds, statements_sent

pytestmark = pytest.mark.django_db

DAVE_ID = "idp|dave"
EARLIER = datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)
COMPARED = ["user_id", "title", "description", "completed", "priority", "due_at", "tag_names"]


def values(task: Task, names=COMPARED) -> dict:
    return {name: getattr(task, name) for name in names}


def twins(**fields) -> tuple[Task, Task]:
    """Two identical tasks of carol, written through the ORM."""
    fields = {"user_id": CAROL_ID, "title": "twin", **fields}
    ours, theirs = load_tasks([Task(**fields), Task(**fields)])
    return ours, theirs


def links(task: Task) -> list[str]:
    return sorted(Task.tags.through.objects.filter(task=task).values_list("tag__name", flat=True))


def test_a_row_returned_by_a_write_reads_as_the_orm_reads_it():
    store = TaskStore(CAROL_ID)
    created = store.create(
        title="Ünïcode", description=None, priority=Priority.HIGH, due_at=EARLIER, tag_names=["b", "a"]
    )
    updated = store.set_completion(created.pk, True)

    for returned in (created, updated):
        fields = [field.attname for field in Task._meta.concrete_fields]
        read = Task.objects.get(pk=returned.pk)
        if returned is created:
            read.completed, read.completed_at, read.change_seq = False, None, created.change_seq
            read.updated_at = created.updated_at
        assert values(returned, fields) == values(read, fields)
    assert updated.etag == Task.objects.get(pk=updated.pk).etag


def test_updating_fields_writes_what_the_orm_update_writes():
    ours, theirs = twins(description="old", priority=Priority.LOW)
    change = {"title": "new", "description": None, "priority": Priority.HIGH, "due_at": EARLIER}

    TaskStore(CAROL_ID).update(ours.pk, **change)
    QuerySet.update(Task.objects.filter(pk=theirs.pk), **change)

    assert values(Task.objects.get(pk=ours.pk)) == values(Task.objects.get(pk=theirs.pk))


@pytest.mark.parametrize("completed", [True, False, None])
@pytest.mark.parametrize(("was_done", "done_at"), [(False, None), (True, EARLIER), (True, None)])
def test_completion_stamps_completed_at_only_when_a_task_gets_completed(was_done, done_at, completed):
    [task] = load_tasks([Task(user_id=CAROL_ID, title="t", completed=was_done, completed_at=done_at)])
    wanted = not was_done if completed is None else completed

    TaskStore(CAROL_ID).set_completion(task.pk, completed)

    task = Task.objects.get(pk=task.pk)
    assert task.completed == wanted
    if not wanted:
        assert task.completed_at is None
    elif was_done:
        assert task.completed_at == done_at  # kept, not stamped anew
    else:
        assert task.completed_at is not None


def test_creating_with_tags_links_what_the_orm_links():
    Tag.objects.create(user_id=CAROL_ID, name="home")
    Tag.objects.create(user_id=DAVE_ID, name="work")  # dave's tag of the same name is not carol's

    ours = TaskStore(CAROL_ID).create(title="t", tag_names=["work", "home", "work"])
    [theirs] = load_tasks([Task(user_id=CAROL_ID, title="t", tag_names=["home", "work"])])
    theirs.tags.set(Tag.resolve(user_id=CAROL_ID, names=["work", "home"]))

    assert links(ours) == links(theirs) == ["home", "work"]
    assert ours.tag_names == Task.objects.get(pk=theirs.pk).tag_names == ["home", "work"]
    assert Tag.objects.filter(user_id=CAROL_ID).count() == 2
    assert set(Tag.objects.filter(tasks=ours).values_list("user_id", flat=True)) == {CAROL_ID}


def test_relabelling_links_what_the_orm_links():
    ours = TaskStore(CAROL_ID).create(title="t", tag_names=["a", "b"])
    theirs = TaskStore(CAROL_ID).create(title="t", tag_names=["a", "b"])

    TaskStore(CAROL_ID).update(ours.pk, tag_names=["b", "c"])
    theirs.tags.set(Tag.resolve(user_id=CAROL_ID, names=["b", "c"]))

    assert links(ours) == links(theirs) == ["b", "c"]
    assert Task.objects.get(pk=ours.pk).tag_names == ["b", "c"]


def test_deleting_removes_what_the_orm_delete_removes_and_leaves_a_tombstone():
    ours = TaskStore(CAROL_ID).create(title="t", tag_names=["a"])
    theirs = TaskStore(CAROL_ID).create(title="t", tag_names=["a"])

    gone = TaskStore(CAROL_ID).delete(ours.pk)
    QuerySet.delete(Task.objects.filter(pk=theirs.pk))

    assert values(gone) == values(theirs)
    assert not Task.objects.filter(pk__in=[ours.pk, theirs.pk]).exists()
    assert not Task.tags.through.objects.exists()
    tombstones = TaskTombstone.objects.filter(task_id__in=[ours.pk, theirs.pk], user_id=CAROL_ID)
    assert list(tombstones.values_list("task_id", flat=True)) == [ours.pk]


def test_clearing_completed_deletes_what_the_orm_delete_deletes():
    store = TaskStore(CAROL_ID)
    for completed in (True, True, False):
        store.create(title="carol", completed=completed, tag_names=["x"])
        TaskStore(DAVE_ID).create(title="dave", completed=completed, tag_names=["x"])
    expected = set(Task.objects.for_owner(CAROL_ID).filter(completed=True).values_list("pk", flat=True))

    assert store.clear_completed() == 2

    assert set(TaskTombstone.objects.values_list("task_id", flat=True)) == expected
    assert Task.objects.for_owner(CAROL_ID).count() == 1
    assert Task.objects.for_owner(DAVE_ID).count() == 3
    assert Task.tags.through.objects.count() == 4


def test_every_write_is_scoped_to_the_owner():
    task = TaskStore(CAROL_ID).create(title="carol's")
    dave = TaskStore(DAVE_ID)

    for write in (
        lambda: dave.get(task.pk),
        lambda: dave.update(task.pk, title="dave's"),
        lambda: dave.update(task.pk, tag_names=["x"]),
        lambda: dave.set_completion(task.pk, None),
        lambda: dave.delete(task.pk),
        lambda: dave.update(task.pk, title="dave's", if_match=task.etag),
    ):
        with pytest.raises(TaskNotFound):
            write()

    assert dave.clear_completed() == 0
    assert values(Task.objects.get(pk=task.pk)) == values(task)
    assert not Tag.objects.filter(user_id=DAVE_ID).exists()


# Each write commits on its own: on PostgreSQL a version is the writing transaction's id.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_if_match_is_checked_in_the_write_itself():
    store = TaskStore(CAROL_ID)
    task = store.create(title="v1")
    current = store.update(task.pk, title="v2", if_match=task.etag)

    with pytest.raises(VersionMismatch):
        store.update(task.pk, title="v3", if_match=task.etag)
    with pytest.raises(VersionMismatch):
        store.delete(task.pk, if_match='"1-forged"')

    assert store.get(task.pk).title == "v2"
    assert store.delete(task.pk, if_match=f'"stale", {current.etag}').title == "v2"


@pytest.mark.parametrize("task_id", ["not-a-uuid", "", "12345678-1234-1234-1234-12345678901Z"])
def test_a_malformed_id_is_not_found(task_id):
    with pytest.raises(TaskNotFound):
        TaskStore(CAROL_ID).update(task_id, title="x")


def test_a_page_is_what_the_list_endpoint_gives(carol_client):
    store = TaskStore(CAROL_ID)
    for i in range(5):
        store.create(title=f"t{i}", tag_names=["even"] if i % 2 == 0 else [])
    arguments = {"tags": ["even"], "ordering": "title", "limit": 2, "columns": task_json.COLUMNS}

    first = store.list(**arguments)
    second = store.list(**arguments, cursor=first.next_cursor)

    listed = carol_client.get("/api/me/tasks", {"tag": "even", "ordering": "title", "limit": "2"})
    assert [task_json.task_as_json(row) for row in first.rows] == listed.json()
    title = task_json.COLUMNS.index("title")
    assert [row[title] for row in first.rows + second.rows] == ["t0", "t2", "t4"]
    assert second.next_cursor is None


def test_the_query_string_reads_into_the_stores_arguments():
    query = QueryDict("status=pending&tag=a&tag=b&priority=high&sort=title&limit=5")

    assert list_arguments(query) == {
        **dict.fromkeys(["search", "due_before", "due_after", "overdue", "recurring", "updated_since"]),
        "completed": False,
        "tags": ["a", "b"],
        "priority": Priority.HIGH,
        "ordering": "title",
        "limit": 5,
        "cursor": None,
    }


@pytest.mark.parametrize(
    ("arguments", "argument"),
    [({"ordering": "colour"}, "ordering"), ({"limit": 0}, "limit"), ({"cursor": "forged"}, "cursor")],
)
def test_a_page_refuses_an_argument_it_cannot_use_and_names_it(arguments, argument):
    with pytest.raises(InvalidArgument) as refused:
        TaskStore(CAROL_ID).list(**arguments)
    assert refused.value.argument == argument


def test_getting_a_task_reads_what_the_orm_reads():
    created = TaskStore(CAROL_ID).create(
        title="Ünïcode", description="d", priority=Priority.HIGH, due_at=EARLIER, tag_names=["b", "a"]
    )
    done = TaskStore(CAROL_ID).set_completion(created.pk, True)
    fields = [field.attname for field in Task._meta.concrete_fields]

    got = TaskStore(CAROL_ID).get(str(created.pk))

    assert values(got, fields) == values(Task.objects.for_owner(CAROL_ID).get(pk=created.pk), fields)
    assert got.etag == done.etag
    assert got._state.adding is False and got._state.db == "default"


@pytest.fixture
def varied_page_rows():
    """Tasks of carol with ties on every sort key, undated ones, both states; and dave's,
    which must never show."""
    tasks = []
    for i in range(14):
        tasks.append(
            Task(
                user_id=CAROL_ID,
                title=f"t{i % 4}",
                completed=i % 3 == 0,
                completed_at=EARLIER if i % 3 == 0 else None,
                priority=i % 4,
                due_at=None if i % 5 == 0 else datetime(2027, 1, 1 + i % 3, tzinfo=UTC),
                created_at=datetime(2026, 5, 1 + i % 2, tzinfo=UTC),
                updated_at=datetime(2026, 6, 1 + i % 3, 0, 0, 0, 1000 * i, tzinfo=UTC),
                tag_names=["x"] if i % 2 else [],
            )
        )
    tasks.append(Task(user_id=DAVE_ID, title="t0", created_at=datetime(2026, 5, 1, tzinfo=UTC)))
    load_tasks(tasks)


def _cursor(page: task_list.TaskPage):
    """What a page's next cursor holds (signed with a timestamp, so never twice the same)."""
    return page.next_cursor and signing.loads(page.next_cursor, salt=task_list.CURSOR_SALT)


@pytest.mark.parametrize("ordering", [None, *task_list.ORDERING_CHOICES])
@pytest.mark.parametrize("completed", [None, False, True])
def test_a_first_page_is_the_orms_first_page(varied_page_rows, ordering, completed):
    for limit in (1, 4, 100):
        arguments = {"completed": completed, "ordering": ordering, "limit": limit}

        built_once = TaskStore(CAROL_ID).list(**arguments, columns=task_json.COLUMNS)
        parsed = task_list.Ordering.parse(ordering)
        by_the_orm = task_list.page(
            TaskStore(CAROL_ID).tasks(),
            task_list.matching(completed=completed),
            ordering=parsed,
            limit=limit,
            cursor=None,
            columns=task_json.COLUMNS,
        )

        assert [tuple(row) for row in built_once.rows] == by_the_orm.rows
        assert [type(value) for row in built_once.rows for value in row] == [
            type(value) for row in by_the_orm.rows for value in row
        ]
        assert _cursor(built_once) == _cursor(by_the_orm)
        owner = task_json.COLUMNS.index("user_id")
        assert {row[owner] for row in built_once.rows} == {CAROL_ID}


def test_the_statements_built_once_name_the_owner():
    task = TaskStore(CAROL_ID).create(title="carol's")
    owner = _column(Task, "user_id")

    with statements_sent() as sent:
        TaskStore(CAROL_ID).get(task.pk)
        TaskStore(CAROL_ID).list(columns=task_json.COLUMNS)
        TaskStore(CAROL_ID).list(completed=False, ordering="due_at", limit=20, columns=task_json.COLUMNS)

    assert kinds(sent) == ["SELECT", "SELECT", "SELECT"]
    assert all(f"WHERE {owner} = " in sql or f"AND {owner} = " in sql for sql in sent)
    with pytest.raises(TaskNotFound):
        TaskStore(DAVE_ID).get(task.pk)
    assert TaskStore(DAVE_ID).list(columns=task_json.COLUMNS).rows == []


def test_preparing_values_on_the_threads_connection_gives_what_the_orm_prepares():
    fields = {"title": "Ünïcode", "description": None, "priority": Priority.HIGH, "due_at": EARLIER}
    values = TaskStore(CAROL_ID)._new_row(completed=True, names=["b", "a"], **fields)

    prepared = task_sql.prep_all(values)

    orm = [Task._meta.get_field(name).get_db_prep_save(value, connection) for name, value in values.items()]
    assert repr(prepared) == repr(orm)  # a Jsonb wrapper has no equality of its own
    assert repr([task_sql.prep(name, value) for name, value in values.items()]) == repr(orm)
