"""Writes to tasks: each one a single transaction that leaves nothing half-done."""

from __future__ import annotations

from django.db import transaction

from tasks.models import Task

_UNSET = object()


@transaction.atomic(savepoint=False)
def create_task(
    *, user_id: str, tag_names: list[str] | None = None, completed: bool = False, **fields
) -> Task:
    task = Task(user_id=user_id, tag_names=sorted(set(tag_names or [])), **fields)
    task.updated_at = task.created_at
    task.set_completed(completed)
    task.save()
    if tag_names:
        task.set_tags(tag_names)
    return task


@transaction.atomic(savepoint=False)
def update_task(task: Task, *, tag_names=_UNSET, completed=_UNSET, **fields) -> Task:
    """Change the given fields only; the rest keep their values."""
    for name, value in fields.items():
        setattr(task, name, value)
    written = {*fields, "updated_at"}
    if completed is not _UNSET:
        task.set_completed(completed)
        written |= {"completed", "completed_at"}
    if tag_names is not _UNSET:
        task.tag_names = sorted(set(tag_names))  # written with the row; set_tags then agrees
        written.add("tag_names")
    task.touch()
    task.save(update_fields=written)
    if tag_names is not _UNSET:
        task.set_tags(tag_names)
    return task


@transaction.atomic(savepoint=False)
def set_completion(task: Task, completed: bool | None = None) -> Task:
    """Set the completion state, or toggle it when `completed` is None."""
    task.set_completed(not task.completed if completed is None else completed)
    task.touch()
    task.save(update_fields=["completed", "completed_at", "updated_at"])
    return task


def clear_completed(*, user_id: str) -> int:
    """Delete the owner's completed tasks; return how many there were."""
    _, per_model = Task.objects.for_owner(user_id).filter(completed=True).delete()
    return per_model.get(Task._meta.label, 0)
