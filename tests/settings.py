"""Settings for the test suite: the project's own, with a throwaway key and fast hashing."""

import os

# A developer's .env (DEBUG=1, their database) must not change what the tests run on.
os.environ.setdefault("ENV_FILE", "")
os.environ.setdefault("SECRET_KEY", "test-only-not-secret-" + "x" * 40)
os.environ.setdefault("AUTH_JWT_SECRET", "test-external-idp-secret-with-32-bytes!")
os.environ.setdefault("AUTH_JWT_ISSUER", "https://idp.example.test")
os.environ.setdefault("AUTH_JWT_AUDIENCE", "tasks-api")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")

from config.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
# Throttling has its own tests with their own rates; elsewhere it must not interfere.
REST_FRAMEWORK = {**REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"user": "100000/min", "anon": "100000/min"}}  # noqa: F405
