"""Django's Redis cache backend (REDIS_URL), with a counter in one round trip and one
redis client per connection pool.

Django's RedisCacheClient builds a new `redis.Redis` on every call (about as much CPU as
the call's round trip), and its `incr` is two round trips (EXISTS, then INCRBY), after
an `add` when the key is new. The throttles count every request (tasks.api.throttling),
so here the client is built once per pool (a `redis.Redis` is safe to share between
threads; its pool hands each command a connection), and `incr_counter` increments the
key and gives a new one its expiry, atomically, in one Lua script: one command to send
and one reply to read (a MULTI/EXEC of SET NX and INCR is four of each, and the packing
and parsing of redis-py's pipeline was a fifth of a toggle's CPU).
"""

from __future__ import annotations

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient

# Run by Redis as one command: nothing can come between the increment and the expiry.
INCREMENT_WITH_EXPIRY = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then
    redis.call('EXPIRE', KEYS[1], ARGV[1])
end
return count
"""


class KeptClientRedisCacheClient(RedisCacheClient):
    """Django's client to Redis, keeping the `redis.Redis` of each connection pool."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, object] = {}
        self._increments: dict[int, object] = {}

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            client = self._clients[index] = super().get_client(key, write=write)
        return client

    def incr_counter(self, key: str, timeout: int) -> int:
        # A redis-py Script sends EVALSHA, and loads the script again if Redis lost it.
        index = self._get_connection_pool_index(True)
        script = self._increments.get(index)
        if script is None:
            script = self._increments[index] = self.get_client(key, write=True).register_script(
                INCREMENT_WITH_EXPIRY
            )
        return script(keys=[key], args=[timeout])


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
