"""The API's paths resolve to their views at the top of the URLconf, captured owner
included, and the paths listed after them still reach their own views."""

from __future__ import annotations

import pytest
from django.urls import resolve, reverse

API_PATHS = [
    ("/api/u1/tasks", "task-list", {"user_id": "u1"}),
    ("/api/u1/tasks/", "task-list", {"user_id": "u1"}),
    ("/api/me/tasks/clear-completed", "task-clear-completed", {"user_id": "me"}),
    ("/api/me/tasks/sync", "task-sync", {"user_id": "me"}),
    ("/api/u1/tasks/abc", "task-detail", {"user_id": "u1", "task_id": "abc"}),
    ("/api/u1/tasks/abc/complete/", "task-complete", {"user_id": "u1", "task_id": "abc"}),
    ("/api/u1/webhooks", "webhook-list", {"user_id": "u1"}),
    ("/api/u1/webhooks/7", "webhook-detail", {"user_id": "u1", "webhook_id": "7"}),
    ("/api/u1/webhooks/7/deliveries", "webhook-deliveries", {"user_id": "u1", "webhook_id": "7"}),
    ("/api/u1/tags", "tag-list", {"user_id": "u1"}),
    ("/api/u1/events/", "event-stream", {"user_id": "u1"}),
    # Owner ids that look like the other /api/ paths are still owners here.
    ("/api/auth/tasks", "task-list", {"user_id": "auth"}),
    ("/api/docs/tags", "tag-list", {"user_id": "docs"}),
]

OTHER_PATHS = [
    ("/api/auth/token", "token-obtain"),
    ("/api/auth/token/refresh/", "token-refresh"),
    ("/api/schema", "schema"),
    ("/api/docs/", "swagger-ui"),
    ("/api/redoc", "redoc"),
    ("/mcp", "mcp"),
    ("/healthz", "healthz"),
    ("/admin/", "admin:index"),
]


@pytest.mark.parametrize(("path", "view_name", "kwargs"), API_PATHS)
def test_api_paths_resolve_with_the_owner_captured(path, view_name, kwargs):
    match = resolve(path)

    assert (match.view_name, match.kwargs) == (view_name, kwargs)


@pytest.mark.parametrize(("path", "view_name"), OTHER_PATHS)
def test_the_paths_after_the_api_reach_their_own_views(path, view_name):
    assert resolve(path).view_name == view_name


def test_reversed_api_paths_are_the_paths_clients_call():
    assert reverse("task-list", kwargs={"user_id": "me"}) == "/api/me/tasks"
    complete = reverse("task-complete", kwargs={"user_id": "u1", "task_id": "abc"})
    assert complete == "/api/u1/tasks/abc/complete"
    assert reverse("tag-list", kwargs={"user_id": "u1"}) == "/api/u1/tags"
