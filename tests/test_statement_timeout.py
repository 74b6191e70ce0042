"""The database statement timeout: in force for every new session of the app's role in
the test database (never elsewhere), and going over it is a JSON 503, after which the
same worker serves the next request."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from http import HTTPStatus

import psycopg
import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.test import override_settings

from tasks.data import statement_timeout
from tests.conftest import tasks_url

postgresql_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL setting")


def new_session_setting() -> str:
    """statement_timeout as a fresh session of the test database sees it."""
    with psycopg.connect(**connection.get_connection_params()) as fresh:
        return fresh.execute("SHOW statement_timeout").fetchone()[0]


@postgresql_only
@pytest.mark.django_db
def test_migrate_leaves_the_timeout_as_the_roles_default_in_this_database():
    assert statement_timeout.timeout_ms() == 5000
    assert new_session_setting() == "5s"


@pytest.mark.parametrize(("raw", "expected"), [("5s", 5000), ("250ms", 250), ("2min", 120_000), ("0", 0)])
def test_durations_are_read_in_postgresqls_units(raw, expected):
    assert statement_timeout.timeout_ms(raw) == expected


@pytest.mark.parametrize("raw", ["5 seconds", "-1s", "fast", ""])
def test_a_malformed_duration_is_refused(raw):
    with pytest.raises(ImproperlyConfigured):
        statement_timeout.timeout_ms(raw)


@postgresql_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_timeout_of_zero_removes_the_roles_default():
    try:
        with override_settings(DB_STATEMENT_TIMEOUT="0"):
            statement_timeout.apply_role_default(connection, statement_timeout.timeout_ms())
        assert new_session_setting() == "0"
    finally:
        statement_timeout.apply_role_default(connection, statement_timeout.timeout_ms())
    assert new_session_setting() == "5s"


@contextmanager
def locked_tasks_table() -> Iterator[psycopg.Connection]:
    """Another session holds an exclusive lock on the tasks table until it rolls back:
    a list query waits for it, as long as its statement timeout lets it."""
    holder = psycopg.connect(**connection.get_connection_params())
    try:
        holder.execute("LOCK TABLE tasks_task IN ACCESS EXCLUSIVE MODE")
        yield holder
    finally:
        holder.rollback()
        holder.close()


@postgresql_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_statement_over_the_timeout_is_a_json_503_and_the_next_request_is_served(
    alice, alice_client, make_task
):
    make_task(alice, title="waiting")
    with connection.cursor() as cursor:
        cursor.execute("SET statement_timeout = 200")
    try:
        with locked_tasks_table():
            stuck = alice_client.get(tasks_url())
        after = alice_client.get(tasks_url())
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET statement_timeout")

    assert stuck.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert stuck["Content-Type"] == "application/json"
    assert int(stuck["Retry-After"]) > 0
    assert "too long" in stuck.json()["detail"]
    assert after.status_code == HTTPStatus.OK
    assert [task["title"] for task in after.json()] == ["waiting"]
