"""Webhook throughput: N events fanned out to R receivers by W worker processes.

Creates R users, each with one subscription to a local receiver (one HTTP server, a path
per user), writes N tasks spread over them in one statement (N `task.created` events),
starts W `worker:` processes, and waits until every delivery arrived. Checks that each
event reached its receiver exactly once with a valid signature, and prints the
throughput and the delay from each event's commit to its delivery.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/tasks_bench \
        .venv/bin/python bench/webhook_deliveries.py --events 10000 --receivers 100 --workers 2
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import threading
import time
from datetime import datetime
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
from standardwebhooks.webhooks import Webhook  # noqa: E402

from events.models import Event, WebhookDelivery, WebhookSubscription  # noqa: E402
from events.webhooks import new_secret  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--receivers", type=int, default=100)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    received: list[tuple[float, bytes, dict]] = []
    lock = threading.Lock()
    done = threading.Event()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:  # noqa: N802
            body = self.rfile.read(int(self.headers["Content-Length"]))
            with lock:
                received.append((time.time(), body, dict(self.headers)))
                if len(received) >= args.events:
                    done.set()
            self.send_response(204)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *a) -> None:
            pass

    class Server(ThreadingHTTPServer):
        request_queue_size = 1024  # socketserver's 5 resets connections under a burst

    server = Server(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]

    Event.objects.all().delete()
    WebhookSubscription.objects.filter(user_id__startswith="bench-hook-").delete()
    users = [f"bench-hook-{n}" for n in range(args.receivers)]
    secrets = {}
    for user in users:
        hook = WebhookSubscription.objects.create(
            user_id=user, url=f"http://127.0.0.1:{port}/{user}", events=["task.created"], secret=new_secret()
        )
        secrets[user] = hook.secret
    with connection.cursor() as cursor:
        cursor.execute("UPDATE events_event SET relayed = true, published = true WHERE NOT relayed")
    env = {**os.environ, "WEBHOOK_ALLOW_PRIVATE": "1", "LOG_LEVEL": "WARNING"}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    command = next(
        line.split(":", 1)[1].strip()
        for line in (PROJECT / "Procfile").read_text().splitlines()
        if line.startswith("worker:")
    )
    workers = [subprocess.Popen(["bash", "-c", command], cwd=PROJECT, env=env) for _ in range(args.workers)]  # noqa: S603,S607
    try:
        time.sleep(3)  # the workers connect and start their periodic relay
        started = time.time()
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO tasks_task (id, user_id, title, completed, priority, tag_names, created_at, "
                "updated_at, change_seq) SELECT gen_random_uuid(), %s || (n %% %s), 'bench ' || n, false, 0, "
                "'[]', now(), now(), 0 FROM generate_series(1, %s) AS n",
                ["bench-hook-", args.receivers, args.events],
            )
        if not done.wait(timeout=900):
            print(f"only {len(received)} of {args.events} deliveries arrived")
        finished = time.time()
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(timeout=30)
        server.shutdown()

    ids, delays = [], []
    for at, body, headers in received:
        event = orjson.loads(body)
        Webhook(secrets[event["user_id"]]).verify(body, {k.lower(): v for k, v in headers.items()})
        ids.append(headers["webhook-id"])
        delays.append(at - datetime.fromisoformat(event["occurred_at"].replace("Z", "+00:00")).timestamp())
    delays.sort()
    elapsed = finished - started
    print(
        f"{len(received)} deliveries ({len(set(ids))} distinct event ids, all signatures valid) to "
        f"{args.receivers} receivers by {args.workers} workers in {elapsed:.1f} s: "
        f"{len(received) / elapsed:.0f}/s; "
        f"commit-to-delivery p50 {statistics.median(delays):.1f} s, "
        f"p99 {delays[int(len(delays) * 0.99) - 1]:.1f} s, max {delays[-1]:.1f} s; succeeded rows: "
        f"{WebhookDelivery.objects.filter(status='succeeded').count()}"
    )


if __name__ == "__main__":
    main()
