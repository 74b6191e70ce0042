"""The Procfile's release step migrates the database a deployer names as direct (Neon's
endpoint without the pooler) when there is one, and `DATABASE_URL` otherwise."""

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT_DIR = Path(__file__).resolve().parents[1]


def release_command() -> str:
    for line in (PROJECT_DIR / "Procfile").read_text().splitlines():
        if line.startswith("release:"):
            return line.removeprefix("release:").strip()
    raise AssertionError("The Procfile has no release: step")


def release(**variables: str) -> None:
    env = {name: value for name, value in os.environ.items() if name in {"HOME", "LANG"}}
    # `python` as the platform has it: this test run's interpreter.
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    env.update(DJANGO_SETTINGS_MODULE="config.settings", SECRET_KEY="release-test", ENV_FILE="", **variables)
    result = subprocess.run(
        ["bash", "-c", release_command()],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def migrated(path: Path) -> bool:
    if not path.exists():
        return False
    with sqlite3.connect(path) as db:
        return bool(db.execute("SELECT name FROM sqlite_master WHERE name = 'tasks_task'").fetchall())


@pytest.mark.parametrize("direct", [True, False], ids=["direct-url-set", "no-direct-url"])
def test_the_release_step_migrates_the_direct_database_when_named(tmp_path, direct):
    pooled, direct_db = tmp_path / "pooled.sqlite3", tmp_path / "direct.sqlite3"
    variables = {"DATABASE_URL": f"sqlite:///{pooled}"}
    if direct:
        variables["DIRECT_DATABASE_URL"] = f"sqlite:///{direct_db}"

    release(**variables)

    assert (migrated(direct_db), migrated(pooled)) == ((True, False) if direct else (False, True))
