"""Writes that no owner's request makes: the Django admin (staff, any owner), fixtures
and seeded rows. Each keeps what the store keeps: the change stamp, a tombstone for
each deleted task, and the copy of the tag names, so that incremental sync sees every
change. The admin's task writes go through the store itself.

The model refuses plain `save()`, `delete()`, `QuerySet.update()` and the like
(tasks.models): the writes below are the only ones that call Django's own methods,
and each stamps what it writes in the same transaction.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any
from uuid import UUID

from django.db import models, transaction

from tasks.data.change_clock import next_change_seq
from tasks.data.store import UNSET, TaskStore
from tasks.models import Tag, Task

# What a staff member may change on a task's admin page, besides completion and tags.
_ADMIN_FIELDS = (
    "title",
    "description",
    "priority",
    "due_at",
    "recurrence",
    "time_zone",
    "repeat_from",
    "remind_at",
)


def all_tasks() -> models.QuerySet[Task]:
    """Every owner's tasks, for staff: the admin's list."""
    return Task.objects.all()


def all_tags() -> models.QuerySet[Tag]:
    return Tag.objects.all()


def tags_of(owner: str) -> models.QuerySet[Tag]:
    """One owner's tags, for the choices of their task's admin page."""
    return Tag.objects.for_owner(owner)


def load_tasks(tasks: Iterable[Task]) -> list[Task]:
    """Insert these tasks as they are given (ids, timestamps, `tag_names`), stamped so
    that incremental sync sends them: imports, seeded data, tests."""
    tasks = list(tasks)
    with transaction.atomic(savepoint=False):
        stamp = next_change_seq()
        for task in tasks:
            task.change_seq = stamp
        return models.QuerySet.bulk_create(Task.objects.all(), tasks)


def stamp_loaded_task(sender, instance: Task, raw: bool, **kwargs) -> None:
    """`pre_save` of a task: `loaddata` writes fixture rows as they are (`raw`), past
    `Task.save()`, and a signal is the one hook Django gives it. The row gets the stamp
    of the loading transaction, so that sync sends it. (Every other task write comes
    through the store, which stamps in its statements.)"""
    if raw:
        instance.change_seq = next_change_seq()


def save_task(task: Task, *, owner: str, changed: Iterable[str], tag_names: list[str], adding: bool) -> Task:
    """Write the admin form's task: `owner` is whose it was (the form may give it to
    another), `changed` the form's changed fields. The task gets the written values."""
    changed = set(changed)
    if adding:
        written = TaskStore(task.user_id).create(
            **{name: getattr(task, name) for name in _ADMIN_FIELDS},
            completed=task.completed,
            tag_names=tag_names,
        )
    else:
        if "user_id" in changed and task.user_id != owner:
            # Given to another owner: their tags, by name, from here on.
            TaskStore(owner).update(task.pk, user_id=task.user_id)
            changed.add("tags")
        written = TaskStore(task.user_id).update(
            task.pk,
            completed=task.completed if "completed" in changed else UNSET,
            tag_names=tag_names if "tags" in changed else UNSET,
            **{name: getattr(task, name) for name in _ADMIN_FIELDS if name in changed},
        )
    for field in Task._meta.concrete_fields:
        setattr(task, field.attname, getattr(written, field.attname))
    task._state.adding, task._state.db = False, written._state.db
    return task


def set_completion(tasks: models.QuerySet[Task], completed: bool) -> int:
    """Complete (or reopen) each of these tasks not in that state yet; how many changed."""
    changing = list(tasks.filter(completed=not completed).values_list("pk", "user_id"))
    for task_id, owner in changing:
        TaskStore(owner).set_completion(task_id, completed)
    return len(changing)


def delete_tasks(tasks: Iterable[Task]) -> int:
    """Delete these tasks, each leaving its tombstone; how many there were."""
    tasks = list(tasks)
    for task in tasks:
        TaskStore(task.user_id).delete(task.pk)
    return len(tasks)


def save_tag(tag: Tag) -> None:
    """Create the tag, or rename it: its tasks' copies of the names change with it."""
    with transaction.atomic(savepoint=False):
        models.Model.save(tag)
        _refresh_tag_copies(Task.tags.through.objects.filter(tag=tag).values_list("task_id", flat=True))


def delete_tags(tags: Iterable[Tag]) -> int:
    """Delete these tags: the tasks that carried them lose them, a change sync sends."""
    keys = [tag.pk for tag in tags]
    with transaction.atomic(savepoint=False):
        task_ids = list(Task.tags.through.objects.filter(tag_id__in=keys).values_list("task_id", flat=True))
        deleted, _ = models.QuerySet.delete(Tag.objects.filter(pk__in=keys))
        _refresh_tag_copies(task_ids)
    return deleted


def _refresh_tag_copies(task_ids: Iterable[UUID]) -> None:
    """Write each task's copy of its tag names from the relation, with a new stamp."""
    task_ids = set(task_ids)
    if not task_ids:
        return
    names: dict[Any, list[str]] = defaultdict(list)
    links = Task.tags.through.objects.filter(task_id__in=task_ids).values_list("task_id", "tag__name")
    for task_id, name in links:
        names[task_id].append(name)
    stamp = next_change_seq()
    for task_id in task_ids:
        models.QuerySet.update(
            Task.objects.filter(pk=task_id), tag_names=sorted(names[task_id]), change_seq=stamp
        )
