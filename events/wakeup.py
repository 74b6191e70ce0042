"""The worker's relay, woken by the outbox's commits (PostgreSQL).

The outbox trigger sends NOTIFY `task_events` as a transaction with events commits
(events.outbox_sql). Each worker process LISTENs on it with a connection of its own and
runs the relay (events.jobs.relay) at once, so a delivery is queued within milliseconds
of the commit instead of at the next second's periodic relay. Notifications that arrive
while the relay runs make it run once more afterwards, not once each: a burst of commits
costs a few relays. The periodic relay stays, for whatever a lost connection missed,
and for retries.
"""

from __future__ import annotations

import asyncio
import logging

from events import jobs
from events.outbox_sql import NOTIFY_CHANNEL

log = logging.getLogger(__name__)

RECONNECT_SECONDS = 1.0


async def relay_on_commit(conninfo: str) -> None:
    """Until cancelled: LISTEN, and run the relay after each burst of notifications."""
    pending = asyncio.Event()
    listener = asyncio.create_task(_listen(conninfo, pending))
    try:
        while True:
            await pending.wait()
            pending.clear()
            try:
                await _in_a_thread()
            except Exception:  # noqa: BLE001 - the periodic relay takes over; try at the next commit
                log.warning("relaying events after a commit failed", exc_info=True)
    finally:
        listener.cancel()


async def _in_a_thread() -> None:
    """The relay in a thread, as procrastinate runs a sync job: through asgiref, so the
    jobs it defers use the worker's connections on this event loop (a plain thread
    would make a loop of its own and share the loop-bound pool with it)."""
    from asgiref.sync import sync_to_async

    await sync_to_async(jobs.relay_now, thread_sensitive=False)()


async def _listen(conninfo: str, pending: asyncio.Event) -> None:
    import psycopg

    while True:
        try:
            async with await psycopg.AsyncConnection.connect(conninfo, autocommit=True) as listening:
                await listening.execute(f"LISTEN {NOTIFY_CHANNEL}")
                pending.set()  # anything committed while (re)connecting
                async for _notice in listening.notifies():
                    pending.set()
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - the database went away: listen again
            log.warning("the worker's event listener lost its connection; reconnecting", exc_info=True)
            await asyncio.sleep(RECONNECT_SECONDS)
