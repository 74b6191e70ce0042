#!/usr/bin/env python3
"""A normal client's API calls and a normal user's sign-ins while attackers guess or
spray passwords at `POST /api/auth/token`, against the Procfile's server.

    .venv/bin/python bench/login_under_attack.py --database-url postgresql://.../tasks_x \
        --checkout /tmp/before --checkout . [--rounds 2] [--seconds 20] [--attackers 16]

For each round and each checkout in turn (interleaved A/B, as the box is shared), starts
that checkout's Procfile `web:` server (DEBUG off, `NUM_PROXIES=1`, so that each client's
`X-Forwarded-For` is its address) and runs three phases of `--seconds` each:

- `none`: no attack; also bursts of 4 simultaneous first-time sign-ins from new addresses
  (counted: each must be a 200);
- `guess`: `--attackers` connections posting the normal user's username with wrong
  passwords, each request from a new address (a botnet: no address reaches the lockout);
- `spray`: the same with a new username each time.

Meanwhile one client makes `GET /api/me/tasks` with a bearer token one at a time (its own
address), and the normal user signs in from the address it always uses, retrying a 429
after its `Retry-After`; its latency is the time to a 200. The database needs users
`normal` and `reader` (passwords `<name>-pass-123!`); the bench creates them if missing.
"""

# The servers started are this project's own checkouts, by their Procfile.
# ruff: noqa: S603, S607

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import os
import random
import socket
import subprocess
import threading
import time
from collections import Counter
from pathlib import Path

TIMEOUT = 15.0
PROJECT_DIR = Path(__file__).resolve().parents[1]


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def procfile_web(checkout: Path) -> str:
    for line in (checkout / "Procfile").read_text().splitlines():
        if line.startswith("web:"):
            return line.removeprefix("web:").strip()
    raise RuntimeError("no web: in the Procfile")


def server_env(database_url: str, port: int, extra: dict[str, str]) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        ENV_FILE="",
        DATABASE_URL=database_url,
        SECRET_KEY="bench-only-" + "x" * 50,
        DEBUG="0",
        SECURE_SSL_REDIRECT="0",
        ALLOWED_HOSTS="127.0.0.1",
        NUM_PROXIES="1",
        LOG_LEVEL="WARNING",
        PORT=str(port),
        WEB_CONCURRENCY="2",
    )
    env.update(extra)
    return env


class Client:
    """One keep-alive connection; `call` reconnects after a failure."""

    def __init__(self, port: int, address: str | None = None) -> None:
        self.port, self.address = port, address
        self.conn: http.client.HTTPConnection | None = None

    def call(self, method: str, path: str, body: dict | None = None, headers=None, address=None):
        headers = {"Host": "127.0.0.1", **(headers or {})}
        if body is not None:
            headers["Content-Type"] = "application/json"
        if address or self.address:
            headers["X-Forwarded-For"] = address or self.address
        try:
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=TIMEOUT)
            self.conn.request(
                method, path, body=json.dumps(body) if body is not None else None, headers=headers
            )
            response = self.conn.getresponse()
            data = response.read()
            return response.status, response.getheader("Retry-After"), data
        except (OSError, http.client.HTTPException):
            if self.conn is not None:
                self.conn.close()
            self.conn = None
            return "error", None, b""


# Addresses and usernames an attacker makes up, not secrets.
rng = random.Random()  # noqa: S311


def random_address() -> str:
    return f"10.{rng.randrange(1, 255)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"


def attacker(port: int, kind: str, stop: threading.Event, counts: Counter) -> None:
    client = Client(port)
    for n in itertools.count():
        if stop.is_set():
            return
        username = "normal" if kind == "guess" else f"user{rng.randrange(10**9)}"
        status, _, _ = client.call(
            "POST",
            "/api/auth/token",
            {"username": username, "password": f"guess-{n}"},
            address=random_address(),
        )
        counts[status] += 1


def api_reader(port: int, token: str, stop: threading.Event, latencies: list, counts: Counter) -> None:
    client = Client(port, address="192.0.2.10")
    while not stop.is_set():
        start = time.perf_counter()
        status, _, _ = client.call("GET", "/api/me/tasks", headers={"Authorization": f"Bearer {token}"})
        latencies.append(time.perf_counter() - start)
        counts[status] += 1
        time.sleep(0.02)


def signer(port: int, stop: threading.Event, latencies: list, counts: Counter) -> None:
    """The normal user signing in from its usual address; a 429 is retried after Retry-After."""
    client = Client(port, address="192.0.2.20")
    while not stop.is_set():
        start = time.perf_counter()
        while not stop.is_set():
            status, retry_after, _ = client.call(
                "POST", "/api/auth/token", {"username": "normal", "password": "normal-pass-123!"}
            )
            counts[status] += 1
            if status == 200:
                latencies.append(time.perf_counter() - start)
                break
            time.sleep(float(retry_after or 1) if status == 429 else 0.5)
        time.sleep(0.5)


