"""Every statement a block of code sends to the database server, as the server sees it.

Django's CaptureQueriesContext misses the statements a driver sends on its own:
psycopg opens a transaction with an implicit BEGIN and Django commits through the
driver, not a cursor. So this asks the drivers themselves: on PostgreSQL libpq's
protocol trace (each Query, or Parse of the extended protocol, is one statement);
on SQLite the sqlite3 module's trace callback, which also sees BEGIN and COMMIT.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection


@contextmanager
def statements_sent() -> Iterator[list[str]]:
    """Collect the SQL of every statement sent on the default connection; the list
    is complete when the block ends."""
    connection.ensure_connection()
    sent: list[str] = []
    if connection.vendor == "postgresql":
        from psycopg import pq

        pgconn = connection.connection.pgconn
        with tempfile.TemporaryFile() as trace:
            pgconn.trace(trace.fileno())
            pgconn.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS | pq.Trace.REGRESS_MODE)
            try:
                yield sent
            finally:
                pgconn.untrace()
                trace.seek(0)
                sent += _sent_by_client(trace.read().decode())
    else:
        raw = connection.connection
        raw.set_trace_callback(lambda sql: _statement_once(sent, sql))
        try:
            yield sent
        finally:
            raw.set_trace_callback(None)


def _statement_once(sent: list[str], sql: str) -> None:
    """SQLite calls the trace back again, with the same statement's text (values bound
    inline), as each trigger program it runs begins (the task table's outbox triggers):
    that is no statement of the client's."""
    if not sent or sent[-1] != sql:
        sent.append(sql)


def _sent_by_client(trace: str) -> list[str]:
    statements = []
    for line in trace.splitlines():
        parts = line.split("\t", 3)
        if len(parts) == 4 and parts[0] == "F" and parts[2] in ("Query", "Parse"):
            text = parts[3].strip()
            if parts[2] == "Parse":  # `"name" "sql" ...`: the statement is the second string
                text = text.split('" "', 1)[1]
            statements.append(text.strip('"'))
    return statements


def kinds(statements: list[str]) -> list[str]:
    """The first word of each statement (`WITH` for a data-modifying CTE)."""
    return [statement.split(None, 1)[0].upper() for statement in statements]
