"""Real server processes for the tests that need more than one: each the `Procfile`'s
`web:` command (the production server, its own workers), on the test database."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import requests
from django.conf import settings
from django.db import connection

PROJECT_DIR = Path(__file__).resolve().parents[2]
READY_TIMEOUT = 30.0


def procfile_web_command() -> str:
    for line in (PROJECT_DIR / "Procfile").read_text().splitlines():
        if line.startswith("web:"):
            return line.removeprefix("web:").strip()
    raise RuntimeError("The Procfile has no web: process")


def served_database_url() -> str:
    """The URL of the database pytest-django created for this run (PostgreSQL only)."""
    db = connection.settings_dict
    credentials = quote(db["USER"] or "", safe="")
    if db.get("PASSWORD"):
        credentials += ":" + quote(db["PASSWORD"], safe="")
    host = db["HOST"] or "127.0.0.1"
    port = db["PORT"] or "5432"
    return f"postgresql://{credentials}@{host}:{port}/{db['NAME']}"


def direct_database_url() -> str:
    """The test database reached around the pooler, as the Procfile's `release:`,
    `worker:` and `stream:` reach it: DIRECT_DATABASE_URL names the server (CI's PgBouncer
    pass sets it), the database is this run's test database."""
    direct = os.environ.get("DIRECT_DATABASE_URL")
    if not direct:
        return served_database_url()
    return urlunsplit(urlsplit(direct)._replace(path="/" + connection.settings_dict["NAME"]))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def server_env(**overrides: str) -> dict[str, str]:
    """The production settings module, configured like the test settings (same keys,
    same identity provider), on the test database."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("PYTEST")}
    env.pop("REDIS_URL", None)
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DATABASE_URL=served_database_url(),
        DIRECT_DATABASE_URL=direct_database_url(),
        CONN_MAX_AGE="0",
        SECRET_KEY=settings.SECRET_KEY,
        DEBUG="0",
        SECURE_SSL_REDIRECT="0",
        ALLOWED_HOSTS="127.0.0.1",
        AUTH_JWT_SECRET=settings.AUTH_JWT_SECRET,
        AUTH_JWT_ISSUER=settings.AUTH_JWT_ISSUER,
        AUTH_JWT_AUDIENCE=settings.AUTH_JWT_AUDIENCE,
        LOG_LEVEL="WARNING",
    )
    env.update(overrides)
    return env


def collect_static() -> None:
    """The build step's collectstatic (bin/build), for a test whose server renders pages
    (the admin's login form): with DEBUG off they need the manifest of static files."""
    if (PROJECT_DIR / "staticfiles" / "staticfiles.json").exists():
        return
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--no-input", "-v0"],
        cwd=PROJECT_DIR,
        env=server_env(),
        check=True,
    )


class ProductionServer:
    """One server process as the Procfile starts it, with its workers; started at once,
    waited for separately."""

    def __init__(self, *, workers: int = 2, port: int | None = None, **env_overrides: str) -> None:
        # A port chosen beforehand lets another process be configured with the URL first.
        port = port or free_port()
        self.url = f"http://127.0.0.1:{port}"
        self.log = tempfile.TemporaryFile(prefix="server-log-")  # noqa: SIM115 - closed in stop()
        env = server_env(PORT=str(port), WEB_CONCURRENCY=str(workers), **env_overrides)
        # The server's executable is installed beside this Python.
        env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
        self.process = subprocess.Popen(
            ["bash", "-c", f"exec {procfile_web_command()}"],
            cwd=PROJECT_DIR,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            # A group of its own: stop() reaches the workers too, even when the
            # server's main process had to be killed before it could stop them.
            start_new_session=True,
        )

    def wait_until_ready(self) -> None:
        """Poll /healthz until it answers (bounded); fail with the server's output if not."""
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                if requests.get(self.url + "/healthz", timeout=5).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"The server at {self.url} did not become ready:\n{self.output()}")

    def output(self) -> str:
        self.log.seek(0)
        return self.log.read().decode(errors="replace")[-4000:]

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        # Workers left behind by a killed main process would keep the port and the test
        # database's connections.
        with suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.log.close()


@contextmanager
def production_servers(count: int = 2, **env_overrides: str) -> Iterator[list[str]]:
    """`count` separate server processes (two workers each) on the test database;
    yields their base URLs and stops them all afterwards."""
    servers: list[ProductionServer] = []
    try:
        for _ in range(count):
            servers.append(ProductionServer(**env_overrides))
        for server in servers:
            server.wait_until_ready()
        yield [server.url for server in servers]
    finally:
        for server in servers:
            server.stop()
