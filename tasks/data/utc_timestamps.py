"""Faster reading of timestamps from PostgreSQL, with the values Django would give.

Django reads every `timestamptz` through a subclass of psycopg's pure-Python loader
(it pins the result to the connection's time zone), which parses each value with a
regular expression. A page of 100 tasks carries up to 400 of them, and parsing them
cost a fifth of a list request. While the session's time zone is UTC, as Django sets
it whenever USE_TZ is on and TIME_ZONE is UTC, psycopg's C loader returns the same
aware UTC datetimes about seven times faster; `install` puts it on each new
connection in that case and leaves every other configuration to Django.
"""

from __future__ import annotations

from datetime import UTC

from django.db.backends.signals import connection_created
from psycopg import adapters
from psycopg.adapt import Loader
from psycopg.pq import Format

# psycopg's own loader class for the type: the C one with psycopg[binary] or [c].
_TIMESTAMPTZ_OID = adapters.types["timestamptz"].oid
_FASTEST_LOADER = adapters.get_loader(_TIMESTAMPTZ_OID, Format.TEXT)


class UtcTimestamptzLoader(Loader):
    # Private to Django (kept: no public hook chooses the loader): before each cursor
    # its PostgreSQL backend compares the loader's `timezone` with the connection's and
    # registers its own loader when they differ. Saying UTC keeps this one.
    # tests/test_private_apis.py fails if Django stops honouring it.
    timezone = UTC

    def __init__(self, oid, context=None):
        super().__init__(oid, context)
        # The bound C method itself, so that psycopg calls C per value, not Python.
        self.load = _FASTEST_LOADER(oid, context).load

    def load(self, data):  # replaced per instance above; Loader requires the method
        raise NotImplementedError


def install(sender, connection, **kwargs) -> None:
    if connection.vendor != "postgresql" or connection.timezone != UTC:
        return
    # A pooled connection keeps its loaders, and Django sends `connection_created` each
    # time the pool hands it out.
    if connection.connection.adapters.get_loader(_TIMESTAMPTZ_OID, Format.TEXT) is UtcTimestamptzLoader:
        return
    if connection.connection.info.parameter_status("TimeZone") != "UTC":
        return
    connection.connection.adapters.register_loader("timestamptz", UtcTimestamptzLoader)


def connect_signal() -> None:
    connection_created.connect(install, dispatch_uid="tasks.data.utc_timestamps.install")
