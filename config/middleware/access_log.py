"""One JSON line per request: what was asked, the answer, how long it took, and by whom.

Only the method and the path are logged, never the query string (a client may put a
token there), the headers or the body. `ACCESS_LOG=0` turns it off.
"""

from __future__ import annotations

import logging
import time

from django.conf import settings
from django.utils.functional import SimpleLazyObject, empty

from tasks.identity.principal import principal_id

logger = logging.getLogger("tasks.access")


class AccessLogMiddleware:
    """Writes the access line after the response is made (inside RequestIdMiddleware)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        if settings.ACCESS_LOG and logger.isEnabledFor(logging.INFO):
            duration_ms = round((time.perf_counter() - started) * 1000, 1)
            method, path, status = request.method, request.path, response.status_code
            # The record made directly: logger.info() would first walk the stack to find
            # its caller, which is always this method.
            record = logger.makeRecord(
                logger.name,
                logging.INFO,
                __file__,
                0,
                "%s %s %s",
                (method, path, status),
                None,
                func="__call__",
                extra={
                    "fields": {
                        "method": method,
                        "path": path,
                        "status": status,
                        "duration_ms": duration_ms,
                        "request_id": getattr(request, "request_id", None),
                        "principal": _principal(request),
                    }
                },
            )
            logger.handle(record)
        return response


def _principal(request) -> str | None:
    """The authenticated caller's id, if the request got as far as authenticating."""
    user = request.__dict__.get("user")
    # Django's lazy session user, never looked at by the view: reading it now would cost
    # a session query just for the log. `_wrapped`/`empty` are private to Django (kept:
    # nothing public tells an evaluated lazy object from one that is not);
    # tests/test_private_apis.py fails if they change.
    if user is None or (isinstance(user, SimpleLazyObject) and user._wrapped is empty):
        return None
    return principal_id(user) if user.is_authenticated else None
