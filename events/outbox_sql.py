"""The triggers that write a task's event in the statement that changes the task.

Why triggers rather than a data-modifying CTE in each of the store's statements: one
place covers every writer (the store's hand-written statements, the admin's and the
shell's ORM saves and bulk updates, a tag rename that rewrites its tasks' copies), a
write costs no extra round trip and no Python at all, and the store's SQL stays as it
is. The price: the event's JSON is built in SQL, so it must say what the REST API says
(tests/test_outbox.py holds the two to the same output), and a new task field needs a
migration that installs the triggers again.

Event ids come from one sequence, and a transaction takes its owner's lock (a
transaction-level advisory lock on PostgreSQL; SQLite's writers take turns anyway)
before it takes an id, holding it until it ends. On PostgreSQL the trigger is a
deferred constraint trigger: it runs as the transaction commits (in the same round
trip for a single statement in autocommit), after every lock the transaction's own
statements take, so the owner's lock is always its last and can close no deadlock
cycle (taken mid-statement, it did: a create with tags holding a tag row and waiting
for the lock, while the lock's holder relabels a task and waits for that tag row).
So one user's events commit in the order of their ids: a reader that has seen id n
of a user never sees a smaller one of that user appear later, and a resumed stream
has no gap. (tasks.change_clock's horizon gives the same promise for sync, but it
waits for the oldest transaction of the whole server, any database's: a live stream
must not wait on a stranger's long transaction.) A change that repeats the task's
state (the same values again, `completed: true` on a completed task) writes no event.
A reminder that fires (the worker setting `reminded_at`, tasks.data.reminders) writes
a `task.reminder_due` event with the task as it is.

On PostgreSQL each event also sends NOTIFY `task_events` with its user id (delivered
at commit, collapsed within a transaction), so streams and workers wake at once.

Installed by the migration that creates the outbox, and again after every `migrate`
(events.apps): SQLite drops a table's triggers when a migration rebuilds the table
(as it does to add a column), so a later migration of tasks_task cannot lose them
silently. A migration that rebuilds events_event on SQLite calls `uninstall` first.
"""

from __future__ import annotations

NOTIFY_CHANNEL = "task_events"

# The columns whose change is a change of the task as clients see it (`updated_at` and
# `change_seq` move with every write, also one that changes nothing).
VISIBLE_COLUMNS = (
    "user_id",
    "title",
    "description",
    "completed",
    "priority",
    "tag_names",
    "due_at",
    "completed_at",
    "recurrence",
    "time_zone",
    "repeat_from",
    "remind_at",
)
PRIORITY_NAMES = {0: "none", 1: "low", 2: "medium", 3: "high"}

# Where POSTGRESQL_INSTALL names the event ids' sequence: install() puts its name there, so
# the trigger does not look it up in the catalogs at every event (pg_get_serial_sequence).
_SEQUENCE = "__events_event_id_sequence__"

_PG_PRIORITY = " ".join(f"WHEN {rank} THEN '{name}'" for rank, name in PRIORITY_NAMES.items())

