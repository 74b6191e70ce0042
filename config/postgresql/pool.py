"""psycopg_pool's `ConnectionPool`, handing out only live connections, and quickly.

- Each connection is checked as it leaves the pool (config.connection_checks: no round
  trip unless the socket says something happened). A dead one is discarded, the pool
  replaces it in the background, and the request takes the next one at once. psycopg's
  own `check=` would sleep a second between two dead connections (its backoff), which
  after a restart, with every pooled connection dead, costs seconds per request.
- While the database is known to be down (config.database_availability), a request
  waits only `DOWN_WAIT` for a connection instead of the whole pool timeout.
"""

from __future__ import annotations

from time import monotonic

import psycopg
from psycopg_pool import ConnectionPool, PoolTimeout

from config import connection_checks, database_availability

# While the database is down: long enough for a reconnection under way to hand its
# connection over, short enough that a queue of requests drains in well under a second.
# Never 0: a request that waits is what makes the pool try to connect again.
DOWN_WAIT = 0.2


class TrackedConnection(psycopg.Connection):
    """A psycopg connection whose opening, or failing to open, tells this process
    whether the database is reachable."""

    @classmethod
    def connect(cls, *args, **kwargs):
        try:
            connection = super().connect(*args, **kwargs)
        except psycopg.OperationalError:
            database_availability.mark_unreachable()
            raise
        database_availability.mark_reachable()
        return connection


class LiveConnectionPool(ConnectionPool):
    """The pool Django's backend builds, with the hand-out check and the short wait."""

    def __init__(self, *args, round_trip_checks: bool = False, **kwargs) -> None:
        kwargs.setdefault("connection_class", TrackedConnection)
        super().__init__(*args, **kwargs)
        self.round_trip_checks = round_trip_checks

    def getconn(self, timeout: float | None = None) -> psycopg.Connection:
        """A live connection, or PoolTimeout (a 503) after `timeout`, or sooner while the
        database is known to be down."""
        deadline = monotonic() + (self.timeout if timeout is None else timeout)
        # Each round discards one dead connection; after every pooled one, a new one.
        for _ in range(self.max_size + 1):
            wait = deadline - monotonic()
            if database_availability.known_down():
                wait = min(wait, DOWN_WAIT)
            try:
                connection = super().getconn(timeout=wait)
            except PoolTimeout:
                database_availability.mark_unreachable()
                raise
            if connection_checks.is_alive(connection, round_trip=self.round_trip_checks):
                database_availability.mark_reachable()
                return connection
            self.putconn(connection)  # closed by the check: the pool opens another
        database_availability.mark_unreachable()
        raise PoolTimeout("no live connection to the database")
