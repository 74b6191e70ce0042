"""The MCP tools: the names, arguments and results of the hackathon's Phase III chatbot.

Each tool acts for the caller that `tasks.mcp.views` authenticated (`CALLER`), through
the owner-scoped task store (`tasks.data.store`) that the REST API uses, and validates its
input with `TaskSerializer`, as the REST API does. A refusal (bad arguments, an unknown
or foreign task) is a `ToolError`: the client gets a result with `isError` and the
message, never a protocol error. So is a database outage, said to be temporary: MCP
puts a failing dependency among tool execution errors, which the model reads and can
act on (retry), where a JSON-RPC error or an HTTP 503 goes to the host application,
which most hosts show as a broken connection without retrying.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from contextvars import ContextVar
from typing import Annotated, Any, Literal
from uuid import UUID

import orjson
from asgiref.sync import sync_to_async
from django import forms
from django.db import DatabaseError
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult, TextContent
from pydantic import Field
from rest_framework.exceptions import APIException, ValidationError

from config.middleware.outages import RETRY_AFTER_SECONDS, unavailable_detail
from config.version import VERSION
from tasks.api import task_json
from tasks.api.errors import flatten_errors, from_data_layer, summary
from tasks.api.fields import MAX_TAGS_PER_TASK
from tasks.api.filters import TagNamesField
from tasks.api.list_parameters import STATUS_COMPLETED
from tasks.api.parameter_bounds import SEARCH_MAX_LENGTH
from tasks.api.serializers import TaskSerializer
from tasks.data.errors import Refused
from tasks.data.store import TaskStore
from tasks.data.task_list import DEFAULT_LIMIT, MAX_LIMIT
from tasks.identity.permissions import names_the_caller
from tasks.models import TAG_MAX_LENGTH, Priority, Task

# The authenticated principal's user id, set by the view around one MCP exchange. The
# SDK runs a tool in tasks spawned for that exchange, which inherit this context.
CALLER: ContextVar[str] = ContextVar("mcp_caller")

server = MCPServer(
    name="tasks",
    version=VERSION,
    instructions=(
        "Manage the signed-in user's to-do tasks: add, list, complete, update and delete them. "
        "Every tool acts only for the user whose token made the request; task ids are UUIDs "
        "as add_task and list_tasks return them."
    ),
)

TaskId = Annotated[UUID, Field(description="The task's id (a UUID), as add_task or list_tasks returned it.")]
UserId = Annotated[
    str | None,
    Field(
        description=(
            "Optional. The signed-in user's own id, or `me`; leave it out to act for the signed-in user. "
            "Any other user's id is refused."
        )
    ),
]
Title = Annotated[str, Field(description="What is to be done: 1 to 255 characters.")]
Description = Annotated[str | None, Field(description="Longer notes, up to 10,000 characters.")]
PriorityName = Literal["none", "low", "medium", "high"]
Tags = Annotated[
    list[Annotated[str, Field(max_length=TAG_MAX_LENGTH)]] | None,
    Field(
        description=f"Labels for the task, at most {MAX_TAGS_PER_TASK}; on update they replace its tags.",
        max_length=MAX_TAGS_PER_TASK,
    ),
]
DueAt = Annotated[
    str | None,
    Field(description="When the task is due: RFC 3339 with a UTC offset, e.g. `2026-12-01T17:00:00+01:00`."),
]


Recurrence = Annotated[
    str | None,
    Field(
        description=(
            "How the task repeats (it needs a due_at, whose day and time it keeps): `daily`, `weekdays`, "
            '`weekly`, `monthly`, `yearly`, or an RFC 5545 RRULE. "Every weekday at 9": due_at at 09:00 '
            'local time with `weekdays`; "every Monday": `FREQ=WEEKLY;BYDAY=MO`; "on the last day of '
            'each month": `FREQ=MONTHLY;BYMONTHDAY=-1`; "10 times": add `;COUNT=10`. On update, '
            "an empty string stops it repeating."
        )
    ),
]
TimeZone = Annotated[
    str | None,
    Field(
        description=(
            "The IANA time zone of the task's wall clock, e.g. `Europe/Berlin` (default `UTC`): "
            "a task repeating at 09:00 stays at 09:00 there across DST changes."
        )
    ),
]
RepeatFromName = Annotated[
    Literal["due", "completion"] | None,
    Field(
        description=(
            "`due` (default): the next due date follows the schedule; `completion`: one interval "
            'after the task is done ("water the plants 3 days after I last did").'
        )
    ),
]
RemindAt = Annotated[
    str | None,
    Field(
        description="When to remind the user: RFC 3339 with a UTC offset, e.g. `2026-12-01T08:30:00+01:00`."
    ),
]


def _acting_for(user_id: str | None) -> TaskStore:
    """The caller's store; `user_id`, when given, must name the caller."""
    caller = CALLER.get()
    if user_id not in (None, "") and not names_the_caller(user_id, caller):
        raise ToolError("user_id must be your own user id or `me`: you can only manage your own tasks.")
    return TaskStore(caller)


