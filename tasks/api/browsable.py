"""The browsable API (HTML for a developer's browser): links between tasks, a button
that completes or reopens the task shown, and one that clears the completed tasks.
JSON responses are not touched."""

from __future__ import annotations

from typing import Any

from django.middleware.csrf import get_token
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from rest_framework import status
from rest_framework.renderers import BrowsableAPIRenderer

TASK_KEYS = {"id", "user_id", "title", "completed"}
# Clearing takes no body: its page has a button instead of DRF's form (which would offer
# the answer's `deleted` as an input box).
CLEAR_ACTIONS = {"clear_completed", "clear_completed_page"}


class TaskBrowsableAPIRenderer(BrowsableAPIRenderer):
    """DRF's browsable API, where each task shown carries a `url` (a link in the page) and
    a task's own page has a button to complete or reopen it (`PATCH .../complete`)."""

    def get_content(self, renderer, data, accepted_media_type, renderer_context):
        view = renderer_context["view"]
        request = renderer_context["request"]
        user_id = getattr(view, "kwargs", {}).get("user_id")
        if user_id is not None:
            data = with_links(data, lambda task_id: _absolute(request, "task-detail", user_id, task_id))
        return super().get_content(renderer, data, accepted_media_type, renderer_context)

    def get_context(self, data, accepted_media_type, renderer_context):
        context = super().get_context(data, accepted_media_type, renderer_context)
        view = renderer_context["view"]
        response = renderer_context["response"]
        if (
            response.status_code == status.HTTP_200_OK
            and getattr(view, "action", None) in {"retrieve", "complete", "complete_page"}
            and isinstance(data, dict)
            and "completed" in data
        ):
            url = reverse("task-complete", kwargs={key: view.kwargs[key] for key in ("user_id", "task_id")})
            context["description"] += completion_button(url, completed=data["completed"])
        if response.status_code == status.HTTP_200_OK and getattr(view, "action", None) in CLEAR_ACTIONS:
            url = reverse("task-clear-completed", kwargs={"user_id": view.kwargs["user_id"]})
            context["description"] += clear_completed_button(
                url, count=data.get("completed_tasks", 0), csrf_token=get_token(renderer_context["request"])
            )
        return context

    def get_rendered_html_form(self, data, view, method, request):
        if getattr(view, "action", None) in CLEAR_ACTIONS:
            return None
        return super().get_rendered_html_form(data, view, method, request)

    def get_raw_data_form(self, data, view, method, request):
        if getattr(view, "action", None) in CLEAR_ACTIONS:
            return None
        return super().get_raw_data_form(data, view, method, request)


def with_links(data: Any, url_for) -> Any:
    """A copy of a task (or a list of tasks) with `url` after `id`; anything else as it is."""
    if _is_task(data):
        linked = {}
        for key, value in data.items():
            linked[key] = value
            if key == "id":
                linked["url"] = url_for(value)
        return linked
    if isinstance(data, list) and data and all(_is_task(item) for item in data):
        return [with_links(item, url_for) for item in data]
    return data


def completion_button(url: str, *, completed: bool) -> str:
    """A form that the browsable API's script sends as `PATCH url` with `completed`."""
    return format_html(
        '<form class="complete-task" action="{}" data-method="PATCH">'
        '<input type="hidden" name="completed" value="{}">'
        '<button type="submit" class="btn btn-{}">{}</button></form>',
        url,
        "false" if completed else "true",
        "default" if completed else "success",
        "Reopen this task" if completed else "Mark this task completed",
    )


def clear_completed_button(url: str, *, count: int, csrf_token: str) -> str:
    """A plain form that POSTs to `url` with only its CSRF token (the session's)."""
    if not count:
        return mark_safe('<p class="clear-completed">No completed tasks to delete.</p>')  # noqa: S308 - a constant
    return format_html(
        '<form class="clear-completed" action="{}" method="POST">'
        '<input type="hidden" name="csrfmiddlewaretoken" value="{}">'
        '<button type="submit" class="btn btn-danger">Delete the {} completed task{}</button></form>',
        url,
        csrf_token,
        count,
        "" if count == 1 else "s",
    )


def _is_task(data: Any) -> bool:
    return isinstance(data, dict) and data.keys() >= TASK_KEYS


def _absolute(request, name: str, user_id: str, task_id: str) -> str:
    return request.build_absolute_uri(reverse(name, kwargs={"user_id": user_id, "task_id": task_id}))
