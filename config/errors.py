"""JSON error pages for requests that never reach a DRF view (unknown paths, crashes)."""

import sys

from django.http import JsonResponse

from config.middleware.outages import unavailable_response


def not_found(request, exception=None):
    return JsonResponse({"detail": "Not found."}, status=404)


def bad_request(request, exception=None):
    return JsonResponse({"detail": "Bad request."}, status=400)


def permission_denied(request, exception=None):
    return JsonResponse({"detail": "Permission denied."}, status=403)


def server_error(request):
    # A database outage met outside a view (a middleware's session or user lookup) is
    # still the retryable 503; views' own are answered by DatabaseUnavailableMiddleware.
    return unavailable_response(sys.exc_info()[1]) or JsonResponse({"detail": "Server error."}, status=500)
