"""A database that cannot answer is a JSON 503 with `Retry-After`, never a 500.

Two ways it happens: the database cannot be reached (down, restarting, the network),
or a statement ran past the statement timeout (DB_STATEMENT_TIMEOUT) and was
cancelled. Either way the client should retry shortly, and nothing about the request
itself was wrong. Django reconnects on the next request, so service resumes by itself.
"""

from __future__ import annotations

import logging

from django.db import InterfaceError, OperationalError, connection
from django.http import JsonResponse

from config import database_availability

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5
# SQLSTATE of a statement cancelled by statement_timeout (query_canceled).
QUERY_CANCELED = "57014"


def unavailable_detail(exc: BaseException | None) -> str | None:
    """What to tell the client when the database could not answer (and log it), or None
    for any other error."""
    if not isinstance(exc, OperationalError | InterfaceError):
        return None
    logger.warning("database could not answer: %s", str(exc).strip().partition("\n")[0])
    if getattr(exc.__cause__, "sqlstate", None) == QUERY_CANCELED:
        return "The request took too long and was stopped; try again shortly."
    if getattr(connection.connection, "broken", False):
        # The link died under this request (a restart, or packets lost for longer than
        # the TCP timeout): the requests queued behind it then wait only a moment for a
        # connection, rather than each the whole pool timeout.
        database_availability.mark_unreachable()
    return "The database is unavailable; try again shortly."


def unavailable_response(exc: BaseException | None) -> JsonResponse | None:
    """The 503 for a database that could not answer, or None for any other error."""
    detail = unavailable_detail(exc)
    if detail is None:
        return None
    response = JsonResponse({"detail": detail}, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


class DatabaseUnavailableMiddleware:
    """Turns a view's database outage or timeout (DRF's views and Django's alike) into the 503."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        return unavailable_response(exception)
