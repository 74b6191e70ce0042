"""The live event stream's engine: Server-Sent Events for one user, resumable by id.

Served on an event loop (config.asgi, the Procfile's `stream:` process), an open stream
costs a coroutine, a socket and a few bytes of state, never a thread. On PostgreSQL the
process's work is shared by all its streams, so that it grows with the events and not
with the streams times the events:
- one connection LISTENs on the outbox's channel (events.outbox_sql sends the user id at
  each commit); its socket is read by a callback that drains every notification waiting,
  and marks only the streams of those users for reading;
- one reader reads for all the marked streams at once: a single query per round, by
  (user, last id sent) pairs, so streams of one user at the same point share their rows;
- each event is encoded once (the SSE frame is built from the stored JSON text, never
  parsed), and the streams that need it get the same bytes;
- one timer sends the heartbeats of all the streams.
No stream polls, holds a connection or a timer. Elsewhere (SQLite in development)
streams poll.

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
RECONNECT_SECONDS = 1.0
KEEP_ALIVE = b": keep-alive\n\n"

# The events above each (user, last id sent) pair, up to BATCH for each, in id order.
READ_AFTER = """
SELECT wanted.user_id, wanted.after, event.id, event.type, event.payload::text
FROM unnest(%s::text[], %s::bigint[]) AS wanted(user_id, after)
CROSS JOIN LATERAL (
  SELECT id, type, payload FROM events_event
  WHERE user_id = wanted.user_id AND id > wanted.after
  ORDER BY id LIMIT %s
) AS event
ORDER BY 1, 2, 3
"""


def sse(event: dict) -> bytes:
    return frame(event["id"], event["type"], orjson.dumps(event))


def frame(event_id: int, kind: str, data: bytes) -> bytes:
    return b"id: %d\nevent: %s\ndata: %s\n\n" % (event_id, kind.encode(), data)


class _Stream:
    """One open stream: whose, the last id it was given, and what waits to be sent."""

    __slots__ = ("after", "frames", "user_id", "woken")

    def __init__(self, user_id: str, after: int) -> None:
        self.user_id = user_id
        self.after = after
        self.frames: list[bytes] = []
        self.woken = asyncio.Event()

    def give(self, chunk: bytes) -> None:
        self.frames.append(chunk)
        self.woken.set()


class _Hub:
    """This process's LISTEN connection, reader and heartbeat, and its open streams."""

    def __init__(self) -> None:
        self.streams: dict[str, set[_Stream]] = defaultdict(set)
        self.marked: set[_Stream] = set()
        self.to_read: asyncio.Event | None = None
        self.workers: list[asyncio.Task] = []
        self.pool = None
        self.loop: asyncio.AbstractEventLoop | None = None

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        if self.loop is loop and self.workers and not any(worker.done() for worker in self.workers):
            return
        from psycopg_pool import AsyncConnectionPool

        for worker in self.workers:
            worker.cancel()
        self.loop = loop
        self.to_read = asyncio.Event()
        self.pool = AsyncConnectionPool(  # autocommit: a read is one round trip, no BEGIN/COMMIT
            conninfo(),
            kwargs={"autocommit": True},
            min_size=1,
            max_size=settings.EVENT_STREAM_DB_CONNECTIONS,
            open=False,
        )
        await self.pool.open()
        self.workers = [loop.create_task(work()) for work in (self._listen, self._read, self._beat)]

    def open(self, user_id: str, after: int) -> _Stream:
        stream = _Stream(user_id, after)
        self.streams[user_id].add(stream)
        self._mark((stream,))  # what committed before it opened, above `after`
        return stream

    def close(self, stream: _Stream) -> None:
        self.marked.discard(stream)
        streams = self.streams.get(stream.user_id)
        if streams is not None:
            streams.discard(stream)
            if not streams:
                del self.streams[stream.user_id]

    def _mark(self, streams) -> None:
        self.marked.update(streams)
        self.to_read.set()

    def _mark_all(self) -> None:
        for streams in self.streams.values():
            self._mark(streams)

    async def _listen(self) -> None:
        """LISTEN, and on each readable socket drain all notifications that arrived."""
        import psycopg

        loop = asyncio.get_running_loop()
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(conninfo(), autocommit=True) as listening:
                    await listening.execute(f"LISTEN {NOTIFY_CHANNEL}")
                    self._mark_all()  # anything committed while (re)connecting
                    await self._notified(loop, listening.pgconn)
            except Exception:  # noqa: BLE001 - the database went away: listen again
                log.warning("event stream listener lost its connection; reconnecting", exc_info=True)
                self._mark_all()
                await asyncio.sleep(RECONNECT_SECONDS)

    async def _notified(self, loop: asyncio.AbstractEventLoop, pgconn) -> None:
        """Until the connection fails: libpq's notifications, read where they land (one
        callback per readable socket, however many it holds), no coroutine per notice."""
        lost = loop.create_future()

        def readable() -> None:
            try:
                pgconn.consume_input()
                while (notice := pgconn.notifies()) is not None:
                    streams = self.streams.get(notice.extra.decode())
                    if streams:
                        self._mark(streams)
            except Exception as error:  # noqa: BLE001 - handed to the listener, which reconnects
                if not lost.done():
                    lost.set_exception(error)

        fileno = pgconn.socket
        loop.add_reader(fileno, readable)
        try:
            readable()  # what arrived with the LISTEN's answer
            await lost
        finally:
            loop.remove_reader(fileno)

    async def _read(self) -> None:
        """One query per round for every marked stream; again while any is marked."""
        while True:
            await self.to_read.wait()
            self.to_read.clear()
            streams, self.marked = self.marked, set()
            try:
                await self._read_for(streams)
            except Exception:  # noqa: BLE001 - try again: a stream never skips an event
                log.warning("reading events for the streams failed; retrying", exc_info=True)
                self._mark(stream for stream in streams if stream in self.streams.get(stream.user_id, ()))
                await asyncio.sleep(RECONNECT_SECONDS)

    async def _read_for(self, streams: set[_Stream]) -> None:
        wanted = {(stream.user_id, stream.after) for stream in streams}
        async with self.pool.connection() as db:
            cursor = await db.execute(
                READ_AFTER, [[user for user, _ in wanted], [after for _, after in wanted], BATCH]
            )
            rows = await cursor.fetchall()
        found: dict[tuple[str, int], list[tuple[int, bytes]]] = defaultdict(list)
        frames: dict[int, bytes] = {}
        for user_id, after, event_id, kind, payload in rows:
            encoded = frames.get(event_id)
            if encoded is None:
                encoded = frames[event_id] = frame(event_id, kind, payload.encode())
            found[user_id, after].append((event_id, encoded))
        for stream in streams:
            events = found.get((stream.user_id, stream.after))
            if not events:
                continue
            stream.after = events[-1][0]
            stream.give(b"".join(encoded for _, encoded in events))
            if len(events) == BATCH:
                self._mark((stream,))  # more behind these

    async def _beat(self) -> None:
        """Every heartbeat interval, a comment to every open stream."""
        while True:
            await asyncio.sleep(max(settings.EVENT_STREAM_HEARTBEAT, 0.1))
            for streams in self.streams.values():
                for stream in streams:
                    stream.give(KEEP_ALIVE)


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
    yield b"retry: 3000\n\n"
    if connection.vendor != "postgresql":
        async for chunk in _polled(user_id, after, settings.EVENT_STREAM_HEARTBEAT):
            yield chunk
        return
    await _hub.start()
    opened = _hub.open(user_id, after)
    try:
        while True:
            await opened.woken.wait()
            opened.woken.clear()
            chunks, opened.frames = opened.frames, []
            yield b"".join(chunks)
    finally:
        _hub.close(opened)


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
            yield KEEP_ALIVE
            quiet_since = loop.time()
        await asyncio.sleep(SQLITE_POLL_SECONDS)
