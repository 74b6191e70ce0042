"""Open event streams against the REST API: does holding N streams cost the REST API,
and how long does an event take from its commit to its stream?

Starts the Procfile's `web:` and `stream:` processes (of `--project`, this checkout by
default) on DATABASE_URL (migrated), seeds `--users` users of `--tasks` tasks, then runs
the shared benchmark's `mixed` scenario (wrk, ../shared/bench/lua/mixed.lua: 40% list,
30% get, 10% create, 10% update, 10% toggle) in interleaved rounds on the same servers:
- A: REST alone (the stream process up, no stream open);
- B: the same with N streams open, held by a client process of their own (raw asyncio
  sockets), on the seeded users and on the users the scenario creates tasks for
  (`wrknew1..`), so the scenario's own writes are the events; each event's delay is the
  time it reached its stream minus its `occurred_at` (the writing statement's start).
Rounds go A B B A A B ... (`--order abba`, the default) or A B A B (`--order ab`).
Prints per run req/s, p99 and the CPU seconds of the web and stream processes, then per
arm the medians, B/A, and the delays' p50/p99/max over all B runs, with a check that each
stream got its events in increasing id order.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/tasks_bench .venv/bin/python bench/event_streams.py \
        --streams 1000 --duration 15 --rounds 3
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import jwt
import requests

PROJECT = Path(__file__).resolve().parents[1]
SECRET = "bench-secret-with-at-least-32-bytes!!"
CLK_TCK = os.sysconf("SC_CLK_TCK")


def procfile(project: Path, name: str) -> str:
    for line in (project / "Procfile").read_text().splitlines():
        if line.startswith(f"{name}:"):
            return line.split(":", 1)[1].strip()
    raise SystemExit(f"no {name}: in the Procfile")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def token(user: str) -> str:
    return jwt.encode({"sub": user, "exp": int(time.time()) + 6 * 3600}, SECRET, algorithm="HS256")


def start(project: Path, name: str, port: int, command: str | None = None) -> subprocess.Popen:
    python = project / ".venv" / "bin" / "python"
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
        "PATH": f"{python.parent}{os.pathsep}{os.environ['PATH']}",
    }
    process = subprocess.Popen(
        ["bash", "-c", command or procfile(project, name)], cwd=project, env=env, start_new_session=True
    )
    for _ in range(300):
        try:
            requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return process
        except requests.RequestException:
            time.sleep(0.1)
    raise SystemExit(f"{name} did not start")


def tree_ticks(root: int) -> int:
    """CPU ticks (user + system) of a process and all its descendants."""
    children: dict[int, list[int]] = {}
    ticks: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        children.setdefault(int(fields[1]), []).append(int(entry))
        ticks[int(entry)] = int(fields[11]) + int(fields[12])
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += ticks.get(pid, 0)
        todo.extend(children.get(pid, ()))
    return total


def wrk(url: str, lua: Path, ids: Path, tokens: Path, duration: int) -> dict:
    out = subprocess.run(
        ["wrk", "-t2", "-c16", f"-d{duration}s", "--timeout", "5s", "--latency", "-s", str(lua), url],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "IDS": str(ids), "TOKENS": str(tokens)},
    ).stdout
    result = next(line for line in out.splitlines() if line.startswith("RESULT "))
    _, _, rps, p50, p99, bad, sockerr, total, _codes = result.split()
    return {"rps": float(rps), "p50": float(p50), "p99": float(p99), "bad": int(bad) + int(sockerr)}


def cleanup(database_url: str) -> None:
    """Drop what the scenario created, so every run starts from the same data."""
    subprocess.run(
        ["psql", "-q", database_url, "-c", "DELETE FROM tasks_task WHERE user_id LIKE 'wrknew%'"],
        check=True,
        capture_output=True,
    )


# --- the stream client (a process of its own: `--client`) ---------------------------


async def hold_stream(port: int, user: str, auth: str, received: list, opened: list, refused: list) -> None:
    while True:  # a refused stream tries again, as EventSource does
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(
            (
                f"GET /api/{user}/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {auth}\r\n"
                "Accept: text/event-stream\r\n\r\n"
            ).encode()
        )
        await writer.drain()
        status = await reader.readline()
        if b" 200 " in status:
            break
        writer.close()
        refused.append(status)
        await asyncio.sleep(1)
    opened.append(1)
    # Only the arrival is taken here (the client shares the box's cores with the servers):
    # the events are parsed after the run.
    while True:
        line = await reader.readline()
        if not line:
            return
        if line.startswith(b"data: "):
            received.append((time.time(), line))


def summarize(streams: list[list]) -> dict:
    delays, events, disordered = [], 0, 0
    for received in streams:
        last = 0
        for now, line in received:
            event = json.loads(line[6:])
            at = datetime.fromisoformat(event["occurred_at"].replace("Z", "+00:00")).timestamp()
            delays.append(now - at)
            events += 1
            disordered += event["id"] <= last
            last = event["id"]
    return {"delays": delays, "events": events, "disordered": disordered}


async def client(port: int, users: list[str], count: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    streams: list[list] = [[] for _ in range(count)]
    opened: list = []
    refused: list = []
    auth = {user: token(user) for user in users}
    tasks = []
    for n in range(count):
        user = users[n % len(users)]
        tasks.append(asyncio.create_task(hold_stream(port, user, auth[user], streams[n], opened, refused)))
        if n % 100 == 99:
            await asyncio.sleep(0.05)
    while len(opened) < count:
        await asyncio.sleep(0.1)
    print("open", flush=True)
    if refused:
        print(f"{len(refused)} stream openings refused and retried, e.g. {refused[0]!r}", file=sys.stderr)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()
    print(
        json.dumps({**summarize(streams), "closed": sum(task.done() for task in tasks)}),
        flush=True,
    )


# --- the runs ---------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--streams", type=int, default=1000)
    parser.add_argument("--duration", type=int, default=15)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--order", choices=("ab", "abba"), default="abba")
    parser.add_argument(
        "--users", type=int, default=50, help="seeded users (the scenario's reads and updates)"
    )
    parser.add_argument("--tasks", type=int, default=20, help="tasks per seeded user")
    parser.add_argument("--project", type=Path, default=PROJECT, help="the checkout whose servers to run")
    parser.add_argument("--lua", type=Path, default=None, help="the shared bench's lua/mixed.lua")
    parser.add_argument("--stream-command", default=None, help="instead of the Procfile's stream: line")
    parser.add_argument("--client", nargs=2, metavar=("PORT", "USERS_FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.client:
        users = Path(args.client[1]).read_text().split()
        asyncio.run(client(int(args.client[0]), users, args.streams))
        return
    lua = args.lua or next(
        (
            candidate
            for candidate in (
                PROJECT.parent / "shared/bench/lua/mixed.lua",
                PROJECT.parent.parent / "shared/bench/lua/mixed.lua",
            )
            if candidate.exists()
        ),
        None,
    )
    if lua is None:
        raise SystemExit("give --lua (the shared bench's lua/mixed.lua)")
    database_url = os.environ["DATABASE_URL"]
    project = args.project.resolve()
    web_port, stream_port = free_port(), free_port()
    web = start(project, "web", web_port)
    stream = start(project, "stream", stream_port, args.stream_command)
    work = Path(tempfile.mkdtemp(prefix="event-streams-"))
    try:
        seeded = [f"bench-user-{n}" for n in range(args.users)]
        writers = [f"wrknew{n}" for n in range(1, 1001)]  # mixed.lua's create users
        (work / "tokens").write_text("".join(f"{user}\t{token(user)}\n" for user in seeded + writers))
        session = requests.Session()
        lines = []
        subprocess.run(
            ["psql", "-q", database_url, "-c", "DELETE FROM tasks_task WHERE user_id LIKE 'bench-user-%'"],
            check=True,
        )
        cleanup(database_url)
        for user in seeded:
            auth = {"Authorization": f"Bearer {token(user)}"}
            for n in range(args.tasks):
                response = session.post(
                    f"http://127.0.0.1:{web_port}/api/{user}/tasks", json={"title": f"task {n}"}, headers=auth
                )
                response.raise_for_status()
                lines.append(f"{user}\t{response.json()['id']}\n")
        (work / "ids").write_text("".join(lines))
        streamed = (seeded + writers)[: args.streams]
        (work / "users").write_text("\n".join(streamed))
        print(
            f"# {args.rounds} rounds ({args.order}), {args.duration}s mixed x 16 connections per run; "
            f"B = {args.streams} streams over {len(streamed)} users; project {project}; "
            f"load average {os.getloadavg()[0]:.1f}",
            flush=True,
        )
        wrk(f"http://127.0.0.1:{web_port}/api", lua, work / "ids", work / "tokens", 3)  # warm-up
        cleanup(database_url)
        runs: list[dict] = []
        for round_ in range(1, args.rounds + 1):
            arms = "AB" if args.order == "ab" or round_ % 2 else "BA"
            for arm in arms:
                runs.append(
                    run(arm, round_, args, web, stream, web_port, stream_port, work, lua, database_url)
                )
        report(runs)
    finally:
        for process in (web, stream):
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)


def run(arm, round_, args, web, stream, web_port, stream_port, work, lua, database_url) -> dict:
    holder = None
    if arm == "B":
        holder = subprocess.Popen(
            [
                sys.executable,
                __file__,
                "--streams",
                str(args.streams),
                "--client",
                str(stream_port),
                str(work / "users"),
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        if holder.stdout.readline().strip() != "open":
            raise SystemExit("the stream client failed")
    load = os.getloadavg()[0]
    client0 = tree_ticks(holder.pid) if holder else 0
    web0, stream0, at0 = tree_ticks(web.pid), tree_ticks(stream.pid), time.monotonic()
    result = wrk(f"http://127.0.0.1:{web_port}/api", lua, work / "ids", work / "tokens", args.duration)
    web1, stream1, at1 = tree_ticks(web.pid), tree_ticks(stream.pid), time.monotonic()
    client1 = tree_ticks(holder.pid) if holder else 0
    result.update(
        arm=arm,
        round=round_,
        load=load,
        web_cpu=(web1 - web0) / CLK_TCK / (at1 - at0),
        stream_cpu=(stream1 - stream0) / CLK_TCK / (at1 - at0),
        client_cpu=(client1 - client0) / CLK_TCK / (at1 - at0),
    )
    if holder is not None:
        time.sleep(2)  # the last events reach their streams
        holder.send_signal(signal.SIGTERM)
        out, _ = holder.communicate(timeout=60)
        result.update(json.loads(out.strip().splitlines()[-1]))
    cleanup(database_url)
    extra = ""
    if holder is not None:
        ordered = sorted(result["delays"]) or [0.0]
        extra = (
            f"  client {result['client_cpu']:.2f} cores  events {result['events']}"
            f" (disordered {result['disordered']}, streams closed {result['closed']})"
            f"  delay p50 {statistics.median(ordered) * 1000:.0f} ms"
            f" p99 {ordered[max(0, int(len(ordered) * 0.99) - 1)] * 1000:.0f} ms"
        )
    print(
        f"round {round_} {arm}: {result['rps']:7.1f} req/s  p99 {result['p99']:7.1f} ms"
        f"  non-2xx {result['bad']}"
        f"  cpu web {result['web_cpu']:.2f} stream {result['stream_cpu']:.2f} cores  load {load:.1f}{extra}",
        flush=True,
    )
    return result


def report(runs: list[dict]) -> None:
    def median(arm: str, key: str) -> float:
        return statistics.median(run[key] for run in runs if run["arm"] == arm)

    print("\narm  req/s(median)  p99 ms(median)  web cores  stream cores")
    for arm in "AB":
        print(
            f"{arm}    {median(arm, 'rps'):12.1f}  {median(arm, 'p99'):14.1f}  "
            f"{median(arm, 'web_cpu'):9.2f}  {median(arm, 'stream_cpu'):12.2f}"
        )
    rounds = sorted({run["round"] for run in runs})
    ratios = []
    for round_ in rounds:
        pair = {run["arm"]: run for run in runs if run["round"] == round_}
        ratios.append(pair["B"]["rps"] / pair["A"]["rps"])
    print(
        f"B/A req/s per round: {' '.join(f'{ratio:.3f}' for ratio in ratios)}"
        f"; median {statistics.median(ratios):.3f}"
        f"; of the medians {median('B', 'rps') / median('A', 'rps'):.3f}; "
        f"p99 B/A {median('B', 'p99') / median('A', 'p99'):.3f}"
    )
    delays = sorted(delay for run in runs for delay in run.get("delays", ()))
    if delays:
        print(
            f"events to streams: {len(delays)} received, "
            f"{sum(run.get('disordered', 0) for run in runs)} out of order or repeated; "
            f"commit-to-stream p50 {statistics.median(delays) * 1000:.0f} ms, "
            f"p99 {delays[max(0, int(len(delays) * 0.99) - 1)] * 1000:.0f} ms, max {delays[-1] * 1000:.0f} ms"
        )


if __name__ == "__main__":
    main()
