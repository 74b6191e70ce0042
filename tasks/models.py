"""Tasks and their tags. Every row belongs to one owner, named by an opaque `user_id`."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

import orjson
from django.db import models
from django.db.models.functions import Length
from django.utils import timezone

from tasks.data.versions import etag as version_etag

TITLE_MAX_LENGTH = 255
DESCRIPTION_MAX_LENGTH = 10_000
TAG_MAX_LENGTH = 50
USER_ID_MAX_LENGTH = 255
RECURRENCE_MAX_LENGTH = 500
TIME_ZONE_MAX_LENGTH = 64

# `__length` lookups, used by the constraints below.
models.CharField.register_lookup(Length)
models.TextField.register_lookup(Length)


class FastJSONField(models.JSONField):
    """A JSONField parsed with orjson: every task row read carries one."""

    def deconstruct(self):
        # Stored exactly as a JSONField: migrations need not know the difference.
        name, _path, args, kwargs = super().deconstruct()
        return name, "django.db.models.JSONField", args, kwargs

    def from_db_value(self, value, expression, connection):
        if isinstance(value, str) and self.decoder is None:
            try:
                return orjson.loads(value)
            except orjson.JSONDecodeError:
                pass  # what orjson refuses (integers past 64 bits), the standard library reads
        return super().from_db_value(value, expression, connection)


class Priority(models.IntegerChoices):
    """Stored as a rank so that ordering by priority is a plain index scan."""

    NONE = 0, "none"
    LOW = 1, "low"
    MEDIUM = 2, "medium"
    HIGH = 3, "high"


class RepeatFrom(models.TextChoices):
    """What a recurring task's next due date counts from."""

    DUE = "due", "due"  # the schedule: the next date of the rule after the old due date
    COMPLETION = "completion", "completion"  # one interval after the task was done


class WriteOutsideTheStore(TypeError):
    """A task or tag written past the data layer, which would leave sync and ETags behind."""

    def __init__(self, what: str) -> None:
        super().__init__(
            f"Tasks are not written with {what}: use tasks.data.store.TaskStore (one owner's "
            "tasks) or tasks.data.staff (the admin, fixtures, seeded rows), which keep each "
            "task's change stamp, tombstones and tag copy for incremental sync."
        )


class TaskQuerySet(models.QuerySet["Task"]):
    def for_owner(self, user_id: str) -> TaskQuerySet:
        """The one way to reach a user's tasks: every API query starts here."""
        return self.filter(user_id=user_id)

    def changed_since(self, change_seq: int) -> TaskQuerySet:
        return self.filter(change_seq__gte=change_seq)

    # Writes that would skip the change stamp, the tombstones or the tag copy: the
    # store (tasks.data) writes tasks, and keeps all three.
    def update(self, **fields):
        raise WriteOutsideTheStore("update()")

    def delete(self):
        raise WriteOutsideTheStore("delete()")

    def bulk_create(self, *args, **kwargs):
        raise WriteOutsideTheStore("bulk_create()")

    def bulk_update(self, *args, **kwargs):
        raise WriteOutsideTheStore("bulk_update()")

    update.alters_data = delete.alters_data = True  # type: ignore[attr-defined]
    delete.queryset_only = True  # type: ignore[attr-defined]


# A task whose reminder has not fired: it has one, it is open, and the `remind_at` that
# fired last (tasks.data.reminders) is not this one.
REMINDER_PENDING = models.Q(remind_at__isnull=False, completed=False) & (
    models.Q(reminded_at__isnull=True)
    | models.Q(reminded_at__lt=models.F("remind_at"))
    | models.Q(reminded_at__gt=models.F("remind_at"))
)


