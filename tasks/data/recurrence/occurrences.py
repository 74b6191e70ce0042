"""Wall-clock occurrences of a rule: the one place that runs dateutil's generator.

dateutil iterates naive wall times; this module turns them into instants in the
task's zone itself, and bounds every search. Two facts make that work:

- dateutil's generator checks `UNTIL` only when it has a result, so a rule that
  never matches again (`FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30`) runs to the year 9999.
  The Gregorian calendar repeats every 400 years (146,097 days, a whole number of
  weeks), so the window searched is moved by a multiple of 400 years to end near
  9999, where the generator stops by itself; results are moved back. Weekdays, leap
  days, week numbers and month lengths are the same there.
- The iteration starts at the beginning of a period (year, month, week, day, hour)
  in phase with the series' anchor, so `INTERVAL` and `BYSETPOS` see whole periods as
  RFC 5545 defines them (dateutil counts `BYSETPOS` from DTSTART in a first partial
  week), while the parts the anchor implies are always spelled out (rules.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dateutil.rrule import DAILY, HOURLY, MONTHLY, WEEKLY, YEARLY, rrule

# A rule with no occurrence within this many years after a point is taken as never
# occurring again (a yearly Feb 29 that must also be a Monday recurs within 40).
HORIZON_YEARS = 100
_CYCLE_YEARS = 400


def wall(moment: datetime, zone: ZoneInfo) -> datetime:
    """The naive local wall time of an aware instant in `zone`."""
    return moment.astimezone(zone).replace(tzinfo=None)


def instant(nominal: datetime, zone: ZoneInfo) -> datetime:
    """The UTC instant of a local wall time: a time in a DST gap moves forward by
    the gap, an ambiguous one takes its first instance (PEP 495's fold=0 does both)."""
    return nominal.replace(tzinfo=zone, fold=0).astimezone(UTC)


def period_start(*, freq: int, interval: int, wkst: int, anchor: datetime, point: datetime) -> datetime:
    """The start of the period at or before `point` that is a whole number of
    `interval` periods from the anchor's period."""
    if freq == YEARLY:
        years = (point.year - anchor.year) // interval * interval
        return datetime(anchor.year + years, 1, 1)
    if freq == MONTHLY:
        months = (point.year - anchor.year) * 12 + point.month - anchor.month
        index = anchor.year * 12 + anchor.month - 1 + months // interval * interval
        return datetime(index // 12, index % 12 + 1, 1)
    if freq == WEEKLY:
        first_week = anchor.date() - timedelta(days=(anchor.weekday() - wkst) % 7)
        weeks = (point.date() - first_week).days // 7 // interval * interval
        return datetime.combine(first_week + timedelta(weeks=weeks), time())
    if freq == DAILY:
        days = (point.date() - anchor.date()).days // interval * interval
        return datetime.combine(anchor.date() + timedelta(days=days), time())
    if freq == HOURLY:
        first_hour = anchor.replace(minute=0, second=0, microsecond=0)
        hours = (point - first_hour) // timedelta(hours=1) // interval * interval
        return first_hour + timedelta(hours=hours)
    raise ValueError(f"unsupported frequency {freq}")


def _moved(moment: datetime, years: int) -> datetime:
    # Exact for any multiple of 400 years: Feb 29 lands on a leap year again.
    return moment.replace(year=moment.year + years)


@dataclass(frozen=True)
class Pattern:
    """A dateutil rule with every part its DTSTART would imply spelled out, so that
    it can be re-based on any period start, and the wall time it is anchored on."""

    rule: rrule
    parts: tuple[tuple[str, str], ...]  # the RRULE parts, the implied ones spelled out
    freq: int
    interval: int
    wkst: int
    anchor: datetime


def nominal_times(pattern: Pattern, *, point: datetime) -> Iterator[datetime]:
    """The rule's wall times from the period holding `point` on, in order, for at
    most HORIZON_YEARS: a bounded search even for a rule that never matches.
    Times before the anchor are left out; the anchor's microseconds are kept
    (dateutil drops them)."""
    anchor = pattern.anchor
    begin = period_start(
        freq=pattern.freq, interval=pattern.interval, wkst=pattern.wkst, anchor=anchor, point=point
    )
    last_year = min(begin.year + HORIZON_YEARS, 9999)
    # Move the window so that the generator's own end (the year 9999) is at most one
    # cycle after the window's end.
    shift = (9999 - HORIZON_YEARS - begin.year) // _CYCLE_YEARS * _CYCLE_YEARS
    for moved in pattern.rule.replace(dtstart=_moved(begin, shift)):
        if moved.year - shift > last_year:
            return
        nominal = _moved(moved, -shift).replace(microsecond=anchor.microsecond)
        if nominal >= anchor:
            yield nominal
