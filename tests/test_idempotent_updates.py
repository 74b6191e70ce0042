"""`Idempotency-Key` on PUT, PATCH, DELETE and complete, as on POST: a retry of a write
that already happened (its answer lost, or a 503 after it committed) replays the first
answer and changes nothing more."""

from __future__ import annotations

from http import HTTPStatus

import pytest

from tasks.identity.principal import principal_id
from tasks.models import IdempotencyRecord, Task
from tests.conftest import tasks_url

pytestmark = pytest.mark.django_db

KEY = "retry-of-a-write-1"


def send(client, method: str, url: str, body=None, key: str | None = KEY, **headers):
    if key is not None:
        headers["HTTP_IDEMPOTENCY_KEY"] = key
    return getattr(client, method)(url, body, format="json", **headers)


def test_a_retried_toggle_replays_the_first_answer_instead_of_toggling_back(alice, alice_client, make_task):
    task = make_task(alice, title="Toggle me")
    url = tasks_url(task_id=task.pk, suffix="/complete")

    first = send(alice_client, "patch", url)
    retry = send(alice_client, "patch", url)

    assert first.status_code == retry.status_code == HTTPStatus.OK
    assert first.json()["completed"] is True
    assert retry.json() == first.json()
    assert retry.headers["ETag"] == first.headers["ETag"]
    assert retry.headers["Idempotent-Replayed"] == "true"
    task.refresh_from_db()
    assert task.completed is True


def test_without_a_key_a_repeated_toggle_toggles_again(alice, alice_client, make_task):
    task = make_task(alice)
    url = tasks_url(task_id=task.pk, suffix="/complete")

    send(alice_client, "patch", url, key=None)
    send(alice_client, "patch", url, key=None)

    task.refresh_from_db()
    assert task.completed is False


def test_a_retried_put_with_if_match_replays_instead_of_failing_its_precondition(
    alice, alice_client, make_task
):
    task = make_task(alice, title="Before")
    url = tasks_url(task_id=task.pk)
    etag = alice_client.get(url).headers["ETag"]

    first = send(alice_client, "put", url, {"title": "After"}, HTTP_IF_MATCH=etag)
    retry = send(alice_client, "put", url, {"title": "After"}, HTTP_IF_MATCH=etag)

    assert first.status_code == retry.status_code == HTTPStatus.OK
    assert retry.json() == first.json()
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert alice_client.get(url).headers["ETag"] == first.headers["ETag"]


def test_a_retried_patch_changes_nothing_made_since(alice, alice_client, make_task):
    task = make_task(alice, title="Draft")
    url = tasks_url(task_id=task.pk)

    send(alice_client, "patch", url, {"title": "Final"})
    alice_client.patch(url, {"title": "Edited later"}, format="json")
    retry = send(alice_client, "patch", url, {"title": "Final"})

    assert retry.json()["title"] == "Final"
    assert retry.headers["Idempotent-Replayed"] == "true"
    task.refresh_from_db()
    assert task.title == "Edited later"


def test_a_retried_delete_answers_204_again_not_404(alice, alice_client, make_task):
    task = make_task(alice)
    url = tasks_url(task_id=task.pk)

    first = send(alice_client, "delete", url)
    retry = send(alice_client, "delete", url)
    unkeyed = send(alice_client, "delete", url, key=None)

    assert first.status_code == retry.status_code == HTTPStatus.NO_CONTENT
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert unkeyed.status_code == HTTPStatus.NOT_FOUND
    assert not Task.objects.filter(pk=task.pk).exists()


def test_the_same_key_on_another_task_is_refused(alice, alice_client, make_task):
    one, other = make_task(alice, title="one"), make_task(alice, title="other")

    send(alice_client, "patch", tasks_url(task_id=one.pk), {"title": "renamed"})
    response = send(alice_client, "patch", tasks_url(task_id=other.pk), {"title": "renamed"})

    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    other.refresh_from_db()
    assert other.title == "other"


def test_the_same_key_with_another_body_is_refused(alice, alice_client, make_task):
    task = make_task(alice, title="Start")
    url = tasks_url(task_id=task.pk)

    send(alice_client, "patch", url, {"title": "First"})
    response = send(alice_client, "patch", url, {"title": "Second"})

    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    task.refresh_from_db()
    assert task.title == "First"


def test_a_failed_write_does_not_burn_the_key(alice, alice_client, make_task):
    task = make_task(alice, title="Guarded")
    url = tasks_url(task_id=task.pk)

    refused = send(alice_client, "put", url, {"title": "x"}, HTTP_IF_MATCH='"stale"')
    fresh = alice_client.get(url).headers["ETag"]
    applied = send(alice_client, "put", url, {"title": "x"}, HTTP_IF_MATCH=fresh)

    assert refused.status_code == HTTPStatus.PRECONDITION_FAILED
    assert applied.status_code == HTTPStatus.OK
    assert "Idempotent-Replayed" not in applied.headers


def test_a_stranger_gets_404_and_stores_nothing(alice, bob_client, make_task):
    task = make_task(alice, title="Alice's")

    response = send(bob_client, "patch", tasks_url(task_id=task.pk), {"title": "Bob's"})

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert not IdempotencyRecord.objects.filter(user_id=principal_id(alice)).exists()
    task.refresh_from_db()
    assert task.title == "Alice's"
