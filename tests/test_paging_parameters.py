"""A bad `limit`, `ordering` or `cursor` is a 400 that names the parameter, never a 404 or 500."""

import re
from http import HTTPStatus
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core import signing

from tasks.data.task_list import CURSOR_SALT
from tests.conftest import tasks_url

pytestmark = pytest.mark.django_db


@pytest.fixture
def five(alice, make_task):
    return [make_task(alice, title=f"task {i}") for i in range(5)]


def cursor_of(response) -> str:
    url = re.fullmatch(r'<([^>]+)>; rel="next"', response.headers["Link"])[1]
    return parse_qs(urlsplit(url).query)["cursor"][0]


def assert_400_naming(response, param: str) -> None:
    assert response.status_code == HTTPStatus.BAD_REQUEST
    body = response.json()
    assert body["detail"].startswith(f"{param}: ")
    assert list(body["errors"]) == [param]


@pytest.mark.parametrize("limit", ["0", "1001", "abc", "-1", "", "1.5", " 5", "１０", "99999999999999999999"])
def test_a_bad_limit_is_a_400_naming_it(alice_client, five, limit):
    assert_400_naming(alice_client.get(tasks_url(), {"limit": limit}), "limit")


@pytest.mark.parametrize("limit", ["1", "1000"])
def test_the_limit_bounds_are_accepted(alice_client, five, limit):
    response = alice_client.get(tasks_url(), {"limit": limit})

    assert response.status_code == HTTPStatus.OK
    assert len(response.json()) == min(int(limit), 5)


@pytest.mark.parametrize("ordering", ["priority_desc", "--title", "id", "user_id", "-", "description"])
def test_an_unknown_ordering_is_a_400_naming_it(alice_client, five, ordering):
    assert_400_naming(alice_client.get(tasks_url(), {"ordering": ordering}), "ordering")


@pytest.mark.parametrize("cursor", ["abc", "not:a:cursor", "x" * 500, "%00"])
def test_a_malformed_cursor_is_a_400_naming_it(alice_client, five, cursor):
    assert_400_naming(alice_client.get(f"{tasks_url()}?cursor={cursor}"), "cursor")


def test_a_tampered_cursor_is_a_400(alice_client, five):
    cursor = cursor_of(alice_client.get(tasks_url(), {"limit": 2}))
    payload, _, signature = cursor.rpartition(":")
    flipped = payload[:-1] + ("A" if payload[-1] != "A" else "B")

    assert_400_naming(alice_client.get(tasks_url(), {"cursor": f"{flipped}:{signature}"}), "cursor")
    assert_400_naming(alice_client.get(tasks_url(), {"cursor": f"{payload}:{signature[::-1]}"}), "cursor")


def test_a_cursor_signed_for_something_else_is_a_400(alice_client, five):
    foreign = signing.dumps(["-created_at", None, "00000000-0000-0000-0000-000000000000"])

    assert_400_naming(alice_client.get(tasks_url(), {"cursor": foreign}), "cursor")


@pytest.mark.parametrize(
    "payload",
    [["-created_at", "yesterday", "00000000-0000-0000-0000-000000000000"], ["-created_at", None, "x"], [1]],
)
def test_a_signed_cursor_with_bad_contents_is_a_400(alice_client, five, payload):
    cursor = signing.dumps(payload, salt=CURSOR_SALT)

    assert_400_naming(alice_client.get(tasks_url(), {"cursor": cursor}), "cursor")


def test_a_cursor_from_another_ordering_is_a_400(alice_client, five):
    cursor = cursor_of(alice_client.get(tasks_url(), {"limit": 2, "ordering": "title"}))

    response = alice_client.get(tasks_url(), {"cursor": cursor, "ordering": "-title"})

    assert_400_naming(response, "cursor")
    assert "ordering" in response.json()["detail"]


def test_the_default_ordering_and_its_explicit_name_share_cursors(alice_client, five):
    cursor = cursor_of(alice_client.get(tasks_url(), {"limit": 2}))

    response = alice_client.get(tasks_url(), {"cursor": cursor, "ordering": "-created_at", "limit": 2})

    assert response.status_code == HTTPStatus.OK
    assert len(response.json()) == 2


def test_bob_replaying_alices_cursor_sees_only_his_own_tasks(alice_client, bob, bob_client, make_task, five):
    mine = make_task(bob, title="zebra")  # sorts after alice's page
    cursor = cursor_of(alice_client.get(tasks_url(), {"limit": 1, "ordering": "title"}))

    response = bob_client.get(tasks_url(), {"cursor": cursor, "ordering": "title"})

    assert response.status_code == HTTPStatus.OK
    assert [task["id"] for task in response.json()] == [str(mine.pk)]
