"""The API's rate throttles: a counter per client and fixed window, failing open when the
cache that holds the counters is down.

Each client (a principal, or an anonymous caller's address) has one counter per scope and
window of the rate's period (a minute for "6000/min"), incremented atomically by the
cache (with REDIS_URL set, Redis's INCR in one round trip, config.redis_cache, so every
process counts into the same one).
A request costs the same whatever the rate and however busy the client: DRF's
SimpleRateThrottle instead keeps every request's timestamp in one pickled list per client,
read and rewritten whole on each request, and answers 429 without `Retry-After` once that
list is longer than the limit. Here a refused request is told the seconds until its window
ends (at least 1). The price of a fixed window: a client may spend its budget at the end
of one window and again at the start of the next.

The counters live in Redis when REDIS_URL is set. Redis holds nothing else that a
request needs, so when it cannot be reached the request is served unthrottled (and a
warning logged at most every WARNING_INTERVAL seconds). After a failure a circuit
breaker skips the cache for REDIS_RETRY_SECONDS, so that a hung Redis costs one
request the timeout rather than every request; then a single request probes it, and
counting starts again as soon as it answers.

Not django-ratelimit's get_usage(), which does the same add-and-increment: it reads the
cache by alias (so its calls could not pass through the circuit breaker), limits every
caller when an increment fails unless RATELIMIT_FAIL_OPEN, and hashes the key and parses
the rate on every request; the interface DRF's views call (allow_request, wait) would
still have to be written around it.
"""

from __future__ import annotations

import logging
import math
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

    def incr_counter(self, key: str, timeout: int) -> int:
        """Add one to the counter at `key` and return it; a missing counter starts from 0
        and expires `timeout` seconds later."""
        return self._call(increment, self.cache, key, timeout)

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


def increment(cache, key: str, timeout: int) -> int:
    """The counter at `key` plus one: in one round trip on the project's Redis cache
    (config.redis_cache); elsewhere (the local-memory cache, without REDIS_URL) with
    Django's add and incr, each atomic."""
    if counter := getattr(cache, "incr_counter", None):
        return counter(key, timeout)
    try:
        return cache.incr(key)
    except ValueError:
        pass  # the counter's first request
    if cache.add(key, 1, timeout):
        return 1
    try:
        return cache.incr(key)  # another thread's request added it first
    except ValueError:
        return 1  # and it expired at once: a window long past, counted nowhere


class FixedWindowRateThrottle(throttling.SimpleRateThrottle):
    """DRF's throttle interface (scope, rates from DEFAULT_THROTTLE_RATES, get_cache_key)
    over one counter per client and window. The counter's key is the client's key and the
    window's number; it outlives its window by one period, so that a process whose clock
    is a little behind still finds it."""

    window_ends_at: float

    def allow_request(self, request, view) -> bool:
        if self.rate is None:
            return True
        key = self.get_cache_key(request, view)
        if key is None:
            return True
        window = int(self.timer() // self.duration)
        self.window_ends_at = (window + 1) * self.duration
        if increment(self.cache, f"{key}_{window}", 2 * self.duration) > self.num_requests:
            return self.throttle_failure()
        return True

    def wait(self) -> int:
        """Seconds until the window ends, when the budget is whole again (Retry-After)."""
        return max(1, math.ceil(self.window_ends_at - self.timer()))


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


class UserRateThrottle(FailOpenMixin, FixedWindowRateThrottle):
    """Requests per authenticated principal (DRF's `user` scope and rate), counted per
    principal id rather than per `user.pk`: an external subject "1" and Django account 1
    share a pk, never a budget."""

    scope = "user"

    def get_cache_key(self, request, view):
        if not request.user or not request.user.is_authenticated:
            return None  # the anonymous (per-address) throttle counts these
        # The API's views resolved the caller once already (tasks.api.base.ApiEndpoint).
        ident = getattr(view, "owner_id", None) or principal_id(request.user)
        return self.cache_format % {"scope": self.scope, "ident": ident}


class AnonRateThrottle(FailOpenMixin, FixedWindowRateThrottle):
    """Requests per client address for anonymous callers (DRF's `anon` scope and rate)."""

    scope = "anon"
    get_cache_key = throttling.AnonRateThrottle.get_cache_key
