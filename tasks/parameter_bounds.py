"""Bounds on the query string of every API request, checked before anything else runs.

A list request's cost grows with what it asks for: each `tag` is a condition, each
character of `search` is matched against every row, a long `cursor` is decoded.
So every parameter has a bound on how often it may be given and how long each value
may be (OWASP API4), and going over one is a 400 that names the parameter, decided
before authentication or any query.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.http import JsonResponse

from tasks.fields import MAX_TAGS_PER_TASK
from tasks.models import TAG_MAX_LENGTH

# A task holds at most MAX_TAGS_PER_TASK tags, so asking for more can match nothing.
MAX_TAG_FILTERS = MAX_TAGS_PER_TASK
SEARCH_MAX_LENGTH = 200
# A cursor carries the last row's sort key (a title of up to 255 characters at most),
# compressed and signed: a few hundred characters, far below this.
CURSOR_MAX_LENGTH = 4096
SYNC_TOKEN_MAX_LENGTH = 256
# Everything else: enums, booleans, numbers, RFC 3339 times, and parameters the API
# does not read (a client's cache buster), which are ignored but still bounded.
DEFAULT_MAX_LENGTH = 100


@dataclass(frozen=True)
class Bound:
    max_count: int = 1
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
DEFAULT_BOUND = Bound()


def violations(query) -> dict[str, list[str]]:
    """The parameters of a QueryDict that go over their bound, each with its message."""
    errors: dict[str, list[str]] = {}
    for name, values in query.lists():
        bound = BOUNDS.get(name, DEFAULT_BOUND)
        if len(name) > DEFAULT_MAX_LENGTH:
            errors[name[:DEFAULT_MAX_LENGTH] + "..."] = ["Parameter name is too long."]
        elif len(values) > bound.max_count:
            if bound.max_count > 1:
                errors[name] = [f"Give at most {bound.max_count} values{bound.why}."]
            else:
                errors[name] = ["Give it only once."]
        elif any(len(value) > bound.max_length for value in values):
            errors[name] = [f"Ensure this value has at most {bound.max_length} characters."]
    return errors


class QueryBoundsMiddleware:
    """Refuses an `/api/` request whose query string goes over a bound, before any work."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith("/api/"):
            errors = violations(request.GET)
            if errors:
                detail = "; ".join(f"{name}: {' '.join(messages)}" for name, messages in errors.items())
                return JsonResponse({"detail": detail, "errors": errors}, status=400)
        return self.get_response(request)
