"""The task API: thin viewsets over the owner-scoped task store (tasks.data.store)."""

from __future__ import annotations

from collections.abc import Mapping

from django.db.models import QuerySet
from rest_framework import generics, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from tasks.api import api_docs, idempotency, preconditions, task_json
from tasks.api.base import OwnerScopedEndpoint
from tasks.api.filters import TaskFilter, list_arguments
from tasks.api.pagination import KeysetPagination
from tasks.api.serializers import (
    ClearCompletedSerializer,
    CompletionSerializer,
    SyncSerializer,
    TagCountSerializer,
    TaskSerializer,
)
from tasks.data.sync import delta_since
from tasks.models import Tag, Task


@api_docs.task_viewset
class TaskViewSet(OwnerScopedEndpoint, viewsets.ModelViewSet):
    """A user's tasks."""

    serializer_class = TaskSerializer
    filterset_class = TaskFilter
    json_options = task_json.RENDER_OPTIONS  # task_fields' datetimes and UUIDs
    pagination_class = KeysetPagination
    lookup_url_kwarg = "task_id"

    def get_queryset(self) -> QuerySet[Task]:
        return self.store.tasks()

    def get_object(self) -> Task:
        """The caller's task named in the path (one query)."""
        task = self.store.get(self.kwargs[self.lookup_url_kwarg])
        self.check_object_permissions(self.request, task)
        return task

    def get_serializer_context(self):
        context = super().get_serializer_context()
        if self.lookup_url_kwarg in self.kwargs:
            # For the checks of a recurring task's schedule, when an update leaves out part
            # of it: the task as it is (one query, made only then).
            context["current_task"] = lambda: self.store.get(self.kwargs[self.lookup_url_kwarg])
        return context

    def list(self, request, *args, **kwargs):
        arguments = list_arguments(request.query_params)
        if isinstance(request.accepted_renderer, JSONRenderer):
            # The hot path: plain rows, formatted by tasks.api.task_json.
            page = self.store.list(**arguments, columns=task_json.COLUMNS)
            data = [task_json.task_fields(row) for row in page.rows]
        else:
            page = self.store.list(**arguments)
            data = self.get_serializer(page.rows, many=True).data
        return self.paginator.response(request, data, page.next_cursor)

    def task_data(self, task: Task) -> dict:
        if isinstance(self.request.accepted_renderer, JSONRenderer):
            return task_json.task_fields(task_json.task_row(task))
        # DRF's ReturnDict, which names its serializer: the browsable API's form reads it.
        return TaskSerializer(task, context=self.get_serializer_context()).data

    def task_response(self, task: Task, status_code: int = status.HTTP_200_OK) -> Response:
        return Response(self.task_data(task), status=status_code, headers={"ETag": task.etag})

    def retrieve(self, request, *args, **kwargs):
        task = self.get_object()
        if "If-None-Match" in request.headers and preconditions.is_not_modified(request, task.etag):
            return Response(status=status.HTTP_304_NOT_MODIFIED, headers={"ETag": task.etag})
        return self.task_response(task)

    def create(self, request, *args, **kwargs):
        def create_task() -> Response:
            serializer = self.get_serializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            task = self.store.create(**serializer.validated_data)
            return self.task_response(task, status.HTTP_201_CREATED)

        return idempotency.run_once(request, user_id=self.owner_id, work=create_task)

    def update(self, request, *args, **kwargs):
        # PUT leaves omitted fields unchanged (partial), as the earlier backend's clients expect.
        def update_task() -> Response:
            serializer = self.get_serializer(data=request.data, partial=True)
            serializer.is_valid(raise_exception=True)
            task = self.store.update(
                self.kwargs[self.lookup_url_kwarg],
                if_match=request.headers.get("If-Match"),
                **serializer.validated_data,
            )
            return self.task_response(task)

        return idempotency.run_once(request, user_id=self.owner_id, work=update_task)

    def destroy(self, request, *args, **kwargs):
        def delete_task() -> Response:
            self.store.delete(self.kwargs[self.lookup_url_kwarg], if_match=request.headers.get("If-Match"))
            return Response(status=status.HTTP_204_NO_CONTENT)

        return idempotency.run_once(request, user_id=self.owner_id, work=delete_task)

    @api_docs.complete
    @action(detail=True, methods=["patch"], serializer_class=CompletionSerializer)
    def complete(self, request, *args, **kwargs):
        """Complete or reopen this task: PATCH {"completed": true} (or false); with no body,
        PATCH toggles it."""

        def complete_task() -> Response:
            task, next_task = self.store.completion(
                self.kwargs[self.lookup_url_kwarg],
                requested_completion(request.data),
                if_match=request.headers.get("If-Match"),
            )
            response = self.task_response(task)
            # A recurring task's next occurrence, created by this completion (SPEC 11).
            response.data["next_task"] = None if next_task is None else self.task_data(next_task)
            return response

        # With a key, a retried toggle replays the first answer instead of toggling back.
        return idempotency.run_once(request, user_id=self.owner_id, work=complete_task)

    @api_docs.complete_page
    @complete.mapping.get
    def complete_page(self, request, *args, **kwargs):
        """The browsable API links here with a GET: show the task's state and offer the PATCH
        (with `completed` prefilled) rather than answer 405."""
        return Response({"completed": self.get_object().completed})

    @api_docs.clear_completed
    @action(
        detail=False, methods=["post"], url_path="clear-completed", serializer_class=ClearCompletedSerializer
    )
    def clear_completed(self, request, *args, **kwargs):
        """Delete all of this user's completed tasks at once: POST, with no body. The answer
        says how many were deleted; a GET says how many there are now, and deletes nothing."""

        def clear() -> Response:
            return Response({"deleted": self.store.clear_completed()})

        return idempotency.run_once(request, user_id=self.owner_id, work=clear)

    @api_docs.clear_completed_page
    @clear_completed.mapping.get
    def clear_completed_page(self, request, *args, **kwargs):
        """The browsable API links here with a GET: say what the POST would delete, and offer
        it, rather than answer 405."""
        return Response({"completed_tasks": self.store.completed_count()})

    @api_docs.sync
    @action(
        detail=False,
        methods=["get"],
        serializer_class=SyncSerializer,
        filter_backends=[],
        pagination_class=None,
    )
    def sync(self, request, *args, **kwargs):
        delta = delta_since(self.store, token=request.query_params.get("since"))
        context = self.get_serializer_context()
        return Response(
            {
                "changed": TaskSerializer(delta.changed, many=True, context=context).data,
                "deleted": delta.deleted,
                "next": delta.next_token,
            }
        )


def requested_completion(data) -> bool | None:
    """The state a completion's body asks for; None, to toggle, when it names none. An
    empty body (the usual toggle) has nothing to validate, and skips the serializer."""
    if isinstance(data, Mapping) and not data:
        return None
    body = CompletionSerializer(data=data)
    body.is_valid(raise_exception=True)
    return body.validated_data.get("completed")


@api_docs.tag_list
class TagListView(OwnerScopedEndpoint, mixins.ListModelMixin, generics.GenericAPIView):
    """A user's tags, each with how many of their tasks carry it."""

    serializer_class = TagCountSerializer
    pagination_class = None
    filter_backends: list = []

    def get_queryset(self) -> QuerySet[Tag]:
        return self.store.tags_with_counts()

    def get(self, request, *args, **kwargs):
        return self.list(request, *args, **kwargs)
