"""JSON error pages for requests that never reach a DRF view (unknown paths, crashes)."""

from django.http import JsonResponse


def not_found(request, exception=None):
    return JsonResponse({"detail": "Not found."}, status=404)


def bad_request(request, exception=None):
    return JsonResponse({"detail": "Bad request."}, status=400)


def permission_denied(request, exception=None):
    return JsonResponse({"detail": "Permission denied."}, status=403)


def server_error(request):
    return JsonResponse({"detail": "Server error."}, status=500)