def _in_request_thread(work: Callable[..., Any]) -> Callable[..., Any]:
    """Run the synchronous body in the request's own thread (and so on its database
    connection), and turn the API's refusals into tool errors with the API's message."""

    @functools.wraps(work)
    async def tool(**arguments):
        try:
            try:
                return await sync_to_async(work, thread_sensitive=True)(**arguments)
            except Refused as exc:
                raise from_data_layer(exc) from None
        except ValidationError as exc:
            raise ToolError(summary(flatten_errors(exc.detail))) from None
        except APIException as exc:
            raise ToolError(str(exc.detail)) from None
        except DatabaseError as exc:
            detail = unavailable_detail(exc)
            if detail is None:
                raise
            raise ToolError(
                f"Temporarily unavailable, retry in {RETRY_AFTER_SECONDS} seconds. {detail}"
            ) from None

    return tool


def _validated(data: dict[str, Any], *, partial: bool = False, context=None) -> dict[str, Any]:
    """The fields given, checked and converted by TaskSerializer as the REST API does."""
    serializer = TaskSerializer(data=data, partial=partial, context=context or {})
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


# The list's filters read as the REST list reads its query string (tasks.api.filters).
SEARCH_FIELD = forms.CharField(required=False, max_length=SEARCH_MAX_LENGTH)
TAG_FIELD = TagNamesField(required=False)


def _checked(name: str, field: forms.Field, value: Any) -> Any:
    try:
        return field.clean(value)
    except forms.ValidationError as exc:
        raise ToolError(f"{name}: {' '.join(exc.messages)}") from None


def _given(**fields: Any) -> dict[str, Any]:
    return {name: value for name, value in fields.items() if value is not None}


def _outcome(task: Task, status: str) -> dict[str, Any]:
    return {"task_id": str(task.pk), "status": status, "title": task.title}


@server.tool(description="Add a task for the signed-in user. Returns its id, `created` and its title.")
@_in_request_thread
def add_task(
    title: Title,
    description: Description = None,
    priority: Annotated[
        PriorityName | None, Field(description="How important it is (default `none`).")
    ] = None,
    tags: Tags = None,
    due_at: DueAt = None,
    recurrence: Recurrence = None,
    time_zone: TimeZone = None,
    repeat_from: RepeatFromName = None,
    remind_at: RemindAt = None,
    user_id: UserId = None,
) -> dict[str, Any]:
    store = _acting_for(user_id)
    fields = _validated(
        _given(
            title=title,
            description=description,
            priority=priority,
            tags=tags,
            due_at=due_at,
            recurrence=recurrence,
            time_zone=time_zone,
            repeat_from=repeat_from,
            remind_at=remind_at,
        )
    )
    return _outcome(store.create(**fields), "created")


