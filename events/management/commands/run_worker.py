"""The `worker:` process: runs the job queue's worker (events.jobs).

On PostgreSQL it is procrastinate's worker on its own psycopg connections, which
LISTEN for new jobs, beside a listener on the outbox's NOTIFY that relays new events
at once (events.wakeup): give it the direct database URL (DIRECT_DATABASE_URL), since a
transaction-mode pooler passes no LISTEN/NOTIFY. On SQLite (`make run`'s default) the
queue lives in this process's memory: one worker, whose jobs are all deferred by
itself (the periodic relay), while the deliveries' state stays in the database.
"""

from __future__ import annotations

import asyncio
import contextlib
from concurrent.futures import ThreadPoolExecutor

from django.core.management.base import BaseCommand
from django.db import connection
from procrastinate.contrib.django import app


class Command(BaseCommand):
    help = "Run the background worker: webhook deliveries, event relay, pruning."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--concurrency", type=int, default=8, help="jobs run at once")

    def handle(self, *args, concurrency: int, **options) -> None:
        options = {"concurrency": concurrency, "delete_jobs": "successful", "install_signal_handlers": True}
        if connection.vendor != "postgresql":
            from procrastinate.testing import InMemoryConnector

            with app.replace_connector(InMemoryConnector()), contextlib.suppress(KeyboardInterrupt):
                app.run_worker(**options)
            return
        _size_connection_pool(concurrency)
        worker_connector = app.connector.get_worker_connector()
        with app.replace_connector(worker_connector), contextlib.suppress(KeyboardInterrupt):
            asyncio.run(_work(options))


def _size_connection_pool(concurrency: int) -> None:
    """Django's pool (sized for a web worker's threads) gets a connection for each job
    run at once, one for the relay woken by commits and one to spare; set before the
    pool is first used."""
    pool = connection.settings_dict["OPTIONS"].get("pool")
    if isinstance(pool, dict):
        pool["max_size"] = max(pool.get("max_size", 0), concurrency + 2)


async def _work(options: dict) -> None:
    """The worker, and the relay woken by commits, until the worker is told to stop."""
    from events.stream import conninfo
    from events.wakeup import relay_on_commit

    # Sync jobs run in the loop's default executor: a thread for each one at once, and
    # one for the relay woken by commits.
    asyncio.get_running_loop().set_default_executor(
        ThreadPoolExecutor(max_workers=options["concurrency"] + 2, thread_name_prefix="worker-job")
    )
    async with app.open_async():
        woken_relay = asyncio.create_task(relay_on_commit(conninfo()))
        try:
            await app.run_worker_async(**options)
        finally:
            woken_relay.cancel()
            await asyncio.gather(woken_relay, return_exceptions=True)
