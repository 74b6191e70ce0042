"""The text of an RRULE: its parts read and checked one by one, as RFC 5545 defines them.

Only the syntax and the combinations the RFC forbids; whether a rule ever occurs,
and how often, is for rules.py, which knows the series' anchor.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from dateutil.rrule import DAILY, HOURLY, MONTHLY, WEEKLY, YEARLY

DAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
FREQUENCIES = {"YEARLY": YEARLY, "MONTHLY": MONTHLY, "WEEKLY": WEEKLY, "DAILY": DAILY, "HOURLY": HOURLY}
_TOO_OFTEN = ("MINUTELY", "SECONDLY")
# The rule parts of RFC 5545 section 3.3.10, in its order (also the order they are written back in).
PART_NAMES = (
    "FREQ",
    "UNTIL",
    "COUNT",
    "INTERVAL",
    "BYSECOND",
    "BYMINUTE",
    "BYHOUR",
    "BYDAY",
    "BYMONTHDAY",
    "BYYEARDAY",
    "BYWEEKNO",
    "BYMONTH",
    "BYSETPOS",
    "WKST",
)
_NUMBER_RANGES = {
    "BYSECOND": (0, 59, False),
    "BYMINUTE": (0, 59, False),
    "BYHOUR": (0, 23, False),
    "BYMONTHDAY": (1, 31, True),
    "BYYEARDAY": (1, 366, True),
    "BYWEEKNO": (1, 53, True),
    "BYMONTH": (1, 12, False),
    "BYSETPOS": (1, 366, True),
}
_LARGEST = 10_000  # for INTERVAL and COUNT: larger ones are typing mistakes, and costly to follow
_WEEKDAY = re.compile(r"([+-]?)(\d{1,2})?(MO|TU|WE|TH|FR|SA|SU)")
_UNTIL = re.compile(r"(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2})(\d{2})(Z?))?")


class RecurrenceError(ValueError):
    """A recurrence that cannot be accepted; `field` names the task field to blame."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Until:
    """The UNTIL part: a UTC instant (`...Z`), a local wall time, or a local date
    (then the whole day counts, as a user who writes a date means)."""

    moment: datetime
    utc: bool = False
    date_only: bool = False

    def allows(self, nominal: datetime, at: datetime) -> bool:
        if self.utc:
            return at <= self.moment
        if self.date_only:
            return nominal.date() <= self.moment.date()
        return nominal <= self.moment


def read_rrule(text: str) -> dict[str, str]:
    """The parts of one RRULE (an optional `RRULE:` prefix), each checked."""
    body = text.strip()
    if "\n" in body or "\r" in body:
        raise RecurrenceError("recurrence", "Give one RRULE on one line, without DTSTART, RDATE or EXDATE.")
    if body.upper().startswith("RRULE:"):
        body = body[len("RRULE:") :]
    for other in ("DTSTART", "RDATE", "EXDATE", "EXRULE"):
        if other in body.upper():
            raise RecurrenceError(
                "recurrence",
                f"{other} is not accepted: the series starts at the due date; give the RRULE alone.",
            )
    parts: dict[str, str] = {}
    for item in filter(None, body.split(";")):
        name, equals, value = item.partition("=")
        name, value = name.strip().upper(), value.strip().upper()
        if not equals or not value:
            raise RecurrenceError("recurrence", f"{item!r} is not NAME=VALUE.")
        if name not in PART_NAMES:
            raise RecurrenceError(
                "recurrence", f"Unknown rule part {name}; RFC 5545 has " + ", ".join(PART_NAMES)
            )
        if name in parts:
            raise RecurrenceError("recurrence", f"{name} is given twice.")
        parts[name] = value
    _check_parts(parts)
    return {name: parts[name] for name in PART_NAMES if name in parts}


