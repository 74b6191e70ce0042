"""Is a pooled connection still alive? Asked as the pool hands one out, without a round
trip in the usual case.

A connection resting in the pool has nothing to read: its last answer ended with
ReadyForQuery. So if its socket is readable, the server (or a pooler, or the kernel)
has said something since: a restart's "terminating connection due to administrator
command", PgBouncer's KILL, a compute suspending, the end of the stream, or a TCP
keepalive that went unanswered (an error on the socket). Those are the ways a pooled
connection dies, and each one arrives as something to read. Only then is the
connection tested with a round trip (it may merely hold a notice); a quiet socket
costs one `poll()` system call and no trip to the database.

With CONN_HEALTH_CHECKS=1 every hand-out is tested with a round trip as well
(psycopg_pool's `check_connection`): one more round trip per request, for networks
where even a connection the peer dropped may stay silent.
"""

from __future__ import annotations

import select

import psycopg
from psycopg_pool import ConnectionPool


def has_news(connection: psycopg.Connection) -> bool:
    """Whether the socket holds data, an end of stream or an error (no waiting)."""
    if connection.closed:
        return True
    poller = select.poll()
    poller.register(connection.fileno(), select.POLLIN | select.POLLERR | select.POLLHUP)
    return bool(poller.poll(0))


def is_alive(connection: psycopg.Connection, *, round_trip: bool = False) -> bool:
    """Whether the connection can serve a request; a dead one is left closed."""
    if not round_trip and not has_news(connection):
        return True
    try:
        ConnectionPool.check_connection(connection)
    except psycopg.Error:
        return False
    return not connection.closed
