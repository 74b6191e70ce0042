"""Reading and checking a task's `recurrence`: an RFC 5545 RRULE or one of the words.

A rule is always read together with the series' first due date (its anchor) and
the task's zone: the words take their day from it, and so does every part an RRULE
leaves out (`FREQ=MONTHLY` repeats on the anchor's day of the month, at its time).
Everything that is wrong is a RecurrenceError naming the task field to blame.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from itertools import islice
from zoneinfo import ZoneInfo, available_timezones

from dateutil.rrule import DAILY, HOURLY, rrulestr

from tasks.data.recurrence.occurrences import HORIZON_YEARS, Pattern, nominal_times, wall
from tasks.data.recurrence.syntax import (
    DAY_CODES,
    FREQUENCIES,
    RecurrenceError,
    Until,
    read_rrule,
    read_until,
    rrule_text,
    until_text,
)

WORDS = ("daily", "weekdays", "weekly", "monthly", "yearly")
_ONE_HOUR = timedelta(hours=1)


@dataclass(frozen=True)
class Rule:
    """A checked recurrence, anchored on its series' first due date in its zone."""

    text: str  # as it is stored: the word, or the RRULE's parts in RFC order
    word: str | None
    parts: tuple[tuple[str, str], ...]  # what the text says, less COUNT and UNTIL (a word: its frequency)
    zone: ZoneInfo
    series_start: datetime  # the first due date, in UTC
    count: int | None
    until: Until | None
    schedule: Pattern  # the occurrences, every implied part spelled out from the anchor

    @property
    def anchor(self) -> datetime:
        """The series' first due date as a local wall time."""
        return self.schedule.anchor

    @property
    def freq(self) -> int:
        return self.schedule.freq

    @property
    def interval(self) -> int:
        return self.schedule.interval

    def part(self, name: str) -> str | None:
        return dict(self.parts).get(name)


# Files in the zone folder that are not zones a user means: the machine's own zone, and
# tzdata's placeholder.
_NOT_ZONES = frozenset({"localtime", "posixrules", "Factory"})


@cache
def _zone_names() -> frozenset[str]:
    return frozenset(available_timezones()) - _NOT_ZONES


def zone_named(name: str | None) -> ZoneInfo:
    """The IANA zone of that name (UTC when none is given)."""
    if name is None or name == "":
        return ZoneInfo("UTC")
    # available_timezones() rather than trying ZoneInfo(name): it refuses paths and
    # files of the zone folder that are not zones ("localtime", "posixrules").
    if not isinstance(name, str) or name not in _zone_names():
        raise RecurrenceError("time_zone", f"{name!r} is not an IANA time zone name, e.g. 'Europe/Berlin'.")
    return ZoneInfo(name)


def parse_recurrence(text: str, *, due_at: datetime | None, time_zone: str | None = "UTC") -> Rule:
    """Check a recurrence and anchor it on the series' first due date.

    A cheap, bounded check: a rule that never occurs within 100 years of the due date,
    or occurs more often than hourly, is refused like a malformed one."""
    zone = zone_named(time_zone)
    if due_at is None:
        raise RecurrenceError("due_at", "A recurring task needs a due date.")
    if due_at.utcoffset() is None:
        raise RecurrenceError("due_at", "The due date needs a UTC offset.")
    if not isinstance(text, str) or not text.strip():
        raise RecurrenceError(
            "recurrence", "Give an RRULE such as 'FREQ=WEEKLY;BYDAY=MO' or one of " + _words()
        )
    anchor = wall(due_at, zone)
    word = text.strip().lower()
    if word in WORDS:
        parts = _word_frequency(word)
        written: dict[str, str] = _word_schedule(word, anchor)
        count = until = None
        stored = word
    else:
        word = None
        written = read_rrule(text)
        count = int(written.pop("COUNT")) if "COUNT" in written else None
        until = read_until(written.pop("UNTIL")) if "UNTIL" in written else None
        parts = written
        stored = rrule_text(parts, count=count, until_text=until_text(text))
    schedule = pattern(written, anchor)
    rule = Rule(
        text=stored,
        word=word,
        parts=tuple(parts.items()),
        zone=zone,
        series_start=due_at.astimezone(UTC),
        count=count,
        until=until,
        schedule=schedule,
    )
    if until is not None and not until.allows(anchor, rule.series_start):
        raise RecurrenceError(
            "recurrence", "UNTIL is before the due date: the series would end before it starts."
        )
    _check_occurs_and_not_too_often(rule)
    return rule


