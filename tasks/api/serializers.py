"""How tasks and tags look on the wire, and what a client may send."""

from __future__ import annotations

import copy
from collections.abc import Mapping

from django.db import models
from rest_framework import serializers
from rest_framework.utils import html

from tasks.api.errors import from_data_layer
from tasks.api.fields import (
    AwareDateTimeField,
    OptionalTextField,
    PriorityField,
    RecurrenceField,
    RepeatFromField,
    StrictBooleanField,
    StrictCharField,
    TagListField,
    TimeZoneField,
)
from tasks.api.unknown_names import unknown_name_errors
from tasks.data import series
from tasks.data.errors import InvalidArgument
from tasks.models import DESCRIPTION_MAX_LENGTH, Task

# What an HTML form (the browsable API's) sends besides its fields.
FORM_PLUMBING = frozenset({"csrfmiddlewaretoken", "_method", "_content", "_content_type"})


class StrictInputMixin:
    """A body may name only the fields a client can write; any other name is a 400 naming
    it (with the close known name), never silently dropped. The fields the API returns
    are accepted and ignored, so that a client can send back what it read."""

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            writable = [name for name, field in self.fields.items() if not field.read_only]
            read_only = [name for name, field in self.fields.items() if field.read_only]
            errors = unknown_name_errors(data, known=writable, ignored=[*read_only, *FORM_PLUMBING])
            if errors:
                raise serializers.ValidationError(errors)
        return super().to_internal_value(data)


class AliasField(AwareDateTimeField):
    """Another name for a field, for JSON clients: the browsable API's form shows only the
    field itself (an empty second box would read as "both given")."""

    def __init__(self, *, alias_of: str, **kwargs):
        self.alias_of = alias_of
        kwargs.setdefault("style", {"template": "tasks/forms/not_shown.html"})
        super().__init__(write_only=True, required=False, **kwargs)

    def get_value(self, dictionary):
        if html.is_html_input(dictionary):
            return serializers.empty
        return super().get_value(dictionary)


def unbound_clone(field: serializers.Field) -> serializers.Field:
    """A copy of an unbound field that a serializer may bind (`bind` sets its name, parent,
    label and source on the copy alone). What a field holds beside those (validators,
    messages, choices, style) is set when it is built and only read afterwards, so the
    copies share it. A list's child is bound to its list, so it is cloned and given the
    copy as its parent; a nested serializer keeps its own fields, so it is deep-copied
    as DRF would."""
    if isinstance(field, serializers.BaseSerializer):
        return copy.deepcopy(field)
    # What copy.copy does for these, without its reduce protocol (three times the CPU).
    clone = type(field).__new__(type(field))
    clone.__dict__.update(field.__dict__)
    child = getattr(field, "child", None)
    if child is not None:
        clone.child = unbound_clone(child)
        clone.child.parent = clone
    return clone


class FieldsBuiltOnceMixin:
    """Each serializer binds shallow clones of fields built once per class.

    DRF builds a serializer's fields for every instance: a ModelSerializer derives them
    from the model (a fifth of a PUT's CPU), and every serializer deep-copies them, which
    runs each field's `__init__` again (another fifth; a third of a toggle's validation).
    They depend on nothing but the class."""

    def get_fields(self):
        cls = type(self)
        if "_fields_built_once" not in cls.__dict__:
            cls._fields_built_once = super().get_fields()
        return {name: unbound_clone(field) for name, field in cls._fields_built_once.items()}


