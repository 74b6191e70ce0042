"""The layers' rules are checked by kept tools in `make lint`: import-linter for who may
import whom, ruff's banned-api for who may reach the task tables. These tests show the
rules hold today and would catch a break."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def tool(name: str) -> str:
    found = BIN / name
    if not found.exists():
        found = shutil.which(name)
        if found is None:
            pytest.fail(f"{name} is not installed: `make install`")
    return str(found)


def test_the_import_contracts_are_kept():
    result = subprocess.run([tool("lint-imports")], cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 kept, 0 broken" in result.stdout


def reaches_the_tables(path: str, source: str) -> str:
    """Ruff's verdict on `source` as if it were the file at `path`."""
    result = subprocess.run(
        [tool("ruff"), "check", "--select", "TID251", "--stdin-filename", path, "-"],
        cwd=ROOT,
        input=source,
        capture_output=True,
        text=True,
        check=False,
    )
    return result.stdout


@pytest.mark.parametrize(
    "source",
    [
        "from tasks.models import Task\n\nTask.objects.all()\n",
        "from tasks.models import Tag as Label\n\nLabel.objects.filter(name='x')\n",
        "from tasks import models\n\nmodels.Task._default_manager.all()\n",
    ],
)
def test_only_the_data_layer_reaches_the_task_tables(source):
    assert "TID251" in reaches_the_tables("tasks/api/new_view.py", source)
    assert "TID251" in reaches_the_tables("tasks/mcp/new_tool.py", source)
    assert "TID251" not in reaches_the_tables("tasks/data/new_selector.py", source)
