"""List filters: each narrows alice's tasks, they combine, and a bad value is a 400 naming it."""

from datetime import UTC, datetime, timedelta
from http import HTTPStatus

import pytest
from django.http import QueryDict
from django.utils import timezone

from tasks.api.filters import TaskFilter
from tasks.models import Priority, Task
from tests.conftest import set_tags, tasks_url

pytestmark = pytest.mark.django_db

T0 = datetime(2030, 6, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def tagged(alice, make_task):
    """Make one of alice's tasks carrying the given tags."""

    def make(title: str, *tags: str, **fields) -> Task:
        task = make_task(alice, title=title, **fields)
        set_tags(task, tags)
        return task

    return make


def titles(client, **params) -> set[str]:
    response = client.get(tasks_url(), params)
    assert response.status_code == HTTPStatus.OK, response.json()
    return {task["title"] for task in response.json()}


def test_completed_filter(alice, alice_client, make_task):
    make_task(alice, title="done", completed=True)
    make_task(alice, title="open")

    assert titles(alice_client, completed="true") == {"done"}
    assert titles(alice_client, completed="false") == {"open"}
    assert titles(alice_client, completed="1") == {"done"}


def test_priority_filter(alice, alice_client, make_task):
    make_task(alice, title="urgent", priority=Priority.HIGH)
    make_task(alice, title="someday", priority=Priority.LOW)

    assert titles(alice_client, priority="high") == {"urgent"}
    assert titles(alice_client, priority="medium") == set()


def test_repeated_tag_requires_every_tag(alice_client, tagged):
    tagged("both", "work", "urgent")
    tagged("work only", "work")
    tagged("untagged")

    assert titles(alice_client, tag="work") == {"both", "work only"}
    assert titles(alice_client, tag=["work", "urgent"]) == {"both"}
    assert titles(alice_client, tag=["work", "missing"]) == set()


def test_a_task_matching_a_tag_twice_is_listed_once(alice_client, tagged):
    tagged("once", "work", "home")

    response = alice_client.get(tasks_url(), {"tag": ["work", "work", "home"]})

    assert [task["title"] for task in response.json()] == ["once"]


def test_search_is_case_insensitive_in_title_and_description(alice, alice_client, make_task):
    make_task(alice, title="Quarterly REPORT")
    make_task(alice, title="Email", description="attach the report")
    make_task(alice, title="Groceries", description="milk")

    assert titles(alice_client, search="Report") == {"Quarterly REPORT", "Email"}


def test_search_takes_wildcards_literally(alice, alice_client, make_task):
    make_task(alice, title="50% off")
    make_task(alice, title="500 off")
    make_task(alice, title="a_b")
    make_task(alice, title="axb")

    assert titles(alice_client, search="0%") == {"50% off"}
    assert titles(alice_client, search="a_b") == {"a_b"}


def test_due_before_is_exclusive_and_due_after_inclusive(alice, alice_client, make_task):
    make_task(alice, title="early", due_at=T0 - timedelta(hours=1))
    make_task(alice, title="at", due_at=T0)
    make_task(alice, title="late", due_at=T0 + timedelta(hours=1))
    make_task(alice, title="undated")

    assert titles(alice_client, due_before=T0.isoformat()) == {"early"}
    assert titles(alice_client, due_after=T0.isoformat()) == {"at", "late"}
    # 14:00+02:00 is 12:00 UTC: offsets are honoured.
    assert titles(alice_client, due_after="2030-06-01T14:00:00+02:00") == {"at", "late"}


def test_overdue_means_open_and_past_due(alice, alice_client, make_task):
    past = timezone.now() - timedelta(days=1)
    make_task(alice, title="overdue", due_at=past)
    make_task(alice, title="done late", due_at=past, completed=True, completed_at=timezone.now())
    make_task(alice, title="upcoming", due_at=timezone.now() + timedelta(days=1))
    make_task(alice, title="undated")

    assert titles(alice_client, overdue="true") == {"overdue"}
    assert titles(alice_client, overdue="false") == {"done late", "upcoming", "undated"}


def test_updated_since_is_inclusive(alice, alice_client, make_task):
    make_task(alice, title="stale", updated_at=T0 - timedelta(seconds=1))
    make_task(alice, title="exact", updated_at=T0)
    make_task(alice, title="fresh", updated_at=T0 + timedelta(days=1))

    assert titles(alice_client, updated_since=T0.isoformat()) == {"exact", "fresh"}


def test_filters_combine(alice_client, tagged):
    tagged("match", "work", description="quarterly numbers", priority=Priority.HIGH)
    tagged("done", "work", description="quarterly", priority=Priority.HIGH, completed=True)
    tagged("low", "work", description="quarterly", priority=Priority.LOW)
    tagged("home", "home", description="quarterly", priority=Priority.HIGH)

    params = {"completed": "false", "priority": "high", "tag": "work", "search": "QUARTERLY"}
    assert titles(alice_client, **params) == {"match"}


def test_filters_never_reach_bobs_tasks(alice_client, bob, make_task):
    make_task(bob, title="bob's report", priority=Priority.HIGH, completed=True)

    assert titles(alice_client, search="report") == set()
    assert titles(alice_client, priority="high", completed="true") == set()


@pytest.mark.parametrize(
    ("param", "value"),
    [
        ("completed", "yes"),
        ("completed", "maybe"),
        ("overdue", "2"),
        ("priority", "urgent"),
        ("priority", "3"),
        ("due_before", "tomorrow"),
        ("due_after", "2030-02-30T00:00:00Z"),
        ("updated_since", "not-a-date"),
        ("due_before", "99999-01-01T00:00:00Z"),
        ("search", "x" * 201),
        ("tag", "x" * 51),
        ("search", "nul\x00byte"),
        ("tag", "nul\x00byte"),
    ],
)
def test_an_unreadable_value_is_a_400_naming_the_parameter(alice, alice_client, make_task, param, value):
    make_task(alice)

    response = alice_client.get(tasks_url(), {param: value})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    body = response.json()
    assert body["detail"].startswith(f"{param}: ")
    assert param in body["errors"]


def test_the_filters_form_class_is_built_once_and_each_request_has_its_own_fields():
    first = TaskFilter(data=QueryDict("status=pending")).form
    second = TaskFilter(data=QueryDict("")).form

    assert type(first) is type(second) is TaskFilter.shared_form_class()
    first.fields.pop("completed")  # as the browsable API's dialog does with its form
    assert "completed" in second.fields
    assert "completed" in TaskFilter(data=QueryDict("")).form.fields
    assert list(TaskFilter.shared_form_class().base_fields) == list(TaskFilter.base_filters)


@pytest.mark.parametrize(
    "query",
    [
        "status=pending",
        "status=completed&completed=true",
        "completed=1&priority=high&tag=a&tag=b&search=milk",
        "due_before=2026-01-01T00:00:00&due_after=2025-01-01T00:00:00Z&overdue=false",
        "recurring=true&updated_since=2026-12-01",
        "status=later",
        "completed=maybe&priority=urgent",
        "due_before=tomorrow&search=" + "x" * 201,
        "tag=nul%00byte",
    ],
)
def test_the_list_requests_form_shares_its_fields_and_reads_what_the_filters_form_reads(query):
    params = QueryDict(query)
    validating = TaskFilter.validation_form_class()(params)
    rendered = TaskFilter.shared_form_class()(params)

    assert validating.is_valid() == rendered.is_valid()
    assert validating.errors == rendered.errors
    assert TaskFilter.arguments_from(validating.cleaned_data) == TaskFilter.arguments_from(
        rendered.cleaned_data
    )
    assert sorted(validating.fields) == sorted(name for name in params if name in TaskFilter.base_filters)
    assert all(
        field is TaskFilter.validation_form_class().base_fields[name]
        for name, field in validating.fields.items()
    )
    assert validating.fields is not TaskFilter.validation_form_class()(params).fields
    assert all(rendered.fields[name] is not field for name, field in validating.fields.items())
