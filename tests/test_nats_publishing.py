"""With EVENTS_NATS_URL set, the outbox is published to NATS JetStream: in the project's
own stream, subjects by user and type, `Nats-Msg-Id` = the event id, each user's events
in order, and a second publication of the same event dropped by the broker."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time

import pytest

from events import publisher
from events.models import Event
from tasks.data.store import TaskStore
from tests.nats_broker import NATS_URL, delete_stream, read_stream, require_nats, unique_names

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("events_at_once")]

JO, KAI = "idp|jo", "jo.kai@example.com"


@pytest.fixture
def nats_stream(settings):
    require_nats()
    stream, prefix = unique_names()
    settings.EVENTS_NATS_URL = NATS_URL
    settings.EVENTS_NATS_STREAM = stream
    settings.EVENTS_NATS_SUBJECT_PREFIX = prefix
    yield stream, prefix
    delete_stream(stream)


def test_events_are_published_in_order_with_their_ids(nats_stream):
    stream, prefix = nats_stream
    jo, kai = TaskStore(JO), TaskStore(KAI)
    task = jo.create(title="Publish me")
    kai.create(title="Kai's")
    jo.set_completion(task.pk, True)

    assert publisher.publish_pending() == 3
    assert publisher.publish_pending() == 0

    messages = read_stream(stream, 3)
    ids = list(Event.objects.order_by("id").values_list("id", flat=True))
    assert [headers["Nats-Msg-Id"] for _, headers, _ in messages] == [str(i) for i in ids]
    assert [subject for subject, _, _ in messages] == [
        f"{prefix}.idp|jo.task.created",
        f"{prefix}.jo%2Ekai@example%2Ecom.task.created",
        f"{prefix}.idp|jo.task.completed",
    ]
    assert json.loads(messages[2][2])["task"]["completed"] is True


def test_publishing_an_event_again_adds_nothing_to_the_stream(nats_stream):
    stream, _ = nats_stream
    TaskStore(JO).create(title="Once")
    publisher.publish_pending()
    Event.objects.update(published=False)  # as if the worker died before recording it

    publisher.publish_pending()
    TaskStore(JO).create(title="Next")
    publisher.publish_pending()

    messages = read_stream(stream, 2)
    assert [json.loads(data)["task"]["title"] for _, _, data in messages] == ["Once", "Next"]


def test_without_a_url_nothing_is_published(settings):
    settings.EVENTS_NATS_URL = ""
    TaskStore(JO).create(title="Local only")

    assert publisher.publish_pending() == 0
    assert Event.objects.filter(published=False).count() == 1


def test_events_written_while_the_broker_is_down_are_published_once_it_is_back(settings, tmp_path):
    """A NATS server of this test's own, stopped and started again on the same store."""
    server = shutil.which("nats-server") or "/usr/sbin/nats-server"
    if not os.path.exists(server):
        pytest.skip("no nats-server to restart")
    port = free_port()
    command = [server, "-js", "-sd", str(tmp_path), "-a", "127.0.0.1", "-p", str(port)]
    stream, prefix = unique_names()
    settings.EVENTS_NATS_URL = f"nats://127.0.0.1:{port}"
    settings.EVENTS_NATS_STREAM, settings.EVENTS_NATS_SUBJECT_PREFIX = stream, prefix

    broker = start_broker(command, port)
    TaskStore(JO).create(title="Before the outage")
    publisher.publish_pending()
    broker.terminate()
    broker.wait(timeout=10)

    TaskStore(JO).create(title="During the outage")
    with pytest.raises(Exception):  # noqa: B017 - whatever the client raises: nothing marked
        publisher.publish_pending()
    assert Event.objects.filter(published=False).count() == 1

    broker = start_broker(command, port)
    try:
        publisher.publish_pending()
        titles = [
            json.loads(data)["task"]["title"]
            for _, _, data in read_stream(stream, 2, url=settings.EVENTS_NATS_URL)
        ]
    finally:
        broker.terminate()
        broker.wait(timeout=10)

    assert titles == ["Before the outage", "During the outage"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_broker(command: list[str], port: int) -> subprocess.Popen:
    broker = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(200):  # until it accepts connections
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return broker
        except OSError:
            time.sleep(0.05)
    broker.kill()
    raise AssertionError("nats-server did not start")
