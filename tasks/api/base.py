"""The one base class of the API's views, the way Sentry's `Endpoint` owns its dispatch.

Every DRF view of the project (the task and webhook viewsets, the tag list, the event
stream, MCP) derives from `ApiEndpoint`; tests/test_api_endpoint_base.py fails for a view
that does not. The base does once what every view would otherwise repeat per request:

- who is calling: the principal id is resolved once, right after authentication, and
  kept on the view as `owner_id`; the path's owner check (IsPathOwner), the store, the
  idempotency keys and the views all read that one value;
- which renderer: `Accept: */*`, `application/json` or none (what API clients send)
  picks the JSON renderer without DRF's parsing of the header; anything else, and
  `?format=`, goes through DRF's negotiation as before (browsable API, 406);
- the stateless policies (authenticators, permissions, parsers, the negotiator) are
  built once per list of classes and shared, not instantiated for every request.
  Throttles keep DRF's per-request instances: they hold the request's history and
  timestamps. Renderers too, but for the shared JSON one above: the browsable API's
  renderer keeps the request it renders on itself.
"""

from __future__ import annotations

from functools import cache

from django.utils.functional import cached_property
from rest_framework.permissions import IsAuthenticated
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from tasks.api.parameter_bounds import BoundedQueryMixin
from tasks.data.store import TaskStore
from tasks.identity.permissions import IsPathOwner
from tasks.identity.principal import principal_id

# What API clients send (or nothing: DRF reads a missing header as `*/*`). Each picks the
# first renderer when that one is JSON, exactly as DRF's negotiation would.
JSON_ACCEPTS = frozenset({None, "*/*", "application/json"})
JSON_MEDIA_TYPE = "application/json"


# (view class, its route's methods) -> DRF's default response headers.
_default_headers: dict[tuple, dict[str, str]] = {}


@cache
def shared_instances(classes: tuple[type, ...]) -> tuple:
    """One instance of each class, made on first use and shared by every request that
    names the same classes (for policies that keep no state of their own)."""
    return tuple(policy() for policy in classes)


class ApiEndpoint(APIView):
    """What every API view shares: the caller resolved once, JSON without negotiating,
    stateless policies built once."""

    # The authenticated caller's principal id, set once per request by
    # perform_authentication. None until then and for an anonymous caller: a store of
    # None holds no rows, and IsPathOwner lets no one in (drf-spectacular describes the
    # views on instances that never authenticate, and reads only their querysets' model).
    owner_id: str | None = None

    def perform_authentication(self, request) -> None:
        user = request.user
        self.owner_id = principal_id(user) if user.is_authenticated else None

    def perform_content_negotiation(self, request, force=False):
        renderer_classes = self.renderer_classes
        if (
            request.META.get("HTTP_ACCEPT") in JSON_ACCEPTS
            and getattr(self, "format_kwarg", None) is None
            and renderer_classes
            and renderer_classes[0].media_type == JSON_MEDIA_TYPE
            and api_settings.URL_FORMAT_OVERRIDE not in request.query_params
        ):
            return shared_instances((renderer_classes[0],))[0], JSON_MEDIA_TYPE
        return super().perform_content_negotiation(request, force)

    @property
    def default_response_headers(self) -> dict[str, str]:
        # DRF's (Allow, and Vary: Accept when there is a choice of renderers), which depend
        # only on the class and the route's methods: worked out once for each.
        key = (type(self), tuple(getattr(self, "action_map", ())))
        headers = _default_headers.get(key)
        if headers is None:
            headers = _default_headers[key] = super().default_response_headers
        return dict(headers)

    def get_authenticators(self):
        return shared_instances(tuple(self.authentication_classes))

    def get_permissions(self):
        return shared_instances(tuple(self.permission_classes))

    def get_parsers(self):
        return shared_instances(tuple(self.parser_classes))

    def get_content_negotiator(self):
        return shared_instances((self.content_negotiation_class,))[0]


class OwnerScopedEndpoint(BoundedQueryMixin, ApiEndpoint):
    """Views under `/api/{user_id}/`: only the owner gets in (the path's user id, or `me`,
    checked once by IsPathOwner against `owner_id`), sees only their own rows, and asks
    with a query string within its bounds."""

    permission_classes = [IsAuthenticated, IsPathOwner]

    @cached_property
    def store(self) -> TaskStore:
        """The caller's tasks: every read and write of them goes through it."""
        return TaskStore(self.owner_id)
