"""The MCP endpoint in process: JSON-RPC messages posted to `/mcp` with the API's bearer
tokens, each tool's result and effect, and every refusal a tool error or a 401.
(tests/e2e/test_mcp_over_http.py drives the production server with the official client.)"""

from __future__ import annotations

import json
import uuid
from http import HTTPStatus

import pytest
from django.db import OperationalError
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from tasks.data.store import TaskStore
from tasks.identity.principal import principal_id
from tasks.models import Task
from tests.conftest import CAROL_ID, bearer_client, tasks_url
from tests.test_auth_jwks import ED_KEY, jwks  # noqa: F401 - the JWKS fixture, for its tokens

pytestmark = pytest.mark.django_db

TOOLS = {"add_task", "list_tasks", "complete_task", "delete_task", "update_task"}


def rpc(client: APIClient, method: str, params: dict | None = None):
    return client.post(
        "/mcp",
        data=json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params or {}}),
        content_type="application/json",
        HTTP_ACCEPT="application/json, text/event-stream",
    )


def call(client: APIClient, tool: str, **arguments) -> dict:
    """The tool's result (`content`, `structuredContent`, `isError`)."""
    response = rpc(client, "tools/call", {"name": tool, "arguments": arguments})
    assert response.status_code == HTTPStatus.OK, response.content
    body = response.json()
    assert "error" not in body, body  # refusals are tool results, never protocol errors
    return body["result"]


def ok(client: APIClient, tool: str, **arguments):
    result = call(client, tool, **arguments)
    assert result["isError"] is False, result
    structured = result["structuredContent"]
    # The text a model reads says the same as the structured result.
    assert json.loads(result["content"][0]["text"]) == structured.get("result", structured)
    return structured.get("result", structured)


def refused(client: APIClient, tool: str, **arguments) -> str:
    result = call(client, tool, **arguments)
    assert result["isError"] is True, result
    return result["content"][0]["text"]


def test_tools_list_names_the_five_tools_with_their_input_schemas(alice_client):
    response = rpc(alice_client, "tools/list")
    assert response.status_code == HTTPStatus.OK
    tools = {tool["name"]: tool for tool in response.json()["result"]["tools"]}
    assert set(tools) == TOOLS
    for tool in tools.values():
        assert tool["description"]
        assert "user_id" in tool["inputSchema"]["properties"]
    assert tools["add_task"]["inputSchema"]["required"] == ["title"]
    assert tools["list_tasks"]["inputSchema"]["properties"]["status"]["enum"] == [
        "all",
        "pending",
        "completed",
    ]
    for name in ("complete_task", "delete_task", "update_task"):
        schema = tools[name]["inputSchema"]
        assert schema["required"] == ["task_id"]
        assert schema["properties"]["task_id"]["format"] == "uuid"


def test_add_task_creates_the_callers_task(alice, alice_client):
    result = ok(alice_client, "add_task", title="  Buy milk ", description="2 litres", tags=["home"])
    task = Task.objects.get(pk=result["task_id"])
    assert result == {"task_id": str(task.pk), "status": "created", "title": "Buy milk"}
    assert (task.user_id, task.description, task.tag_names) == (principal_id(alice), "2 litres", ["home"])


def test_list_tasks_returns_what_the_rest_api_returns(alice, alice_client, make_task):
    for title in ("one", "two", "three"):
        ok(alice_client, "add_task", title=title)
    ok(alice_client, "complete_task", task_id=str(Task.objects.get(title="two").pk))
    assert ok(alice_client, "list_tasks") == alice_client.get(tasks_url()).json()
    assert [task["title"] for task in ok(alice_client, "list_tasks", status="pending")] == ["three", "one"]
    assert [task["title"] for task in ok(alice_client, "list_tasks", status="completed")] == ["two"]
    assert [task["title"] for task in ok(alice_client, "list_tasks", limit=1)] == ["three"]
    assert ok(alice_client, "list_tasks", search="nothing like it") == []


def test_list_tasks_tells_recurring_tasks_from_one_off_ones(alice, alice_client):
    ok(alice_client, "add_task", title="Once")
    ok(alice_client, "add_task", title="Rent", recurrence="monthly", due_at="2027-01-31T09:00:00Z")

    assert [task["title"] for task in ok(alice_client, "list_tasks", recurring=True)] == ["Rent"]
    assert [task["title"] for task in ok(alice_client, "list_tasks", recurring=False)] == ["Once"]
    assert [task["title"] for task in ok(alice_client, "list_tasks")] == ["Rent", "Once"]


def test_complete_task_sets_completed_and_repeating_it_changes_nothing(alice, alice_client, make_task):
    task = make_task(alice, title="Call mum")
    assert ok(alice_client, "complete_task", task_id=str(task.pk)) == {
        "task_id": str(task.pk),
        "status": "completed",
        "title": "Call mum",
    }
    task.refresh_from_db()
    completed_at = task.completed_at
    assert task.completed and completed_at is not None
    ok(alice_client, "complete_task", task_id=str(task.pk))
    task.refresh_from_db()
    assert task.completed and task.completed_at == completed_at


def test_update_task_changes_only_the_given_fields(alice, alice_client, make_task):
    task = make_task(alice, title="Old", description="keep me")
    result = ok(
        alice_client, "update_task", task_id=str(task.pk), title="New", priority="high", tags=["b", "a"]
    )
    assert result == {"task_id": str(task.pk), "status": "updated", "title": "New"}
    shown = alice_client.get(tasks_url(task_id=task.pk)).json()
    assert (shown["title"], shown["description"], shown["priority"]) == ("New", "keep me", "high")
    assert shown["tags"] == ["a", "b"]


