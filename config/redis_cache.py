"""Django's Redis cache backend (REDIS_URL), with a counter in one round trip and one
redis client per connection pool.

Django's RedisCacheClient builds a new `redis.Redis` on every call (about as much CPU as
the call's round trip), and its `incr` is two round trips (EXISTS, then INCRBY), after
an `add` when the key is new. The throttles count every request (tasks.api.throttling),
so here the client is built once per pool (a `redis.Redis` is safe to share between
threads; its pool hands each command a connection), and `incr_counter` increments the
key and gives a new one its expiry, atomically, in one Lua script: one command to send
and one reply to read (a MULTI/EXEC of SET NX and INCR is four of each, and the packing
and parsing of redis-py's pipeline was a fifth of a toggle's CPU), on a connection of
the thread's own (CounterConnections).
"""

from __future__ import annotations

import os
import threading

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import NoScriptError

# Run by Redis as one command: nothing can come between the increment and the expiry.
INCREMENT_WITH_EXPIRY = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then
    redis.call('EXPIRE', KEYS[1], ARGV[1])
end
return count
"""


class CounterConnections(threading.local):
    """Each thread's own connection for the counter's one command per request.

    A command through redis-py's client checks a connection out of the pool and back in
    around it: a poll of the socket for stray data, the pool's lock, its retry wrapper
    and connection-count metrics, as much CPU as the command itself. The counter sends one
    command and reads one reply on a connection that only its thread uses, made from the
    pool's settings (address, credentials, timeouts, hiredis). A connection found closed
    (Redis restarted, or dropped it while idle) is replaced once; any other failure is
    the caller's, as from the client (the throttle then fails open)."""

    connection = None
    pid = None

    def evalsha(self, pool, script, key: str, timeout: int) -> int:
        reused = self.connection is not None and self.pid == os.getpid()
        try:
            return self._evalsha(pool, script, key, timeout)
        except RedisConnectionError:
            self._drop()
            if not reused:
                raise  # a new connection failed: Redis is down, not merely reconnecting
            return self.evalsha(pool, script, key, timeout)
        except BaseException:
            self._drop()  # a reply may be left unread on it
            raise

    def _evalsha(self, pool, script, key: str, timeout: int) -> int:
        connection = self._connection(pool)
        try:
            connection.send_command("EVALSHA", script.sha, 1, key, timeout)
            return connection.read_response()
        except NoScriptError:  # Redis restarted or failed over, and lost the script
            script.sha = script.registered_client.script_load(script.script)
            connection.send_command("EVALSHA", script.sha, 1, key, timeout)
            return connection.read_response()

    def _connection(self, pool):
        # A forked worker must not write to its parent's socket.
        if self.connection is None or self.pid != os.getpid():
            self.connection = pool.connection_class(**pool.connection_kwargs)
            self.pid = os.getpid()
        return self.connection

    def _drop(self) -> None:
        if self.connection is not None:
            self.connection.disconnect()
        self.connection = None


class KeptClientRedisCacheClient(RedisCacheClient):
    """Django's client to Redis, keeping the `redis.Redis` of each connection pool."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, object] = {}
        self._increments: dict[int, object] = {}
        self._counter_connections: dict[int, CounterConnections] = {}

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            client = self._clients[index] = super().get_client(key, write=write)
        return client

    def incr_counter(self, key: str, timeout: int) -> int:
        index = self._get_connection_pool_index(True)
        script = self._increments.get(index)
        if script is None:
            script = self._increments[index] = self.get_client(key, write=True).register_script(
                INCREMENT_WITH_EXPIRY
            )
        connections = self._counter_connections.get(index)
        if connections is None:
            connections = self._counter_connections.setdefault(index, CounterConnections())
        return connections.evalsha(self.get_client(key, write=True).connection_pool, script, key, timeout)


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
