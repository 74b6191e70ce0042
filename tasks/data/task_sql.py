"""The task statements the ORM cannot say in one round trip, written once, here.

`UPDATE ... RETURNING`, `DELETE ... RETURNING` that leaves its tombstone, an insert
with its tags, a conditional claim of an idempotency key: each is one statement,
so that a write costs one round trip to a database that may be milliseconds away.
Table and column names come from the models' `_meta`, quoted by the connection;
values only ever travel as parameters; every statement on tasks names its owner.
Only `tasks.data.store` (and `tasks.api.idempotency` for its key) call these.

PostgreSQL stamps a row with its transaction's id inside the statement itself (see
change_clock); SQLite has no such id, so there the caller passes a stamp taken in
the same (IMMEDIATE) transaction, and the statements that PostgreSQL chains with
data-modifying CTEs run one after another.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from functools import cache, lru_cache
from typing import Any
from uuid import UUID
from weakref import WeakKeyDictionary

from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.models import Field

from tasks.models import IdempotencyRecord, Tag, Task, TaskTombstone

TASK_FIELDS: tuple[Field, ...] = tuple(Task._meta.concrete_fields)  # the order Task.from_db wants
_TAGS_THROUGH = Task.tags.through
_PG_STAMP = "pg_current_xact_id()::text::bigint"

_converters: WeakKeyDictionary = WeakKeyDictionary()


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _column(model, name: str) -> str:
    return _quoted_column(connection.vendor, model, name)


@cache
def _quoted_column(vendor: str, model, name: str) -> str:
    return _q(model._meta.get_field(name).column)


@cache
def _returning(vendor: str) -> str:
    return ", ".join(_q(field.column) for field in TASK_FIELDS)


@cache
def _select_task_sql(vendor: str) -> str:
    return f"SELECT {_returning(vendor)} FROM {_q(Task._meta.db_table)} WHERE {_task_key_sql()}"


def _stamp(stamp: int | None) -> tuple[str, list[Any]]:
    """The change stamp as SQL: inline on PostgreSQL, the caller's number elsewhere."""
    if connection.vendor == "postgresql":
        return _PG_STAMP, []
    if stamp is None:
        raise ValueError("Without transaction ids a write needs the stamp of its transaction.")
    return "%s", [stamp]


def prep(name: str, value: Any) -> Any:
    """A task field's value as the database takes it."""
    return Task._meta.get_field(name).get_db_prep_save(value, connections[DEFAULT_DB_ALIAS])


def prep_all(values: Mapping[str, Any]) -> list[Any]:
    """Each of these task fields' values as the database takes them. The fields reach the
    thread's connection itself: through the `connection` proxy every one of their
    lookups of it cost a thread-local lookup, more than the preparing itself."""
    wrapper = connections[DEFAULT_DB_ALIAS]
    return [Task._meta.get_field(name).get_db_prep_save(value, wrapper) for name, value in values.items()]


def _task_key_sql() -> str:
    return f"{_column(Task, 'id')} = %s AND {_column(Task, 'user_id')} = %s"


def _task_key(task_id: UUID, user_id: str) -> tuple[str, list[Any]]:
    return _task_key_sql(), [prep("id", task_id), user_id]


def _versions_sql(count: int | None) -> str:
    if count is None:
        return ""
    return f" AND {_column(Task, 'change_seq')} IN ({', '.join(['%s'] * count)})"


def _versions(versions: Sequence[int] | None) -> tuple[str, list[Any]]:
    if versions is None:
        return "", []
    return _versions_sql(len(versions)), list(versions)


def task_from_row(row: Sequence[Any]) -> Task:
    """A Task from a row of TASK_FIELDS, with the conversions the ORM would apply.

    The converters are the ORM compiler's own (`get_db_converters` of the backend and
    of each field, undocumented): kept, because `Task.objects.raw()` would apply the
    same ones at several times the CPU per written row. `Task.from_db` is public.
    tests/test_task_sql.py compares every field with the ORM's reading of the row."""
    return Task.from_db(connection.alias, None, _converted(row, _converters_of(TASK_FIELDS)))


