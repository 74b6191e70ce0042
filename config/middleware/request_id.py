"""A request id on every request, response and log line, and logs as JSON lines."""

from __future__ import annotations

import contextvars
import json
import logging
import re
import uuid

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
    """One JSON object per line: time, level, logger, message, request id (and the error)."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
        }
        status_code = getattr(record, "status_code", None)
        if status_code:
            entry["status"] = status_code
        # Structured fields a logger passes as `extra={"fields": {...}}` (the access log's).
        entry.update(getattr(record, "fields", None) or {})
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)
