"""The production password hasher: Django's PBKDF2 at Django's cost and in its format
(stored hashes stay valid), its rounds run on a thread of lower CPU priority unless
SIGN_IN_HASH_NICE is 0."""

from __future__ import annotations

import os
import threading

import pytest
from django.contrib.auth import hashers
from django.utils import crypto

from config import settings as production
from tasks.identity import password_hashing
from tasks.identity.password_hashing import PBKDF2PasswordHasher

SALT = "a-fixed-salt-for-the-test"


@pytest.fixture
def hashing_threads(monkeypatch) -> list[str]:
    """The name of each thread that ran PBKDF2."""
    names: list[str] = []
    real_pbkdf2 = crypto.pbkdf2

    def pbkdf2(*args, **kwargs):
        names.append(threading.current_thread().name)
        return real_pbkdf2(*args, **kwargs)

    monkeypatch.setattr(hashers, "pbkdf2", pbkdf2)
    return names


def test_production_checks_passwords_with_it_at_djangos_cost():
    assert production.PASSWORD_HASHERS[0] == "tasks.identity.password_hashing.PBKDF2PasswordHasher"
    assert PBKDF2PasswordHasher.algorithm == hashers.PBKDF2PasswordHasher.algorithm
    assert PBKDF2PasswordHasher.iterations == hashers.PBKDF2PasswordHasher.iterations


def test_its_hashes_are_djangos(settings):
    settings.SIGN_IN_HASH_NICE = 10
    ours = PBKDF2PasswordHasher().encode("alice-pass-123!", SALT, iterations=1000)

    assert ours == hashers.PBKDF2PasswordHasher().encode("alice-pass-123!", SALT, iterations=1000)
    assert hashers.PBKDF2PasswordHasher().verify("alice-pass-123!", ours)
    assert not PBKDF2PasswordHasher().verify("wrong", ours)


def test_the_rounds_run_on_a_hashing_thread(settings, hashing_threads):
    settings.SIGN_IN_HASH_NICE = 10

    PBKDF2PasswordHasher().encode("alice-pass-123!", SALT, iterations=1000)

    assert len(hashing_threads) == 1
    assert hashing_threads[0].startswith("password-hashing")
    assert hashing_threads[0] != threading.current_thread().name


def test_nice_zero_runs_them_in_the_callers_thread(settings, hashing_threads):
    settings.SIGN_IN_HASH_NICE = 0

    PBKDF2PasswordHasher().encode("alice-pass-123!", SALT, iterations=1000)

    assert hashing_threads == [threading.current_thread().name]


def test_a_hashing_thread_runs_at_the_configured_nice_value(settings):
    settings.SIGN_IN_HASH_NICE = 10
    nice = password_hashing._hashing_threads().submit(os.nice, 0).result()

    assert nice >= 10
