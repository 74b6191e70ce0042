"""The worker's jobs, on procrastinate (a job queue on PostgreSQL: LISTEN/NOTIFY wakes
a worker as a job is deferred, periodic jobs are deferred once per tick whatever the
number of workers, and a scheduled job waits in the table until its time).

The relay turns new outbox events into webhook deliveries and queues one `deliver_due`
job per subscription that has deliveries to send (events.webhooks sends them PARALLEL at
a time). It runs as soon as a transaction with events commits (the worker LISTENs on
the outbox's NOTIFY: events.wakeup) and, as a periodic job, every second, which also
catches the retries that fall due and the leases that ran out. Every second, too, the
reminders whose time has come fire (tasks.data.reminders), each once, and the relay is
asked to run at once. Old events are pruned hourly.
"""

from __future__ import annotations

import contextlib
import logging
from datetime import timedelta

from django.conf import settings
from django.db import close_old_connections, connection
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
    subscriptions with deliveries due to the queue."""
    relay_now()


def relay_now() -> None:
    """The relay, from a worker's thread (the periodic job, or events.wakeup)."""
    with _django_connections():
        relay()


def relay() -> None:
    """New events to deliveries, each batch's subscriptions queued at once (so sending
    begins while a large burst is still being fanned out), then those with a retry or
    an expired lease due; then the events to NATS when configured. Safe to run in any
    number of workers at once (fan_out skips events another worker holds)."""
    while True:
        batch = webhooks.fan_out_batch()
        if not batch.events:
            break
        queue_deliveries(batch.subscriptions)
    queue_deliveries(webhooks.due_subscriptions())
    try:
        publisher.publish_pending()
    except Exception:  # noqa: BLE001 - the broker is down: the events wait in the outbox
        log.warning("publishing events to NATS failed; retrying next tick", exc_info=True)


def queue_deliveries(subscription_ids) -> None:
    """One `deliver_due` job per subscription, unless one is queued and not started yet
    (it will find the new deliveries too); one that is running gets a successor."""
    locks = {f"subscription:{subscription_id}": subscription_id for subscription_id in subscription_ids}
    if not locks:
        return
    for lock in _queued(locks):
        del locks[lock]
    for lock, subscription_id in locks.items():
        with contextlib.suppress(exceptions.AlreadyEnqueued):  # queued meanwhile by another worker
            deliver_due.configure(queueing_lock=lock).defer(subscription_id=subscription_id)


def _queued(locks) -> list[str]:
    """Of these queueing locks, those held by a job waiting in the queue (PostgreSQL: read
    first, so a busy relay does not fail an INSERT per subscription per tick)."""
    if connection.vendor != "postgresql":
        return []
    from procrastinate.contrib.django.models import ProcrastinateJob

    return list(
        ProcrastinateJob.objects.filter(status="todo", queueing_lock__in=list(locks)).values_list(
            "queueing_lock", flat=True
        )
    )


@app.task(queue="webhooks")
def deliver_due(subscription_id: int) -> int:
    """Send the subscription's due deliveries (events.webhooks.deliver_due)."""
    with _django_connections():
        return webhooks.deliver_due(subscription_id)


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
    """One attempt at one delivery (jobs queued by earlier versions of the relay)."""
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
