"""What the data layer refuses. The API (tasks.api.errors) and the MCP tools turn each
into their own answer: 404, 412 and 400 for REST, a tool error for MCP."""

from __future__ import annotations


class Refused(Exception):
    """Something the data layer will not do, through no fault of its own."""


class TaskNotFound(Refused):
    """A malformed id, a missing task and another user's task look the same."""

    message = "Task not found"

    def __str__(self) -> str:
        return self.message


class VersionMismatch(Refused):
    """A conditional write named versions the task no longer has."""

    message = "The task has changed since you read it; fetch it again and retry."

    def __str__(self) -> str:
        return self.message


class InvalidArgument(Refused, ValueError):
    """An argument of a selector that cannot be used (an unknown ordering, a forged
    cursor); `argument` names it as the caller's parameter of the same name."""

    def __init__(self, argument: str, message: str) -> None:
        super().__init__(message)
        self.argument = argument
        self.message = message
