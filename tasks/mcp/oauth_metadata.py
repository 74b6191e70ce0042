"""How an MCP connector that signs users in with OAuth finds where to do it: the
protected resource metadata (RFC 9728) that the MCP authorization specification asks
for, and the 401 challenge on `/mcp` that points to it.

This service is the resource server only: the authorization server is the configured
identity provider (`AUTH_AUTHORIZATION_SERVER`, by default the token issuer
`AUTH_JWT_ISSUER`), whose access tokens the API already verifies.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.urls import reverse
from django.views.decorators.http import require_safe

from tasks.identity.auth import BearerTokenAuthentication

WELL_KNOWN = "/.well-known/oauth-protected-resource"


def mcp_resource(request: HttpRequest) -> str:
    """The resource identifier of the MCP endpoint, as clients reach it."""
    return request.build_absolute_uri(reverse("mcp"))


def mcp_metadata_url(request: HttpRequest) -> str:
    """RFC 9728, 3.1: the well-known path inserted before the resource's own path."""
    return request.build_absolute_uri(WELL_KNOWN + reverse("mcp"))


@require_safe
def protected_resource_metadata(request: HttpRequest, resource_path: str = "") -> JsonResponse:
    """`/.well-known/oauth-protected-resource[/mcp]`: the whole service, or `/mcp`."""
    resource = mcp_resource(request) if resource_path else request.build_absolute_uri("/").rstrip("/")
    metadata = {
        "resource": resource,
        "bearer_methods_supported": ["header"],
        "resource_name": "Tasks API",
        "resource_documentation": request.build_absolute_uri(reverse("swagger-ui")),
    }
    if settings.AUTH_AUTHORIZATION_SERVER:
        metadata["authorization_servers"] = [settings.AUTH_AUTHORIZATION_SERVER]
    response = JsonResponse(metadata)
    # Public and the same for everyone; a connector may keep it for a while.
    response["Cache-Control"] = "public, max-age=3600"
    return response


class McpBearerAuthentication(BearerTokenAuthentication):
    """The API's bearer tokens, with a challenge that also names the protected resource
    metadata (RFC 9728, 5.1), where an OAuth-only MCP client starts its sign-in."""

    def authenticate_header(self, request) -> str:
        return f'{super().authenticate_header(request)}, resource_metadata="{mcp_metadata_url(request)}"'
