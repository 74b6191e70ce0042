"""Query-string filters of the task list. A value that cannot be read is a 400 naming it."""

from __future__ import annotations

from datetime import UTC
from typing import Any

from django import forms
from django.core.validators import ProhibitNullCharactersValidator
from django.template import loader
from django.utils.safestring import mark_safe
from django_filters import rest_framework as filters
from django_filters.utils import translate_validation
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework.exceptions import ValidationError

from tasks.api import list_parameters
from tasks.api.parameter_bounds import MAX_TAG_FILTERS, SEARCH_MAX_LENGTH
from tasks.api.unknown_names import unknown_name_errors
from tasks.data.task_list import (
    DEFAULT_LIMIT,
    LIMIT_MESSAGE,
    MAX_LIMIT,
    Ordering,
    matching,
)
from tasks.models import TAG_MAX_LENGTH, Priority, Task

# Read by list_arguments beside the filters: the page, not which tasks.
PAGING_PARAMETERS = ("ordering", "limit", "cursor")
# Accepted on any list request, never suggested: DRF's format override (which the
# browsable API's links carry) and jQuery's cache buster (`cache: false` adds `_=`).
TRANSPORT_PARAMETERS = ("format", "_")


class QueryBooleanField(forms.Field):
    """`true`/`false` (or `1`/`0`); anything else is an error, never silently ignored."""

    VALUES = {"true": True, "1": True, "false": False, "0": False}
    # The browsable API's filter form: a choice rather than a box to type `true` into.
    widget = forms.Select(choices=[("", "any"), ("true", "yes"), ("false", "no")])

    def to_python(self, value):
        if value in (None, ""):
            return None
        try:
            return self.VALUES[str(value).lower()]
        except KeyError:
            raise forms.ValidationError("Must be true or false.") from None


class StrictDateTimeField(forms.DateTimeField):
    """ISO 8601 date-times; times without an offset are taken as UTC."""

    def to_python(self, value):
        try:
            parsed = super().to_python(value)
            return parsed.astimezone(UTC) if parsed is not None else None
        except OverflowError:
            raise forms.ValidationError("Date and time is out of range.") from None


class RepeatedTextInput(forms.TextInput):
    """A repeatable parameter in the browsable API's filter form: a text box for each value
    given, and an empty one to add another (`?tag=a&tag=b`)."""

    def value_from_datadict(self, data, files, name):
        return data.getlist(name) if hasattr(data, "getlist") else data.get(name)

    def render(self, name, value, attrs=None, renderer=None):
        attrs = attrs or {}
        values = [item for item in (value or []) if item] + [""]
        boxes = []
        for index, item in enumerate(values):
            box_attrs = dict(attrs)
            if index and "id" in attrs:
                box_attrs["id"] = f"{attrs['id']}_{index}"
            boxes.append(super().render(name, item, box_attrs, renderer))
        return mark_safe(" ".join(boxes))  # noqa: S308 - TextInput.render escaped each box


class TagNamesField(forms.Field):
    """A repeatable parameter: `?tag=a&tag=b`."""

    widget = RepeatedTextInput
    default_validators = [ProhibitNullCharactersValidator()]

    def run_validators(self, value):
        for name in value or []:
            super().run_validators(name)

    def to_python(self, value):
        names = list(dict.fromkeys(name.strip() for name in value or [] if name.strip()))
        if any(len(name) > TAG_MAX_LENGTH for name in names):
            raise forms.ValidationError(f"A tag has at most {TAG_MAX_LENGTH} characters.")
        if len(names) > MAX_TAG_FILTERS:
            raise forms.ValidationError(f"Give at most {MAX_TAG_FILTERS} values.")
        return names


@extend_schema_field(OpenApiTypes.BOOL)
class BooleanFilter(filters.Filter):
    field_class = QueryBooleanField


@extend_schema_field(OpenApiTypes.DATETIME)
class DateTimeFilter(filters.Filter):
    field_class = StrictDateTimeField


@extend_schema_field(
    {
        "type": "array",
        "items": {"type": "string", "maxLength": TAG_MAX_LENGTH},
        "maxItems": MAX_TAG_FILTERS,
    }
)
class AllTagsFilter(filters.Filter):
    field_class = TagNamesField


