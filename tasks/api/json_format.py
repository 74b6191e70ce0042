"""JSON in and out with orjson: faster, and strict where the standard library is lax."""

from __future__ import annotations

import orjson
from django.conf import settings
from rest_framework import status
from rest_framework.exceptions import APIException, ParseError
from rest_framework.parsers import JSONParser
from rest_framework.renderers import JSONRenderer
from rest_framework.utils.encoders import JSONEncoder

from tasks.api.json_depth import TooDeeplyNested, check_depth


class RequestTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "Request body is too large."
    default_code = "request_too_large"


class FastJSONRenderer(JSONRenderer):
    """Compact JSON via orjson; indented output (the browsable API's) goes the usual way.

    A view's `json_options` (orjson flags, e.g. OPT_UTC_Z for the task views, whose data
    carries datetimes and UUIDs for orjson to write) apply to its responses; indented
    output first turns those values into the same strings, so both spell them alike."""

    _fallback = JSONEncoder().default

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        renderer_context = renderer_context or {}
        options = getattr(renderer_context.get("view"), "json_options", 0)
        if self.get_indent(accepted_media_type or "", renderer_context):
            if options:
                data = plain_json(data, options)
            return super().render(data, accepted_media_type, renderer_context)
        return orjson.dumps(data, default=self._fallback, option=options)


def plain_json(data, options: int):
    """`data` with the values orjson writes natively (datetimes, UUIDs) as the strings it
    writes for them under `options`: what can be stored in a JSON column."""
    return orjson.loads(orjson.dumps(data, default=FastJSONRenderer._fallback, option=options))


class StrictJSONParser(JSONParser):
    """Refuses bodies over the size limit (413), NaN, invalid UTF-8, lone surrogates and
    nesting deeper than MAX_JSON_DEPTH, each as a clear 4xx rather than a crash later."""

    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        body = stream.read(limit + 1)
        if len(body) > limit:
            raise RequestTooLarge(f"Request body is larger than {limit} bytes.")
        try:
            data = orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            raise ParseError(f"JSON parse error - {exc}") from None
        try:
            check_depth(body, data)
        except TooDeeplyNested as exc:
            raise ParseError(str(exc)) from None
        return data
