"""OpenAPI: the bearer-token scheme, and the error responses every operation can give."""

from __future__ import annotations

import copy

from drf_spectacular.contrib.django_filters import DjangoFilterExtension
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import force_instance, is_serializer
from drf_spectacular.utils import OpenApiParameter, inline_serializer
from rest_framework import serializers
from rest_framework_simplejwt.views import TokenViewBase

ErrorSerializer = inline_serializer(
    name="Error",
    fields={
        "detail": serializers.CharField(help_text="A sentence to show to the user."),
    },
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

ERRORS = {
    "400": (ValidationErrorSerializer, "The request is invalid; `errors` says what, per field or parameter."),
    "401": (ErrorSerializer, "No credentials, or a token that is invalid, expired or from the wrong issuer."),
    "403": (ErrorSerializer, "The path names another user than the caller."),
    "404": (ErrorSerializer, "No such task of this user."),
    "413": (ErrorSerializer, "The body is larger than the server accepts."),
    "415": (ErrorSerializer, "The body is not JSON (or form data)."),
    "412": (ErrorSerializer, "`If-Match` names a version of the task that is no longer current."),
    "422": (ErrorSerializer, "This `Idempotency-Key` was used before with a different body."),
    "429": (ErrorSerializer, "Too many requests; `Retry-After` says how many seconds to wait."),
    "503": (
        ErrorSerializer,
        "The database is unreachable, or the request ran past the statement timeout; "
        "retry after `Retry-After` seconds.",
    ),
}
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
    "Idempotency-Key",
    # The rule tasks.idempotency enforces (400 otherwise).
    {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[!-~]+$"},
    OpenApiParameter.HEADER,
    description=(
        "Any unique string (1-255 visible ASCII characters). A retry with the same key and "
        "body, within 24 hours, gets the first response and changes nothing."
    ),
)
WRITE_METHODS = {"POST", "PUT", "PATCH"}


class TasksAutoSchema(AutoSchema):
    """Adds the shared error responses to every operation that can give them."""

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for code in self._error_codes():
            if code not in responses:
                serializer, description = ERRORS[code]
                responses[code] = self._get_response_for_code(serializer, code)
                responses[code]["description"] = description
        if self._is_task_operation() and self.method == "GET":
            responses.setdefault(
                "304", {"description": "Not modified: your copy (If-None-Match) is current."}
            )
        return responses

    def get_override_parameters(self):
        parameters = list(super().get_override_parameters())
        if self._is_task_operation():
            if self.method == "GET":
                parameters.append(IF_NONE_MATCH)
            elif self.method in {"PUT", "PATCH", "DELETE"}:
                parameters.append(IF_MATCH)
        if self.method == "POST" and self.path.startswith("/api/{user_id}/"):
            parameters.append(IDEMPOTENCY_KEY)
        return parameters

    def get_request_serializer(self):
        serializer = super().get_request_serializer()
        if self.method == "PUT" and is_serializer(serializer):
            # PUT leaves the fields it does not send unchanged (TaskViewSet.update), as
            # PATCH does: the same body schema, no field and no body required.
            serializer = copy.copy(force_instance(serializer))
            serializer.partial = True
        return serializer

    def _is_task_operation(self) -> bool:
        return self.path.rstrip("/").endswith(("{task_id}", "{task_id}/complete"))

    def _error_codes(self) -> list[str]:
        codes = []
        if self.method in WRITE_METHODS or self._is_list_view() or self._has_query_parameters():
            codes.append("400")
        if self.get_auth():
            codes += ["401", "403"]
        elif self._is_token_endpoint():
            codes.append("401")
        if "{task_id}" in self.path:
            codes.append("404")
            if self.method in {"PUT", "PATCH", "DELETE"}:
                codes.append("412")
        if self.method == "POST" and self.path.startswith("/api/{user_id}/"):
            codes.append("422")
        if self.method in WRITE_METHODS:
            codes += ["413", "415"]
        codes += ["429", "503"]
        return codes

    def _has_query_parameters(self) -> bool:
        """A query parameter that cannot be read is a 400 naming it (e.g. sync's `since`)."""
        return any(
            isinstance(parameter, OpenApiParameter) and parameter.location == OpenApiParameter.QUERY
            for parameter in self.get_override_parameters()
        )

    def _is_token_endpoint(self) -> bool:
        """`POST /api/auth/token` and its refresh answer 401 to wrong credentials or a bad token."""
        return isinstance(self.view, TokenViewBase)


class DocumentedFilterExtension(DjangoFilterExtension):
    """django-filter parameters whose schema is overridden (`extend_schema_field`) keep
    their `help_text` as the description, which drf-spectacular would otherwise drop.
    An empty value (`?priority=`) means no filter, as django-filter reads it, so the
    parameters say `allowEmptyValue`."""

    priority = 1

    def resolve_filter_field(self, auto_schema, model, filterset_class, field_name, filter_field):
        parameters = super().resolve_filter_field(
            auto_schema, model, filterset_class, field_name, filter_field
        )
        help_text = filter_field.extra.get("help_text")
        for parameter in parameters:
            if help_text and not parameter.get("description"):
                parameter["description"] = str(help_text)
            parameter["allowEmptyValue"] = True
        return parameters


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "tasks.auth.BearerTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": (
                "A JWT from `POST /api/auth/token`, or one from the configured identity "
                "provider (HS256 with a shared secret, or RS256/ES256/EdDSA from a JWKS URL)."
            ),
        }


def document_paths_without_trailing_slash(result, generator, request, public):
    """The routes accept `/tasks` and `/tasks/`; the documented form is the one the
    earlier clients use, without the slash."""
    result["paths"] = {
        (path.rstrip("/") if path != "/" else path): item for path, item in result["paths"].items()
    }
    return result
