"""The project's Redis cache backend (REDIS_URL): Django's, with a counter that is created
with its expiry and incremented in one command, and one redis client per pool."""

from __future__ import annotations

import os
import uuid

import pytest
from django.core.cache import caches

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
