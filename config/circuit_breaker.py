"""A circuit breaker: after a dependency fails, stop calling it for a while.

A Redis that is down answers "connection refused" at once, but a hung one (accepting
connections, answering nothing) costs every call the whole socket timeout. Once a call
has failed, the breaker is open: callers skip the dependency for `cooldown` seconds
rather than each wait for it. Then exactly one caller (the probe) tries again while the
others keep skipping; its success closes the breaker, its failure opens it anew.

Not pybreaker: its `call()` holds one lock for the whole call, so every thread of a
worker would queue behind one slow call, the very wait this is here to avoid.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

logger = logging.getLogger(__name__)

CLOSED = "closed"
OPEN = "open"
HALF_OPEN = "half-open"


class CircuitBreaker:
    """Thread-safe; the closed state (the usual case) costs one attribute read per call."""

    def __init__(self, name: str, *, cooldown: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.name = name
        self.cooldown = cooldown
        self.clock = clock
        self.times_opened = 0
        self._open_until: float | None = None  # None: closed
        self._probing = False
        self._lock = threading.Lock()

    @property
    def state(self) -> str:
        if self._open_until is None:
            return CLOSED
        return HALF_OPEN if self._probing or self.clock() >= self._open_until else OPEN

    def allows_call(self) -> bool:
        """Whether to call the dependency now: always when closed; once the cooldown is
        over, to a single caller (the probe), who must report with succeeded() or failed()."""
        if self._open_until is None:
            return True
        with self._lock:
            if self._open_until is None:
                return True
            if self._probing or self.clock() < self._open_until:
                return False
            self._probing = True
            return True

    def succeeded(self) -> None:
        if self._open_until is None:
            return
        with self._lock:
            if self._open_until is None:
                return
            self._open_until = None
            self._probing = False
        logger.warning("%s answers again: circuit closed", self.name)

    def failed(self) -> None:
        with self._lock:
            was_closed = self._open_until is None
            self._open_until = self.clock() + self.cooldown
            self._probing = False
            if was_closed:
                self.times_opened += 1
        if was_closed:
            logger.warning("%s failed: circuit open, not called again for %g s", self.name, self.cooldown)
