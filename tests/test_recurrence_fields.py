"""A task's recurrence fields on the wire: `recurrence`, `time_zone`, `repeat_from`,
`remind_at`, each rule of SPEC 11 a 400 naming the field."""

from datetime import UTC, datetime
from http import HTTPStatus

import pytest

from tasks.data.staff import all_tasks
from tasks.data.store import TaskStore
from tasks.identity.principal import principal_id
from tests.conftest import tasks_url

pytestmark = pytest.mark.django_db

DUE = "2027-01-31T08:00:00Z"


@pytest.fixture
def create(alice_client):
    def post(**body):
        return alice_client.post(tasks_url(), {"title": "Rent", **body}, format="json")

    return post


def test_a_task_that_does_not_repeat_shows_the_fields_empty_or_default(create):
    task = create().json()

    assert (task["recurrence"], task["time_zone"], task["repeat_from"], task["remind_at"]) == (
        None,
        "UTC",
        "due",
        None,
    )


def test_a_recurring_task_keeps_its_rule_zone_mode_and_reminder(create, alice_client):
    response = create(
        due_at="2027-01-31T09:00:00+01:00",
        recurrence="Monthly",
        time_zone="Europe/Berlin",
        repeat_from="completion",
        remind_at="2027-01-31T07:30:00+01:00",
    )

    assert response.status_code == HTTPStatus.CREATED, response.json()
    task = response.json()
    assert task["recurrence"] == "monthly"  # stored as it parsed: the word in lower case
    assert task["time_zone"] == "Europe/Berlin"
    assert task["repeat_from"] == "completion"
    assert task["remind_at"] == "2027-01-31T06:30:00Z"
    assert alice_client.get(tasks_url(task_id=task["id"])).json() == task


def test_an_rrule_is_stored_with_its_parts_in_rfc_order(create):
    response = create(due_at=DUE, recurrence="byday=mo,we;freq=weekly")

    assert response.status_code == HTTPStatus.CREATED, response.json()
    assert response.json()["recurrence"] == "FREQ=WEEKLY;BYDAY=MO,WE"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"recurrence": "daily"}, "due_at"),
        ({"due_at": DUE, "recurrence": "fortnightly"}, "recurrence"),
        ({"due_at": DUE, "recurrence": ""}, "recurrence"),
        ({"due_at": DUE, "recurrence": "FREQ=MINUTELY"}, "recurrence"),
        ({"due_at": DUE, "recurrence": "FREQ=HOURLY;BYMINUTE=0,30"}, "recurrence"),
        ({"due_at": DUE, "recurrence": "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30"}, "recurrence"),
        ({"due_at": DUE, "recurrence": "FREQ=DAILY;UNTIL=20260101T000000Z"}, "recurrence"),
        ({"due_at": DUE, "recurrence": "FREQ=WEEKLY;" + "BYDAY=MO;" * 100}, "recurrence"),
        ({"due_at": DUE, "recurrence": 7}, "recurrence"),
        ({"due_at": DUE, "recurrence": "daily", "time_zone": "Mars/Olympus"}, "time_zone"),
        ({"time_zone": "Europe/berlin"}, "time_zone"),
        ({"time_zone": "../../etc/passwd"}, "time_zone"),
        ({"time_zone": None}, "time_zone"),
        ({"repeat_from": "schedule"}, "repeat_from"),
        ({"remind_at": "tomorrow"}, "remind_at"),
        ({"remind_at": "2027-01-31T08:00:00"}, "remind_at"),
    ],
)
def test_each_broken_rule_is_a_400_naming_the_field(create, body, field):
    response = create(**body)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert field in response.json()["errors"], response.json()
    assert not all_tasks().exists()


def test_repeat_from_lists_its_values_when_wrong(create):
    response = create(repeat_from="later")

    assert "due, completion" in response.json()["errors"]["repeat_from"][0]


def test_a_misspelt_field_name_is_refused_with_the_known_one(create):
    response = create(timezone="Europe/Berlin")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Did you mean time_zone?" in response.json()["detail"]


def test_clearing_the_due_date_of_a_recurring_task_is_a_400_naming_due_at(create, alice_client):
    task = create(due_at=DUE, recurrence="daily").json()

    response = alice_client.patch(tasks_url(task_id=task["id"]), {"due_at": None}, format="json")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "due_at" in response.json()["errors"]


def test_a_rule_added_later_is_checked_against_the_tasks_due_date(create, alice_client):
    task = create(due_at=DUE).json()
    url = tasks_url(task_id=task["id"])

    refused = alice_client.patch(url, {"recurrence": "FREQ=MONTHLY;BYMONTH=2;BYMONTHDAY=31"}, format="json")
    accepted = alice_client.patch(url, {"recurrence": "FREQ=WEEKLY;BYDAY=MO"}, format="json")

    assert refused.status_code == HTTPStatus.BAD_REQUEST
    assert "recurrence" in refused.json()["errors"]
    assert accepted.status_code == HTTPStatus.OK
    assert accepted.json()["recurrence"] == "FREQ=WEEKLY;BYDAY=MO"


def test_a_rule_on_a_task_without_a_due_date_names_due_at(create, alice_client):
    task = create().json()

    response = alice_client.patch(tasks_url(task_id=task["id"]), {"recurrence": "daily"}, format="json")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "due_at" in response.json()["errors"]


def test_stopping_the_repetition_clears_the_rule(create, alice_client):
    task = create(due_at=DUE, recurrence="daily").json()

    response = alice_client.patch(tasks_url(task_id=task["id"]), {"recurrence": None}, format="json")

    assert response.status_code == HTTPStatus.OK
    assert response.json()["recurrence"] is None


@pytest.fixture
def later_occurrence(alice):
    """The third occurrence of a monthly series that started on Jan 31."""
    return TaskStore(principal_id(alice)).create(
        title="Rent",
        due_at=datetime(2027, 3, 31, 8, tzinfo=UTC),
        recurrence="monthly",
        series_start=datetime(2027, 1, 31, 8, tzinfo=UTC),
        occurrence=3,
    )


def test_a_task_read_and_put_back_keeps_its_series(alice_client, later_occurrence):
    url = tasks_url(task_id=later_occurrence.pk)
    read = alice_client.get(url).json()

    response = alice_client.put(url, read, format="json")

    assert response.status_code == HTTPStatus.OK, response.json()
    kept = all_tasks().get(pk=later_occurrence.pk)
    assert (kept.series_start, kept.occurrence) == (later_occurrence.series_start, 3)


@pytest.mark.parametrize(
    "change",
    [
        {"due_at": "2027-03-15T08:00:00Z"},
        {"recurrence": "weekly"},
        {"time_zone": "Europe/Berlin"},
        {"repeat_from": "completion"},
    ],
)
def test_changing_the_schedule_starts_the_series_again(alice_client, later_occurrence, change):
    response = alice_client.patch(tasks_url(task_id=later_occurrence.pk), change, format="json")

    assert response.status_code == HTTPStatus.OK, response.json()
    moved = all_tasks().get(pk=later_occurrence.pk)
    assert (moved.series_start, moved.occurrence) == (None, 1)


def test_the_fields_are_in_the_schema_with_their_enum(alice_client):
    schema = alice_client.get("/api/schema", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    task = schema["components"]["schemas"]["Task"]["properties"]

    assert {"recurrence", "time_zone", "repeat_from", "remind_at"} <= task.keys()
    repeat_from = schema["components"]["schemas"]["RepeatFromEnum"]
    assert repeat_from["enum"] == ["due", "completion"]
