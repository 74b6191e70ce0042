"""How each operation appears in the OpenAPI schema: its summary, its request body, its
responses with the headers they carry, and the errors it can give.

Each view takes its description with one decorator line, so the description follows
the view wherever its route goes: nothing here matches paths or reaches into
drf-spectacular's internals.
"""

from __future__ import annotations

from collections.abc import Iterable

from drf_spectacular.extensions import OpenApiViewExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import serializers

from tasks.api.idempotency import HEADER as IDEMPOTENCY_HEADER
from tasks.api.serializers import (
    ClearCompletedSerializer,
    CompletedCountSerializer,
    CompletedTaskSerializer,
    CompletionSerializer,
    SyncSerializer,
    TagCountSerializer,
    TaskSerializer,
)

# --- Bodies ---------------------------------------------------------------------------
ErrorSerializer = inline_serializer(
    name="Error",
    fields={"detail": serializers.CharField(help_text="A sentence to show to the user.")},
)
ValidationErrorSerializer = inline_serializer(
    name="ValidationError",
    fields={
        "detail": serializers.CharField(
            help_text='All messages in one sentence, e.g. "title: This field may not be blank."'
        ),
        # Absent when the body as a whole cannot be read (malformed JSON): there is no field to name.
        "errors": serializers.DictField(
            child=serializers.ListField(child=serializers.CharField()),
            required=False,
            help_text="Messages per field; nested fields are joined with dots (`tags.0`).",
        ),
    },
)
# Response components whose listed fields may be absent; in every other response
# component each field is always present (tasks.api.schema.require_fields_always_present).
OPTIONAL_RESPONSE_FIELDS = {"ValidationError": {"errors"}}

TokenPairSerializer = inline_serializer(
    name="TokenPair",
    fields={
        "access": serializers.CharField(help_text="Bearer token for the API."),
        "refresh": serializers.CharField(help_text="Exchange it at `/api/auth/token/refresh`."),
    },
)
AccessTokenSerializer = inline_serializer(
    name="AccessToken",
    fields={"access": serializers.CharField(help_text="A new bearer token for the API.")},
)

