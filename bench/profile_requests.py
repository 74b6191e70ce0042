"""Profile the project's WSGI app in-process, as gunicorn calls it, on the bench database.

Runs with the production settings (DEBUG=0) against PostgreSQL, one request at a time, so
the numbers are CPU per request without the HTTP server, wrk or other requests around it.
Needs the data `bench/run.sh` loaded (it reads the ids file it wrote).

  .venv/bin/python bench/profile_requests.py list                  # CPU and wall ms per request
  .venv/bin/python bench/profile_requests.py toggle --queries      # the SQL of one request
  .venv/bin/python bench/profile_requests.py list --cprofile       # top functions by CPU time
                                                  # (PROFILE_SORT=tottime: by own time;
                                                  # PROFILE_CALLERS=pattern: who calls it)
  .venv/bin/python bench/profile_requests.py list --pyinstrument   # call tree (pip install pyinstrument
                                                                     # into a venv of your own)
Kinds: healthz list list_filtered get create update toggle hot_client.
  list_filtered: the hackathon front ends' page, ?status=pending&sort=due_date&limit=20;
  hot_client: gets by one user whose throttle budget is nearly spent (5,600 of 6,000 a minute).
env: DATABASE_URL (default .../bench_project), IDS (default bench/data/ids-bench_project-tasks_task.tsv)
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import random
import secrets
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SECRET = secrets.token_urlsafe(32)
os.environ.update(
    DEBUG="0",
    SECRET_KEY=secrets.token_urlsafe(50),
    SECURE_SSL_REDIRECT="0",
    ALLOWED_HOSTS="127.0.0.1,localhost",
    AUTH_JWT_SECRET=SECRET,
    DJANGO_SETTINGS_MODULE="config.settings",
)
os.environ.setdefault("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/bench_project")
sys.path.insert(0, str(REPO))

import jwt  # noqa: E402

from config.wsgi import application  # noqa: E402

KINDS = ("healthz", "list", "list_filtered", "get", "create", "update", "toggle", "hot_client")
LIST_FILTERED_QUERY = "status=pending&sort=due_date&limit=20"
HOT_CLIENT_USED = 5600  # requests the hot client has already made in the current minute (of 6,000)


class Driver:
    """Requests as wrk sends them, for the tasks of `users` users (default 20) and as many
    `wrknew*` users for create. Under load each server process sees every token over and
    over, so `warm_up` sends one request per user first: measured requests then find the
    token verified already, as they do in the benchmark."""

    def __init__(self, ids_path: Path, seed: int = 1, users: int = 20) -> None:
        pairs = [line.rstrip("\n").split("\t") for line in ids_path.open() if line.strip() and line[0] != "#"]
        chosen = sorted({user for user, _task in pairs})[:users]
        self.pairs = [pair for pair in pairs if pair[0] in chosen]
        self.new_users = [f"wrknew{n}" for n in range(1, users + 1)]
        self.hot_pairs = [pair for pair in self.pairs if pair[0] == self.pairs[0][0]]
        self.rng = random.Random(seed)  # noqa: S311 - picking test rows, not secrets
        self.tokens: dict[str, str] = {}

    def warm_up(self, kind: str, requests: int = 50) -> None:
        for user in sorted({user for user, _task in self.pairs}) + self.new_users:
            self.call("GET", f"/api/{user}/tasks", user)
        if kind == "hot_client":
            spend_throttle_budget(self.hot_pairs[0][0], HOT_CLIENT_USED)
        for _ in range(requests):
            self.request(kind)

    def token(self, user: str) -> str:
        if user not in self.tokens:
            claims = {"sub": user, "iat": int(time.time()), "exp": int(time.time()) + 3600}
            self.tokens[user] = jwt.encode(claims, SECRET, algorithm="HS256")
        return self.tokens[user]

    def call(self, method: str, path: str, user: str, body: bytes = b"", query: str = "") -> bytes:
        environ = {
            "REQUEST_METHOD": method,
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "8000",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "HTTP_HOST": "127.0.0.1:8000",
            "HTTP_AUTHORIZATION": f"Bearer {self.token(user)}",
            "REMOTE_ADDR": "127.0.0.1",
            "CONTENT_LENGTH": str(len(body)),
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr,
            "wsgi.url_scheme": "http",
            "wsgi.version": (1, 0),
            "wsgi.multithread": False,
            "wsgi.multiprocess": True,
            "wsgi.run_once": False,
        }
        if body:
            environ["CONTENT_TYPE"] = "application/json"
        status: list[str] = []
        out = b"".join(application(environ, lambda s, h, e=None: status.append(s)))
        if not status or not status[0].startswith("2"):
            raise SystemExit(f"{method} {path} answered {status}: {out[:300]!r}")
        return out

    def request(self, kind: str) -> bytes:
        user, task = self.rng.choice(self.pairs)
        base = f"/api/{user}/tasks"
        if kind == "healthz":
            return self.call("GET", "/healthz", user)
        if kind == "list":
            return self.call("GET", base, user)
        if kind == "list_filtered":
            return self.call("GET", base, user, query=LIST_FILTERED_QUERY)
        if kind == "hot_client":
            user, task = self.rng.choice(self.hot_pairs)
            return self.call("GET", f"/api/{user}/tasks/{task}", user)
        if kind == "get":
            return self.call("GET", f"{base}/{task}", user)
        if kind == "toggle":
            return self.call("PATCH", f"{base}/{task}/complete", user)
        if kind == "update":
            body = json.dumps({"title": "Task 1: fix the thing", "description": "plan review deploy"})
            return self.call("PUT", f"{base}/{task}", user, body.encode())
        if kind == "create":
            # like the create scenario: dedicated users, deleted again by cleanup()
            new_user = self.rng.choice(self.new_users)
            body = json.dumps({"title": "New plan review", "description": "write fix deploy"})
            return self.call("POST", f"/api/{new_user}/tasks", new_user, body.encode())
        raise ValueError(kind)


def spend_throttle_budget(user: str, used: int) -> None:
    """Record `used` requests of `user` in the current window of the per-user throttle, as
    if the client had sent them in the last seconds: its counter for this window, named
    as FixedWindowRateThrottle.allow_request names it."""
    from tasks.api.throttling import UserRateThrottle

    throttle = UserRateThrottle()
    key = throttle.cache_format % {"scope": throttle.scope, "ident": user}
    window = int(throttle.timer() // throttle.duration)
    throttle.cache.cache.set(f"{key}_{window}", used, 2 * throttle.duration)


def cleanup() -> None:
    from tasks.data import staff

    staff.delete_tasks(staff.all_tasks().filter(user_id__startswith="wrknew"))


def show_queries(driver: Driver, kind: str) -> None:
    from django.db import connection

    statements: list[str] = []

    def spy(execute, sql, params, many, context):
        statements.append(" ".join(sql.split())[:150])
        return execute(sql, params, many, context)

    with connection.execute_wrapper(spy):
        driver.request(kind)
    print(f"{kind}: {len(statements)} statements through Django (plus BEGIN/COMMIT for writes")
    print("and the connection health check, SELECT 1, which bypasses Django's cursor)")
    for sql in statements:
        print("  ", sql)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("kind", choices=KINDS)
    ap.add_argument("-n", type=int, default=300, help="requests measured after warm-up (0: none)")
    default_ids = REPO / "bench" / "data" / "ids-bench_project-tasks_task.tsv"
    ap.add_argument("--ids", type=Path, default=Path(os.environ.get("IDS") or default_ids))
    mode = ap.add_mutually_exclusive_group()
    mode.add_argument("--cprofile", action="store_true", help="top functions by CPU time (cProfile)")
    mode.add_argument("--pyinstrument", action="store_true", help="sampled call tree (wall time)")
    mode.add_argument("--queries", action="store_true", help="the SQL statements of one request")
    a = ap.parse_args()
    if not a.ids.is_file():
        raise SystemExit(f"no ids file at {a.ids}: run bench/run.sh first (it loads bench_project)")

    driver = Driver(a.ids)
    try:
        driver.warm_up(a.kind)
        if a.n == 0:
            pass  # warm-up only: the baseline of bench/count_instructions.sh
        elif a.queries:
            show_queries(driver, a.kind)
        elif a.cprofile:
            profiler = cProfile.Profile(time.process_time)
            profiler.runcall(lambda: [driver.request(a.kind) for _ in range(a.n)])
            stats = pstats.Stats(profiler).sort_stats(os.environ.get("PROFILE_SORT", "cumulative"))
            if os.environ.get("PROFILE_CALLERS"):  # who calls the functions matching this pattern
                stats.print_callers(os.environ["PROFILE_CALLERS"])
            else:
                stats.print_stats(40)
        elif a.pyinstrument:
            from pyinstrument import Profiler

            profiler = Profiler(interval=0.0002)
            profiler.start()
            for _ in range(a.n):
                driver.request(a.kind)
            profiler.stop()
            print(profiler.output_text(unicode=False, color=False))
        else:
            runs = []
            for _ in range(3):
                cpu0, wall0 = time.process_time(), time.perf_counter()
                for _ in range(a.n):
                    driver.request(a.kind)
                runs.append(((time.process_time() - cpu0) / a.n, (time.perf_counter() - wall0) / a.n))
            cpu, wall = min(runs)
            print(
                f"{a.kind}: {cpu * 1000:.2f} ms CPU, {wall * 1000:.2f} ms wall per request "
                f"(best of 3 x {a.n}; wall includes waiting for PostgreSQL)"
            )
    finally:
        if a.kind == "create":
            cleanup()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
