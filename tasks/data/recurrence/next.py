"""The next occurrence of a series when one is completed, and its reminder."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import islice
from typing import Literal
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta
from dateutil.rrule import DAILY, HOURLY, MONTHLY, WEEKLY, YEARLY

from tasks.data.recurrence.occurrences import instant, nominal_times, wall
from tasks.data.recurrence.rules import Rule, pattern
from tasks.data.recurrence.syntax import RecurrenceError

RepeatFrom = Literal["due", "completion"]

# A wall time in a DST gap can move forward by up to a day (Pacific/Apia skipped
# 30 Dec 2011), so a search for the times after a due date starts this much earlier.
_GAP_MARGIN = timedelta(days=2)


@dataclass(frozen=True)
class Occurrence:
    """One occurrence of a series: its due date (UTC) and its number (the first is 1)."""

    due_at: datetime
    number: int


def next_occurrence(
    rule: Rule, *, due_at: datetime, completed_at: datetime, repeat_from: RepeatFrom, number: int
) -> Occurrence | None:
    """The occurrence that follows occurrence `number`, due at `due_at`, completed at
    `completed_at`; None when COUNT or UNTIL has ended the series.

    repeat_from="due": the first occurrence of the schedule (anchored on the series
    start) strictly after both the old due date and the completion, so an overdue
    task completed late creates one task, not a pile of past ones. Its number counts
    the occurrences skipped on the way, which is how COUNT ends a schedule.

    repeat_from="completion": one interval after the completion, at the series' local
    time of day, where one interval is, in the task's zone: FREQ=YEARLY, INTERVAL
    calendar years from the completion's date (Feb 29 -> Feb 28 in a common year);
    MONTHLY, INTERVAL calendar months (the 31st -> a shorter month's last day);
    WEEKLY, 7 x INTERVAL days; DAILY, INTERVAL days; HOURLY, INTERVAL hours after the
    completion, then the first time with the series' minute and second. BY parts the
    rule states still hold: the next occurrence is the rule's first one at or after
    that moment (`FREQ=WEEKLY;BYDAY=MO,WE` done on a Tuesday: the Wednesday a week
    later). That date can be earlier than the old due date when a task is done early,
    as the interval counts from the completion. Its number is `number + 1`.
    """
    if repeat_from == "due":
        found = _after_schedule(rule, due_at=due_at, completed_at=completed_at, number=number)
    elif repeat_from == "completion":
        found = _after_completion(rule, completed_at=completed_at, number=number)
    else:
        raise ValueError(f"repeat_from must be 'due' or 'completion', not {repeat_from!r}")
    if found is None:
        return None
    nominal, occurrence = found
    if rule.count is not None and occurrence.number > rule.count:
        return None
    if rule.until is not None and not rule.until.allows(nominal, occurrence.due_at):
        return None
    return occurrence


def next_due(
    rule: Rule, *, due_at: datetime, completed_at: datetime, repeat_from: RepeatFrom, number: int
) -> datetime | None:
    """The next due date alone (see next_occurrence)."""
    found = next_occurrence(
        rule, due_at=due_at, completed_at=completed_at, repeat_from=repeat_from, number=number
    )
    return None if found is None else found.due_at


def upcoming(rule: Rule, *, after: datetime, limit: int) -> list[datetime]:
    """The schedule's next `limit` due dates after a moment, as far as COUNT and
    UNTIL allow (to show a series). With COUNT the series is counted from its start;
    without, the search starts just before `after`."""
    point = rule.anchor
    if rule.count is None:
        point = max(point, wall(after, rule.zone) - _GAP_MARGIN)
    dates: list[datetime] = []
    number = 1
    for nominal in nominal_times(rule.schedule, point=point):
        at = instant(nominal, rule.zone)
        if at <= rule.series_start or (dates and at == dates[-1]):
            continue
        number += 1
        if (rule.count is not None and number > rule.count) or (
            rule.until is not None and not rule.until.allows(nominal, at)
        ):
            break
        if at > after:
            dates.append(at)
            if len(dates) == limit:
                break
    return dates


def next_remind_at(
    *, due_at: datetime, remind_at: datetime | None, next_due_at: datetime, time_zone: ZoneInfo
) -> datetime | None:
    """The next occurrence's reminder, as far before its due date as the old one was.

    The offset is read and applied on the task's wall clock, so "the evening before at
    18:00" stays at 18:00 across a DST change. Where that wall time does not exist or
    is ambiguous, the offset is taken as elapsed time instead, so that "30 minutes
    before" a 03:00 task on the night the clocks jump is 30 real minutes before it.
    """
    if remind_at is None:
        return None
    candidate = wall(next_due_at, time_zone) - (wall(due_at, time_zone) - wall(remind_at, time_zone))
    if _plain_wall_time(candidate, time_zone):
        return instant(candidate, time_zone)
    return next_due_at - (due_at - remind_at)


def _plain_wall_time(nominal: datetime, zone: ZoneInfo) -> bool:
    """Whether a local wall time happens exactly once (neither in a gap nor a fold)."""
    first, second = nominal.replace(tzinfo=zone, fold=0), nominal.replace(tzinfo=zone, fold=1)
    return first.utcoffset() == second.utcoffset() and wall(instant(nominal, zone), zone) == nominal


def _after_schedule(
    rule: Rule, *, due_at: datetime, completed_at: datetime, number: int
) -> tuple[datetime, Occurrence] | None:
    threshold = max(due_at, completed_at)
    previous = None
    for nominal in nominal_times(rule.schedule, point=wall(due_at, rule.zone) - _GAP_MARGIN):
        at = instant(nominal, rule.zone)
        # Two wall times can meet in one instant (02:30 moved by the gap to 03:30);
        # RFC 5545 counts such a duplicate once.
        if at <= due_at or at == previous:
            continue
        previous = at
        number += 1
        if at > threshold:
            return nominal, Occurrence(at, number)
        if rule.count is not None and number >= rule.count:
            return None
    return None


def _after_completion(rule: Rule, *, completed_at: datetime, number: int) -> tuple[datetime, Occurrence]:
    done = wall(completed_at, rule.zone)
    time_of_day = rule.anchor.time()
    step = rule.interval
    if rule.freq == HOURLY:
        later = done + timedelta(hours=step)
        start = later.replace(
            minute=rule.anchor.minute, second=rule.anchor.second, microsecond=rule.anchor.microsecond
        )
        if start < later:
            start += timedelta(hours=1)
    else:
        shift = {
            YEARLY: relativedelta(years=step),
            MONTHLY: relativedelta(months=step),
            WEEKLY: relativedelta(weeks=step),
            DAILY: relativedelta(days=step),
        }[rule.freq]
        start = datetime.combine(done.date() + shift, time_of_day)
    # The rule's own BY parts still hold; the ones it leaves out come from `start`.
    try:
        restarted = pattern(dict(rule.parts), start)
    except RecurrenceError:  # e.g. BYHOUR that an HOURLY interval cannot reach from this hour
        restarted = None
    if restarted is not None:
        for nominal in islice(nominal_times(restarted, point=start), 1000):
            at = instant(nominal, rule.zone)
            if at > completed_at:
                return nominal, Occurrence(at, number + 1)
    # Only a rule whose parts meet no date from here (none that the series start
    # allowed) gets here: one interval, as the words mean it.
    return start, Occurrence(instant(start, rule.zone), number + 1)
