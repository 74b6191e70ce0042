"""What the outbox's trigger costs the database, per write: the backend's CPU.

The Python side of a write is the same with or without the outbox (the event is written
by a trigger in the write's own statement, events/outbox_sql.py), so what the outbox
costs is the PostgreSQL backend's CPU. This makes WRITES writes of each kind, as the
store sends them (tasks.data.store, one statement each in autocommit), from one
connection, and measures that connection's backend with `perf stat -e task-clock -p PID`
(with the backend's utime+stime from /proc/PID/stat beside it, which needs no perf):

  create  TaskStore.create(title=...)            (the API's POST, an INSERT)
  update  TaskStore.update(pk, title=...)        (PATCH {"title"}, an UPDATE)
  toggle  TaskStore.set_completion(pk, None)     (PATCH .../complete, an UPDATE)

each with the trigger on and off (`SET session_replication_role = replica` disables it),
for each version of the trigger, in interleaved rounds, and prints medians per write.

  .venv/bin/python bench/outbox_cost.py                      # main's trigger vs this tree's
  .venv/bin/python bench/outbox_cost.py --trigger this=.     # this tree's only
  .venv/bin/python bench/outbox_cost.py --trigger old=abc123 --trigger new=.   # any commits

A version is `.` (this working tree's events/outbox_sql.py), a git commit, or a file like it
(a path ending in .py: to try a variant before committing it); its module's
`install` and `uninstall` are called on the bench database. The database (`--database`,
default tasks_outbox_bench on 127.0.0.1) is created anew and migrated with this tree's
migrations. Runs as root, or where perf may attach to the server's processes (the server
must run on this machine); about a minute per round with the defaults.
"""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import types
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

REPO = Path(__file__).resolve().parent.parent
KINDS = ("create", "update", "toggle")
USERS = 20  # creates cycle through this many owners, as the benchmark's create scenario does
WARM_UP = 20  # unmeasured writes before each measurement (plpgsql compiles a function per session)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database", default="postgresql://postgres@127.0.0.1:5432/tasks_outbox_bench")
    parser.add_argument("--writes", type=int, default=300, help="writes per measurement (even)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--kinds", default=",".join(KINDS))
    parser.add_argument(
        "--trigger",
        action="append",
        metavar="NAME=VERSION",
        help="events/outbox_sql.py: `.` (this tree), a commit or a .py file (default main=main, this=.)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the bench database afterwards")
    args = parser.parse_args()
    versions = dict(item.split("=", 1) for item in (args.trigger or ["main=main", "this=."]))
    kinds = args.kinds.split(",")

    fresh_database(args.database)
    setup_django(args.database)
    from django.db import connection

    modules = {name: outbox_module(version) for name, version in versions.items()}
    bench = Bench(connection, writes=args.writes)
    results: dict[tuple[str, str, str], list[tuple[float, float]]] = {}
    try:
        for round_number in range(args.rounds):
            # Each round alternates which version and which mode go first.
            names = list(modules) if round_number % 2 == 0 else list(reversed(modules))
            modes = ("on", "off") if round_number % 2 == 0 else ("off", "on")
            for kind in kinds:
                for name in names:
                    bench.install(modules[name], modules.values())
                    for mode in modes:
                        measured = bench.measure(kind, on=mode == "on")
                        results.setdefault((kind, name, mode), []).append(measured)
            print(f"round {round_number + 1}/{args.rounds} done", file=sys.stderr)
    finally:
        connection.close()
        if not args.keep:
            drop_database(args.database)
    report(results, kinds, list(modules), args)


