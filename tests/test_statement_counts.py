"""Round trips per request, counted statement by statement as the database sees them
(BEGIN, COMMIT and SAVEPOINT included: see tests/statements.py).

The promise is PostgreSQL's, where the database may be milliseconds away: a read is
one query, a single-row write one statement in autocommit, a create with tags one
statement, one with an Idempotency-Key a transaction of four. SQLite has no
transaction ids, so a write there is a short IMMEDIATE transaction that bumps the
change counter; its counts are pinned separately. Carol's token is an identity
provider's, which costs no query; alice's is issued here, which costs one.
"""

from __future__ import annotations

from datetime import UTC, datetime
from http import HTTPStatus

import pytest
from django.db import connection

from events.models import Event
from tasks.data.store import TaskStore
from tests.conftest import CAROL_ID, tasks_url
from tests.statements import kinds, statements_sent

# Each request commits on its own, as in production: no test transaction around it.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

TAGS = [f"tag{i}" for i in range(20)]
ONE_WRITE = {"postgresql": ["UPDATE"], "sqlite": ["BEGIN", "INSERT", "UPDATE", "COMMIT"]}


def expected(by_vendor: dict[str, list[str]]) -> list[str]:
    return by_vendor[connection.vendor]


@pytest.fixture
def task():
    return TaskStore(CAROL_ID).create(title="Water the plants", tag_names=["home", "garden"])


@pytest.fixture
def url(task) -> str:
    return tasks_url("me", task.pk)


def test_getting_a_task_is_one_query(carol_client, url):
    with statements_sent() as sent:
        response = carol_client.get(url)

    assert response.status_code == HTTPStatus.OK
    assert kinds(sent) == ["SELECT"]


