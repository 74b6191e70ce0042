"""`GET /api/{user_id}/events`: the user's task events as Server-Sent Events.

A DRF view like the others (same tokens, owner check, throttles, bounds); what it
returns is a stream. Under ASGI (the Procfile's `stream:` process) the body is an async
iterator served on the event loop: the view's thread is free as soon as the headers
are sent. Under WSGI (`make run`'s runserver, the test client) it is a plain iterator
that polls, which holds a thread per stream: fine for development, and the reason
production sends `/api/*/events` to the stream process. The `web:` process (the WSGI
app over RSGI, config.wsgi_over_rsgi) sends a response only once it is whole, so there
the view answers a 501 naming the stream process instead of a request that never ends.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

from django.conf import settings
from django.core.handlers.asgi import ASGIRequest
from django.db import connection
from django.http import StreamingHttpResponse
from rest_framework import renderers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from events import api_docs, stream
from events.feed import events_after, latest_id
from tasks.api.base import OwnerScopedEndpoint

LAST_EVENT_ID_MAX_DIGITS = 19  # a bigint
# Set in the WSGI environ by config.wsgi_over_rsgi (the `web:` process), which sends a
# response only once the app has returned all of it.
WHOLE_RESPONSES = "tasks.whole_responses"


class EventStreamRenderer(renderers.BaseRenderer):
    media_type = "text/event-stream"
    format = "event-stream"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        raise NotImplementedError("The stream is never rendered; refusals are JSON.")


class EventStreamView(OwnerScopedEndpoint):
    """The caller's task events, live."""

    renderer_classes = [renderers.JSONRenderer, EventStreamRenderer]

    @api_docs.event_stream
    def get(self, request, *args, **kwargs):
        owner = self.owner_id
        after = self._resume_after(request)
        if request.META.get(WHOLE_RESPONSES):
            return Response(
                {
                    "detail": "This server sends whole responses only, so it cannot hold an event "
                    "stream open: the stream is served by the `stream:` process (the Procfile's "
                    "granian ASGI server on STREAM_PORT); route /api/*/events there."
                },
                status=501,
            )
        if after is None:
            after = latest_id(owner)
        if isinstance(request._request, ASGIRequest):
            # Django would keep this thread's connection until the response ends, which
            # for a stream is hours: give it back now (the stream reads with its own pool).
            _give_back_connection()
            body = stream.stream(owner, after)
        else:
            body = _polled(owner, after)
        response = StreamingHttpResponse(body, content_type="text/event-stream")
        response["Cache-Control"] = "no-cache, no-transform"
        response["X-Accel-Buffering"] = "no"  # a proxy in front must not hold events back
        return response

    def _resume_after(self, request) -> int | None:
        """The id to resume after: `Last-Event-ID` (what EventSource sends on reconnecting),
        else `last_event_id`; each is checked when given, even if the other wins."""
        given = request.query_params.getlist("last_event_id")
        if len(given) > 1:
            raise ValidationError({"last_event_id": ["Give it once."]})
        query = _event_id("last_event_id", given[0]) if given else None
        header = request.headers.get("Last-Event-ID")
        return _event_id("Last-Event-ID", header) if header is not None else query

    def finalize_response(self, request, response, *args, **kwargs):
        if isinstance(response, StreamingHttpResponse):
            return response  # nothing for DRF to render
        # A refusal is JSON, as everywhere under /api/, whatever the client accepts.
        request.accepted_renderer, request.accepted_media_type = renderers.JSONRenderer(), "application/json"
        return super().finalize_response(request, response, *args, **kwargs)


def _event_id(name: str, value: str) -> int:
    value = value.strip()
    if not value.isdigit() or len(value) > LAST_EVENT_ID_MAX_DIGITS:
        raise ValidationError({name: ["An event id: a whole number."]})
    return int(value)


def _polled(owner: str, after: int) -> Iterator[bytes]:
    heartbeat = settings.EVENT_STREAM_HEARTBEAT
    yield b"retry: 3000\n\n"
    quiet_since = time.monotonic()
    while True:
        events = events_after(owner, after)
        # Between polls the connection goes back (to the pool): a stream must not keep
        # one of the few a web process has.
        _give_back_connection()
        for event in events:
            yield stream.sse(event)
            after = event["id"]
        if events:
            quiet_since = time.monotonic()
            continue
        if time.monotonic() - quiet_since >= heartbeat:
            yield b": keep-alive\n\n"
            quiet_since = time.monotonic()
        time.sleep(stream.SQLITE_POLL_SECONDS)


def _give_back_connection() -> None:
    if not connection.in_atomic_block:  # (a test's transaction keeps its connection)
        connection.close()
