"""The JSON shape of a task, built directly for the list endpoint's hot path.

`TaskSerializer` stays the definition of the wire format (and serves the browsable
API and the schema). Building model instances and walking the serializer's fields
for every row costs several times the query itself, so JSON responses are built
here from plain rows (the values of `COLUMNS`, in that order, as the task list's
page gives them, or a task's attributes); a test holds the two paths to the same
output.

`task_fields` leaves the id and the timestamps as they are for orjson to write
(`RENDER_OPTIONS`: a UTC time ends in `Z`, as DRF writes it), which is a third of a
list's cost less than formatting them in Python; `task_as_json` gives the same as
plain strings, for callers that do not render through FastJSONRenderer.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import orjson

from tasks.models import Priority, Task

# What FastJSONRenderer passes to orjson for a view that answers with `task_fields`.
RENDER_OPTIONS = orjson.OPT_UTC_Z

# The columns of a row, in the order task_fields unpacks them.
COLUMNS = (
    "id",
    "user_id",
    "title",
    "description",
    "completed",
    "priority",
    "tag_names",
    "due_at",
    "recurrence",
    "time_zone",
    "repeat_from",
    "remind_at",
    "completed_at",
    "created_at",
    "updated_at",
)
_PRIORITY_NAMES = dict(Priority.choices)
_TIMESTAMPS = ("due_at", "remind_at", "completed_at", "created_at", "updated_at")


def _timestamp(value: datetime | None) -> str | None:
    """As DRF's DateTimeField writes a UTC time: ISO 8601 with `Z`."""
    if value is None:
        return None
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def task_fields(row: Sequence[Any]) -> dict[str, Any]:
    """The JSON object of the task whose COLUMNS values `row` holds, in their order, with
    the id (a UUID) and the timestamps (datetimes) left for orjson to write with
    RENDER_OPTIONS: the same bytes as `task_as_json`'s strings, formatted in C."""
    (
        task_id,
        user_id,
        title,
        description,
        completed,
        priority,
        tag_names,
        due_at,
        recurrence,
        time_zone,
        repeat_from,
        remind_at,
        completed_at,
        created_at,
        updated_at,
    ) = row
    return {
        "id": task_id,
        "user_id": user_id,
        "title": title,
        "description": description,
        "completed": completed,
        "priority": _PRIORITY_NAMES[priority],
        "tags": tag_names,
        "due_at": due_at,
        "recurrence": recurrence,
        "time_zone": time_zone,
        "repeat_from": repeat_from,
        "remind_at": remind_at,
        "completed_at": completed_at,
        "created_at": created_at,
        "updated_at": updated_at,
    }


def task_as_json(row: Sequence[Any]) -> dict[str, Any]:
    """What TaskSerializer gives for the task in `row` (its COLUMNS values), every value
    a JSON type: for callers that do not render through FastJSONRenderer."""
    fields = task_fields(row)
    fields["id"] = str(fields["id"])
    for name in _TIMESTAMPS:
        fields[name] = _timestamp(fields[name])
    return fields


def task_row(task: Task) -> tuple[Any, ...]:
    return tuple(getattr(task, column) for column in COLUMNS)
