"""Reading a user's events in order, for the stream, the worker and the tests."""

from __future__ import annotations

from typing import Any

from events.models import Event


def events_after(user_id: str, after: int = 0, *, limit: int = 500) -> list[dict[str, Any]]:
    """The owner's events with an id above `after`, oldest first, as they are sent
    (one query). Safe to resume from the last id returned: see events.outbox_sql."""
    rows = Event.objects.for_owner(user_id).filter(id__gt=after).order_by("id")[:limit]
    return list(rows.values_list("payload", flat=True))


def latest_id(user_id: str) -> int:
    """The owner's latest event id (0 without one): where a fresh stream starts."""
    return Event.objects.for_owner(user_id).order_by("-id").values_list("id", flat=True).first() or 0
