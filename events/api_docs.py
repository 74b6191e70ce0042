"""The schema of the webhooks endpoints (and of the event shapes they send)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema_view

from events.models import EventType
from events.serializers import (
    WebhookDeliverySerializer,
    WebhookSubscriptionListSerializer,
    WebhookSubscriptionSerializer,
)
from tasks.api.api_docs import (
    IDEMPOTENCY_KEY,
    OWNER,
    USER_ID,
    WRITE_BODY,
    ErrorSerializer,
    idempotent_replayed,
    operation,
)

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

# One message of the stream, as an SSE parser hands it over.
SSE_EVENT = {
    "type": "object",
    "properties": {
        "id": {"type": "string", "pattern": "^[0-9]+$", "description": "The event id."},
        "event": {"type": "string", "enum": [value for value, _ in EventType.choices]},
        "data": {
            "type": "string",
            "description": (
                "The event as JSON: `{id, type, occurred_at, user_id, task_id, task}`; `task` as "
                "`GET /tasks/{id}` shows it, null for `task.deleted`. The same JSON is a webhook's body."
            ),
        },
    },
    "required": ["id", "event", "data"],
}

event_stream = operation(
    summary="The user's task events, live (Server-Sent Events)",
    description=(
        "A `text/event-stream` that stays open: each event as `id: <event id>`, `event: <type>`, "
        "`data: <event JSON>` (`{id, type, occurred_at, user_id, task_id, task}`; `task` as "
        "`GET /tasks/{id}` shows it, null for `task.deleted`), within a second of its commit, and "
        "a `: keep-alive` comment at least every 15 seconds. Without `Last-Event-ID` (or "
        "`last_event_id`) it starts with the next event; with one, it first sends every event "
        "after that id: no gap, no duplicate. Browsers' `EventSource` cannot send the bearer "
        "token: use a fetch-based client (docs/frontend.md)."
    ),
    ok={
        (200, "text/event-stream"): OpenApiResponse(
            response=SSE_EVENT,
            description="The stream (`text/event-stream`): one such message per event.",
        ),
        501: OpenApiResponse(
            response=ErrorSerializer,
            description="Asked of a `web:` process, which sends whole responses only: the stream is "
            "served by the `stream:` process (route `/api/*/events` there).",
        ),
    },
    errors=(400, *OWNER),
    parameters=[
        USER_ID,
        # `?format=` is ignored here as anywhere (tasks.negotiation): not part of the contract.
        OpenApiParameter("format", exclude=True),
        OpenApiParameter(
            "last_event_id", int, description="Resume after this event id (or the `Last-Event-ID` header)."
        ),
        OpenApiParameter(
            "Last-Event-ID", int, OpenApiParameter.HEADER, description="Resume after this event id."
        ),
    ],
)
