"""Numbers that order changes for incremental sync, safe under concurrent commits.

A write stamps its rows with `next_change_seq()`; a sync reads `horizon()` first and
later asks for rows stamped at or above the previous horizon. The guarantee: every
transaction that has not committed when `horizon()` is read stamps its rows with a
number at or above it, so a change that commits after a sync read shows up in the
next one. Timestamps or plain sequences cannot promise that: a transaction can take
a smaller number and commit after a larger one was already read.

PostgreSQL: the stamp is the writing transaction's id (xid8, never reused) and the
horizon is the oldest transaction still running (`pg_snapshot_xmin`). No shared row
is locked, so writers never wait on each other for it. The task store's statements
write the stamp inline (tasks.data.task_sql), so that a write is one round trip;
`next_change_seq` serves the ORM writes of tasks.data.staff (tag copies, fixtures).
SQLite: writers run one at a time (IMMEDIATE transactions), so a counter bumped
inside the write transaction gives the same guarantee.
"""

from __future__ import annotations

from django.db import connection

_STAMP_SQL = {
    "postgresql": "SELECT pg_current_xact_id()::text::bigint",
    # An upsert, so that the clock also runs on a table emptied by a test flush.
    "sqlite": (
        "INSERT INTO tasks_changecounter (id, value) VALUES (1, 1) "
        "ON CONFLICT (id) DO UPDATE SET value = value + 1 RETURNING value"
    ),
}
_HORIZON_SQL = {
    "postgresql": "SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint",
    "sqlite": "SELECT COALESCE(MAX(value), 0) + 1 FROM tasks_changecounter",
}


def next_change_seq() -> int:
    """The stamp for rows written by the current transaction (runs one query)."""
    return _query(_STAMP_SQL)


def horizon() -> int:
    """Every change not visible yet will carry a stamp at or above this (runs one query)."""
    return _query(_HORIZON_SQL)


def _query(statements: dict[str, str]) -> int:
    try:
        sql = statements[connection.vendor]
    except KeyError:
        raise NotImplementedError(f"No change clock for {connection.vendor}") from None
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return int(cursor.fetchone()[0])
