"""How tasks and tags look on the wire, and what a client may send."""

from __future__ import annotations

import copy

from django.db import models
from rest_framework import serializers

from tasks.api.fields import (
    AwareDateTimeField,
    OptionalTextField,
    PriorityField,
    StrictBooleanField,
    StrictCharField,
    TagListField,
)
from tasks.models import DESCRIPTION_MAX_LENGTH, Task


class TaskSerializer(serializers.ModelSerializer):
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
    due_at = AwareDateTimeField(required=False, allow_null=True)

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
            "completed_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "user_id", "completed_at", "created_at", "updated_at"]

    def get_fields(self):
        # ModelSerializer derives these from the model on every instantiation, a fifth
        # of a PUT's CPU; they depend on nothing but the class, so derive them once and
        # hand each serializer its own copy (as DRF does with declared fields).
        cls = type(self)
        if "_fields_from_model" not in cls.__dict__:
            cls._fields_from_model = super().get_fields()
        return copy.deepcopy(cls._fields_from_model)


class CompletionSerializer(serializers.Serializer):
    """Body of `PATCH .../complete`: the state to set. With no body the state toggles."""

    # The browsable API prefills its form with this: completing is what one comes here to do.
    completed = StrictBooleanField(required=False, initial=True)

    def validate(self, attrs):
        # A misspelt key (`{"complete": true}`) must not fall through to a toggle.
        unknown = sorted(set(self.initial_data) - set(self.fields) - {"csrfmiddlewaretoken"})
        if unknown:
            message = ["Unknown field; send only `completed`."]
            raise serializers.ValidationError(dict.fromkeys(unknown, message))
        return attrs


class ClearCompletedSerializer(serializers.Serializer):
    deleted = serializers.IntegerField(help_text="How many completed tasks were deleted.")


class TagCountSerializer(serializers.Serializer):
    name = serializers.CharField()
    count = serializers.IntegerField(help_text="How many of the user's tasks carry this tag.")


class SyncSerializer(serializers.Serializer):
    changed = TaskSerializer(many=True, help_text="Tasks created or changed since the token.")
    deleted = serializers.ListField(
        child=serializers.UUIDField(), help_text="Ids of tasks deleted since the token."
    )
    next = serializers.CharField(help_text="Token for the next sync.")
