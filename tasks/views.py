"""The task API: thin viewsets over the owner-scoped querysets and the services."""

from __future__ import annotations

from uuid import UUID

from django.db import transaction
from django.db.models import QuerySet
from rest_framework import generics, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from tasks import api_docs, idempotency, preconditions, representation, services
from tasks.filters import TaskFilter
from tasks.models import Tag, Task
from tasks.pagination import KeysetPagination
from tasks.permissions import IsPathOwner
from tasks.principal import principal_id
from tasks.serializers import (
    ClearCompletedSerializer,
    CompletionSerializer,
    SyncSerializer,
    TagCountSerializer,
    TaskSerializer,
)
from tasks.sync import delta_since


class OwnerScopedMixin:
    """Views under `/api/{user_id}/`: only the owner gets in, and sees only their own rows."""

    permission_classes = [IsAuthenticated, IsPathOwner]

    @property
    def owner_id(self) -> str:
        return principal_id(self.request.user)


@api_docs.task_viewset
class TaskViewSet(OwnerScopedMixin, viewsets.ModelViewSet):
    """A user's tasks."""

    serializer_class = TaskSerializer
    filterset_class = TaskFilter
    pagination_class = KeysetPagination
    lookup_url_kwarg = "task_id"

    def get_queryset(self) -> QuerySet[Task]:
        # The only place tasks are looked up: every action below goes through it.
        return Task.objects.for_owner(self.owner_id)

    def get_object(self, *, for_update: bool = False) -> Task:
        """The caller's task named in the path; locked for the rest of the transaction
        when `for_update`, so that a precondition checked on it still holds at the write."""
        task_id = self.kwargs[self.lookup_url_kwarg]
        try:
            UUID(task_id)
        except ValueError:
            raise NotFound(f"Task not found: {task_id!r} is not a task id.") from None
        queryset = self.get_queryset()
        if for_update:
            queryset = queryset.select_for_update(of=("self",))
        try:
            task = queryset.get(pk=task_id)  # get() drops the list ordering: a plain key lookup
        except Task.DoesNotExist:
            raise NotFound("Task not found") from None
        self.check_object_permissions(self.request, task)
        return task

    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())
        if isinstance(request.accepted_renderer, JSONRenderer):
            # The hot path: plain rows, formatted by tasks.representation.
            page = self.paginate_queryset(queryset.values(*representation.COLUMNS))
            return self.get_paginated_response([representation.task_as_json(row) for row in page])
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def task_response(self, task: Task, status_code: int = status.HTTP_200_OK) -> Response:
        if isinstance(self.request.accepted_renderer, JSONRenderer):
            data = representation.task_as_json(representation.task_row(task))
        else:
            data = TaskSerializer(task, context=self.get_serializer_context()).data
        return Response(data, status=status_code, headers={"ETag": task.etag})

    def retrieve(self, request, *args, **kwargs):
        task = self.get_object()
        if preconditions.is_not_modified(request, task):
            return Response(status=status.HTTP_304_NOT_MODIFIED, headers={"ETag": task.etag})
        return self.task_response(task)

    def create(self, request, *args, **kwargs):
        def create_task() -> Response:
            serializer = self.get_serializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            task = serializer.save(user_id=self.owner_id)
            return self.task_response(task, status.HTTP_201_CREATED)

        return idempotency.run_once(request, user_id=self.owner_id, work=create_task)

    @transaction.atomic
    def update(self, request, *args, partial: bool = True, **kwargs):
        # PUT leaves omitted fields unchanged (partial), as the earlier backend's clients expect.
        task = self.get_object(for_update=True)
        preconditions.require_current(request, task)
        serializer = self.get_serializer(task, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        return self.task_response(serializer.save())

    @transaction.atomic
    def destroy(self, request, *args, **kwargs):
        task = self.get_object(for_update=True)
        preconditions.require_current(request, task)
        task.delete()
        return Response(status=status.HTTP_204_NO_CONTENT)

    @api_docs.complete
    @action(detail=True, methods=["patch"], serializer_class=CompletionSerializer)
    @transaction.atomic
    def complete(self, request, *args, **kwargs):
        """Complete or reopen this task: PATCH {"completed": true} (or false); with no body,
        PATCH toggles it."""
        body = CompletionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        task = self.get_object(for_update=True)
        preconditions.require_current(request, task)
        services.set_completion(task, body.validated_data.get("completed"))
        return self.task_response(task)

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
        def clear() -> Response:
            return Response({"deleted": services.clear_completed(user_id=self.owner_id)})

        return idempotency.run_once(request, user_id=self.owner_id, work=clear)

    @api_docs.sync
    @action(
        detail=False,
        methods=["get"],
        serializer_class=SyncSerializer,
        filter_backends=[],
        pagination_class=None,
    )
    def sync(self, request, *args, **kwargs):
        delta = delta_since(user_id=self.owner_id, token=request.query_params.get("since"))
        context = self.get_serializer_context()
        return Response(
            {
                "changed": TaskSerializer(delta.changed, many=True, context=context).data,
                "deleted": delta.deleted,
                "next": delta.next_token,
            }
        )


@api_docs.tag_list
class TagListView(OwnerScopedMixin, mixins.ListModelMixin, generics.GenericAPIView):
    """A user's tags, each with how many of their tasks carry it."""

    serializer_class = TagCountSerializer
    pagination_class = None
    filter_backends: list = []

    def get_queryset(self) -> QuerySet[Tag]:
        return Tag.objects.for_owner(self.owner_id).with_counts()

    def get(self, request, *args, **kwargs):
        return self.list(request, *args, **kwargs)
