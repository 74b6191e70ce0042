"""A rule in words, for the admin and for people reading a task."""

from __future__ import annotations

import calendar

from tasks.data.recurrence.rules import Rule
from tasks.data.recurrence.syntax import DAY_CODES

_UNITS = {0: "year", 1: "month", 2: "week", 3: "day", 4: "hour"}
_DAY_NAMES = dict(zip(DAY_CODES, calendar.day_name, strict=True))
_NTH = {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth"}
_WORKWEEK = ["MO", "TU", "WE", "TH", "FR"]


def describe(rule: Rule) -> str:
    """E.g. "every month on the 31st or the last day at 09:00", "every weekday at 09:00",
    "every 2 weeks on Monday and Wednesday at 18:30, 10 times"."""
    parts = dict(rule.schedule.parts)
    days = _day_of_year(parts) or " ".join(filter(None, [_days(parts), _months(parts)]))
    text = " ".join(filter(None, [_every(rule, parts), days, _time(rule, parts)]))
    if rule.count is not None:
        text += f", {rule.count} times" if rule.count > 1 else ", once"
    if rule.until is not None:
        until = rule.until.moment
        text += f", until {until:%Y-%m-%d}" if rule.until.date_only else f", until {until:%Y-%m-%d %H:%M}"
        text += " UTC" if rule.until.utc else ""
    return text


def ordinal(number: int) -> str:
    """1st, 2nd, 3rd, 4th, 11th, 22nd."""
    suffix = "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"


def _every(rule: Rule, parts: dict[str, str]) -> str:
    unit = _UNITS[rule.freq]
    if parts.get("BYDAY", "").split(",") == _WORKWEEK and rule.freq in (2, 3) and rule.interval == 1:
        return "every weekday"
    return f"every {unit}" if rule.interval == 1 else f"every {rule.interval} {unit}s"


def _day_of_year(parts: dict[str, str]) -> str:
    """A single date of the year: "on March 5", and the yearly Feb 29."""
    month, days = parts.get("BYMONTH", ""), parts.get("BYMONTHDAY", "")
    if parts["FREQ"] != "YEARLY" or not month.isdigit() or set(parts) & {"BYDAY", "BYYEARDAY", "BYWEEKNO"}:
        return ""
    name = calendar.month_name[int(month)]
    if days == "28,29" and parts.get("BYSETPOS") == "-1" and month == "2":
        return "on February 29 (February 28 in common years)"
    return f"on {name} {days}" if days.isdigit() and "BYSETPOS" not in parts else ""


def _days(parts: dict[str, str]) -> str:
    pieces = []
    weekdays = parts.get("BYDAY", "").split(",") if "BYDAY" in parts else []
    if weekdays and weekdays != _WORKWEEK:
        pieces.append("on " + _and([_weekday(item) for item in weekdays]))
    if "BYMONTHDAY" in parts:
        days = [int(day) for day in parts["BYMONTHDAY"].split(",")]
        clamped = parts.get("BYSETPOS") == "-1" and days == list(range(28, max(days) + 1)) and len(days) > 1
        if clamped:
            pieces.append(f"on the {ordinal(max(days))} or the last day")
        else:
            pieces.append("on the " + _and([_day_of_month(day) for day in days]))
    if "BYYEARDAY" in parts:
        pieces.append("on day " + _and(parts["BYYEARDAY"].split(",")) + " of the year")
    if "BYWEEKNO" in parts:
        pieces.append("in week " + _and(parts["BYWEEKNO"].split(",")))
    if "BYSETPOS" in parts and not (pieces and "or the last day" in pieces[-1]):
        positions = [_nth(int(position)) for position in parts["BYSETPOS"].split(",")]
        pieces.append("(only the " + _and(positions) + " of these in each period)")
    return " ".join(pieces)


def _months(parts: dict[str, str]) -> str:
    if "BYMONTH" not in parts:
        return ""
    return "in " + _and([calendar.month_name[int(month)] for month in parts["BYMONTH"].split(",")])


def _time(rule: Rule, parts: dict[str, str]) -> str:
    minutes = [int(minute) for minute in parts["BYMINUTE"].split(",")]
    if rule.freq == 4:
        return "at " + _and([f":{minute:02d}" for minute in minutes])
    hours = [int(hour) for hour in parts["BYHOUR"].split(",")]
    times = [f"{hour:02d}:{minute:02d}" for hour in hours for minute in minutes]
    zone = "" if rule.zone.key == "UTC" else f" ({rule.zone.key})"
    return "at " + _and(times) + zone


def _weekday(item: str) -> str:
    name = _DAY_NAMES[item[-2:]]
    number = item[:-2]
    return f"the {_nth(int(number))} {name}" if number else name


def _day_of_month(day: int) -> str:
    return ordinal(day) if day > 0 else f"{_nth(day)} day"


def _nth(number: int) -> str:
    if number == -1:
        return "last"
    if number < 0:
        return f"{_NTH.get(-number, ordinal(-number))} to last"
    return _NTH.get(number, ordinal(number))


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
