"""Every environment variable the settings read is described in README.md's table and
listed in .env.example, so the three never disagree on what exists."""

from __future__ import annotations

import re
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[1]
READ = re.compile(r'(?:os\.environ\.get|env_bool|env_list)\(\s*"([A-Z_]+)"|environ, "([A-Z_]+)"')


def variables_read() -> set[str]:
    names = {"DATABASE_URL"}  # read by dj-database-url's parse of os.environ
    for module in [*PROJECT_DIR.glob("config/*.py"), *PROJECT_DIR.glob("tasks/*.py")]:
        for match in READ.finditer(module.read_text()):
            names.add(match.group(1) or match.group(2))
    return names - {"ENV_FILE"}  # names the file itself


def test_the_settings_read_some_variables():
    assert {"DATABASE_URL", "CONN_HEALTH_CHECKS", "NUM_PROXIES", "CACHE_KEY_PREFIX"} <= variables_read()


def test_every_variable_is_in_the_readme_table():
    table = {
        name
        for line in (PROJECT_DIR / "README.md").read_text().splitlines()
        if line.startswith("| `")
        for name in re.findall(r"`([A-Z_]+)`", line.split("|")[1])
    }

    assert variables_read() - table == set()


def test_every_variable_is_in_the_example_env_file():
    listed = set(re.findall(r"^#? ?([A-Z_]+)=", (PROJECT_DIR / ".env.example").read_text(), re.MULTILINE))

    assert variables_read() - listed == set()
