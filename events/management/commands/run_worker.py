"""The `worker:` process: runs the job queue's worker (events.jobs).

On PostgreSQL it is procrastinate's worker on its own psycopg connections, which
LISTEN for new jobs, beside a listener on the outbox's NOTIFY that relays new events
at once (events.wakeup): give it the direct database URL (DIRECT_DATABASE_URL), since a
transaction-mode pooler passes no LISTEN/NOTIFY. On SQLite (`make run`'s default) the
queue lives in this process's memory: one worker, whose jobs are all deferred by
itself (the periodic relay), while the deliveries' state stays in the database.

Two lanes in one process: the `events` queue (the relay, reminders, pruning: short jobs
every second) and the `webhooks` queue (deliveries, `--concurrency` at once). A
receiver that hangs holds a delivery slot for up to WEBHOOK_TIMEOUT; in a lane of its
own it cannot hold a reminder back. Each lane also looks for jobs every second without
a notification, so that a lost or unavailable NOTIFY delays a job by a second at most.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from concurrent.futures import ThreadPoolExecutor

from django.core.management.base import BaseCommand
from django.db import connection
from procrastinate.contrib.django import app
from procrastinate.worker import Worker

# The relay, the reminders and the hourly prune may run at once.
EVENTS_LANE_CONCURRENCY = 3
POLL_SECONDS = 1.0


class Command(BaseCommand):
    help = "Run the background worker: reminders, webhook deliveries, event relay, pruning."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--concurrency", type=int, default=8, help="webhook deliveries at once")

    def handle(self, *args, concurrency: int, **options) -> None:
        if connection.vendor != "postgresql":
            from procrastinate.testing import InMemoryConnector

            with app.replace_connector(InMemoryConnector()), contextlib.suppress(KeyboardInterrupt):
                asyncio.run(_run_lanes(concurrency, relay_on_commit=False))
            return
        _size_connection_pool(concurrency)
        worker_connector = app.connector.get_worker_connector()
        with app.replace_connector(worker_connector), contextlib.suppress(KeyboardInterrupt):
            asyncio.run(_run_lanes(concurrency, relay_on_commit=True))


def _size_connection_pool(concurrency: int) -> None:
    """Django's pool (sized for a web worker's threads) gets a connection for each job
    run at once in either lane, one for the relay woken by commits and one to spare;
    set before the pool is first used."""
    pool = connection.settings_dict["OPTIONS"].get("pool")
    if isinstance(pool, dict):
        pool["max_size"] = max(pool.get("max_size", 0), concurrency + EVENTS_LANE_CONCURRENCY + 2)


async def _run_lanes(concurrency: int, *, relay_on_commit: bool) -> None:
    # Sync jobs run in the loop's default executor: a thread for each job at once in
    # either lane, and one for the relay woken by commits.
    asyncio.get_running_loop().set_default_executor(
        ThreadPoolExecutor(
            max_workers=concurrency + EVENTS_LANE_CONCURRENCY + 2, thread_name_prefix="worker-job"
        )
    )
    async with app.open_async():
        app.perform_import_paths()
        lanes = [
            _lane(queue="events", concurrency=EVENTS_LANE_CONCURRENCY),
            _lane(queue="webhooks", concurrency=concurrency),
        ]
        loop = asyncio.get_running_loop()
        for number in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(number, lambda: [lane.stop() for lane in lanes])
        woken_relay = None
        if relay_on_commit:
            from events.stream import conninfo
            from events.wakeup import relay_on_commit as relay_woken_by_commits

            woken_relay = asyncio.create_task(relay_woken_by_commits(conninfo()))
        try:
            await asyncio.gather(*(lane.run() for lane in lanes))
        finally:
            if woken_relay is not None:
                woken_relay.cancel()
                await asyncio.gather(woken_relay, return_exceptions=True)


def _lane(*, queue: str, concurrency: int) -> Worker:
    return Worker(
        app=app,
        queues=[queue],
        name=queue,
        concurrency=concurrency,
        fetch_job_polling_interval=POLL_SECONDS,
        delete_jobs="successful",
        # Both lanes stop on the same signal (above): one handler for the two.
        install_signal_handlers=False,
    )
