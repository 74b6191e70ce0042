"""One error format for every failure: `{"detail": "...", "errors": {...}}`.

`detail` is a sentence the earlier clients display as it is; validation errors add
`errors`, the messages per field (nested fields joined with dots).
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from rest_framework import exceptions
from rest_framework.views import exception_handler as drf_exception_handler

from tasks.api.json_format import RequestTooLarge
from tasks.api.preconditions import PreconditionFailed
from tasks.data.errors import InvalidArgument, TaskNotFound, VersionMismatch


def exception_handler(exc, context):
    exc = _from_django(from_data_layer(exc))
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        errors = flatten_errors(response.data)
        response.data = {"detail": summary(errors), "errors": errors}
    elif isinstance(response.data, dict) and "detail" in response.data:
        response.data = {"detail": str(response.data["detail"])}
    return response


def from_data_layer(exc):
    """The data layer's refusals as the API answers them: 404, 412, or a 400 naming the
    parameter."""
    if isinstance(exc, TaskNotFound):
        return exceptions.NotFound(exc.message)
    if isinstance(exc, VersionMismatch):
        return PreconditionFailed()
    if isinstance(exc, InvalidArgument):
        return exceptions.ValidationError({exc.argument: [exc.message]})
    return exc


def _from_django(exc):
    """Django's own refusals of a body (raised when DRF reads `request.body`, before any
    parser sees it) are client errors like any other, in the same format."""
    if isinstance(exc, RequestDataTooBig):
        return RequestTooLarge(f"Request body is larger than {settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes.")
    if isinstance(exc, TooManyFieldsSent | TooManyFilesSent):
        return exceptions.ParseError(str(exc))
    return exc


def flatten_errors(data, prefix: str = "") -> dict[str, list[str]]:
    """{"tags": {0: ["Too long."]}} -> {"tags.0": ["Too long."]}; a bare list is `non_field_errors`."""
    if isinstance(data, dict):
        flat: dict[str, list[str]] = {}
        for key, value in data.items():
            flat.update(flatten_errors(value, f"{prefix}.{key}" if prefix else str(key)))
        return flat
    if isinstance(data, list) and data and all(isinstance(item, (dict, list)) for item in data):
        flat = {}
        for index, value in enumerate(data):
            flat.update(flatten_errors(value, f"{prefix}.{index}" if prefix else str(index)))
        return flat
    messages = data if isinstance(data, list) else [data]
    return {prefix or "non_field_errors": [str(message) for message in messages]}


def summary(errors: dict[str, list[str]]) -> str:
    parts = []
    for field, messages in errors.items():
        text = " ".join(messages)
        parts.append(text if field == "non_field_errors" else f"{field}: {text}")
    return "; ".join(parts) or "Invalid input."
