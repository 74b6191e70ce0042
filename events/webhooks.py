"""Webhook deliveries: fanning events out to subscriptions, and one signed attempt.

State lives in `WebhookDelivery` rows, not in the queue: a worker claims a due delivery
with a conditional UPDATE and a lease, so two workers never send the same one at once,
and one killed mid-delivery leaves it to be claimed again when its lease runs out. The
queue's jobs (events.jobs) only say "look now".
"""

from __future__ import annotations

import base64
import logging
import random
import secrets
import time
from datetime import UTC, datetime, timedelta

import orjson
import urllib3
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from events.models import DeliveryStatus, Event, WebhookDelivery, WebhookSubscription
from events.targets import TargetRefused, resolve

log = logging.getLogger(__name__)

# Attempt n (1-based) failing waits RETRY_BASE * 2**(n-1): 5 s, 10 s, ... 11 h; the
# fifteenth attempt comes about 23 hours after the first, and is the last.
MAX_ATTEMPTS = 15
RESPONSE_BODY_KEPT = 500
FAN_OUT_BATCH = 500


def new_secret() -> str:
    """A Standard Webhooks secret: `whsec_` and 24 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def retry_delay(attempt: int) -> timedelta:
    base = settings.WEBHOOK_RETRY_BASE_SECONDS
    return timedelta(seconds=base * 2 ** (attempt - 1) * random.uniform(0.9, 1.1))  # noqa: S311 - jitter


def fan_out() -> int:
    """Turn events not yet relayed into deliveries for their owners' subscriptions
    (each event once per subscription, whatever the number of workers). How many events."""
    with transaction.atomic():
        events = list(
            Event.objects.filter(relayed=False)
            .order_by("id")
            .select_for_update(skip_locked=True)[:FAN_OUT_BATCH]
        )
        if not events:
            return 0
        owners = {event.user_id for event in events}
        subscriptions: dict[str, list[WebhookSubscription]] = {}
        for subscription in WebhookSubscription.objects.filter(user_id__in=owners, active=True):
            subscriptions.setdefault(subscription.user_id, []).append(subscription)
        now = timezone.now()
        deliveries = [
            WebhookDelivery(subscription=subscription, event=event, next_attempt_at=now)
            for event in events
            for subscription in subscriptions.get(event.user_id, [])
            if event.type in subscription.events
        ]
        WebhookDelivery.objects.bulk_create(deliveries, ignore_conflicts=True)
        Event.objects.filter(id__in=[event.id for event in events]).update(relayed=True)
    return len(events)


def due_deliveries(limit: int = 1000) -> list[int]:
    """Pending deliveries whose time has come and that no worker holds."""
    now = timezone.now()
    due = WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now).filter(
        Q(leased_until__isnull=True) | Q(leased_until__lt=now)
    )
    return list(due.order_by("next_attempt_at").values_list("id", flat=True)[:limit])


def claim(delivery_id: int) -> WebhookDelivery | None:
    """Take the delivery for one attempt, if it is due and nobody holds it (one UPDATE)."""
    now = timezone.now()
    claimed = (
        WebhookDelivery.objects.filter(
            id=delivery_id, status=DeliveryStatus.PENDING, next_attempt_at__lte=now
        )
        .filter(Q(leased_until__isnull=True) | Q(leased_until__lt=now))
        .update(leased_until=now + timedelta(seconds=settings.WEBHOOK_LEASE_SECONDS))
    )
    if not claimed:
        return None
    return WebhookDelivery.objects.select_related("subscription", "event").get(id=delivery_id)


def attempt(delivery_id: int) -> None:
    """One attempt at a delivery, recorded in its log; a no-op unless it can be claimed."""
    delivery = claim(delivery_id)
    if delivery is None:
        return
    subscription = delivery.subscription
    now = timezone.now()
    if not subscription.active:
        _finish(delivery, DeliveryStatus.FAILED, {"at": _iso(now), "error": "The subscription is disabled."})
        return
    started = time.monotonic()
    status_code, error = send(
        subscription.url, subscription.secret, delivery.event.payload, msg_id=delivery.event_id
    )
    record = {
        "at": _iso(now),
        "status_code": status_code,
        "error": error,
        "duration_ms": round((time.monotonic() - started) * 1000, 1),
    }
    number = delivery.attempt_count + 1
    if error is None:
        _finish(delivery, DeliveryStatus.SUCCEEDED, record, number=number)
        WebhookSubscription.objects.filter(id=subscription.id).update(last_success_at=timezone.now())
    elif number >= MAX_ATTEMPTS:
        _finish(delivery, DeliveryStatus.FAILED, record, number=number)
        _disable_if_failing(subscription, since=delivery.created_at)
    else:
        delivery.attempts = [*delivery.attempts, record]
        delivery.attempt_count = number
        delivery.next_attempt_at = timezone.now() + retry_delay(number)
        delivery.leased_until = None
        delivery.save(update_fields=["attempts", "attempt_count", "next_attempt_at", "leased_until"])


def send(url: str, secret: str, payload: dict, *, msg_id: int) -> tuple[int | None, str | None]:
    """POST the event, signed; (status code, error or None when the receiver took it)."""
    try:
        target = resolve(url)
    except TargetRefused as refused:
        return None, str(refused)
    body = orjson.dumps(payload)
    sent_at = datetime.now(tz=UTC)
    signature = Webhook(secret).sign(str(msg_id), sent_at, body.decode())
    headers = {
        "Host": target.host if target.port in (80, 443) else f"{target.host}:{target.port}",
        "Content-Type": "application/json",
        "User-Agent": "tasks-api-webhooks",
        "webhook-id": str(msg_id),
        "webhook-timestamp": str(int(sent_at.timestamp())),
        "webhook-signature": signature,
    }
    timeout = urllib3.Timeout(total=settings.WEBHOOK_TIMEOUT)
    if target.scheme == "https":
        pool = urllib3.HTTPSConnectionPool(
            target.address,
            target.port,
            server_hostname=target.host,
            assert_hostname=target.host,
            timeout=timeout,
        )
    else:
        pool = urllib3.HTTPConnectionPool(target.address, target.port, timeout=timeout)
    try:
        with pool:
            response = pool.urlopen(
                "POST",
                target.path,
                body=body,
                headers=headers,
                redirect=False,
                retries=False,
                preload_content=True,
            )
    except urllib3.exceptions.HTTPError as failure:
        return None, f"{type(failure).__name__}: {failure}"[:RESPONSE_BODY_KEPT]
    if 200 <= response.status < 300:
        return response.status, None
    return (
        response.status,
        f"HTTP {response.status}: {response.data[:RESPONSE_BODY_KEPT].decode(errors='replace')}",
    )


def _finish(delivery: WebhookDelivery, status: str, record: dict, *, number: int | None = None) -> None:
    delivery.attempts = [*delivery.attempts, record]
    delivery.attempt_count = number or delivery.attempt_count
    delivery.status = status
    delivery.leased_until = None
    if status == DeliveryStatus.SUCCEEDED:
        delivery.delivered_at = timezone.now()
    delivery.save(update_fields=["attempts", "attempt_count", "status", "leased_until", "delivered_at"])


def _disable_if_failing(subscription: WebhookSubscription, *, since: datetime) -> None:
    """A delivery gave up after about a day: if nothing got through since it began,
    the receiver is gone; stop sending to it."""
    WebhookSubscription.objects.filter(id=subscription.id, active=True).filter(
        Q(last_success_at__isnull=True) | Q(last_success_at__lt=since)
    ).update(active=False, disabled_reason=f"Every delivery failed for a day (until {_iso(timezone.now())}).")
    log.warning("webhook subscription %s disabled after sustained failure", subscription.id)


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")
