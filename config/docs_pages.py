"""The API's documentation pages (Swagger UI, ReDoc) load nothing from outside this server.

Their assets are bundled (drf-spectacular-sidecar), but ReDoc's bundle still shows
Redocly's logo from a CDN. A Content-Security-Policy that allows only this origin makes
the browser refuse such a request before it leaves (ReDoc then hides the image), so the
pages work offline and tell no third party who reads the docs.
"""

from __future__ import annotations

from functools import wraps

POLICY = "; ".join(
    [
        "default-src 'self'",
        # data: for the icons the bundles inline; blob: for ReDoc's search worker.
        "img-src 'self' data:",
        "worker-src 'self' blob:",
        # Both pages start their viewer with a short inline script, and the viewers style
        # themselves inline.
        "script-src 'self' 'unsafe-inline'",
        "style-src 'self' 'unsafe-inline'",
        "font-src 'self' data:",
        "connect-src 'self'",
    ]
)


def same_origin_only(view):
    """Serve `view`'s page under a policy that allows requests to this origin only."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        response["Content-Security-Policy"] = POLICY
        return response

    return wrapped
