"""Recurring tasks as rows: checking a task's schedule when it is written, and the
next occurrence's values when one is completed. The date arithmetic itself is in
tasks.data.recurrence; the store (tasks.data.store) writes what this computes.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from tasks.data.errors import InvalidArgument
from tasks.data.recurrence import (
    RecurrenceError,
    Rule,
    next_occurrence,
    next_remind_at,
    parse_recurrence,
    upcoming,
    zone_named,
)
from tasks.models import Task

# The fields that make a schedule: changing one of them starts the series again
# from the task's (new) due date.
SCHEDULE_FIELDS = ("due_at", "recurrence", "time_zone", "repeat_from")
# What a next occurrence copies from the completed one.
_COPIED = ("title", "description", "priority", "recurrence", "time_zone", "repeat_from")
_DEFAULTS = {
    "due_at": None,
    "recurrence": None,
    "time_zone": "UTC",
    "repeat_from": "due",
    "series_start": None,
}


def checked_schedule(changes: Mapping[str, Any], *, current: Task | None = None) -> dict[str, Any]:
    """The changes (field -> value) of a task's create or update, with its rule as it
    is stored (a word in lower case, or the RRULE's parts in RFC order), checked
    against the task as it will be: `current` with the changes (None: a new task).
    A rule that cannot be used, an unknown zone, or a recurring task without a due date
    is an InvalidArgument naming the field."""
    changes = dict(changes)
    try:
        if "time_zone" in changes:
            zone_named(changes["time_zone"])
        after = {name: _value(name, changes, current) for name in (*SCHEDULE_FIELDS, "series_start")}
        if after["recurrence"] is None:
            return changes
        anchor = after["due_at"]
        if (
            current is not None
            and current.series_start is not None
            and not _schedule_changed(changes, current)
        ):
            anchor = current.series_start
        rule = parse_recurrence(after["recurrence"], due_at=anchor, time_zone=after["time_zone"])
    except RecurrenceError as error:
        raise InvalidArgument(error.field, error.message) from None
    if "recurrence" in changes:
        changes["recurrence"] = rule.text
    return changes


def needs_current(changes: Mapping[str, Any]) -> bool:
    """Whether checking these changes of an existing task needs the task as it is."""
    touched = {"due_at", "recurrence", "time_zone"} & changes.keys()
    return bool(touched) and touched != {"due_at", "recurrence", "time_zone"}


def rule_of(task: Task) -> Rule | None:
    """The task's rule, anchored on its series' start; None when it does not repeat
    (or, for a row written past the checks, when its rule cannot be read)."""
    if task.recurrence is None or task.due_at is None:
        return None
    try:
        return parse_recurrence(
            task.recurrence, due_at=task.series_start or task.due_at, time_zone=task.time_zone
        )
    except RecurrenceError:
        return None


def upcoming_due_dates(task: Task, *, limit: int = 5) -> list[datetime]:
    """The series' next due dates after this task's (for the admin)."""
    rule = rule_of(task)
    if rule is None or task.due_at is None:
        return []
    return upcoming(rule, after=task.due_at, limit=limit)


def next_task_values(task: Task, *, completed_at: datetime) -> dict[str, Any] | None:
    """The fields of the occurrence that follows `task` (as it is once completed at
    `completed_at`), tags as `tag_names`; None when it does not repeat or its series
    has ended."""
    rule = rule_of(task)
    if rule is None or task.due_at is None:
        return None
    following = next_occurrence(
        rule,
        due_at=task.due_at,
        completed_at=completed_at,
        repeat_from=task.repeat_from,  # type: ignore[arg-type]
        number=task.occurrence,
    )
    if following is None:
        return None
    return {
        **{name: getattr(task, name) for name in _COPIED},
        "tag_names": list(task.tag_names),
        "due_at": following.due_at,
        "remind_at": next_remind_at(
            due_at=task.due_at, remind_at=task.remind_at, next_due_at=following.due_at, time_zone=rule.zone
        ),
        "series_start": rule.series_start,
        "occurrence": following.number,
        "follows": task.pk,
    }


def _value(name: str, changes: Mapping[str, Any], current: Task | None) -> Any:
    if name in changes:
        return changes[name]
    return _DEFAULTS[name] if current is None else getattr(current, name)


def _schedule_changed(changes: Mapping[str, Any], current: Task) -> bool:
    return any(name in changes and changes[name] != getattr(current, name) for name in SCHEDULE_FIELDS)
