"""`POST /api/{user_id}/tasks/clear-completed` deletes the caller's completed tasks, and says how many."""

from http import HTTPStatus

import pytest

from tasks.identity.principal import principal_id
from tasks.models import Task
from tests.conftest import CAROL_ID, tasks_url

pytestmark = pytest.mark.django_db

CLEAR = tasks_url("me", suffix="/clear-completed")


def test_deletes_only_completed_tasks_and_counts_them(alice, alice_client, make_task):
    for _ in range(3):
        make_task(alice, title="done", completed=True)
    kept = make_task(alice, title="open")

    response = alice_client.post(CLEAR)

    assert response.status_code == HTTPStatus.OK
    assert response.json() == {"deleted": 3}
    assert list(Task.objects.all()) == [kept]


def test_leaves_bobs_completed_tasks_alone(alice, bob, alice_client, make_task):
    make_task(alice, completed=True)
    bobs = make_task(bob, completed=True)

    response = alice_client.post(CLEAR)

    assert response.json() == {"deleted": 1}
    assert Task.objects.filter(pk=bobs.pk).exists()


def test_with_nothing_completed_deletes_nothing(alice, alice_client, make_task):
    make_task(alice)

    response = alice_client.post(CLEAR)

    assert response.status_code == HTTPStatus.OK
    assert response.json() == {"deleted": 0}
    assert Task.objects.count() == 1


def test_works_for_a_user_known_only_to_the_identity_provider(carol_client, make_task):
    make_task(CAROL_ID, completed=True)

    assert carol_client.post(CLEAR).json() == {"deleted": 1}


def test_the_cleared_tasks_tags_stop_counting(alice, alice_client):
    alice_client.post(tasks_url(), {"title": "done", "tags": ["work"], "completed": True}, format="json")
    alice_client.post(tasks_url(), {"title": "open", "tags": ["home"]}, format="json")

    alice_client.post(CLEAR)

    assert alice_client.get("/api/me/tags").json() == [{"name": "home", "count": 1}]


def test_bob_gets_403_clearing_alices_tasks(alice, bob_client, make_task):
    make_task(alice, completed=True)

    response = bob_client.post(tasks_url(principal_id(alice), suffix="/clear-completed"))

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert Task.objects.count() == 1


@pytest.mark.parametrize("method", ["get", "delete", "put"])
def test_only_post_clears(alice, alice_client, make_task, method):
    make_task(alice, completed=True)

    response = getattr(alice_client, method)(CLEAR)

    # GET answers (how many a POST would delete), for the browsable API's page.
    expected = {HTTPStatus.OK} if method == "get" else {HTTPStatus.METHOD_NOT_ALLOWED, HTTPStatus.NOT_FOUND}
    assert response.status_code in expected
    assert Task.objects.count() == 1
