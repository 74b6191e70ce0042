"""The permission every route under `/api/{user_id}/` and every MCP tool shares."""

from rest_framework.permissions import BasePermission

from tasks.identity.principal import principal_id

ME = "me"


def names_the_caller(user_id: str | None, caller_id: str) -> bool:
    """A `user_id` the caller gave (the path's, an MCP tool's argument) names the caller:
    their own id or the alias `me`. The one check of it, for every way in."""
    return user_id in (ME, caller_id)


class IsPathOwner(BasePermission):
    """The `user_id` in the path must be the caller's own (or the alias `me`)."""

    message = "You may only access your own tasks."

    def has_permission(self, request, view) -> bool:
        return names_the_caller(view.kwargs.get("user_id"), principal_id(request.user))
