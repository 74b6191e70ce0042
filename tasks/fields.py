"""Serializer fields with the API's own rules for priorities, tags and times."""

from __future__ import annotations

from datetime import datetime

from rest_framework import serializers

from tasks.models import TAG_MAX_LENGTH, Priority

MAX_TAGS_PER_TASK = 20


class PriorityField(serializers.ChoiceField):
    """Priorities travel as names (`none`, `low`, ...) and are stored as ranks."""

    def __init__(self, **kwargs):
        super().__init__(choices=Priority.labels, **kwargs)

    def to_internal_value(self, data):
        return Priority.values[Priority.labels.index(super().to_internal_value(data))]

    def to_representation(self, value):
        return Priority(value).label


class TagListField(serializers.ListField):
    """Tag names: trimmed, non-empty, short, without duplicates, in the order given."""

    child = serializers.CharField(max_length=TAG_MAX_LENGTH)

    def __init__(self, **kwargs):
        super().__init__(max_length=MAX_TAGS_PER_TASK, **kwargs)

    def to_internal_value(self, data):
        return list(dict.fromkeys(super().to_internal_value(data)))


class AwareDateTimeField(serializers.DateTimeField):
    """An RFC 3339 time: the offset is required, the value is stored and shown in UTC."""

    default_error_messages = {
        "naive": "Give a UTC offset, e.g. 2026-01-31T17:00:00Z.",
        "overflow": "Date and time is out of range.",
    }

    def to_internal_value(self, value):
        if isinstance(value, str):
            parsed = _parse_iso(value)
            if parsed is not None and parsed.tzinfo is None:
                self.fail("naive")
        try:
            return super().to_internal_value(value)
        except OverflowError:
            self.fail("overflow")


def _parse_iso(value: str) -> datetime | None:
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None
