"""Which recurrences are refused, naming the field to blame; the rules in words;
the reminder's offset carried to the next occurrence."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tasks.data.recurrence import RecurrenceError, describe, next_remind_at, parse_recurrence, upcoming

THURSDAY = datetime.fromisoformat("2026-01-01T09:00+00:00")
BERLIN = ZoneInfo("Europe/Berlin")

REFUSED = [
    # (recurrence, time_zone, due_at, field, words in the message)
    ("FREQ=MINUTELY", "UTC", THURSDAY, "recurrence", "at most hourly"),
    ("FREQ=SECONDLY;INTERVAL=7200", "UTC", THURSDAY, "recurrence", "at most hourly"),
    ("FREQ=DAILY;BYMINUTE=0,30", "UTC", THURSDAY, "recurrence", "at most hourly"),
    ("FREQ=HOURLY;BYMINUTE=0,15", "UTC", THURSDAY, "recurrence", "at most hourly"),
    ("FREQ=DAILY;BYHOUR=9;BYMINUTE=0;BYSECOND=0,1", "UTC", THURSDAY, "recurrence", "at most hourly"),
    ("FREQ=DAILY;BYHOUR=0,23;BYMINUTE=0,30;BYSETPOS=1,-1", "UTC", THURSDAY, "recurrence", "at most hourly"),
    ("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30", "UTC", THURSDAY, "recurrence", "never occurs"),
    ("FREQ=DAILY;BYMONTH=4;BYMONTHDAY=31", "UTC", THURSDAY, "recurrence", "never occurs"),
    ("FREQ=HOURLY;BYMONTH=2;BYMONTHDAY=31", "UTC", THURSDAY, "recurrence", "never occurs"),
    ("FREQ=DAILY;INTERVAL=7;BYDAY=WE", "UTC", THURSDAY, "recurrence", "never occurs"),
    ("FREQ=YEARLY;BYWEEKNO=1;BYMONTH=6", "UTC", THURSDAY, "recurrence", "never occurs"),
    ("FREQ=MONTHLY;BYDAY=5MO;BYMONTH=2;BYMONTHDAY=1", "UTC", THURSDAY, "recurrence", "never occurs"),
    ("FREQ=MONTHLY;BYMONTH=2,4;BYMONTHDAY=-31", "UTC", THURSDAY, "recurrence", "never occurs"),
    ("FREQ=HOURLY;INTERVAL=48;BYHOUR=10", "UTC", THURSDAY, "recurrence", "never occurs"),
    ("FREQ=YEARLY;INTERVAL=200", "UTC", THURSDAY, "recurrence", "never occurs"),
    ("FREQ=WEEKLY;UNTIL=20251231T000000Z", "UTC", THURSDAY, "recurrence", "UNTIL is before the due date"),
    ("FREQ=DAILY;UNTIL=20251231", "UTC", THURSDAY, "recurrence", "UNTIL is before the due date"),
    ("DTSTART:20260101T090000Z\nRRULE:FREQ=DAILY", "UTC", THURSDAY, "recurrence", "one RRULE on one line"),
    ("RRULE:FREQ=DAILY\nRRULE:FREQ=WEEKLY", "UTC", THURSDAY, "recurrence", "one RRULE on one line"),
    ("FREQ=DAILY;DTSTART=20260101T090000Z", "UTC", THURSDAY, "recurrence", "DTSTART is not accepted"),
    ("FREQ=DAILY;EXDATE=20260102", "UTC", THURSDAY, "recurrence", "EXDATE is not accepted"),
    ("FREQ=DAILY;FOO=1", "UTC", THURSDAY, "recurrence", "Unknown rule part FOO"),
    ("FREQ=YEARLY;BYEASTER=0", "UTC", THURSDAY, "recurrence", "Unknown rule part BYEASTER"),
    ("BYDAY=MO", "UTC", THURSDAY, "recurrence", "FREQ is required"),
    ("FREQ=FORTNIGHTLY", "UTC", THURSDAY, "recurrence", "FREQ must be one of"),
    ("FREQ=DAILY;FREQ=WEEKLY", "UTC", THURSDAY, "recurrence", "FREQ is given twice"),
    ("FREQ=DAILY;COUNT=3;UNTIL=20261231", "UTC", THURSDAY, "recurrence", "COUNT and UNTIL"),
    ("FREQ=DAILY;INTERVAL=0", "UTC", THURSDAY, "recurrence", "INTERVAL must be a whole number"),
    ("FREQ=DAILY;COUNT=-1", "UTC", THURSDAY, "recurrence", "COUNT must be a whole number"),
    ("FREQ=DAILY;BYHOUR=24", "UTC", THURSDAY, "recurrence", "BYHOUR takes numbers from 0 to 23"),
    ("FREQ=MONTHLY;BYMONTHDAY=0", "UTC", THURSDAY, "recurrence", "BYMONTHDAY takes numbers from -31 to 31"),
    ("FREQ=YEARLY;BYMONTH=13", "UTC", THURSDAY, "recurrence", "BYMONTH takes numbers from 1 to 12"),
    ("FREQ=WEEKLY;BYDAY=XX", "UTC", THURSDAY, "recurrence", "BYDAY takes MO..SU"),
    ("FREQ=WEEKLY;BYDAY=1MO", "UTC", THURSDAY, "recurrence", "numbered BYDAY"),
    ("FREQ=WEEKLY;BYMONTHDAY=1", "UTC", THURSDAY, "recurrence", "cannot be used with FREQ=WEEKLY"),
    ("FREQ=MONTHLY;BYYEARDAY=100", "UTC", THURSDAY, "recurrence", "BYYEARDAY cannot be used"),
    ("FREQ=MONTHLY;BYWEEKNO=3", "UTC", THURSDAY, "recurrence", "BYWEEKNO can only be used"),
    ("FREQ=WEEKLY;BYSETPOS=1", "UTC", THURSDAY, "recurrence", "BYSETPOS needs another"),
    ("FREQ=DAILY;WKST=XX", "UTC", THURSDAY, "recurrence", "WKST must be one of"),
    ("FREQ=DAILY;UNTIL=2026-12-31", "UTC", THURSDAY, "recurrence", "UNTIL must be a date"),
    ("FREQ=DAILY;UNTIL=20260231", "UTC", THURSDAY, "recurrence", "UNTIL must be a date"),
    ("every tuesday", "UTC", THURSDAY, "recurrence", "is not NAME=VALUE"),
    ("  ", "UTC", THURSDAY, "recurrence", "Give an RRULE"),
    ("daily", "Mars/Olympus_Mons", THURSDAY, "time_zone", "not an IANA time zone"),
    ("daily", "localtime", THURSDAY, "time_zone", "not an IANA time zone"),
    ("daily", "../../etc/passwd", THURSDAY, "time_zone", "not an IANA time zone"),
    ("daily", "UTC", None, "due_at", "needs a due date"),
    ("daily", "UTC", datetime(2026, 1, 1, 9), "due_at", "needs a UTC offset"),
]


@pytest.mark.parametrize(
    ("text", "zone", "due_at", "field", "message"), REFUSED, ids=[row[0] for row in REFUSED]
)
def test_refused_recurrence_names_the_field(text, zone, due_at, field, message):
    with pytest.raises(RecurrenceError) as refused:
        parse_recurrence(text, due_at=due_at, time_zone=zone)

    assert refused.value.field == field
    assert message in refused.value.message
    assert isinstance(refused.value, ValueError)


@pytest.mark.parametrize(
    "text",
    [
        "daily",
        "Weekdays",
        "RRULE:FREQ=WEEKLY;BYDAY=MO,WE",
        "freq=monthly;bymonthday=-1",
        "FREQ=HOURLY",
        "FREQ=DAILY;BYHOUR=0,23",
        "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29;BYDAY=MO",  # a leap day that is a Monday: 2044
        "FREQ=DAILY;COUNT=1",
        "FREQ=WEEKLY;UNTIL=20260101",  # ends on the due date's own day: a series of one
    ],
)
def test_accepted_recurrence(text):
    rule = parse_recurrence(text, due_at=THURSDAY, time_zone="Europe/Berlin")

    assert rule.zone.key == "Europe/Berlin"
    assert rule.series_start == THURSDAY


def test_rule_text_is_stored_in_one_spelling():
    assert parse_recurrence(" Monthly ", due_at=THURSDAY).text == "monthly"
    assert (
        parse_recurrence("rrule:byday=mo,we;freq=weekly;count=4", due_at=THURSDAY).text
        == "FREQ=WEEKLY;COUNT=4;BYDAY=MO,WE"
    )


def test_zone_defaults_to_utc():
    assert parse_recurrence("daily", due_at=THURSDAY, time_zone=None).zone.key == "UTC"


DESCRIBED = [
    ("monthly", "2026-01-31T09:00+01:00", "every month on the 31st or the last day at 09:00 (Europe/Berlin)"),
    ("monthly", "2026-01-15T09:00+01:00", "every month on the 15th at 09:00 (Europe/Berlin)"),
    ("weekdays", "2026-01-02T09:00+01:00", "every weekday at 09:00 (Europe/Berlin)"),
    ("daily", "2026-01-02T07:30+01:00", "every day at 07:30 (Europe/Berlin)"),
    ("weekly", "2026-01-05T09:00+01:00", "every week on Monday at 09:00 (Europe/Berlin)"),
    (
        "yearly",
        "2028-02-29T09:00+01:00",
        "every year on February 29 (February 28 in common years) at 09:00 (Europe/Berlin)",
    ),
    ("yearly", "2026-03-05T09:00+01:00", "every year on March 5 at 09:00 (Europe/Berlin)"),
    (
        "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,WE",
        "2026-01-05T18:30+01:00",
        "every 2 weeks on Monday and Wednesday at 18:30 (Europe/Berlin)",
    ),
    (
        "FREQ=MONTHLY;BYDAY=-1FR;COUNT=6",
        "2026-01-30T17:00+01:00",
        "every month on the last Friday at 17:00 (Europe/Berlin), 6 times",
    ),
    (
        "FREQ=MONTHLY;BYMONTHDAY=31",
        "2026-01-31T09:00+01:00",
        "every month on the 31st at 09:00 (Europe/Berlin)",
    ),
    (
        "FREQ=MONTHLY;BYMONTHDAY=-2",
        "2026-01-30T09:00+01:00",
        "every month on the second to last day at 09:00 (Europe/Berlin)",
    ),
    (
        "FREQ=DAILY;BYHOUR=9,17;BYMINUTE=0",
        "2026-01-01T09:00+01:00",
        "every day at 09:00 and 17:00 (Europe/Berlin)",
    ),
    ("FREQ=HOURLY;INTERVAL=3", "2026-01-01T09:15+01:00", "every 3 hours at :15"),
    (
        "FREQ=DAILY;UNTIL=20261231",
        "2026-01-01T09:00+01:00",
        "every day at 09:00 (Europe/Berlin), until 2026-12-31",
    ),
    (
        "FREQ=YEARLY;BYMONTH=1,7;BYMONTHDAY=1",
        "2026-01-01T09:00+01:00",
        "every year on the 1st in January and July at 09:00 (Europe/Berlin)",
    ),
]


@pytest.mark.parametrize(
    ("text", "start", "words"), DESCRIBED, ids=[row[0] + " " + row[1] for row in DESCRIBED]
)
def test_rule_in_words(text, start, words):
    rule = parse_recurrence(text, due_at=datetime.fromisoformat(start), time_zone="Europe/Berlin")

    assert describe(rule) == words


def test_upcoming_shows_the_series_next_dates_in_order():
    rule = parse_recurrence(
        "monthly", due_at=datetime.fromisoformat("2026-01-31T09:00+01:00"), time_zone="Europe/Berlin"
    )

    dates = upcoming(rule, after=datetime.fromisoformat("2026-03-01T00:00+01:00"), limit=3)

    assert dates == [
        datetime.fromisoformat("2026-03-31T09:00+02:00"),
        datetime.fromisoformat("2026-04-30T09:00+02:00"),
        datetime.fromisoformat("2026-05-31T09:00+02:00"),
    ]


def test_upcoming_stops_at_count():
    rule = parse_recurrence("FREQ=DAILY;COUNT=3", due_at=THURSDAY)

    assert upcoming(rule, after=THURSDAY, limit=10) == [
        THURSDAY + timedelta(days=1),
        THURSDAY + timedelta(days=2),
    ]


REMINDERS = [
    # (due, remind, next due, expected next remind) in Europe/Berlin, worked out by hand.
    # The day before at 18:00 stays at 18:00 local across the change to summer time.
    ("2026-03-28T09:00+01:00", "2026-03-27T18:00+01:00", "2026-03-29T09:00+02:00", "2026-03-28T18:00+01:00"),
    ("2026-03-29T09:00+02:00", "2026-03-28T18:00+01:00", "2026-03-30T09:00+02:00", "2026-03-29T18:00+02:00"),
    # 30 minutes before is 30 real minutes, even when the wall clock jumps in between.
    ("2026-03-28T03:00+01:00", "2026-03-28T02:30+01:00", "2026-03-29T03:00+02:00", "2026-03-29T01:30+01:00"),
    # 30 minutes before 03:00 on the night the clocks go back: 02:30 happens twice, so
    # the 30 real minutes decide (the second 02:30).
    ("2026-10-24T03:00+02:00", "2026-10-24T02:30+02:00", "2026-10-25T03:00+01:00", "2026-10-25T02:30+01:00"),
    # A week and two hours before a monthly task.
    ("2026-01-31T09:00+01:00", "2026-01-24T07:00+01:00", "2026-02-28T09:00+01:00", "2026-02-21T07:00+01:00"),
    # A reminder after the due date ("nag me an hour later") keeps its sign.
    ("2026-01-31T09:00+01:00", "2026-01-31T10:00+01:00", "2026-02-28T09:00+01:00", "2026-02-28T10:00+01:00"),
]


@pytest.mark.parametrize(("due", "remind", "next_due", "expected"), REMINDERS)
def test_reminder_offset_carries_to_the_next_occurrence(due, remind, next_due, expected):
    moved = next_remind_at(
        due_at=datetime.fromisoformat(due),
        remind_at=datetime.fromisoformat(remind),
        next_due_at=datetime.fromisoformat(next_due),
        time_zone=BERLIN,
    )

    assert moved == datetime.fromisoformat(expected)
    assert moved.astimezone(BERLIN).utcoffset() == datetime.fromisoformat(expected).utcoffset()


def test_no_reminder_stays_none():
    assert next_remind_at(due_at=THURSDAY, remind_at=None, next_due_at=THURSDAY, time_zone=BERLIN) is None


def test_upcoming_for_a_series_started_years_ago():
    rule = parse_recurrence(
        "weekdays", due_at=datetime.fromisoformat("2020-01-06T09:00+01:00"), time_zone="Europe/Berlin"
    )

    dates = upcoming(rule, after=datetime.fromisoformat("2026-03-27T12:00+01:00"), limit=2)

    # Friday Mar 27 is past its 09:00; next come Monday Mar 30 (summer time) and Tuesday.
    assert dates == [
        datetime.fromisoformat("2026-03-30T09:00+02:00"),
        datetime.fromisoformat("2026-03-31T09:00+02:00"),
    ]


def test_the_recurrence_module_needs_neither_django_nor_drf():
    # It belongs to the data layer, below the API, and is pure date arithmetic.
    code = "import sys, tasks.data.recurrence; print([m for m in sys.modules if m.startswith(FORBIDDEN)])"
    code = "FORBIDDEN = ('django', 'rest_framework'); " + code
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)

    assert loaded.stdout.strip() == "[]"
