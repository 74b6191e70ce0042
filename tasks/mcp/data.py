"""The MCP tools' only way to the data: one owner-scoped object, the same calls as the
task store (`tasks.store.TaskStore`) that the REST API goes through.

Every method works on `Task.objects.for_owner(user_id)` or the services the views use,
and lists go through the list endpoint's own filter set and ordering, so the tools
follow the REST API's rules rather than a copy of them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from uuid import UUID

from django.db import transaction
from django.http import QueryDict
from rest_framework.exceptions import NotFound, ValidationError

from tasks import representation, services
from tasks.filters import TaskFilter
from tasks.models import Task
from tasks.pagination import DEFAULT_LIMIT, DEFAULT_ORDERING, MAX_LIMIT, Ordering

UNSET: Any = object()


class TaskNotFound(NotFound):
    default_detail = "Task not found"


class TaskStore:
    """One principal's tasks. A malformed id, a missing task and another user's task
    are all `TaskNotFound`, so a caller cannot tell them apart."""

    def __init__(self, user_id: str) -> None:
        self.user_id = user_id

    def _tasks(self):
        return Task.objects.for_owner(self.user_id)

    def get(self, task_id: UUID | str, *, for_update: bool = False) -> Task:
        try:
            task_id = UUID(str(task_id))
        except ValueError:
            raise TaskNotFound() from None
        tasks = self._tasks().select_for_update(of=("self",)) if for_update else self._tasks()
        try:
            return tasks.get(pk=task_id)
        except Task.DoesNotExist:
            raise TaskNotFound() from None

    def create(self, *, tag_names: list[str] | None = None, completed: bool = False, **fields) -> Task:
        return services.create_task(user_id=self.user_id, tag_names=tag_names, completed=completed, **fields)

    @transaction.atomic
    def update(self, task_id: UUID | str, *, tag_names=UNSET, completed=UNSET, **fields) -> Task:
        task = self.get(task_id, for_update=True)
        extra = {
            name: value
            for name, value in (("tag_names", tag_names), ("completed", completed))
            if value is not UNSET
        }
        return services.update_task(task, **extra, **fields)

    @transaction.atomic
    def set_completion(self, task_id: UUID | str, completed: bool | None) -> Task:
        return services.set_completion(self.get(task_id, for_update=True), completed)

    @transaction.atomic
    def delete(self, task_id: UUID | str) -> Task:
        task = self.get(task_id, for_update=True)
        deleted_id = task.pk
        task.delete()
        task.pk = deleted_id  # Django clears it; the caller reports the task as it was
        return task

    def list(
        self, filters: Mapping[str, Any], *, ordering: str = DEFAULT_ORDERING, limit: int = DEFAULT_LIMIT
    ) -> list[dict[str, Any]]:
        """The first `limit` tasks that pass the list endpoint's filters (query-string
        names and values), as that endpoint writes them."""
        if not 1 <= limit <= MAX_LIMIT:
            raise ValidationError({"limit": [f"Must be a whole number from 1 to {MAX_LIMIT}."]})
        query = QueryDict(mutable=True)
        for name, value in filters.items():
            if value is not None:
                query.setlist(
                    name, [str(item) for item in value] if isinstance(value, list) else [str(value)]
                )
        filterset = TaskFilter(data=query, queryset=self._tasks())
        if not filterset.is_valid():
            raise ValidationError({name: list(errors) for name, errors in filterset.errors.items()})
        rows = Ordering.parse(ordering).apply(filterset.qs).values(*representation.COLUMNS)[:limit]
        return [representation.task_as_json(row) for row in rows]