def test_a_304_is_one_query_too(carol_client, url):
    etag = carol_client.get(url).headers["ETag"]

    with statements_sent() as sent:
        response = carol_client.get(url, HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == HTTPStatus.NOT_MODIFIED
    assert kinds(sent) == ["SELECT"]


@pytest.mark.parametrize("count", [1, 30])
def test_listing_is_one_query(carol_client, count):
    for i in range(count):
        TaskStore(CAROL_ID).create(title=f"task {i}", tag_names=TAGS[:3])

    with statements_sent() as sent:
        response = carol_client.get(tasks_url(), {"tag": "tag1", "ordering": "title"})

    assert len(response.json()) == count
    assert kinds(sent) == ["SELECT"]


def test_an_issued_token_adds_one_query_for_its_user(alice, alice_client):
    with statements_sent() as sent:
        alice_client.get(tasks_url())

    assert kinds(sent) == ["SELECT", "SELECT"]


def test_creating_without_tags_is_one_statement(carol_client):
    with statements_sent() as sent:
        response = carol_client.post(tasks_url(), {"title": "t", "priority": "high"}, format="json")

    assert response.status_code == HTTPStatus.CREATED
    assert kinds(sent) == expected(
        {"postgresql": ["INSERT"], "sqlite": ["BEGIN", "INSERT", "INSERT", "COMMIT"]}
    )


@pytest.mark.parametrize("tags", [1, 20])
def test_creating_with_tags_is_one_statement(carol_client, tags):
    TaskStore(CAROL_ID).create(title="an existing tag", tag_names=["tag0"])

    with statements_sent() as sent:
        response = carol_client.post(tasks_url(), {"title": "t", "tags": TAGS[:tags]}, format="json")

    assert response.status_code == HTTPStatus.CREATED
    assert response.json()["tags"] == sorted(TAGS[:tags])
    assert kinds(sent) == expected(
        {
            "postgresql": ["WITH"],
            # counter, task, tags, the owner's tags, the task's links, new links
            "sqlite": ["BEGIN", "INSERT", "INSERT", "INSERT", "SELECT", "SELECT", "INSERT", "COMMIT"],
        }
    )


def test_creating_with_an_idempotency_key_is_one_transaction_of_four(carol_client):
    with statements_sent() as sent:
        response = carol_client.post(
            tasks_url(), {"title": "t", "tags": ["a"]}, format="json", HTTP_IDEMPOTENCY_KEY="k1"
        )

    assert response.status_code == HTTPStatus.CREATED
    assert kinds(sent) == expected(
        {
            # the task with its tags; the key with the response
            "postgresql": ["BEGIN", "WITH", "INSERT", "COMMIT"],
            "sqlite": [
                "BEGIN",
                "INSERT",
                "INSERT",
                "INSERT",
                "SELECT",
                "SELECT",
                "INSERT",
                "INSERT",
                "COMMIT",
            ],
        }
    )


@pytest.mark.parametrize("method", ["put", "patch"])
def test_updating_fields_is_one_statement(carol_client, url, method):
    with statements_sent() as sent:
        response = getattr(carol_client, method)(url, {"title": "renamed", "completed": True}, format="json")

    assert response.status_code == HTTPStatus.OK
    assert kinds(sent) == expected(ONE_WRITE)


def test_updating_with_the_current_etag_is_one_statement(carol_client, url):
    etag = carol_client.get(url).headers["ETag"]

    with statements_sent() as sent:
        response = carol_client.patch(url, {"title": "renamed"}, format="json", HTTP_IF_MATCH=etag)

    assert response.status_code == HTTPStatus.OK
    assert kinds(sent) == expected(ONE_WRITE)


def test_a_stale_etag_costs_a_second_query_to_tell_412_from_404(carol_client, url):
    etag = carol_client.get(url).headers["ETag"]
    carol_client.patch(url, {"title": "changed elsewhere"}, format="json")

    with statements_sent() as sent:
        response = carol_client.patch(url, {"title": "stale"}, format="json", HTTP_IF_MATCH=etag)

    assert response.status_code == HTTPStatus.PRECONDITION_FAILED
    assert kinds(sent) == [*expected(ONE_WRITE), "SELECT"]


def test_updating_tags_is_one_transaction_of_four(carol_client, url):
    with statements_sent() as sent:
        response = carol_client.patch(url, {"tags": ["home", "new"]}, format="json")

    assert response.json()["tags"] == ["home", "new"]
    assert kinds(sent) == expected(
        {
            # the row (locked until COMMIT); tags and links
            "postgresql": ["BEGIN", "UPDATE", "WITH", "COMMIT"],
            # counter, row, tags, the owner's tags, the task's links, dropped, new
            "sqlite": [
                "BEGIN",
                "INSERT",
                "UPDATE",
                "INSERT",
                "SELECT",
                "SELECT",
                "DELETE",
                "INSERT",
                "COMMIT",
            ],
        }
    )


@pytest.mark.parametrize("body", [{}, {"completed": True}, {"completed": False}])
def test_completing_or_toggling_is_one_statement(carol_client, url, body):
    with statements_sent() as sent:
        response = carol_client.patch(url + "/complete", body, format="json")

    assert response.status_code == HTTPStatus.OK
    assert kinds(sent) == expected(ONE_WRITE)


def test_deleting_is_one_statement_with_its_tombstone_and_links(carol_client, url):
    with statements_sent() as sent:
        response = carol_client.delete(url)

    assert response.status_code == HTTPStatus.NO_CONTENT
    assert kinds(sent) == expected(
        {
            "postgresql": ["WITH"],
            # counter, the row, its links, its tombstone
            "sqlite": ["BEGIN", "INSERT", "DELETE", "DELETE", "INSERT", "COMMIT"],
        }
    )


def test_a_missing_task_is_one_statement_and_a_404(carol_client, task):
    TaskStore(CAROL_ID).delete(task.pk)

    with statements_sent() as sent:
        response = carol_client.patch(tasks_url("me", task.pk) + "/complete")

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert kinds(sent) == expected(ONE_WRITE)


@pytest.mark.parametrize("completed", [1, 10])
def test_clearing_completed_is_one_statement(carol_client, completed):
    for i in range(completed):
        TaskStore(CAROL_ID).create(title=f"done {i}", completed=True, tag_names=["x"])

    with statements_sent() as sent:
        response = carol_client.post(tasks_url(suffix="/clear-completed"))

    assert response.json() == {"deleted": completed}
    assert kinds(sent) == expected(
        {"postgresql": ["WITH"], "sqlite": ["BEGIN", "INSERT", "DELETE", "DELETE", "INSERT", "COMMIT"]}
    )


def test_a_sync_is_three_queries(carol_client, task):
    token = carol_client.get(tasks_url(suffix="/sync")).json()["next"]

    with statements_sent() as sent:
        carol_client.get(tasks_url(suffix="/sync"), {"since": token})

    # the horizon; the changed tasks; the tombstones
    assert kinds(sent) == ["SELECT", "SELECT", "SELECT"]


def test_the_counter_sees_every_statement_of_a_transaction():
    """The counts above are only as good as the counter: it must see what Django's
    query capture does not (BEGIN and COMMIT), and savepoints."""
    from django.db import transaction

    with statements_sent() as sent, transaction.atomic():
        TaskStore(CAROL_ID).tasks().exists()
        with transaction.atomic():
            TaskStore(CAROL_ID).tasks().exists()

    assert kinds(sent) == ["BEGIN", "SELECT", "SAVEPOINT", "SELECT", "RELEASE", "COMMIT"]


WRITES = {
    "create": (lambda client, url: client.post(tasks_url(), {"title": "t"}, format="json"), "task.created"),
    "update": (lambda client, url: client.patch(url, {"title": "u"}, format="json"), "task.updated"),
    "complete": (lambda client, url: client.patch(url + "/complete", format="json"), "task.completed"),
    "delete": (lambda client, url: client.delete(url), "task.deleted"),
}


@pytest.mark.parametrize("write", WRITES)
def test_each_write_records_its_event_in_the_same_statement(carol_client, url, write):
    send, event_type = WRITES[write]
    before = list(Event.objects.values_list("id", flat=True))

    with statements_sent() as sent:
        response = send(carol_client, url)

    assert response.status_code < HTTPStatus.BAD_REQUEST
    # The outbox adds no statement: the writes above cost what they did without it.
    if connection.vendor == "postgresql":
        assert len(sent) == 1
    else:
        assert kinds(sent)[0] == "BEGIN" and kinds(sent)[-1] == "COMMIT"
    new = Event.objects.exclude(id__in=before)
    assert list(new.values_list("type", flat=True)) == [event_type]


@pytest.mark.parametrize("body", [{}, {"completed": True}])
def test_completing_a_recurring_task_costs_two_round_trips_on_postgresql(carol_client, body):
    task = TaskStore(CAROL_ID).create(
        title="Stand-up",
        due_at=datetime(2027, 1, 4, 8, tzinfo=UTC),
        recurrence="weekdays",
        time_zone="Europe/Berlin",
        tag_names=["work"],
    )

    with statements_sent() as sent:
        response = carol_client.patch(tasks_url("me", task.pk) + "/complete", body, format="json")

    assert response.status_code == HTTPStatus.OK
    assert response.json()["next_task"]["due_at"] == "2027-01-05T08:00:00Z"
    assert kinds(sent) == expected(
        {
            # the plain write, which leaves an open recurring task as it is and returns it;
            # then the completion, the next occurrence and its tag links in one statement
            "postgresql": ["UPDATE", "WITH"],
            # the same, then: counter, completion, next task, its tags (created when missing,
            # read, their links read and written)
            "sqlite": [
                *["BEGIN", "INSERT", "UPDATE", "COMMIT"],
                *["BEGIN", "INSERT", "UPDATE", "INSERT", "INSERT", "SELECT", "SELECT", "INSERT", "COMMIT"],
            ],
        }
    )
