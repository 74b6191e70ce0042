"""The project's Redis cache backend (REDIS_URL): Django's, with a counter that is created
with its expiry and incremented in one command, and one redis client per pool."""

from __future__ import annotations

import os
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.cache import caches
from redis.exceptions import ConnectionError as RedisConnectionError

pytestmark = pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL")


@pytest.fixture
def cache(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "config.redis_cache.RedisCache",
            "LOCATION": os.environ["REDIS_URL"],
            "KEY_PREFIX": f"redis-cache-{uuid.uuid4().hex}",
        }
    }
    return caches["default"]


def test_a_counter_starts_at_one_and_keeps_the_expiry_it_was_created_with(cache):
    counts = [cache.incr_counter("hits", 120) for _ in range(3)]
    client = cache._cache.get_client(write=True)
    key = cache.make_and_validate_key("hits")
    client.expire(key, 30)  # as if 90 s had passed
    fourth = cache.incr_counter("hits", 120)

    assert counts == [1, 2, 3]
    assert fourth == 4
    assert 0 < client.ttl(key) <= 30  # incrementing did not push the expiry back
    assert cache.get("hits") == 4  # an ordinary cache value too


def test_a_new_counter_expires_at_its_timeout(cache):
    cache.incr_counter("fresh", 120)
    client = cache._cache.get_client(write=True)

    assert 110 < client.ttl(cache.make_and_validate_key("fresh")) <= 120


def test_the_counter_still_counts_after_redis_forgets_its_script(cache):
    cache.incr_counter("after-flush", 60)
    cache._cache.get_client(write=True).script_flush()  # as after a restart or failover

    assert cache.incr_counter("after-flush", 60) == 2


def test_the_redis_client_is_built_once_per_pool(cache):
    assert cache._cache.get_client("a", write=True) is cache._cache.get_client("b", write=True)


def test_the_rest_of_the_cache_works_as_djangos(cache):
    cache.set("thing", {"a": [1, 2]}, 60)
    assert cache.add("thing", "other", 60) is False
    assert cache.get("thing") == {"a": [1, 2]}
    cache.add("counter", 1, 60)
    assert cache.incr("counter") == 2
    assert cache.get("counter") == 2


def test_replies_are_parsed_by_hiredis(cache):
    # requirements/base.txt installs it for the throttle's per-request command; redis-py
    # quietly falls back to its Python parser when it is missing.
    from redis._parsers import _HiredisParser

    connection = cache._cache.get_client(write=True).connection_pool.get_connection()
    try:
        assert isinstance(connection._parser, _HiredisParser)
    finally:
        cache._cache.get_client(write=True).connection_pool.release(connection)


def test_each_thread_counts_on_a_connection_of_its_own(cache):
    connections = cache._cache._counter_connections
    all_started = threading.Barrier(4)

    def count_twice(_):
        all_started.wait(timeout=10)  # four threads, not one taking every call
        first = cache.incr_counter("threads", 60)
        connection = connections[0].connection
        second = cache.incr_counter("threads", 60)
        assert connections[0].connection is connection  # kept between calls
        all_started.wait(timeout=10)  # every thread's connection still alive
        return id(connection), first, second

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(count_twice, range(4)))

    assert len({connection for connection, _, _ in results}) == 4  # all alive: ids are distinct
    assert sorted(n for _, first, second in results for n in (first, second)) == list(range(1, 9))
    assert cache.get("threads") == 8


def test_a_counter_connection_that_redis_closed_is_replaced(cache):
    cache.incr_counter("killed", 60)
    connection = cache._cache._counter_connections[0].connection
    connection.send_command("CLIENT", "ID")
    cache._cache.get_client(write=True).client_kill_filter(_id=connection.read_response())

    assert cache.incr_counter("killed", 60) == 2
    assert cache._cache._counter_connections[0].connection is not connection


def test_a_counter_with_redis_down_raises_for_the_throttle_to_fail_open(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "config.redis_cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
            "OPTIONS": {"socket_connect_timeout": 0.25},
        }
    }
    cache = caches["default"]

    with pytest.raises(RedisConnectionError):
        cache.incr_counter("down", 60)
    assert cache._cache._counter_connections[0].connection is None
