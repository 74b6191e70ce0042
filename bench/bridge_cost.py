"""CPU per request of the production server's bridge alone (config.wsgi_over_rsgi): the
event loop's side and the hand-over to a thread and back, around a WSGI application that
answers at once, 16 requests in flight on 4 threads, no granian, no Django.

  .venv/bin/python bench/bridge_cost.py          # best of 3 x 32,000 requests

Run it from two checkouts (e.g. a worktree of the commit before) to compare bridges.
"""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path.cwd()))

from config.wsgi_over_rsgi import WsgiOverRsgi  # noqa: E402 (the checkout's own)

IN_FLIGHT = 16
PER_CLIENT = 2000


class Headers:
    def __init__(self, pairs):
        self.pairs = pairs

    def items(self):
        return self.pairs


# What wrk's get sends: a bearer token, no body.
SCOPE = SimpleNamespace(
    proto="http",
    http_version="1.1",
    server="127.0.0.1:8103",
    client="127.0.0.1:40000",
    scheme="http",
    method="GET",
    path="/api/me/tasks/6f1c9d1e-2b7a-4c1e-9a55-0c8a3c1d2e4f",
    query_string="",
    headers=Headers([("host", "127.0.0.1:8103"), ("authorization", "Bearer " + "x" * 150)]),
    authority=None,
)


class Protocol:
    def response_bytes(self, status, headers, body):
        pass


def application(environ, start_response):
    start_response("200 OK", [("Content-Type", "application/json")])
    return [b"{}"]


async def microseconds_per_request() -> float:
    bridge = WsgiOverRsgi(application, threads=4, max_body=1000, body_timeout=10)

    async def client():
        protocol = Protocol()
        for _ in range(PER_CLIENT):
            await bridge.__rsgi__(SCOPE, protocol)

    await asyncio.gather(*(client() for _ in range(IN_FLIGHT)))  # warm-up, threads started
    started = time.process_time()
    await asyncio.gather(*(client() for _ in range(IN_FLIGHT)))
    spent = time.process_time() - started
    bridge.executor.shutdown()
    return spent / (IN_FLIGHT * PER_CLIENT) * 1e6


if __name__ == "__main__":
    best = min(asyncio.run(microseconds_per_request()) for _ in range(3))
    print(f"{Path.cwd()}: {best:.1f} µs of CPU per request through the bridge")
