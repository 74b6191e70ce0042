"""SPEC 3: whatever the way in, a caller reaches only its own tasks, on every endpoint."""

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus

import pytest
from django.http import HttpRequest
from rest_framework.test import APIClient

from tasks.identity.principal import principal_id
from tasks.models import Tag, Task
from tests.conftest import CAROL_ID, set_tags, tasks_url

pytestmark = pytest.mark.django_db


@dataclass(frozen=True)
class Endpoint:
    method: str
    url: Callable[[str, object], str]
    body: dict | None = None

    def call(self, client: APIClient, user_id: str, task_id: object):
        return getattr(client, self.method)(self.url(user_id, task_id), self.body, format="json")


ENDPOINTS = {
    "list": Endpoint("get", lambda user, task: tasks_url(user)),
    "create": Endpoint("post", lambda user, task: tasks_url(user), {"title": "Planted"}),
    "retrieve": Endpoint("get", lambda user, task: tasks_url(user, task)),
    "put": Endpoint(
        "put", lambda user, task: tasks_url(user, task), {"title": "Hijacked", "completed": True}
    ),
    "patch": Endpoint("patch", lambda user, task: tasks_url(user, task), {"title": "Hijacked"}),
    "delete": Endpoint("delete", lambda user, task: tasks_url(user, task)),
    "complete": Endpoint("patch", lambda user, task: tasks_url(user, task, "/complete")),
    "clear-completed": Endpoint("post", lambda user, task: tasks_url(user, suffix="/clear-completed")),
    "tags": Endpoint("get", lambda user, task: f"/api/{user}/tags"),
}
TASK_ENDPOINTS = ["retrieve", "put", "patch", "delete", "complete"]


@dataclass(frozen=True)
class Caller:
    client: APIClient
    user_id: str


@pytest.fixture(params=["issued-token", "external-token", "session-force-login", "session-password-login"])
def caller(request, alice, alice_client, carol_client) -> Caller:
    if request.param == "issued-token":
        return Caller(alice_client, principal_id(alice))
    if request.param == "external-token":
        return Caller(carol_client, CAROL_ID)
    client = APIClient()
    if request.param == "session-force-login":
        client.force_login(alice)
    else:
        # The sign-in lockout (django-axes) needs the request a real login has.
        assert client.login(request=HttpRequest(), username="alice", password="alice-pass-123!")
    return Caller(client, principal_id(alice))


@pytest.fixture
def bobs_task(bob, make_task) -> Task:
    """Bob's open, tagged task, next to a completed one that clear-completed would delete."""
    make_task(bob, title="Bob's done", completed=True)
    task = make_task(bob, title="Bob's open", description="private")
    set_tags(task, ["bob-only"])
    return task


def snapshot(user_id: str) -> list[tuple]:
    """Every stored detail of the user's tasks and tags, to prove nothing changed."""
    tasks = Task.objects.filter(user_id=user_id).prefetch_related("tags").order_by("id")
    return [
        (task.pk, task.title, task.description, task.completed, task.completed_at, task.updated_at)
        + tuple(sorted(tag.name for tag in task.tags.all()))
        for task in tasks
    ] + sorted(Tag.objects.filter(user_id=user_id).values_list("name", flat=True))


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=str)
def test_a_path_naming_another_user_is_403_and_changes_nothing(caller, bob, bobs_task, endpoint):
    before = snapshot(principal_id(bob))
    total = Task.objects.count()

    response = ENDPOINTS[endpoint].call(caller.client, principal_id(bob), bobs_task.pk)

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert response.json()["detail"]
    assert "Bob's" not in response.content.decode()
    assert snapshot(principal_id(bob)) == before
    assert Task.objects.count() == total


@pytest.mark.parametrize("endpoint", TASK_ENDPOINTS)
def test_bobs_task_under_the_callers_own_path_is_404_exactly_like_a_missing_one(
    caller, bob, bobs_task, endpoint
):
    before = snapshot(principal_id(bob))

    foreign = ENDPOINTS[endpoint].call(caller.client, caller.user_id, bobs_task.pk)
    missing = ENDPOINTS[endpoint].call(caller.client, caller.user_id, uuid.uuid4())

    assert foreign.status_code == missing.status_code == HTTPStatus.NOT_FOUND
    assert foreign.json() == missing.json()
    assert foreign.json()["detail"]
    assert snapshot(principal_id(bob)) == before


def test_list_tags_and_clear_completed_touch_only_the_callers_tasks(caller, bob, bobs_task, make_task):
    done = make_task(caller.user_id, title="Mine, done", completed=True)
    mine = make_task(caller.user_id, title="Mine")
    before = snapshot(principal_id(bob))

    listed = caller.client.get(tasks_url(caller.user_id))
    tags = caller.client.get(f"/api/{caller.user_id}/tags")
    cleared = caller.client.post(tasks_url(caller.user_id, suffix="/clear-completed"))

    assert [task["id"] for task in listed.json()] == [str(mine.pk), str(done.pk)]
    assert tags.status_code == HTTPStatus.OK
    assert "bob-only" not in tags.content.decode()
    assert cleared.json() == {"deleted": 1}
    assert list(Task.objects.filter(user_id=caller.user_id)) == [mine]
    assert snapshot(principal_id(bob)) == before


def test_me_is_an_alias_for_the_callers_own_user_id(caller):
    created = caller.client.post(tasks_url("me"), {"title": "Via me"}, format="json")
    task_id = created.json()["id"]

    by_id = caller.client.get(tasks_url(caller.user_id, task_id))
    by_me = caller.client.get(tasks_url("me", task_id))
    completed = caller.client.patch(tasks_url("me", task_id, "/complete"))

    assert created.status_code == HTTPStatus.CREATED
    assert created.json()["user_id"] == caller.user_id
    assert by_id.json() == by_me.json()
    assert completed.json()["completed"] is True
    assert caller.client.get("/api/me/tags").status_code == HTTPStatus.OK


def test_the_owner_of_a_new_task_comes_from_the_caller_never_from_the_body(caller, bob):
    response = caller.client.post(
        tasks_url("me"), {"title": "Mine", "user_id": principal_id(bob)}, format="json"
    )

    assert response.status_code == HTTPStatus.CREATED
    assert response.json()["user_id"] == caller.user_id
    assert Task.objects.get().user_id == caller.user_id
    assert not Task.objects.filter(user_id=principal_id(bob)).exists()


@pytest.mark.parametrize("method", ["put", "patch"])
def test_a_task_cannot_be_handed_to_another_user_by_an_update(caller, bob, make_task, method):
    task = make_task(caller.user_id)

    response = getattr(caller.client, method)(
        tasks_url("me", task.pk), {"title": "Still mine", "user_id": principal_id(bob)}, format="json"
    )

    assert response.status_code == HTTPStatus.OK
    task.refresh_from_db()
    assert (task.user_id, task.title) == (caller.user_id, "Still mine")


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=str)
@pytest.mark.parametrize("path_user", ["me", "bob"])
def test_an_unauthenticated_request_gets_401_on_every_endpoint(
    anon_client, bob, bobs_task, endpoint, path_user
):
    before = snapshot(principal_id(bob))
    user_id = "me" if path_user == "me" else principal_id(bob)

    response = ENDPOINTS[endpoint].call(anon_client, user_id, bobs_task.pk)

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert response.json()["detail"]
    assert snapshot(principal_id(bob)) == before
