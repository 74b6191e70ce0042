"""Real worker processes (the Procfile's `worker:` command) on the test database, and a
real webhook receiver (an HTTP server in the test process) for them to deliver to."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from tests.e2e.servers import PROJECT_DIR, server_env

WAIT_LIMIT = 20.0  # seconds a test waits for the workers before it fails


def procfile_worker_command() -> str:
    for line in (PROJECT_DIR / "Procfile").read_text().splitlines():
        if line.startswith("worker:"):
            return line.removeprefix("worker:").strip()
    raise RuntimeError("The Procfile has no worker: process")


class Worker:
    """One `worker:` process, as the Procfile starts it."""

    def __init__(self, **env_overrides: str) -> None:
        self.log = tempfile.TemporaryFile(prefix="worker-log-")  # noqa: SIM115 - closed in stop()
        env = server_env(**env_overrides)
        env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
        self.process = subprocess.Popen(
            # One simple command: bash replaces itself with it, so a kill reaches the worker.
            ["bash", "-c", procfile_worker_command()],
            cwd=PROJECT_DIR,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    def kill(self) -> None:
        """As a crash or an OOM kill would: no chance to finish anything."""
        self.process.kill()
        self.process.wait(timeout=10)

    def output(self) -> str:
        self.log.seek(0)
        return self.log.read().decode(errors="replace")[-4000:]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()
        self.log.close()


@contextmanager
def workers(count: int = 1, **env_overrides: str) -> Iterator[list[Worker]]:
    started: list[Worker] = []
    try:
        for _ in range(count):
            started.append(Worker(**env_overrides))
        yield started
    except BaseException:
        for worker in started:  # shown by pytest with the failure
            print(f"--- worker {worker.process.pid}:\n{worker.output()}")
        raise
    finally:
        for worker in started:
            worker.stop()


class Receiver:
    """A webhook receiver on 127.0.0.1: records every request; `answer` picks the status."""

    def __init__(self, answer: Callable[[dict], int] = lambda request: 200) -> None:
        self.requests: list[dict] = []
        self.changed = threading.Condition()
        self.answer = answer
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                request = {"headers": {k.lower(): v for k, v in self.headers.items()}, "body": body}
                with receiver.changed:
                    receiver.requests.append(request)
                    receiver.changed.notify_all()
                status = receiver.answer(request)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait_for(self, condition: Callable[[list[dict]], bool], *, what: str) -> list[dict]:
        """Until the requests received satisfy `condition` (woken by each request)."""
        deadline = time.monotonic() + WAIT_LIMIT
        with self.changed:
            while not condition(self.requests):
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"Timed out waiting for {what}; got {len(self.requests)} requests")
                self.changed.wait(left)
            return list(self.requests)

    def events(self) -> list[dict]:
        return [json.loads(request["body"]) for request in self.requests]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@contextmanager
def receiver(answer: Callable[[dict], int] = lambda request: 200) -> Iterator[Receiver]:
    running = Receiver(answer)
    try:
        yield running
    finally:
        running.close()


def wait_until(check: Callable[[], bool], *, what: str) -> None:
    """Poll the database until `check()` holds (bounded by WAIT_LIMIT)."""
    deadline = time.monotonic() + WAIT_LIMIT
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"Timed out waiting for {what}")
        time.sleep(0.05)
