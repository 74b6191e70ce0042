"""The database statement timeout (DB_STATEMENT_TIMEOUT), in force on every connection.

It is set as the role's default in this database (`ALTER ROLE CURRENT_USER IN
DATABASE ... SET statement_timeout`), which PostgreSQL applies when any session of
the role starts. So it also holds behind a transaction-mode pooler such as Neon's
pooled endpoint, which passes no startup `options` and keeps no session state, and it
costs no round trip per connection. An ordinary role may set its own defaults.

Every `migrate` (the Procfile's release step) applies the configured value, and the
migrating session itself runs without a timeout, so a long migration is not cut.
"""

from __future__ import annotations

import logging
import re

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError, connections
from django.db.models.signals import post_migrate, pre_migrate

logger = logging.getLogger(__name__)

_DURATION = re.compile(r"(?P<amount>\d+)\s*(?P<unit>ms|s|min|h)?")
_UNIT_MS = {None: 1, "ms": 1, "s": 1000, "min": 60_000, "h": 3_600_000}


def timeout_ms(raw: str | None = None) -> int:
    """DB_STATEMENT_TIMEOUT in milliseconds ("5s", "500ms", "1min"; a bare number is ms; 0 is off)."""
    value = settings.DB_STATEMENT_TIMEOUT if raw is None else raw
    match = _DURATION.fullmatch(str(value).strip())
    if match is None:
        raise ImproperlyConfigured(
            f"DB_STATEMENT_TIMEOUT must be a duration such as 5s, 500ms or 0, not {value!r}"
        )
    return int(match["amount"]) * _UNIT_MS[match["unit"]]


def apply_role_default(connection, milliseconds: int) -> None:
    """Make `milliseconds` (0: none) the statement timeout of every new session of this
    role in this database. Runs two statements."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_database()")
        database = connection.ops.quote_name(cursor.fetchone()[0])
        if milliseconds:
            # A validated integer: utility statements take no parameters.
            cursor.execute(
                f"ALTER ROLE CURRENT_USER IN DATABASE {database} SET statement_timeout = {int(milliseconds)}"
            )
        else:
            cursor.execute(f"ALTER ROLE CURRENT_USER IN DATABASE {database} RESET statement_timeout")


def _no_timeout_while_migrating(sender, using, **kwargs) -> None:
    connection = connections[using]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET statement_timeout = 0")


def _apply_after_migrating(sender, using, **kwargs) -> None:
    connection = connections[using]
    if connection.vendor != "postgresql":
        return
    try:
        apply_role_default(connection, timeout_ms())
    except DatabaseError as exc:
        # A role that may not alter itself: the service still works, without the guard.
        logger.warning("Could not set the statement timeout as the role's default: %s", exc)


def connect_signals(sender) -> None:
    """Hook into `migrate` for the app `sender` (once per run, not once per app)."""
    timeout_ms()  # a malformed setting fails at startup, not at the first migrate
    pre_migrate.connect(_no_timeout_while_migrating, sender=sender, dispatch_uid=f"{__name__}.pre")
    post_migrate.connect(_apply_after_migrating, sender=sender, dispatch_uid=f"{__name__}.post")
