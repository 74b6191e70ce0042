"""Django's trailing-slash redirect (`APPEND_SLASH`), for the pages people type into a
browser (`/admin`, `/api-auth/login`), and never for the API.

Under `/api/` (and `/mcp`) every path answers with or without the slash directly: a
redirected POST loses its body in most clients, and the earlier clients call the paths
without it.
"""

from __future__ import annotations

from django.middleware.common import CommonMiddleware

NEVER_REDIRECTED = ("/api/", "/mcp")


class CommonMiddlewareOutsideApi(CommonMiddleware):
    """Django's CommonMiddleware, whose slash redirect leaves the API's paths alone."""

    def should_redirect_with_slash(self, request) -> bool:
        path = request.path_info
        if path == "/api" or path.startswith(NEVER_REDIRECTED):
            return False
        return super().should_redirect_with_slash(request)