class Task(models.Model):
    """A to-do item of one user."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user_id = models.CharField(max_length=USER_ID_MAX_LENGTH)
    title = models.CharField(max_length=TITLE_MAX_LENGTH)
    # Null, not "", when absent: the earlier backend's clients read `description: null`.
    description = models.TextField(null=True, blank=True)  # noqa: DJ001
    completed = models.BooleanField(default=False)
    priority = models.PositiveSmallIntegerField(choices=Priority, default=Priority.NONE)
    due_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The `remind_at` whose reminder has fired (tasks.data.reminders): written by the
    # worker only, and no part of the task as clients see it.
    reminded_at = models.DateTimeField(null=True, blank=True, editable=False)
    tags = models.ManyToManyField("Tag", related_name="tasks", blank=True)
    # The tags' names, sorted: a copy of `tags` written in the same transaction by the
    # data layer, so that reading a task or a page of them needs no join. The relation
    # stays the truth for filtering by tag and counting tags.
    tag_names = FastJSONField(default=list, db_default=models.Value("[]"), editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)
    # Stamp of the transaction that last wrote the row (see change_clock); drives
    # incremental sync and the ETag. Rows loaded in bulk from elsewhere start at 0.
    change_seq = models.BigIntegerField(default=0, db_default=0, editable=False)
    # Recurrence (tasks.data.recurrence): the rule as it parsed (a word, or RRULE
    # parts), null when the task does not repeat; the zone its wall-clock times live in.
    recurrence = models.CharField(max_length=RECURRENCE_MAX_LENGTH, null=True, blank=True)  # noqa: DJ001
    time_zone = models.CharField(max_length=TIME_ZONE_MAX_LENGTH, default="UTC", db_default="UTC")
    repeat_from = models.CharField(
        max_length=10, choices=RepeatFrom, default=RepeatFrom.DUE, db_default=RepeatFrom.DUE.value
    )
    remind_at = models.DateTimeField(null=True, blank=True)
    # The series' anchor: the due date of its first occurrence (null: this task's own
    # due date, as for a first occurrence or a task whose schedule a user changed),
    # and this occurrence's number in it (COUNT ends a series by it).
    series_start = models.DateTimeField(null=True, blank=True, editable=False)
    occurrence = models.PositiveIntegerField(default=1, db_default=1, editable=False)
    # The occurrence whose completion created this task: unique, so that a completed
    # occurrence has exactly one next one, whatever retries, toggles or races.
    follows = models.UUIDField(null=True, blank=True, editable=False)

    objects = TaskQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(priority__in=Priority.values), name="task_priority_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(title__length__gte=1) & models.Q(title__length__lte=TITLE_MAX_LENGTH),
                name="task_title_length",
            ),
            models.CheckConstraint(
                condition=models.Q(description__isnull=True)
                | models.Q(description__length__lte=DESCRIPTION_MAX_LENGTH),
                name="task_description_length",
            ),
            # Rows carried over from the earlier backend may be completed without a
            # timestamp, but an open task never keeps one.
            models.CheckConstraint(
                condition=models.Q(completed=True) | models.Q(completed_at__isnull=True),
                name="task_open_has_no_completed_at",
            ),
            models.CheckConstraint(
                condition=models.Q(repeat_from__in=RepeatFrom.values), name="task_repeat_from_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(recurrence__isnull=True) | models.Q(due_at__isnull=False),
                name="task_recurring_has_due",
            ),
            models.UniqueConstraint(fields=["follows"], name="task_one_next_occurrence"),
        ]
        # One index per list ordering, each led by the owner, ending in the tie-break.
        # (PostgreSQL also gets task_owner_due_desc, for `-due_at` with nulls last:
        # see migration 0001; SQLite cannot build it.)
        indexes = [
            models.Index(fields=["user_id", "created_at", "id"], name="task_owner_created"),
            models.Index(fields=["user_id", "updated_at", "id"], name="task_owner_updated"),
            models.Index(fields=["user_id", "due_at", "id"], name="task_owner_due"),
            models.Index(fields=["user_id", "priority", "id"], name="task_owner_priority"),
            models.Index(fields=["user_id", "title", "id"], name="task_owner_title"),
            models.Index(fields=["user_id", "change_seq"], name="task_owner_change"),
            # The reminders not fired yet, by time: what the worker looks for every second.
            models.Index(fields=["remind_at"], condition=REMINDER_PENDING, name="task_reminder_pending"),
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs) -> None:
        raise WriteOutsideTheStore("save()")

    def delete(self, *args, **kwargs):
        raise WriteOutsideTheStore("delete()")

    @property
    def etag(self) -> str:
        """A strong ETag: it changes with every write of the task (tags included)."""
        return version_etag(self.pk, self.change_seq)


class TagQuerySet(models.QuerySet["Tag"]):
    def for_owner(self, user_id: str) -> TagQuerySet:
        return self.filter(user_id=user_id)

    def with_counts(self) -> TagQuerySet:
        return self.annotate(count=models.Count("tasks")).filter(count__gt=0).order_by("name")

    # A renamed or deleted tag changes how its tasks look: tasks.data.staff writes
    # their copies of the names with it.
    def update(self, **fields):
        raise WriteOutsideTheStore("a tag's update()")

    def delete(self):
        raise WriteOutsideTheStore("a tag's delete()")

    update.alters_data = delete.alters_data = True  # type: ignore[attr-defined]
    delete.queryset_only = True  # type: ignore[attr-defined]


class Tag(models.Model):
    """A label of one user's tasks; the same name of two users is two tags."""

    user_id = models.CharField(max_length=USER_ID_MAX_LENGTH)
    name = models.CharField(max_length=TAG_MAX_LENGTH)

    objects = TagQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["user_id", "name"], name="tag_unique_per_owner"),
            models.CheckConstraint(condition=models.Q(name__length__gte=1), name="tag_name_not_empty"),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise WriteOutsideTheStore("a tag's save()")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise WriteOutsideTheStore("a tag's delete()")

    @classmethod
    def resolve(cls, *, user_id: str, names: Iterable[str]) -> list[Tag]:
        """The owner's tags with these names, creating the missing ones (two queries at most)."""
        wanted = list(dict.fromkeys(names))
        if not wanted:
            return []
        cls.objects.bulk_create([cls(user_id=user_id, name=name) for name in wanted], ignore_conflicts=True)
        return list(cls.objects.for_owner(user_id).filter(name__in=wanted))


class TaskTombstone(models.Model):
    """A deleted task, kept so that incremental sync can tell clients to drop it."""

    task_id = models.UUIDField(primary_key=True)
    user_id = models.CharField(max_length=USER_ID_MAX_LENGTH)
    change_seq = models.BigIntegerField()
    deleted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["user_id", "change_seq"], name="tombstone_owner_change")]

    def __str__(self) -> str:
        return f"{self.task_id} (deleted)"


class ChangeCounter(models.Model):
    """The change clock of databases without transaction ids (SQLite): one row."""

    value = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return str(self.value)


class IdempotencyRecord(models.Model):
    """The first response to a write with an `Idempotency-Key`, replayed to its retries."""

    user_id = models.CharField(max_length=USER_ID_MAX_LENGTH)
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True)
    body = models.JSONField(null=True)
    headers = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user_id", "key"], name="idempotency_key_unique_per_owner")
        ]
        indexes = [models.Index(fields=["created_at"], name="idempotency_created")]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.key}"
