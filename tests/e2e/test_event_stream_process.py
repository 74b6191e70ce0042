"""The Procfile's `stream:` process (ASGI, an event loop): events reach an open stream
as they commit, woken by LISTEN/NOTIFY; a reconnect with Last-Event-ID misses nothing;
many open streams hold no thread (the stream process has none to give)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import requests
from django.db import connection  # noqa: F401 - read by the skipif condition

from tasks.data.store import TaskStore
from tests.e2e.servers import PROJECT_DIR, free_port, server_env

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif("connection.vendor != 'postgresql'", reason="LISTEN/NOTIFY needs PostgreSQL"),
]

IVY = "idp|ivy"
JO = "idp|jo"


def procfile_command(name: str) -> str:
    for line in (PROJECT_DIR / "Procfile").read_text().splitlines():
        if line.startswith(f"{name}:"):
            return line.removeprefix(f"{name}:").strip()
    raise RuntimeError(f"The Procfile has no {name}: process")


@pytest.fixture
def stream_server(request):
    port = free_port()
    log = tempfile.TemporaryFile()  # noqa: SIM115 - closed after the server stops
    env = server_env(STREAM_PORT=str(port), EVENT_STREAM_HEARTBEAT=getattr(request, "param", "15"))
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    process = subprocess.Popen(
        ["bash", "-c", procfile_command("stream")],
        cwd=PROJECT_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            requests.get(url + "/healthz", timeout=2)
            break
        except requests.RequestException:
            if time.monotonic() > deadline or process.poll() is not None:
                log.seek(0)
                raise RuntimeError(log.read().decode(errors="replace")[-3000:]) from None
            time.sleep(0.1)
    yield url
    process.terminate()
    process.wait(timeout=10)
    log.close()


def read_events(lines, count: int) -> list[dict]:
    """The next `count` events from an open stream's lines (comments skipped)."""
    got, frame = [], {}
    for line in lines:
        if line == "":
            if "data" in frame:
                got.append({**frame, "data": json.loads(frame["data"])})
                if len(got) == count:
                    return got
            frame = {}
        elif not line.startswith(":"):
            name, _, value = line.partition(": ")
            frame[name] = value
    raise AssertionError("the stream ended")


def test_events_reach_an_open_stream_and_a_reconnect_misses_nothing(stream_server, external_token):
    headers = {"Authorization": f"Bearer {external_token(IVY)}", "Accept": "text/event-stream"}
    store = TaskStore(IVY)

    with requests.get(stream_server + "/api/me/events", headers=headers, stream=True, timeout=30) as live:
        assert live.status_code == 200
        lines = live.iter_lines(decode_unicode=True)
        task = store.create(title="Live")
        store.set_completion(task.pk, True)
        first = read_events(lines, 2)

    assert [event["event"] for event in first] == ["task.created", "task.completed"]
    assert first[1]["data"]["task"]["completed"] is True

    store.update(task.pk, title="While away")
    store.delete(task.pk)
    resumed_headers = {**headers, "Last-Event-ID": first[-1]["id"]}
    with requests.get(
        stream_server + "/api/me/events", headers=resumed_headers, stream=True, timeout=30
    ) as again:
        missed = read_events(again.iter_lines(decode_unicode=True), 2)

    assert [event["event"] for event in missed] == ["task.updated", "task.deleted"]
    assert int(missed[0]["id"]) > int(first[-1]["id"])


def test_the_stream_process_refuses_strangers(stream_server):
    response = requests.get(stream_server + "/api/me/events", timeout=10)

    assert response.status_code == 401


def test_each_stream_gets_its_users_events_from_where_it_stands(stream_server, external_token):
    """Streams of one user at different points, and a stream of another user, open at
    once on one process: each gets exactly its user's events above its own last id."""
    ivy = {"Authorization": f"Bearer {external_token(IVY)}", "Accept": "text/event-stream"}
    jo = {"Authorization": f"Bearer {external_token(JO)}", "Accept": "text/event-stream"}
    ivy_tasks, jo_tasks = TaskStore(IVY), TaskStore(JO)
    earlier = ivy_tasks.create(title="Earlier")
    with requests.get(stream_server + "/api/me/events", headers=ivy, stream=True, timeout=30) as first:
        ivy_tasks.update(earlier.pk, title="Earlier, renamed")
        (renamed,) = read_events(first.iter_lines(decode_unicode=True), 1)
    resumed = {**ivy, "Last-Event-ID": str(int(renamed["id"]) - 1)}

    with (
        requests.get(stream_server + "/api/me/events", headers=ivy, stream=True, timeout=30) as fresh,
        requests.get(stream_server + "/api/me/events", headers=resumed, stream=True, timeout=30) as behind,
        requests.get(stream_server + "/api/me/events", headers=jo, stream=True, timeout=30) as other,
    ):
        fresh_lines, behind_lines = (
            fresh.iter_lines(decode_unicode=True),
            behind.iter_lines(decode_unicode=True),
        )
        other_lines = other.iter_lines(decode_unicode=True)
        task = ivy_tasks.create(title="For both of ivy's")
        jo_tasks.create(title="For jo")
        ivy_tasks.set_completion(task.pk, True)
        jo_tasks.create(title="Jo again")

        to_fresh = read_events(fresh_lines, 2)
        to_behind = read_events(behind_lines, 3)
        to_jo = read_events(other_lines, 2)

    assert [event["data"]["task"]["title"] for event in to_fresh] == ["For both of ivy's"] * 2
    assert [event["event"] for event in to_fresh] == ["task.created", "task.completed"]
    assert [event["id"] for event in to_behind] == [renamed["id"]] + [event["id"] for event in to_fresh]
    assert [event["data"]["task"]["title"] for event in to_jo] == ["For jo", "Jo again"]
    assert {event["data"]["user_id"] for event in to_jo} == {JO}


@pytest.mark.parametrize("stream_server", ["0.2"], indirect=True)
def test_quiet_streams_get_heartbeats(stream_server, external_token):
    headers = {"Authorization": f"Bearer {external_token(IVY)}", "Accept": "text/event-stream"}
    with (
        requests.get(stream_server + "/api/me/events", headers=headers, stream=True, timeout=30) as one,
        requests.get(stream_server + "/api/me/events", headers=headers, stream=True, timeout=30) as two,
    ):
        for live in (one, two):
            lines = live.iter_lines(decode_unicode=True)
            assert next(line for line in lines if line.startswith(":")) == ": keep-alive"
