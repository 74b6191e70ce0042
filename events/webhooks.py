"""Webhook deliveries: fanning events out to subscriptions, and one signed attempt.

State lives in `WebhookDelivery` rows, not in the queue: a worker claims due deliveries
with a lease (rows locked with SKIP LOCKED, then leased in the same transaction), so two
workers never send the same one at once, and one killed mid-delivery leaves it to be
claimed again when its lease runs out. The queue's jobs (events.jobs) only say "look
now at this subscription".

A subscription's due deliveries go out PARALLEL at a time, each on a connection kept
open for the next one to the same address, and their outcomes are written back in one
statement: a receiver is sent a burst of events at the pace it answers, not one job
per event. The lease (WEBHOOK_LEASE_SECONDS) must outlast WEBHOOK_TIMEOUT, since a
chunk takes at most that long.
"""

from __future__ import annotations

import base64
import logging
import random
import secrets
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
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
# Deliveries of one subscription sent at once (and the connections kept to its receiver).
PARALLEL = 16
# The threads that wait on receivers, shared by the deliver jobs of this process.
_senders = ThreadPoolExecutor(max_workers=64, thread_name_prefix="webhook-send")


def new_secret() -> str:
    """A Standard Webhooks secret: `whsec_` and 24 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def retry_delay(attempt: int) -> timedelta:
    base = settings.WEBHOOK_RETRY_BASE_SECONDS
    return timedelta(seconds=base * 2 ** (attempt - 1) * random.uniform(0.9, 1.1))  # noqa: S311 - jitter


@dataclass
class FannedOut:
    events: int  # how many events were relayed
    subscriptions: set[int]  # those that got new deliveries


def fan_out() -> int:
    """Turn events not yet relayed into deliveries for their owners' subscriptions
    (each event once per subscription, whatever the number of workers). How many events."""
    return fan_out_batch().events


def fan_out_batch() -> FannedOut:
    """One batch of fan_out(): how many events, and which subscriptions got deliveries."""
    with transaction.atomic():
        events = list(
            Event.objects.filter(relayed=False)
            .order_by("id")
            .select_for_update(skip_locked=True)[:FAN_OUT_BATCH]
        )
        if not events:
            return FannedOut(0, set())
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
    return FannedOut(len(events), {delivery.subscription_id for delivery in deliveries})


def _due(now: datetime):
    """Pending deliveries whose time has come and that no worker holds."""
    return WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now).filter(
        Q(leased_until__isnull=True) | Q(leased_until__lt=now)
    )


def due_deliveries(limit: int = 1000) -> list[int]:
    """Pending deliveries whose time has come and that no worker holds."""
    due = _due(timezone.now())
    return list(due.order_by("next_attempt_at").values_list("id", flat=True)[:limit])


def due_subscriptions() -> list[int]:
    """The subscriptions with a delivery to send now (a retry, an expired lease)."""
    return list(_due(timezone.now()).order_by().values_list("subscription_id", flat=True).distinct())


def claim_due(subscription_id: int, limit: int = PARALLEL) -> list[WebhookDelivery]:
    """Take up to `limit` due deliveries of the subscription for one attempt each, oldest
    first; rows another worker is claiming at this moment are skipped, not waited for."""
    now = timezone.now()
    with transaction.atomic():
        deliveries = list(
            _due(now)
            .filter(subscription_id=subscription_id)
            .select_related("event")
            .select_for_update(skip_locked=True, of=("self",))
            .order_by("next_attempt_at", "id")[:limit]
        )
        if deliveries:
            WebhookDelivery.objects.filter(id__in=[delivery.id for delivery in deliveries]).update(
                leased_until=now + timedelta(seconds=settings.WEBHOOK_LEASE_SECONDS)
            )
    return deliveries


def deliver_due(subscription_id: int) -> int:
    """Send the subscription's due deliveries, PARALLEL at a time, until none is left or
    an attempt fails (the rest wait for the next look, rather than holding a worker on a
    receiver that is down). How many attempts were made."""
    subscription = WebhookSubscription.objects.filter(id=subscription_id).first()
    if subscription is None:
        return 0
    made = 0
    pools = _Pools()
    try:
        while deliveries := claim_due(subscription_id):
            made += len(deliveries)
            if not _attempt_all(subscription, deliveries, pools):
                break
    finally:
        pools.close()
    return made


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
    pools = _Pools()
    try:
        _attempt_all(delivery.subscription, [delivery], pools)
    finally:
        pools.close()


def _attempt_all(subscription: WebhookSubscription, deliveries: list[WebhookDelivery], pools: _Pools) -> bool:
    """One attempt at each of the claimed deliveries, at once; their outcomes written in
    one transaction. Whether every one got through."""
    now = timezone.now()
    if not subscription.active:
        record = {"at": _iso(now), "error": "The subscription is disabled."}
        for delivery in deliveries:
            _finished(delivery, DeliveryStatus.FAILED, record, now=now)
        _save(deliveries)
        return False

    def one(delivery: WebhookDelivery) -> dict:
        started = time.monotonic()
        status_code, error = send(
            subscription.url,
            subscription.secret,
            delivery.event.payload,
            msg_id=delivery.event_id,
            pools=pools,
        )
        return {
            "at": _iso(now),
            "status_code": status_code,
            "error": error,
            "duration_ms": round((time.monotonic() - started) * 1000, 1),
        }

    records = [one(deliveries[0])] if len(deliveries) == 1 else list(_senders.map(one, deliveries))
    done = timezone.now()
    gave_up = None
    for delivery, record in zip(deliveries, records, strict=True):
        number = delivery.attempt_count + 1
        if record["error"] is None:
            _finished(delivery, DeliveryStatus.SUCCEEDED, record, number=number, now=done)
        elif number >= MAX_ATTEMPTS:
            _finished(delivery, DeliveryStatus.FAILED, record, number=number, now=done)
            gave_up = min(gave_up or delivery.created_at, delivery.created_at)
        else:
            delivery.attempts = [*delivery.attempts, record]
            delivery.attempt_count = number
            delivery.next_attempt_at = done + retry_delay(number)
            delivery.leased_until = None
    with transaction.atomic():
        _save(deliveries)
        if any(record["error"] is None for record in records):
            WebhookSubscription.objects.filter(id=subscription.id).update(last_success_at=done)
    if gave_up is not None:
        _disable_if_failing(subscription, since=gave_up)
    return all(record["error"] is None for record in records)


class _Pools:
    """Connections kept open to the checked addresses of one job's receivers."""

    def __init__(self) -> None:
        self.pools: dict[tuple, urllib3.HTTPConnectionPool] = {}

    def get(self, target) -> urllib3.HTTPConnectionPool:
        key = (target.scheme, target.address, target.port, target.host)
        pool = self.pools.get(key)
        if pool is None:
            timeout = urllib3.Timeout(total=settings.WEBHOOK_TIMEOUT)
            if target.scheme == "https":
                pool = urllib3.HTTPSConnectionPool(
                    target.address,
                    target.port,
                    server_hostname=target.host,
                    assert_hostname=target.host,
                    timeout=timeout,
                    maxsize=PARALLEL,
                )
            else:
                pool = urllib3.HTTPConnectionPool(
                    target.address, target.port, timeout=timeout, maxsize=PARALLEL
                )
            self.pools[key] = pool
        return pool

    def close(self) -> None:
        for pool in self.pools.values():
            pool.close()
        self.pools.clear()


