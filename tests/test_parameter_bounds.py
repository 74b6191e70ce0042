"""Bounded parameters (OWASP API4): a query string over its bounds is a 400 naming the
parameter, decided once the caller is authenticated and allowed, before any query of
the view; "all these tags" is one condition on the row, however many are asked for.

carol's tokens (the external identity provider's) cost no query to verify, so for her
a refusal costs none at all."""

from http import HTTPStatus

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tasks.api.parameter_bounds import CURSOR_MAX_LENGTH, MAX_TAG_FILTERS, SEARCH_MAX_LENGTH
from tests.conftest import set_tags, tasks_url

pytestmark = pytest.mark.django_db


def assert_refused(response, parameter: str) -> None:
    assert response.status_code == HTTPStatus.BAD_REQUEST, response.content
    body = response.json()
    assert list(body["errors"]) == [parameter]
    assert body["detail"].startswith(f"{parameter}: ")


def test_a_hundred_tag_filters_are_refused_before_any_query(carol_client, django_assert_num_queries):
    tags = [f"t{n}" for n in range(100)]

    with django_assert_num_queries(0):
        response = carol_client.get(tasks_url(), {"tag": tags})

    assert_refused(response, "tag")
    assert f"at most {MAX_TAG_FILTERS}" in response.json()["detail"]


def test_for_a_django_account_only_the_token_s_user_is_looked_up(alice_client):
    with CaptureQueriesContext(connection) as queries:
        response = alice_client.get(tasks_url(), {"tag": [f"t{n}" for n in range(100)]})

    assert_refused(response, "tag")
    [user_lookup] = [query["sql"] for query in queries.captured_queries]
    assert "auth_user" in user_lookup


def test_as_many_tag_filters_as_a_task_can_hold_are_served(alice, alice_client, make_task):
    tags = [f"t{n}" for n in range(MAX_TAG_FILTERS)]
    full = make_task(alice, title="every tag")
    set_tags(full, tags)
    set_tags(make_task(alice, title="all but one"), tags[:-1])

    response = alice_client.get(tasks_url(), {"tag": tags})

    assert response.status_code == HTTPStatus.OK
    assert [task["title"] for task in response.json()] == ["every tag"]


def test_a_stranger_gets_401_first(anon_client):
    response = anon_client.get(tasks_url(), {"tag": ["x"] * (MAX_TAG_FILTERS + 1)})

    assert response.status_code == HTTPStatus.UNAUTHORIZED


@pytest.mark.parametrize(
    ("parameter", "length"),
    [
        ("search", SEARCH_MAX_LENGTH + 1),
        ("cursor", CURSOR_MAX_LENGTH + 1),
        ("ordering", 101),
        ("due_before", 101),
        ("limit", 101),
        ("cache_buster", 101),
    ],
)
def test_an_overlong_value_is_refused_naming_its_parameter(
    carol_client, django_assert_num_queries, parameter, length
):
    with django_assert_num_queries(0):
        response = carol_client.get(tasks_url(), {parameter: "a" * length})

    assert_refused(response, parameter)


def test_an_overlong_sync_token_is_refused(carol_client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = carol_client.get(tasks_url(suffix="/sync"), {"since": "a" * 257})

    assert_refused(response, "since")


def test_a_single_valued_parameter_given_twice_is_refused(alice_client):
    response = alice_client.get(tasks_url(), {"limit": ["1", "1000"]})

    assert_refused(response, "limit")


def test_an_unread_parameter_may_repeat(alice_client):
    response = alice_client.get(tasks_url(), {"_": ["1", "2"]})

    assert response.status_code == HTTPStatus.OK


def test_values_at_their_bounds_are_served(alice_client):
    response = alice_client.get(tasks_url(), {"search": "a" * SEARCH_MAX_LENGTH, "tag": "t" * 50})

    assert response.status_code == HTTPStatus.OK
    assert response.json() == []


def test_the_tag_condition_is_one_condition_without_joins(alice, alice_client, make_task):
    set_tags(make_task(alice, title="tagged"), ["a", "b"])

    with CaptureQueriesContext(connection) as queries:
        response = alice_client.get(tasks_url(), {"tag": [f"t{n}" for n in range(MAX_TAG_FILTERS)]})

    assert response.status_code == HTTPStatus.OK
    list_query = queries.captured_queries[-1]["sql"]
    assert "tasks_task_tags" not in list_query
    assert "JOIN" not in list_query.upper()


def test_tag_names_that_look_like_json_or_patterns_match_only_themselves(alice, alice_client, make_task):
    set_tags(make_task(alice, title="quoted"), ['say "hi"', "100%"])
    set_tags(make_task(alice, title="plain"), ["say hi", "100"])

    for tag in ['say "hi"', "100%"]:
        response = alice_client.get(tasks_url(), {"tag": tag})
        assert [task["title"] for task in response.json()] == ["quoted"], tag


def test_the_cursor_after_the_longest_title_is_within_its_bound(alice, alice_client, make_task):
    # Random characters outside ASCII: JSON-escaped, and hardly compressible.
    for seed in range(2):
        make_task(alice, title="".join(chr(0x4E00 + (n * 7919 + seed) % 20000) for n in range(255)))

    first = alice_client.get(tasks_url(), {"ordering": "title", "limit": 1})
    next_url = first["Link"].split(";")[0].strip("<>")
    second = alice_client.get(next_url)

    assert first.status_code == second.status_code == HTTPStatus.OK
    assert len(second.json()) == 1
