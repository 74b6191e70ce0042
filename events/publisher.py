"""Publishing the outbox to NATS JetStream, when EVENTS_NATS_URL is set.

The worker's relay calls `publish_pending()` every second. One worker at a time
publishes (a transaction-level advisory lock on PostgreSQL; the others skip), taking
the events not yet published in id order, so each user's events enter the stream in
their order. Each message carries `Nats-Msg-Id` = the event id: an event published
but not yet marked (a worker killed between the broker's ack and the commit, a broker
restart mid-batch) is published again, and JetStream drops the copy inside its
duplicate window. At least once into the stream, exactly once by de-duplication.

Subjects: `<prefix>.<user id>.<type>`, e.g. `tasks.local:1.task.completed`; the user id
is percent-encoded where NATS would read a character as syntax (`.`, `*`, `>`, blanks).
The stream (EVENTS_NATS_STREAM, subjects `<prefix>.>`) is created when missing.
"""

from __future__ import annotations

import asyncio
import re

import orjson
from django.conf import settings
from django.db import connection, transaction

from events.models import Event

BATCH = 500
DUPLICATE_WINDOW_SECONDS = 600
_PUBLISHER_LOCK = 0x7461736B_70756231  # any fixed number: names the publisher's lock
_UNSAFE = re.compile(r"[^A-Za-z0-9_\-:|@+=~!]")


def subject(user_id: str, event_type: str) -> str:
    user = _UNSAFE.sub(lambda found: "".join(f"%{byte:02X}" for byte in found.group().encode()), user_id)
    return f"{settings.EVENTS_NATS_SUBJECT_PREFIX}.{user}.{event_type}"


def publish_pending() -> int:
    """Publish the events not yet in the stream; how many. Nothing without EVENTS_NATS_URL."""
    if not settings.EVENTS_NATS_URL:
        return 0
    published = 0
    while True:
        with transaction.atomic():
            if not _publisher_lock():
                return published
            events = list(Event.objects.filter(published=False).order_by("id")[:BATCH])
            if not events:
                return published
            asyncio.run(
                _publish([(event.id, subject(event.user_id, event.type), event.payload) for event in events])
            )
            Event.objects.filter(id__in=[event.id for event in events]).update(published=True)
        published += len(events)


def _publisher_lock() -> bool:
    if connection.vendor != "postgresql":
        return True  # SQLite: one worker
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [_PUBLISHER_LOCK])
        return cursor.fetchone()[0]


async def _publish(messages: list[tuple[int, str, dict]]) -> None:
    import nats

    client = await nats.connect(
        settings.EVENTS_NATS_URL,
        # A broker that is down fails this round fast; the events wait for the next one.
        connect_timeout=2,
        max_reconnect_attempts=1,
        reconnect_time_wait=0.5,
        allow_reconnect=False,
        error_cb=_quiet,
    )
    try:
        stream = await ensure_stream(client)
        jetstream = client.jetstream()
        for event_id, to, payload in messages:  # one at a time, each acknowledged: in order
            await jetstream.publish(
                to, orjson.dumps(payload), stream=stream, headers={"Nats-Msg-Id": str(event_id)}
            )
    finally:
        await client.close()


async def _quiet(error: Exception) -> None:
    """The client's own error log is a traceback per attempt; the relay logs one line."""


async def ensure_stream(client) -> str:
    """The project's stream, created when missing."""
    from nats.js.api import StreamConfig
    from nats.js.errors import NotFoundError

    name = settings.EVENTS_NATS_STREAM
    manager = client.jetstream()
    try:
        await manager.stream_info(name)
    except NotFoundError:
        await manager.add_stream(
            StreamConfig(
                name=name,
                subjects=[f"{settings.EVENTS_NATS_SUBJECT_PREFIX}.>"],
                duplicate_window=DUPLICATE_WINDOW_SECONDS,
            )
        )
    return name
