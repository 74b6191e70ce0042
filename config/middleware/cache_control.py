"""`Cache-Control: private, no-store` on the JSON answered to a signed-in caller, and on
the token endpoints' answers (they carry credentials; RFC 6749 asks for no-store).

A user's tasks must never be kept by a shared cache (a proxy, a CDN) nor written to a
browser's disk. Clients revalidate with the task's ETag themselves (`If-None-Match`
gives 304), which needs no stored response.
"""

from __future__ import annotations

from django.utils.functional import SimpleLazyObject, empty

PRIVATE = "private, no-store"
TOKEN_PATHS = "/api/auth/"


class PrivateCacheControlMiddleware:
    """Marks JSON answers (and their 304s) to an authenticated request, unless the view
    said otherwise."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            "Cache-Control" not in response
            and (
                response.status_code == 304 or response.get("Content-Type", "").startswith("application/json")
            )
            and (request.path.startswith(TOKEN_PATHS) or _authenticated(request))
        ):
            response["Cache-Control"] = PRIVATE
        return response


def _authenticated(request) -> bool:
    """Whether the request was authenticated (DRF puts its user on the Django request),
    without loading a session user that nothing looked at."""
    user = request.__dict__.get("user")
    if user is None or (isinstance(user, SimpleLazyObject) and user._wrapped is empty):
        return False
    return bool(user.is_authenticated)
