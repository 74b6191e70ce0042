"""A task's version tag (its ETag): the version its row carries, made opaque.

The tag names `change_seq`, the stamp of the transaction that last wrote the row, so
that a write can carry an `If-Match` into the statement itself (`... AND change_seq
IN (...)`) and no other write can slip in between a check and the write. The version
travels with a keyed digest of the task id and the version: the tag stays opaque and
strong, a client cannot forge one, and one task's tag means nothing for another.
(Tags given out before this format simply stop matching: such a client reads the
task again, as after any other change.)
"""

from __future__ import annotations

import hashlib
import hmac
from functools import cache
from uuid import UUID

from django.conf import settings
from django.utils.http import parse_etags

ANY = None  # `If-Match: *`, or no header: any version of the task will do


@cache
def _key(secret: str) -> bytes:
    return hashlib.blake2b(secret.encode(), person=b"tasks.etag", digest_size=32).digest()


def _digest(task_id: UUID, version: int) -> str:
    key = _key(settings.SECRET_KEY)
    return hashlib.blake2b(
        task_id.bytes + version.to_bytes(8, "big", signed=True), key=key, digest_size=9
    ).hexdigest()


def etag(task_id: UUID, version: int) -> str:
    """The strong ETag of this version of the task."""
    return f'"{version:x}-{_digest(task_id, version)}"'


def versions_named(header: str | None, task_id: UUID) -> list[int] | None:
    """The versions of this task an `If-Match` header names: None when any will do (no
    header, or `*`); an empty list when it names none that this task ever had."""
    if not header:
        return ANY
    tags = parse_etags(header)
    if "*" in tags:
        return ANY
    versions = []
    for tag in tags:
        if tag.startswith("W/"):  # If-Match compares strongly: a weak tag never matches
            continue
        hex_version, _, digest = tag.strip('"').partition("-")
        try:
            version = int(hex_version, 16)
            valid = hmac.compare_digest(digest, _digest(task_id, version))
        except (ValueError, OverflowError):
            continue
        if valid:
            versions.append(version)
    return versions
