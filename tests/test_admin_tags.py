"""In the admin, a task's tag picker offers and accepts only its owner's tags."""

from http import HTTPStatus

import pytest

from tasks.identity.principal import principal_id
from tasks.models import Priority, Tag, Task
from tests.conftest import set_tags

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/tasks/task/"


@pytest.fixture
def alices_task(alice, bob, make_task) -> Task:
    task = make_task(alice, title="Buy milk")
    task = set_tags(task, ["home"])
    set_tags(make_task(bob, title="Call mum"), ["work"])
    return task


def change_url(task: Task) -> str:
    return f"{CHANGELIST}{task.pk}/change/"


def form_data(task: Task, tags: list[Tag], **overrides) -> dict:
    return {
        "user_id": task.user_id,
        "title": task.title,
        "priority": Priority.NONE,
        "tags": [tag.pk for tag in tags],
        **overrides,
    }


def test_the_picker_offers_only_the_owners_tags(admin_client, alices_task, alice):
    form = admin_client.get(change_url(alices_task)).context["adminform"].form

    offered = {(tag.user_id, tag.name) for tag in form.fields["tags"].queryset}

    assert offered == {(principal_id(alice), "home")}


def test_another_users_tag_is_refused_and_nothing_changes(admin_client, alices_task, bob):
    bobs_work = Tag.objects.get(user_id=principal_id(bob), name="work")

    response = admin_client.post(change_url(alices_task), form_data(alices_task, [bobs_work]))

    assert response.status_code == HTTPStatus.OK  # the form again, with its error
    assert response.context["adminform"].form.errors["tags"]
    alices_task.refresh_from_db()
    assert alices_task.tag_names == ["home"]
    assert [(tag.name, tag.count) for tag in Tag.objects.for_owner(principal_id(bob)).with_counts()] == [
        ("work", 1)
    ]


def test_moving_a_task_to_another_owner_with_its_old_tags_is_refused(admin_client, alices_task, alice, bob):
    home = Tag.objects.get(user_id=principal_id(alice), name="home")

    response = admin_client.post(
        change_url(alices_task), form_data(alices_task, [home], user_id=principal_id(bob))
    )

    assert response.status_code == HTTPStatus.OK
    assert "tags" in response.context["adminform"].form.errors
    alices_task.refresh_from_db()
    assert alices_task.user_id == principal_id(alice)


def test_the_owners_own_tags_are_accepted(admin_client, alices_task, alice):
    errands = Tag.objects.create(user_id=principal_id(alice), name="errands")
    home = Tag.objects.get(user_id=principal_id(alice), name="home")

    response = admin_client.post(change_url(alices_task), form_data(alices_task, [home, errands]))

    assert response.status_code == HTTPStatus.FOUND
    alices_task.refresh_from_db()
    assert alices_task.tag_names == ["errands", "home"]


def test_a_new_task_is_offered_no_tags_until_it_has_an_owner(admin_client, alices_task):
    form = admin_client.get(f"{CHANGELIST}add/").context["adminform"].form

    assert list(form.fields["tags"].queryset) == []


def test_a_new_task_may_take_its_owners_tags(admin_client, alices_task, alice, bob):
    home = Tag.objects.get(user_id=principal_id(alice), name="home")
    work = Tag.objects.get(user_id=principal_id(bob), name="work")
    data = {"user_id": principal_id(alice), "title": "New", "priority": Priority.NONE}

    refused = admin_client.post(f"{CHANGELIST}add/", {**data, "tags": [home.pk, work.pk]})
    accepted = admin_client.post(f"{CHANGELIST}add/", {**data, "tags": [home.pk]})

    assert refused.status_code == HTTPStatus.OK
    assert accepted.status_code == HTTPStatus.FOUND
    assert Task.objects.get(title="New").tag_names == ["home"]
