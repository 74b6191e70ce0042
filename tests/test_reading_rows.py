"""Rows read back faster (psycopg's C timestamp loader, orjson for tag names) are the values
Django's own readers would give."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
from django.db import connection
from django.db.backends.postgresql.psycopg_any import BaseTzLoader
from django.db.models import QuerySet
from psycopg import adapters
from psycopg.pq import Format

from tasks.data.utc_timestamps import UtcTimestamptzLoader
from tasks.models import Task

pytestmark = pytest.mark.django_db
on_postgresql = pytest.mark.skipif(connection.vendor != "postgresql", reason="psycopg's loaders")
TIMESTAMPTZ_OID = adapters.types["timestamptz"].oid

MOMENTS = [
    datetime(2026, 11, 25, 19, 40, 1, 123456, tzinfo=UTC),
    datetime(2026, 11, 25, 19, 40, 1, tzinfo=UTC),  # no fraction of a second
    datetime(1, 1, 1, tzinfo=UTC),
    datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
    datetime(2026, 3, 29, 3, 30, tzinfo=timezone(timedelta(hours=5, minutes=45))),  # Kathmandu
]


def read_back(values: list[datetime]) -> list[datetime]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT v FROM unnest(%s::timestamptz[]) WITH ORDINALITY AS t(v, n) ORDER BY n", [values]
        )
        return [row[0] for row in cursor.fetchall()]


@on_postgresql
def test_connections_read_timestamps_with_the_fast_loader():
    connection.ensure_connection()
    loader = connection.connection.adapters.get_loader(TIMESTAMPTZ_OID, Format.TEXT)

    assert loader is UtcTimestamptzLoader


@on_postgresql
def test_the_fast_loader_gives_what_djangos_loader_gives():
    fast = read_back(MOMENTS)

    class DjangoUtcLoader(BaseTzLoader):
        timezone = UTC

    connection.connection.adapters.register_loader("timestamptz", DjangoUtcLoader)
    try:
        slow = read_back(MOMENTS)
    finally:
        connection.connection.adapters.register_loader("timestamptz", UtcTimestamptzLoader)

    assert fast == slow == MOMENTS
    assert [value.isoformat() for value in fast] == [value.isoformat() for value in slow]
    assert {value.tzinfo for value in fast} == {UTC}


def write_straight_to_the_row(task: Task, **values) -> None:
    """Values the API would never write, past the store (and its refusal of `update()`)."""
    QuerySet.update(Task.objects.filter(pk=task.pk), **values)


def test_tag_names_read_back_as_the_list_written(make_task):
    names = ["b\u00e9b\u00e9", "h\u00f6me", "\U0001f680 launch", 'quote "x"', "x" * 50]
    task = make_task("carol", title="Tagged")
    write_straight_to_the_row(task, tag_names=sorted(names))

    assert Task.objects.values_list("tag_names", flat=True).get(pk=task.pk) == sorted(names)
    assert Task.objects.get(pk=task.pk).tag_names == sorted(names)


def test_a_json_number_too_big_for_orjson_still_reads(make_task):
    task = make_task("carol", title="Big")
    write_straight_to_the_row(task, tag_names=[2**70])

    assert Task.objects.get(pk=task.pk).tag_names == [2**70]
