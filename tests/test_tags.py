"""`GET /api/{user_id}/tags`: a user's own tags with counts; the same name of two users is two tags."""

from http import HTTPStatus

import pytest

from tasks.data import staff
from tasks.identity.principal import principal_id
from tasks.models import Tag
from tests.conftest import set_tags, tasks_url

pytestmark = pytest.mark.django_db


def tags_url(user_id="me") -> str:
    return f"/api/{user_id}/tags"


@pytest.fixture
def create(alice_client, bob_client):
    def post(client, title: str, *tags: str) -> str:
        response = client.post(tasks_url(), {"title": title, "tags": list(tags)}, format="json")
        assert response.status_code == HTTPStatus.CREATED
        return response.json()["id"]

    return post


def test_tags_are_listed_by_name_with_their_counts(alice, alice_client, create):
    create(alice_client, "report", "work", "urgent")
    create(alice_client, "slides", "work")
    create(alice_client, "laundry", "home")

    response = alice_client.get(tags_url(principal_id(alice)))

    assert response.status_code == HTTPStatus.OK
    assert response.json() == [
        {"name": "home", "count": 1},
        {"name": "urgent", "count": 1},
        {"name": "work", "count": 2},
    ]


def test_a_user_without_tags_gets_an_empty_list(carol_client):
    response = carol_client.get(tags_url())

    assert response.status_code == HTTPStatus.OK
    assert response.json() == []


def test_alices_and_bobs_work_are_separate_tags(alice, bob, alice_client, bob_client, create):
    create(alice_client, "alice's", "work")
    create(alice_client, "alice's too", "work")
    create(bob_client, "bob's", "work")

    assert alice_client.get(tags_url()).json() == [{"name": "work", "count": 2}]
    assert bob_client.get(tags_url()).json() == [{"name": "work", "count": 1}]
    assert Tag.objects.filter(name="work").count() == 2


def test_the_tag_filter_only_finds_the_callers_tasks(alice_client, bob_client, create):
    create(alice_client, "alice's", "work")
    create(bob_client, "bob's", "work")

    listed = bob_client.get(tasks_url(), {"tag": "work"}).json()

    assert [task["title"] for task in listed] == ["bob's"]


def test_tags_that_no_task_carries_any_more_drop_out(alice_client, create):
    task_id = create(alice_client, "report", "work", "draft")

    alice_client.patch(tasks_url("me", task_id), {"tags": ["work"]}, format="json")
    after_edit = alice_client.get(tags_url()).json()
    alice_client.delete(tasks_url("me", task_id))
    after_delete = alice_client.get(tags_url()).json()

    assert after_edit == [{"name": "work", "count": 1}]
    assert after_delete == []


def test_tag_names_are_case_sensitive(alice_client, create):
    create(alice_client, "one", "Work")
    create(alice_client, "two", "work")

    assert alice_client.get(tags_url()).json() == [
        {"name": "Work", "count": 1},
        {"name": "work", "count": 1},
    ]


def test_bob_gets_403_for_alices_tags(alice, bob_client):
    response = bob_client.get(tags_url(principal_id(alice)))

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert response.json()["detail"]


def test_tags_need_authentication(alice, anon_client):
    response = anon_client.get(tags_url(principal_id(alice)))

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert "WWW-Authenticate" in response.headers


def test_renaming_or_deleting_a_tag_in_the_admin_shows_on_its_tasks(alice, alice_client, make_task):
    task = make_task(alice, title="labelled")
    set_tags(task, ["work", "home"])
    work = Tag.objects.get(user_id=principal_id(alice), name="work")

    work.name = "job"
    staff.save_tag(work)
    renamed = alice_client.get(tasks_url(principal_id(alice), task.pk)).json()["tags"]
    staff.delete_tags([work])
    deleted = alice_client.get(tasks_url(principal_id(alice))).json()[0]["tags"]

    assert renamed == ["home", "job"]
    assert deleted == ["home"]