POSTGRESQL_INSTALL = f"""
-- STABLE, as to_char is: PostgreSQL then inlines it into the trigger's expressions. Marked
-- IMMUTABLE it was never inlined, and its body was parsed and planned again at every call
-- of every transaction (six per event: most of the trigger's CPU).
CREATE OR REPLACE FUNCTION events_rfc3339(at timestamptz) RETURNS text
LANGUAGE sql STABLE AS $$
  -- As the API writes times: UTC, `Z`, microseconds only when there are some.
  SELECT CASE WHEN at IS NULL THEN NULL ELSE
    to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS')
    || CASE WHEN mod(extract(microseconds FROM at)::bigint, 1000000) = 0 THEN ''
            ELSE to_char(at AT TIME ZONE 'UTC', '.US') END
    || 'Z' END
$$;

CREATE OR REPLACE FUNCTION events_record_task_change() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  task_row tasks_task;
  kind text;
  task_json jsonb;
  event_id bigint;
  at timestamptz := statement_timestamp();
BEGIN
  IF TG_OP = 'DELETE' THEN
    task_row := OLD;
    kind := 'task.deleted';
  ELSE
    task_row := NEW;
    IF TG_OP = 'INSERT' THEN
      kind := 'task.created';
    ELSIF NEW.reminded_at IS DISTINCT FROM OLD.reminded_at AND NEW.reminded_at IS NOT NULL THEN
      -- Only the worker sets it, and nothing else in that statement (tasks.data.reminders).
      kind := 'task.reminder_due';
    ELSIF NEW.completed AND NOT OLD.completed THEN
      kind := 'task.completed';
    ELSIF OLD.completed AND NOT NEW.completed THEN
      kind := 'task.reopened';
    ELSIF ({", ".join(f"NEW.{c}" for c in VISIBLE_COLUMNS)})
          IS NOT DISTINCT FROM ({", ".join(f"OLD.{c}" for c in VISIBLE_COLUMNS)}) THEN
      RETURN NULL;
    ELSE
      kind := 'task.updated';
    END IF;
    task_json := jsonb_build_object(
      'id', NEW.id, 'user_id', NEW.user_id, 'title', NEW.title, 'description', NEW.description,
      'completed', NEW.completed, 'priority', CASE NEW.priority {_PG_PRIORITY} END,
      'tags', NEW.tag_names, 'due_at', events_rfc3339(NEW.due_at),
      'recurrence', NEW.recurrence, 'time_zone', NEW.time_zone, 'repeat_from', NEW.repeat_from,
      'remind_at', events_rfc3339(NEW.remind_at),
      'completed_at', events_rfc3339(NEW.completed_at), 'created_at', events_rfc3339(NEW.created_at),
      'updated_at', events_rfc3339(NEW.updated_at));
  END IF;
  -- The owner's events commit in id order: the lock is held until this transaction ends.
  PERFORM pg_advisory_xact_lock(hashtextextended('events:' || task_row.user_id, 0));
  event_id := nextval('{_SEQUENCE}'::regclass);  -- the ids' sequence, named at install
  INSERT INTO events_event (id, user_id, aggregatetype, aggregateid, type, occurred_at, payload)
  VALUES (event_id, task_row.user_id, 'task', task_row.id::text, kind, at, jsonb_build_object(
    'id', event_id, 'type', kind, 'occurred_at', events_rfc3339(at), 'user_id', task_row.user_id,
    'task_id', task_row.id, 'task', task_json));
  PERFORM pg_notify('{NOTIFY_CHANNEL}', task_row.user_id);
  RETURN NULL;
END
$$;

DROP TRIGGER IF EXISTS events_task_change ON tasks_task;
CREATE CONSTRAINT TRIGGER events_task_change AFTER INSERT OR UPDATE OR DELETE ON tasks_task
  DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW EXECUTE FUNCTION events_record_task_change();
"""

POSTGRESQL_UNINSTALL = """
DROP TRIGGER IF EXISTS events_task_change ON tasks_task;
DROP FUNCTION IF EXISTS events_record_task_change();
DROP FUNCTION IF EXISTS events_rfc3339(timestamptz);
"""


def _sqlite_time(column: str) -> str:
    # Django keeps UTC as `YYYY-MM-DD HH:MM:SS[.ffffff]`: the API's form with `T` and `Z`.
    return f"CASE WHEN {column} IS NULL THEN NULL ELSE replace({column}, ' ', 'T') || 'Z' END"


def _sqlite_uuid(column: str) -> str:
    # Django keeps a UUID as 32 hex digits.
    parts = [(1, 8), (9, 4), (13, 4), (17, 4), (21, 12)]
    return " || '-' || ".join(f"lower(substr({column}, {start}, {length}))" for start, length in parts)


def _sqlite_task(row: str) -> str:
    priority = " ".join(f"WHEN {rank} THEN '{name}'" for rank, name in PRIORITY_NAMES.items())
    return (
        f"json_object('id', {_sqlite_uuid(row + '.id')}, 'user_id', {row}.user_id, 'title', {row}.title, "
        f"'description', {row}.description, "
        f"'completed', json(CASE WHEN {row}.completed THEN 'true' ELSE 'false' END), "
        f"'priority', CASE {row}.priority {priority} END, 'tags', json({row}.tag_names), "
        f"'due_at', {_sqlite_time(row + '.due_at')}, 'recurrence', {row}.recurrence, "
        f"'time_zone', {row}.time_zone, 'repeat_from', {row}.repeat_from, "
        f"'remind_at', {_sqlite_time(row + '.remind_at')}, "
        f"'completed_at', {_sqlite_time(row + '.completed_at')}, "
        f"'created_at', {_sqlite_time(row + '.created_at')}, "
        f"'updated_at', {_sqlite_time(row + '.updated_at')})"
    )


