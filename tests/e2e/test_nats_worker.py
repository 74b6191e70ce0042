"""Real worker processes publish the outbox to NATS JetStream: every event once, each
user's in order, read back by a consumer."""

from __future__ import annotations

import json

import pytest
from django.db import connection  # noqa: F401 - read by the skipif condition

from events.models import Event
from tasks.data.store import TaskStore
from tests.e2e.workers import wait_until, workers
from tests.nats_broker import NATS_URL, delete_stream, read_stream, require_nats, unique_names

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif("connection.vendor != 'postgresql'", reason="worker processes share the database"),
]

USERS = ["idp|lee", "idp|mo", "idp|nia"]


def test_two_workers_publish_every_event_once_in_order_per_user():
    require_nats()
    stream, prefix = unique_names()
    try:
        env = {
            "EVENTS_NATS_URL": NATS_URL,
            "EVENTS_NATS_STREAM": stream,
            "EVENTS_NATS_SUBJECT_PREFIX": prefix,
        }
        with workers(2, **env):
            for round_ in range(10):
                for user in USERS:
                    TaskStore(user).create(title=f"{user} {round_}")
            wait_until(
                lambda: not Event.objects.filter(published=False).exists(), what="every event published"
            )

        messages = read_stream(stream, 30)
    finally:
        delete_stream(stream)

    ids = [int(headers["Nats-Msg-Id"]) for _, headers, _ in messages]
    assert len(set(ids)) == 30
    for user in USERS:
        theirs = [
            json.loads(data) for subject, _, data in messages if subject.startswith(f"{prefix}.{user}.")
        ]
        assert [event["task"]["title"] for event in theirs] == [f"{user} {n}" for n in range(10)]
        assert [event["id"] for event in theirs] == sorted(event["id"] for event in theirs)
