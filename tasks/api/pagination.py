"""Keyset (cursor) paging over a user's tasks, in any of the list orderings.

The body stays a bare JSON array, as the earlier clients expect; the next page is
named by a `Link: <...>; rel="next"` header. The cursor holds the ordering and the
last row's sort key and id, signed so that a client cannot forge or alter it. A page
is a range scan from that key, so a deep page costs what the first one does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from django.core import signing
from django.db.models import F, Q, QuerySet
from django.db.models.fields.tuple_lookups import Tuple, TupleGreaterThan, TupleLessThan
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import BasePagination
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from tasks.api import list_parameters

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


@dataclass(frozen=True)
class Ordering:
    field: str
    descending: bool

    @classmethod
    def parse(cls, raw: str | None) -> Ordering:
        value = raw or DEFAULT_ORDERING
        if value not in ORDERING_CHOICES:
            raise ValidationError(
                {"ordering": [f"Unknown ordering {value!r}; use one of {', '.join(ORDERING_CHOICES)}."]}
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

        A row-value comparison, `(field, id) > (value, last_id)`, is one range of the
        (user_id, field, id) index, so a deep page reads no more rows than the first, even
        among many ties (four priorities). An OR with `IS NULL` would scan from the start.
        """
        if value is None:
            # Only reachable for a nullable field: the nulls are last, ordered by id.
            beyond = "lt" if self.descending else "gt"
            return Q(**{f"{self.field}__isnull": True, f"id__{beyond}": last_id})
        compare = TupleLessThan if self.descending else TupleGreaterThan
        return Q(compare(Tuple(F(self.field), F("id")), (value, last_id)))

    def undated(self) -> Q:
        return Q(**{f"{self.field}__isnull": True})


class KeysetPagination(BasePagination):
    """`?limit=` (1-1000, default 100) and `?cursor=`, with `?ordering=` deciding the keys."""

    limit_query_param = "limit"
    cursor_query_param = "cursor"
    ordering_query_param = "ordering"

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        ordering = Ordering.parse(list_parameters.requested_ordering(request.query_params))
        limit = self._limit(request)
        queryset = ordering.apply(queryset)
        cursor = request.query_params.get(self.cursor_query_param)
        if cursor:
            value, last_id = self._decode(cursor, ordering)
            rows = list(queryset.filter(ordering.after(value, last_id))[: limit + 1])
            if ordering.nullable and value is not None and len(rows) <= limit:
                # This page reaches the undated rows, which come last: their own index range.
                rows += queryset.filter(ordering.undated())[: limit + 1 - len(rows)]
        else:
            rows = list(queryset[: limit + 1])
        self.has_next = len(rows) > limit
        page = rows[:limit]
        self.next_cursor = self._encode(page[-1], ordering) if self.has_next else None
        return page

    def get_paginated_response(self, data):
        headers = {}
        if self.next_cursor:
            url = replace_query_param(
                self.request.build_absolute_uri(), self.cursor_query_param, self.next_cursor
            )
            headers["Link"] = f'<{url}>; rel="next"'
        return Response(data, headers=headers)

    def get_paginated_response_schema(self, schema):
        return schema

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": self.limit_query_param,
                "in": "query",
                "required": False,
                # No `default` in the schema: generated clients send a declared default on
                # every call; leaving the parameter out lets the server's apply.
                "description": f"Tasks per page, 1 to {MAX_LIMIT}; {DEFAULT_LIMIT} when left out.",
                "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT},
            },
            {
                "name": self.cursor_query_param,
                "in": "query",
                "required": False,
                "description": "Opaque cursor from the `Link` header (rel=next) of the previous page.",
                "schema": {"type": "string"},
                # Empty means the first page.
                "allowEmptyValue": True,
            },
            {
                "name": self.ordering_query_param,
                "in": "query",
                "required": False,
                "description": (
                    f"Sort key, `-` for descending; `{DEFAULT_ORDERING}` (newest first) when left "
                    "out. Ties break on id, null due dates come last. `sort` and `order` say the "
                    "same in other words (send either, or both where they agree)."
                ),
                # No `default` (see limit): a generated client would send `-created_at` with
                # every `sort=title`, a contradiction.
                "schema": {
                    "type": "string",
                    "enum": ORDERING_CHOICES,
                    # Names for generated clients' enums (`-title` is TITLE_DESC, not VALUE_3).
                    "x-enum-varnames": [
                        name.lstrip("-") + ("_desc" if name.startswith("-") else "")
                        for name in ORDERING_CHOICES
                    ],
                },
                # Empty means the default ordering.
                "allowEmptyValue": True,
            },
        ]

    def _limit(self, request) -> int:
        raw = request.query_params.get(self.limit_query_param)
        if raw is None:
            return DEFAULT_LIMIT
        if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
            raise ValidationError({"limit": [f"Must be a whole number from 1 to {MAX_LIMIT}."]})
        return int(raw)

    @staticmethod
    def _encode(row, ordering: Ordering) -> str:
        """The cursor after `row`: a Task, or a dict of its values."""
        if isinstance(row, dict):
            value, task_id = row[ordering.field], row["id"]
        else:
            value, task_id = getattr(row, ordering.field), row.pk
        if isinstance(value, datetime):
            value = value.isoformat()
        return signing.dumps([str(ordering), value, str(task_id)], salt=CURSOR_SALT, compress=True)

    @staticmethod
    def _decode(cursor: str, ordering: Ordering) -> tuple[Any, UUID]:
        invalid = ValidationError({"cursor": ["Invalid cursor: use the Link header of the previous page."]})
        try:
            cursor_ordering, value, last_id = signing.loads(cursor, salt=CURSOR_SALT)
            last_id = UUID(last_id)
            if value is not None and ordering.field in DATETIME_FIELDS:
                value = datetime.fromisoformat(value)
        except (signing.BadSignature, ValueError, TypeError):
            raise invalid from None
        if cursor_ordering != str(ordering):
            raise ValidationError({"cursor": ["This cursor belongs to another ordering."]})
        return value, last_id
