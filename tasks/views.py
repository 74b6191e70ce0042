"""The task API: thin viewsets over the owner-scoped querysets and the services."""

from __future__ import annotations

from uuid import UUID

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import generics, mixins, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from tasks import services
from tasks.filters import TaskFilter
from tasks.models import Tag, Task
from tasks.pagination import KeysetPagination
from tasks.permissions import IsPathOwner
from tasks.principal import principal_id
from tasks.serializers import (
    ClearCompletedSerializer,
    CompletionSerializer,
    TagCountSerializer,
    TaskSerializer,
)

USER_ID_PARAMETER = OpenApiParameter(
    "user_id",
    str,
    OpenApiParameter.PATH,
    description="The caller's own user id, or `me`. Any other user's id is a 403.",
)


class OwnerScopedMixin:
    """Views under `/api/{user_id}/`: only the owner gets in, and sees only their own rows."""

    permission_classes = [IsAuthenticated, IsPathOwner]

    @property
    def owner_id(self) -> str:
        return principal_id(self.request.user)


@extend_schema_view(
    list=extend_schema(summary="List tasks, newest first", parameters=[USER_ID_PARAMETER]),
    create=extend_schema(summary="Create a task", parameters=[USER_ID_PARAMETER]),
    retrieve=extend_schema(summary="Get a task", parameters=[USER_ID_PARAMETER]),
    update=extend_schema(
        summary="Update a task (fields left out keep their values)", parameters=[USER_ID_PARAMETER]
    ),
    partial_update=extend_schema(summary="Update some fields of a task", parameters=[USER_ID_PARAMETER]),
    destroy=extend_schema(summary="Delete a task", parameters=[USER_ID_PARAMETER]),
)
class TaskViewSet(OwnerScopedMixin, viewsets.ModelViewSet):
    """A user's tasks."""

    serializer_class = TaskSerializer
    filterset_class = TaskFilter
    pagination_class = KeysetPagination
    lookup_url_kwarg = "task_id"

    def get_queryset(self) -> QuerySet[Task]:
        # The only place tasks are looked up: every action below goes through it.
        return Task.objects.for_owner(self.owner_id).with_tags()

    def get_object(self) -> Task:
        task_id = self.kwargs[self.lookup_url_kwarg]
        try:
            UUID(task_id)
        except ValueError:
            raise NotFound(f"Task not found: {task_id!r} is not a task id.") from None
        task = self.get_queryset().filter(pk=task_id).first()
        if task is None:
            raise NotFound("Task not found")
        self.check_object_permissions(self.request, task)
        return task

    def perform_create(self, serializer) -> None:
        serializer.save(user_id=self.owner_id)

    def update(self, request, *args, **kwargs):
        # PUT leaves omitted fields unchanged, as the earlier backend's clients expect.
        kwargs["partial"] = True
        return super().update(request, *args, **kwargs)

    @extend_schema(
        summary="Complete, reopen or toggle a task",
        description=(
            'With `{"completed": true|false}` sets that state (repeating it changes nothing); '
            "with no body, toggles it."
        ),
        request=CompletionSerializer,
        responses=TaskSerializer,
        parameters=[USER_ID_PARAMETER],
    )
    @action(detail=True, methods=["patch"], serializer_class=CompletionSerializer)
    def complete(self, request, *args, **kwargs):
        task = self.get_object()
        body = CompletionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.set_completion(task, body.validated_data.get("completed"))
        return Response(TaskSerializer(task, context=self.get_serializer_context()).data)

    @extend_schema(
        summary="Delete all completed tasks",
        request=None,
        responses=ClearCompletedSerializer,
        parameters=[USER_ID_PARAMETER],
    )
    @action(
        detail=False, methods=["post"], url_path="clear-completed", serializer_class=ClearCompletedSerializer
    )
    def clear_completed(self, request, *args, **kwargs):
        deleted = services.clear_completed(user_id=self.owner_id)
        return Response({"deleted": deleted})


@extend_schema(summary="List the user's tags with their task counts", parameters=[USER_ID_PARAMETER])
class TagListView(OwnerScopedMixin, mixins.ListModelMixin, generics.GenericAPIView):
    """A user's tags, each with how many of their tasks carry it."""

    serializer_class = TagCountSerializer
    pagination_class = None
    filter_backends: list = []

    def get_queryset(self) -> QuerySet[Tag]:
        return Tag.objects.for_owner(self.owner_id).with_counts()

    def get(self, request, *args, **kwargs):
        return self.list(request, *args, **kwargs)
