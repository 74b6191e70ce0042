"""Names the API does not know, in a body or a list's query string, are a 400 naming
each (with the close known name), never silently dropped; `due_date` is another name
for `due_at`; what the API returns may be sent back."""

from http import HTTPStatus

import pytest

from tasks.models import Task
from tests.conftest import tasks_url

pytestmark = pytest.mark.django_db


@pytest.fixture
def task(alice, make_task) -> Task:
    return make_task(alice, title="Read", description="A book")


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        (
            {"dueAt": "2026-12-01T17:00:00Z"},
            "dueAt",
            "Received unknown parameter: dueAt. Did you mean due_at?",
        ),
        ({"titel": "x"}, "titel", "Received unknown parameter: titel. Did you mean title?"),
        ({"colour": "red"}, "colour", "Received unknown parameter: colour. Known: "),
    ],
)
def test_an_unknown_body_field_is_a_400_naming_it(alice_client, body, field, message):
    response = alice_client.post(tasks_url(), {"title": "x", **body}, format="json")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["errors"][field][0].startswith(message)
    assert response.json()["detail"].startswith(f"{field}: Received unknown parameter: {field}")
    assert not Task.objects.exists()


def test_every_unknown_field_is_named_at_once(alice_client, task):
    response = alice_client.patch(
        tasks_url("me", task.pk), {"category": "home", "colour": "red"}, format="json"
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert set(response.json()["errors"]) == {"category", "colour"}
    task.refresh_from_db()
    assert task.title == "Read"


def test_a_task_read_can_be_put_back_with_the_fields_the_api_returns(alice_client, task):
    read = alice_client.get(tasks_url("me", task.pk)).json()

    response = alice_client.put(tasks_url("me", task.pk), {**read, "title": "Read twice"}, format="json")

    assert response.status_code == HTTPStatus.OK
    assert response.json()["title"] == "Read twice"
    assert response.json()["id"] == read["id"]


def test_the_returned_fields_are_ignored_not_written(alice_client, task):
    response = alice_client.patch(
        tasks_url("me", task.pk),
        {
            "id": "00000000-0000-0000-0000-000000000000",
            "user_id": "bob",
            "created_at": "2000-01-01T00:00:00Z",
        },
        format="json",
    )

    assert response.status_code == HTTPStatus.OK
    assert response.json()["id"] == str(task.pk)
    assert response.json()["created_at"] != "2000-01-01T00:00:00Z"


@pytest.mark.parametrize("write", ["post", "patch", "put"])
def test_due_date_is_another_name_for_due_at(alice_client, task, write):
    url = tasks_url() if write == "post" else tasks_url("me", task.pk)

    response = getattr(alice_client, write)(
        url, {"title": "x", "due_date": "2026-12-01T17:00:00+01:00"}, format="json"
    )

    assert response.status_code in (HTTPStatus.OK, HTTPStatus.CREATED)
    assert response.json()["due_at"] == "2026-12-01T16:00:00Z"
    assert "due_date" not in response.json()


def test_due_date_null_clears_the_due_time(alice_client, task):
    alice_client.patch(tasks_url("me", task.pk), {"due_at": "2026-12-01T17:00:00Z"}, format="json")

    response = alice_client.patch(tasks_url("me", task.pk), {"due_date": None}, format="json")

    assert response.json()["due_at"] is None


def test_due_date_and_due_at_together_is_a_400(alice_client):
    body = {"title": "x", "due_at": "2026-12-01T17:00:00Z", "due_date": "2026-12-01T17:00:00Z"}

    response = alice_client.post(tasks_url(), body, format="json")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "due_date" in response.json()["errors"]
    assert not Task.objects.exists()


def test_a_misspelt_complete_body_is_refused_not_toggled(alice_client, task):
    response = alice_client.patch(tasks_url("me", task.pk, "/complete"), {"complete": True}, format="json")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["errors"]["complete"] == [
        "Received unknown parameter: complete. Did you mean completed?"
    ]
    task.refresh_from_db()
    assert not task.completed


@pytest.mark.parametrize(
    ("query", "parameter", "suggestion"),
    [
        ("category=home", "category", None),
        ("sort_by=title", "sort_by", "sort"),
        ("sort_order=asc", "sort_order", "order"),
        ("tags=home", "tags", "tag"),
        ("dueBefore=2026-01-01T00:00:00Z", "dueBefore", "due_before"),
    ],
)
def test_an_unknown_list_parameter_is_a_400_naming_it(alice_client, task, query, parameter, suggestion):
    response = alice_client.get(f"{tasks_url()}?{query}")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    message = response.json()["errors"][parameter][0]
    assert message.startswith(f"Received unknown parameter: {parameter}.")
    if suggestion:
        assert message.endswith(f"Did you mean {suggestion}?")


def test_unknown_list_parameters_are_all_named_with_known_ones(alice_client, task):
    response = alice_client.get(f"{tasks_url()}?status=pending&category=a&colour=b")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert set(response.json()["errors"]) == {"category", "colour"}


@pytest.mark.parametrize(
    "query",
    ["format=json", "_=1733400000000", "limit=5&cursor=&ordering=title", "status=all&sort=title&order=asc"],
)
def test_the_known_and_transport_parameters_are_accepted(alice_client, task, query):
    response = alice_client.get(f"{tasks_url()}?{query}")

    assert response.status_code == HTTPStatus.OK
    assert [item["id"] for item in response.json()] == [str(task.pk)]