def first_time_bursts(port: int, stop: threading.Event, counts: Counter) -> None:
    """4 sign-ins at the same moment, each from an address never seen, every 2 s."""
    while not stop.is_set():
        barrier = threading.Barrier(4)
        results: list = []

        def one(barrier=barrier, results=results) -> None:
            client = Client(port, address=random_address())
            barrier.wait()
            status, _, _ = client.call(
                "POST", "/api/auth/token", {"username": "reader", "password": "reader-pass-123!"}
            )
            results.append(status)

        threads = [threading.Thread(target=one) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        counts.update(results)
        stop.wait(2)


def run_phase(port: int, kind: str, seconds: float, attackers: int, token: str) -> dict:
    stop = threading.Event()
    api_latencies: list[float] = []
    sign_in_latencies: list[float] = []
    api_counts: Counter = Counter()
    sign_in_counts: Counter = Counter()
    attack_counts: Counter = Counter()
    burst_counts: Counter = Counter()
    threads = [
        threading.Thread(target=api_reader, args=(port, token, stop, api_latencies, api_counts)),
        threading.Thread(target=signer, args=(port, stop, sign_in_latencies, sign_in_counts)),
    ]
    if kind == "none":
        threads.append(threading.Thread(target=first_time_bursts, args=(port, stop, burst_counts)))
    else:
        threads += [
            threading.Thread(target=attacker, args=(port, kind, stop, attack_counts))
            for _ in range(attackers)
        ]
    for thread in threads:
        thread.start()
    time.sleep(seconds)
    stop.set()
    for thread in threads:
        thread.join()
    return {
        "api": api_latencies,
        "api_counts": api_counts,
        "sign_in": sign_in_latencies,
        "sign_in_counts": sign_in_counts,
        "attack_counts": attack_counts,
        "burst_counts": burst_counts,
    }


def wait_ready(port: int, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        status, _, _ = Client(port).call("GET", "/healthz")
        if status == 200:
            return
        time.sleep(0.2)
    raise RuntimeError("server did not start")


def prepare(checkout: Path, env: dict) -> None:
    python = str(checkout / ".venv/bin/python")
    subprocess.run([python, "manage.py", "migrate", "-v0"], cwd=checkout, env=env, check=True)
    subprocess.run(
        [
            python,
            "manage.py",
            "shell",
            "-v0",
            "-c",
            "from django.contrib.auth.models import User\n"
            "for name in ('normal', 'reader'):\n"
            "    u, made = User.objects.get_or_create(username=name)\n"
            "    if made: u.set_password(name + '-pass-123!'); u.save()\n",
        ],
        cwd=checkout,
        env=env,
        check=True,
    )
    subprocess.run(
        [python, "manage.py", "axes_reset", "-v0"], cwd=checkout, env=env, check=True, capture_output=True
    )


def one_round(checkout: Path, own_env: dict[str, str], args) -> dict:
    port = free_port()
    env = server_env(args.database_url, port, {**dict(kv.split("=", 1) for kv in args.env), **own_env})
    prepare(checkout, env)
    env["PATH"] = f"{checkout / '.venv/bin'}{os.pathsep}{env['PATH']}"
    process = subprocess.Popen(
        ["bash", "-c", f"exec {procfile_web(checkout)}"],
        cwd=checkout,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_ready(port, process)
        status, _, data = Client(port, "192.0.2.10").call(
            "POST", "/api/auth/token", {"username": "reader", "password": "reader-pass-123!"}
        )
        assert status == 200, (status, data)
        token = json.loads(data)["access"]
        # The normal user has signed in from its address before.
        Client(port, "192.0.2.20").call(
            "POST", "/api/auth/token", {"username": "normal", "password": "normal-pass-123!"}
        )
        return {
            kind: run_phase(port, kind, args.seconds, args.attackers, token)
            for kind in ("none", "guess", "spray")
        }
    finally:
        process.terminate()
        process.wait(timeout=20)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument(
        "--checkout", action="append", required=True, help="a checkout with a .venv; give two"
    )
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--attackers", type=int, default=16)
    parser.add_argument("--env", action="append", default=[], help="NAME=value for every server")
    args = parser.parse_args()
    merged: dict = {}
    for round_number in range(args.rounds):
        for checkout in args.checkout:
            print(f"round {round_number + 1}: {checkout}", flush=True)
            path, _, own = checkout.partition("::")
            own_env = dict(kv.split("=", 1) for kv in own.split(",") if kv)
            result = one_round(Path(path).resolve(), own_env, args)
            for kind, phase in result.items():
                slot = merged.setdefault((checkout, kind), {})
                for key, value in phase.items():
                    slot[key] = slot.get(key, type(value)()) + value
    print()
    print(
        f"{'checkout':<40} {'attack':<6} {'API p50/p99 ms':>16} {'API statuses':<22} "
        f"{'sign-in p50/p99 ms':>19} {'sign-in statuses':<26} {'attackers / bursts'}"
    )
    for (checkout, kind), phase in merged.items():
        api = f"{percentile(phase['api'], 0.5) * 1000:.0f}/{percentile(phase['api'], 0.99) * 1000:.0f}"
        sign = (
            f"{percentile(phase['sign_in'], 0.5) * 1000:.0f}/{percentile(phase['sign_in'], 0.99) * 1000:.0f}"
        )
        other = dict(phase["attack_counts"] or phase["burst_counts"])
        print(
            f"{checkout[-40:]:<40} {kind:<6} {api:>16} {str(dict(phase['api_counts'])):<22} "
            f"{sign:>19} {str(dict(phase['sign_in_counts'])):<26} {other}"
        )


if __name__ == "__main__":
    main()
