"""Tasks and their tags. Every row belongs to one owner, named by an opaque `user_id`."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from django.db import models
from django.db.models.functions import Length
from django.utils import timezone

TITLE_MAX_LENGTH = 255
DESCRIPTION_MAX_LENGTH = 10_000
TAG_MAX_LENGTH = 50
USER_ID_MAX_LENGTH = 255

# `__length` lookups, used by the constraints below.
models.CharField.register_lookup(Length)
models.TextField.register_lookup(Length)


class Priority(models.IntegerChoices):
    """Stored as a rank so that ordering by priority is a plain index scan."""

    NONE = 0, "none"
    LOW = 1, "low"
    MEDIUM = 2, "medium"
    HIGH = 3, "high"


class TaskQuerySet(models.QuerySet["Task"]):
    def for_owner(self, user_id: str) -> TaskQuerySet:
        """The one way to reach a user's tasks: every API query starts here."""
        return self.filter(user_id=user_id)

    def with_tags(self) -> TaskQuerySet:
        """Fetch all tags of the listed tasks in one extra query, whatever their number."""
        return self.prefetch_related(models.Prefetch("tags", queryset=Tag.objects.order_by("name")))

    def overdue(self, now=None) -> TaskQuerySet:
        return self.filter(completed=False, due_at__lt=now or timezone.now())


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
    tags = models.ManyToManyField("Tag", related_name="tasks", blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)

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
        ]
        # One index per list ordering, each led by the owner, ending in the tie-break.
        indexes = [
            models.Index(fields=["user_id", "created_at", "id"], name="task_owner_created"),
            models.Index(fields=["user_id", "updated_at", "id"], name="task_owner_updated"),
            models.Index(fields=["user_id", "due_at", "id"], name="task_owner_due"),
            # Latest due first with the undated last: a backward scan of the index above
            # would put the nulls first.
            models.Index(
                models.F("user_id"),
                models.F("due_at").desc(nulls_last=True),
                models.F("id").desc(),
                name="task_owner_due_desc",
            ),
            models.Index(fields=["user_id", "priority", "id"], name="task_owner_priority"),
            models.Index(fields=["user_id", "title", "id"], name="task_owner_title"),
        ]

    def __str__(self) -> str:
        return self.title

    def set_completed(self, completed: bool) -> None:
        """Change the completion state, stamping or clearing `completed_at` with it."""
        if completed and not self.completed:
            self.completed_at = timezone.now()
        elif not completed:
            self.completed_at = None
        self.completed = completed

    def touch(self) -> None:
        self.updated_at = timezone.now()

    @property
    def tag_names(self) -> list[str]:
        """Names of the tags, from the prefetch when there is one (see `with_tags`)."""
        return [tag.name for tag in self.tags.all()]


class TagQuerySet(models.QuerySet["Tag"]):
    def for_owner(self, user_id: str) -> TagQuerySet:
        return self.filter(user_id=user_id)

    def with_counts(self) -> TagQuerySet:
        return self.annotate(count=models.Count("tasks")).filter(count__gt=0).order_by("name")


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

    @classmethod
    def resolve(cls, *, user_id: str, names: Iterable[str]) -> list[Tag]:
        """The owner's tags with these names, creating the missing ones (two queries at most)."""
        wanted = list(dict.fromkeys(names))
        if not wanted:
            return []
        cls.objects.bulk_create([cls(user_id=user_id, name=name) for name in wanted], ignore_conflicts=True)
        return list(cls.objects.for_owner(user_id).filter(name__in=wanted))