def _converters_of(fields: tuple[Field, ...]) -> list[tuple[int, Any, list[Any]]]:
    """The fields whose values the ORM converts when read on this thread's connection:
    per field, its position, its column and its converters (worked out once per
    connection and list of fields). Most columns need none, and a page reads 100 rows."""
    wrapper = connections[DEFAULT_DB_ALIAS]  # this thread's; `connection` is only a proxy
    known = _converters.setdefault(wrapper, {})
    converters = known.get(fields)
    if converters is None:
        converters = []
        for index, field in enumerate(fields):
            column = field.get_col(Task._meta.db_table)
            found = wrapper.ops.get_db_converters(column) + field.get_db_converters(wrapper)
            if found:
                converters.append((index, column, found))
        known[fields] = converters
    return converters


def _converted(row: Sequence[Any], converters: list[tuple[int, Any, list[Any]]]) -> Sequence[Any]:
    if not converters:
        return row
    values = list(row)
    for index, column, found in converters:
        value = values[index]
        for convert in found:
            value = convert(value, column, connection)
        values[index] = value
    return values


def select_task(*, task_id: UUID, user_id: str) -> Task | None:
    """The owner's task by id, or None: one SELECT whose text is built once."""
    return _fetch_task(_select_task_sql(connection.vendor), [prep("id", task_id), user_id])


@cache
def _first_page_sql(
    vendor: str, columns: tuple[str, ...], field: str, descending: bool, nullable: bool, completed: bool
) -> str:
    key, task_id = _column(Task, field), _column(Task, "id")
    direction = "DESC" if descending else "ASC"
    # As the ORM orders (tasks.data.task_list.Ordering.apply), so the same indexes serve.
    order = f"{key} {direction} NULLS LAST" if nullable else f"{key} {direction}"
    where = f"{_column(Task, 'user_id')} = %s"
    if completed:
        where += f" AND {_column(Task, 'completed')} = %s"
    return (
        f"SELECT {', '.join(_column(Task, name) for name in columns)} FROM {_q(Task._meta.db_table)} "
        f"WHERE {where} ORDER BY {order}, {task_id} {direction} LIMIT %s"
    )


@cache
def _fields_named(columns: tuple[str, ...]) -> tuple[Field, ...]:
    return tuple(Task._meta.get_field(name) for name in columns)


def first_page(
    *,
    user_id: str,
    completed: bool | None,
    field: str,
    descending: bool,
    nullable: bool,
    limit: int,
    columns: tuple[str, ...],
) -> list[Sequence[Any]]:
    """Up to `limit` of the owner's tasks (only those with this `completed`, unless None)
    from the start of the ordering by `field` (then id; nulls last), as the values of
    `columns` in that order, read as the ORM's `values_list()` reads them. The statement's
    text is built once per shape; tests/test_task_sql.py holds it to the ORM's page."""
    sql = _first_page_sql(connection.vendor, columns, field, descending, nullable, completed is not None)
    params: list[Any] = [user_id]
    if completed is not None:
        params.append(completed)
    params.append(limit)
    converters = _converters_of(_fields_named(columns))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if converters:
        rows = [_converted(row, converters) for row in rows]
    return rows


def _fetch_task(sql: str, params: list[Any]) -> Task | None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return None if row is None else task_from_row(row)


