"""Django's `migrate`, which first makes sure it can reach the database.

Without this, a wrong or missing PostgreSQL database stalls for the connection pool's
timeout and buries the cause in a page of pool warnings and a traceback. One plain
connection attempt (no pool) tells the cause at once, in one line.
"""

from __future__ import annotations

import psycopg
from django.core.management.base import CommandError
from django.core.management.commands.migrate import Command as DjangoMigrate
from django.db import connections

CONNECT_TIMEOUT_SECONDS = 5


class Command(DjangoMigrate):
    def handle(self, *args, **options):
        reason = unreachable_reason(connections[options["database"]])
        if reason:
            raise CommandError(f"Cannot connect to the database: {reason}")
        super().handle(*args, **options)


def unreachable_reason(connection) -> str | None:
    """Why a PostgreSQL database cannot be connected to, in one line; None if it can
    (or is not PostgreSQL: SQLite creates its file)."""
    if connection.vendor != "postgresql":
        return None
    # The parameters Django itself connects with (the URL's sslmode and the like included).
    params = {"connect_timeout": CONNECT_TIMEOUT_SECONDS, **connection.get_connection_params()}
    try:
        psycopg.connect(**params).close()
    except psycopg.Error as exc:
        return " ".join(line.strip() for line in str(exc).splitlines() if line.strip())
    return None
