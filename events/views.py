"""`/api/{user_id}/webhooks`: a user's webhook subscriptions and their delivery logs,
under the same authentication, owner check, throttles and bounds as the tasks."""

from __future__ import annotations

from django.conf import settings
from django.db.models import QuerySet
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from events import api_docs
from events.models import WebhookSubscription
from events.serializers import (
    WebhookDeliverySerializer,
    WebhookSubscriptionListSerializer,
    WebhookSubscriptionSerializer,
    subscription_limit_reached,
)
from events.webhooks import new_secret
from tasks.api import idempotency
from tasks.api.base import OwnerScopedEndpoint

DELIVERIES_SHOWN = 100


@api_docs.webhook_viewset
class WebhookViewSet(
    OwnerScopedEndpoint,
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """A user's webhook subscriptions."""

    serializer_class = WebhookSubscriptionSerializer
    lookup_url_kwarg = "webhook_id"
    lookup_value_regex = "[0-9]+"
    filter_backends: list = []
    pagination_class = None

    def get_queryset(self) -> QuerySet[WebhookSubscription]:
        return WebhookSubscription.objects.for_owner(self.owner_id)

    def get_serializer_class(self):
        if self.action in ("list", "retrieve"):
            return WebhookSubscriptionListSerializer
        if self.action == "deliveries":
            return WebhookDeliverySerializer
        return WebhookSubscriptionSerializer

    def create(self, request, *args, **kwargs):
        def subscribe() -> Response:
            serializer = self.get_serializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            if subscription_limit_reached(self.owner_id):
                limit = settings.WEBHOOK_MAX_SUBSCRIPTIONS
                raise ValidationError({"url": [f"At most {limit} webhooks per user; delete one first."]})
            subscription = serializer.save(user_id=self.owner_id, secret=new_secret())
            shown = WebhookSubscriptionSerializer(subscription, context={"show_secret": True})
            return Response(shown.data, status=status.HTTP_201_CREATED)

        return idempotency.run_once(request, user_id=self.owner_id, work=subscribe)

    @api_docs.deliveries
    @action(detail=True, methods=["get"])
    def deliveries(self, request, *args, **kwargs):
        """The latest deliveries of this subscription, newest first, with their attempts."""
        subscription = self.get_object()
        latest = subscription.deliveries.select_related("event").order_by("-created_at", "-id")[
            :DELIVERIES_SHOWN
        ]
        return Response(WebhookDeliverySerializer(latest, many=True).data)