@server.tool(
    description=(
        "List the signed-in user's tasks, newest first, as the REST API returns them: "
        "id, title, description, completed, priority, tags, due_at and timestamps."
    )
)
@_in_request_thread
def list_tasks(
    status: Annotated[
        Literal["all", "pending", "completed"],
        Field(description="`pending` for open tasks, `completed` for done ones, `all` for both."),
    ] = "all",
    search: Annotated[
        str | None, Field(description="Only tasks whose title or description contains this.")
    ] = None,
    tag: Annotated[
        list[str] | None, Field(description="Only tasks that carry every one of these tags.")
    ] = None,
    priority: Annotated[PriorityName | None, Field(description="Only tasks of this priority.")] = None,
    recurring: Annotated[
        bool | None,
        Field(description="`true` for repeating tasks only (with a `recurrence`), `false` for one-off ones."),
    ] = None,
    limit: Annotated[int, Field(ge=1, le=MAX_LIMIT, description="At most this many tasks.")] = DEFAULT_LIMIT,
    user_id: UserId = None,
) -> Annotated[CallToolResult, list[dict[str, Any]]]:
    store = _acting_for(user_id)
    page = store.list(
        completed=STATUS_COMPLETED[status],
        recurring=recurring,
        search=_checked("search", SEARCH_FIELD, search) or None,
        tags=_checked("tag", TAG_FIELD, tag),
        priority=Priority.values[Priority.labels.index(priority)] if priority else None,
        limit=limit,
        columns=task_json.COLUMNS,
    )
    tasks = [task_json.task_as_json(row) for row in page.rows]
    # One text block holding the JSON array the REST API would send (`[]` when there are
    # none), rather than the SDK's default of one block per task and none for no tasks.
    return CallToolResult(
        content=[TextContent(type="text", text=orjson.dumps(tasks).decode())],
        structured_content={"result": tasks},
    )


@server.tool(
    description=(
        "Mark a task as completed. Returns its id, `completed` and its title; repeating it changes nothing. "
        "For a recurring task it also creates the next occurrence and returns `next_task_id` and "
        "`next_due_at` (null when the series has ended)."
    ),
)
@_in_request_thread
def complete_task(task_id: TaskId, user_id: UserId = None) -> dict[str, Any]:
    task, next_task = _acting_for(user_id).completion(task_id, True)
    outcome = _outcome(task, "completed")
    if task.recurrence is not None:
        outcome["next_task_id"] = None if next_task is None else str(next_task.pk)
        outcome["next_due_at"] = (
            None if next_task is None else task_json.task_as_json(task_json.task_row(next_task))["due_at"]
        )
    return outcome


@server.tool(description="Delete a task for good. Returns its id, `deleted` and the title it had.")
@_in_request_thread
def delete_task(task_id: TaskId, user_id: UserId = None) -> dict[str, Any]:
    return _outcome(_acting_for(user_id).delete(task_id), "deleted")


@server.tool(
    description=(
        "Change a task's title, description, priority, tags, due time, recurrence, time zone or reminder; "
        "fields left out keep their values. Returns its id, `updated` and its title."
    )
)
@_in_request_thread
def update_task(
    task_id: TaskId,
    title: Annotated[str | None, Field(description="A new title: 1 to 255 characters.")] = None,
    description: Description = None,
    priority: Annotated[PriorityName | None, Field(description="A new priority.")] = None,
    tags: Tags = None,
    due_at: DueAt = None,
    recurrence: Recurrence = None,
    time_zone: TimeZone = None,
    repeat_from: RepeatFromName = None,
    remind_at: RemindAt = None,
    user_id: UserId = None,
) -> dict[str, Any]:
    store = _acting_for(user_id)
    changes = _given(
        title=title,
        description=description,
        priority=priority,
        tags=tags,
        due_at=due_at,
        recurrence=recurrence,
        time_zone=time_zone,
        repeat_from=repeat_from,
        remind_at=remind_at,
    )
    if not changes:
        raise ToolError("Nothing to update: give a title, description, priority, tags, due_at or recurrence.")
    if changes.get("recurrence") == "":
        changes["recurrence"] = None
    context = {"current_task": lambda: store.get(task_id)}
    return _outcome(store.update(task_id, **_validated(changes, partial=True, context=context)), "updated")