class ListedChoiceFilter(filters.ChoiceFilter):
    """One of a few names, given as `values`; another value is a 400 that lists them."""

    def __init__(self, *, values, **kwargs):
        values = list(values)
        kwargs.setdefault(
            "error_messages", {"invalid_choice": f"Unknown value %(value)r; use one of {', '.join(values)}."}
        )
        super().__init__(choices=[(value, value) for value in values], **kwargs)


@extend_schema_field({"type": "string", "enum": list(Priority.labels)})
class PriorityFilter(ListedChoiceFilter):
    """Priorities by name; without this the schema would take the model field's integer type."""

    def __init__(self, **kwargs):
        super().__init__(values=Priority.labels, **kwargs)


class FieldsSharedByInstances(dict):
    """A form class's fields, which Form.__init__ gives each instance by deep copy: this
    copy hands over the same fields in a dictionary of the instance's own."""

    def __deepcopy__(self, memo):
        return dict(self)


class QueryForm(forms.Form):
    """A form that cleans only the fields its data names. A field left out of a query
    cleans to its empty value, which TaskFilter.arguments_from reads as "not given", as it
    reads a key missing from cleaned_data."""

    def __init__(self, data):
        super().__init__(data)
        self.fields = {name: field for name, field in self.fields.items() if name in data}


class TaskFilter(filters.FilterSet):
    # Labels and help texts also show in the browsable API's filter form, as plain text.
    completed = BooleanFilter(label="Completed", help_text="Only completed (true) or open (false) tasks.")
    priority = PriorityFilter(
        method="read_by_the_store",
        label="Priority",
        help_text="Only tasks of this priority.",
    )
    tag = AllTagsFilter(label="Tag", help_text="Only tasks with this tag; repeat it to require several.")
    search = filters.CharFilter(
        method="read_by_the_store",
        max_length=SEARCH_MAX_LENGTH,
        label="Search",
        help_text="Case-insensitive text in the title or description.",
    )
    due_before = DateTimeFilter(
        field_name="due_at", lookup_expr="lt", label="Due before", help_text="Due strictly before this time."
    )
    due_after = DateTimeFilter(
        field_name="due_at", lookup_expr="gte", label="Due after", help_text="Due at or after this time."
    )
    overdue = BooleanFilter(
        method="read_by_the_store",
        label="Overdue",
        help_text="Open tasks whose due time has passed (true), or the rest (false).",
    )
    recurring = BooleanFilter(
        method="read_by_the_store",
        label="Recurring",
        help_text="Tasks that repeat (true), or those that do not (false).",
    )
    updated_since = DateTimeFilter(
        field_name="updated_at",
        lookup_expr="gte",
        label="Updated since",
        help_text="Changed at or after this time.",
    )

    # The hackathon's Phase II names (tasks.api.list_parameters). `sort` and `order` are read
    # with `ordering` (list_arguments); they are here for the filter form and the schema.
    status = ListedChoiceFilter(
        label="Status",
        values=list_parameters.STATUS_COMPLETED,
        method="read_by_the_store",
        help_text=list_parameters.STATUS_HELP,
    )
    sort = ListedChoiceFilter(
        label="Sort",
        values=list_parameters.SORT_KEYS,
        method="read_by_the_store",
        help_text=list_parameters.SORT_HELP,
    )
    order = ListedChoiceFilter(
        label="Order",
        values=list_parameters.ORDERS,
        method="read_by_the_store",
        help_text=list_parameters.ORDER_HELP,
    )

    class Meta:
        model = Task
        fields: list[str] = []

    @classmethod
    def unknown_parameters(cls, query) -> dict[str, list[str]]:
        """The parameters of a list request that nothing reads, each with its message: a
        misspelt filter would otherwise return the whole list."""
        return unknown_name_errors(
            query.keys(), known=[*cls.base_filters, *PAGING_PARAMETERS], ignored=TRANSPORT_PARAMETERS
        )

    @classmethod
    def shared_form_class(cls) -> type[forms.Form]:
        """The form that validates the filters, built once per FilterSet class (as
        django-filter would build it per request: a field for each filter). Its instances
        copy its fields, so none is shared between requests."""
        form_class = cls.__dict__.get("_shared_form_class")
        if form_class is None:
            fields = {name: filter_.field for name, filter_ in cls.base_filters.items()}
            form_class = type(f"{cls.__name__}Form", (cls._meta.form,), fields)
            cls._shared_form_class = form_class
        return form_class

    @classmethod
    def validation_form_class(cls) -> type[forms.Form]:
        """The filters' form for a list request, which only validates: its instances share
        the class's fields rather than deep-copying them (a third of a filtered list's CPU),
        and clean only those the query names (QueryForm). Cleaning reads a field and never
        changes it; the browsable API's dialog, which changes its form's fields, uses
        shared_form_class."""
        form_class = cls.__dict__.get("_validation_form_class")
        if form_class is None:
            form_class = type(f"{cls.__name__}ValidationForm", (QueryForm, cls.shared_form_class()), {})
            form_class.base_fields = FieldsSharedByInstances(form_class.base_fields)
            cls._validation_form_class = form_class
        return form_class

    def get_form_class(self):
        return self.shared_form_class()

    def selector_arguments(self) -> dict[str, Any]:
        return self.arguments_from(self.form.cleaned_data)

    @staticmethod
    def arguments_from(data: dict[str, Any]) -> dict[str, Any]:
        """The valid form's values as the keyword arguments of `TaskStore.list` (the
        filters only; `ordering`, `limit` and `cursor` are read by list_arguments)."""
        completed = data.get("completed")
        if data.get("status"):
            completed = list_parameters.completed_for_status(data["status"], completed)
        priority = data.get("priority")
        return {
            "completed": completed,
            "priority": Priority.values[Priority.labels.index(priority)] if priority else None,
            "tags": data.get("tag") or (),
            "search": data.get("search") or None,
            "due_before": data.get("due_before"),
            "due_after": data.get("due_after"),
            "overdue": data.get("overdue"),
            "recurring": data.get("recurring"),
            "updated_since": data.get("updated_since"),
        }

    def read_by_the_store(self, queryset, name, value):
        """Never called (filter_queryset below): a filter with a method is documented from
        its declaration, not from a model field of its name."""
        return queryset

    def filter_queryset(self, queryset):
        """`.qs`, for the browsable API's form and the tests: the data layer's condition."""
        return queryset.filter(matching(**self.selector_arguments()))


