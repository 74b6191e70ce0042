"""Plain `manage.py` works in development from a `.env` file (what `make run` writes),
while production, with no such file, still refuses to start without a secret."""

import os
import subprocess
import sys
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[1]
SHOW_SETTINGS = "from django.conf import settings; print(settings.DEBUG, settings.SECRET_KEY)"


def run_with(env_file: Path, **variables: str) -> subprocess.CompletedProcess:
    """The project's settings in a fresh process, with only `variables` set and `env_file`."""
    env = {name: value for name, value in os.environ.items() if name in {"PATH", "HOME", "LANG"}}
    env.update(DJANGO_SETTINGS_MODULE="config.settings", ENV_FILE=str(env_file), **variables)
    return subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {SHOW_SETTINGS}"],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_env_file_supplies_the_development_settings(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("DEBUG=1\nSECRET_KEY=from-the-env-file\n")

    result = run_with(env_file)

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "from-the-env-file"]


def test_the_process_environment_wins_over_the_env_file(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("DEBUG=1\nSECRET_KEY=from-the-env-file\n")

    result = run_with(env_file, DEBUG="0", SECRET_KEY="from-the-environment")

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "from-the-environment"]


def test_without_an_env_file_or_a_secret_production_refuses_to_start(tmp_path):
    result = run_with(tmp_path / "missing.env")

    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr


def test_a_copy_of_the_example_env_file_runs_development_on_sqlite(tmp_path):
    """`cp .env.example .env` then `make run`: DEBUG on, SQLite, plain HTTP on localhost."""
    env = {name: value for name, value in os.environ.items() if name in {"PATH", "HOME", "LANG"}}
    env.update(DJANGO_SETTINGS_MODULE="config.settings", ENV_FILE=str(PROJECT_DIR / ".env.example"))
    show = (
        "from django.conf import settings; "
        "print(settings.DEBUG, settings.DATABASES['default']['ENGINE'], "
        "settings.SECURE_SSL_REDIRECT, 'localhost' in settings.ALLOWED_HOSTS)"
    )
    result = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {show}"],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "django.db.backends.sqlite3", "False", "True"]


def test_a_blank_database_url_is_unset(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("DEBUG=1\nDATABASE_URL=\n")
    env = {name: value for name, value in os.environ.items() if name in {"PATH", "HOME", "LANG"}}
    env.update(DJANGO_SETTINGS_MODULE="config.settings", ENV_FILE=str(env_file))

    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; "
            "print(settings.DATABASES['default']['ENGINE'])",
        ],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "django.db.backends.sqlite3"
