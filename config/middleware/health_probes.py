"""`/healthz` and `/readyz` answered whatever the request's Host.

A platform probes its instances at their internal addresses (`10.0.3.7:8000`), which no
`ALLOWED_HOSTS` lists: Django would refuse such a probe with a 400 and log an ERROR
with a traceback for each. This middleware answers the two probe paths before anything
reads the Host header (CommonMiddleware, the SSL redirect, CSRF). They return only a
status, so no Host-derived URL can leak from them; every other path still checks Host.
"""

from __future__ import annotations

from django.urls import get_resolver

from config import health

PROBES = {"/healthz": "healthz", "/readyz": "readyz"}


class HealthProbeMiddleware:
    """Serves the probes itself (GET and HEAD), ahead of the Host check."""

    def __init__(self, get_response):
        self.get_response = get_response
        # The probes no longer pass through the URLconf, which Django would otherwise
        # import (with DRF, the views and the MCP server) on the first probe: import it
        # now, as the worker starts, so that the first request after "ready" is not
        # the one that pays for it.
        get_resolver().url_patterns  # noqa: B018 - the import is the point

    def __call__(self, request):
        probe = PROBES.get(request.path_info)
        if probe is not None and request.method in ("GET", "HEAD"):
            return getattr(health, probe)(request)
        return self.get_response(request)
