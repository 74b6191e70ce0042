from django.contrib import admin
from django.urls import include, path, re_path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework_simplejwt.views import TokenObtainPairView, TokenRefreshView

from config import health
from config.docs_pages import same_origin_only
from tasks.mcp.oauth_metadata import protected_resource_metadata
from tasks.mcp.views import McpView

handler400 = "config.errors.bad_request"
handler403 = "config.errors.permission_denied"
handler404 = "config.errors.not_found"
handler500 = "config.errors.server_error"

# Every /api/ path answers with or without a trailing slash (`/?$`), never by a redirect:
# a redirected POST loses its body in most clients.
urlpatterns = [
    # First: nearly every request is one of these, and Django tries the patterns in order.
    # No path below matches one of them (their second segment is never tasks, webhooks,
    # tags or events after an owner id).
    path("api/", include("tasks.api.urls")),
    path("", RedirectView.as_view(url="/api/docs", permanent=False)),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("admin/", admin.site.urls),
    path("api-auth/", include("rest_framework.urls")),
    re_path(r"^api/auth/token/?$", TokenObtainPairView.as_view(), name="token-obtain"),
    re_path(r"^api/auth/token/refresh/?$", TokenRefreshView.as_view(), name="token-refresh"),
    re_path(r"^api/schema/?$", SpectacularAPIView.as_view(), name="schema"),
    re_path(
        r"^api/docs/?$",
        same_origin_only(SpectacularSwaggerView.as_view(url_name="schema")),
        name="swagger-ui",
    ),
    re_path(
        r"^api/redoc/?$",
        same_origin_only(SpectacularRedocView.as_view(url_name="schema", template_name="tasks/redoc.html")),
        name="redoc",
    ),
    # MCP (Streamable HTTP) for AI assistants: the task tools, with the API's bearer tokens.
    # `/mcp/` too, never by a redirect (a redirected POST loses its body).
    re_path(r"^mcp/?$", McpView.as_view(), name="mcp"),
    # OAuth protected resource metadata (RFC 9728) for MCP connectors: the service, and /mcp.
    re_path(
        r"^\.well-known/oauth-protected-resource(?P<resource_path>/mcp)?/?$",
        protected_resource_metadata,
        name="oauth-protected-resource",
    ),
]