class TaskSerializer(FieldsBuiltOnceMixin, StrictInputMixin, serializers.ModelSerializer):
    """A task. Fields that are left out of a write keep their value."""

    # Wrong JSON types are refused: a number is not a title, nor `0` a `completed`.
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.BooleanField: StrictBooleanField,
        models.CharField: StrictCharField,
        models.TextField: StrictCharField,
    }

    description = OptionalTextField(
        max_length=DESCRIPTION_MAX_LENGTH,
        allow_null=True,
        allow_blank=True,
        required=False,
        style={"base_template": "textarea.html"},
    )
    priority = PriorityField(required=False)
    tags = TagListField(source="tag_names", required=False)
    # The HTML form's box has no zone: its template says the time is read as UTC.
    due_at = AwareDateTimeField(
        required=False, allow_null=True, style={"template": "tasks/forms/utc_datetime_input.html"}
    )
    # The hackathon front ends' name for it (also a `sort` value); one or the other.
    due_date = AliasField(
        alias_of="due_at",
        allow_null=True,
        help_text="Another name for due_at (send one of the two, not both).",
    )
    recurrence = RecurrenceField()
    time_zone = TimeZoneField()
    repeat_from = RepeatFromField()
    remind_at = AwareDateTimeField(
        required=False,
        allow_null=True,
        help_text=(
            "When to remind the user (RFC 3339 with an offset), or null. On a recurring task "
            "its offset from `due_at` carries to each next occurrence."
        ),
        style={"template": "tasks/forms/utc_datetime_input.html"},
    )

    class Meta:
        model = Task
        fields = [
            "id",
            "user_id",
            "title",
            "description",
            "completed",
            "priority",
            "tags",
            "due_at",
            "due_date",
            "recurrence",
            "time_zone",
            "repeat_from",
            "remind_at",
            "completed_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "user_id", "completed_at", "created_at", "updated_at"]
        # The model gives none (its one unique constraint is on `follows`, not written
        # here): said once rather than derived from the model for every request
        # (tests/test_api_endpoint_base.py holds it to what DRF would derive).
        validators: list = []

    def validate(self, attrs):
        if "due_date" in attrs:
            if "due_at" in attrs:
                message = "due_date is another name for due_at: send one of them."
                raise serializers.ValidationError({"due_date": [message]})
            attrs["due_at"] = attrs.pop("due_date")
        return self._with_checked_schedule(attrs)

    def _with_checked_schedule(self, attrs):
        """The recurrence rules of SPEC 11, checked against the task as it will be: an
        update that leaves out some of the schedule's fields reads the task
        (`current_task` in the context, given by the view) to check it whole."""
        current = None
        if self.partial and series.needs_current(attrs) and "current_task" in self.context:
            current = self.context["current_task"]()
        try:
            return series.checked_schedule(attrs, current=current)
        except InvalidArgument as error:
            raise from_data_layer(error) from None


class CompletedTaskSerializer(TaskSerializer):
    """The answer to a completion: the task, and the next occurrence it created."""

    next_task = TaskSerializer(
        read_only=True,
        allow_null=True,
        help_text=(
            "A recurring task's next occurrence, created by completing it (the one it has, when it "
            "was completed already); null when the task does not repeat, was reopened, or its "
            "series has ended."
        ),
    )

    class Meta(TaskSerializer.Meta):
        fields = [*TaskSerializer.Meta.fields, "next_task"]


class CompletionSerializer(FieldsBuiltOnceMixin, StrictInputMixin, serializers.Serializer):
    """Body of `PATCH .../complete`: the state to set. With no body the state toggles."""

    # The browsable API prefills its form with this: completing is what one comes here to do.
    # A misspelt key (`{"complete": true}`) is refused (StrictInputMixin), never a toggle.
    completed = StrictBooleanField(required=False, initial=True)


class ClearCompletedSerializer(serializers.Serializer):
    deleted = serializers.IntegerField(help_text="How many completed tasks were deleted.")


class CompletedCountSerializer(serializers.Serializer):
    completed_tasks = serializers.IntegerField(help_text="How many completed tasks a POST would delete now.")


class TagCountSerializer(serializers.Serializer):
    name = serializers.CharField()
    count = serializers.IntegerField(help_text="How many of the user's tasks carry this tag.")


class SyncSerializer(serializers.Serializer):
    changed = TaskSerializer(many=True, help_text="Tasks created or changed since the token.")
    deleted = serializers.ListField(
        child=serializers.UUIDField(), help_text="Ids of tasks deleted since the token."
    )
    next = serializers.CharField(help_text="Token for the next sync.")
