"""Turns for password checks: a bound on the CPU that sign-ins can take.

A password check is PBKDF2 (about a third of a second of CPU at Django's cost), and
hashlib runs it with the GIL released: while one hash runs, the process's other threads
go on serving. What must be bounded is how many run at once. Each process lets
`SIGN_IN_HASHES_AT_ONCE` checks run, and `SIGN_IN_QUEUE` more wait for a turn for at
most `SIGN_IN_WAIT_SECONDS`; a sign-in whose wait ran out is a 429 with `Retry-After`
before its password is hashed. With no flood lately, one sign-in beyond the queue waits
too; then, for CALM_SECONDS, any sign-in beyond the queue is refused at once. So sign-ins at
the same moment simply queue, a flood is refused cheaply, and most of a process's
threads stay free for the API.

A username that signed in from an address before (remembered in the cache for
`KNOWN_SIGN_IN_DAYS`) takes its turn in a lane of its own, so that a flood of guesses
from other addresses does not keep its owner out. That lane is bounded the same way.

Every way in that checks a password goes through `authenticate()`, and so through the
backend below: the admin's and the browsable API's login forms and `POST /api/auth/token`.
"""

from __future__ import annotations

import hashlib
import logging
import math
import threading
import time
from contextlib import contextmanager
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache
from django.http import HttpResponse, JsonResponse
from rest_framework.exceptions import Throttled

from tasks.identity.login_lockout import client_ip

logger = logging.getLogger(__name__)

# Seconds a refused sign-in is told to wait: a turn frees in about one hash.
RETRY_AFTER_SECONDS = 1
KNOWN_SIGN_IN_DAYS = 30
# How long after a refused sign-in (or one let in beyond SIGN_IN_QUEUE) a lane keeps to
# SIGN_IN_QUEUE: a flood may be on.
CALM_SECONDS = 2.0


class SignInBusy(Throttled):
    """Every turn to check a password is taken: a 429 with Retry-After (DRF sends `wait`
    as that header; SignInBusyMiddleware does it for the login forms)."""

    default_detail = "Too many sign-ins at this moment; try again in a second."
    default_code = "sign_in_busy"

    def __init__(self) -> None:
        super().__init__(wait=RETRY_AFTER_SECONDS, detail=self.default_detail)


class Turns:
    """`at_once` turns to hash and room for `waiting` more to wait, in this process.

    The room to wait is a bound for a flood: while none came lately (no sign-in refused,
    nor the room overflowed, for CALM_SECONDS), a sign-in that finds it full waits all
    the same, so that a few honest sign-ins at one moment are never refused; the next
    ones keep to the room for CALM_SECONDS. So a flood's first wave holds at most one
    thread more than the room, for about one hash."""

    def __init__(self, *, at_once: int, waiting: int) -> None:
        self._hashing = threading.BoundedSemaphore(at_once)
        self._room = at_once + waiting
        self._inside = 0
        self._lock = threading.Lock()
        self._last_refusal = -math.inf

    def _refused(self) -> SignInBusy:
        self._last_refusal = time.monotonic()
        return SignInBusy()

    @contextmanager
    def turn(self, *, wait_seconds: float):
        """Hold a turn for the block; SignInBusy if none is free within `wait_seconds`,
        or at once if the room to wait is full while a flood is on."""
        with self._lock:
            if self._inside >= self._room:
                if time.monotonic() - self._last_refusal <= CALM_SECONDS:
                    raise self._refused()
                # Waits all the same (honest sign-ins at one moment), but a flood may be
                # starting: the next ones keep to the room.
                self._last_refusal = time.monotonic()
            self._inside += 1
        try:
            if not self._hashing.acquire(timeout=wait_seconds):
                with self._lock:
                    raise self._refused()
            try:
                yield
            finally:
                self._hashing.release()
        finally:
            with self._lock:
                self._inside -= 1

    def inside(self) -> int:
        """Sign-ins hashing or waiting now."""
        return self._inside


_lanes: dict[str, Turns] = {}
_lanes_lock = threading.Lock()


def lane(name: str) -> Turns:
    """This process's turns for `name` ("new" or "known"), made on first use from the settings."""
    with _lanes_lock:
        if name not in _lanes:
            _lanes[name] = Turns(at_once=settings.SIGN_IN_HASHES_AT_ONCE, waiting=settings.SIGN_IN_QUEUE)
        return _lanes[name]


def reset_lanes() -> None:
    """Forget the turns, so that changed settings take effect (tests)."""
    with _lanes_lock:
        _lanes.clear()


def _settings_changed(*, setting: str, **kwargs) -> None:
    if setting.startswith("SIGN_IN_"):
        reset_lanes()


def connect_signals() -> None:
    from django.test.signals import setting_changed

    setting_changed.connect(_settings_changed, dispatch_uid="tasks.identity.sign_in_turns")


def _known_key(username: str, address: str) -> str:
    digest = hashlib.sha256(f"{username}\x00{address}".encode()).hexdigest()
    return f"sign-in-known:{digest}"


def is_known(username: str | None, address: str) -> bool:
    """Whether this username signed in from this address before (one cache read; a
    cache that fails counts as not known)."""
    if not username:
        return False
    try:
        return bool(cache.get(_known_key(username, address)))
    except Exception:  # noqa: BLE001 - the cache is an optimisation here, never a failure
        logger.warning("sign-in: the cache could not be read; the sign-in takes a common turn")
        return False


def remember(username: str, address: str) -> None:
    try:
        cache.set(
            _known_key(username, address), 1, timeout=int(timedelta(days=KNOWN_SIGN_IN_DAYS).total_seconds())
        )
    except Exception:  # noqa: BLE001
        logger.warning("sign-in: the cache could not be written; this address is not remembered")


class TurnTakingModelBackend(ModelBackend):
    """Django's ModelBackend, whose password check (hashed even for an unknown username,
    against timing attacks) waits for a turn."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:  # a management command or a test: no client to refuse
            return super().authenticate(request, username=username, password=password, **kwargs)
        name = username if username is not None else kwargs.get(get_user_model().USERNAME_FIELD)
        name = name if isinstance(name, str) else None
        address = client_ip(request)
        known = is_known(name, address)
        with lane("known" if known else "new").turn(wait_seconds=settings.SIGN_IN_WAIT_SECONDS):
            user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is not None and not known and name:
            remember(name, address)
        return user


class SignInBusyMiddleware:
    """The login forms are Django views: a SignInBusy raised in their form becomes the
    same 429 that DRF gives `POST /api/auth/token` (JSON under /api/, text elsewhere)."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, SignInBusy):
            return None
        if request.path.startswith("/api/"):
            response: HttpResponse = JsonResponse({"detail": SignInBusy.default_detail}, status=429)
        else:
            response = HttpResponse(
                SignInBusy.default_detail, status=429, content_type="text/plain; charset=utf-8"
            )
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
