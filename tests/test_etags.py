"""ETags on tasks: `If-None-Match` saves a download (304), `If-Match` stops a lost update (412)."""

from __future__ import annotations

from http import HTTPStatus

import pytest

from tasks.models import Task
from tests.conftest import tasks_url

# Each request commits on its own, as in production: on PostgreSQL a task's version is
# the id of the transaction that last wrote it, so writes must not share one test transaction.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

STALE = '"0123456789abcdef01234567"'


@pytest.fixture
def task(alice, make_task) -> Task:
    return make_task(alice, title="Water the plants", description="Twice a week")


@pytest.fixture
def task_url(task) -> str:
    return tasks_url("me", task.pk)


@pytest.fixture
def etag(alice_client, task_url) -> str:
    return alice_client.get(task_url).headers["ETag"]


def snapshot(task: Task) -> dict:
    """What a write would change, read fresh from the database."""
    task = Task.objects.get(pk=task.pk)
    return {
        "title": task.title,
        "description": task.description,
        "completed": task.completed,
        "priority": task.priority,
        "tags": sorted(task.tag_names),
        "updated_at": task.updated_at,
        "change_seq": task.change_seq,
    }


WRITES = {
    "PUT": lambda client, url, **headers: client.put(url, {"title": "Changed"}, format="json", **headers),
    "PATCH": lambda client, url, **headers: client.patch(url, {"priority": "high"}, format="json", **headers),
    "complete": lambda client, url, **headers: client.patch(url + "/complete", **headers),
}


def test_every_task_response_carries_an_etag(alice_client, task_url):
    created = alice_client.post(tasks_url(), {"title": "New"}, format="json")
    url = tasks_url("me", created.json()["id"])
    responses = {
        "create": created,
        "retrieve": alice_client.get(url),
        "PUT": alice_client.put(url, {"title": "Put"}, format="json"),
        "PATCH": alice_client.patch(url, {"priority": "low"}, format="json"),
        "complete": alice_client.patch(url + "/complete"),
    }

    for name, response in responses.items():
        assert response.status_code in (HTTPStatus.OK, HTTPStatus.CREATED), name
        etag = response.headers.get("ETag")
        assert etag and etag.startswith('"') and etag.endswith('"'), f"{name}: {etag!r}"
    # Each write is a new version; reading one does not make one.
    versions = [responses[name].headers["ETag"] for name in ("create", "PUT", "PATCH", "complete")]
    assert len(set(versions)) == len(versions)
    assert responses["retrieve"].headers["ETag"] == responses["create"].headers["ETag"]


def test_the_etag_is_stable_across_reads_and_differs_between_tasks(alice, alice_client, task_url, make_task):
    other = make_task(alice, title="Another")

    first = alice_client.get(task_url).headers["ETag"]
    again = alice_client.get(task_url).headers["ETag"]
    theirs = alice_client.get(tasks_url("me", other.pk)).headers["ETag"]

    assert first == again
    assert theirs != first


