"""`migrate` against a database that does not exist stops at once with the cause in one
line, not after the connection pool's timeout under a page of warnings."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from tests.e2e.servers import served_database_url

PROJECT_DIR = Path(__file__).resolve().parents[1]


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs a PostgreSQL server to ask")
def test_migrate_names_the_missing_database_in_one_line():
    missing = served_database_url().rsplit("/", 1)[0] + "/no_such_database_here"
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTEST")}
    env.update(DJANGO_SETTINGS_MODULE="config.settings", DATABASE_URL=missing, DEBUG="1", ENV_FILE="")

    result = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--no-input"],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 1
    lines = [line for line in (result.stdout + result.stderr).splitlines() if line.strip()]
    assert len(lines) == 1, lines
    assert lines[0].startswith("CommandError: Cannot connect to the database:")
    assert 'database "no_such_database_here" does not exist' in lines[0]
