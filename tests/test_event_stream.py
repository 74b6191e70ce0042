"""`GET /api/{user_id}/events`: Server-Sent Events with the API's tokens and rules,
resumable after `Last-Event-ID` with no gap and no duplicate, with heartbeats.
(The streams served on an event loop: tests/e2e/test_event_stream_process.py.)"""

from __future__ import annotations

import json
from http import HTTPStatus

import pytest

from config.wsgi_over_rsgi import WHOLE_RESPONSES
from events.feed import events_after
from tasks.data.store import TaskStore
from tasks.identity.principal import principal_id

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("events_at_once")]

URL = "/api/me/events"


def frames(response, count: int) -> list[str]:
    """The first `count` frames of the stream (each ends with a blank line)."""
    got, buffer = [], ""
    chunks = iter(response.streaming_content)
    while len(got) < count:
        buffer += next(chunks).decode()
        while "\n\n" in buffer and len(got) < count:
            frame, buffer = buffer.split("\n\n", 1)
            got.append(frame)
    return got


def parse(frame: str) -> dict[str, str]:
    return dict(line.split(": ", 1) for line in frame.splitlines())


def test_a_stream_resumes_after_last_event_id_with_every_later_event(alice_client, alice):
    store = TaskStore(principal_id(alice))
    first = store.create(title="Before")
    store.set_completion(first.pk, True)
    second = store.create(title="After")
    ids = [event["id"] for event in events_after(principal_id(alice))]

    response = alice_client.get(URL, HTTP_LAST_EVENT_ID=str(ids[0]), HTTP_ACCEPT="text/event-stream")

    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"] == "text/event-stream"
    retry, *events = frames(response, 3)
    assert retry == "retry: 3000"
    parsed = [parse(frame) for frame in events]
    assert [int(frame["id"]) for frame in parsed] == ids[1:]
    assert [frame["event"] for frame in parsed] == ["task.completed", "task.created"]
    assert json.loads(parsed[1]["data"])["task"]["id"] == str(second.pk)


def test_the_query_parameter_resumes_too(alice_client, alice):
    store = TaskStore(principal_id(alice))
    store.create(title="One")
    store.create(title="Two")

    response = alice_client.get(URL + "?last_event_id=0")

    assert [json.loads(parse(frame)["data"])["task"]["title"] for frame in frames(response, 3)[1:]] == [
        "One",
        "Two",
    ]


def test_a_fresh_stream_starts_with_the_next_event(alice_client, alice):
    store = TaskStore(principal_id(alice))
    store.create(title="Old news")
    response = alice_client.get(URL)
    store.create(title="Fresh")

    _, event = frames(response, 2)

    assert json.loads(parse(event)["data"])["task"]["title"] == "Fresh"


def test_a_quiet_stream_sends_heartbeats(alice_client, settings):
    settings.EVENT_STREAM_HEARTBEAT = 0

    _, beat = frames(alice_client.get(URL), 2)

    assert beat == ": keep-alive"


def test_strangers_get_401_and_others_403(anon_client, bob_client, alice):
    refused = anon_client.get(URL, HTTP_ACCEPT="text/event-stream")
    assert refused.status_code == HTTPStatus.UNAUTHORIZED
    assert refused["Content-Type"] == "application/json"
    assert refused.json()["detail"]
    assert bob_client.get(f"/api/{principal_id(alice)}/events").status_code == HTTPStatus.FORBIDDEN


@pytest.mark.parametrize("bad", ["abc", "-1", "1" * 30])
def test_a_bad_last_event_id_is_a_400(alice_client, bad):
    response = alice_client.get(URL, HTTP_LAST_EVENT_ID=bad)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Last-Event-ID" in response.json()["detail"]


def test_a_server_that_sends_whole_responses_refuses_the_stream_naming_the_stream_process(alice_client):
    """The `web:` process (config.wsgi_over_rsgi) marks its environ: no request that never ends."""
    response = alice_client.get(URL, HTTP_ACCEPT="text/event-stream", **{WHOLE_RESPONSES: True})

    assert response.status_code == 501
    assert response["Content-Type"] == "application/json"
    assert "stream:" in response.json()["detail"]
