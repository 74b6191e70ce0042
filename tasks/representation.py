"""The JSON shape of a task, built directly for the list endpoint's hot path.

`TaskSerializer` stays the definition of the wire format (and serves the browsable
API and the schema); walking its fields for every row of a 1,000-task page costs far
more than the query, so lists rendered as JSON use `task_as_json` instead, and a test
holds the two to the same output.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tasks.models import Priority, Task

_PRIORITY_NAMES = dict(Priority.choices)


def _timestamp(value: datetime | None) -> str | None:
    if value is None:
        return None
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def task_as_json(task: Task) -> dict[str, Any]:
    """What TaskSerializer(task).data gives, for a task whose datetimes are in UTC and
    whose tags are prefetched (TaskQuerySet.with_tags)."""
    return {
        "id": str(task.id),
        "user_id": task.user_id,
        "title": task.title,
        "description": task.description,
        "completed": task.completed,
        "priority": _PRIORITY_NAMES[task.priority],
        "tags": task.tag_names,
        "due_at": _timestamp(task.due_at),
        "completed_at": _timestamp(task.completed_at),
        "created_at": _timestamp(task.created_at),
        "updated_at": _timestamp(task.updated_at),
    }