def send(
    url: str, secret: str, payload: dict, *, msg_id: int, pools: _Pools | None = None
) -> tuple[int | None, str | None]:
    """POST the event, signed; (status code, error or None when the receiver took it).
    The name is resolved and checked at every attempt; `pools` keeps connections to
    the checked addresses open between attempts."""
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
    own = pools is None
    pools = pools or _Pools()
    pool = pools.get(target)
    try:
        try:
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
    finally:
        if own:
            pools.close()
    if 200 <= response.status < 300:
        return response.status, None
    return (
        response.status,
        f"HTTP {response.status}: {response.data[:RESPONSE_BODY_KEPT].decode(errors='replace')}",
    )


def _finished(
    delivery: WebhookDelivery, status: str, record: dict, *, now: datetime, number: int | None = None
) -> None:
    delivery.attempts = [*delivery.attempts, record]
    delivery.attempt_count = number or delivery.attempt_count
    delivery.status = status
    delivery.leased_until = None
    if status == DeliveryStatus.SUCCEEDED:
        delivery.delivered_at = now


_SAVED_FIELDS = ["attempts", "attempt_count", "status", "next_attempt_at", "leased_until", "delivered_at"]


def _save(deliveries: list[WebhookDelivery]) -> None:
    if len(deliveries) == 1:
        deliveries[0].save(update_fields=_SAVED_FIELDS)
    else:
        WebhookDelivery.objects.bulk_update(deliveries, _SAVED_FIELDS)


def _disable_if_failing(subscription: WebhookSubscription, *, since: datetime) -> None:
    """A delivery gave up after about a day: if nothing got through since it began,
    the receiver is gone; stop sending to it."""
    WebhookSubscription.objects.filter(id=subscription.id, active=True).filter(
        Q(last_success_at__isnull=True) | Q(last_success_at__lt=since)
    ).update(active=False, disabled_reason=f"Every delivery failed for a day (until {_iso(timezone.now())}).")
    log.warning("webhook subscription %s disabled after sustained failure", subscription.id)


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")
