"""MCP tool calls while the database is cut off, with the official client against the
Procfile's server: a tool error that says the failure is temporary and to retry (the
model reads it), and the same tool works again once the database is back."""

from __future__ import annotations

import asyncio

import httpx2
import pytest
from django.db import connection
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client

from tests.e2e.servers import ProductionServer, served_database_url
from tests.e2e.tcp_proxy import TcpProxy

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the production server runs on PostgreSQL"),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


async def list_tasks(server_url: str, token: str):
    async with (
        httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=20) as http,
        streamable_http_client(f"{server_url}/mcp", http_client=http) as (read, write),
        ClientSession(read, write) as session,
    ):
        await session.initialize()
        return await session.call_tool("list_tasks", {})


def test_a_tool_call_during_an_outage_says_it_is_temporary(external_token):
    # An identity provider's token: signing in needs no database, so the call reaches the tool.
    token = external_token()
    db = connection.settings_dict
    proxy = TcpProxy((db["HOST"] or "127.0.0.1", int(db["PORT"] or 5432)))
    proxied_url = served_database_url().replace(f":{db['PORT'] or 5432}/", f":{proxy.port}/")
    server = ProductionServer(workers=1, DATABASE_URL=proxied_url, DB_POOL_TIMEOUT="1")
    try:
        server.wait_until_ready()
        before = asyncio.run(list_tasks(server.url, token))
        proxy.cut()
        during = asyncio.run(list_tasks(server.url, token))
        proxy.restore()
        # The pool may still hold connections the cut broke (one per server thread):
        # within that many calls, the tool answers again.
        after = [asyncio.run(list_tasks(server.url, token)) for _ in range(5)]
    finally:
        server.stop()

    assert before.is_error is False
    assert during.is_error is True
    assert "Temporarily unavailable, retry in 5 seconds." in during.content[0].text
    assert any(result.is_error is False for result in after)
