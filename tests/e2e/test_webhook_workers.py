"""Real worker processes (the Procfile's `worker:`) deliver task events to a real
receiver: signed as Standard Webhooks say, each event once per subscriber with two
workers at once, retried after failures, and taken over when a worker dies holding one."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from standardwebhooks.webhooks import Webhook

from events.models import DeliveryStatus, WebhookDelivery, WebhookSubscription
from events.webhooks import new_secret
from tasks.data.store import TaskStore
from tests.e2e.workers import receiver, wait_until, workers

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif("connection.vendor != 'postgresql'", reason="worker processes share the database"),
]

FRANK = "idp|frank"
ALL_TYPES = ["task.created", "task.updated", "task.completed", "task.reopened", "task.deleted"]
FAST = {"WEBHOOK_ALLOW_PRIVATE": "1", "WEBHOOK_RETRY_BASE_SECONDS": "0.2", "WEBHOOK_LEASE_SECONDS": "2"}


def subscribe(url: str, *, events=ALL_TYPES, user_id: str = FRANK) -> WebhookSubscription:
    return WebhookSubscription.objects.create(
        user_id=user_id, url=url, events=list(events), secret=new_secret()
    )


def test_two_workers_deliver_each_event_once_per_subscriber_signed():
    with receiver() as first, receiver() as second, workers(2, **FAST):
        subscriptions = [subscribe(first.url), subscribe(second.url, events=["task.completed"])]
        store = TaskStore(FRANK)
        tasks = [store.create(title=f"Task {n}") for n in range(20)]
        for task in tasks[:5]:
            store.set_completion(task.pk, True)

        got = first.wait_for(lambda requests: len(requests) >= 25, what="25 events at the first receiver")
        second.wait_for(lambda requests: len(requests) >= 5, what="5 completions at the second receiver")
        wait_until(
            lambda: WebhookDelivery.objects.filter(status=DeliveryStatus.SUCCEEDED).count() == 30,
            what="30 deliveries recorded as succeeded",
        )

    ids = [request["headers"]["webhook-id"] for request in got]
    assert len(ids) == len(set(ids)) == 25
    assert sorted(int(event["id"]) for event in first.events()) == sorted(int(i) for i in ids)
    assert {event["type"] for event in second.events()} == {"task.completed"}
    verifier = Webhook(subscriptions[0].secret)
    for request in got:
        verified = verifier.verify(request["body"], request["headers"])  # raises if the signature is wrong
        assert verified["task_id"] in {str(task.pk) for task in tasks}


def test_a_failing_receiver_is_retried_until_it_takes_the_event():
    answers = iter([500, 503])

    with receiver(lambda request: next(answers, 200)) as flaky, workers(1, **FAST):
        subscribe(flaky.url)
        TaskStore(FRANK).create(title="Retried")
        flaky.wait_for(lambda requests: len(requests) >= 3, what="three attempts")
        wait_until(
            lambda: WebhookDelivery.objects.filter(status=DeliveryStatus.SUCCEEDED).exists(),
            what="the delivery to succeed",
        )

    delivery = WebhookDelivery.objects.get()
    assert [attempt["status_code"] for attempt in delivery.attempts] == [500, 503, 200]
    assert len({request["headers"]["webhook-id"] for request in flaky.requests}) == 1


def test_a_worker_killed_mid_delivery_leaves_it_to_another():
    holding = threading.Event()
    release = threading.Event()

    def hold_the_first(request) -> int:
        if not holding.is_set():
            holding.set()
            release.wait(30)
        return 200

    with receiver(hold_the_first) as slow:
        subscribe(slow.url)
        with workers(1, **FAST) as (doomed,):
            TaskStore(FRANK).create(title="Survives a crash")
            slow.wait_for(lambda requests: len(requests) >= 1, what="the first attempt")
            doomed.kill()
        release.set()
        with workers(1, **FAST):
            slow.wait_for(lambda requests: len(requests) >= 2, what="the delivery taken over")
            wait_until(
                lambda: WebhookDelivery.objects.filter(status=DeliveryStatus.SUCCEEDED).exists(),
                what="the delivery to succeed",
            )

    ids = {request["headers"]["webhook-id"] for request in slow.requests}
    assert len(ids) == 1  # the same event again: receivers de-duplicate by webhook-id
    assert WebhookDelivery.objects.get().status == DeliveryStatus.SUCCEEDED


def test_without_the_private_switch_a_loopback_target_is_refused_at_delivery():
    with receiver() as local, workers(1, **{**FAST, "WEBHOOK_ALLOW_PRIVATE": "0"}):
        subscribe(local.url)
        TaskStore(FRANK).create(title="Not for localhost")
        wait_until(
            lambda: WebhookDelivery.objects.filter(attempt_count__gte=1).exists(),
            what="a refused attempt",
        )

    attempt = WebhookDelivery.objects.get().attempts[0]
    assert attempt["status_code"] is None
    assert "loopback" in attempt["error"]
    assert local.requests == []
    assert connection.vendor == "postgresql"
