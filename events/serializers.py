"""Webhook subscriptions and their deliveries on the wire."""

from __future__ import annotations

from django.conf import settings
from rest_framework import serializers

from events.models import EventType, WebhookDelivery, WebhookSubscription
from events.targets import TargetRefused, check_url_shape
from tasks.api.fields import StrictCharField


class WebhookSubscriptionSerializer(serializers.ModelSerializer):
    """A subscription. Its `secret` is in the answer to the POST that creates it, only."""

    url = StrictCharField(max_length=2000, help_text="Where the events are POSTed (http or https).")
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=EventType.choices),
        min_length=1,
        max_length=len(EventType.choices),
        help_text="The event types to send.",
    )
    secret = serializers.CharField(
        read_only=True,
        help_text="The signing secret (`whsec_...`), for verifying `webhook-signature`. Shown only once.",
    )

    class Meta:
        model = WebhookSubscription
        fields = ["id", "url", "events", "secret", "active", "created_at", "disabled_reason"]
        read_only_fields = ["id", "active", "created_at", "disabled_reason"]

    def validate_url(self, url: str) -> str:
        try:
            check_url_shape(url)
        except TargetRefused as refused:
            raise serializers.ValidationError(str(refused)) from None
        return url

    def validate_events(self, events: list[str]) -> list[str]:
        return sorted(set(events))

    def validate(self, attrs):
        # Fields the API returns are accepted and ignored; anything else is a mistake.
        unknown = sorted(set(self.initial_data) - set(self.fields) - {"csrfmiddlewaretoken"})
        if unknown:
            raise serializers.ValidationError(dict.fromkeys(unknown, ["Unknown field."]))
        return attrs

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if not self.context.get("show_secret"):
            data.pop("secret", None)
        return data


class WebhookSubscriptionListSerializer(WebhookSubscriptionSerializer):
    """As listed: never the secret."""

    class Meta(WebhookSubscriptionSerializer.Meta):
        fields = ["id", "url", "events", "active", "created_at", "disabled_reason"]


class AttemptSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    status_code = serializers.IntegerField(
        allow_null=True, help_text="The receiver's status; null without one."
    )
    error = serializers.CharField(allow_null=True, help_text="Why it failed; null when the receiver took it.")
    duration_ms = serializers.FloatField(required=False)


class WebhookDeliverySerializer(serializers.ModelSerializer):
    """One event sent to one subscription, with every attempt."""

    event_id = serializers.IntegerField()
    event_type = serializers.CharField(source="event.type")
    attempts = AttemptSerializer(many=True)

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "event_id",
            "event_type",
            "status",
            "attempts",
            "next_attempt_at",
            "created_at",
            "delivered_at",
        ]


def subscription_limit_reached(user_id: str) -> bool:
    return WebhookSubscription.objects.for_owner(user_id).count() >= settings.WEBHOOK_MAX_SUBSCRIPTIONS
