"""Django's psycopg connection pool, sized from the server's threads.

The Procfile's server runs `WEB_THREADS` requests at once in each worker process, and each
running request holds one database connection while it talks to PostgreSQL. A pool per
process with one connection per thread means no request waits for a connection and no
connection sits idle for long; with the database a network hop away, a request that waits
for PostgreSQL no longer holds up the others of its worker.

Nothing here keeps session state on a connection, so the pool also works through PgBouncer
in transaction mode (Neon's pooled endpoint): Django binds parameters on the client and sets
psycopg's `prepare_threshold=None`, so no prepared statement outlives a transaction.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.core.exceptions import ImproperlyConfigured

# Requests each server worker runs at once (config.rsgi), and so connections per pool.
DEFAULT_WEB_THREADS = 4
# Seconds a request waits for a connection before its 503 (psycopg's PoolTimeout). With
# one connection per thread a request waits only while connections are being replaced
# (after a restart, or with the database down): the answer to a client during an outage
# must come within 2 s. Once the database is known to be down, the wait is 0.2 s
# (config.postgresql.pool).
DEFAULT_POOL_TIMEOUT = 1.5
# How long the pool retries one lost connection in the background (psycopg's backoff
# starts at 1 s and doubles, so 300 s, its default, left service to come back seconds
# after the database did). Past it the pool gives the slot up, and the next request
# that waits makes it connect again at once: requests, not a backoff, pace reconnection.
RECONNECT_TIMEOUT = 0.25
# Seconds to open a connection (libpq's connect_timeout, at least 2). Connections open in
# the pool's background threads, so no request waits this long; a cold serverless
# compute may take a few seconds to accept one.
DEFAULT_CONNECT_TIMEOUT = 5
# Milliseconds data sent may stay unacknowledged (or a keepalive unanswered) before the
# kernel drops the connection (libpq's tcp_user_timeout): a link that went silent is a
# 503 within this, not a request hung until the kernel gives up (15 min by default).
# TCP resends a lost segment after 0.2 s, then 0.4 s: a second consecutive loss of the
# same segment is tolerated; raise it for a lossy link.
DEFAULT_TCP_USER_TIMEOUT_MS = 1000


def _positive_int(environ: Mapping[str, str], name: str, default: int) -> int:
    raw = environ.get(name) or str(default)
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}") from None
    if value < 1:
        raise ImproperlyConfigured(f"{name} must be at least 1, not {value}")
    return value


def _positive_float(environ: Mapping[str, str], name: str, default: float) -> float:
    raw = environ.get(name) or str(default)
    try:
        value = float(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number of seconds, not {raw!r}") from None
    if value <= 0:
        raise ImproperlyConfigured(f"{name} must be above 0, not {value}")
    return value


def web_threads(environ: Mapping[str, str]) -> int:
    """`WEB_THREADS`: how many requests each server worker process runs at once."""
    return _positive_int(environ, "WEB_THREADS", DEFAULT_WEB_THREADS)


def pool_options(environ: Mapping[str, str]) -> dict:
    """The `OPTIONS["pool"]` of one process: `DB_POOL_MAX_SIZE` connections at most
    (default `WEB_THREADS`), `DB_POOL_MIN_SIZE` kept open (default: as many, so a burst
    does not pay connection set-up), `DB_POOL_TIMEOUT` seconds to wait for one. Which
    connections it hands out is config.postgresql.pool's business (CONN_HEALTH_CHECKS
    included), so no `check` here."""
    threads = web_threads(environ)
    max_size = _positive_int(environ, "DB_POOL_MAX_SIZE", threads)
    min_size = _positive_int(environ, "DB_POOL_MIN_SIZE", max_size)
    if min_size > max_size:
        raise ImproperlyConfigured(
            f"DB_POOL_MIN_SIZE ({min_size}) must not exceed DB_POOL_MAX_SIZE ({max_size})"
        )
    return {
        "min_size": min_size,
        "max_size": max_size,
        "timeout": _positive_float(environ, "DB_POOL_TIMEOUT", DEFAULT_POOL_TIMEOUT),
        "reconnect_timeout": RECONNECT_TIMEOUT,
    }


def connection_options(environ: Mapping[str, str]) -> dict:
    """libpq options that bound every wait on the network: `DB_CONNECT_TIMEOUT` seconds
    to connect, and TCP keepalives each second with `DB_TCP_USER_TIMEOUT` ms to answer, so
    a dead or blackholed link is found within about two seconds, idle or in use. A
    statement that is merely slow is unaffected: the server acknowledges the query and
    the keepalives while it works. A `?connect_timeout=` (etc.) in DATABASE_URL wins."""
    return {
        "connect_timeout": _positive_int(environ, "DB_CONNECT_TIMEOUT", DEFAULT_CONNECT_TIMEOUT),
        "keepalives": 1,
        "keepalives_idle": 1,
        "keepalives_interval": 1,
        "keepalives_count": 2,
        "tcp_user_timeout": _positive_int(environ, "DB_TCP_USER_TIMEOUT", DEFAULT_TCP_USER_TIMEOUT_MS),
    }
