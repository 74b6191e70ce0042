"""The list parameters of the hackathon's Phase II contract, `status`, `sort` and `order`,
read as the native `completed` and `ordering` they stand for.

A request may use either vocabulary, or both when they agree; where they disagree, or
a value is not one of the contract's, it is a 400 that names the parameter.
"""

from __future__ import annotations

from collections.abc import Mapping

from rest_framework.exceptions import ValidationError

STATUS_COMPLETED = {"all": None, "pending": False, "completed": True}
# Each sort key: the field it orders by, and its direction when `order` is left out.
SORT_KEYS = {"created": ("created_at", "desc"), "title": ("title", "asc"), "due_date": ("due_at", "asc")}
ORDERS = ("asc", "desc")
DEFAULT_SORT = "created"

STATUS_HELP = "pending (open tasks), completed, or all; another name for completed."
SORT_HELP = (
    "created (newest first), title (A-Z) or due_date (soonest first, tasks with no due "
    "date last); another name for ordering."
)
ORDER_HELP = (
    "asc (oldest, A-Z or soonest first) or desc, for sort; tasks with no due date stay last either way."
)


def completed_for_status(status: str, completed: bool | None) -> bool | None:
    """The `completed` filter that `status` asks for; `completed` is the native parameter,
    None when it was not given."""
    if status not in STATUS_COMPLETED:
        raise ValidationError(
            {"status": [f"Unknown status {status!r}; use one of {', '.join(STATUS_COMPLETED)}."]}
        )
    wanted = STATUS_COMPLETED[status]
    if completed is not None and completed != wanted:
        raise ValidationError(
            {"status": [f"status={status} contradicts completed={str(completed).lower()}."]}
        )
    return wanted


def requested_ordering(params: Mapping[str, str]) -> str | None:
    """The `ordering` value a request asks for, with either vocabulary; None for the default."""
    ordering = params.get("ordering") or None
    sort, order = params.get("sort") or None, params.get("order") or None
    if sort is None and order is None:
        return ordering
    if sort is not None and sort not in SORT_KEYS:
        raise ValidationError({"sort": [f"Unknown sort {sort!r}; use one of {', '.join(SORT_KEYS)}."]})
    if order is not None and order not in ORDERS:
        raise ValidationError({"order": [f"Unknown order {order!r}; use asc or desc."]})
    field, default_order = SORT_KEYS[sort or DEFAULT_SORT]
    wanted = ("-" if (order or default_order) == "desc" else "") + field
    if ordering is not None and ordering != wanted:
        named = "sort" if sort is not None else "order"
        raise ValidationError({named: [f"{named}={params[named]} contradicts ordering={ordering}."]})
    return wanted
