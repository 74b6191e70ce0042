#!/usr/bin/env python3
"""Interleaved head-to-head of servers already running on this machine: one GET, wrk,
req/s, p99 and the CPU milliseconds each server spent per request.

    bench/servers_ab.py --path /api/me/tasks/ID --token TOKEN [--rounds 4] [--duration 8s] \
        main=8201:PGID candidate=8207:PGID[,PGID2]

Each server is `NAME=PORT:PGID[,PGID...]`: the process groups whose CPU it uses (start
each with `setsid`, so its group id is its pid; a front proxy and its backend are two).
Rounds alternate the order (a b, b a, ...). On a shared box req/s moves with the
neighbours' load; CPU per request much less, so compare that first. Needs wrk.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import tempfile

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(groups: set[int]) -> float:
    """User + system CPU of every live process in these process groups."""
    total = 0
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/stat") as stat_file:
                stat = stat_file.read()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        if int(fields[2]) in groups:  # pgrp
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / TICKS


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--path", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--duration", default="8s")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("servers", nargs="+")
    args = parser.parse_args()

    servers = []
    for spec in args.servers:
        name, _, rest = spec.partition("=")
        port, _, groups = rest.partition(":")
        servers.append((name, int(port), {int(group) for group in groups.split(",")}))
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(f'wrk.headers["Authorization"] = "Bearer {args.token}"\n')
    results: dict[str, list[tuple[float, float, str, str]]] = {name: [] for name, _, _ in servers}
    for round_number in range(args.rounds):
        for name, port, groups in servers if round_number % 2 == 0 else servers[::-1]:
            before = cpu_seconds(groups)
            output = subprocess.run(  # noqa: S603 - wrk, with this script's own arguments
                ["wrk", "-t2", f"-c{args.connections}", f"-d{args.duration}", "--latency", "-s", script.name]
                + [f"http://127.0.0.1:{port}{args.path}"],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            used = cpu_seconds(groups) - before
            requests = int(re.search(r"(\d+) requests in", output).group(1))
            rate = float(re.search(r"Requests/sec:\s+(\S+)", output).group(1))
            p99 = re.search(r"99%\s+(\S+)", output).group(1)
            errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
            row = (rate, used * 1000 / requests, p99, errors.group(1) if errors else "0")
            results[name].append(row)
            print(
                f"round {round_number} {name:12} {rate:8.1f} req/s {row[1]:6.3f} CPU ms/req "
                f"p99 {p99} non-2xx {row[3]}"
            )
    os.unlink(script.name)
    print("\nmedians")
    for name, rows in results.items():
        rate = statistics.median(row[0] for row in rows)
        cpu = statistics.median(row[1] for row in rows)
        print(f"{name:12} {rate:8.1f} req/s {cpu:6.3f} CPU ms/req")


if __name__ == "__main__":
    main()
