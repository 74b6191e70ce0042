"""Django's own log line for an error answer ("Service Unavailable: /api/..."), written
after the middleware has returned, still carries the request's id."""

from __future__ import annotations

import json
import logging

from django.test import RequestFactory

from config.middleware.request_id import JsonLogFormatter, RequestIdLogFilter


def formatted(record: logging.LogRecord) -> dict:
    RequestIdLogFilter().filter(record)
    return json.loads(JsonLogFormatter().format(record))


def test_a_line_logged_outside_the_request_takes_the_id_from_the_request_it_names():
    request = RequestFactory().get("/api/me/tasks")
    request.request_id = "probe-503"
    record = logging.LogRecord(
        "django.request", logging.ERROR, __file__, 1, "Service Unavailable: %s", ("/x",), None
    )
    record.request = request
    record.status_code = 503

    assert formatted(record)["request_id"] == "probe-503"


def test_a_line_with_no_request_at_all_says_so():
    record = logging.LogRecord("tasks", logging.WARNING, __file__, 1, "no request here", (), None)

    assert formatted(record)["request_id"] == "-"
