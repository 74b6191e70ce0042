"""The database connection pool: sized from the server's threads, set from the environment,
and never combined with persistent connections (which Django refuses)."""

from __future__ import annotations

import importlib
import runpy
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.database_pool import DEFAULT_WEB_THREADS, RECONNECT_TIMEOUT, connection_options, pool_options

SETTINGS_FILE = Path(__file__).resolve().parents[1] / "config" / "settings.py"
PROCFILE = Path(__file__).resolve().parents[1] / "Procfile"
POSTGRES_URL = "postgresql://app@db.example.test:5432/tasks"


def production_settings(monkeypatch: pytest.MonkeyPatch, **environ: str) -> dict:
    """config/settings.py evaluated afresh with exactly these variables of its own."""
    for name in ("DATABASE_URL", "DB_POOL", "CONN_MAX_AGE", "CONN_HEALTH_CHECKS", "WEB_THREADS"):
        monkeypatch.delenv(name, raising=False)
    for name in ("DB_POOL_MIN_SIZE", "DB_POOL_MAX_SIZE", "DB_POOL_TIMEOUT", "DB_CONNECT_TIMEOUT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SECRET_KEY", "test-only-" + "x" * 50)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(SETTINGS_FILE))


def test_one_connection_per_server_thread_by_default():
    assert pool_options({}) == {
        "min_size": DEFAULT_WEB_THREADS,
        "max_size": DEFAULT_WEB_THREADS,
        # A client hears of an outage within 2 s.
        "timeout": 1.5,
        # Requests, not a growing backoff, pace reconnection.
        "reconnect_timeout": RECONNECT_TIMEOUT,
    }


def test_the_server_runs_as_many_threads_as_the_pool_has_connections(monkeypatch):
    import config.rsgi

    monkeypatch.setenv("WEB_THREADS", "3")
    served = importlib.reload(config.rsgi).application
    assert served.threads == pool_options({"WEB_THREADS": "3"})["max_size"] == 3
    assert "config.rsgi:application" in PROCFILE.read_text()


def test_pool_follows_web_threads():
    options = pool_options({"WEB_THREADS": "4"})
    assert (options["min_size"], options["max_size"]) == (4, 4)


def test_pool_sizes_and_timeout_can_be_set_on_their_own():
    options = pool_options(
        {"WEB_THREADS": "4", "DB_POOL_MIN_SIZE": "2", "DB_POOL_MAX_SIZE": "6", "DB_POOL_TIMEOUT": "2.5"}
    )
    assert (options["min_size"], options["max_size"], options["timeout"]) == (2, 6, 2.5)


def test_the_pool_options_never_name_a_check_which_django_passes_itself():
    assert "check" not in pool_options({})


def test_every_network_wait_is_bounded_by_libpq_options():
    options = connection_options({})
    assert options["connect_timeout"] == 5
    assert options["keepalives"] == 1
    assert options["tcp_user_timeout"] == 1000
    assert connection_options({"DB_CONNECT_TIMEOUT": "3"})["connect_timeout"] == 3
    assert connection_options({"DB_TCP_USER_TIMEOUT": "4000"})["tcp_user_timeout"] == 4000


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"WEB_THREADS": "many"}, "WEB_THREADS must be a whole number"),
        ({"DB_POOL_MAX_SIZE": "0"}, "DB_POOL_MAX_SIZE must be at least 1"),
        ({"DB_POOL_MIN_SIZE": "5", "DB_POOL_MAX_SIZE": "4"}, "must not exceed DB_POOL_MAX_SIZE"),
        ({"DB_POOL_TIMEOUT": "soon"}, "DB_POOL_TIMEOUT must be a number of seconds"),
        ({"DB_POOL_TIMEOUT": "0"}, "DB_POOL_TIMEOUT must be above 0"),
    ],
)
def test_bad_pool_settings_are_refused_by_name(environ, message):
    with pytest.raises(ImproperlyConfigured, match=message):
        pool_options(environ)


def test_postgresql_gets_a_pool_and_no_persistent_connections(monkeypatch):
    settings = production_settings(monkeypatch, DATABASE_URL=POSTGRES_URL, WEB_THREADS="3")
    database = settings["DATABASES"]["default"]
    assert database["CONN_MAX_AGE"] == 0
    assert database["ENGINE"] == "config.postgresql"
    assert database["OPTIONS"]["pool"] == pool_options({"WEB_THREADS": "3"})
    assert database["OPTIONS"]["connect_timeout"] == 5


def test_options_in_the_database_url_win(monkeypatch):
    url = POSTGRES_URL + "?connect_timeout=9&sslmode=require"
    settings = production_settings(monkeypatch, DATABASE_URL=url)
    options = settings["DATABASES"]["default"]["OPTIONS"]
    assert (options["connect_timeout"], options["sslmode"]) in {(9, "require"), ("9", "require")}
    assert options["tcp_user_timeout"] == 1000


def test_health_checks_leave_the_pool_options_alone(monkeypatch):
    settings = production_settings(monkeypatch, DATABASE_URL=POSTGRES_URL, CONN_HEALTH_CHECKS="1")
    database = settings["DATABASES"]["default"]
    assert database["CONN_HEALTH_CHECKS"] is True
    assert "check" not in database["OPTIONS"]["pool"]


def test_without_the_pool_connections_persist_as_before(monkeypatch):
    settings = production_settings(monkeypatch, DATABASE_URL=POSTGRES_URL, DB_POOL="0")
    database = settings["DATABASES"]["default"]
    assert database["CONN_MAX_AGE"] == 60
    assert "pool" not in database.get("OPTIONS", {})


def test_persistent_connections_with_the_pool_are_refused_by_name(monkeypatch):
    with pytest.raises(ImproperlyConfigured, match="CONN_MAX_AGE applies only with DB_POOL=0"):
        production_settings(monkeypatch, DATABASE_URL=POSTGRES_URL, CONN_MAX_AGE="60")


def test_sqlite_has_no_pool(monkeypatch):
    settings = production_settings(monkeypatch, DATABASE_URL="sqlite:///tmp-pool-test.sqlite3")
    assert "pool" not in settings["DATABASES"]["default"]["OPTIONS"]
