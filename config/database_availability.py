"""Whether this process last found the database reachable.

Once a connection attempt has failed (or a request waited out the pool timeout), the
database is taken as down: a request that finds no connection ready then waits only a
moment before its 503, instead of each one holding a server thread for the whole pool
timeout while the queue behind it grows. /readyz answers from it at once too. Any
connection that opens or is handed out healthy takes it back, so a wrong "down" costs
nothing but shorter waits.
"""

from __future__ import annotations

from time import monotonic

# Plain assignments of one float: atomic under the GIL, so no lock is needed.
_down_since: float | None = None


def mark_unreachable() -> None:
    global _down_since
    if _down_since is None:
        _down_since = monotonic()


def mark_reachable() -> None:
    global _down_since
    _down_since = None


def known_down() -> bool:
    return _down_since is not None
