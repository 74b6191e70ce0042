"""The schema of the webhooks endpoints (and of the event shapes they send)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema_view

from events.serializers import (
    WebhookDeliverySerializer,
    WebhookSubscriptionListSerializer,
    WebhookSubscriptionSerializer,
)
from tasks.api_docs import IDEMPOTENCY_KEY, OWNER, USER_ID, WRITE_BODY, idempotent_replayed, operation

webhook_viewset = extend_schema_view(
    list=operation(
        summary="List the user's webhook subscriptions",
        ok={
            200: OpenApiResponse(
                WebhookSubscriptionListSerializer(many=True), description="The subscriptions."
            )
        },
        errors=OWNER,
        parameters=[USER_ID],
    ),
    create=operation(
        summary="Subscribe a URL to task events",
        description=(
            "Each event of the listed types is POSTed to `url` as JSON (the event shape of "
            "`/api/{user_id}/events`), signed as Standard Webhooks say: `webhook-id` (the event "
            "id), `webhook-timestamp`, `webhook-signature` (HMAC-SHA256 with `secret`). A "
            "failure (no 2xx within 10 s) is retried with exponential backoff for about a day; "
            "a subscription whose deliveries keep failing that long is disabled. Private, "
            "loopback and link-local targets are refused. The `secret` is in this answer only."
        ),
        ok={
            201: OpenApiResponse(
                WebhookSubscriptionSerializer, description="The subscription, with its secret."
            )
        },
        errors=(*WRITE_BODY, 422, *OWNER),
        parameters=[USER_ID, IDEMPOTENCY_KEY, idempotent_replayed(201)],
    ),
    retrieve=operation(
        summary="One webhook subscription",
        ok={200: OpenApiResponse(WebhookSubscriptionListSerializer, description="The subscription.")},
        errors=(404, *OWNER),
        parameters=[USER_ID],
    ),
    destroy=operation(
        summary="Delete a webhook subscription",
        ok={204: OpenApiResponse(description="Deleted; nothing more is sent to it.")},
        errors=(404, *OWNER),
        parameters=[USER_ID],
    ),
)

deliveries = operation(
    summary="The latest deliveries of a subscription, with their attempts",
    ok={200: OpenApiResponse(WebhookDeliverySerializer(many=True), description="Newest first, at most 100.")},
    errors=(404, *OWNER),
    parameters=[USER_ID],
)
