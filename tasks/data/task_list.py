"""A page of one owner's tasks: the filters, the orderings and keyset paging.

The list endpoint and the MCP tool both come here, with typed arguments
(`TaskStore.list`). A page is a range scan from the cursor's key, so a deep page
costs what the first one does. The cursor holds the ordering and the last row's sort
key and id, signed so that a client cannot forge or alter it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from django.core import signing
from django.db.models import BooleanField, F, Func, Q, QuerySet, Value
from django.utils import timezone

from tasks.data import task_sql
from tasks.data.errors import InvalidArgument
from tasks.data.tag_condition import carries_all_tags
from tasks.models import Task

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
DEFAULT_ORDERING = "-created_at"
CURSOR_SALT = "tasks.cursor"

# Sortable fields, and whether each can be null (nulls come last either way).
SORT_FIELDS = {
    "created_at": False,
    "updated_at": False,
    "due_at": True,
    "priority": False,
    "title": False,
}
DATETIME_FIELDS = {"created_at", "updated_at", "due_at"}
ORDERING_CHOICES = [f"{sign}{name}" for name in SORT_FIELDS for sign in ("", "-")]
LIMIT_MESSAGE = f"Must be a whole number from 1 to {MAX_LIMIT}."


class RowAfter(Func):
    """`(field, id) > (value, last_id)` (or `<`): a row-value comparison, one range of the
    (user_id, field, id) index, which both SQLite and PostgreSQL read as such."""

    output_field = BooleanField()
    conditional = True

    def __init__(self, field: str, value: Any, last_id: UUID, *, descending: bool) -> None:
        super().__init__(
            F(field),
            F("id"),
            Value(value, output_field=Task._meta.get_field(field)),
            Value(last_id, output_field=Task._meta.get_field("id")),
        )
        self.operator = "<" if descending else ">"

    def as_sql(self, compiler, connection, **extra_context):
        parts, params = [], []
        for expression in self.source_expressions:
            sql, expression_params = compiler.compile(expression)
            parts.append(sql)
            params.extend(expression_params)
        return f"({parts[0]}, {parts[1]}) {self.operator} ({parts[2]}, {parts[3]})", params


@dataclass(frozen=True)
class Ordering:
    field: str
    descending: bool

    @classmethod
    def parse(cls, raw: str | None) -> Ordering:
        value = raw or DEFAULT_ORDERING
        if value not in ORDERING_CHOICES:
            raise InvalidArgument(
                "ordering", f"Unknown ordering {value!r}; use one of {', '.join(ORDERING_CHOICES)}."
            )
        return cls(field=value.lstrip("-"), descending=value.startswith("-"))

    @property
    def nullable(self) -> bool:
        return SORT_FIELDS[self.field]

    def __str__(self) -> str:
        return ("-" if self.descending else "") + self.field

    def apply(self, queryset: QuerySet) -> QuerySet:
        key = F(self.field)
        key = key.desc(nulls_last=True) if self.descending else key.asc(nulls_last=True)
        if not self.nullable:
            # Plain ORDER BY, so PostgreSQL can walk the (user_id, field, id) index.
            key = f"-{self.field}" if self.descending else self.field
        return queryset.order_by(key, "-id" if self.descending else "id")

    def after(self, value: Any, last_id: UUID) -> Q:
        """Rows that come after (value, last_id) in this ordering, except the undated ones
        that follow a dated row: `undated()` names those, for a query of their own.

        A row-value comparison is one range of the index, so a deep page reads no more
        rows than the first, even among many ties (four priorities). An OR with
        `IS NULL` would scan from the start.
        """
        if value is None:
            # Only reachable for a nullable field: the nulls are last, ordered by id.
            beyond = "lt" if self.descending else "gt"
            return Q(**{f"{self.field}__isnull": True, f"id__{beyond}": last_id})
        return Q(RowAfter(self.field, value, last_id, descending=self.descending))

    def undated(self) -> Q:
        return Q(**{f"{self.field}__isnull": True})


@dataclass(frozen=True)
class TaskPage:
    # The values of the asked columns, in their order (as `values_list()` gives them: a
    # page builds no dict per row that its caller would build again), or Task instances.
    rows: list[Any]
    next_cursor: str | None  # for `cursor` in the next call; None on the last page


def matching(
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
) -> Q:
    """The condition for these filters (each left out when None or empty)."""
    condition = Q()
    if completed is not None:
        condition &= Q(completed=completed)
    if priority is not None:
        condition &= Q(priority=priority)
    if tags:
        condition &= Q(carries_all_tags(list(tags)))
    if search:
        condition &= Q(title__icontains=search) | Q(description__icontains=search)
    if due_before is not None:
        condition &= Q(due_at__lt=due_before)
    if due_after is not None:
        condition &= Q(due_at__gte=due_after)
    if overdue is not None:
        late = Q(completed=False, due_at__lt=timezone.now())
        condition &= late if overdue else ~late
    if recurring is not None:
        condition &= Q(recurrence__isnull=not recurring)
    if updated_since is not None:
        condition &= Q(updated_at__gte=updated_since)
    return condition


def check_limit(limit: int) -> int:
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        raise InvalidArgument("limit", LIMIT_MESSAGE)
    return limit


def page(
    tasks: QuerySet[Task],
    condition: Q,
    *,
    ordering: Ordering,
    limit: int,
    cursor: str | None,
    columns: Sequence[str] | None,
) -> TaskPage:
    """One page of `tasks` matching `condition` (one query; two when a page ordered by a
    nullable field reaches the undated rows)."""
    queryset = ordering.apply(tasks.filter(condition) if condition else tasks)
    if columns is not None:
        queryset = queryset.values_list(*columns)
    if cursor:
        value, last_id = decode_cursor(cursor, ordering)
        rows = list(queryset.filter(ordering.after(value, last_id))[: limit + 1])
        if ordering.nullable and value is not None and len(rows) <= limit:
            # This page reaches the undated rows, which come last: their own index range.
            rows += queryset.filter(ordering.undated())[: limit + 1 - len(rows)]
    else:
        rows = list(queryset[: limit + 1])
    rows_on_page = rows[:limit]
    next_cursor = encode_cursor(rows_on_page[-1], ordering, columns) if len(rows) > limit else None
    return TaskPage(rows=rows_on_page, next_cursor=next_cursor)


def first_page(
    user_id: str, completed: bool | None, *, ordering: Ordering, limit: int, columns: Sequence[str]
) -> TaskPage:
    """The first page of the owner's tasks (only those with this `completed`, unless
    None): what `page` gives without a cursor, by a statement built once per shape."""
    rows = task_sql.first_page(
        user_id=user_id,
        completed=completed,
        field=ordering.field,
        descending=ordering.descending,
        nullable=ordering.nullable,
        limit=limit + 1,
        columns=tuple(columns),
    )
    rows_on_page = rows[:limit]
    next_cursor = encode_cursor(rows_on_page[-1], ordering, columns) if len(rows) > limit else None
    return TaskPage(rows=rows_on_page, next_cursor=next_cursor)


def encode_cursor(row, ordering: Ordering, columns: Sequence[str] | None = None) -> str:
    """The cursor after `row`: a Task, or the values of `columns` (which name the id and
    the ordering's field)."""
    if columns is not None:
        value, task_id = row[columns.index(ordering.field)], row[columns.index("id")]
    else:
        value, task_id = getattr(row, ordering.field), row.pk
    if isinstance(value, datetime):
        value = value.isoformat()
    return signing.dumps([str(ordering), value, str(task_id)], salt=CURSOR_SALT, compress=True)


def decode_cursor(cursor: str, ordering: Ordering) -> tuple[Any, UUID]:
    try:
        cursor_ordering, value, last_id = signing.loads(cursor, salt=CURSOR_SALT)
        last_id = UUID(last_id)
        if value is not None and ordering.field in DATETIME_FIELDS:
            value = datetime.fromisoformat(value)
    except (signing.BadSignature, ValueError, TypeError):
        raise InvalidArgument("cursor", "Invalid cursor: use the Link header of the previous page.") from None
    if cursor_ordering != str(ordering):
        raise InvalidArgument("cursor", "This cursor belongs to another ordering.")
    return value, last_id
