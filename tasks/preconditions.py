"""Conditional requests on a task: `If-None-Match` (304) and `If-Match` (412)."""

from __future__ import annotations

from django.utils.http import parse_etags
from rest_framework import status
from rest_framework.exceptions import APIException

from tasks.models import Task


class PreconditionFailed(APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = "The task has changed since you read it; fetch it again and retry."
    default_code = "precondition_failed"


def _matches(header: str, task: Task, *, weak: bool) -> bool:
    """RFC 9110: If-None-Match compares weakly (W/ ignored), If-Match strongly."""
    tags = parse_etags(header)
    if weak:
        tags = [tag.removeprefix("W/") for tag in tags]
    return "*" in tags or task.etag in tags


def is_not_modified(request, task: Task) -> bool:
    """True when the client's cached copy (If-None-Match) is still current."""
    header = request.headers.get("If-None-Match")
    return bool(header) and _matches(header, task, weak=True)


def require_current(request, task: Task) -> None:
    """Refuse a write whose If-Match names a version other than the one stored now.

    Call it on a row locked for the write (select_for_update), so that no other
    write slips in between this check and the update.
    """
    header = request.headers.get("If-Match")
    if header and not _matches(header, task, weak=False):
        raise PreconditionFailed()
