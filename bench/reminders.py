"""Reminder lateness: N reminders due within one minute across U users, W worker processes.

Starts W `worker:` processes (the Procfile's command) and a local webhook receiver with a
subscription to `task.reminder_due` per user, writes N tasks in one statement whose
`remind_at` fall evenly within SPREAD seconds starting LEAD seconds from now, and waits
until every reminder fired and reached the receiver. Checks that each fired exactly
once, and prints how late each was: its event recorded (`occurred_at - remind_at`) and
its webhook received (arrival - `remind_at`), p50/p99/max.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/tasks_bench \
        .venv/bin/python bench/reminders.py --reminders 10000 --users 1000 --workers 2

`--spread 0` puts every reminder on the same instant (the worst minute there is);
`--no-webhooks` measures the firing alone (no subscriptions, so no deliveries).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import django
import orjson

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("SECRET_KEY", "bench-only")
django.setup()

from django.db import connection  # noqa: E402

from events.models import Event, WebhookSubscription  # noqa: E402
from events.webhooks import new_secret  # noqa: E402

PREFIX = "bench-remind-"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reminders", type=int, default=10_000)
    parser.add_argument("--users", type=int, default=1_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--spread", type=float, default=60.0, help="seconds the due times cover")
    parser.add_argument("--lead", type=float, default=10.0, help="seconds from now to the first")
    parser.add_argument(
        "--no-webhooks", action="store_true", help="no subscriptions: the firing alone, no deliveries"
    )
    args = parser.parse_args()

    received: dict[str, list[float]] = {}
    lock = threading.Lock()
    done = threading.Event()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:  # noqa: N802
            body = self.rfile.read(int(self.headers["Content-Length"]))
            at = time.time()
            event = orjson.loads(body)
            with lock:
                received.setdefault(event["task_id"], []).append(at)
                if len(received) >= args.reminders:
                    done.set()
            self.send_response(204)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *a) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]

    with connection.cursor() as cursor:
        # Earlier runs' rows, straight past the store (a scratch database).
        cursor.execute("DELETE FROM tasks_task WHERE user_id LIKE %s", [PREFIX + "%"])
        cursor.execute("DELETE FROM events_webhookdelivery")
        cursor.execute("DELETE FROM events_event")
    WebhookSubscription.objects.filter(user_id__startswith=PREFIX).delete()
    users = [f"{PREFIX}{n}" for n in range(args.users)]
    if not args.no_webhooks:
        WebhookSubscription.objects.bulk_create(
            WebhookSubscription(
                user_id=user,
                url=f"http://127.0.0.1:{port}/{user}",
                events=["task.reminder_due"],
                secret=new_secret(),
            )
            for user in users
        )
    env = {**os.environ, "WEBHOOK_ALLOW_PRIVATE": "1", "LOG_LEVEL": "WARNING"}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    command = next(
        line.split(":", 1)[1].strip()
        for line in (PROJECT / "Procfile").read_text().splitlines()
        if line.startswith("worker:")
    )
    workers = [subprocess.Popen(["bash", "-c", command], cwd=PROJECT, env=env) for _ in range(args.workers)]  # noqa: S603,S607
    try:
        first = datetime.now(tz=UTC) + timedelta(seconds=args.lead)
        step = args.spread / max(args.reminders - 1, 1)
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO tasks_task (id, user_id, title, completed, priority, tag_names, created_at, "
                "updated_at, change_seq, remind_at) SELECT gen_random_uuid(), %s || (n %% %s), "
                "'bench ' || n, false, 0, '[]', now(), now(), 0, %s + make_interval(secs => %s * n) "
                "FROM generate_series(0, %s - 1) AS n",
                [PREFIX, args.users, first, step, args.reminders],
            )
        print(
            f"{args.reminders} reminders of {args.users} users, "
            f"due from {first:%H:%M:%S} over {args.spread:g} s"
        )
        deadline = time.monotonic() + args.lead + args.spread + 600
        fired = Event.objects.filter(type="task.reminder_due")
        while fired.count() < args.reminders and time.monotonic() < deadline:
            time.sleep(0.5)
        if not args.no_webhooks and not done.wait(timeout=max(deadline - time.monotonic(), 0)):
            print(f"only {len(received)} of {args.reminders} reminders arrived")
        # The workers keep looking for a few more ticks: a second firing would show.
        time.sleep(3)
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(timeout=30)
        server.shutdown()

    rows = _rows("SELECT id, remind_at FROM tasks_task WHERE user_id LIKE %s", [PREFIX + "%"])
    due = {str(task_id): remind_at.timestamp() for task_id, remind_at in rows}
    fired = list(Event.objects.filter(type="task.reminder_due").values_list("aggregateid", "occurred_at"))
    per_task: dict[str, int] = {}
    for task_id, _ in fired:
        per_task[task_id] = per_task.get(task_id, 0) + 1
    recorded = sorted(occurred.timestamp() - due[task_id] for task_id, occurred in fired)
    delivered = sorted(min(times) - due[task_id] for task_id, times in received.items())
    print(
        f"fired: {len(per_task)} of {len(due)} tasks, {len(fired)} events, "
        f"{sum(1 for n in per_task.values() if n > 1)} tasks fired more than once, "
        f"{sum(len(times) for times in received.values())} webhooks received for {len(received)} tasks"
    )
    print(f"late, event recorded: {_figures(recorded)}")
    if not args.no_webhooks:
        print(f"late, webhook received: {_figures(delivered)}")
    print(f"early (recorded before remind_at): {sum(1 for late in recorded if late < 0)}")


def _rows(sql: str, params: list) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _figures(values: list[float]) -> str:
    if not values:
        return "none"
    p99 = values[max(int(len(values) * 0.99) - 1, 0)]
    return f"p50 {statistics.median(values):.2f} s, p99 {p99:.2f} s, max {values[-1]:.2f} s"


if __name__ == "__main__":
    main()
