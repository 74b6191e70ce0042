"""Incremental sync: what changed in a user's tasks since the client's last sync.

The token is the change clock's horizon taken *before* reading (see change_clock),
signed so that clients cannot forge one. Changes at or above the previous token
are sent again; a change may arrive twice (clients apply it idempotently, as an
upsert), but none is ever missed, and a deleted task is reported by id.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core import signing

from tasks.data import change_clock
from tasks.data.errors import InvalidArgument
from tasks.data.store import TaskStore
from tasks.models import Task

TOKEN_SALT = "tasks.sync"


@dataclass(frozen=True)
class Delta:
    changed: list[Task]
    deleted: list[str]
    next_token: str


def delta_since(store: TaskStore, *, token: str | None) -> Delta:
    """Every task of the store's owner changed since `token` (all of them without one),
    and the ids deleted since then. Runs three queries."""
    since = _decode(token) if token else None
    next_token = signing.dumps(change_clock.horizon(), salt=TOKEN_SALT)
    changed = store.changed_since(since)
    deleted = [] if since is None else store.deleted_since(since)
    return Delta(changed=changed, deleted=deleted, next_token=next_token)


def _decode(token: str) -> int:
    try:
        value = signing.loads(token, salt=TOKEN_SALT)
    except signing.BadSignature:
        value = None
    if not isinstance(value, int):
        raise InvalidArgument("since", "Invalid sync token: use `next` from your previous sync.")
    return value