def test_delete_task_deletes_it(alice, alice_client, make_task):
    task = make_task(alice, title="Gone soon")
    result = ok(alice_client, "delete_task", task_id=str(task.pk), user_id="me")
    assert result == {"task_id": str(task.pk), "status": "deleted", "title": "Gone soon"}
    assert alice_client.get(tasks_url(task_id=task.pk)).status_code == HTTPStatus.NOT_FOUND


def test_bobs_tools_see_and_change_nothing_of_alices(alice, bob_client, make_task):
    task = make_task(alice, title="Alice's")
    missing = str(uuid.uuid4())
    assert ok(bob_client, "list_tasks") == []
    for tool in ("complete_task", "delete_task"):
        assert refused(bob_client, tool, task_id=str(task.pk)) == refused(bob_client, tool, task_id=missing)
    foreign = refused(bob_client, "update_task", task_id=str(task.pk), title="Bob's now")
    assert foreign == refused(bob_client, "update_task", task_id=missing, title="Bob's now")
    assert "Task not found" in foreign
    task.refresh_from_db()
    assert (task.title, task.completed) == ("Alice's", False)


def test_user_id_must_be_the_callers_own(alice, bob, alice_client):
    assert ok(alice_client, "list_tasks", user_id=principal_id(alice)) == []
    message = refused(alice_client, "add_task", title="Sneaky", user_id=principal_id(bob))
    assert "your own" in message
    assert not Task.objects.exists()


@pytest.mark.parametrize(
    ("tool", "arguments", "says"),
    [
        ("add_task", {"title": "   "}, "title: This field may not be blank."),
        ("add_task", {}, "title"),
        ("add_task", {"title": "x" * 256}, "title:"),
        ("add_task", {"title": "Due", "due_at": "next tuesday"}, "due_at:"),
        ("add_task", {"title": "Urgent", "priority": "urgent"}, "priority"),
        ("add_task", {"title": "Tagged", "tags": ["t"] * 21}, "tags"),
        ("list_tasks", {"status": "done"}, "status"),
        ("list_tasks", {"limit": 1001}, "limit"),
        ("complete_task", {"task_id": "not-a-uuid"}, "task_id"),
        ("update_task", {"task_id": str(uuid.uuid4())}, "Nothing to update"),
        ("no_such_tool", {}, "no_such_tool"),
    ],
)
def test_bad_arguments_are_tool_errors_with_a_clear_message(alice_client, tool, arguments, says):
    assert says in refused(alice_client, tool, **arguments)
    assert not Task.objects.exists()


def test_a_request_without_a_valid_token_is_a_401_with_www_authenticate(anon_client):
    for client in (anon_client, bearer_client("not-a-token")):
        response = rpc(client, "tools/list")
        assert response.status_code == HTTPStatus.UNAUTHORIZED
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_external_tokens_act_for_their_subject(carol_client):
    result = ok(carol_client, "add_task", title="From the identity provider")
    assert Task.objects.get(pk=result["task_id"]).user_id == CAROL_ID


def test_jwks_tokens_act_for_their_subject(jwks):  # noqa: F811 - the imported fixture
    client = bearer_client(ED_KEY.sign(sub="better-auth-user"))
    result = ok(client, "add_task", title="From Better Auth")
    assert Task.objects.get(pk=result["task_id"]).user_id == "better-auth-user"


def test_mcp_calls_spend_the_users_api_rate_budget(alice_client, settings, monkeypatch):
    rates = {"user": "3/min", "anon": "3/min"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    # DRF copied the rates onto the class when it was defined; the setting alone would not reach it.
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", rates)
    settings.CACHES = {
        name: {**config, "KEY_PREFIX": f"mcp-throttle-{uuid.uuid4().hex}"}
        for name, config in settings.CACHES.items()
    }
    spent = [alice_client.get(tasks_url()).status_code, rpc(alice_client, "tools/list").status_code]
    spent.append(rpc(alice_client, "tools/list").status_code)

    over = rpc(alice_client, "tools/list")

    assert spent == [HTTPStatus.OK] * 3
    assert over.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert int(over.headers["Retry-After"]) > 0


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"{not json", HTTPStatus.BAD_REQUEST),
        (
            b'{"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}, "pad": "'
            + b"x" * 300_000
            + b'"}',
            413,
        ),
    ],
)
def test_a_malformed_or_oversized_message_is_a_4xx(alice_client, body, status):
    response = alice_client.generic(
        "POST",
        "/mcp",
        body,
        content_type="application/json",
        HTTP_ACCEPT="application/json, text/event-stream",
    )
    assert response.status_code == status


def test_only_post_is_served(alice_client):
    # Stateless: no server-to-client stream to open, no session to end.
    assert alice_client.get("/mcp").status_code == HTTPStatus.METHOD_NOT_ALLOWED
    assert alice_client.delete("/mcp").status_code == HTTPStatus.METHOD_NOT_ALLOWED


def test_a_database_outage_is_a_tool_error_that_says_retry(alice_client, monkeypatch):
    def unreachable(self, *args, **kwargs):
        raise OperationalError("connection failed: connection refused")

    monkeypatch.setattr(TaskStore, "list", unreachable)

    text = refused(alice_client, "list_tasks")

    assert "Temporarily unavailable, retry in 5 seconds." in text
    assert "database is unavailable" in text
