"""The pool Django's backend builds (config.postgresql), real and on the test database:
CONN_HEALTH_CHECKS=1 serves queries, a connection the server dropped is never handed
out, and a quiet one is handed out without a round trip."""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import psycopg
import pytest
from django.db import connection
from psycopg import adapters
from psycopg.pq import Format
from psycopg_pool import ConnectionPool

from config import database_availability
from config.database_pool import pool_options
from config.postgresql.base import DatabaseWrapper
from tasks.data.utc_timestamps import UtcTimestamptzLoader

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the pool is PostgreSQL's"),
]

_aliases = itertools.count()
TIMESTAMPTZ_OID = adapters.types["timestamptz"].oid


@pytest.fixture
def pooled_wrapper() -> Iterator:
    """Builds a backend with its own pool of 2 on the test database, as settings make it."""
    built: list[DatabaseWrapper] = []

    def build(*, health_checks: bool = False) -> DatabaseWrapper:
        settings_dict = {
            **connection.settings_dict,
            "CONN_HEALTH_CHECKS": health_checks,
            "CONN_MAX_AGE": 0,
            "OPTIONS": {
                **connection.settings_dict["OPTIONS"],
                "pool": pool_options({"WEB_THREADS": "2"}),
            },
        }
        wrapper = DatabaseWrapper(settings_dict, alias=f"pool-test-{next(_aliases)}")
        built.append(wrapper)
        return wrapper

    yield build
    for wrapper in built:
        wrapper.close()
        wrapper.close_pool()


def one_query(wrapper: DatabaseWrapper) -> int:
    """A request's worth of use: take a connection, run a statement, give it back."""
    try:
        with wrapper.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            return cursor.fetchone()[0]
    finally:
        wrapper.close()


def terminate(pids: set[int]) -> None:
    """Ends these server processes, as a restart does, and returns once they are gone
    (pg_terminate_backend only sends the signal)."""
    with psycopg.connect(**connection.get_connection_params(), autocommit=True) as admin:
        for pid in pids:
            admin.execute("SELECT pg_terminate_backend(%s)", [pid])
        deadline = time.monotonic() + 10
        while admin.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(%s)", [list(pids)]
        ).fetchone()[0]:
            assert time.monotonic() < deadline, "the backends did not end"
            time.sleep(0.01)


@pytest.fixture
def round_trip_checks(monkeypatch) -> list:
    """Each round-trip check of a connection, as it happens."""
    calls: list = []
    check = ConnectionPool.check_connection

    def counted(conn):
        calls.append(conn)
        check(conn)

    monkeypatch.setattr(ConnectionPool, "check_connection", staticmethod(counted))
    return calls


@pytest.mark.parametrize("health_checks", [False, True], ids=["default", "CONN_HEALTH_CHECKS=1"])
def test_the_pool_serves_queries_with_or_without_health_checks(pooled_wrapper, health_checks):
    wrapper = pooled_wrapper(health_checks=health_checks)

    assert one_query(wrapper) > 0
    assert one_query(wrapper) > 0


def test_a_quiet_connection_is_handed_out_without_a_round_trip(pooled_wrapper, round_trip_checks):
    wrapper = pooled_wrapper()

    for _ in range(5):
        one_query(wrapper)

    assert round_trip_checks == []


def test_with_health_checks_every_hand_out_costs_a_round_trip(pooled_wrapper, round_trip_checks):
    wrapper = pooled_wrapper(health_checks=True)

    for _ in range(3):
        one_query(wrapper)

    assert len(round_trip_checks) == 3


def test_connections_the_server_dropped_are_never_handed_out(pooled_wrapper):
    wrapper = pooled_wrapper()
    pooled = {one_query(wrapper) for _ in range(4)}
    terminate(pooled)

    served = [one_query(wrapper) for _ in range(6)]  # raises if any request met a dead one

    assert not pooled & set(served)
    assert not database_availability.known_down()


def test_each_hand_out_starts_in_autocommit_whatever_the_last_request_left(pooled_wrapper):
    wrapper = pooled_wrapper()
    for _ in range(4):  # both connections of the pool, twice
        wrapper.ensure_connection()
        assert wrapper.connection.autocommit is True
        assert wrapper.get_autocommit() is True
        wrapper.set_autocommit(False)  # a transaction, as transaction.atomic opens one
        assert wrapper.connection.autocommit is False
        # Handed back out of autocommit: psycopg's pool keeps the mode as it is.
        wrapper.connection.rollback()
        wrapper.close()


def test_a_connection_handed_out_again_keeps_the_fast_timestamp_loader(pooled_wrapper):
    wrapper = pooled_wrapper()
    for _ in range(4):
        with wrapper.cursor() as cursor:
            cursor.execute("SELECT '2026-12-06 08:00:00.5+00'::timestamptz")
            assert cursor.fetchone()[0] == datetime(2026, 12, 6, 8, 0, 0, 500000, tzinfo=UTC)
        assert wrapper.connection.adapters.get_loader(TIMESTAMPTZ_OID, Format.TEXT) is UtcTimestamptzLoader
        wrapper.close()