def _sqlite_trigger(name: str, operation: str, row: str, kind: str, task: str, when: str = "") -> str:
    # SQLite's writers take turns, so the next id is simply the next one. The sequence
    # row remembers the ids of pruned events (so none is given twice), but moves only
    # at the end of the statement: a statement's earlier events count too.
    last = (
        "max(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'events_event'), 0), "
        "COALESCE((SELECT max(id) FROM events_event), 0))"
    )
    at = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"
    return f"""
CREATE TRIGGER {name} AFTER {operation} ON tasks_task {when}
BEGIN
  INSERT INTO events_event (id, user_id, aggregatetype, aggregateid, type, occurred_at, payload)
  SELECT next.id, {row}.user_id, 'task', {_sqlite_uuid(row + ".id")}, next.kind,
    replace(replace({at}, 'T', ' '), 'Z', ''),
    json_object('id', next.id, 'type', next.kind, 'occurred_at', {at}, 'user_id', {row}.user_id,
      'task_id', {_sqlite_uuid(row + ".id")}, 'task', {task})
  FROM (SELECT {last} + 1 AS id, {kind} AS kind) AS next;
END;
"""


_SQLITE_UPDATE_KIND = (
    "CASE WHEN NEW.completed AND NOT OLD.completed THEN 'task.completed' "
    "WHEN OLD.completed AND NOT NEW.completed THEN 'task.reopened' ELSE 'task.updated' END"
)
_SQLITE_CHANGED = "WHEN " + " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in VISIBLE_COLUMNS)

# A reminder that fires changes `reminded_at` alone, which no other trigger watches.
_SQLITE_REMINDED = "WHEN NEW.reminded_at IS NOT OLD.reminded_at AND NEW.reminded_at IS NOT NULL"

SQLITE_UNINSTALL = [
    f"DROP TRIGGER IF EXISTS {name}"
    for name in ("events_task_created", "events_task_updated", "events_task_deleted", "events_task_reminded")
]
SQLITE_INSTALL = [
    *SQLITE_UNINSTALL,
    _sqlite_trigger("events_task_created", "INSERT", "NEW", "'task.created'", _sqlite_task("NEW")),
    _sqlite_trigger(
        "events_task_updated", "UPDATE", "NEW", _SQLITE_UPDATE_KIND, _sqlite_task("NEW"), when=_SQLITE_CHANGED
    ),
    _sqlite_trigger("events_task_deleted", "DELETE", "OLD", "'task.deleted'", "NULL"),
    _sqlite_trigger(
        "events_task_reminded",
        "UPDATE OF reminded_at",
        "NEW",
        "'task.reminder_due'",
        _sqlite_task("NEW"),
        when=_SQLITE_REMINDED,
    ),
]


def install(schema_editor) -> None:
    """Create or replace the triggers (idempotent)."""
    _run(schema_editor, POSTGRESQL_INSTALL, SQLITE_INSTALL)


def uninstall(schema_editor) -> None:
    _run(schema_editor, POSTGRESQL_UNINSTALL, SQLITE_UNINSTALL)


def _run(schema_editor, postgresql: str, sqlite: list[str]) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        if _SEQUENCE in postgresql:
            with schema_editor.connection.cursor() as cursor:
                cursor.execute("SELECT pg_get_serial_sequence('events_event', 'id')")
                sequence = cursor.fetchone()[0]
            postgresql = postgresql.replace(_SEQUENCE, sequence.replace("'", "''"))
        schema_editor.execute(postgresql, params=None)
    elif vendor == "sqlite":
        for statement in sqlite:
            schema_editor.execute(statement, params=None)
    else:
        raise NotImplementedError(f"No outbox triggers for {vendor}")