def update_task(
    *,
    task_id: UUID,
    user_id: str,
    assignments: Sequence[tuple[str, str, list[Any]]],
    versions: Sequence[int] | None,
    stamp: int | None = None,
    unless: tuple[str, list[Any]] | None = None,
) -> Task | None:
    """`UPDATE ... RETURNING` the owner's task, if it is at one of `versions` (any when
    None). `assignments` are (field name, SQL expression, parameters). None when no row
    matched. One statement.

    `unless` is a condition (SQL, parameters) under which the row already is as asked:
    then every column keeps its value, version and `updated_at` included, so the write
    is no change at all (same ETag, nothing new for sync), yet still one statement that
    tells a match from a miss."""
    sql, params = _update_statement(
        task_id=task_id,
        user_id=user_id,
        assignments=assignments,
        versions=versions,
        stamp=stamp,
        unless=unless,
    )
    return _fetch_task(sql, params)


def _update_statement(*, task_id, user_id, assignments, versions, stamp, unless) -> tuple[str, list[Any]]:
    stamp_sql, stamp_params = _stamp(stamp)
    changes = [*assignments, ("change_seq", stamp_sql, stamp_params)]
    params = []
    for _name, _expression, values in changes:
        if unless is not None:
            params += unless[1]
        params += values
    sql = _update_sql(
        connection.vendor,
        tuple((name, expression) for name, expression, _values in changes),
        None if unless is None else unless[0],
        None if versions is None else len(versions),
    )
    return sql, [*params, prep("id", task_id), user_id, *(versions or ())]


@lru_cache(maxsize=512)  # a body's fields come in any order: bounded
def _update_sql(
    vendor: str, changes: tuple[tuple[str, str], ...], unless: str | None, versions: int | None
) -> str:
    """The UPDATE of one shape (which columns, set how, under which condition), built once."""
    sets = []
    for name, expression in changes:
        column = _column(Task, name)
        if unless is None:
            sets.append(f"{column} = {expression}")
        else:
            sets.append(f"{column} = CASE WHEN {unless} THEN {column} ELSE {expression} END")
    return (
        f"UPDATE {_q(Task._meta.db_table)} SET {', '.join(sets)} "
        f"WHERE {_task_key_sql()}{_versions_sql(versions)} RETURNING {_returning(vendor)}"
    )