def pattern(parts: dict[str, str], anchor: datetime) -> Pattern:
    """The dateutil rule for these parts anchored on a wall time, with the parts the
    anchor implies (RFC 5545: taken from DTSTART) spelled out."""
    spelled = dict(parts)
    freq = spelled["FREQ"]
    if not any(name in spelled for name in ("BYWEEKNO", "BYYEARDAY", "BYMONTHDAY", "BYDAY")):
        if freq == "YEARLY":
            spelled.setdefault("BYMONTH", str(anchor.month))
            spelled["BYMONTHDAY"] = str(anchor.day)
        elif freq == "MONTHLY":
            spelled["BYMONTHDAY"] = str(anchor.day)
        elif freq == "WEEKLY":
            spelled["BYDAY"] = DAY_CODES[anchor.weekday()]
    if freq != "HOURLY":
        spelled.setdefault("BYHOUR", str(anchor.hour))
    spelled.setdefault("BYMINUTE", str(anchor.minute))
    spelled.setdefault("BYSECOND", str(anchor.second))
    # Spelled out so that calendar.setfirstweekday() elsewhere cannot change it.
    spelled.setdefault("WKST", "MO")
    text = "RRULE:" + ";".join(f"{name}={value}" for name, value in spelled.items())
    try:
        rule = rrulestr(text, dtstart=anchor.replace(microsecond=0))
    except ValueError as error:
        # dateutil refuses e.g. FREQ=HOURLY;INTERVAL=5;BYHOUR=... hours the interval never reaches.
        raise RecurrenceError("recurrence", f"This rule never occurs ({error}).") from error
    return Pattern(
        rule=rule,
        parts=tuple(spelled.items()),
        freq=FREQUENCIES[freq],
        interval=int(spelled.get("INTERVAL", "1")),
        wkst=DAY_CODES.index(spelled["WKST"]),
        anchor=anchor,
    )


def _words() -> str:
    return ", ".join(f"'{word}'" for word in WORDS) + "."


def _word_frequency(word: str) -> dict[str, str]:
    """What a word means counted from a completion: its frequency (and days)."""
    if word == "weekdays":
        # DAILY, not WEEKLY: counted from a completion, one interval is one day.
        return {"FREQ": "DAILY", "BYDAY": "MO,TU,WE,TH,FR"}
    return {"FREQ": {"daily": "DAILY", "weekly": "WEEKLY", "monthly": "MONTHLY", "yearly": "YEARLY"}[word]}


def _word_schedule(word: str, anchor: datetime) -> dict[str, str]:
    """What a word means on a schedule, taken from the first due date: the day of the
    month clamps to a shorter month's last day and comes back in longer ones."""
    if word == "weekly":
        return {"FREQ": "WEEKLY", "BYDAY": DAY_CODES[anchor.weekday()]}
    if word == "monthly":
        if anchor.day <= 28:
            return {"FREQ": "MONTHLY", "BYMONTHDAY": str(anchor.day)}
        # The 31st or, in a shorter month, the last day: the latest of 28..31 that exists.
        days = ",".join(str(day) for day in range(28, anchor.day + 1))
        return {"FREQ": "MONTHLY", "BYMONTHDAY": days, "BYSETPOS": "-1"}
    if word == "yearly":
        if (anchor.month, anchor.day) == (2, 29):
            return {"FREQ": "YEARLY", "BYMONTH": "2", "BYMONTHDAY": "28,29", "BYSETPOS": "-1"}
        return {"FREQ": "YEARLY", "BYMONTH": str(anchor.month), "BYMONTHDAY": str(anchor.day)}
    return _word_frequency(word)


def _check_occurs_and_not_too_often(rule: Rule) -> None:
    """The rule occurs again after its first due date, and never twice within an hour.

    Impossible dates (Feb 30) and weekly steps that miss every BYDAY are told at once;
    anything else by the bounded search (occurrences.nominal_times), which for a rule
    that never matches costs a few hundred years of dateutil's periods (tens of ms)."""
    never = RecurrenceError(
        "recurrence",
        f"This rule never occurs: it has no date in the {HORIZON_YEARS} years after the due date.",
    )
    if _no_such_date(dict(rule.parts)) or _weekday_never_reached(rule):
        raise never
    first = list(islice(nominal_times(rule.schedule, point=rule.anchor), 24))
    if not any(nominal > rule.anchor for nominal in first):
        raise never
    for earlier, later in zip(first, first[1:], strict=False):
        if later - earlier < _ONE_HOUR:
            raise RecurrenceError(
                "recurrence",
                f"A task can repeat at most hourly; this rule occurs at {earlier:%H:%M} and {later:%H:%M}.",
            )


def _no_such_date(parts: dict[str, str]) -> bool:
    """Whether no month allowed has any day of BYMONTHDAY (Feb 30, Apr 31): told at
    once rather than by a search through the horizon. Any day that exists in some
    year falls on every weekday within 28 years, so BYDAY cannot make it possible."""
    if "BYMONTHDAY" not in parts:
        return False
    months = [int(month) for month in parts.get("BYMONTH", "1,2,3,4,5,6,7,8,9,10,11,12").split(",")]
    days = [abs(int(day)) for day in parts["BYMONTHDAY"].split(",")]
    # 2000 is a leap year: each month at its longest.
    return not any(day <= calendar.monthrange(2000, month)[1] for day in days for month in months)


def _weekday_never_reached(rule: Rule) -> bool:
    """A DAILY or HOURLY step of whole weeks stays on the anchor's weekday: BYDAY
    without it never matches (told here, not by following the steps for 100 years)."""
    step_hours = rule.interval * (24 if rule.freq == DAILY else 1)
    weekdays = dict(rule.parts).get("BYDAY")
    if rule.freq not in (DAILY, HOURLY) or weekdays is None or step_hours % (24 * 7):
        return False
    return DAY_CODES[rule.anchor.weekday()] not in weekdays.split(",")
