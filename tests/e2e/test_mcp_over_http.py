"""The MCP endpoint as an assistant reaches it: the official MCP client (Streamable HTTP)
against the Procfile's own server, with the API's bearer tokens; every effect checked
through the REST API of the same server. On PostgreSQL, as the production server runs."""

from __future__ import annotations

import asyncio
import json
from contextlib import asynccontextmanager
from http import HTTPStatus

import httpx2
import pytest
import requests
from django.db import connection
from mcp import ClientSession, MCPError
from mcp.client.streamable_http import streamable_http_client
from rest_framework_simplejwt.tokens import AccessToken

from tests.conftest import tasks_url
from tests.e2e.servers import production_servers

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the production server runs on PostgreSQL"),
    # The server sees only committed rows.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

TOOLS = {"add_task", "list_tasks", "complete_task", "delete_task", "update_task"}


@pytest.fixture(scope="module")
def server_url(django_db_setup, django_db_blocker) -> str:
    with django_db_blocker.unblock(), production_servers(count=1) as (url,):
        yield url


@asynccontextmanager
async def mcp_session(server_url: str, token: str | None):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with (
        httpx2.AsyncClient(headers=headers, timeout=20) as http,
        streamable_http_client(f"{server_url}/mcp", http_client=http) as (read, write),
        ClientSession(read, write) as session,
    ):
        await session.initialize()
        yield session


def run(scenario) -> object:
    return asyncio.run(scenario)


def rest(server_url: str, token: str, path: str) -> requests.Response:
    return requests.get(server_url + path, headers={"Authorization": f"Bearer {token}"}, timeout=10)


def structured(result) -> dict | list:
    assert result.is_error is False, result.content
    data = result.structured_content
    return data.get("result", data) if set(data) == {"result"} else data


@pytest.fixture
def alice_token(alice) -> str:
    return str(AccessToken.for_user(alice))


def test_initialize_then_tools_list_shows_the_five_tools_with_input_schemas(server_url, alice_token):
    async def scenario():
        async with mcp_session(server_url, alice_token) as session:
            return (await session.list_tools()).tools

    tools = {tool.name: tool for tool in run(scenario())}
    assert set(tools) == TOOLS
    assert tools["add_task"].input_schema["required"] == ["title"]
    assert tools["complete_task"].input_schema["properties"]["task_id"]["format"] == "uuid"
    status = tools["list_tasks"].input_schema["properties"]["status"]
    assert set(status["enum"]) == {"all", "pending", "completed"}


def test_each_tool_round_trips_and_its_effect_shows_in_the_rest_api(server_url, alice_token):
    async def scenario():
        async with mcp_session(server_url, alice_token) as session:
            added = await session.call_tool("add_task", {"title": "Buy milk", "description": "2 l"})
            task_id = structured(added)["task_id"]
            seen = {
                "added": structured(added),
                "after_add": rest(server_url, alice_token, tasks_url(task_id=task_id)).json(),
            }
            seen["listed"] = structured(await session.call_tool("list_tasks", {"status": "pending"}))
            seen["updated"] = structured(
                await session.call_tool("update_task", {"task_id": task_id, "title": "Buy oat milk"})
            )
            seen["after_update"] = rest(server_url, alice_token, tasks_url(task_id=task_id)).json()
            seen["completed"] = structured(await session.call_tool("complete_task", {"task_id": task_id}))
            seen["after_complete"] = rest(server_url, alice_token, tasks_url(task_id=task_id)).json()
            seen["pending"] = structured(await session.call_tool("list_tasks", {"status": "pending"}))
            seen["deleted"] = structured(await session.call_tool("delete_task", {"task_id": task_id}))
            seen["after_delete"] = rest(server_url, alice_token, tasks_url(task_id=task_id)).status_code
            return task_id, seen

    task_id, seen = run(scenario())
    assert seen["added"] == {"task_id": task_id, "status": "created", "title": "Buy milk"}
    assert (seen["after_add"]["title"], seen["after_add"]["description"]) == ("Buy milk", "2 l")
    assert seen["listed"] == [seen["after_add"]]
    assert seen["updated"] == {"task_id": task_id, "status": "updated", "title": "Buy oat milk"}
    assert seen["after_update"]["title"] == "Buy oat milk"
    assert seen["completed"] == {"task_id": task_id, "status": "completed", "title": "Buy oat milk"}
    assert seen["after_complete"]["completed"] is True
    assert seen["pending"] == []
    assert seen["deleted"] == {"task_id": task_id, "status": "deleted", "title": "Buy oat milk"}
    assert seen["after_delete"] == HTTPStatus.NOT_FOUND


def test_a_second_users_token_sees_and_changes_nothing_of_the_first_users(
    server_url, alice_token, external_token
):
    carol_token = external_token()

    async def scenario():
        async with mcp_session(server_url, alice_token) as alice:
            task_id = structured(await alice.call_tool("add_task", {"title": "Alice's"}))["task_id"]
        async with mcp_session(server_url, carol_token) as carol:
            listed = structured(await carol.call_tool("list_tasks", {}))
            refusals = [
                await carol.call_tool("complete_task", {"task_id": task_id}),
                await carol.call_tool("update_task", {"task_id": task_id, "title": "Carol's"}),
                await carol.call_tool("delete_task", {"task_id": task_id}),
            ]
        return task_id, listed, refusals

    task_id, listed, refusals = run(scenario())
    assert listed == []
    for refusal in refusals:
        assert refusal.is_error is True
        assert "Task not found" in refusal.content[0].text
    task = rest(server_url, alice_token, tasks_url(task_id=task_id)).json()
    assert (task["title"], task["completed"]) == ("Alice's", False)


@pytest.mark.parametrize("token", [None, "not-a-jwt", "eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0."])
def test_a_missing_or_bad_token_is_refused_with_401(server_url, token):
    headers = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}
    response = requests.post(f"{server_url}/mcp", data=json.dumps(body), headers=headers, timeout=10)
    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response.headers["WWW-Authenticate"].startswith("Bearer")

    async def scenario():
        async with mcp_session(server_url, token):
            pass

    # The client cannot even initialize.
    with pytest.raises(ExceptionGroup) as refused:
        run(scenario())
    assert refused.group_contains(MCPError, depth=None)


def test_bad_arguments_are_tool_errors(server_url, alice_token):
    async def scenario():
        async with mcp_session(server_url, alice_token) as session:
            return [
                await session.call_tool("add_task", {"title": ""}),
                await session.call_tool("complete_task", {"task_id": "42"}),
                await session.call_tool("list_tasks", {"status": "someday"}),
                await session.call_tool("add_task", {"title": "Mine", "user_id": "someone-else"}),
            ]

    results = run(scenario())
    assert [result.is_error for result in results] == [True] * 4
    assert "title: This field may not be blank." in results[0].content[0].text
    assert rest(server_url, alice_token, tasks_url()).json() == []
