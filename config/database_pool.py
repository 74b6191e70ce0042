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
# Seconds a request waits for a free connection before it fails (psycopg's PoolTimeout).
DEFAULT_POOL_TIMEOUT = 10.0


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


def pool_options(environ: Mapping[str, str], *, health_checks: bool = False) -> dict:
    """The `OPTIONS["pool"]` of one process: `DB_POOL_MAX_SIZE` connections at most
    (default `WEB_THREADS`), `DB_POOL_MIN_SIZE` kept open (default: as many, so a burst
    does not pay connection set-up), `DB_POOL_TIMEOUT` seconds to wait for one."""
    threads = web_threads(environ)
    max_size = _positive_int(environ, "DB_POOL_MAX_SIZE", threads)
    min_size = _positive_int(environ, "DB_POOL_MIN_SIZE", max_size)
    if min_size > max_size:
        raise ImproperlyConfigured(
            f"DB_POOL_MIN_SIZE ({min_size}) must not exceed DB_POOL_MAX_SIZE ({max_size})"
        )
    options = {
        "min_size": min_size,
        "max_size": max_size,
        "timeout": _positive_float(environ, "DB_POOL_TIMEOUT", DEFAULT_POOL_TIMEOUT),
    }
    if health_checks:
        # Where idle connections get cut (a serverless database suspending), test each one
        # as it leaves the pool: one more round trip per request, as CONN_HEALTH_CHECKS
        # costs without a pool.
        from psycopg_pool import ConnectionPool

        options["check"] = ConnectionPool.check_connection
    return options
