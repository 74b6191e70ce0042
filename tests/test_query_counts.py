"""Queries per request are constant: however many tasks or tags, each endpoint costs the same.

Each count lists its queries. "auth" is the lookup of the Django user behind an issued
token. Writes, and every statement of them, are counted in test_statement_counts.py.
"""

import uuid
from http import HTTPStatus

import pytest

from tasks.data.staff import load_tasks
from tasks.identity.principal import principal_id
from tasks.models import Tag, Task
from tests.conftest import CAROL_ID, tasks_url

pytestmark = pytest.mark.django_db

TAG_NAMES = [f"tag{i}" for i in range(20)]


@pytest.fixture
def tasks_with_tags(alice):
    """Create `count` of alice's tasks in bulk, each carrying `per_task` of her tags."""

    def make(count: int, per_task: int = 3, names: list[str] = TAG_NAMES) -> list[Task]:
        user_id = principal_id(alice)
        tags = Tag.resolve(user_id=user_id, names=names)
        labels = [[tags[(i + k) % len(tags)] for k in range(per_task)] for i in range(count)]
        tasks = load_tasks(
            [
                Task(
                    id=uuid.uuid4(),
                    user_id=user_id,
                    title=f"task {i}",
                    tag_names=sorted({tag.name for tag in labels[i]}),
                )
                for i in range(count)
            ]
        )
        links = [
            Task.tags.through(task_id=task.pk, tag_id=tag.pk)
            for task, task_tags in zip(tasks, labels, strict=True)
            for tag in set(task_tags)
        ]
        Task.tags.through.objects.bulk_create(links)
        return tasks

    return make


@pytest.mark.parametrize("count", [10, 1000])
def test_listing_costs_two_queries_for_10_or_1000_tasks(
    alice_client, tasks_with_tags, count, django_assert_num_queries
):
    tasks_with_tags(count)

    # auth; the page of tasks (each row carries its tag names).
    with django_assert_num_queries(2):
        response = alice_client.get(tasks_url(), {"limit": 1000})

    assert len(response.json()) == count
    assert all(len(task["tags"]) == 3 for task in response.json())


def test_a_deep_filtered_page_costs_what_the_first_does(
    alice_client, tasks_with_tags, django_assert_num_queries
):
    tasks_with_tags(300)
    first = alice_client.get(tasks_url(), {"limit": 10, "ordering": "title", "tag": "tag1"})
    url = first.headers["Link"][1:].split(">;")[0]

    # auth; the page after the cursor (tag joins included).
    with django_assert_num_queries(2):
        second = alice_client.get(url)

    assert second.status_code == HTTPStatus.OK
    assert len(second.json()) == 10


def test_a_user_known_only_to_the_identity_provider_costs_no_auth_query(
    carol_client, make_task, django_assert_num_queries
):
    for _ in range(20):
        make_task(CAROL_ID)

    # the page of tasks. The token alone names carol.
    with django_assert_num_queries(1):
        carol_client.get(tasks_url())


@pytest.mark.parametrize("tags", [1, 20])
def test_retrieving_costs_two_queries(alice_client, tasks_with_tags, tags, django_assert_num_queries):
    (task,) = tasks_with_tags(1, per_task=tags)

    # auth; the task (with its tag names).
    with django_assert_num_queries(2):
        response = alice_client.get(tasks_url("me", task.pk))

    assert len(response.json()["tags"]) == tags


@pytest.mark.parametrize("count", [1, 20])
def test_listing_tags_costs_two_queries(alice_client, tasks_with_tags, count, django_assert_num_queries):
    tasks_with_tags(50, per_task=count, names=TAG_NAMES[:count])

    # auth; the tags with their counts (one grouped query).
    with django_assert_num_queries(2):
        response = alice_client.get("/api/me/tags")

    assert len(response.json()) == count


def test_bobs_tasks_add_nothing_to_alices_list(
    alice_client, bob, tasks_with_tags, make_task, django_assert_num_queries
):
    tasks_with_tags(10)
    for _ in range(30):
        make_task(bob)

    # auth; alice's page.
    with django_assert_num_queries(2):
        response = alice_client.get(tasks_url())

    assert len(response.json()) == 10
