"""Everything under /api/ answers JSON, whatever DEBUG says.

With DEBUG on, Django answers an unknown path or a crash with its HTML debug page
(the JSON handlers in config.errors serve only when DEBUG is off). API clients show
such a page as "Request failed"; they need the error format of every other response.
"""

from __future__ import annotations

from http import HTTPStatus

from django.http import JsonResponse
from rest_framework.response import Response

API_PREFIX = "/api/"
DETAILS = {
    HTTPStatus.NOT_FOUND: "Not found.",
    HTTPStatus.METHOD_NOT_ALLOWED: "Method not allowed.",
    HTTPStatus.INTERNAL_SERVER_ERROR: "Server error.",
}


class ApiJsonErrorsMiddleware:
    """Turns an error page that did not come from a DRF view into `{"detail": ...}`.

    DRF's own responses are left alone: they already speak JSON, or HTML to a browser
    that asked for the browsable API."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            response.status_code >= 400
            and request.path_info.startswith(API_PREFIX)
            and not isinstance(response, Response)
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            return self.as_json(response)
        return response

    @staticmethod
    def as_json(response) -> JsonResponse:
        status = HTTPStatus(response.status_code)
        json_response = JsonResponse({"detail": DETAILS.get(status, status.phrase + ".")}, status=status)
        # Headers that say how to go on (e.g. Allow on a 405) stay.
        for header in ("Allow", "Retry-After", "WWW-Authenticate"):
            if header in response:
                json_response[header] = response[header]
        return json_response
