"""The one way to a user's tasks: every read and write from the REST API, the MCP
tools, sync and the admin (through tasks.data.staff) goes through `TaskStore(user_id)`,
and every statement it sends carries that owner. It keeps each write's invariants
once, for every writer: the change stamp, the tombstone of a deleted task, and the
copy of the tag names.

Writes are one statement each where the database allows: the row is changed and
read back by `UPDATE/DELETE ... RETURNING` (tasks.data.task_sql), conditional on the
owner and, with `If-Match`, on the version, so that a write on a database a few
milliseconds away costs one round trip. Only when such a statement matched nothing
does a second query tell 404 from 412. On PostgreSQL a single statement runs in
autocommit (no BEGIN/COMMIT around it) and stamps the row with its own transaction
id; SQLite has no transaction ids, so there each write is a short IMMEDIATE
transaction that takes its stamp from the change counter (see change_clock).
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from tasks.data import series, task_list, task_sql
from tasks.data.change_clock import next_change_seq
from tasks.data.errors import TaskNotFound, VersionMismatch
from tasks.data.versions import versions_named
from tasks.models import Tag, TagQuerySet, Task, TaskQuerySet, TaskTombstone

UNSET: Any = object()
# A completion of a recurring task retried when another write moved the task between
# reading it and completing it; after that many, the caller is told it changed (412).
_COMPLETION_ATTEMPTS = 5
_CREATED_FIELDS = [field.attname for field in task_sql.TASK_FIELDS if field.attname != "change_seq"]


def parse_task_id(task_id: Any) -> UUID:
    if isinstance(task_id, UUID):
        return task_id
    try:
        return UUID(str(task_id))
    except ValueError:
        raise TaskNotFound() from None


@contextmanager
def _write(*, statements: int = 1) -> Iterator[int | None]:
    """Around a write: yields the change stamp to pass to task_sql (None where the
    statement stamps itself). A single PostgreSQL statement runs in autocommit."""
    if connection.vendor == "postgresql" and statements == 1:
        yield None
        return
    with transaction.atomic(savepoint=False):
        yield None if connection.vendor == "postgresql" else next_change_seq()


def _left_for_completion(task: Task, now: datetime) -> bool:
    """Whether a completing write stamped `now` left this row as it was, to complete it
    with its next occurrence (TaskStore._complete): then its tags wait too. (A toggle
    that reopened the task wrote it, with this `updated_at`.)"""
    return task.recurrence is not None and not task.completed and task.updated_at != now


class TaskStore:
    """The tasks of one owner."""

    def __init__(self, user_id: str) -> None:
        self.user_id = user_id

    def tasks(self) -> TaskQuerySet:
        """The owner's tasks, for reading (no query yet)."""
        return Task.objects.for_owner(self.user_id)

    def list(
        self,
        *,
        completed: bool | None = None,
        priority: int | None = None,
        tags: Sequence[str] = (),
        search: str | None = None,
        due_before: datetime | None = None,
        due_after: datetime | None = None,
        overdue: bool | None = None,
        recurring: bool | None = None,
        updated_since: datetime | None = None,
        ordering: str | None = None,
        limit: int = task_list.DEFAULT_LIMIT,
        cursor: str | None = None,
        columns: Sequence[str] | None = None,
    ) -> task_list.TaskPage:
        """A page of the owner's tasks that match every filter given, in `ordering`
        (default newest first), after `cursor` (the previous page's `next_cursor`): the
        values of `columns` (which must name `id` and the ordering's field) in their
        order, a sequence per task, or Task instances without them. One query; an
        argument that cannot be used is an InvalidArgument naming it."""
        parsed = task_list.Ordering.parse(ordering)
        task_list.check_limit(limit)
        if (
            cursor is None
            and columns is not None
            and priority is None
            and not tags
            and not search
            and due_before is None
            and due_after is None
            and overdue is None
            and recurring is None
            and updated_since is None
        ):
            # The first page of the list shapes clients ask for (all tasks or one status,
            # any ordering): a statement built once per shape, not by the ORM.
            return task_list.first_page(
                self.user_id, completed, ordering=parsed, limit=limit, columns=columns
            )
        condition = task_list.matching(
            completed=completed,
            priority=priority,
            tags=tags,
            search=search,
            due_before=due_before,
            due_after=due_after,
            overdue=overdue,
            recurring=recurring,
            updated_since=updated_since,
        )
        return task_list.page(
            self.tasks(), condition, ordering=parsed, limit=limit, cursor=cursor, columns=columns
        )

    def tags_with_counts(self) -> TagQuerySet:
        """The owner's tags that label a task, each with how many (no query yet)."""
        return Tag.objects.for_owner(self.user_id).with_counts()

    def get(self, task_id: Any) -> Task:
        """The owner's task (one query)."""
        task = task_sql.select_task(task_id=parse_task_id(task_id), user_id=self.user_id)
        if task is None:
            raise TaskNotFound()
        return task

    def create(self, *, tag_names: Sequence[str] | None = None, completed: bool = False, **fields) -> Task:
        """A new task of the owner, with its tags (the missing ones created). One statement
        on PostgreSQL, tags included."""
        names = sorted(set(tag_names or []))
        values = self._new_row(completed=completed, names=names, **fields)
        if connection.vendor == "postgresql":
            return task_sql.insert_task(values, tag_names=names)
        with _write(statements=2) as stamp:
            task = task_sql.insert_task(values, stamp=stamp)
            if names:
                self._relink(task, names)
        return task

    def _new_row(self, *, completed: bool, names: list[str], **fields) -> dict[str, Any]:
        now = timezone.now()
        defaults = {name: Task._meta.get_field(name).get_default() for name in _CREATED_FIELDS}
        return {
            **defaults,
            **fields,
            "id": uuid4(),
            "user_id": self.user_id,
            "completed": completed,
            "completed_at": now if completed else None,
            "tag_names": names,
            "created_at": now,
            "updated_at": now,
        }

    def update(
        self,
        task_id: Any,
        *,
        if_match: str | None = None,
        tag_names: Sequence[str] = UNSET,
        completed: bool = UNSET,
        **fields,
    ) -> Task:
        """Change the given fields only; the rest keep their values. One statement
        without tags; with tags one transaction of two."""
        now = timezone.now()
        changes = [(name, "%s", [task_sql.prep(name, value)]) for name, value in fields.items()]
        changes.append(("updated_at", "%s", [task_sql.prep("updated_at", now)]))
        schedule = {name: fields[name] for name in series.SCHEDULE_FIELDS if name in fields}
        if schedule:
            changes += task_sql.schedule_reset_assignments(schedule)
        unless = None
        if completed is not UNSET:
            changes += task_sql.completion_assignments(completed, now)
            if not fields and tag_names is UNSET:
                # `{"completed": true}` on a completed task changes nothing, as on complete.
                unless = task_sql.completion_is(completed)
        names = None
        if tag_names is not UNSET:
            names = sorted(set(tag_names))
            changes.append(("tag_names", "%s", [task_sql.prep("tag_names", names)]))
        if completed is True:
            # A sync client completing a recurring task by PATCH: its next occurrence too.
            task, _ = self._complete(task_id, if_match, changes, now=now, unless=unless, tag_names=names)
            return task
        return self._update(task_id, if_match, changes, unless=unless, tag_names=names)

    def set_completion(self, task_id: Any, completed: bool | None, *, if_match: str | None = None) -> Task:
        """Complete or reopen the task (see completion)."""
        return self.completion(task_id, completed, if_match=if_match)[0]

    def completion(
        self, task_id: Any, completed: bool | None, *, if_match: str | None = None
    ) -> tuple[Task, Task | None]:
        """Complete or reopen the task; toggle it when `completed` is None. Setting the state
        it already has changes nothing (same version, no sync entry). One statement, but
        for a recurring task that this completes: then, in the same transaction, its next
        occurrence is created (exactly one per completed occurrence: a unique column).
        Returns the task and its next occurrence (the one it has, when it was completed
        already; None when it does not repeat, is open, or its series has ended)."""
        now = timezone.now()
        changes = [
            ("updated_at", "%s", [task_sql.prep("updated_at", now)]),
            *task_sql.completion_assignments(completed, now),
        ]
        unless = None if completed is None else task_sql.completion_is(completed)
        if completed is False:
            return self._update(task_id, if_match, changes, unless=unless), None
        return self._complete(task_id, if_match, changes, now=now, unless=unless, predictable=True)

    def _complete_in_one_statement(self, seen: Task, changes, *, now) -> tuple[Task, Task | None] | None:
        """PostgreSQL, a completion that changes nothing else: the next occurrence is
        computed from the version seen, and written with the completion in one statement
        conditional on that version (two round trips in all, with the read)."""
        after = copy.copy(seen)
        after.completed, after.completed_at = True, now
        values = series.next_task_values(after, completed_at=now)
        if values is None:  # the series has ended
            task = task_sql.update_task(
                task_id=seen.pk, user_id=self.user_id, assignments=changes, versions=[seen.change_seq]
            )
            return None if task is None else (task, None)
        names = sorted(values.pop("tag_names"))
        row = self._new_row(completed=False, names=names, **values)
        written = task_sql.complete_with_next(
            task_id=seen.pk,
            user_id=self.user_id,
            assignments=changes,
            version=seen.change_seq,
            next_values=row,
            tag_names=names,
        )
        if written is None:
            return None
        task, following = written
        return task, following if following is not None else self.tasks().get(follows=task.pk)

    def _complete(
        self, task_id: Any, if_match: str | None, changes, *, now, unless, tag_names=None, predictable=False
    ) -> tuple[Task, Task | None]:
        """A write that completes the task (or toggles it). Sent first as the plain write
        (one statement), except that on a recurring task it would complete, it changes
        nothing (as `unless` does) and returns the task as it is: a task that does not
        repeat costs what it did. Then the write and the next occurrence are one
        transaction, conditional on the version just read (once more if it moved)."""
        recurring = task_sql.completes_a_recurring_task()
        unless_either = recurring if unless is None else task_sql.either(unless, recurring)
        for _ in range(_COMPLETION_ATTEMPTS):
            seen = self._update(
                task_id, if_match, changes, unless=unless_either, tag_names=tag_names, completing=now
            )
            if not _left_for_completion(seen, now):
                return seen, self._next_of(seen)
            done = self._complete_recurring(
                seen, changes, now=now, unless=unless, tag_names=tag_names, predictable=predictable
            )
            if done is not None:
                return done
        raise VersionMismatch()

    def _complete_recurring(
        self, seen: Task, changes, *, now, unless, tag_names, predictable
    ) -> tuple[Task, Task | None] | None:
        """Complete the recurring task if it is still at the version seen, and create its
        next occurrence, in one transaction; None if it changed meanwhile."""
        if connection.vendor == "postgresql" and predictable and tag_names is None:
            return self._complete_in_one_statement(seen, changes, now=now)
        with _write(statements=3) as stamp:
            task = task_sql.update_task(
                task_id=seen.pk,
                user_id=self.user_id,
                assignments=changes,
                versions=[seen.change_seq],
                stamp=stamp,
                unless=unless,
            )
            if task is None:
                return None
            if tag_names is not None:
                self._relink(task, tag_names)
            values = series.next_task_values(task, completed_at=now) if task.completed else None
            return task, None if values is None else self._insert_next(values, stamp)

    def _insert_next(self, values: dict[str, Any], stamp: int | None) -> Task:
        """The next occurrence (in the completing transaction); the one that exists when
        its predecessor was completed before (toggled back and forth)."""
        names = sorted(values.pop("tag_names"))
        row = self._new_row(completed=False, names=names, **values)
        pg = connection.vendor == "postgresql"
        task = task_sql.insert_task(row, tag_names=names if pg else (), stamp=stamp, next_occurrence=True)
        if task is None:
            return self.tasks().get(follows=values["follows"])
        if names and not pg:
            self._relink(task, names)
        return task

    def _next_of(self, task: Task) -> Task | None:
        """The next occurrence a completed recurring task already has (one query, only then)."""
        if task.recurrence is None or not task.completed:
            return None
        return self.tasks().filter(follows=task.pk).first()

    def delete(self, task_id: Any, *, if_match: str | None = None) -> Task:
        """Delete the task, leaving a tombstone for sync; returns it as it was. One statement
        on PostgreSQL."""
        pk = parse_task_id(task_id)
        versions = versions_named(if_match, pk)
        if versions != []:
            gone = self._delete(task_id=pk, versions=versions)
            if gone:
                return gone[0]
        raise self._why_unmatched(pk, versions)

    def completed_count(self) -> int:
        """How many of the owner's tasks are completed (one query)."""
        return self.tasks().filter(completed=True).count()

    def clear_completed(self) -> int:
        """Delete the owner's completed tasks (tombstones left); how many there were."""
        return len(self._delete(completed_only=True))

    def _delete(self, *, retry: bool = True, **which) -> list[Task]:
        try:
            with _write(statements=1 if connection.vendor == "postgresql" else 3) as stamp:
                return task_sql.delete_tasks(user_id=self.user_id, now=timezone.now(), stamp=stamp, **which)
        except IntegrityError:
            # PostgreSQL: a relabelling that held the row when this statement began
            # committed links the statement's snapshot cannot see, so their foreign key
            # fails at its end and nothing was deleted. Once more, and it sees them.
            if not retry or connection.in_atomic_block:
                raise
        return self._delete(retry=False, **which)

    def changed_since(self, change_seq: int | None) -> list[Task]:
        """The owner's tasks written at or after this stamp (all without one), oldest first."""
        tasks = self.tasks().order_by("change_seq", "id")
        return list(tasks if change_seq is None else tasks.changed_since(change_seq))

    def deleted_since(self, change_seq: int) -> list[str]:
        """Ids of the owner's tasks deleted at or after this stamp."""
        tombstones = TaskTombstone.objects.filter(user_id=self.user_id, change_seq__gte=change_seq)
        return [str(task_id) for task_id in tombstones.values_list("task_id", flat=True)]

    def _update(
        self,
        task_id: Any,
        if_match: str | None,
        changes,
        *,
        tag_names=None,
        unless=None,
        completing: datetime | None = None,
    ) -> Task:
        pk = parse_task_id(task_id)
        versions = versions_named(if_match, pk)
        task = None
        if versions != []:
            with _write(statements=1 if tag_names is None else 2) as stamp:
                task = task_sql.update_task(
                    task_id=pk,
                    user_id=self.user_id,
                    assignments=changes,
                    versions=versions,
                    stamp=stamp,
                    unless=unless,
                )
                if (
                    task is not None
                    and tag_names is not None
                    and not (completing and _left_for_completion(task, completing))
                ):
                    # The row is locked by the update until commit: concurrent relabellings
                    # of one task take turns, each seeing the links the other left.
                    self._relink(task, tag_names)
        if task is None:
            raise self._why_unmatched(pk, versions)
        return task

    def _relink(self, task: Task, names: list[str]) -> None:
        if connection.vendor == "postgresql":
            task_sql.relink_tags(task_id=task.pk, user_id=self.user_id, names=names)
        else:
            task.tags.set(Tag.resolve(user_id=self.user_id, names=names))

    def _why_unmatched(self, pk: UUID, versions: list[int] | None) -> Exception:
        """A conditional write matched no row: 412 if the task exists (another version), else 404."""
        if versions is not None and self.tasks().filter(pk=pk).exists():
            return VersionMismatch()
        return TaskNotFound()
