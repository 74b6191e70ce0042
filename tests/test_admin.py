"""Staff see everyone's tasks in the Django admin: filters, search, bulk complete/reopen, read-only times."""

from datetime import timedelta
from http import HTTPStatus

import pytest
from django.contrib.admin.filters import DateFieldListFilter
from django.utils import timezone

from tasks.identity.principal import principal_id
from tasks.models import Priority, Tag, Task
from tests.conftest import set_tags

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/tasks/task/"


@pytest.fixture
def tasks(alice, bob, make_task):
    """A few tasks of alice and bob, and bob's own `work` tag on one of his."""
    made = {
        "milk": make_task(alice, title="Buy milk", priority=Priority.HIGH),
        "report": make_task(alice, title="Write report", completed=True, completed_at=timezone.now()),
        "today": make_task(bob, title="Call mum", due_at=timezone.now()),
        "later": make_task(bob, title="Plan trip", due_at=timezone.now() + timedelta(days=400)),
    }
    set_tags(made["today"], ["work"])
    set_tags(made["milk"], ["work"])
    return made


def listed(client, query: str = "") -> set[str]:
    response = client.get(f"{CHANGELIST}?{query}")
    assert response.status_code == HTTPStatus.OK
    return {task.title for task in response.context["cl"].result_list}


def test_the_changelist_shows_every_users_tasks(admin_client, tasks):
    assert listed(admin_client) == {"Buy milk", "Write report", "Call mum", "Plan trip"}


def test_filter_by_completed(admin_client, tasks):
    assert listed(admin_client, "completed__exact=1") == {"Write report"}
    assert listed(admin_client, "completed__exact=0") == {"Buy milk", "Call mum", "Plan trip"}


def test_filter_by_priority(admin_client, tasks):
    assert listed(admin_client, f"priority__exact={Priority.HIGH}") == {"Buy milk"}


def test_filter_by_due_date(admin_client, tasks):
    changelist = admin_client.get(CHANGELIST).context["cl"]
    due = next(spec for spec in changelist.filter_specs if isinstance(spec, DateFieldListFilter))
    links = {choice["display"]: choice["query_string"] for choice in due.choices(changelist)}

    assert listed(admin_client, links["Today"].lstrip("?")) == {"Call mum"}
    assert listed(admin_client, links["No date"].lstrip("?")) == {"Buy milk", "Write report"}


def test_filter_by_tag_keeps_alices_and_bobs_work_apart(admin_client, tasks, bob):
    bobs_work = Tag.objects.get(user_id=principal_id(bob), name="work")

    assert listed(admin_client, f"tags__id__exact={bobs_work.pk}") == {"Call mum"}


def test_search_by_title_and_by_user_id(admin_client, tasks, bob):
    assert listed(admin_client, "q=milk") == {"Buy milk"}
    assert listed(admin_client, f"q={principal_id(bob)}") == {"Call mum", "Plan trip"}


@pytest.mark.parametrize(
    ("action", "completed"),
    [("mark_completed", True), ("mark_open", False)],
)
def test_bulk_actions_set_completed_and_completed_at(admin_client, tasks, action, completed):
    chosen = [tasks["milk"], tasks["report"]]

    response = admin_client.post(
        CHANGELIST, {"action": action, "_selected_action": [str(task.pk) for task in chosen]}
    )

    assert response.status_code == HTTPStatus.FOUND
    for task in chosen:
        task.refresh_from_db()
        assert task.completed is completed
        assert (task.completed_at is not None) is completed
    assert Task.objects.get(pk=tasks["later"].pk).completed is False


def test_completing_again_keeps_the_first_completed_at(admin_client, tasks):
    before = tasks["report"].completed_at

    admin_client.post(CHANGELIST, {"action": "mark_completed", "_selected_action": [str(tasks["report"].pk)]})

    tasks["report"].refresh_from_db()
    assert tasks["report"].completed_at == before


def test_timestamps_are_read_only_on_the_change_form(admin_client, tasks):
    task = tasks["milk"]
    url = f"{CHANGELIST}{task.pk}/change/"

    form = admin_client.get(url).context["adminform"]
    response = admin_client.post(
        url,
        {
            "user_id": task.user_id,
            "title": "Buy oat milk",
            "priority": Priority.HIGH,
            "completed": "on",
            "created_at": "2000-01-01 00:00:00",
            "completed_at": "2000-01-01 00:00:00",
        },
    )

    assert {"created_at", "updated_at", "completed_at"}.isdisjoint(form.form.fields)
    assert {"created_at", "updated_at", "completed_at"} <= set(form.readonly_fields)
    assert response.status_code == HTTPStatus.FOUND, response.context["adminform"].form.errors
    saved = Task.objects.get(pk=task.pk)
    assert saved.title == "Buy oat milk"
    assert saved.created_at == task.created_at
    assert saved.completed_at is not None
    assert saved.completed_at.year != 2000
    assert saved.updated_at > task.updated_at


def test_bob_without_staff_status_is_sent_to_the_login_page(bob, client, tasks):
    client.force_login(bob)

    response = client.get(CHANGELIST)

    assert response.status_code == HTTPStatus.FOUND
    assert response.url.startswith("/admin/login/")


def test_a_long_title_is_cut_short_in_the_list_and_whole_on_hover(admin_client, alice, make_task):
    title = "Renew the passport " + "x" * 236
    make_task(alice, title=title)

    html = admin_client.get(CHANGELIST).content.decode()

    assert f'title="{title}"' in html
    assert f">{title}<" not in html
    assert f">{title[:39]}…<" in html
