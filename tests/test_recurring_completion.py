"""Completing a recurring task keeps it completed and creates its next occurrence, in
the same transaction: exactly one per completed occurrence, whatever the retries and
toggles, from every writer (REST complete and PATCH, MCP, the admin's bulk action)."""

from datetime import UTC, datetime
from http import HTTPStatus

import pytest

from events.models import Event
from tasks.data import staff
from tasks.data.staff import all_tasks
from tasks.data.store import TaskStore
from tests.conftest import CAROL_ID, tasks_url
from tests.test_mcp_tools import ok

pytestmark = pytest.mark.django_db


@pytest.fixture
def rent(carol_client):
    """A monthly task due on Jan 31 at 09:00 Berlin, with a reminder the evening before."""
    response = carol_client.post(
        tasks_url(),
        {
            "title": "Pay rent",
            "description": "Standing order",
            "priority": "high",
            "tags": ["home", "money"],
            "due_at": "2027-01-31T09:00:00+01:00",
            "recurrence": "monthly",
            "time_zone": "Europe/Berlin",
            "remind_at": "2027-01-30T18:00:00+01:00",
        },
        format="json",
    )
    assert response.status_code == HTTPStatus.CREATED, response.json()
    return response.json()


def complete(client, task_id, body=None):
    return client.patch(tasks_url(task_id=task_id) + "/complete", body, format="json")


def test_completing_creates_the_next_occurrence_with_the_next_due_date(carol_client, rent):
    response = complete(carol_client, rent["id"], {"completed": True})

    assert response.status_code == HTTPStatus.OK
    done = response.json()
    following = done.pop("next_task")
    assert done["completed"] is True and done["id"] == rent["id"]
    assert following["due_at"] == "2027-02-28T08:00:00Z"  # the last day of February, 09:00 in Berlin
    assert following["remind_at"] == "2027-02-27T17:00:00Z"  # the evening before, 18:00 in Berlin
    assert following["completed"] is False
    for field in ("title", "description", "priority", "tags", "recurrence", "time_zone", "repeat_from"):
        assert following[field] == rent[field], field
    assert carol_client.get(tasks_url(task_id=following["id"])).json() == following


def test_the_series_goes_back_to_the_31st_in_longer_months(carol_client, rent):
    dues = []
    task_id = rent["id"]
    for _ in range(4):
        following = complete(carol_client, task_id, {"completed": True}).json()["next_task"]
        dues.append(following["due_at"])
        task_id = following["id"]

    # Berlin: UTC+1 until Mar 28, then UTC+2; 09:00 local every time.
    assert dues == [
        "2027-02-28T08:00:00Z",
        "2027-03-31T07:00:00Z",
        "2027-04-30T07:00:00Z",
        "2027-05-31T07:00:00Z",
    ]


def test_repeating_the_completion_gives_the_same_next_occurrence(carol_client, rent):
    first = complete(carol_client, rent["id"], {"completed": True}).json()["next_task"]
    again = complete(carol_client, rent["id"], {"completed": True}).json()["next_task"]

    assert again == first
    assert all_tasks().count() == 2


def test_toggling_back_and_forth_leaves_one_next_occurrence(carol_client, rent):
    answers = [complete(carol_client, rent["id"]).json() for _ in range(5)]

    assert [answer["completed"] for answer in answers] == [True, False, True, False, True]
    assert answers[1]["next_task"] is None  # reopened
    assert answers[0]["next_task"]["id"] == answers[2]["next_task"]["id"] == answers[4]["next_task"]["id"]
    assert all_tasks().filter(follows=rent["id"]).count() == 1
    assert all_tasks().count() == 2


def test_a_retry_with_an_idempotency_key_replays_the_first_answer(carol_client, rent):
    url = tasks_url(task_id=rent["id"]) + "/complete"
    first = carol_client.patch(url, HTTP_IDEMPOTENCY_KEY="k1")
    second = carol_client.patch(url, HTTP_IDEMPOTENCY_KEY="k1")

    assert second.json() == first.json()
    assert all_tasks().count() == 2


def test_a_task_that_does_not_repeat_has_no_next_task(carol_client):
    task = carol_client.post(tasks_url(), {"title": "Once"}, format="json").json()

    response = complete(carol_client, task["id"], {"completed": True})

    assert response.json()["next_task"] is None
    assert all_tasks().count() == 1


