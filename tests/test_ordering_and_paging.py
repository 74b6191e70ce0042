"""Every list ordering is total (ties break on id, undated last), and keyset pages walk it exactly."""

import re
import uuid
from datetime import UTC, datetime, timedelta
from http import HTTPStatus

import pytest

from tasks.data.staff import load_tasks
from tasks.data.task_list import ORDERING_CHOICES
from tasks.identity.principal import principal_id
from tasks.models import Task
from tests.conftest import tasks_url

pytestmark = pytest.mark.django_db

T0 = datetime(2030, 6, 1, 12, 0, tzinfo=UTC)
# Lower-case letters only, so that every database collation sorts them as Python does.
WORDS = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet"]
LINK_NEXT = re.compile(r'^<(?P<url>[^>]+)>; rel="next"$')


def build(user_id: str, i: int) -> Task:
    """A task whose every sort key collides with others' (and some due dates are null)."""
    return Task(
        id=uuid.uuid4(),
        user_id=user_id,
        title=WORDS[i % len(WORDS)],
        priority=i % 4,
        # Whole seconds for some, microseconds for others: both must survive the cursor.
        created_at=T0 + timedelta(microseconds=(i // 3) * 250_001),
        updated_at=T0 + timedelta(minutes=i % 7),
        due_at=None if i % 5 == 0 else T0 + timedelta(hours=i % 11),
    )


def expected_order(tasks: list[Task], ordering: str) -> list[str]:
    """The contract in Python: by the field, nulls last, then by id in the same direction."""
    field = ordering.lstrip("-")
    descending = ordering.startswith("-")
    dated = [task for task in tasks if getattr(task, field) is not None]
    undated = [task for task in tasks if getattr(task, field) is None]
    dated.sort(key=lambda task: (getattr(task, field), task.pk), reverse=descending)
    undated.sort(key=lambda task: task.pk, reverse=descending)
    return [str(task.pk) for task in dated + undated]


def next_url(response) -> str | None:
    link = response.headers.get("Link")
    if link is None:
        return None
    match = LINK_NEXT.match(link)
    assert match, link
    return match["url"]


def walk(client, url: str, on_page=None) -> list[str]:
    """Follow rel=next links to the end; the ids of every page, in order."""
    ids: list[str] = []
    while url:
        response = client.get(url)
        assert response.status_code == HTTPStatus.OK, response.json()
        ids += [task["id"] for task in response.json()]
        url = next_url(response)
        if on_page:
            on_page()
    return ids


@pytest.fixture
def many(alice) -> list[Task]:
    return load_tasks([build(principal_id(alice), i) for i in range(260)])


@pytest.mark.parametrize("ordering", ORDERING_CHOICES)
def test_one_big_page_follows_the_ordering(alice_client, many, ordering):
    response = alice_client.get(tasks_url(), {"ordering": ordering, "limit": 1000})

    assert response.status_code == HTTPStatus.OK
    assert [task["id"] for task in response.json()] == expected_order(many, ordering)
    assert "Link" not in response.headers


@pytest.mark.parametrize("ordering", ORDERING_CHOICES)
def test_paging_collects_every_task_once_in_order(alice_client, many, ordering):
    ids = walk(alice_client, f"{tasks_url()}?ordering={ordering}&limit=37")

    assert len(ids) == len(set(ids)) == 260
    assert ids == expected_order(many, ordering)


@pytest.mark.parametrize("ordering", ORDERING_CHOICES)
def test_tasks_inserted_between_pages_never_duplicate_or_skip_one(alice, alice_client, many, ordering):
    inserted: list[Task] = []

    def insert_a_few() -> None:
        # New tasks land before, inside and after the pages already read.
        batch = [build(principal_id(alice), i) for i in range(len(inserted), len(inserted) + 7)]
        inserted.extend(load_tasks(batch))

    ids = walk(alice_client, f"{tasks_url()}?ordering={ordering}&limit=37", on_page=insert_a_few)

    assert len(ids) == len(set(ids))
    existing = {str(task.pk) for task in many}
    assert [task_id for task_id in ids if task_id in existing] == expected_order(many, ordering)


def test_the_default_ordering_is_newest_first(alice_client, many):
    ids = walk(alice_client, f"{tasks_url()}?limit=50")

    assert ids == expected_order(many, "-created_at")


def test_undated_tasks_come_last_in_both_directions(alice, alice_client, make_task):
    undated = make_task(alice, title="undated")
    soon = make_task(alice, title="soon", due_at=T0)
    later = make_task(alice, title="later", due_at=T0 + timedelta(days=1))

    ascending = alice_client.get(tasks_url(), {"ordering": "due_at"}).json()
    descending = alice_client.get(tasks_url(), {"ordering": "-due_at"}).json()

    assert [task["id"] for task in ascending] == [str(soon.pk), str(later.pk), str(undated.pk)]
    assert [task["id"] for task in descending] == [str(later.pk), str(soon.pk), str(undated.pk)]


def test_ties_break_on_id_in_the_direction_of_the_ordering(alice, alice_client, make_task):
    ids = sorted(str(make_task(alice, title="same", priority=2).pk) for _ in range(5))

    ascending = alice_client.get(tasks_url(), {"ordering": "title"}).json()
    descending = alice_client.get(tasks_url(), {"ordering": "-priority"}).json()

    assert [task["id"] for task in ascending] == ids
    assert [task["id"] for task in descending] == ids[::-1]


def test_the_link_header_is_there_until_the_last_page(alice, alice_client, make_task):
    for _ in range(6):
        make_task(alice)

    first = alice_client.get(tasks_url(), {"limit": 3})
    last = alice_client.get(next_url(first))

    assert len(first.json()) == len(last.json()) == 3
    assert next_url(first).startswith("http://testserver/api/me/tasks?")
    assert "Link" not in last.headers


def test_the_link_keeps_the_filters_and_the_limit(alice, alice_client, make_task):
    for title in ["keep 1", "keep 2", "keep 3", "drop"]:
        make_task(alice, title=title, priority=3 if title.startswith("keep") else 0)

    ids = walk(alice_client, f"{tasks_url()}?priority=high&limit=1&ordering=title")

    assert len(ids) == 3


def test_limit_defaults_to_100(alice, alice_client):
    load_tasks([build(principal_id(alice), i) for i in range(101)])

    response = alice_client.get(tasks_url())

    assert len(response.json()) == 100
    assert next_url(response) is not None


def test_bobs_pages_hold_only_his_tasks(alice, bob, bob_client, many):
    load_tasks([build(principal_id(bob), i) for i in range(40)])

    ids = walk(bob_client, f"{tasks_url()}?limit=37")

    assert len(ids) == 40
    assert not {str(task.pk) for task in many} & set(ids)
