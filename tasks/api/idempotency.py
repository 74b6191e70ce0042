"""`Idempotency-Key` on every write (POST, PUT, PATCH, DELETE, complete): a retry gets
the first response and changes nothing. So a client that got no answer, or a 503 after
its write committed, can send the same request again safely.

The work runs in a transaction that ends by storing its response under the key
(one statement, which replaces a record past its retention). If the key already
holds a live record, the work is rolled back and that record's response replayed.
A concurrent retry (another worker, another machine) blocks on the unique index
until the first commits, then finds its record and replays it; if the first fails,
nothing is stored and the retry's own work stands. With the task written in one
statement, a create with a key costs BEGIN, the insert, the claim and COMMIT.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from datetime import timedelta

import orjson
from django.db import transaction
from django.utils import timezone
from rest_framework import status
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.response import Response

from tasks.api.json_format import plain_json
from tasks.api.task_json import RENDER_OPTIONS
from tasks.data import task_sql
from tasks.data.errors import Refused
from tasks.models import IdempotencyRecord

HEADER = "Idempotency-Key"
RETENTION = timedelta(hours=24)
REPLAYED_HEADERS = ("ETag", "Location")
_VALID_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")


class KeyReused(APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = "This Idempotency-Key was already used with a different request body."
    default_code = "idempotency_key_reused"


def fingerprint(request) -> str:
    """What makes two requests "the same": the endpoint, the task it names and the
    parsed body (the path's user id may be spelt `me` or not: keys are per user anyway)."""
    data = request.data
    if hasattr(data, "lists"):  # form data: keep repeated fields
        data = dict(data.lists())
    body = orjson.dumps(data, option=orjson.OPT_SORT_KEYS, default=str)
    match = request.resolver_match
    endpoint = match.view_name if match else request.path
    # A PUT to one task and the same PUT to another are two requests (a create names
    # none, so its fingerprint is as it always was).
    endpoint += (
        "".join(f" {name}={value}" for name, value in sorted(match.kwargs.items()) if name != "user_id")
        if match
        else ""
    )
    return hashlib.sha256(f"{request.method} {endpoint}\n".encode() + body).hexdigest()


def run_once(request, *, user_id: str, work: Callable[[], Response]) -> Response:
    """Run `work` unless a request with the same key ran it already; then replay that."""
    key = request.headers.get(HEADER)
    if key is None:
        return work()
    if not _VALID_KEY.match(key):
        raise ValidationError({HEADER: ["Use 1 to 255 visible ASCII characters."]})
    digest = fingerprint(request)

    try:
        with transaction.atomic():
            response = work()
            now = timezone.now()
            stored = task_sql.claim_idempotency_key(
                user_id=user_id,
                key=key,
                fingerprint=digest,
                response={
                    "status_code": response.status_code,
                    # as the client got it: a task's datetimes and id as strings
                    "body": plain_json(response.data, RENDER_OPTIONS),
                    "headers": {name: response[name] for name in REPLAYED_HEADERS if name in response},
                },
                now=now,
                expired_before=now - RETENTION,
            )
            if not stored:
                raise _AnsweredAlready()  # undoes this request's work
    except _AnsweredAlready:
        return _replay(_live_record(user_id=user_id, key=key), digest)
    except (APIException, Refused):
        # The first request may have changed what this one finds (a retried DELETE finds
        # no task, a retried PUT with If-Match a new ETag): a key that already answered
        # replays that answer, or says it answered another body, whatever this one's fault.
        record = _live_record(user_id=user_id, key=key)
        if record is None:
            raise
        return _replay(record, digest)
    return response


class _AnsweredAlready(Exception):
    """The key holds a live record: roll back this request's work and replay it."""


def _live_record(*, user_id: str, key: str) -> IdempotencyRecord | None:
    return IdempotencyRecord.objects.filter(
        user_id=user_id, key=key, created_at__gte=timezone.now() - RETENTION
    ).first()


def _replay(record: IdempotencyRecord, digest: str) -> Response:
    if record.fingerprint != digest:
        raise KeyReused()
    response = Response(record.body, status=record.status_code, headers=record.headers)
    response["Idempotent-Replayed"] = "true"
    return response


def prune_expired() -> int:
    """Delete records past their retention; for a periodic job."""
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=timezone.now() - RETENTION).delete()
    return deleted
