"""Django's PBKDF2 password hasher, at Django's cost, whose rounds run on threads of lower
CPU priority (`SIGN_IN_HASH_NICE`): while passwords are checked, the API's own requests
get the processor first.

hashlib runs PBKDF2 with the GIL released, so a request thread that hands its rounds to
one of these threads simply waits for the result, as it would for the database. Same
algorithm name and format as Django's: stored hashes stay valid either way.
"""

from __future__ import annotations

import contextlib
import os
import threading
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.contrib.auth import hashers

# Each lane of tasks.identity.sign_in_turns runs at most SIGN_IN_HASHES_AT_ONCE; a user
# created or a password changed meanwhile may need one more.
_executor: ThreadPoolExecutor | None = None
_executor_lock = threading.Lock()


def _lower_priority() -> None:
    # On Linux a nice value belongs to a thread: this one only. Elsewhere, or refused: as is.
    with contextlib.suppress(AttributeError, OSError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), settings.SIGN_IN_HASH_NICE)


def _hashing_threads() -> ThreadPoolExecutor:
    global _executor
    with _executor_lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(
                max_workers=2 * settings.SIGN_IN_HASHES_AT_ONCE + 1,
                thread_name_prefix="password-hashing",
                initializer=_lower_priority,
            )
        return _executor


class PBKDF2PasswordHasher(hashers.PBKDF2PasswordHasher):
    """Django's (same algorithm, rounds and format), run on a lower-priority thread."""

    def encode(self, password, salt, iterations=None):
        if not settings.SIGN_IN_HASH_NICE:
            return super().encode(password, salt, iterations)
        return _hashing_threads().submit(super().encode, password, salt, iterations).result()