def list_arguments(query_params) -> dict[str, Any]:
    """The typed arguments of `TaskStore.list` that a list request's query string asks
    for. A parameter that cannot be read is a 400 naming it, checked in this order: one
    that nothing reads, the filters, the ordering, the limit, then (by the store) the
    cursor."""
    unknown = TaskFilter.unknown_parameters(query_params)
    if unknown:
        raise ValidationError(unknown)
    arguments: dict[str, Any] = {}
    # Validating the filters' form costs a quarter of a plain list request: only when
    # the query string names a filter, and with a form that shares its class's fields (no
    # FilterSet, whose filters django-filter copies for each instance).
    if any(name in query_params for name in TaskFilter.base_filters):
        form = TaskFilter.validation_form_class()(query_params)
        if not form.is_valid():
            raise translate_validation(form.errors)
        arguments = TaskFilter.arguments_from(form.cleaned_data)
    ordering = list_parameters.requested_ordering(query_params)
    Ordering.parse(ordering)
    return {
        **arguments,
        "ordering": ordering,
        "limit": requested_limit(query_params),
        "cursor": query_params.get("cursor") or None,
    }


def requested_limit(query_params) -> int:
    raw = query_params.get("limit")
    if raw is None:
        return DEFAULT_LIMIT
    if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
        raise ValidationError({"limit": [LIMIT_MESSAGE]})
    return int(raw)


class TaskFilterBackend(filters.DjangoFilterBackend):
    """Documents the list's filters (schema) and draws their form (browsable API); the
    list itself reads them through list_arguments."""

    # The browsable API's Filters dialog, which leaves empty fields out of the URL.
    template = "tasks/filter_form.html"
    # The dialog offers one vocabulary, `status`/`sort`/`order`: with `completed` and
    # `ordering` beside them a contradictory pair was one click away. Both still work in
    # a URL, as every parameter does.
    NOT_IN_DIALOG = ("completed",)

    def to_html(self, request, queryset, view):
        filterset = self.get_filterset(request, queryset, view)
        if filterset is None:
            return None
        for name in self.NOT_IN_DIALOG:
            filterset.form.fields.pop(name, None)
        return loader.get_template(self.template).render({"filter": filterset}, request)
