"""Reminders: when a task's `remind_at` comes, one `task.reminder_due` event.

The state is in the task's row, not in the job queue: `reminded_at` is the `remind_at`
whose reminder has fired. Every second the worker (events.jobs.fire_reminders) calls
`fire_due()`: one conditional UPDATE sets `reminded_at = remind_at` on the open tasks
whose reminder is due and has not fired, and the outbox's trigger (events.outbox_sql)
records a `task.reminder_due` event for each row it changed, in the same transaction.

- Exactly once, with any number of workers: the UPDATE's condition is checked again on
  each row under the row's lock, so of two workers claiming the same row, one changes it
  and the other finds it no longer due. The mark and the event commit together: a worker
  killed mid-run leaves neither (its transaction rolls back when its connection drops),
  and the next tick, on whichever worker, fires the reminder.
- Moved, cleared, completed, deleted: the condition reads the row as it is now, so a
  writer has nothing to schedule or cancel (the REST API, MCP, sync, the admin and a
  shell all just write `remind_at`). A reminder moved before it fired fires at its new
  time only; moved after it fired, it fires again at the new time; cleared (null), on a
  completed task or on a deleted one, it never fires. One whose time passed while the
  worker was down fires as soon as a worker runs again: late, never lost.
- Why not one queued job per reminder (procrastinate's `schedule_at`): each writer would
  have to defer, move and cancel jobs in its own transaction (the admin's bulk actions
  and a shell included), a killed worker leaves its job `doing` with no retry, and the
  job would still need this conditional mark to be sure of once. The periodic job only
  says "look now"; a due reminder costs one row of an index while idle.

The reminder is not a change of the task: `updated_at`, the change stamp (ETag, sync)
and the task's JSON stay as they were.

The one statement on tasks that crosses owners, as only the worker's may.
"""

from __future__ import annotations

from datetime import datetime

from django.db import connection, transaction
from django.utils import timezone

from tasks.models import Task

BATCH = 1000
# Any fixed number: names the lock that lets one worker at a time fire reminders (on
# PostgreSQL), so that two never take their owners' event locks in opposite orders.
_FIRING_LOCK = 0x7461736B_72656D31


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _column(name: str) -> str:
    return _q(Task._meta.get_field(name).column)


def _pending_sql() -> str:
    """tasks.models.REMINDER_PENDING, written as the partial index's condition is, so
    that the planner uses the index (tests/test_reminders.py holds the two together)."""
    remind, reminded = _column("remind_at"), _column("reminded_at")
    return (
        f"{remind} IS NOT NULL AND NOT {_column('completed')} AND "
        f"({reminded} IS NULL OR {reminded} < {remind} OR {reminded} > {remind})"
    )


def fire_due(*, now: datetime | None = None, limit: int = BATCH) -> int:
    """Fire the reminders due at `now` (earliest first, at most `limit`), each with its
    event; how many fired. One transaction; 0 when another worker is firing."""
    sql, params = claim_sql(now=now or timezone.now(), limit=limit)
    with transaction.atomic():
        if not _firing_lock():
            return 0
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.rowcount


def claim_sql(*, now: datetime, limit: int) -> tuple[str, list]:
    """The UPDATE that marks the due reminders fired (its trigger records their events)."""
    table, task_id, remind = _q(Task._meta.db_table), _column("id"), _column("remind_at")
    due = f"{_pending_sql()} AND {remind} <= %s"
    # A row another transaction holds (its owner editing it) waits for the next tick.
    skip_locked = " FOR UPDATE SKIP LOCKED" if connection.vendor == "postgresql" else ""
    sql = (
        f"UPDATE {table} SET {_column('reminded_at')} = {remind} "
        f"WHERE {task_id} IN (SELECT {task_id} FROM {table} WHERE {due} "
        f"ORDER BY {remind} LIMIT %s{skip_locked}) AND {due}"
    )
    at = Task._meta.get_field("remind_at").get_db_prep_value(now, connection)
    return sql, [at, limit, at]


def _firing_lock() -> bool:
    if connection.vendor != "postgresql":
        return True  # SQLite's writers take turns
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [_FIRING_LOCK])
        return cursor.fetchone()[0]
