"""JSON nested deeper than MAX_JSON_DEPTH is refused with a 400 that says so, at every
endpoint that reads JSON, signed in or not; nesting up to the limit is parsed as usual."""

from __future__ import annotations

import json
from http import HTTPStatus

import pytest

from tasks.api.json_depth import MAX_JSON_DEPTH
from tasks.models import Task
from tests.conftest import tasks_url

pytestmark = pytest.mark.django_db

# Deep enough for every failure seen before the bound: DRF's CharField (~950) and the
# idempotency fingerprint's orjson.dumps (254).
DEEP = 1000


class Nested:
    """A list `depth` levels deep (the outermost counts as one), put into a body as raw
    JSON: the standard library's encoder would itself hit the recursion limit."""

    def __init__(self, depth: int) -> None:
        self.json = "[" * depth + "]" * depth


def nested(depth: int) -> Nested:
    return Nested(depth)


def encode(body) -> str:
    """JSON for `body`, with each Nested written as its raw text."""
    placeholders: dict[str, str] = {}

    def default(value):
        key = f"@nested-{len(placeholders)}@"
        placeholders[key] = value.json
        return key

    text = json.dumps(body, default=default)
    for key, raw in placeholders.items():
        text = text.replace(f'"{key}"', raw)
    return text


def post_json(client, path: str, body: dict, **extra):
    return client.generic("POST", path, encode(body), content_type="application/json", **extra)


def assert_too_deep(response) -> None:
    assert response.status_code == HTTPStatus.BAD_REQUEST, response.content
    assert f"nested deeper than {MAX_JSON_DEPTH}" in response.json()["detail"]


@pytest.mark.parametrize("path", ["/api/auth/token", "/api/auth/token/refresh"])
def test_signing_in_with_a_deeply_nested_field_is_a_400(anon_client, path):
    body = {"username": nested(DEEP), "password": nested(DEEP), "refresh": nested(DEEP)}

    assert_too_deep(post_json(anon_client, path, body))


def test_creating_a_task_with_a_deeply_nested_title_is_a_400_and_stores_nothing(alice_client):
    response = post_json(alice_client, tasks_url(), {"title": nested(DEEP)}, HTTP_IDEMPOTENCY_KEY="deep-1")

    assert_too_deep(response)
    assert not Task.objects.exists()


def test_a_value_nested_past_orjsons_limit_with_an_idempotency_key_is_a_400(alice_client):
    response = post_json(
        alice_client, tasks_url(), {"title": "x", "extra": nested(300)}, HTTP_IDEMPOTENCY_KEY="k"
    )

    assert_too_deep(response)


def test_updating_a_task_with_a_deeply_nested_field_is_a_400(alice, alice_client, make_task):
    task = make_task(alice, title="kept")

    response = alice_client.generic(
        "PATCH", tasks_url(task_id=task.id), encode({"tags": nested(DEEP)}), content_type="application/json"
    )

    assert_too_deep(response)
    task.refresh_from_db()
    assert task.title == "kept"


def test_nesting_up_to_the_limit_is_parsed_and_judged_by_the_fields(alice_client):
    response = post_json(alice_client, tasks_url(), {"title": "x", "tags": nested(MAX_JSON_DEPTH - 1)})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "nested deeper" not in response.json()["detail"]


def test_an_mcp_message_nested_too_deeply_is_a_400(alice_client):
    message = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "add_task"}}
    message["params"]["arguments"] = {"title": nested(DEEP)}

    response = post_json(alice_client, "/mcp", message, HTTP_ACCEPT="application/json, text/event-stream")

    assert response.status_code == HTTPStatus.BAD_REQUEST, response.content
    assert f"nested deeper than {MAX_JSON_DEPTH}" in response.json()["error"]["message"]
