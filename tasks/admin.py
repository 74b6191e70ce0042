"""Staff inspect everyone's tasks here (the API shows each user only their own)."""

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.utils.html import format_html
from django.utils.text import Truncator

from tasks.data import series, staff
from tasks.data.errors import InvalidArgument
from tasks.models import RepeatFrom, Tag, Task

# With the admin's side panels, the list is about 600 pixels wide on a laptop: a longer
# title would push the other columns out of view. The whole title is on the task's page.
TITLE_COLUMN_CHARACTERS = 40


class TaskAdminForm(forms.ModelForm):
    """A task's tags are its owner's: the picker offers only those, and the form refuses
    any other (a tag of bob's on alice's task would count in bob's tags, unseen by him)."""

    class Meta:
        model = Task
        fields = "__all__"  # noqa: DJ007 - the admin's own, as without this form

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Left empty, they take their defaults (a task that does not repeat needs neither).
        for name in ("time_zone", "repeat_from"):
            if name in self.fields:
                self.fields[name].required = False
        if "recurrence" in self.fields:
            self.fields["recurrence"].help_text = (
                "daily, weekdays, weekly, monthly, yearly, or an RRULE such as FREQ=WEEKLY;BYDAY=MO "
                "(needs a due date). Empty: the task does not repeat."
            )
        if "tags" not in self.fields:
            return
        owner = self.data.get("user_id") if self.is_bound else self.instance.user_id
        self.fields["tags"].queryset = staff.tags_of(owner or "")
        if not owner:
            self.fields["tags"].help_text = "The owner's tags: save the task with its user id first."

    def clean(self):
        cleaned = super().clean()
        owner = cleaned.get("user_id")
        foreign = sorted(tag.name for tag in cleaned.get("tags") or [] if tag.user_id != owner)
        if foreign:
            self.add_error("tags", f"Not tags of {owner}: {', '.join(foreign)}.")
        self._check_schedule(cleaned)
        return cleaned

    def _check_schedule(self, cleaned) -> None:
        """The recurrence rules the API checks (tasks.data.series), on the form's fields."""
        cleaned["time_zone"] = cleaned.get("time_zone") or "UTC"
        cleaned["repeat_from"] = cleaned.get("repeat_from") or RepeatFrom.DUE
        cleaned["recurrence"] = cleaned.get("recurrence") or None
        for name in ("time_zone", "repeat_from", "recurrence"):
            setattr(self.instance, name, cleaned[name])
        changes = {name: cleaned.get(name) for name in series.SCHEDULE_FIELDS if name in self.fields}
        current = None if self.instance._state.adding else staff.all_tasks().get(pk=self.instance.pk)
        try:
            checked = series.checked_schedule(changes, current=current)
        except InvalidArgument as error:
            field = error.argument if error.argument in self.fields else None
            self.add_error(field, error.message)
            return
        cleaned["recurrence"] = self.instance.recurrence = checked.get("recurrence")


@admin.register(Task)
class TaskAdmin(admin.ModelAdmin):
    form = TaskAdminForm
    list_display = ["short_title", "user_id", "priority", "completed", "due_at", "created_at", "updated_at"]
    list_filter = ["completed", "priority", ("due_at", admin.DateFieldListFilter), "tags"]
    search_fields = ["title", "user_id"]
    readonly_fields = ["id", "completed_at", "created_at", "updated_at"]
    filter_horizontal = ["tags"]
    date_hierarchy = "created_at"
    ordering = ["-created_at", "-id"]
    list_per_page = 50
    show_full_result_count = False
    actions = ["mark_completed", "mark_open"]

    @admin.display(description="title", ordering="title")
    def short_title(self, task: Task):
        """A title of up to 255 characters would push every other column off-screen."""
        return format_html(
            '<span title="{}">{}</span>', task.title, Truncator(task.title).chars(TITLE_COLUMN_CHARACTERS)
        )

    @admin.action(description="Mark selected tasks as completed")
    def mark_completed(self, request, queryset: QuerySet[Task]) -> None:
        changed = staff.set_completion(queryset, True)
        self.message_user(request, f"{changed} task(s) marked as completed.", messages.SUCCESS)

    @admin.action(description="Reopen selected tasks")
    def mark_open(self, request, queryset: QuerySet[Task]) -> None:
        changed = staff.set_completion(queryset, False)
        self.message_user(request, f"{changed} task(s) reopened.", messages.SUCCESS)

    # Every write below goes through the data layer (tasks.data.staff), which keeps the
    # change stamps, tombstones and tag copies that incremental sync reads.
    def get_queryset(self, request) -> QuerySet[Task]:
        return staff.all_tasks()

    def save_model(self, request, obj: Task, form, change: bool) -> None:
        staff.save_task(
            obj,
            owner=form.initial.get("user_id", obj.user_id),
            changed=form.changed_data,
            tag_names=[tag.name for tag in form.cleaned_data.get("tags", [])],
            adding=not change,
        )

    def save_related(self, request, form, formsets, change: bool) -> None:
        """The tags were written with the task (save_model)."""

    def delete_model(self, request, obj: Task) -> None:
        staff.delete_tasks([obj])

    def delete_queryset(self, request, queryset: QuerySet[Task]) -> None:
        staff.delete_tasks(queryset)


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ["name", "user_id"]
    search_fields = ["name", "user_id"]
    ordering = ["user_id", "name"]

    def get_queryset(self, request) -> QuerySet[Tag]:
        return staff.all_tags()

    def save_model(self, request, obj: Tag, form, change: bool) -> None:
        staff.save_tag(obj)

    def delete_model(self, request, obj: Tag) -> None:
        staff.delete_tags([obj])

    def delete_queryset(self, request, queryset: QuerySet[Tag]) -> None:
        staff.delete_tags(queryset)
