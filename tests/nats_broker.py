"""The NATS server with JetStream at 127.0.0.1:4222 (CI runs one): a stream of this
test's own, and a consumer that reads it back."""

from __future__ import annotations

import asyncio
import os
import socket
import uuid

import pytest

NATS_URL = os.environ.get("TEST_NATS_URL", "nats://127.0.0.1:4222")


def nats_reachable() -> bool:
    host, port = NATS_URL.removeprefix("nats://").split(":")
    try:
        with socket.create_connection((host, int(port)), timeout=1):
            return True
    except OSError:
        return False


def require_nats() -> None:
    if not nats_reachable():
        if os.environ.get("CI"):
            pytest.fail(f"CI needs NATS with JetStream at {NATS_URL}")
        pytest.skip(f"no NATS at {NATS_URL}")


def unique_names() -> tuple[str, str]:
    """A stream name and subject prefix no other run uses."""
    run = uuid.uuid4().hex[:12]
    return f"TEST_EVENTS_{run}", f"test_{run}"


def read_stream(
    stream: str, count: int, *, timeout: float = 20, url: str = NATS_URL
) -> list[tuple[str, dict, bytes]]:
    """The first `count` messages of the stream: (subject, headers, data)."""

    async def read():
        import nats

        client = await nats.connect(url)
        try:
            jetstream = client.jetstream()
            consumer = await jetstream.pull_subscribe("", durable=None, stream=stream)
            got = []
            while len(got) < count:
                for message in await consumer.fetch(count - len(got), timeout=timeout):
                    got.append((message.subject, dict(message.headers or {}), message.data))
                    await message.ack()
            return got
        finally:
            await client.close()

    return asyncio.run(read())


def delete_stream(stream: str) -> None:
    async def delete():
        import nats

        client = await nats.connect(NATS_URL)
        try:
            await client.jetstream().delete_stream(stream)
        except Exception:  # noqa: BLE001 - never created
            pass
        finally:
            await client.close()

    asyncio.run(delete())
