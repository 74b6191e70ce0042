"""/readyz's own question to the database, answered within a second whatever the load.

It must not wait behind the requests' pool (a probe that queues behind a pool of
requests waiting on a dead database reported "ready" half a minute late), so it has a
connection of its own per process, used by one probe at a time in a thread of its own.
A probe that takes longer than its budget is "not ready"; the next probe waits on the
same attempt rather than piling up another.

Under the production server the whole of /readyz's check runs in that thread
(`readiness_check()`), and the server's event loop waits for it (config.probes_on_loop):
no request thread is ever taken by a probe, so a probe is answered while every one of
them is busy.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

import psycopg
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connection, connections
from django.db.utils import load_backend

from config import database_availability

# Kubernetes' probes give up after 1 s by default.
BUDGET_SECONDS = 0.8
# While the database is known to be down: time for an attempt that finds it back.
DOWN_BUDGET_SECONDS = 0.1

_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="readyz-db")
_lock = threading.Lock()
_pending: Future | None = None
_pending_readiness: Future | None = None
_connection: psycopg.Connection | None = None
# The probe thread's Django connection, outside the requests' pool, for the migrations.
_unpooled = None


def probe_budget(budget: float = BUDGET_SECONDS) -> float:
    """How long a probe waits for its attempt: at once "not ready" while the database is
    known to be down already (the attempt under way finds out when it is back, and
    tells the requests)."""
    return min(budget, DOWN_BUDGET_SECONDS) if database_availability.known_down() else budget


def database_answers(budget: float = BUDGET_SECONDS) -> bool:
    """Whether the database answered a round trip within `budget` seconds."""
    if connection.vendor != "postgresql":
        return _django_connection_answers()
    global _pending
    with _lock:
        if _pending is None or _pending.done():
            _pending = _executor.submit(_ping, connection.get_connection_params())
        pending = _pending
    try:
        return pending.result(timeout=probe_budget(budget))
    except FutureTimeout:
        return False


def readiness_check() -> Future[tuple[int, dict]]:
    """/readyz's status and body (config.health.readiness), worked out in the probe's
    thread: the attempt under way, or a new one. Wait on it for `probe_budget()` at most."""
    global _pending_readiness
    with _lock:
        if _pending_readiness is None or _pending_readiness.done():
            _pending_readiness = _executor.submit(_readiness)
        return _pending_readiness


def _readiness() -> tuple[int, dict]:
    from config import health

    if connection.vendor != "postgresql":
        # This thread's own connection (no pool without PostgreSQL).
        return health.readiness(database_answers=_django_connection_answers, database=connection)
    database = _unpooled_connection()
    params = database.get_connection_params()
    try:
        return health.readiness(database_answers=lambda: _ping(params), database=database)
    finally:
        database.close()  # used until the migrations are found applied, then never


def _unpooled_connection():
    """This thread's Django connection: the database's settings without the pool, so
    that reading the migrations (MigrationRecorder queries through the alias) never
    waits behind the requests, nor keeps one of their connections."""
    global _unpooled
    if _unpooled is None:
        settings_dict = connections.settings[DEFAULT_DB_ALIAS]
        options = {name: value for name, value in settings_dict["OPTIONS"].items() if name != "pool"}
        backend = load_backend(settings_dict["ENGINE"])
        _unpooled = backend.DatabaseWrapper({**settings_dict, "OPTIONS": options}, DEFAULT_DB_ALIAS)
        # Django's connections are per thread: this one is the probe thread's only.
        connections[DEFAULT_DB_ALIAS] = _unpooled
    return _unpooled


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


def close() -> None:
    """Close the probe's own connection (in its thread, so never under a probe)."""
    _executor.submit(_close).result()


def _close() -> None:
    global _connection
    if _connection is not None:
        _connection.close()
    _connection = None


def _django_connection_answers() -> bool:
    try:
        connection.ensure_connection()
    except DatabaseError:
        return False
    return True