def test_count_ends_the_series(carol_client):
    task = carol_client.post(
        tasks_url(),
        {"title": "Twice", "due_at": "2027-01-01T09:00:00Z", "recurrence": "FREQ=DAILY;COUNT=2"},
        format="json",
    ).json()

    second = complete(carol_client, task["id"], {"completed": True}).json()["next_task"]
    last = complete(carol_client, second["id"], {"completed": True}).json()

    assert second["due_at"] == "2027-01-02T09:00:00Z"
    assert last["next_task"] is None
    assert all_tasks().count() == 2


def test_completing_an_overdue_task_creates_one_occurrence_after_now(carol_client):
    task = carol_client.post(
        tasks_url(),
        {"title": "Stretch", "due_at": "2020-01-01T07:00:00Z", "recurrence": "daily"},
        format="json",
    ).json()

    following = complete(carol_client, task["id"], {"completed": True}).json()["next_task"]

    assert datetime.fromisoformat(following["due_at"]) > datetime.now(UTC)
    assert following["due_at"].endswith("T07:00:00Z")
    assert all_tasks().count() == 2


def test_a_patch_of_completed_creates_the_next_occurrence_too(carol_client, rent):
    response = carol_client.patch(tasks_url(task_id=rent["id"]), {"completed": True}, format="json")

    assert response.status_code == HTTPStatus.OK
    following = all_tasks().get(follows=rent["id"])
    assert following.due_at == datetime(2027, 2, 28, 8, tzinfo=UTC)


def test_a_patch_that_moves_the_due_date_and_completes_counts_from_the_new_date(carol_client, rent):
    carol_client.patch(
        tasks_url(task_id=rent["id"]),
        {"completed": True, "due_at": "2027-01-15T09:00:00+01:00"},
        format="json",
    )

    following = all_tasks().get(follows=rent["id"])
    assert following.due_at == datetime(2027, 2, 15, 8, tzinfo=UTC)


def test_mcp_complete_task_names_the_next_occurrence(carol_client, rent):
    result = ok(carol_client, "complete_task", task_id=rent["id"])

    following = all_tasks().get(follows=rent["id"])
    assert result["status"] == "completed"
    assert result["next_task_id"] == str(following.pk)
    assert result["next_due_at"] == "2027-02-28T08:00:00Z"


def test_mcp_add_task_takes_a_recurrence(carol_client):
    result = ok(
        carol_client,
        "add_task",
        title="Stand-up",
        due_at="2027-01-04T09:00:00+01:00",
        recurrence="weekdays",
        time_zone="Europe/Berlin",
    )

    task = all_tasks().get(pk=result["task_id"])
    assert (task.recurrence, task.time_zone) == ("weekdays", "Europe/Berlin")


def test_the_admins_bulk_completion_creates_the_next_occurrences(rent):
    staff.set_completion(all_tasks().filter(pk=rent["id"]), True)

    assert all_tasks().filter(follows=rent["id"], completed=False).count() == 1


def test_the_next_occurrence_is_created_in_the_outbox_like_any_task(events_at_once, carol_client, rent):
    following = complete(carol_client, rent["id"], {"completed": True}).json()["next_task"]

    events = list(Event.objects.filter(user_id=CAROL_ID).order_by("id").values_list("type", "aggregateid"))
    assert events[-2:] == [("task.completed", rent["id"]), ("task.created", following["id"])] or events[
        -2:
    ] == [
        ("task.created", following["id"]),
        ("task.completed", rent["id"]),
    ]


def test_completion_from_the_store_returns_the_next_task(rent):
    task, following = TaskStore(CAROL_ID).completion(rent["id"], True)

    assert task.completed and following is not None and following.follows == task.pk
    assert following.tag_names == ["home", "money"]
    assert sorted(following.tags.values_list("name", flat=True)) == ["home", "money"]


def test_the_admin_shows_the_rule_in_words_and_the_next_due_dates(admin_client, rent):
    page = admin_client.get(f"/admin/tasks/task/{rent['id']}/change/").content.decode()

    assert "every month on the 31st or the last day at 09:00" in page
    assert "Sun 2027-02-28 09:00, Wed 2027-03-31 09:00, Fri 2027-04-30 09:00" in page
