"""Conditional requests on a task: `If-None-Match` (304) and `If-Match` (412).

The tags themselves name a task's version (tasks.data.versions); the store carries an
`If-Match` into the write statement, so no other write slips in between.
"""

from __future__ import annotations

from django.utils.http import parse_etags
from rest_framework import status
from rest_framework.exceptions import APIException

from tasks.data.errors import VersionMismatch


class PreconditionFailed(APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = VersionMismatch.message
    default_code = "precondition_failed"


def is_not_modified(request, current_etag: str) -> bool:
    """True when the client's cached copy (If-None-Match, compared weakly) is current."""
    header = request.headers.get("If-None-Match")
    if not header:
        return False
    tags = [tag.removeprefix("W/") for tag in parse_etags(header)]
    return "*" in tags or current_etag in tags
