#!/usr/bin/env python3
"""A normal client's latency while slow and idle clients attack a running server.

    bench/slow_clients.py http://127.0.0.1:8000 --username alice --password '...' \
        [--slow-bodies 64] [--slowloris 1000] [--idle 1000] [--seconds 30]

Opens the attack of tests/e2e/attackers.py (request bodies at a byte every 2 s to
`POST /api/auth/token`, slowloris headers, idle keep-alive connections), then for
`--seconds` makes one request at a time as a normal client would, in turn: `GET /healthz`
on a new connection, `GET /api/me/tasks` on a kept-alive connection, and
`POST /api/auth/token` (a login, with its body) on a new connection. Each has a 5 s
timeout; a timeout, an error or an unexpected status counts as failed. Prints the count,
failures, p50, p99 and max per kind and overall, first for `--control-seconds` without
the attack (the box's own load), then during it, and what the attackers saw.
Run it with the project's venv from the checkout: `.venv/bin/python bench/slow_clients.py ...`.
"""

from __future__ import annotations

import argparse
import http.client
import json
import resource
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.e2e.attackers import Attack  # noqa: E402

TIMEOUT = 5.0


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


class NormalClient:
    def __init__(self, host: str, port: int, username: str, password: str) -> None:
        self.host, self.port = host, port
        self.login = json.dumps({"username": username, "password": password}).encode()
        self.kept: http.client.HTTPConnection | None = None
        self.token = ""

    def _call(self, conn, method, path, body=None, headers=None) -> int:
        conn.request(method, path, body=body, headers={"Host": self.host, **(headers or {})})
        response = conn.getresponse()
        data = response.read()
        if path == "/api/auth/token" and response.status == 200:
            self.token = json.loads(data)["access"]
        return response.status

    def new_connection_get(self) -> int:
        conn = http.client.HTTPConnection(self.host, self.port, timeout=TIMEOUT)
        try:
            return self._call(conn, "GET", "/healthz")
        finally:
            conn.close()

    def new_connection_login(self) -> int:
        conn = http.client.HTTPConnection(self.host, self.port, timeout=TIMEOUT)
        try:
            return self._call(
                conn, "POST", "/api/auth/token", self.login, {"Content-Type": "application/json"}
            )
        finally:
            conn.close()

    def kept_alive_get(self) -> int:
        if self.kept is None:
            self.kept = http.client.HTTPConnection(self.host, self.port, timeout=TIMEOUT)
        try:
            return self._call(
                self.kept, "GET", "/api/me/tasks", headers={"Authorization": f"Bearer {self.token}"}
            )
        except (OSError, http.client.HTTPException):
            # The server may close a kept connection between requests (its keep-alive
            # timeout), as any client must expect: retry once on a new one, timed in.
            self.kept.close()
            self.kept = http.client.HTTPConnection(self.host, self.port, timeout=TIMEOUT)
            return self._call(
                self.kept, "GET", "/api/me/tasks", headers={"Authorization": f"Bearer {self.token}"}
            )


def measure(kinds: dict, seconds: float) -> tuple[dict, dict]:
    """Each kind of request in turn, one at a time, for `seconds`: timings and failures."""
    timings: dict[str, list[float]] = {name: [] for name in kinds}
    failures: dict[str, list[str]] = {name: [] for name in kinds}
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for name, (call, expected) in kinds.items():
            began = time.perf_counter()
            try:
                status = call()
                outcome = None if status == expected else f"status {status}"
            except (OSError, http.client.HTTPException) as error:
                outcome = type(error).__name__
            timings[name].append(time.perf_counter() - began)
            if outcome:
                failures[name].append(outcome)
    return timings, failures


def report(title: str, timings: dict, failures: dict) -> None:
    print(f"\n{title}")
    print(f"{'request':40} {'n':>6} {'failed':>6} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    everything = [t for values in timings.values() for t in values]
    for name, values in [*timings.items(), ("all", everything)]:
        failed = sum(len(f) for f in failures.values()) if name == "all" else len(failures[name])
        print(
            f"{name:40} {len(values):>6} {failed:>6} {statistics.median(values) * 1000:>8.1f} "
            f"{percentile(values, 0.99) * 1000:>8.1f} {max(values) * 1000:>8.1f}"
        )
    for name, outcomes in failures.items():
        if outcomes:
            print(f"  {name} failures: {sorted(set(outcomes))}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("url")
    parser.add_argument("--username", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--slow-bodies", type=int, default=64)
    parser.add_argument("--slowloris", type=int, default=1000)
    parser.add_argument("--idle", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--control-seconds", type=float, default=10)
    args = parser.parse_args()

    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    parts = urlsplit(args.url)
    client = NormalClient(parts.hostname, parts.port or 80, args.username, args.password)
    assert client.new_connection_login() == 200, "log in before the attack failed"
    kinds = {
        "new connection GET /healthz": (client.new_connection_get, 200),
        "kept-alive GET /api/me/tasks": (client.kept_alive_get, 200),
        "new connection POST /api/auth/token": (client.new_connection_login, 200),
    }
    # The same client without the attack, just before it: how much of the latency is the
    # box's own load (a shared machine) rather than the attack.
    if args.control_seconds:
        report(f"without the attack ({args.control_seconds:g} s)", *measure(kinds, args.control_seconds))

    attack = Attack(
        parts.hostname, parts.port, slow_bodies=args.slow_bodies, slowloris=args.slowloris, idle=args.idle
    )
    started = time.monotonic()
    attack.start()
    opened_after = time.monotonic() - started
    timings, failures = measure(kinds, args.seconds)
    counts = attack.stop()
    report(
        f"during the attack ({args.seconds:g} s; {args.slow_bodies} slow bodies, {args.slowloris} "
        f"slowloris, {args.idle} idle; all open after {opened_after:.1f} s)",
        timings,
        failures,
    )
    print(
        f"attackers: {counts.opened} connections opened, {counts.dropped_by_server} dropped by the "
        f"server, {counts.refused} connects failed, answers {counts.answers}"
    )


if __name__ == "__main__":
    main()
