"""Incremental sync: what changed in a user's tasks since the client's last sync.

The token is the change clock's horizon taken *before* reading (see change_clock),
signed so that clients cannot forge one. Changes at or above the previous token
are sent again; a change may arrive twice (clients apply it idempotently, as an
upsert), but none is ever missed, and a deleted task is reported by id.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core import signing
from rest_framework.exceptions import ValidationError

from tasks import change_clock
from tasks.models import Task, TaskTombstone

TOKEN_SALT = "tasks.sync"


@dataclass(frozen=True)
class Delta:
    changed: list[Task]
    deleted: list[str]
    next_token: str


def delta_since(*, user_id: str, token: str | None) -> Delta:
    """Every task of the owner changed since `token` (all of them without one), and
    the ids deleted since then. Runs three queries."""
    since = _decode(token) if token else None
    next_token = signing.dumps(change_clock.horizon(), salt=TOKEN_SALT)
    tasks = Task.objects.for_owner(user_id).order_by("change_seq", "id")
    if since is None:
        return Delta(changed=list(tasks), deleted=[], next_token=next_token)
    deleted = TaskTombstone.objects.filter(user_id=user_id, change_seq__gte=since).values_list(
        "task_id", flat=True
    )
    return Delta(
        changed=list(tasks.changed_since(since)),
        deleted=[str(task_id) for task_id in deleted],
        next_token=next_token,
    )


def _decode(token: str) -> int:
    try:
        value = signing.loads(token, salt=TOKEN_SALT)
    except signing.BadSignature:
        value = None
    if not isinstance(value, int):
        raise ValidationError({"since": ["Invalid sync token: use `next` from your previous sync."]})
    return value
