"""Properties of every next due date, over generated series (hypothesis).

The oracle is dateutil's own generator run from the series start, with each word
written out here as the RRULE it stands for, and wall times turned into instants by
PEP 495 (fold=0: a time in a gap moves forward, an ambiguous one is the first).
Series start near DST changes, month ends and leap days.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta
from dateutil.rrule import rrulestr
from hypothesis import example, given, settings
from hypothesis import strategies as st

from tasks.data.recurrence import next_occurrence, parse_recurrence

# Bounded and derandomized, as the project's fuzz tests are: quick and repeatable.
PROPERTY_SETTINGS = settings(max_examples=200, deadline=None, derandomize=True, database=None)

ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Pacific/Chatham", "Asia/Kolkata"]
RULES = [
    "daily",
    "weekdays",
    "weekly",
    "monthly",
    "yearly",
    "FREQ=WEEKLY;BYDAY=MO,WE,FR",
    "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,TH",
    "FREQ=MONTHLY;BYMONTHDAY=31",
    "FREQ=MONTHLY;BYMONTHDAY=1,15",
    "FREQ=MONTHLY;BYDAY=-1FR",
    "FREQ=MONTHLY;INTERVAL=2",
    "FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU",
    "FREQ=DAILY;INTERVAL=3",
    "FREQ=DAILY;BYHOUR=8,20;BYMINUTE=0",
    "FREQ=HOURLY;INTERVAL=5",
]
# Days just before DST changes (Berlin, New York, Lord Howe, Chatham), month ends, leap days.
FIRST_DAYS = [
    date(2026, 3, 26),
    date(2026, 10, 22),
    date(2026, 3, 5),
    date(2026, 10, 29),
    date(2026, 10, 1),
    date(2026, 4, 2),
    date(2026, 9, 25),
    date(2026, 1, 28),
    date(2026, 8, 29),
    date(2028, 2, 26),
    date(2027, 12, 29),
]
UNITS = {"daily": relativedelta(days=1), "weekly": relativedelta(weeks=1)}
UNITS |= {"monthly": relativedelta(months=1), "yearly": relativedelta(years=1)}


def oracle_rrule(text: str, anchor: datetime) -> str:
    """The RRULE a word stands for, written out independently of the code under test."""
    if text == "weekdays":
        return "FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR"
    if text == "monthly" and anchor.day > 28:
        return "FREQ=MONTHLY;BYMONTHDAY=" + ",".join(map(str, range(28, anchor.day + 1))) + ";BYSETPOS=-1"
    if text == "yearly" and (anchor.month, anchor.day) == (2, 29):
        return "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=28,29;BYSETPOS=-1"
    return {
        "daily": "FREQ=DAILY",
        "weekly": "FREQ=WEEKLY",
        "monthly": "FREQ=MONTHLY",
        "yearly": "FREQ=YEARLY",
    }.get(text, text)


def localized(wall_time: datetime, zone: ZoneInfo) -> datetime:
    return wall_time.replace(tzinfo=zone, fold=0).astimezone(UTC)


def wall(moment: datetime, zone: ZoneInfo) -> datetime:
    return moment.astimezone(zone).replace(tzinfo=None)


series = st.fixed_dictionaries(
    {
        "zone": st.sampled_from(ZONES),
        "rule": st.sampled_from(RULES),
        "day": st.sampled_from(FIRST_DAYS).flatmap(
            lambda first: st.integers(0, 6).map(lambda n: first + timedelta(n))
        ),
        "time": st.builds(time, st.sampled_from([0, 1, 2, 3, 9, 17, 23]), st.sampled_from([0, 15, 30, 45])),
        "mode": st.sampled_from(["due", "completion"]),
        # When each occurrence is completed, in minutes from its due date: early or late.
        "completions": st.lists(st.integers(-3 * 24 * 60, 10 * 24 * 60), min_size=1, max_size=4),
    }
)


def chosen(zone: str, rule: str, day: date, at: time, mode: str, completions: list[int]) -> dict:
    return {"zone": zone, "rule": rule, "day": day, "time": at, "mode": mode, "completions": completions}


@PROPERTY_SETTINGS
@given(series)
# Besides what hypothesis draws, always these: a month end, the ambiguous and the missing hour.
@example(chosen("Europe/Berlin", "monthly", date(2026, 1, 31), time(9), "due", [0, 60, 60, 60]))
@example(chosen("Europe/Berlin", "daily", date(2026, 10, 24), time(2, 30), "due", [30, 30]))
@example(chosen("America/New_York", "daily", date(2026, 10, 31), time(1, 30), "completion", [0, 0]))
@example(chosen("Australia/Lord_Howe", "daily", date(2026, 10, 3), time(2, 15), "due", [0, 0]))
@example(chosen("Australia/Lord_Howe", "weekdays", date(2026, 4, 3), time(1, 45), "due", [0, 0, 0]))
def test_every_next_due_date_follows_the_rule(case):
    zone = ZoneInfo(case["zone"])
    start = localized(datetime.combine(case["day"], case["time"]), zone)
    rule = parse_recurrence(case["rule"], due_at=start, time_zone=case["zone"])
    anchor = wall(start, zone)
    oracle = rrulestr(oracle_rrule(case["rule"], anchor), dtstart=anchor)
    sets_time = "BYHOUR" in case["rule"] or "HOURLY" in case["rule"]
    due, number = start, 1

    for minutes in case["completions"]:
        completed = due + timedelta(minutes=minutes)
        found = next_occurrence(
            rule, due_at=due, completed_at=completed, repeat_from=case["mode"], number=number
        )
        assert found is not None  # no COUNT or UNTIL here: a series goes on
        nxt = found.due_at

        assert nxt > completed
        assert found.number > number
        if not sets_time:
            # The series' local time of day, or where a DST gap moved it that day.
            assert localized(datetime.combine(wall(nxt, zone).date(), anchor.time()), zone) == nxt
        if case["mode"] == "due":
            assert nxt > due
            # In the rule's occurrence set, anchored on the series start, in the zone ...
            around = oracle.between(wall(nxt, zone) - timedelta(hours=2), wall(nxt, zone), inc=True)
            assert nxt in [localized(each, zone) for each in around]
            # ... and the first one after both the old due date and the completion.
            threshold = max(due, completed)
            passed = oracle.between(wall(threshold, zone) - timedelta(hours=2), wall(nxt, zone), inc=True)
            assert not [each for each in passed if threshold < localized(each, zone) < nxt]
        elif case["rule"] in UNITS:
            # One interval after the completion's local date.
            assert wall(nxt, zone).date() == wall(completed, zone).date() + UNITS[case["rule"]]
        due, number = nxt, found.number