class Bench:
    """Writes from one connection, measured at its backend."""

    def __init__(self, connection, *, writes: int) -> None:
        from tasks.data.store import TaskStore

        self.connection = connection
        self.writes = writes
        self.stores = [TaskStore(f"bench|outbox{n}") for n in range(USERS)]
        connection.ensure_connection()
        self.pid = self.scalar("SELECT pg_backend_pid()")
        # The tasks that updates and toggles write to: one per write (toggles: two each).
        self.tasks = [self.stores[n % USERS].create(title=f"Task {n}") for n in range(writes + WARM_UP)]
        self.edits = 0

    def scalar(self, sql: str):
        with self.connection.cursor() as cursor:
            cursor.execute(sql)
            return cursor.fetchone()[0]

    def install(self, module: types.ModuleType, every: object) -> None:
        with self.connection.schema_editor() as editor:
            for other in every:
                other.uninstall(editor)
            module.install(editor)

    def measure(self, kind: str, *, on: bool) -> tuple[float, float]:
        """Milliseconds of the backend's CPU per write: (perf's task-clock, /proc's ticks)."""
        with self.connection.cursor() as cursor:
            cursor.execute(f"SET session_replication_role = {'origin' if on else 'replica'}")
        self.write(kind, WARM_UP, warm_up=True)
        with perf_task_clock(self.pid) as perf, proc_cpu(self.pid) as ticks:
            self.write(kind, self.writes)
        assert self.scalar("SELECT pg_backend_pid()") == self.pid, "the writes changed connection"
        return perf.ms / self.writes, ticks.ms / self.writes

    def write(self, kind: str, count: int, *, warm_up: bool = False) -> None:
        self.edits += 1
        tasks = self.tasks[:WARM_UP] if warm_up else self.tasks[WARM_UP:]
        for n in range(count):
            if kind == "create":
                self.stores[n % USERS].create(title=f"New task {self.edits}.{n}")
            elif kind == "update":
                task = tasks[n % len(tasks)]
                TaskStoreOf(self, task).update(task.pk, title=f"Edit {self.edits}.{n}")
            else:  # toggle: each task twice, so half complete and half reopen
                task = tasks[(n // 2) % len(tasks)]
                TaskStoreOf(self, task).set_completion(task.pk, None)


def TaskStoreOf(bench: Bench, task):  # noqa: N802 - reads as the store it returns
    return bench.stores[int(task.user_id.removeprefix("bench|outbox"))]


class perf_task_clock:  # noqa: N801 - a context manager, used as a function
    """`perf stat -e task-clock -p PID` around the block: the process's CPU in ms."""

    def __init__(self, pid: int) -> None:
        self.pid, self.ms = pid, float("nan")

    def __enter__(self) -> perf_task_clock:
        self.out = tempfile.NamedTemporaryFile(suffix=".perf")  # noqa: SIM115 - closed in __exit__
        self.process = subprocess.Popen(
            ["perf", "stat", "-x", ",", "-e", "task-clock", "-p", str(self.pid), "-o", self.out.name],
            stderr=subprocess.DEVNULL,
        )
        time.sleep(0.3)  # attached (the backend is idle meanwhile, so it counts nothing)
        return self

    def __exit__(self, *exc) -> None:
        time.sleep(0.05)
        self.process.send_signal(signal.SIGINT)
        self.process.wait(timeout=10)
        for line in Path(self.out.name).read_text().splitlines():
            fields = line.split(",")
            if len(fields) > 2 and fields[2] == "task-clock":
                self.ms = float(fields[0])
        self.out.close()


class proc_cpu:  # noqa: N801 - a context manager, used as a function
    """utime+stime of the process from /proc/PID/stat around the block, in ms (tick resolution)."""

    TICK_MS = 1000 / os.sysconf("SC_CLK_TCK")

    def __init__(self, pid: int) -> None:
        self.pid, self.ms = pid, float("nan")

    def ticks(self) -> int:
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)

    def __enter__(self) -> proc_cpu:
        self.start = self.ticks()
        return self

    def __exit__(self, *exc) -> None:
        self.ms = (self.ticks() - self.start) * self.TICK_MS


def outbox_module(version: str) -> types.ModuleType:
    """events/outbox_sql.py of this tree (`.`) or of a commit, as a module of its own."""
    if version == ".":
        source = (REPO / "events" / "outbox_sql.py").read_text()
    elif version.endswith(".py"):
        source = Path(version).read_text()
    else:
        source = subprocess.run(
            ["git", "-C", str(REPO), "show", f"{version}:events/outbox_sql.py"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    module = types.ModuleType(f"outbox_sql_{uuid.uuid4().hex}")
    exec(compile(source, f"outbox_sql@{version}", "exec"), module.__dict__)  # noqa: S102 - our own file
    return module


def report(results, kinds: list[str], names: list[str], args) -> None:
    print(f"backend CPU per write, ms: median of {args.rounds} rounds of {args.writes} writes")
    print("(perf task-clock; /proc utime+stime in brackets); extra = trigger on over off")
    print(f"{'kind':8} {'trigger':10} {'on':>16} {'off':>16} {'extra':>8} {'ms/write':>9}")
    for kind in kinds:
        for name in names:
            on = medians(results[(kind, name, "on")])
            off = medians(results[(kind, name, "off")])
            extra = on[0] / off[0] - 1
            print(
                f"{kind:8} {name:10} {on[0]:7.3f} [{on[1]:6.3f}] {off[0]:7.3f} [{off[1]:6.3f}] "
                f"{extra:+8.0%} {on[0] - off[0]:+9.3f}"
            )


def medians(pairs: list[tuple[float, float]]) -> tuple[float, float]:
    return statistics.median(p for p, _ in pairs), statistics.median(t for _, t in pairs)


def admin_url(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/postgres")), parts.path.lstrip("/")


def fresh_database(url: str) -> None:
    import psycopg

    admin, name = admin_url(url)
    with psycopg.connect(admin, autocommit=True) as db:
        db.execute(f'DROP DATABASE IF EXISTS "{name}"')
        db.execute(f'CREATE DATABASE "{name}"')
    subprocess.run(
        [sys.executable, str(REPO / "manage.py"), "migrate", "-v0"], check=True, env=django_env(url), cwd=REPO
    )


def drop_database(url: str) -> None:
    import psycopg

    admin, name = admin_url(url)
    with psycopg.connect(admin, autocommit=True) as db:
        db.execute(f'DROP DATABASE IF EXISTS "{name}"')


def django_env(url: str) -> dict[str, str]:
    return {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "SECURE_SSL_REDIRECT": "0",
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": url,
        "DB_POOL": "0",  # one plain connection: the one whose backend is measured
        "REDIS_URL": "",
    }


def setup_django(url: str) -> None:
    os.environ.update(django_env(url))
    sys.path.insert(0, str(REPO))
    import django

    django.setup()


if __name__ == "__main__":
    main()