# --- Headers --------------------------------------------------------------------------
USER_ID = OpenApiParameter(
    "user_id",
    str,
    OpenApiParameter.PATH,
    description=(
        "The caller's own user id, or `me`. Any other user's id is a 403. An identity "
        "provider's user keeps the id its token names; a Django account's is `local:<pk>`."
    ),
)
IF_MATCH = OpenApiParameter(
    "If-Match",
    str,
    OpenApiParameter.HEADER,
    description="The task's `ETag` as you last read it: the write is refused (412) if it changed since.",
)
IF_NONE_MATCH = OpenApiParameter(
    "If-None-Match",
    str,
    OpenApiParameter.HEADER,
    description="The `ETag` of your cached copy: 304 with no body while it is current.",
)
IDEMPOTENCY_KEY = OpenApiParameter(
    IDEMPOTENCY_HEADER,
    # The rule tasks.api.idempotency enforces (400 otherwise).
    {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[!-~]+$"},
    OpenApiParameter.HEADER,
    description=(
        "Any unique string (1-255 visible ASCII characters). A retry with the same key and "
        "body, within 24 hours, gets the first response and changes nothing."
    ),
)


def _response_header(name: str, description: str, codes: Iterable[int]) -> OpenApiParameter:
    return OpenApiParameter(
        name, str, OpenApiParameter.HEADER, description=description, response=[str(code) for code in codes]
    )


def etag(*codes: int) -> OpenApiParameter:
    return _response_header(
        "ETag", "The task's version: send it back in `If-Match` or `If-None-Match`.", codes
    )


LINK = _response_header(
    "Link",
    'The next page, `<url>; rel="next"`, while more tasks remain; absent on the last page.',
    [200],
)


def idempotent_replayed(*codes: int) -> OpenApiParameter:
    return _response_header(
        "Idempotent-Replayed",
        "`true` when this is the stored response to an earlier request with the same `Idempotency-Key`.",
        codes,
    )


RETRY_AFTER = OpenApiParameter(
    "Retry-After",
    OpenApiTypes.INT,
    OpenApiParameter.HEADER,
    description="Seconds to wait before trying again.",
    response=["429", "503"],
)

# --- Errors ---------------------------------------------------------------------------
ERRORS: dict[int, tuple[object, str]] = {
    400: (ValidationErrorSerializer, "The request is invalid; `errors` says what, per field or parameter."),
    401: (ErrorSerializer, "No credentials, or a token that is invalid, expired or from the wrong issuer."),
    403: (ErrorSerializer, "The path names another user than the caller."),
    404: (ErrorSerializer, "No such task of this user."),
    412: (ErrorSerializer, "`If-Match` names a version of the task that is no longer current."),
    413: (ErrorSerializer, "The body is larger than the server accepts."),
    415: (ErrorSerializer, "The body is not JSON."),
    422: (ErrorSerializer, "This `Idempotency-Key` was used before with a different body."),
    429: (
        ErrorSerializer,
        "Too many requests, or (signing in) too many wrong passwords for this username from "
        "this address, or too many sign-ins at this moment; `Retry-After` says how many "
        "seconds to wait.",
    ),
    503: (
        ErrorSerializer,
        "The database is unreachable, the request ran past the statement timeout, or the "
        "identity provider's keys cannot be fetched to check the token; retry after "
        "`Retry-After` seconds.",
    ),
}
# Every operation can be throttled or meet an outage; every one under /api/{user_id}/
# needs credentials for that user.
ANY = (429, 503)
OWNER = (401, 403, *ANY)
WRITE_BODY = (400, 413, 415)


def _errors(codes: Iterable[int]) -> dict[int, OpenApiResponse]:
    return {
        code: OpenApiResponse(response=ERRORS[code][0], description=ERRORS[code][1]) for code in sorted(codes)
    }


def operation(
    *,
    summary: str,
    ok: dict[int, OpenApiResponse],
    errors: Iterable[int],
    parameters: Iterable[OpenApiParameter] = (),
    **kwargs,
):
    """One operation: its successful responses, its errors, and the headers of both."""
    return extend_schema(
        summary=summary,
        responses={**ok, **_errors(errors)},
        parameters=[*parameters, RETRY_AFTER],
        **kwargs,
    )


def _task(description: str = "The task.") -> OpenApiResponse:
    return OpenApiResponse(TaskSerializer, description=description)


# PUT leaves the fields it does not send unchanged (TaskViewSet.update), as PATCH does:
# the same body schema (`PatchedTaskRequest`), no field and no body required.
PARTIAL_TASK = TaskSerializer(partial=True)
NOT_MODIFIED = OpenApiResponse(description="Not modified: your copy (`If-None-Match`) is current.")

# --- Per view ------------------------------------------------------------------------
task_viewset = extend_schema_view(
    list=operation(
        summary="List tasks, newest first",
        ok={200: OpenApiResponse(TaskSerializer(many=True), description="One page of tasks.")},
        errors=(400, *OWNER),
        parameters=[USER_ID, LINK],
    ),
    create=operation(
        summary="Create a task",
        request=TaskSerializer,
        ok={201: _task("The new task (or, for a repeated `Idempotency-Key`, the first one).")},
        errors=(*WRITE_BODY, 422, *OWNER),
        parameters=[USER_ID, IDEMPOTENCY_KEY, etag(201), idempotent_replayed(201)],
    ),
    retrieve=operation(
        summary="Get a task",
        ok={200: _task(), 304: NOT_MODIFIED},
        errors=(404, *OWNER),
        parameters=[USER_ID, IF_NONE_MATCH, etag(200, 304)],
    ),
    update=operation(
        summary="Update a task (fields left out keep their values)",
        request=PARTIAL_TASK,
        ok={200: _task()},
        errors=(*WRITE_BODY, 404, 412, 422, *OWNER),
        parameters=[USER_ID, IF_MATCH, IDEMPOTENCY_KEY, etag(200), idempotent_replayed(200)],
    ),
    partial_update=operation(
        summary="Update some fields of a task",
        request=PARTIAL_TASK,
        ok={200: _task()},
        errors=(*WRITE_BODY, 404, 412, 422, *OWNER),
        parameters=[USER_ID, IF_MATCH, IDEMPOTENCY_KEY, etag(200), idempotent_replayed(200)],
    ),
    destroy=operation(
        summary="Delete a task",
        ok={204: OpenApiResponse(description="Deleted; no body.")},
        # 400: a malformed Idempotency-Key.
        errors=(400, 404, 412, 422, *OWNER),
        parameters=[USER_ID, IF_MATCH, IDEMPOTENCY_KEY, idempotent_replayed(204)],
    ),
)

complete = operation(
    summary="Complete, reopen or toggle a task",
    description=(
        'With `{"completed": true|false}` sets that state (repeating it changes nothing); '
        "with no body, toggles it. Completing a recurring task creates its next occurrence "
        "(one per completed occurrence, however often the request is repeated): the answer's "
        "`next_task`."
    ),
    request=CompletionSerializer,
    ok={200: OpenApiResponse(CompletedTaskSerializer, description="The task, with `next_task`.")},
    errors=(*WRITE_BODY, 404, 412, 422, *OWNER),
    parameters=[USER_ID, IF_MATCH, IDEMPOTENCY_KEY, etag(200), idempotent_replayed(200)],
)
# The browsable API links to `.../complete` with a GET: it answers the state (and the
# page offers the PATCH) rather than 405.
complete_page = operation(
    summary="Whether a task is completed",
    description="What the browsable API's page for completing a task shows; change it with PATCH.",
    ok={200: OpenApiResponse(CompletionSerializer, description="The task's state.")},
    errors=(404, *OWNER),
    parameters=[USER_ID],
)

clear_completed = operation(
    summary="Delete all completed tasks",
    request=None,
    ok={200: OpenApiResponse(ClearCompletedSerializer, description="How many were deleted.")},
    errors=(400, 422, *OWNER),
    parameters=[USER_ID, IDEMPOTENCY_KEY, idempotent_replayed(200)],
)

clear_completed_page = operation(
    summary="How many completed tasks there are",
    description="What the browsable API's page for clearing completed tasks shows; delete them with POST.",
    ok={200: OpenApiResponse(CompletedCountSerializer, description="The count.")},
    errors=OWNER,
    parameters=[USER_ID],
)

sync = operation(
    summary="Changes since the last sync",
    description=(
        "Without `since`: every task, and a token. With the `next` token of the previous "
        "sync: the tasks created or changed since then and the ids of those deleted. A "
        "change may be sent twice, never missed; apply `changed` as upserts, then `deleted`."
    ),
    ok={200: OpenApiResponse(SyncSerializer, description="The changes, and the next token.")},
    errors=(400, *OWNER),
    parameters=[
        USER_ID,
        OpenApiParameter("since", str, description="The `next` token of the previous sync."),
    ],
    filters=False,
)

tag_list = operation(
    summary="List the user's tags with their task counts",
    ok={200: OpenApiResponse(TagCountSerializer(many=True), description="The tags, by name.")},
    errors=OWNER,
    parameters=[USER_ID],
)


class TokenObtainDocs(OpenApiViewExtension):
    """`POST /api/auth/token` (simplejwt's view): its response is the token pair only."""

    target_class = "rest_framework_simplejwt.views.TokenObtainPairView"

    def view_replacement(self):
        @extend_schema(
            summary="Get a token pair for a username and password",
            responses={
                200: OpenApiResponse(TokenPairSerializer, description="Tokens."),
                **_errors((*WRITE_BODY, 401, *ANY)),
            },
            parameters=[RETRY_AFTER],
        )
        class Fixed(self.target_class):
            pass

        return Fixed


class TokenRefreshDocs(OpenApiViewExtension):
    """`POST /api/auth/token/refresh`: a new access token for a refresh token."""

    target_class = "rest_framework_simplejwt.views.TokenRefreshView"

    def view_replacement(self):
        @extend_schema(
            summary="Exchange a refresh token for a new access token",
            responses={
                200: OpenApiResponse(AccessTokenSerializer, description="A new access token."),
                **_errors((*WRITE_BODY, 401, *ANY)),
            },
            parameters=[RETRY_AFTER],
        )
        class Fixed(self.target_class):
            pass

        return Fixed
