"""`/api/{user_id}/...`: paths without a trailing slash, and never a redirect to one."""

from django.urls import include, path, re_path
from rest_framework.routers import SimpleRouter

from events.stream_view import EventStreamView
from events.views import WebhookViewSet
from tasks.api.viewsets import TagListView, TaskViewSet

router = SimpleRouter()
# Both `/tasks` (the earlier clients' form) and `/tasks/` resolve directly.
router.trailing_slash = "/?"
router.register("tasks", TaskViewSet, basename="task")
router.register("webhooks", WebhookViewSet, basename="webhook")

urlpatterns = [
    re_path(r"^(?P<user_id>[^/]+)/tags/?$", TagListView.as_view(), name="tag-list"),
    re_path(r"^(?P<user_id>[^/]+)/events/?$", EventStreamView.as_view(), name="event-stream"),
    path("<str:user_id>/", include(router.urls)),
]
