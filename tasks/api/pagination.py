"""Keyset (cursor) paging of the task list, as the API shows it (the paging itself is
the store's: tasks.data.task_list).

The body stays a bare JSON array, as the earlier clients expect; the next page is
named by a `Link: <...>; rel="next"` header.
"""

from __future__ import annotations

from urllib.parse import quote_plus, urlencode

from rest_framework.pagination import BasePagination
from rest_framework.response import Response

from tasks.data.task_list import DEFAULT_LIMIT, DEFAULT_ORDERING, MAX_LIMIT, ORDERING_CHOICES


class KeysetPagination(BasePagination):
    """`?limit=` (1-1000, default 100) and `?cursor=`, with `?ordering=` deciding the keys."""

    limit_query_param = "limit"
    cursor_query_param = "cursor"
    ordering_query_param = "ordering"

    def response(self, request, data, next_cursor: str | None) -> Response:
        """The page's response, with a `Link` to the next page unless it is the last."""
        headers = {}
        if next_cursor:
            headers["Link"] = f'<{self.next_page_url(request, next_cursor)}>; rel="next"'
        return Response(data, headers=headers)

    def next_page_url(self, request, cursor: str) -> str:
        """The request's URL with `cursor` in its query, the parameters sorted by name: what
        DRF's replace_query_param gives, from the query Django has already parsed."""
        query = {name: values for name, values in request.GET.lists()}
        query[self.cursor_query_param] = [cursor]
        url = request.build_absolute_uri().split("?", 1)[0]
        return f"{url}?{urlencode(sorted(query.items()), doseq=True, quote_via=quote_around_colons)}"

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


def quote_around_colons(value: str, safe="", encoding=None, errors=None) -> str:
    """quote_plus, the same bytes: a signed cursor's colons made quote_plus escape its ~100
    characters one at a time; parts without them take its fast path."""
    return "%3A".join(quote_plus(part, safe, encoding, errors) for part in value.split(":"))
