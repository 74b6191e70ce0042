"""The `worker:` process: runs the job queue's worker (events.jobs).

On PostgreSQL it is procrastinate's worker on its own psycopg connections, which
LISTEN for new jobs: give it the direct database URL (DIRECT_DATABASE_URL), since a
transaction-mode pooler passes no LISTEN/NOTIFY. On SQLite (`make run`'s default) the
queue lives in this process's memory: one worker, whose jobs are all deferred by
itself (the periodic relay), while the deliveries' state stays in the database.
"""

from __future__ import annotations

import contextlib

from django.core.management.base import BaseCommand
from django.db import connection
from procrastinate.contrib.django import app


class Command(BaseCommand):
    help = "Run the background worker: webhook deliveries, event relay, pruning."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--concurrency", type=int, default=4, help="jobs run at once")

    def handle(self, *args, concurrency: int, **options) -> None:
        if connection.vendor == "postgresql":
            queue = app.replace_connector(app.connector.get_worker_connector())
        else:
            from procrastinate.testing import InMemoryConnector

            queue = app.replace_connector(InMemoryConnector())
        with queue, contextlib.suppress(KeyboardInterrupt):
            app.run_worker(concurrency=concurrency, delete_jobs="successful", install_signal_handlers=True)
