"""The statement timeout holds behind PgBouncer in transaction mode (as Neon's pooled
endpoint runs it), which passes no startup `options` and keeps no session state: the
Procfile's server, connected through a real PgBouncer, answers a statement over the
(lowered) timeout with the JSON 503, and serves the next request."""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http import HTTPStatus
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.db import connection

from tasks.data import statement_timeout
from tests.conftest import tasks_url
from tests.e2e.servers import direct_database_url, free_port, served_database_url
from tests.e2e.test_outages import assert_unavailable, get, locked_tasks_table, one_worker_server

PGBOUNCER = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"


def _runs_as() -> list[str]:
    """PgBouncer refuses to run as root: run it as the `postgres` account then."""
    if os.geteuid() != 0:
        return []
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        pytest.skip("running as root, with no postgres account to run PgBouncer as")
    return ["runuser", "-u", "postgres", "--"]


pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL behind PgBouncer"),
    pytest.mark.skipif(not os.access(PGBOUNCER, os.X_OK), reason="needs pgbouncer"),
]


@contextmanager
def pgbouncer_in_transaction_mode() -> Iterator[int]:
    """A PgBouncer of the test's own, pooling the test database in transaction mode."""
    db = connection.settings_dict
    # PostgreSQL itself, not a pooler the tests may already run behind: sessions of an
    # outer pooler can predate the role's lowered default.
    upstream = urlsplit(direct_database_url())
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="pgbouncer-") as directory:
        config = Path(directory) / "pgbouncer.ini"
        users = Path(directory) / "users.txt"
        users.write_text(f'"{db["USER"]}" "{db.get("PASSWORD") or ""}"\n')
        config.write_text(
            "[databases]\n"
            f"{db['NAME']} = host={upstream.hostname} port={upstream.port or 5432} dbname={db['NAME']}\n"
            "[pgbouncer]\n"
            f"listen_addr = 127.0.0.1\nlisten_port = {port}\nunix_socket_dir =\n"
            f"auth_type = trust\nauth_file = {users}\n"
            "pool_mode = transaction\ndefault_pool_size = 4\n"
            # The test's own user may run admin commands (KILL, RESUME) on its console.
            f"admin_users = {db['USER']}\n"
        )
        os.chmod(directory, 0o755)
        runner = _runs_as()
        process = subprocess.Popen(
            [*runner, PGBOUNCER, str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        try:
            deadline = time.monotonic() + 10
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    if time.monotonic() > deadline or process.poll() is not None:
                        raise RuntimeError("PgBouncer did not start") from None
                    time.sleep(0.05)
            yield port
        finally:
            process.terminate()
            process.wait(timeout=10)


def test_the_role_default_timeout_holds_through_a_transaction_mode_pooler(alice, make_task):
    make_task(alice, title="pooled")
    statement_timeout.apply_role_default(connection, 300)
    try:
        with pgbouncer_in_transaction_mode() as port:
            db_port = connection.settings_dict["PORT"] or 5432
            pooled_url = served_database_url().replace(f":{db_port}/", f":{port}/")
            with one_worker_server(DATABASE_URL=pooled_url) as server:
                with locked_tasks_table():
                    stuck = get(server, tasks_url(), alice)
                after = get(server, tasks_url(), alice)
    finally:
        statement_timeout.apply_role_default(connection, statement_timeout.timeout_ms())

    assert_unavailable(stuck, "too long")
    assert after.status_code == HTTPStatus.OK
    assert [task["title"] for task in after.json()] == ["pooled"]