def complete_with_next(
    *,
    task_id: UUID,
    user_id: str,
    assignments: Sequence[tuple[str, str, list[Any]]],
    version: int,
    next_values: dict[str, Any],
    tag_names: Sequence[str],
) -> tuple[Task, Task | None] | None:
    """PostgreSQL: complete the owner's recurring task, if it is still at `version`, and
    insert its next occurrence (`next_values`, computed from that version) with its tags,
    in one statement (so in autocommit one round trip, one transaction). None when the
    task was not at that version; the next task is None when the task already had one
    (unique `follows`: nothing inserted)."""
    done_sql, params = _update_statement(
        task_id=task_id, user_id=user_id, assignments=assignments, versions=[version], stamp=None, unless=None
    )
    columns = [Task._meta.get_field(name) for name in next_values]
    # Typed: parameters in a SELECT list are not typed by the columns they go to.
    values = ", ".join(f"CAST(%s AS {field.db_type(connection)})" for field in columns)
    params += prep_all(next_values)  # in the order of `columns`, next_values' own
    insert = (
        f"INSERT INTO {_q(Task._meta.db_table)} ({', '.join(_q(field.column) for field in columns)}, "
        f"{_column(Task, 'change_seq')}) SELECT {values}, {_PG_STAMP} FROM done "
        f"WHERE done.{_column(Task, 'completed')} "
        f"ON CONFLICT ({_column(Task, 'follows')}) DO NOTHING RETURNING {_returning(connection.vendor)}"
    )
    ctes = [f"done AS ({done_sql})", f"new_task AS ({insert})"]
    if tag_names:
        through = _q(_TAGS_THROUGH._meta.db_table)
        link_task, link_tag = _column(_TAGS_THROUGH, "task"), _column(_TAGS_THROUGH, "tag")
        ctes += [
            f"wanted AS ({_upsert_tags_sql()})",
            f"links AS (INSERT INTO {through} ({link_task}, {link_tag}) "
            f"SELECT new_task.{_column(Task, 'id')}, wanted.{_column(Tag, 'id')} "
            "FROM new_task CROSS JOIN wanted)",
        ]
        params += [user_id, list(tag_names)]
    returning = _returning(connection.vendor)
    sql = (
        f"WITH {', '.join(ctes)} "
        f"SELECT 1, {returning} FROM done UNION ALL SELECT 2, {returning} FROM new_task"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = {row[0]: task_from_row(row[1:]) for row in cursor.fetchall()}
    if 1 not in rows:
        return None
    return rows[1], rows.get(2)


def completes_a_recurring_task() -> tuple[str, list[Any]]:
    """The condition (for `unless`) that a completing write finds an open recurring task:
    its next occurrence is written with it, in a transaction of its own (the store's)."""
    return f"{_column(Task, 'recurrence')} IS NOT NULL AND NOT {_column(Task, 'completed')}", []


def either(first: tuple[str, list[Any]], second: tuple[str, list[Any]]) -> tuple[str, list[Any]]:
    return f"({first[0]}) OR ({second[0]})", [*first[1], *second[1]]


def completion_assignments(completed: bool | None, now: datetime) -> list[tuple[str, str, list[Any]]]:
    """Set `completed` (toggle it when None), stamping `completed_at` when it becomes
    true and clearing it when false. (Right-hand sides read the row as it was.)"""
    done, done_at = _column(Task, "completed"), _column(Task, "completed_at")
    stamp = prep("completed_at", now)
    if completed is None:
        return [
            ("completed", f"NOT {done}", []),
            ("completed_at", f"CASE WHEN {done} THEN NULL ELSE %s END", [stamp]),
        ]
    if completed:
        return [
            ("completed", "%s", [True]),
            ("completed_at", f"CASE WHEN {done} THEN {done_at} ELSE %s END", [stamp]),
        ]
    return [("completed", "%s", [False]), ("completed_at", "NULL", [])]


def completion_is(completed: bool) -> tuple[str, list[Any]]:
    """The condition that the task already has this completion state (for `unless`)."""
    return f"{_column(Task, 'completed')} = %s", [completed]


def schedule_reset_assignments(values: dict[str, Any]) -> list[tuple[str, str, list[Any]]]:
    """When one of these schedule fields (name -> new value) gets a value other than the
    one it has, the series starts again from the task: no anchor of its own (its due
    date is), and it is the first occurrence. Values equal to the row's (a task read and
    PUT back) keep the series as it was, so a monthly series never drifts."""
    distinct = "IS DISTINCT FROM" if connection.vendor == "postgresql" else "IS NOT"
    condition = " OR ".join(f"{_column(Task, name)} {distinct} %s" for name in values)
    params = prep_all(values)
    series_start, occurrence = _column(Task, "series_start"), _column(Task, "occurrence")
    return [
        ("series_start", f"CASE WHEN {condition} THEN NULL ELSE {series_start} END", params),
        ("occurrence", f"CASE WHEN {condition} THEN 1 ELSE {occurrence} END", list(params)),
    ]


def insert_task(
    values: dict[str, Any], *, tag_names: Sequence[str] = (), stamp: int | None = None, next_occurrence=False
) -> Task | None:
    """`INSERT ... RETURNING` a task; on PostgreSQL with its tags (created when missing)
    and their links in the same statement. Elsewhere the caller links the tags.
    A `next_occurrence` is inserted unless the occurrence it follows has one (unique
    `follows`): then nothing is written and the result is None."""
    params = prep_all(values)
    stamp_sql, stamp_params = _stamp(stamp)
    params += stamp_params
    tagged = bool(tag_names) and connection.vendor == "postgresql"
    sql = _insert_sql(connection.vendor, tuple(values), stamp_sql, tagged, next_occurrence)
    if not tagged:
        return _fetch_task(sql, params)
    return _fetch_task(sql, [*params, values["user_id"], list(tag_names)])


@cache
def _insert_sql(
    vendor: str, fields: tuple[str, ...], stamp_sql: str, tagged: bool, next_occurrence: bool
) -> str:
    """The INSERT of these fields (with the tags' upsert and links when `tagged`), built once."""
    names = [_column(Task, name) for name in fields]
    insert = (
        f"INSERT INTO {_q(Task._meta.db_table)} ({', '.join(names)}, {_column(Task, 'change_seq')}) "
        f"VALUES ({', '.join(['%s'] * len(names))}, {stamp_sql}) "
        + (f"ON CONFLICT ({_column(Task, 'follows')}) DO NOTHING " if next_occurrence else "")
        + f"RETURNING {_returning(vendor)}"
    )
    if not tagged:
        return insert
    task_id, through = _column(Task, "id"), _q(_TAGS_THROUGH._meta.db_table)
    link_task, link_tag = _column(_TAGS_THROUGH, "task"), _column(_TAGS_THROUGH, "tag")
    return (
        f"WITH new_task AS ({insert}), "
        f"wanted AS ({_upsert_tags_sql()}), "
        f"links AS (INSERT INTO {through} ({link_task}, {link_tag}) "
        f"SELECT new_task.{task_id}, wanted.{_column(Tag, 'id')} FROM new_task CROSS JOIN wanted) "
        f"SELECT {_returning(vendor)} FROM new_task"
    )


def _upsert_tags_sql() -> str:
    """The owner's tags with these names (parameters: owner, names), created when
    missing; safe against a concurrent insert of the same name. PostgreSQL only."""
    return (
        f"INSERT INTO {_q(Tag._meta.db_table)} ({_column(Tag, 'user_id')}, {_column(Tag, 'name')}) "
        f"SELECT %s, name FROM unnest(%s::text[]) AS name "
        f"ON CONFLICT ({_column(Tag, 'user_id')}, {_column(Tag, 'name')}) "
        f"DO UPDATE SET {_column(Tag, 'name')} = EXCLUDED.{_column(Tag, 'name')} "
        f"RETURNING {_column(Tag, 'id')}"
    )


def relink_tags(*, task_id: UUID, user_id: str, names: Sequence[str]) -> None:
    """Label the task (already written, and locked, in this transaction) with exactly
    these tags of its owner, creating the missing ones. PostgreSQL: one statement."""
    through = _q(_TAGS_THROUGH._meta.db_table)
    link_task, link_tag = _column(_TAGS_THROUGH, "task"), _column(_TAGS_THROUGH, "tag")
    tag_id = _column(Tag, "id")
    sql = (
        f"WITH wanted AS ({_upsert_tags_sql()}), "
        f"dropped AS (DELETE FROM {through} WHERE {link_task} = %s "
        f"AND {link_tag} NOT IN (SELECT {tag_id} FROM wanted)) "
        f"INSERT INTO {through} ({link_task}, {link_tag}) SELECT %s, {tag_id} FROM wanted "
        f"ON CONFLICT ({link_task}, {link_tag}) DO NOTHING"
    )
    key = prep("id", task_id)
    with connection.cursor() as cursor:
        cursor.execute(sql, [user_id, list(names), key, key])


def delete_tasks(
    *,
    user_id: str,
    task_id: UUID | None = None,
    versions: Sequence[int] | None = None,
    completed_only: bool = False,
    now: datetime,
    stamp: int | None = None,
) -> list[Task]:
    """Delete the owner's task (or all their completed ones) and return them as they
    were; their tag links go and each leaves a tombstone for incremental sync, all in
    one statement on PostgreSQL. Elsewhere call it in a transaction (three statements)."""
    if task_id is not None:
        where, params = _task_key(task_id, user_id)
    else:
        where, params = f"{_column(Task, 'user_id')} = %s", [user_id]
    if completed_only:
        where += f" AND {_column(Task, 'completed')} = %s"
        params.append(True)
    version_sql, version_params = _versions(versions)
    delete = (
        f"DELETE FROM {_q(Task._meta.db_table)} WHERE {where}{version_sql} "
        f"RETURNING {_returning(connection.vendor)}"
    )
    params += version_params
    through, link_task = _q(_TAGS_THROUGH._meta.db_table), _column(_TAGS_THROUGH, "task")
    tombstones, t_id = _q(TaskTombstone._meta.db_table), _column(TaskTombstone, "task_id")
    t_seq, t_at = _column(TaskTombstone, "change_seq"), _column(TaskTombstone, "deleted_at")
    record = (
        f"INSERT INTO {tombstones} ({t_id}, {_column(TaskTombstone, 'user_id')}, {t_seq}, {t_at}) "
        "{source} "
        f"ON CONFLICT ({t_id}) DO UPDATE SET {t_seq} = EXCLUDED.{t_seq}, {t_at} = EXCLUDED.{t_at}"
    )
    deleted_at = TaskTombstone._meta.get_field("deleted_at").get_db_prep_save(now, connection)
    task_pk, owner = _column(Task, "id"), _column(Task, "user_id")
    if connection.vendor == "postgresql":
        # Django's foreign keys are DEFERRABLE INITIALLY DEFERRED and cascade nowhere in
        # the database: the links go in the same statement, checked at its commit.
        source = f"SELECT {task_pk}, {owner}, {_PG_STAMP}, %s FROM gone"
        sql = (
            f"WITH gone AS ({delete}), "
            f"links AS (DELETE FROM {through} WHERE {link_task} IN (SELECT {task_pk} FROM gone)), "
            f"tombstones AS ({record.format(source=source)}) "
            f"SELECT {_returning(connection.vendor)} FROM gone"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [*params, deleted_at])
            return [task_from_row(row) for row in cursor.fetchall()]
    with connection.cursor() as cursor:
        cursor.execute(delete, params)
        tasks = [task_from_row(row) for row in cursor.fetchall()]
        if tasks:
            keys = [prep("id", task.pk) for task in tasks]
            marks = ", ".join(["%s"] * len(keys))
            cursor.execute(f"DELETE FROM {through} WHERE {link_task} IN ({marks})", keys)
            rows = ", ".join(["(%s, %s, %s, %s)"] * len(keys))
            _, stamp_params = _stamp(stamp)
            cursor.execute(
                record.format(source=f"VALUES {rows}"),
                [value for key in keys for value in (key, user_id, *stamp_params, deleted_at)],
            )
    return tasks


def claim_idempotency_key(
    *, user_id: str, key: str, fingerprint: str, response: dict[str, Any], now, expired_before
) -> bool:
    """Store the first response to this key, unless a live record of it exists (one
    past its retention is replaced). True when this request's response was stored.
    A concurrent claim of the same key waits here for the other's transaction."""
    table = _q(IdempotencyRecord._meta.db_table)
    columns = ["user_id", "key", "fingerprint", "status_code", "body", "headers", "created_at"]
    values = {"user_id": user_id, "key": key, "fingerprint": fingerprint, "created_at": now, **response}
    params = [
        IdempotencyRecord._meta.get_field(name).get_db_prep_save(values[name], connection) for name in columns
    ]
    names = [_column(IdempotencyRecord, name) for name in columns]
    created = _column(IdempotencyRecord, "created_at")
    updates = ", ".join(f"{name} = EXCLUDED.{name}" for name in names[2:])
    sql = (
        f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join(['%s'] * len(names))}) "
        f"ON CONFLICT ({names[0]}, {names[1]}) DO UPDATE SET {updates} "
        f"WHERE {table}.{created} < %s RETURNING {_column(IdempotencyRecord, 'id')}"
    )
    expired = IdempotencyRecord._meta.get_field("created_at").get_db_prep_save(expired_before, connection)
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, expired])
        return cursor.fetchone() is not None
