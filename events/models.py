"""The outbox of task events, and the webhook subscriptions and deliveries fed from it.

`Event` rows are written by the database itself, by triggers on the task table
(events/outbox_sql.py), in the statement that changes the task: every writer (the REST
API, MCP, sync, the admin, clear-completed, a shell) records its events without knowing
it, and a rolled-back change leaves none. The columns carry the names Debezium's outbox
event router reads by default (`id`, `aggregatetype`, `aggregateid`, `type`, `payload`),
so a CDC pipeline can publish the table as it is.
"""

from __future__ import annotations

from django.db import models

from tasks.models import USER_ID_MAX_LENGTH


class EventType(models.TextChoices):
    CREATED = "task.created"
    UPDATED = "task.updated"
    COMPLETED = "task.completed"
    REOPENED = "task.reopened"
    DELETED = "task.deleted"
    # Not a change of the task: its `remind_at` came (tasks.data.reminders), once.
    REMINDER_DUE = "task.reminder_due"


class EventQuerySet(models.QuerySet["Event"]):
    def for_owner(self, user_id: str) -> EventQuerySet:
        return self.filter(user_id=user_id)


class Event(models.Model):
    """One change of one task, as other devices and services receive it (`payload`)."""

    # From a sequence, taken under the owner's lock: see outbox_sql.
    id = models.BigAutoField(primary_key=True)
    user_id = models.CharField(max_length=USER_ID_MAX_LENGTH)
    aggregatetype = models.CharField(max_length=32, default="task")
    aggregateid = models.CharField(max_length=64)  # the task's id
    type = models.CharField(max_length=32, choices=EventType)
    occurred_at = models.DateTimeField()
    # The whole event as it is sent: {"id", "type", "occurred_at", "user_id", "task_id", "task"}.
    payload = models.JSONField()
    # Whether the worker has handed it to the webhooks, and to NATS (when configured).
    relayed = models.BooleanField(default=False, db_default=False)
    published = models.BooleanField(default=False, db_default=False)

    objects = EventQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["user_id", "id"], name="event_owner_id"),
            models.Index(fields=["occurred_at"], name="event_occurred"),
            models.Index(fields=["id"], condition=models.Q(relayed=False), name="event_not_relayed"),
            models.Index(fields=["id"], condition=models.Q(published=False), name="event_not_published"),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.aggregateid} ({self.id})"


class WebhookSubscriptionQuerySet(models.QuerySet["WebhookSubscription"]):
    def for_owner(self, user_id: str) -> WebhookSubscriptionQuerySet:
        """The one way to reach a user's subscriptions: the API starts here."""
        return self.filter(user_id=user_id)


class WebhookSubscription(models.Model):
    """A user's URL that receives their task events, signed with its secret."""

    user_id = models.CharField(max_length=USER_ID_MAX_LENGTH)
    url = models.URLField(max_length=2000)
    events = models.JSONField(default=list)  # the EventType values it wants
    secret = models.CharField(max_length=100, editable=False)  # `whsec_` + base64, shown once
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Set when a delivery gives up; the subscription is then disabled (see webhooks).
    disabled_reason = models.CharField(max_length=255, blank=True, default="")
    last_success_at = models.DateTimeField(null=True, blank=True)

    objects = WebhookSubscriptionQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["user_id", "active"], name="webhook_owner_active")]

    def __str__(self) -> str:
        return self.url


class DeliveryStatus(models.TextChoices):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"  # gave up after the last retry


class WebhookDelivery(models.Model):
    """One event for one subscription: its attempts, and when to try again."""

    subscription = models.ForeignKey(WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries")
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="deliveries")
    status = models.CharField(max_length=16, choices=DeliveryStatus, default=DeliveryStatus.PENDING)
    attempts = models.JSONField(default=list)  # [{"at", "status_code", "error", "duration_ms"}]
    attempt_count = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    # A worker that claims the delivery holds it until then; one killed mid-delivery
    # loses it when this passes, and the delivery is tried again.
    leased_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["subscription", "event"], name="delivery_once_per_subscription")
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="delivery_due")]

    def __str__(self) -> str:
        return f"{self.event_id} -> {self.subscription_id} ({self.status})"
