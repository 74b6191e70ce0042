"""Serializer fields with the API's own rules for priorities, tags and times."""

from __future__ import annotations

import re
from datetime import datetime

from rest_framework import serializers
from rest_framework.utils import html

from tasks.data.recurrence import RecurrenceError, zone_named
from tasks.models import RECURRENCE_MAX_LENGTH, TAG_MAX_LENGTH, TIME_ZONE_MAX_LENGTH, Priority, RepeatFrom

MAX_TAGS_PER_TASK = 20


class PriorityField(serializers.ChoiceField):
    """Priorities travel as names (`none`, `low`, ...) and are stored as ranks."""

    default_error_messages = {
        "invalid_choice": f'"{{input}}" is not a valid choice; use one of {", ".join(Priority.labels)}.'
    }

    def __init__(self, **kwargs):
        super().__init__(choices=Priority.labels, **kwargs)

    def to_internal_value(self, data):
        return Priority.values[Priority.labels.index(super().to_internal_value(data))]

    def to_representation(self, value):
        return Priority(value).label


class StrictCharField(serializers.CharField):
    """Text that must arrive as text: DRF would turn `5` into `"5"`, a wrong type let through."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class OptionalTextField(StrictCharField):
    """Text that may be null. An HTML form (the browsable API's) cannot send null, only an
    empty box: that means "none" there, stored as null as a JSON client's null is."""

    def get_value(self, dictionary):
        value = super().get_value(dictionary)
        if value == "" and html.is_html_input(dictionary):
            return None
        return value


class RecurrenceField(OptionalTextField):
    """A rule: an RFC 5545 RRULE or one of the words; null (or an empty form box) for none.
    Whether it can occur is checked with the task's due date (tasks.data.series)."""

    def __init__(self, **kwargs):
        kwargs.setdefault(
            "help_text",
            "How the task repeats, or null: one of the words `daily`, `weekdays`, `weekly`, "
            "`monthly`, `yearly` (the day and time taken from `due_at`: `monthly` from the 31st "
            "falls on the last day of shorter months), or an RFC 5545 RRULE such as "
            "`FREQ=WEEKLY;BYDAY=MO,WE` or `FREQ=MONTHLY;BYMONTHDAY=-1;COUNT=12` (what it leaves "
            "out comes from `due_at`). Needs a `due_at`; at most hourly. Completing the task "
            "creates the next occurrence.",
        )
        super().__init__(max_length=RECURRENCE_MAX_LENGTH, allow_null=True, required=False, **kwargs)


class TimeZoneField(StrictCharField):
    """An IANA time zone name: a recurring task's wall-clock times live in it."""

    def __init__(self, **kwargs):
        kwargs.setdefault(
            "help_text",
            "The IANA time zone (`Europe/Berlin`, `America/New_York`) of the task's wall clock: "
            "a task repeating at 09:00 stays at 09:00 local time across DST changes. Default `UTC`.",
        )
        super().__init__(max_length=TIME_ZONE_MAX_LENGTH, required=False, **kwargs)

    def to_internal_value(self, data):
        name = super().to_internal_value(data)
        try:
            zone_named(name)
        except RecurrenceError as error:
            raise serializers.ValidationError(error.message) from None
        return name


class RepeatFromField(serializers.ChoiceField):
    """`due` (a schedule) or `completion` (an interval from when it was done)."""

    default_error_messages = {
        "invalid_choice": f'"{{input}}" is not a valid choice; use one of {", ".join(RepeatFrom.values)}.'
    }

    def __init__(self, **kwargs):
        kwargs.setdefault(
            "help_text",
            "What the next due date counts from: `due` (the schedule: the first occurrence after "
            "both the old due date and the completion) or `completion` (one interval after the "
            "task was done, at the due date's time of day). Default `due`.",
        )
        super().__init__(choices=RepeatFrom.choices, required=False, **kwargs)


class StrictBooleanField(serializers.BooleanField):
    """`true` or `false` in JSON; DRF would also take `0`, `"no"` or `"off"`. Form input
    (the browsable API's) has only text, so there the usual spellings still count."""

    def to_internal_value(self, data):
        if not isinstance(data, bool) and not _is_form_input(self):
            self.fail("invalid", input=data)
        return super().to_internal_value(data)


class TagListField(serializers.ListField):
    """Tag names: trimmed, non-empty, short, without duplicates, in the order given."""

    child = StrictCharField(max_length=TAG_MAX_LENGTH)

    def __init__(self, **kwargs):
        kwargs.setdefault("style", {"template": "tasks/forms/tag_list_input.html"})
        super().__init__(max_length=MAX_TAGS_PER_TASK, **kwargs)

    def get_value(self, dictionary):
        """An HTML form sends the names in one text box, separated by commas."""
        if html.is_html_input(dictionary) and self.field_name in dictionary:
            boxes = dictionary.getlist(self.field_name)
            return [name.strip() for box in boxes for name in box.split(",") if name.strip()]
        return super().get_value(dictionary)

    def to_internal_value(self, data):
        return list(dict.fromkeys(super().to_internal_value(data)))


# An RFC 3339 date-time (a space allowed for the "T", as the RFC notes), the seconds
# optional; the offset is optional here only so that leaving it out gets its own
# message. Anything else, such as trailing spaces or control characters that Django's
# lenient parser would skip, is refused.
RFC3339_DATETIME = re.compile(
    r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?P<offset>Z|[+-]\d{2}(?::?\d{2})?)?",
    re.ASCII,
)


class AwareDateTimeField(serializers.DateTimeField):
    """An RFC 3339 time: the offset is required, the value is stored and shown in UTC."""

    default_error_messages = {
        "format": "Use an RFC 3339 date and time with an offset, e.g. 2026-01-31T17:00:00Z.",
        "naive": "Give a UTC offset, e.g. 2026-01-31T17:00:00Z.",
        "overflow": "Date and time is out of range.",
    }

    def to_internal_value(self, value):
        if not isinstance(value, datetime):
            match = RFC3339_DATETIME.fullmatch(value) if isinstance(value, str) else None
            if match is None:
                self.fail("format")
            # A browser's datetime-local input has no offset: the browsable API's form
            # times are taken as UTC. JSON clients must say what they mean.
            if match["offset"] is None and not _is_form_input(self):
                self.fail("naive")
        try:
            return super().to_internal_value(value)
        except OverflowError:
            self.fail("overflow")


def _is_form_input(field: serializers.Field) -> bool:
    """Whether the field's data came from an HTML form (text only) rather than JSON."""
    return html.is_html_input(getattr(field.parent, "initial_data", None))
