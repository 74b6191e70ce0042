"""The permission every route under `/api/{user_id}/` and every MCP tool shares."""

from rest_framework.permissions import BasePermission

ME = "me"


def names_the_caller(user_id: str | None, caller_id: str) -> bool:
    """A `user_id` the caller gave (the path's, an MCP tool's argument) names the caller:
    their own id or the alias `me`. The one check of it, for every way in."""
    return user_id in (ME, caller_id)


class IsPathOwner(BasePermission):
    """The `user_id` in the path must be the caller's own (or the alias `me`).

    The caller is the view's `owner_id`, resolved once per request after authentication
    (tasks.api.base.ApiEndpoint, the base of every API view)."""

    message = "You may only access your own tasks."

    def has_permission(self, request, view) -> bool:
        caller = getattr(view, "owner_id", None)
        return caller is not None and names_the_caller(view.kwargs.get("user_id"), caller)
