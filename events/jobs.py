"""The worker's jobs, on procrastinate (a job queue on PostgreSQL: LISTEN/NOTIFY wakes
a worker as a job is deferred, periodic jobs are deferred once per tick whatever the
number of workers, and a scheduled job waits in the table until its time).

Each tick the relay turns new outbox events into webhook deliveries and queues the due
ones; a delivery job makes one attempt (events.webhooks). Each tick, too, the reminders
whose time has come fire (tasks.data.reminders), each once, and the relay is asked to
run at once. Old events are pruned hourly.
"""

from __future__ import annotations

import contextlib
import logging
from datetime import timedelta

from django.conf import settings
from django.db import close_old_connections
from django.utils import timezone
from procrastinate import exceptions
from procrastinate.contrib.django import app

from events import publisher, webhooks
from events.models import Event
from tasks.data import reminders

PRUNE_BATCH = 5000
log = logging.getLogger(__name__)


@app.periodic(cron="* * * * * *", periodic_id="relay")
@app.task(queue="events", queueing_lock="relay_events")
def relay_events(timestamp: int) -> None:
    """Every second: new events to deliveries (and to NATS when configured), then the
    deliveries that are due to the queue."""
    with _django_connections():
        while webhooks.fan_out():
            pass
        try:
            publisher.publish_pending()
        except Exception:  # noqa: BLE001 - the broker is down: the events wait in the outbox
            log.warning("publishing events to NATS failed; retrying next tick", exc_info=True)
        for delivery_id in webhooks.due_deliveries():
            # Queued already and not started yet: AlreadyEnqueued.
            with contextlib.suppress(exceptions.AlreadyEnqueued):
                deliver.configure(queueing_lock=f"delivery:{delivery_id}").defer(delivery_id=delivery_id)


@app.periodic(cron="* * * * * *", periodic_id="reminders")
@app.task(queue="events", queueing_lock="fire_reminders", priority=1)
def fire_reminders(timestamp: int) -> int:
    """Every second: the due reminders' `task.reminder_due` events; then the relay, for
    their webhooks and NATS, without waiting for its next tick. How many fired."""
    fired = 0
    with _django_connections():
        while True:
            batch = reminders.fire_due()
            fired += batch
            if batch < reminders.BATCH:
                break
    if fired:
        with contextlib.suppress(exceptions.AlreadyEnqueued):
            relay_events.configure(queueing_lock="relay_events").defer(timestamp=timestamp)
    return fired


@app.task(queue="webhooks")
def deliver(delivery_id: int) -> None:
    with _django_connections():
        webhooks.attempt(delivery_id)


@app.periodic(cron="17 * * * *", periodic_id="prune")
@app.task(queue="events", queueing_lock="prune_events")
def prune_events(timestamp: int) -> int:
    """Delete events older than EVENT_RETENTION_DAYS (their deliveries with them)."""
    with _django_connections():
        return prune(now=timezone.now())


def prune(*, now) -> int:
    cutoff = now - timedelta(days=settings.EVENT_RETENTION_DAYS)
    removed = 0
    while True:
        batch = list(Event.objects.filter(occurred_at__lt=cutoff).values_list("id", flat=True)[:PRUNE_BATCH])
        if not batch:
            return removed
        Event.objects.filter(id__in=batch).delete()
        removed += len(batch)


class _django_connections:
    """A job runs in a worker thread: it drops connections the server closed meanwhile,
    as a request would."""

    def __enter__(self) -> None:
        close_old_connections()

    def __exit__(self, *exc) -> None:
        close_old_connections()
