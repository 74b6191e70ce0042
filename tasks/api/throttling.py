"""DRF's rate throttles, failing open when the cache that holds their counters is down.

The counters live in Redis when REDIS_URL is set. Redis holds nothing else that a
request needs, so when it cannot be reached the request is served unthrottled (and a
warning logged at most every WARNING_INTERVAL seconds). After a failure a circuit
breaker skips the cache for REDIS_RETRY_SECONDS, so that a hung Redis costs one
request the timeout rather than every request; then a single request probes it, and
counting starts again as soon as it answers. Combine FailOpenMixin with any
SimpleRateThrottle (before it).
"""

from __future__ import annotations

import logging
import threading
import time

from django.conf import settings
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from rest_framework import throttling

from config import metrics
from config.circuit_breaker import CircuitBreaker
from tasks.identity.principal import principal_id

logger = logging.getLogger(__name__)

WARNING_INTERVAL = 60.0
# What the cache raises when its server cannot be reached or does not answer in time
# (OSError: a socket error that escapes the client library).
CACHE_UNREACHABLE = (RedisConnectionError, RedisTimeoutError, OSError)

# One per worker process: its threads share what they learn about the cache.
breaker = CircuitBreaker("Throttle counters' cache", cooldown=settings.REDIS_RETRY_SECONDS)

_warned_at = float("-inf")
_warned_lock = threading.Lock()


def _warn_now_and_then(exc: Exception) -> None:
    global _warned_at
    with _warned_lock:
        now = time.monotonic()
        if now - _warned_at < WARNING_INTERVAL:
            return
        _warned_at = now
    logger.warning("Throttle counters unreachable, serving without rate limits: %s", exc)


class CircuitOpen(Exception):
    """The breaker is open: the cache is not called at all."""


class GuardedCache:
    """The throttle's cache, called only when the breaker allows it, which it tells how
    each call went."""

    def __init__(self, cache) -> None:
        self.cache = cache

    def get(self, *args, **kwargs):
        return self._call(self.cache.get, *args, **kwargs)

    def set(self, *args, **kwargs):
        return self._call(self.cache.set, *args, **kwargs)

    @staticmethod
    def _call(method, *args, **kwargs):
        if not breaker.allows_call():
            raise CircuitOpen
        try:
            result = method(*args, **kwargs)
        except CACHE_UNREACHABLE:
            breaker.failed()
            raise
        breaker.succeeded()
        return result


class FailOpenMixin:
    """allow_request() that lets the request through when the counters cannot be read or
    written, or are not even tried while the breaker is open."""

    def __init__(self) -> None:
        super().__init__()
        self.cache = GuardedCache(self.cache)

    def allow_request(self, request, view) -> bool:
        try:
            return super().allow_request(request, view)
        except CircuitOpen:
            metrics.UNTHROTTLED.labels("circuit_open").inc()
            return True
        except CACHE_UNREACHABLE as exc:
            metrics.UNTHROTTLED.labels("cache_failed").inc()
            _warn_now_and_then(exc)
            return True

    def throttle_failure(self) -> bool:
        metrics.THROTTLED.labels(self.scope).inc()
        return super().throttle_failure()


class UserRateThrottle(FailOpenMixin, throttling.UserRateThrottle):
    """Requests per authenticated principal (DRF's `user` rate), counted per principal id
    rather than per `user.pk`: an external subject "1" and Django account 1 share a pk,
    never a budget."""

    def get_cache_key(self, request, view):
        if not request.user or not request.user.is_authenticated:
            return None  # the anonymous (per-address) throttle counts these
        return self.cache_format % {"scope": self.scope, "ident": principal_id(request.user)}


class AnonRateThrottle(FailOpenMixin, throttling.AnonRateThrottle):
    """Requests per client address for anonymous callers (DRF's `anon` rate)."""