def _check_parts(parts: dict[str, str]) -> None:
    freq = parts.get("FREQ")
    if freq is None:
        raise RecurrenceError("recurrence", "FREQ is required, e.g. FREQ=WEEKLY.")
    if freq in _TOO_OFTEN:
        raise RecurrenceError(
            "recurrence", "A task can repeat at most hourly; FREQ=MINUTELY/SECONDLY is refused."
        )
    if freq not in FREQUENCIES:
        raise RecurrenceError("recurrence", f"FREQ must be one of {', '.join(FREQUENCIES)}.")
    if "COUNT" in parts and "UNTIL" in parts:
        raise RecurrenceError("recurrence", "COUNT and UNTIL cannot both be given (RFC 5545).")
    for name in ("COUNT", "INTERVAL"):
        if name in parts and not (parts[name].isdigit() and 1 <= int(parts[name]) <= _LARGEST):
            raise RecurrenceError("recurrence", f"{name} must be a whole number from 1 to {_LARGEST}.")
    for name, (low, high, signed) in _NUMBER_RANGES.items():
        if name in parts:
            _check_numbers(name, parts[name], low, high, signed)
    if "BYDAY" in parts:
        _check_weekdays(parts["BYDAY"], freq=freq, has_weekno="BYWEEKNO" in parts)
    if "WKST" in parts and parts["WKST"] not in DAY_CODES:
        raise RecurrenceError("recurrence", "WKST must be one of " + ",".join(DAY_CODES) + ".")
    if "UNTIL" in parts:
        read_until(parts["UNTIL"])
    # The combinations RFC 5545 forbids.
    if "BYMONTHDAY" in parts and freq == "WEEKLY":
        raise RecurrenceError("recurrence", "BYMONTHDAY cannot be used with FREQ=WEEKLY.")
    if "BYYEARDAY" in parts and freq in ("MONTHLY", "WEEKLY", "DAILY"):
        raise RecurrenceError("recurrence", f"BYYEARDAY cannot be used with FREQ={freq}.")
    if "BYWEEKNO" in parts and freq != "YEARLY":
        raise RecurrenceError("recurrence", "BYWEEKNO can only be used with FREQ=YEARLY.")
    if "BYSETPOS" in parts and not any(name.startswith("BY") and name != "BYSETPOS" for name in parts):
        raise RecurrenceError("recurrence", "BYSETPOS needs another BY... part to pick from.")


def _check_numbers(name: str, value: str, low: int, high: int, signed: bool) -> None:
    allowed = f"from -{high} to {high}, not 0" if signed else f"from {low} to {high}"
    for item in value.split(","):
        digits = item[1:] if signed and item[:1] in "+-" else item
        if not digits.isdigit() or not low <= int(digits) <= high:
            raise RecurrenceError("recurrence", f"{name} takes numbers {allowed}; {item!r} is not one.")


def _check_weekdays(value: str, *, freq: str, has_weekno: bool) -> None:
    for item in value.split(","):
        match = _WEEKDAY.fullmatch(item)
        if not match:
            raise RecurrenceError(
                "recurrence", f"BYDAY takes MO..SU, optionally numbered (1MO, -1FR); not {item!r}."
            )
        number = match.group(2)
        if number is None:
            continue
        if not 1 <= int(number) <= 53:
            raise RecurrenceError(
                "recurrence", f"BYDAY numbers go from -53 to 53, not 0; {item!r} is not one."
            )
        if freq not in ("MONTHLY", "YEARLY") or has_weekno:
            raise RecurrenceError(
                "recurrence", "A numbered BYDAY (1MO, -1FR) needs FREQ=MONTHLY or YEARLY without BYWEEKNO."
            )


def read_until(value: str) -> Until:
    match = _UNTIL.fullmatch(value)
    try:
        if match is None:
            raise ValueError(value)
        year, month, day, hour, minute, second, utc = match.groups()
        if hour is None:
            return Until(datetime(int(year), int(month), int(day)), date_only=True)
        moment = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second))
    except ValueError as error:
        raise RecurrenceError(
            "recurrence", "UNTIL must be a date (20261231), a local time (20261231T170000) or UTC (...Z)."
        ) from error
    return Until(moment.replace(tzinfo=UTC), utc=True) if utc else Until(moment)


def until_text(text: str) -> str | None:
    match = re.search(r"UNTIL=([0-9TZ]+)", text.upper())
    return match.group(1) if match else None


def rrule_text(parts: dict[str, str], *, count: int | None, until_text: str | None) -> str:
    spelled = dict(parts)
    if count is not None:
        spelled["COUNT"] = str(count)
    if until_text is not None:
        spelled["UNTIL"] = until_text
    return ";".join(f"{name}={spelled[name]}" for name in PART_NAMES if name in spelled)
