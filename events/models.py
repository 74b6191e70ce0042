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

    objects = EventQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["user_id", "id"], name="event_owner_id"),
            models.Index(fields=["occurred_at"], name="event_occurred"),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.aggregateid} ({self.id})"
