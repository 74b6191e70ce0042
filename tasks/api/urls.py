"""`/api/{user_id}/...`: paths without a trailing slash, and never a redirect to one.

Every pattern is at this one level, the owner's id captured by each (rather than an
`include` under `<str:user_id>/`): Django tries each pattern of a level in turn and
builds a match per level, and these are the paths of nearly every request.
"""

from django.urls import re_path
from rest_framework.routers import SimpleRouter

from events.stream_view import EventStreamView
from events.views import WebhookViewSet
from tasks.api.viewsets import TagListView, TaskViewSet

OWNER = r"^(?P<user_id>[^/]+)/"

router = SimpleRouter()
# Both `/tasks` (the earlier clients' form) and `/tasks/` resolve directly.
router.trailing_slash = "/?"
router.register("tasks", TaskViewSet, basename="task")
router.register("webhooks", WebhookViewSet, basename="webhook")


def under_owner(pattern):
    """The router's `^tasks/...` pattern as `^{user_id}/tasks/...`, same view and name."""
    route = OWNER + pattern.pattern.regex.pattern.removeprefix("^")
    return re_path(route, pattern.callback, name=pattern.name)


urlpatterns = [
    *(under_owner(pattern) for pattern in router.urls),
    re_path(OWNER + r"tags/?$", TagListView.as_view(), name="tag-list"),
    re_path(OWNER + r"events/?$", EventStreamView.as_view(), name="event-stream"),
]
