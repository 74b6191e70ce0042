"""A request id on every request, response and log line, and logs as JSON lines."""

from __future__ import annotations

import contextvars
import json
import logging
import re
import time
import uuid

import orjson

REQUEST_ID_HEADER = "X-Request-ID"
# Accept a caller's id only if it is short and plain, so it cannot forge log lines.
_ACCEPTABLE_ID = re.compile(r"^[A-Za-z0-9._\-]{1,128}$")

current_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")


class RequestIdMiddleware:
    """Takes `X-Request-ID` from the caller (or makes one) and echoes it in the response."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = request_id_for(request.headers.get(REQUEST_ID_HEADER, ""))
        request.request_id = request_id
        token = current_request_id.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            current_request_id.reset(token)
        response[REQUEST_ID_HEADER] = request_id
        return response


def request_id_for(incoming: str) -> str:
    """The caller's id if it is acceptable, else a new one."""
    return incoming if _ACCEPTABLE_ID.match(incoming) else uuid.uuid4().hex


class RequestIdLogFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        request_id = current_request_id.get()
        if request_id == "-":
            # Django logs each 4xx/5xx ("Service Unavailable: /api/...") after the
            # middleware has returned, so outside the request's context; the record
            # carries the request itself.
            request_id = getattr(getattr(record, "request", None), "request_id", "-")
        record.request_id = request_id
        return True


class JsonLogFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id (and the error).

    Written by orjson (compact, UTF-8), with the time text made once per second: the
    access log writes a line per request, and json.dumps and strftime were most of its cost.
    """

    TIME_FORMAT = "%Y-%m-%dT%H:%M:%S%z"

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # (second, its text): one attribute, so that threads never see a mismatched pair.
        self._time_text: tuple[int, str] = (-1, "")

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.time_text(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
        }
        status_code = getattr(record, "status_code", None)
        if status_code:
            entry["status"] = status_code
        # Structured fields a logger passes as `extra={"fields": {...}}` (the access log's).
        fields = getattr(record, "fields", None)
        if fields:
            entry.update(fields)
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return dumps(entry)

    def time_text(self, record: logging.LogRecord) -> str:
        """The record's local time to the second, as formatTime(record, TIME_FORMAT) says it."""
        second = int(record.created)
        cached_second, text = self._time_text
        if second != cached_second:
            text = time.strftime(self.TIME_FORMAT, self.converter(second))
            self._time_text = (second, text)
        return text


def dumps(entry: dict) -> str:
    """The entry as one line of JSON; anything JSON has no type for as its str()."""
    try:
        return orjson.dumps(entry, default=str, option=orjson.OPT_NON_STR_KEYS).decode()
    except TypeError:  # what orjson refuses outright: an int past 64 bits, a nesting too deep
        return json.dumps(entry, default=str)
