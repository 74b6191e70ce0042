"""The live event stream's engine: Server-Sent Events for one user, resumable by id.

Served on an event loop (config.asgi, the Procfile's `stream:` process), an open stream
costs a coroutine and a socket, never a thread. On PostgreSQL one connection per process
LISTENs on the outbox's channel (events.outbox_sql sends the user id at each commit)
and wakes the streams of that user, which read their new events with a small async
connection pool; no stream polls. Elsewhere (SQLite in development) streams poll.

Order and resumption: a user's events commit in id order (events.outbox_sql), so a
stream that sends every event above the last id it sent, in id order, has no gap and
no duplicate, and a client resumes with `Last-Event-ID`.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import AsyncIterator

import orjson
from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import connection

from events.feed import events_after
from events.outbox_sql import NOTIFY_CHANNEL

log = logging.getLogger(__name__)

BATCH = 500
SQLITE_POLL_SECONDS = 0.5


def sse(event: dict) -> bytes:
    return b"id: %d\nevent: %s\ndata: %s\n\n" % (event["id"], event["type"].encode(), orjson.dumps(event))


class _Hub:
    """This process's one LISTEN connection and the streams waiting on it, per user."""

    def __init__(self) -> None:
        self.waiting: dict[str, set[asyncio.Event]] = defaultdict(set)
        self.listener: asyncio.Task | None = None
        self.pool = None
        self.loop: asyncio.AbstractEventLoop | None = None

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        if self.loop is loop and self.listener is not None and not self.listener.done():
            return
        from psycopg_pool import AsyncConnectionPool

        self.loop = loop
        self.pool = AsyncConnectionPool(
            conninfo(), min_size=1, max_size=settings.EVENT_STREAM_DB_CONNECTIONS, open=False
        )
        await self.pool.open()
        self.listener = loop.create_task(self._listen())

    async def _listen(self) -> None:
        import psycopg

        while True:
            try:
                async with await psycopg.AsyncConnection.connect(conninfo(), autocommit=True) as listening:
                    await listening.execute(f"LISTEN {NOTIFY_CHANNEL}")
                    self._wake_all()  # anything committed while (re)connecting
                    async for notice in listening.notifies():
                        for woken in self.waiting.get(notice.payload, ()):
                            woken.set()
            except Exception:  # noqa: BLE001 - the database went away: listen again
                log.warning("event stream listener lost its connection; reconnecting", exc_info=True)
                self._wake_all()
                await asyncio.sleep(1)

    def _wake_all(self) -> None:
        for waiters in self.waiting.values():
            for woken in waiters:
                woken.set()

    async def read(self, user_id: str, after: int) -> list[dict]:
        async with self.pool.connection() as db:
            cursor = await db.execute(
                "SELECT payload::text FROM events_event WHERE user_id = %s AND id > %s ORDER BY id LIMIT %s",
                [user_id, after, BATCH],
            )
            return [orjson.loads(row[0]) for row in await cursor.fetchall()]


_hub = _Hub()


def conninfo() -> str:
    """Django's database as a libpq connection string (for connections of our own)."""
    params = connection.get_connection_params()
    keys = ("host", "port", "dbname", "user", "password", "sslmode")
    parts = {key: params[key] for key in keys if params.get(key)}
    if "dbname" not in parts and params.get("database"):
        parts["dbname"] = params["database"]
    import psycopg.conninfo

    return psycopg.conninfo.make_conninfo(**{key: str(value) for key, value in parts.items()})


async def stream(user_id: str, after: int) -> AsyncIterator[bytes]:
    """The SSE body: `retry`, then every event of the user above `after` as it commits,
    and a comment at least every EVENT_STREAM_HEARTBEAT seconds."""
    heartbeat = settings.EVENT_STREAM_HEARTBEAT
    yield b"retry: 3000\n\n"
    if connection.vendor != "postgresql":
        async for chunk in _polled(user_id, after, heartbeat):
            yield chunk
        return
    await _hub.start()
    woken = asyncio.Event()
    _hub.waiting[user_id].add(woken)
    try:
        while True:
            woken.clear()  # before reading: a commit during the read wakes the next wait
            events = await _hub.read(user_id, after)
            for event in events:
                yield sse(event)
                after = event["id"]
            if len(events) == BATCH:
                continue
            try:
                await asyncio.wait_for(woken.wait(), heartbeat)
            except TimeoutError:
                yield b": keep-alive\n\n"
    finally:
        waiters = _hub.waiting.get(user_id)
        if waiters is not None:
            waiters.discard(woken)
            if not waiters:
                del _hub.waiting[user_id]


async def _polled(user_id: str, after: int, heartbeat: float) -> AsyncIterator[bytes]:
    loop = asyncio.get_running_loop()
    quiet_since = loop.time()
    while True:
        events = await sync_to_async(events_after)(user_id, after, limit=BATCH)
        for event in events:
            yield sse(event)
            after = event["id"]
        if events:
            quiet_since = loop.time()
        elif loop.time() - quiet_since >= heartbeat:
            yield b": keep-alive\n\n"
            quiet_since = loop.time()
        await asyncio.sleep(SQLITE_POLL_SECONDS)
