"""The project's version, as pyproject.toml names it: one number for the OpenAPI schema
and the MCP server's `serverInfo`."""

from __future__ import annotations

import tomllib
from pathlib import Path

PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"
VERSION: str = tomllib.loads(PYPROJECT.read_text())["project"]["version"]
