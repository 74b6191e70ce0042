"""The next due date of a recurring task, case by case.

Every expected date below was worked out by hand from a calendar and the zones' DST
rules, and is written with its UTC offset so that the wall time and the instant are
both visible. 2026: Berlin changes on Mar 29 (02:00 -> 03:00) and Oct 25 (03:00 ->
02:00); New York on Mar 8 (02:00 -> 03:00) and Nov 1 (02:00 -> 01:00); Lord Howe
Island on Apr 5 (02:00 -> 01:30, +11:00 -> +10:30) and Oct 4 (02:00 -> 02:30).
2028 is a leap year. Jan 5 2026 is a Monday.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pytest

from tasks.data.recurrence import next_occurrence, parse_recurrence


@dataclass(frozen=True)
class Case:
    name: str
    rule: str
    start: str  # the series' first due date
    done: str  # the completion
    expected: str | None  # the next due date; None: the series has ended
    zone: str = "UTC"
    due: str | None = None  # the completed occurrence's due date (default: the start)
    number: int = 1  # the completed occurrence's number in the series
    mode: str = "due"
    expected_number: int | None = None


CASES = [
    # Month ends, the word "monthly": the last day of a shorter month, back to its own day after.
    Case("monthly 31st to Feb 28", "monthly", "2026-01-31T09:00Z", "2026-01-31T10:00Z", "2026-02-28T09:00Z"),
    Case(
        "monthly Feb 28 back to Mar 31",
        "monthly",
        "2026-01-31T09:00Z",
        "2026-02-28T10:00Z",
        "2026-03-31T09:00Z",
        due="2026-02-28T09:00Z",
        number=2,
    ),
    Case(
        "monthly Mar 31 to Apr 30",
        "monthly",
        "2026-01-31T09:00Z",
        "2026-03-31T09:30Z",
        "2026-04-30T09:00Z",
        due="2026-03-31T09:00Z",
        number=3,
    ),
    Case(
        "monthly Apr 30 to May 31",
        "monthly",
        "2026-01-31T09:00Z",
        "2026-04-30T09:30Z",
        "2026-05-31T09:00Z",
        due="2026-04-30T09:00Z",
        number=4,
    ),
    Case(
        "monthly 31st to Feb 29 leap",
        "monthly",
        "2028-01-31T09:00Z",
        "2028-01-31T10:00Z",
        "2028-02-29T09:00Z",
    ),
    Case("monthly 30th to Feb 28", "monthly", "2026-01-30T09:00Z", "2026-01-30T10:00Z", "2026-02-28T09:00Z"),
    Case(
        "monthly 30th back to Mar 30",
        "monthly",
        "2026-01-30T09:00Z",
        "2026-02-28T10:00Z",
        "2026-03-30T09:00Z",
        due="2026-02-28T09:00Z",
        number=2,
    ),
    Case(
        "monthly 29th common year", "monthly", "2026-01-29T09:00Z", "2026-01-29T10:00Z", "2026-02-28T09:00Z"
    ),
    Case("monthly 29th leap year", "monthly", "2028-01-29T09:00Z", "2028-01-29T10:00Z", "2028-02-29T09:00Z"),
    Case("yearly Feb 29 to Feb 28", "yearly", "2028-02-29T09:00Z", "2028-02-29T10:00Z", "2029-02-28T09:00Z"),
    Case(
        "yearly Feb 28 back to Feb 29",
        "yearly",
        "2028-02-29T09:00Z",
        "2031-02-28T10:00Z",
        "2032-02-29T09:00Z",
        due="2031-02-28T09:00Z",
        number=4,
    ),
    # RRULEs as RFC 5545 says: a date that does not exist is skipped.
    Case(
        "RRULE yearly from Feb 29 skips",
        "FREQ=YEARLY",
        "2028-02-29T09:00Z",
        "2028-02-29T10:00Z",
        "2032-02-29T09:00Z",
    ),
    Case(
        "BYMONTHDAY=31 skips February",
        "FREQ=MONTHLY;BYMONTHDAY=31",
        "2026-01-31T09:00Z",
        "2026-01-31T10:00Z",
        "2026-03-31T09:00Z",
    ),
    Case(
        "BYMONTHDAY=31 skips April",
        "FREQ=MONTHLY;BYMONTHDAY=31",
        "2026-01-31T09:00Z",
        "2026-03-31T10:00Z",
        "2026-05-31T09:00Z",
        due="2026-03-31T09:00Z",
        number=2,
    ),
    Case(
        "RRULE monthly from 31st skips",
        "FREQ=MONTHLY",
        "2026-01-31T09:00Z",
        "2026-01-31T10:00Z",
        "2026-03-31T09:00Z",
    ),
    Case(
        "BYMONTHDAY=-1",
        "FREQ=MONTHLY;BYMONTHDAY=-1",
        "2026-01-31T09:00Z",
        "2026-02-01T08:00Z",
        "2026-02-28T09:00Z",
    ),
    Case(
        "last Friday",
        "FREQ=MONTHLY;BYDAY=-1FR",
        "2026-01-30T17:00Z",
        "2026-01-30T18:00Z",
        "2026-02-27T17:00Z",
    ),
    Case(
        "monthly INTERVAL=2",
        "FREQ=MONTHLY;INTERVAL=2",
        "2026-01-31T09:00Z",
        "2026-01-31T10:00Z",
        "2026-03-31T09:00Z",
    ),
    # DST in Europe/Berlin: the local time stays.
    Case(
        "Berlin daily into summer time",
        "daily",
        "2026-03-28T09:00+01:00",
        "2026-03-28T09:30+01:00",
        "2026-03-29T09:00+02:00",
        zone="Europe/Berlin",
    ),
    Case(
        "Berlin daily into winter time",
        "daily",
        "2026-10-24T09:00+02:00",
        "2026-10-24T09:30+02:00",
        "2026-10-25T09:00+01:00",
        zone="Europe/Berlin",
    ),
    Case(
        "Berlin weekly across the change",
        "weekly",
        "2026-03-25T18:30+01:00",
        "2026-03-25T19:00+01:00",
        "2026-04-01T18:30+02:00",
        zone="Europe/Berlin",
    ),
    Case(
        "Berlin 02:30 on spring-forward day moves by the gap",
        "daily",
        "2026-03-28T02:30+01:00",
        "2026-03-28T03:00+01:00",
        "2026-03-29T03:30+02:00",
        zone="Europe/Berlin",
    ),
    Case(
        "Berlin back to 02:30 the day after the gap",
        "daily",
        "2026-03-28T02:30+01:00",
        "2026-03-29T04:00+02:00",
        "2026-03-30T02:30+02:00",
        zone="Europe/Berlin",
        due="2026-03-29T03:30+02:00",
        number=2,
    ),
    Case(
        "Berlin ambiguous 02:30 takes the first",
        "daily",
        "2026-10-24T02:30+02:00",
        "2026-10-24T03:00+02:00",
        "2026-10-25T02:30+02:00",
        zone="Europe/Berlin",
    ),
    Case(
        "Berlin after the ambiguous day",
        "daily",
        "2026-10-24T02:30+02:00",
        "2026-10-25T02:45+01:00",
        "2026-10-26T02:30+01:00",
        zone="Europe/Berlin",
        due="2026-10-25T02:30+02:00",
        number=2,
    ),
    # DST in America/New_York.
    Case(
        "New York daily into summer time",
        "daily",
        "2026-03-07T09:00-05:00",
        "2026-03-07T10:00-05:00",
        "2026-03-08T09:00-04:00",
        zone="America/New_York",
    ),
    Case(
        "New York 02:30 in the gap",
        "daily",
        "2026-03-07T02:30-05:00",
        "2026-03-07T03:00-05:00",
        "2026-03-08T03:30-04:00",
        zone="America/New_York",
    ),
    Case(
        "New York ambiguous 01:30 takes the first",
        "daily",
        "2026-10-31T01:30-04:00",
        "2026-10-31T02:00-04:00",
        "2026-11-01T01:30-04:00",
        zone="America/New_York",
    ),
    Case(
        "New York monthly into winter time",
        "monthly",
        "2026-10-31T09:00-04:00",
        "2026-10-31T10:00-04:00",
        "2026-11-30T09:00-05:00",
        zone="America/New_York",
    ),
    # Australia/Lord_Howe: a 30-minute change.
    Case(
        "Lord Howe daily into summer time",
        "daily",
        "2026-10-03T09:00+10:30",
        "2026-10-03T10:00+10:30",
        "2026-10-04T09:00+11:00",
        zone="Australia/Lord_Howe",
    ),
    Case(
        "Lord Howe 02:15 in the 30-minute gap",
        "daily",
        "2026-10-03T02:15+10:30",
        "2026-10-03T03:00+10:30",
        "2026-10-04T02:45+11:00",
        zone="Australia/Lord_Howe",
    ),
    Case(
        "Lord Howe ambiguous 01:45 takes the first",
        "daily",
        "2026-04-04T01:45+11:00",
        "2026-04-04T02:00+11:00",
        "2026-04-05T01:45+11:00",
        zone="Australia/Lord_Howe",
    ),
    Case(
        "Lord Howe daily into standard time",
        "daily",
        "2026-04-04T09:00+11:00",
        "2026-04-04T09:05+11:00",
        "2026-04-05T09:00+10:30",
        zone="Australia/Lord_Howe",
    ),
    # Early and late completion, repeat_from=due: the first occurrence after both.
    Case(
        "month end done a day early", "monthly", "2026-01-31T09:00Z", "2026-01-30T12:00Z", "2026-02-28T09:00Z"
    ),
    Case(
        "overdue daily done days later: one task",
        "daily",
        "2026-01-01T09:00Z",
        "2026-01-05T12:00Z",
        "2026-01-06T09:00Z",
        expected_number=6,
    ),
    Case(
        "overdue daily done before the hour",
        "daily",
        "2026-01-01T09:00Z",
        "2026-01-05T08:00Z",
        "2026-01-05T09:00Z",
        expected_number=5,
    ),
    Case(
        "weekly done three weeks late",
        "weekly",
        "2026-01-05T09:00Z",
        "2026-01-27T09:00Z",
        "2026-02-02T09:00Z",
        expected_number=5,
    ),
    # repeat_from=completion: one interval from the completion, at the due's time of day.
    Case(
        "completion daily done early",
        "daily",
        "2026-01-10T09:00Z",
        "2026-01-05T20:00Z",
        "2026-01-06T09:00Z",
        mode="completion",
    ),
    Case(
        "completion daily done late at night",
        "daily",
        "2026-01-10T09:00Z",
        "2026-01-12T23:30Z",
        "2026-01-13T09:00Z",
        mode="completion",
    ),
    Case(
        "completion monthly from Jan 31",
        "monthly",
        "2026-01-31T09:00Z",
        "2026-01-31T15:00Z",
        "2026-02-28T09:00Z",
        mode="completion",
    ),
    Case(
        "completion monthly done late",
        "monthly",
        "2026-01-31T09:00Z",
        "2026-02-10T15:00Z",
        "2026-03-10T09:00Z",
        mode="completion",
    ),
    Case(
        "completion weekly done on Wednesday",
        "weekly",
        "2026-01-05T09:00Z",
        "2026-01-07T11:00Z",
        "2026-01-14T09:00Z",
        mode="completion",
    ),
    Case(
        "completion weekdays done on Friday",
        "weekdays",
        "2026-01-30T09:00Z",
        "2026-01-30T18:00Z",
        "2026-02-02T09:00Z",
        mode="completion",
    ),
    Case(
        "completion Berlin across the change",
        "daily",
        "2026-03-28T09:00+01:00",
        "2026-03-28T21:00+01:00",
        "2026-03-29T09:00+02:00",
        zone="Europe/Berlin",
        mode="completion",
    ),
    Case(
        "completion every 2 hours at :15",
        "FREQ=HOURLY;INTERVAL=2",
        "2026-01-01T09:15Z",
        "2026-01-01T10:40Z",
        "2026-01-01T13:15Z",
        mode="completion",
    ),
    Case(
        "completion yearly from Feb 29 done Mar 1",
        "yearly",
        "2028-02-29T09:00Z",
        "2028-03-01T08:00Z",
        "2029-03-01T09:00Z",
        mode="completion",
    ),
    Case(
        "completion BYDAY=MO,WE done Tuesday",
        "FREQ=WEEKLY;BYDAY=MO,WE",
        "2026-01-05T09:00Z",
        "2026-01-06T10:00Z",
        "2026-01-14T09:00Z",
        mode="completion",
    ),
    # BYDAY weekly sets, INTERVAL, weekdays over a weekend.
    Case(
        "MO,WE,FR from Monday",
        "FREQ=WEEKLY;BYDAY=MO,WE,FR",
        "2026-01-05T09:00Z",
        "2026-01-05T10:00Z",
        "2026-01-07T09:00Z",
    ),
    Case(
        "MO,WE,FR from Friday",
        "FREQ=WEEKLY;BYDAY=MO,WE,FR",
        "2026-01-05T09:00Z",
        "2026-01-09T10:00Z",
        "2026-01-12T09:00Z",
        due="2026-01-09T09:00Z",
        number=3,
    ),
    Case(
        "every 2 weeks MO,WE skips a week",
        "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,WE",
        "2026-01-05T09:00Z",
        "2026-01-07T10:00Z",
        "2026-01-19T09:00Z",
        due="2026-01-07T09:00Z",
        number=2,
    ),
    Case(
        "every 2 days", "FREQ=DAILY;INTERVAL=2", "2026-01-01T09:00Z", "2026-01-01T10:00Z", "2026-01-03T09:00Z"
    ),
    Case(
        "weekdays over the weekend", "weekdays", "2026-01-02T09:00Z", "2026-01-02T10:00Z", "2026-01-05T09:00Z"
    ),
    Case(
        "weekdays done on Saturday", "weekdays", "2026-01-02T09:00Z", "2026-01-03T12:00Z", "2026-01-05T09:00Z"
    ),
    Case(
        "every 3 hours, one skipped",
        "FREQ=HOURLY;INTERVAL=3",
        "2026-01-01T09:00Z",
        "2026-01-01T13:30Z",
        "2026-01-01T15:00Z",
        expected_number=3,
    ),
    Case(
        "BYHOUR 9 and 17",
        "FREQ=DAILY;BYHOUR=9,17;BYMINUTE=0",
        "2026-01-01T09:00Z",
        "2026-01-01T09:10Z",
        "2026-01-01T17:00Z",
    ),
    # COUNT and UNTIL end the series.
    Case(
        "COUNT=3 third occurrence",
        "FREQ=DAILY;COUNT=3",
        "2026-01-01T09:00Z",
        "2026-01-02T10:00Z",
        "2026-01-03T09:00Z",
        due="2026-01-02T09:00Z",
        number=2,
        expected_number=3,
    ),
    Case(
        "COUNT=3 ends",
        "FREQ=DAILY;COUNT=3",
        "2026-01-01T09:00Z",
        "2026-01-03T10:00Z",
        None,
        due="2026-01-03T09:00Z",
        number=3,
    ),
    Case(
        "COUNT=3 overdue past the end", "FREQ=DAILY;COUNT=3", "2026-01-01T09:00Z", "2026-01-10T10:00Z", None
    ),
    Case(
        "UNTIL ends a weekly series",
        "FREQ=WEEKLY;UNTIL=20260119T000000Z",
        "2026-01-05T09:00Z",
        "2026-01-12T10:00Z",
        None,
        due="2026-01-12T09:00Z",
        number=2,
    ),
    Case(
        "UNTIL as a date includes that day",
        "FREQ=DAILY;UNTIL=20260103",
        "2026-01-01T09:00Z",
        "2026-01-02T10:00Z",
        "2026-01-03T09:00Z",
        due="2026-01-02T09:00Z",
        number=2,
    ),
    Case(
        "UNTIL as a date ends after it",
        "FREQ=DAILY;UNTIL=20260103",
        "2026-01-01T09:00Z",
        "2026-01-03T10:00Z",
        None,
        due="2026-01-03T09:00Z",
        number=3,
    ),
    Case(
        "COUNT with completion mode",
        "FREQ=DAILY;COUNT=2",
        "2026-01-01T09:00Z",
        "2026-01-03T10:00Z",
        None,
        due="2026-01-02T09:00Z",
        number=2,
        mode="completion",
    ),
]


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_the_table_has_at_least_forty_cases():
    assert len(CASES) >= 40
    assert len({case.name for case in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_next_due_date(case: Case):
    rule = parse_recurrence(case.rule, due_at=at(case.start), time_zone=case.zone)

    found = next_occurrence(
        rule,
        due_at=at(case.due or case.start),
        completed_at=at(case.done),
        repeat_from=case.mode,
        number=case.number,
    )

    if case.expected is None:
        assert found is None
        return
    assert found is not None
    # The same instant and the same UTC offset as worked out by hand (compared via
    # UTC: Python never calls an ambiguous wall time equal to another zone's time).
    assert found.due_at == at(case.expected)
    assert found.due_at.astimezone(rule.zone).utcoffset() == at(case.expected).utcoffset()
    assert found.number == (case.expected_number or case.number + 1)