def test_if_none_match_with_the_current_etag_is_304_with_an_empty_body(alice_client, task_url, etag):
    response = alice_client.get(task_url, HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == HTTPStatus.NOT_MODIFIED
    assert response.content == b""
    assert response.headers["ETag"] == etag


@pytest.mark.parametrize("header", ["*", "W/{etag}", '"something-else", {etag}'])
def test_if_none_match_accepts_a_star_a_weak_tag_and_a_list(alice_client, task_url, etag, header):
    response = alice_client.get(task_url, HTTP_IF_NONE_MATCH=header.format(etag=etag))

    assert response.status_code == HTTPStatus.NOT_MODIFIED


def test_if_none_match_with_a_stale_etag_is_200_with_the_task(alice_client, task_url, etag):
    alice_client.patch(task_url, {"title": "Renamed"}, format="json")

    response = alice_client.get(task_url, HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == HTTPStatus.OK
    assert response.json()["title"] == "Renamed"
    assert response.headers["ETag"] != etag


@pytest.mark.parametrize("write", WRITES)
def test_if_match_with_a_stale_etag_is_412_and_the_task_is_unchanged(alice_client, task, task_url, write):
    before = snapshot(task)

    response = WRITES[write](alice_client, task_url, HTTP_IF_MATCH=STALE)

    assert response.status_code == HTTPStatus.PRECONDITION_FAILED
    assert "changed" in response.json()["detail"]
    assert snapshot(task) == before


def test_delete_with_a_stale_etag_is_412_and_the_task_stays(alice_client, task, task_url):
    response = alice_client.delete(task_url, HTTP_IF_MATCH=STALE)

    assert response.status_code == HTTPStatus.PRECONDITION_FAILED
    assert response.json()["detail"]
    assert Task.objects.filter(pk=task.pk).exists()


@pytest.mark.parametrize("write", WRITES)
def test_if_match_with_the_current_etag_succeeds_and_returns_a_new_etag(
    alice_client, task, task_url, etag, write
):
    response = WRITES[write](alice_client, task_url, HTTP_IF_MATCH=etag)

    assert response.status_code == HTTPStatus.OK
    assert response.headers["ETag"] != etag
    assert response.headers["ETag"] == alice_client.get(task_url).headers["ETag"]


def test_delete_with_the_current_etag_deletes(alice_client, task, task_url, etag):
    response = alice_client.delete(task_url, HTTP_IF_MATCH=etag)

    assert response.status_code == HTTPStatus.NO_CONTENT
    assert not Task.objects.filter(pk=task.pk).exists()


def test_a_second_writer_with_the_same_etag_gets_412_instead_of_overwriting(
    alice_client, task, task_url, etag
):
    first = alice_client.put(task_url, {"title": "First writer"}, format="json", HTTP_IF_MATCH=etag)
    second = alice_client.put(task_url, {"title": "Second writer"}, format="json", HTTP_IF_MATCH=etag)

    assert first.status_code == HTTPStatus.OK
    assert second.status_code == HTTPStatus.PRECONDITION_FAILED
    assert Task.objects.get(pk=task.pk).title == "First writer"
    # With the version the first writer got back, the second one gets through.
    retry = alice_client.put(
        task_url, {"title": "Second writer"}, format="json", HTTP_IF_MATCH=first.headers["ETag"]
    )
    assert retry.status_code == HTTPStatus.OK


def test_completing_elsewhere_makes_an_edit_with_the_old_etag_fail(alice_client, task, task_url, etag):
    alice_client.patch(task_url + "/complete")

    response = alice_client.patch(task_url, {"description": "Stale edit"}, format="json", HTTP_IF_MATCH=etag)

    assert response.status_code == HTTPStatus.PRECONDITION_FAILED
    assert Task.objects.get(pk=task.pk).description == "Twice a week"


def test_the_etag_changes_when_only_the_tags_change(alice_client, task_url, etag):
    tagged = alice_client.patch(task_url, {"tags": ["home"]}, format="json")
    retagged = alice_client.patch(task_url, {"tags": ["home", "garden"]}, format="json")

    assert tagged.headers["ETag"] != etag
    assert retagged.headers["ETag"] != tagged.headers["ETag"]
    assert alice_client.get(task_url, HTTP_IF_NONE_MATCH=tagged.headers["ETag"]).status_code == HTTPStatus.OK


@pytest.mark.parametrize("write", WRITES)
def test_if_match_star_matches_any_version(alice_client, task_url, write):
    alice_client.patch(task_url, {"title": "Changed first"}, format="json")

    response = WRITES[write](alice_client, task_url, HTTP_IF_MATCH="*")

    assert response.status_code == HTTPStatus.OK


def test_if_match_accepts_a_list_that_names_the_current_etag(alice_client, task_url, etag):
    response = alice_client.put(
        task_url, {"title": "Listed"}, format="json", HTTP_IF_MATCH=f"{STALE}, {etag}"
    )

    assert response.status_code == HTTPStatus.OK


def test_a_stale_if_match_on_an_invalid_body_changes_nothing(alice_client, task, task_url):
    before = snapshot(task)

    response = alice_client.put(task_url, {"title": ""}, format="json", HTTP_IF_MATCH=STALE)

    assert response.status_code in (HTTPStatus.BAD_REQUEST, HTTPStatus.PRECONDITION_FAILED)
    assert snapshot(task) == before


def test_a_stranger_with_the_owners_etag_gets_404_not_304_or_412(bob_client, task, task_url, etag):
    url = tasks_url(task.user_id, task.pk)
    me_url = tasks_url("me", task.pk)

    assert bob_client.get(me_url, HTTP_IF_NONE_MATCH=etag).status_code == HTTPStatus.NOT_FOUND
    assert bob_client.get(me_url, HTTP_IF_NONE_MATCH="*").status_code == HTTPStatus.NOT_FOUND
    assert bob_client.put(me_url, {"title": "x"}, format="json", HTTP_IF_MATCH=etag).status_code == (
        HTTPStatus.NOT_FOUND
    )
    assert bob_client.delete(me_url, HTTP_IF_MATCH="*").status_code == HTTPStatus.NOT_FOUND
    assert bob_client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == HTTPStatus.FORBIDDEN
    assert Task.objects.get(pk=task.pk).title == "Water the plants"


def test_an_etag_for_a_deleted_task_gets_404(alice_client, task_url, etag):
    alice_client.delete(task_url)

    assert alice_client.get(task_url, HTTP_IF_NONE_MATCH=etag).status_code == HTTPStatus.NOT_FOUND
    assert alice_client.put(task_url, {"title": "x"}, format="json", HTTP_IF_MATCH=etag).status_code == (
        HTTPStatus.NOT_FOUND
    )
