from rest_framework.permissions import BasePermission

from tasks.identity.principal import principal_id

ME = "me"


class IsPathOwner(BasePermission):
    """The `user_id` in the path must be the caller's own (or the alias `me`)."""

    message = "You may only access your own tasks."

    def has_permission(self, request, view) -> bool:
        path_user_id = view.kwargs.get("user_id")
        return path_user_id in (ME, principal_id(request.user))
