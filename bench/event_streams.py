"""Open event streams against the REST API: does holding N streams cost the REST API,
and how long does an event take from its commit to its stream?

Starts the Procfile's `web:` and `stream:` processes on DATABASE_URL (migrated), then
1. REST alone: wrk on GET /api/me/tasks for DURATION seconds;
2. the same with N streams open (N users, raw asyncio sockets) while a writer POSTs a task
   for a random stream user RATE times a second; each event's delay is the time it
   reached its stream minus its `occurred_at` (the writing statement's start).
Prints both wrk summaries and the delays' p50/p99/max.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/tasks_bench .venv/bin/python bench/event_streams.py \
        --streams 1000 --duration 20 --rate 20
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import socket
import statistics
import subprocess
import sys
import threading
import time
from datetime import datetime
from pathlib import Path

import jwt
import requests

PROJECT = Path(__file__).resolve().parents[1]
SECRET = "bench-secret-with-at-least-32-bytes!!"


def procfile(name: str) -> str:
    for line in (PROJECT / "Procfile").read_text().splitlines():
        if line.startswith(f"{name}:"):
            return line.split(":", 1)[1].strip()
    raise SystemExit(f"no {name}: in the Procfile")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def token(user: str) -> str:
    return jwt.encode({"sub": user, "exp": int(time.time()) + 3600}, SECRET, algorithm="HS256")


def start(name: str, port: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "SECRET_KEY": "bench-only",
        "DEBUG": "0",
        "SECURE_SSL_REDIRECT": "0",
        "ALLOWED_HOSTS": "127.0.0.1",
        "AUTH_JWT_SECRET": SECRET,
        "ACCESS_LOG": "0",
        "LOG_LEVEL": "WARNING",
        "THROTTLE_USER_RATE": "1000000/min",
        "PORT": str(port),
        "STREAM_PORT": str(port),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
    }
    process = subprocess.Popen(["bash", "-c", procfile(name)], cwd=PROJECT, env=env)
    for _ in range(300):
        try:
            requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return process
        except requests.RequestException:
            time.sleep(0.1)
    raise SystemExit(f"{name} did not start")


def wrk(url: str, auth: str, duration: int) -> str:
    out = subprocess.run(
        ["wrk", "-t2", "-c16", f"-d{duration}s", "--latency", "-H", f"Authorization: Bearer {auth}", url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    keep = ("Latency  ", "50%", "99%", "Requests/sec", "Non-2xx")
    return "\n".join(line for line in out.splitlines() if line.strip().startswith(keep))


async def open_stream(
    port: int, user: str, delays: list[float], ready: asyncio.Event, opened: list[int]
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(
        (
            f"GET /api/me/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token(user)}\r\n"
            "Accept: text/event-stream\r\n\r\n"
        ).encode()
    )
    await writer.drain()
    status = await reader.readline()
    if b" 200 " not in status:
        raise SystemExit(f"stream refused: {status!r}")
    opened.append(1)
    while True:
        line = await reader.readline()
        if not line:
            return
        if line.startswith(b"data: "):
            event = json.loads(line[6:])
            at = datetime.fromisoformat(event["occurred_at"].replace("Z", "+00:00")).timestamp()
            delays.append(time.time() - at)


def writer_thread(web: str, users: list[str], rate: float, stop: threading.Event, sent: list[int]) -> None:
    session = requests.Session()
    tokens = {user: token(user) for user in users}
    while not stop.is_set():
        user = random.choice(users)  # noqa: S311
        session.post(
            f"{web}/api/me/tasks",
            json={"title": "bench event"},
            headers={"Authorization": f"Bearer {tokens[user]}"},
        )
        sent.append(1)
        time.sleep(1 / rate)


async def with_streams(args, web_port: int, stream_port: int, rest_token: str) -> None:
    users = [f"bench-stream-{n}" for n in range(args.streams)]
    delays: list[float] = []
    opened: list[int] = []
    ready = asyncio.Event()
    tasks = []
    for user in users:
        tasks.append(asyncio.create_task(open_stream(stream_port, user, delays, ready, opened)))
        if len(tasks) % 100 == 0:
            await asyncio.sleep(0.05)
    while len(opened) < args.streams:
        await asyncio.sleep(0.1)
    print(f"{len(opened)} streams open")
    stop, sent = threading.Event(), []
    writer = threading.Thread(
        target=writer_thread, args=(f"http://127.0.0.1:{web_port}", users, args.rate, stop, sent)
    )
    writer.start()
    summary = await asyncio.to_thread(
        wrk, f"http://127.0.0.1:{web_port}/api/me/tasks", rest_token, args.duration
    )
    stop.set()
    writer.join()
    await asyncio.sleep(2)
    print("REST with streams open:\n" + summary)
    ordered = sorted(delays)
    p50, p99 = statistics.median(ordered), ordered[int(len(ordered) * 0.99) - 1]
    print(
        f"events: {len(sent)} written, {len(ordered)} received; commit-to-stream delay "
        f"p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms, max {ordered[-1] * 1000:.0f} ms"
    )
    for task in tasks:
        task.cancel()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--streams", type=int, default=1000)
    parser.add_argument("--duration", type=int, default=20)
    parser.add_argument("--rate", type=float, default=20)
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    web_port, stream_port = free_port(), free_port()
    processes = [start("web", web_port), start("stream", stream_port)]
    try:
        rest_token = token("bench-rest")
        session = requests.Session()
        for n in range(100):
            session.post(
                f"http://127.0.0.1:{web_port}/api/me/tasks",
                json={"title": f"task {n}", "tags": ["bench"]},
                headers={"Authorization": f"Bearer {rest_token}"},
            )
        print("REST alone:\n" + wrk(f"http://127.0.0.1:{web_port}/api/me/tasks", rest_token, args.duration))
        asyncio.run(with_streams(args, web_port, stream_port, rest_token))
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=10)


if __name__ == "__main__":
    main()
