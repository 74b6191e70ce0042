"""Bounds on the query string of every request under `/api/{user_id}/`.

A list request's cost grows with what it asks for: each `tag` is a condition, each
character of `search` is matched against every row, a long `cursor` is decoded.
So every parameter has a bound on how often it may be given and how long each value
may be (OWASP API4), and going over one is a 400 that names the parameter. It is
decided right after authentication, permission and throttling (which keep their
order: a stranger gets 401, not 400), before the view runs any query of its own.
"""

from __future__ import annotations

from dataclasses import dataclass

from rest_framework.exceptions import ValidationError

from tasks.api.fields import MAX_TAGS_PER_TASK
from tasks.models import TAG_MAX_LENGTH

# A task holds at most MAX_TAGS_PER_TASK tags, so asking for more can match nothing.
MAX_TAG_FILTERS = MAX_TAGS_PER_TASK
SEARCH_MAX_LENGTH = 200
# A cursor carries the last row's sort key (a title of up to 255 characters at most),
# compressed and signed: about 1,100 characters at worst (255 random CJK characters).
CURSOR_MAX_LENGTH = 4096
SYNC_TOKEN_MAX_LENGTH = 256
# Everything else: enums, booleans, numbers, RFC 3339 times, and parameters the API
# does not read (a client's cache buster): ignored, but their lengths still bounded.
DEFAULT_MAX_LENGTH = 100


@dataclass(frozen=True)
class Bound:
    max_count: int | None = 1  # None: as often as Django lets a query string carry fields
    max_length: int = DEFAULT_MAX_LENGTH
    why: str = ""


BOUNDS = {
    "tag": Bound(
        max_count=MAX_TAG_FILTERS,
        max_length=TAG_MAX_LENGTH,
        why=f" (a task holds at most {MAX_TAGS_PER_TASK} tags)",
    ),
    "search": Bound(max_length=SEARCH_MAX_LENGTH),
    "cursor": Bound(max_length=CURSOR_MAX_LENGTH),
    "since": Bound(max_length=SYNC_TOKEN_MAX_LENGTH),
}
# Parameters the API reads once: giving one twice is ambiguous, so it is refused.
SINGLE_VALUED = (
    *("completed", "priority", "due_before", "due_after", "overdue", "recurring", "updated_since"),
    *("ordering", "limit", "status", "sort", "order", "format"),
)
BOUNDS.update({name: Bound() for name in SINGLE_VALUED})
# Parameters the API does not read: how often they come costs nothing (Django bounds
# the number of fields, DATA_UPLOAD_MAX_NUMBER_FIELDS).
UNREAD = Bound(max_count=None)


def violations(query) -> dict[str, list[str]]:
    """The parameters of a QueryDict that go over their bound, each with its message."""
    errors: dict[str, list[str]] = {}
    for name, values in query.lists():
        bound = BOUNDS.get(name, UNREAD)
        if len(name) > DEFAULT_MAX_LENGTH:
            errors[name[:DEFAULT_MAX_LENGTH] + "..."] = ["Parameter name is too long."]
        elif bound.max_count is not None and len(values) > bound.max_count:
            if bound.max_count > 1:
                errors[name] = [f"Give at most {bound.max_count} values{bound.why}."]
            else:
                errors[name] = ["Give it only once."]
        elif any(len(value) > bound.max_length for value in values):
            errors[name] = [f"Ensure this value has at most {bound.max_length} characters."]
    return errors


def check(query) -> None:
    """Raise a ValidationError (400) naming every parameter over its bound."""
    errors = violations(query)
    if errors:
        raise ValidationError(errors)


class BoundedQueryMixin:
    """For API views: the query string is checked once the caller is known to be allowed,
    before the handler runs."""

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        check(request.query_params)
