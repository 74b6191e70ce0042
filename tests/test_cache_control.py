"""A signed-in caller's JSON, and the token endpoints' answers, are sent
`Cache-Control: private, no-store`; ETag revalidation (304) keeps working; public
documents (the schema) are left cacheable."""

from __future__ import annotations

from http import HTTPStatus

import pytest

from tests.conftest import tasks_url

pytestmark = pytest.mark.django_db

PRIVATE = "private, no-store"


def test_a_users_list_and_task_are_private_and_not_stored(alice, alice_client, make_task):
    task = make_task(alice, title="mine")

    listed = alice_client.get(tasks_url())
    one = alice_client.get(tasks_url(task_id=task.id))

    assert listed.status_code == HTTPStatus.OK
    assert listed["Cache-Control"] == PRIVATE
    assert one["Cache-Control"] == PRIVATE
    assert one["ETag"]


def test_revalidating_with_the_etag_still_gives_304(alice, alice_client, make_task):
    task = make_task(alice, title="mine")
    etag = alice_client.get(tasks_url(task_id=task.id))["ETag"]

    again = alice_client.get(tasks_url(task_id=task.id), HTTP_IF_NONE_MATCH=etag)

    assert again.status_code == HTTPStatus.NOT_MODIFIED
    assert again["Cache-Control"] == PRIVATE


def test_an_external_users_json_is_private_too(carol_client):
    assert carol_client.get(tasks_url())["Cache-Control"] == PRIVATE


def test_the_token_endpoints_answers_are_not_stored(alice, anon_client):
    response = anon_client.post(
        "/api/auth/token", {"username": "alice", "password": "alice-pass-123!"}, format="json"
    )

    assert response.status_code == HTTPStatus.OK
    assert response["Cache-Control"] == PRIVATE


def test_the_public_schema_is_left_cacheable(anon_client):
    response = anon_client.get("/api/schema", HTTP_ACCEPT="application/json")

    assert response.status_code == HTTPStatus.OK
    assert "no-store" not in response.get("Cache-Control", "")
