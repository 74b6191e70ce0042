"""The hackathon front ends' list parameters: `status`, `sort` and `order` filter and
order the list as `completed` and `ordering` do, page with cursors, and any contradiction
or unknown value is a 400 that names the parameter."""

from datetime import UTC, datetime, timedelta
from http import HTTPStatus

import pytest

from tests.conftest import tasks_url

pytestmark = pytest.mark.django_db

T0 = datetime(2030, 6, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def alices_tasks(alice, make_task):
    """Four tasks: created in the order b, d, a, c; c and a done; d has no due date."""
    specs = [
        ("bravo", False, T0 + timedelta(days=2)),
        ("delta", False, None),
        ("alpha", True, T0 + timedelta(days=3)),
        ("charlie", True, T0 + timedelta(days=1)),
    ]
    tasks = {}
    for minutes, (title, completed, due_at) in enumerate(specs):
        tasks[title] = make_task(
            alice, title=title, completed=completed, due_at=due_at, created_at=T0 + timedelta(minutes=minutes)
        )
    return tasks


def titles(client, query: str) -> list[str]:
    response = client.get(tasks_url() + query)
    assert response.status_code == HTTPStatus.OK, response.content
    return [task["title"] for task in response.json()]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?status=pending", ["delta", "bravo"]),
        ("?status=completed", ["charlie", "alpha"]),
        ("?status=all", ["charlie", "alpha", "delta", "bravo"]),
        ("?status=pending&completed=false", ["delta", "bravo"]),
        ("?status=", ["charlie", "alpha", "delta", "bravo"]),
    ],
)
def test_status_filters_like_completed(alice_client, alices_tasks, query, expected):
    assert titles(alice_client, query) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?sort=created", ["charlie", "alpha", "delta", "bravo"]),
        ("?sort=created&order=desc", ["charlie", "alpha", "delta", "bravo"]),
        ("?sort=created&order=asc", ["bravo", "delta", "alpha", "charlie"]),
        ("?order=asc", ["bravo", "delta", "alpha", "charlie"]),
        ("?sort=title", ["alpha", "bravo", "charlie", "delta"]),
        ("?sort=title&order=asc", ["alpha", "bravo", "charlie", "delta"]),
        ("?sort=title&order=desc", ["delta", "charlie", "bravo", "alpha"]),
        # Soonest first, and the task with no due date last in both directions.
        ("?sort=due_date", ["charlie", "bravo", "alpha", "delta"]),
        ("?sort=due_date&order=asc", ["charlie", "bravo", "alpha", "delta"]),
        ("?sort=due_date&order=desc", ["alpha", "bravo", "charlie", "delta"]),
        ("?sort=title&ordering=title", ["alpha", "bravo", "charlie", "delta"]),
        ("?status=pending&sort=title", ["bravo", "delta"]),
    ],
)
def test_sort_and_order_order_the_list(alice_client, alices_tasks, query, expected):
    assert titles(alice_client, query) == expected


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("?status=pending&completed=true", "status"),
        ("?status=completed&completed=false", "status"),
        ("?status=all&completed=true", "status"),
        ("?status=done", "status"),
        ("?status=Pending", "status"),
        ("?sort=title&ordering=-created_at", "sort"),
        ("?sort=created&order=asc&ordering=-created_at", "sort"),
        ("?order=asc&ordering=title", "order"),
        ("?sort=priority", "sort"),
        ("?order=up", "order"),
        ("?sort=title&order=ascending", "order"),
    ],
)
def test_contradictions_and_unknown_values_are_a_400_naming_the_parameter(
    alice_client, alices_tasks, query, parameter
):
    response = alice_client.get(tasks_url() + query)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    body = response.json()
    assert list(body["errors"]) == [parameter]
    assert body["detail"].startswith(f"{parameter}: ")


def test_sort_pages_with_cursors_through_every_task(alice, alice_client, make_task):
    for i in range(7):
        make_task(alice, title=f"task {i}", due_at=None if i % 3 == 0 else T0 + timedelta(hours=i % 4))
    seen = []
    url = tasks_url() + "?sort=due_date&order=desc&limit=2"
    while url:
        response = alice_client.get(url)
        assert response.status_code == HTTPStatus.OK, response.content
        seen += response.json()
        link = response.headers.get("Link")
        url = link[1 : link.index(">")] if link else None
    whole = alice_client.get(tasks_url() + "?ordering=-due_at").json()
    assert [task["id"] for task in seen] == [task["id"] for task in whole]
    assert [task["due_at"] is None for task in seen] == [False] * 4 + [True] * 3


def test_bob_sees_none_of_alices_tasks_with_status(bob_client, alices_tasks):
    assert titles(bob_client, "?status=all") == []


def test_the_schema_lists_the_parameters_with_their_values(alice_client):
    schema = alice_client.get("/api/schema", HTTP_ACCEPT="application/json").json()
    operation = schema["paths"]["/api/{user_id}/tasks"]["get"]
    parameters = {parameter["name"]: parameter for parameter in operation["parameters"]}
    assert parameters["status"]["schema"]["enum"] == ["all", "completed", "pending"]
    assert parameters["sort"]["schema"]["enum"] == ["created", "due_date", "title"]
    assert parameters["order"]["schema"]["enum"] == ["asc", "desc"]
    assert "no due date" in parameters["sort"]["description"]


def test_the_browsable_api_filter_form_offers_them(alice, alices_tasks):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_login(alice)
    page = client.get(tasks_url(), HTTP_ACCEPT="text/html").content.decode()
    for name in ("status", "sort", "order"):
        assert f'name="{name}"' in page
    assert '<option value="due_date"' in page
