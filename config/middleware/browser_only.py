"""API calls with a bearer token go past the middleware only a browser needs.

A call with `Authorization: Bearer ...` brings its credentials itself. It has no session
or CSRF cookie to read, no messages to show, and no page to put in a frame: neither a
frame's navigation nor a cross-site form can set that header (a script on another
origin needs a CORS preflight, which only the allowed origins pass). For such a call
the middleware between `BrowserOnlyStart` and `BrowserOnlyEnd` in settings.MIDDLEWARE
(sessions, CSRF, Django's auth, messages, X-Frame-Options, the sign-in lockout) would
only cost time: it goes straight to what follows `BrowserOnlyEnd`. DRF's bearer
authentication puts the caller on the request, as AuthenticationMiddleware would have.

Everything else goes through all of it: calls without a bearer token (the browsable
API, session-authenticated calls), and, whatever they carry, the pages that sign
people in (`/admin/`, `/api-auth/`, the token endpoints, where the lockout answers).
Host validation (CommonMiddleware), the security headers, CORS, the request id and the
access log sit outside the two markers, so every response keeps them. Django still
calls CsrfViewMiddleware.process_view for every view; DRF's views are exempt, so for
them it returns at once, and any other view keeps its CSRF check.

The markers stay apart in settings.MIDDLEWARE, with Django's own middleware listed
between them by name, so Django's system checks (admin, `check --deploy`) still see it.
"""

from __future__ import annotations

import threading

from django.core.exceptions import ImproperlyConfigured

# The pages that sign people in keep the whole chain, even with a bearer token.
ALWAYS_BROWSER = ("/admin", "/api-auth/", "/api/auth/")

# Django builds the chain from the innermost middleware out, in one go: the end marker
# is made just before the middleware between the markers, then the start marker.
_built = threading.local()


def carries_bearer_token(request) -> bool:
    """`Authorization: Bearer ...`, the scheme in any case (as tasks.identity.auth reads it)."""
    parts = request.META.get("HTTP_AUTHORIZATION", "").split(None, 1)
    return bool(parts) and parts[0].lower() == "bearer"


class BrowserOnlyEnd:
    """Marks where the browser-only middleware ends."""

    def __init__(self, get_response):
        self.get_response = get_response
        _built.end = self

    def __call__(self, request):
        return self.get_response(request)


class BrowserOnlyStart:
    """Sends a bearer-token API call past the middleware up to `BrowserOnlyEnd`."""

    def __init__(self, get_response):
        self.get_response = get_response
        end = getattr(_built, "end", None)
        if end is None:
            raise ImproperlyConfigured("BrowserOnlyStart needs a BrowserOnlyEnd after it in MIDDLEWARE.")
        _built.end = None
        self.past_browser_only = end.get_response

    def __call__(self, request):
        if carries_bearer_token(request) and not request.path_info.startswith(ALWAYS_BROWSER):
            return self.past_browser_only(request)
        return self.get_response(request)
