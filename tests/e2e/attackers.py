"""Hostile clients that cost the attacker almost nothing: request bodies sent a byte at a
time, headers that never end (slowloris) and idle connections. They run on an event loop
in a thread of their own, reconnect whenever the server drops them, and stop when told.

Used by tests/e2e/test_slow_clients.py and by bench/slow_clients.py (which also times a
normal client); standard library only.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from dataclasses import dataclass, field

# The attack's own pacing: a byte or a header line this often keeps a connection busy
# for as long as the server lets it.
PACE_SECONDS = 2.0
CONNECT_TIMEOUT = 5.0
# How long start() waits for every connection to be opened once.
OPEN_TIMEOUT = 30.0


@dataclass
class AttackCounts:
    """What the attackers saw (read after stop())."""

    opened: int = 0
    dropped_by_server: int = 0
    refused: int = 0
    answers: dict[str, int] = field(default_factory=dict)


class Attack:
    """`slow_bodies` connections posting to `body_path` at a byte per PACE_SECONDS,
    `slowloris` connections sending a header line per PACE_SECONDS, and `idle`
    connections that make one request (or none, after a reconnect) and then wait."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        slow_bodies: int = 64,
        slowloris: int = 1000,
        idle: int = 1000,
        body_path: str = "/api/auth/token",
    ) -> None:
        self.host, self.port, self.body_path = host, port, body_path
        self.plan = [self._slow_body] * slow_bodies + [self._slowloris] * slowloris + [self._idle] * idle
        self.counts = AttackCounts()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="attackers", daemon=True)
        self._all_opened = threading.Event()
        # Set when the server first refuses a slow body with a 408.
        self.body_refused = threading.Event()
        self._stop: asyncio.Event | None = None
        self._first_opens = len(self.plan)
        self._tasks: list[asyncio.Task] = []

    def start(self) -> None:
        """Open every connection once (bounded by OPEN_TIMEOUT), then return; they keep
        attacking until stop()."""
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._launch(), self._loop).result(timeout=10)
        self._all_opened.wait(timeout=OPEN_TIMEOUT)

    def stop(self) -> AttackCounts:
        asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop).result(timeout=30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()
        return self.counts

    def __enter__(self) -> Attack:
        self.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()

    async def _launch(self) -> None:
        self._stop = asyncio.Event()
        self._tasks = [asyncio.create_task(self._run(role)) for role in self.plan]
        if not self.plan:
            self._all_opened.set()

    async def _shutdown(self) -> None:
        self._stop.set()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _run(self, role) -> None:
        first = True
        while not self._stop.is_set():
            try:
                reader, writer = await asyncio.wait_for(
                    asyncio.open_connection(self.host, self.port), CONNECT_TIMEOUT
                )
            except (OSError, TimeoutError):
                self.counts.refused += 1
                await self._pause()
                continue
            self.counts.opened += 1
            if first:
                self._first_opens -= 1
                if self._first_opens == 0:
                    self._all_opened.set()
            try:
                await role(reader, writer, first_time=first)
            except OSError:
                pass  # reset by the server: dropped all the same
            finally:
                writer.close()
            self.counts.dropped_by_server += 1
            first = False

    async def _pause(self) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stop.wait(), PACE_SECONDS)

    def _host_header(self) -> bytes:
        return f"Host: {self.host}\r\n".encode()

    async def _dribble(self, reader, writer, head: bytes, piece: bytes) -> None:
        """Send `head`, then `piece` every PACE_SECONDS until the server answers or closes."""
        writer.write(head)
        await writer.drain()
        while True:
            answer = asyncio.ensure_future(reader.read(65536))
            done, _ = await asyncio.wait({answer}, timeout=PACE_SECONDS)
            if done:
                self._note_answer(answer.result())
                return
            answer.cancel()
            writer.write(piece)
            await writer.drain()

    async def _slow_body(self, reader, writer, first_time: bool) -> None:
        head = (
            f"POST {self.body_path} HTTP/1.1\r\n".encode()
            + self._host_header()
            + b"Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n"
        )
        await self._dribble(reader, writer, head, b" ")

    async def _slowloris(self, reader, writer, first_time: bool) -> None:
        head = b"GET /healthz HTTP/1.1\r\n" + self._host_header()
        await self._dribble(reader, writer, head, b"X-Padding: x\r\n")

    async def _idle(self, reader, writer, first_time: bool) -> None:
        if first_time:
            # A keep-alive connection after one answered request, as a browser leaves it.
            writer.write(b"GET /healthz HTTP/1.1\r\n" + self._host_header() + b"\r\n")
            await writer.drain()
            self._note_answer(await reader.read(65536))
        # Then nothing, until the server closes it.
        while await reader.read(65536):
            pass

    def _note_answer(self, data: bytes) -> None:
        status = data[9:12].decode(errors="replace") if data.startswith(b"HTTP/") else "closed"
        self.counts.answers[status] = self.counts.answers.get(status, 0) + 1
        if status == "408":
            self.body_refused.set()
