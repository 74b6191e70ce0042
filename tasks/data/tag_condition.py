""" "Carries all these tags" as one condition on the task row.

Each task keeps a sorted copy of its tag names in `tag_names` (written with the tags,
in the same transaction), so the condition needs no join: on PostgreSQL it is JSON
containment, `tag_names @> '["a", "b"]'`, checked on the rows the owner's index
yields; SQLite says the same with `json_each`. One join per tag, as before, let a
request with many tags make the planner's work explode.
"""

from __future__ import annotations

import json

from django.db import NotSupportedError
from django.db.models import BooleanField, F, Func

# No name of `wanted` is missing from the row's names.
_SQLITE_CONTAINS_ALL = (
    "NOT EXISTS (SELECT 1 FROM json_each(%s) AS wanted"
    " WHERE wanted.value NOT IN (SELECT value FROM json_each({column})))"
)


class TagNamesContainAll(Func):
    """True when the row's `tag_names` holds every one of `names`."""

    output_field = BooleanField()
    conditional = True

    def __init__(self, names: list[str]):
        super().__init__(F("tag_names"))
        self.names = sorted(set(names))

    def as_postgresql(self, compiler, connection, **extra_context):
        column, params = compiler.compile(self.source_expressions[0])
        return f"{column} @> %s::jsonb", (*params, json.dumps(self.names))

    def as_sqlite(self, compiler, connection, **extra_context):
        column, params = compiler.compile(self.source_expressions[0])
        # `column` is the compiled column reference; the names travel as a parameter.
        return _SQLITE_CONTAINS_ALL.format(column=column), (json.dumps(self.names), *params)

    def as_sql(self, compiler, connection, **extra_context):
        raise NotSupportedError(f"Filtering by tags is not written for {connection.vendor}.")


def carries_all_tags(names: list[str]) -> TagNamesContainAll:
    """A filter condition: the task carries every tag in `names`."""
    return TagNamesContainAll(names)
