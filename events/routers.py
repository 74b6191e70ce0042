"""The job queue's schema is PostgreSQL's (plpgsql functions, LISTEN/NOTIFY): on SQLite
its migrations are skipped, and the worker keeps its jobs in memory (events.worker)."""

from __future__ import annotations

from django.db import connections


class JobQueueOnPostgresql:
    def allow_migrate(self, db: str, app_label: str, **hints) -> bool | None:
        if app_label == "procrastinate":
            return connections[db].vendor == "postgresql"
        return None
