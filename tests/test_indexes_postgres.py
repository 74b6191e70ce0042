"""On PostgreSQL, every list ordering walks its own index, on the first page and on deep ones.

A large table (40 users x 1,000 tasks, as many as the benchmark gives each user) and fresh
statistics make the planner choose as it would in production: a sequential scan, or a
page that reads every row before the cursor, would be slow there.
"""

import re

import pytest
from django.db import connection, transaction
from django.http import QueryDict

from tasks.api.filters import TaskFilter
from tasks.data.task_list import DEFAULT_LIMIT, ORDERING_CHOICES, Ordering
from tasks.models import Task

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="plans of PostgreSQL"),
]

USERS = 40
TASKS_PER_USER = 1000
OWNER = "explain-user-7"
SCAN = re.compile(r"Index Scan (?:Backward )?(?:using|on) (?P<index>\w+)")  # plain or bitmap
INDEX_OF = {
    "created_at": "task_owner_created",
    "updated_at": "task_owner_updated",
    "due_at": "task_owner_due",
    "-due_at": "task_owner_due_desc",
    "priority": "task_owner_priority",
    "title": "task_owner_title",
}


@pytest.fixture(scope="module", autouse=True)
def big_table(django_db_setup, django_db_blocker):
    """Load the table once for the module, in a transaction that is rolled back at its end
    (each test runs in a savepoint inside it)."""
    table = Task._meta.db_table
    with django_db_blocker.unblock(), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                f"""
                INSERT INTO {table} (id, user_id, title, completed, priority, due_at, created_at, updated_at)
                SELECT gen_random_uuid(), 'explain-user-' || mod(n, %s), 'task ' || n, mod(n, 3) = 0,
                       mod(n, 4),
                       CASE WHEN mod(n, 5) = 0 THEN NULL ELSE now() + mod(n, 997) * interval '1 hour' END,
                       now() - n * interval '1 second', now() - mod(n, 977) * interval '1 minute'
                FROM generate_series(1, %s) AS n
                """,
                [USERS, USERS * TASKS_PER_USER],
            )
            cursor.execute(f"ANALYZE {table}")
        yield
        transaction.set_rollback(True)


def first_page(ordering: Ordering, queryset=None):
    queryset = Task.objects.for_owner(OWNER) if queryset is None else queryset
    return ordering.apply(queryset)[: DEFAULT_LIMIT + 1]


def assert_walks_index(plan: str, index: str) -> None:
    """The index hands over the rows in order: no table scan, no sort."""
    assert [m["index"] for m in SCAN.finditer(plan)] == [index], plan
    assert "Seq Scan" not in plan, plan
    assert "Sort" not in plan, plan


def assert_reads_only_its_rows(plan: str, indexes: set[str]) -> None:
    """One of these indexes finds the rows, and none is read only to be thrown away (as
    when a page scans from the user's first task to the cursor); the planner may still
    sort a short remainder."""
    assert any(m["index"] in indexes for m in SCAN.finditer(plan)), plan
    assert "Seq Scan" not in plan, plan
    assert sum(int(n) for n in re.findall(r"Rows Removed by Filter: (\d+)", plan)) == 0, plan


def test_the_default_list_walks_task_owner_created_backwards():
    plan = first_page(Ordering.parse(None)).explain()

    assert plan.splitlines()[1].strip().startswith("->  Index Scan Backward using task_owner_created on"), (
        plan
    )
    assert_walks_index(plan, "task_owner_created")


@pytest.mark.parametrize("ordering", ORDERING_CHOICES)
def test_each_ordering_walks_its_index(ordering):
    index = INDEX_OF.get(ordering, INDEX_OF[ordering.lstrip("-")])

    assert_walks_index(first_page(Ordering.parse(ordering)).explain(), index)


@pytest.mark.parametrize("ordering", ORDERING_CHOICES)
def test_a_deep_page_is_a_range_of_the_same_index_from_the_cursor(ordering):
    parsed = Ordering.parse(ordering)
    # A cursor well inside the user's tasks, with many pages after it.
    last = parsed.apply(Task.objects.for_owner(OWNER)).exclude(**{parsed.field: None})[300]
    deep = parsed.apply(Task.objects.for_owner(OWNER)).filter(
        parsed.after(getattr(last, parsed.field), last.pk)
    )[: DEFAULT_LIMIT + 1]

    plan = deep.explain(analyze=True)

    assert_reads_only_its_rows(plan, {INDEX_OF.get(ordering, INDEX_OF[parsed.field])})


@pytest.mark.parametrize("ordering", ["due_at", "-due_at"])
def test_the_undated_tail_is_a_range_of_an_index(ordering):
    parsed = Ordering.parse(ordering)

    undated = parsed.apply(Task.objects.for_owner(OWNER)).filter(parsed.undated())[: DEFAULT_LIMIT + 1]

    plan = undated.explain(analyze=True)

    assert_reads_only_its_rows(plan, {"task_owner_due", "task_owner_due_desc"})


@pytest.mark.parametrize(
    "query",
    [
        "completed=false",
        "priority=high",
        "tag=work&tag=home",
        "search=report",
        "due_before=2030-01-01T00:00:00Z",
        "due_after=2026-01-01T00:00:00Z",
        "overdue=true",
        "updated_since=2026-01-01T00:00:00Z",
    ],
)
def test_no_filter_reads_the_whole_table(query):
    filterset = TaskFilter(QueryDict(query), queryset=Task.objects.for_owner(OWNER))
    assert filterset.is_valid(), filterset.errors

    plan = first_page(Ordering.parse(None), filterset.qs).explain()

    assert "Seq Scan on tasks_task " not in plan, plan
