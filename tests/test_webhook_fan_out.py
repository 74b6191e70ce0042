"""The worker's bookkeeping without the network: events become one delivery per
interested subscription, retries back off exponentially for about a day, a delivery
that gives up disables a subscription that has not succeeded since, and old events
are pruned."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from events import jobs, webhooks
from events.models import DeliveryStatus, Event, WebhookDelivery, WebhookSubscription
from tasks.data.store import TaskStore

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("events_at_once")]

GINA, HANK = "idp|gina", "idp|hank"


def subscribe(user_id: str, events: list[str], url: str = "http://127.0.0.1:9/hook") -> WebhookSubscription:
    return WebhookSubscription.objects.create(
        user_id=user_id, url=url, events=events, secret=webhooks.new_secret()
    )


def test_each_event_becomes_one_delivery_per_subscription_that_wants_its_type():
    everything = subscribe(GINA, ["task.created", "task.completed"])
    completions = subscribe(GINA, ["task.completed"])
    subscribe(HANK, ["task.created"])
    task = TaskStore(GINA).create(title="Fan out")
    TaskStore(GINA).set_completion(task.pk, True)

    assert webhooks.fan_out() == 2
    assert webhooks.fan_out() == 0  # relayed once only

    pairs = sorted(WebhookDelivery.objects.values_list("subscription_id", "event__type"))
    assert pairs == sorted(
        [
            (everything.id, "task.created"),
            (everything.id, "task.completed"),
            (completions.id, "task.completed"),
        ]
    )


def test_a_claimed_delivery_cannot_be_claimed_again_until_its_lease_runs_out(settings):
    subscribe(GINA, ["task.created"])
    TaskStore(GINA).create(title="Claimed")
    webhooks.fan_out()
    delivery = WebhookDelivery.objects.get()

    assert webhooks.claim(delivery.id) is not None
    assert webhooks.claim(delivery.id) is None
    assert webhooks.due_deliveries() == []

    WebhookDelivery.objects.filter(id=delivery.id).update(leased_until=timezone.now() - timedelta(seconds=1))
    assert webhooks.due_deliveries() == [delivery.id]


def test_retries_back_off_exponentially_for_about_a_day(settings):
    settings.WEBHOOK_RETRY_BASE_SECONDS = 5
    waits = [webhooks.retry_delay(attempt) for attempt in range(1, webhooks.MAX_ATTEMPTS)]

    assert all(later > earlier for earlier, later in zip(waits, waits[1:], strict=False))
    total = sum(waits, timedelta())
    assert timedelta(hours=18) < total < timedelta(hours=30)


def test_a_delivery_that_gives_up_disables_a_subscription_with_no_success_since(settings):
    settings.WEBHOOK_ALLOW_PRIVATE = False  # the loopback target fails at once, no network
    subscription = subscribe(GINA, ["task.created"])
    TaskStore(GINA).create(title="Never delivered")
    webhooks.fan_out()
    delivery = WebhookDelivery.objects.get()
    WebhookDelivery.objects.filter(id=delivery.id).update(attempt_count=webhooks.MAX_ATTEMPTS - 1)

    webhooks.attempt(delivery.id)

    delivery.refresh_from_db()
    subscription.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED
    assert subscription.active is False
    assert "failed" in subscription.disabled_reason


def test_events_older_than_the_retention_are_pruned_with_their_deliveries(settings):
    settings.EVENT_RETENTION_DAYS = 30
    subscribe(GINA, ["task.created"])
    TaskStore(GINA).create(title="Old")
    TaskStore(GINA).create(title="Recent")
    webhooks.fan_out()
    old = Event.objects.order_by("id").first()
    Event.objects.filter(id=old.id).update(occurred_at=timezone.now() - timedelta(days=31))

    assert jobs.prune(now=timezone.now()) == 1

    assert list(Event.objects.values_list("payload__task__title", flat=True)) == ["Recent"]
    assert WebhookDelivery.objects.count() == 1


def test_the_worker_schedules_the_relay_and_the_reminders_every_second_and_the_pruning_hourly():
    from procrastinate.contrib.django import app

    crons = {
        task.name: cron
        for task, cron in ((p.task, p.cron) for p in app.periodic_registry.periodic_tasks.values())
    }
    assert crons == {
        "events.jobs.relay_events": "* * * * * *",
        "events.jobs.fire_reminders": "* * * * * *",
        "events.jobs.prune_events": "17 * * * *",
    }


def test_a_subscriptions_due_deliveries_are_attempted_together_and_each_recorded(settings):
    settings.WEBHOOK_ALLOW_PRIVATE = False  # the loopback target fails at once, no network
    subscription = subscribe(GINA, ["task.created"])
    for n in range(3):
        TaskStore(GINA).create(title=f"Burst {n}")
    webhooks.fan_out()

    assert webhooks.due_subscriptions() == [subscription.id]
    assert webhooks.deliver_due(subscription.id) == 3

    deliveries = list(WebhookDelivery.objects.all())
    assert [delivery.attempt_count for delivery in deliveries] == [1, 1, 1]
    assert all("loopback" in delivery.attempts[0]["error"] for delivery in deliveries)
    assert all(delivery.leased_until is None for delivery in deliveries)
    assert all(delivery.next_attempt_at > timezone.now() for delivery in deliveries)
    assert webhooks.due_subscriptions() == []  # retried later, by the backoff


def test_claiming_a_subscriptions_due_deliveries_leases_them_once():
    subscription = subscribe(GINA, ["task.created"])
    for n in range(3):
        TaskStore(GINA).create(title=f"Claimed {n}")
    webhooks.fan_out()

    first = webhooks.claim_due(subscription.id, limit=2)
    second = webhooks.claim_due(subscription.id, limit=2)

    assert len(first) == 2
    assert len(second) == 1
    assert not {delivery.id for delivery in first} & {delivery.id for delivery in second}
    assert webhooks.claim_due(subscription.id) == []
