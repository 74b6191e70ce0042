"""/readyz's own question to the database, answered within a second whatever the load.

It must not wait behind the requests' pool (a probe that queues behind a pool of
requests waiting on a dead database reported "ready" half a minute late), so it has a
connection of its own per process, used by one probe at a time in a thread of its own.
A probe that takes longer than its budget is "not ready"; the next probe waits on the
same attempt rather than piling up another.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

import psycopg
from django.db import DatabaseError, connection

from config import database_availability

# Kubernetes' probes give up after 1 s by default.
BUDGET_SECONDS = 0.8
# While the database is known to be down: time for an attempt that finds it back.
DOWN_BUDGET_SECONDS = 0.1

_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="readyz-db")
_lock = threading.Lock()
_pending: Future | None = None
_connection: psycopg.Connection | None = None


def database_answers(budget: float = BUDGET_SECONDS) -> bool:
    """Whether the database answered a round trip within `budget` seconds."""
    if connection.vendor != "postgresql":
        return _django_connection_answers()
    global _pending
    with _lock:
        if _pending is None or _pending.done():
            _pending = _executor.submit(_ping, connection.get_connection_params())
        pending = _pending
    if database_availability.known_down():
        # Known down already: say so at once, the attempt under way finds out when it
        # is back (and tells the requests).
        budget = min(budget, DOWN_BUDGET_SECONDS)
    try:
        return pending.result(timeout=budget)
    except FutureTimeout:
        return False


def _ping(params: dict) -> bool:
    global _connection
    try:
        if _connection is None or _connection.closed:
            _connection = psycopg.connect(**{**params, "autocommit": True})
        _connection.execute("SELECT 1")
    except psycopg.Error:
        database_availability.mark_unreachable()
        if _connection is not None:
            _connection.close()
        _connection = None
        return False
    # Requests then wait for the pool to reconnect again, rather than fail at once.
    database_availability.mark_reachable()
    return True


def _django_connection_answers() -> bool:
    try:
        connection.ensure_connection()
    except DatabaseError:
        return False
    return True
