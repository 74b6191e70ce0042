"""Django's Redis cache backend (REDIS_URL), with a counter in one round trip and one
redis client per connection pool.

Django's RedisCacheClient builds a new `redis.Redis` on every call (about as much CPU as
the call's round trip), and its `incr` is two round trips (EXISTS, then INCRBY), after
an `add` when the key is new. The throttles count every request (tasks.api.throttling),
so here the client is built once per pool (a `redis.Redis` is safe to share between
threads; its pool hands each command a connection), and `incr_counter` creates the key
with its expiry if it is missing and increments it, atomically, in one MULTI/EXEC.
"""

from __future__ import annotations

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient


class KeptClientRedisCacheClient(RedisCacheClient):
    """Django's client to Redis, keeping the `redis.Redis` of each connection pool."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, object] = {}

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            client = self._clients[index] = super().get_client(key, write=write)
        return client

    def incr_counter(self, key: str, timeout: int) -> int:
        pipeline = self.get_client(key, write=True).pipeline(transaction=True)
        pipeline.set(key, 0, ex=timeout, nx=True)
        pipeline.incr(key)
        _created, count = pipeline.execute()
        return count


class RedisCache(DjangoRedisCache):
    """Django's RedisCache, through KeptClientRedisCacheClient."""

    def __init__(self, server, params) -> None:
        super().__init__(server, params)
        self._class = KeptClientRedisCacheClient

    def incr_counter(self, key: str, timeout: int, version: int | None = None) -> int:
        """Add one to the integer at `key` and return it; a missing key starts from 0 and
        expires `timeout` seconds later (the count's window and some margin)."""
        key = self.make_and_validate_key(key, version=version)
        return self._cache.incr_counter(key, self.get_backend_timeout(timeout))
