"""`/mcp` as the MCP transport specification and browser clients need it: 405 for the
stream it does not offer, `/mcp/` as `/mcp`, the project's version in `serverInfo`, a
clear 400 for an unsupported protocol version, and CORS with the MCP headers."""

from __future__ import annotations

import json
import tomllib
from http import HTTPStatus
from pathlib import Path

import pytest
from mcp_types.version import SUPPORTED_PROTOCOL_VERSIONS

from tests.test_mcp_tools import rpc

pytestmark = pytest.mark.django_db

ORIGIN = "https://app.example.com"
INITIALIZE = {
    "protocolVersion": "2025-06-18",
    "capabilities": {},
    "clientInfo": {"name": "t", "version": "1"},
}


@pytest.mark.parametrize("method", ["get", "delete", "put"])
def test_only_post_is_offered_even_to_a_client_asking_for_a_stream(alice_client, method):
    response = getattr(alice_client, method)("/mcp", HTTP_ACCEPT="text/event-stream")

    assert response.status_code == HTTPStatus.METHOD_NOT_ALLOWED
    assert response["Allow"] == "POST, OPTIONS"


def test_the_path_with_a_trailing_slash_is_the_same_endpoint(alice_client):
    response = alice_client.post(
        "/mcp/",
        data=json.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}),
        content_type="application/json",
        HTTP_ACCEPT="application/json, text/event-stream",
    )

    assert response.status_code == HTTPStatus.OK
    assert "Location" not in response
    assert len(response.json()["result"]["tools"]) == 5


def test_server_info_names_the_projects_version(alice_client):
    pyproject = tomllib.loads((Path(__file__).parent.parent / "pyproject.toml").read_text())

    info = rpc(alice_client, "initialize", INITIALIZE).json()["result"]["serverInfo"]

    assert info == {"name": "tasks", "version": pyproject["project"]["version"]}


def test_an_unsupported_protocol_version_is_a_400_listing_the_supported_ones(alice_client):
    response = alice_client.post(
        "/mcp",
        data=json.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}),
        content_type="application/json",
        HTTP_ACCEPT="application/json, text/event-stream",
        HTTP_MCP_PROTOCOL_VERSION="1999-01-01",
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    error = response.json()["error"]
    assert error["message"] == (
        f"Unsupported MCP-Protocol-Version '1999-01-01'; this server supports "
        f"{', '.join(SUPPORTED_PROTOCOL_VERSIONS)}."
    )
    assert error["data"]["supported"] == list(SUPPORTED_PROTOCOL_VERSIONS)


def test_a_supported_protocol_version_header_is_served(alice_client):
    response = alice_client.post(
        "/mcp",
        data=json.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}),
        content_type="application/json",
        HTTP_ACCEPT="application/json, text/event-stream",
        HTTP_MCP_PROTOCOL_VERSION="2025-06-18",
    )

    assert response.status_code == HTTPStatus.OK


def test_list_tasks_gives_the_rest_array_as_text_and_under_result(alice_client):
    alice_client.post("/api/me/tasks", {"title": "Listed"}, format="json")
    rest = alice_client.get("/api/me/tasks").json()

    result = rpc(alice_client, "tools/call", {"name": "list_tasks", "arguments": {}}).json()["result"]

    assert json.loads(result["content"][0]["text"]) == rest
    assert result["structuredContent"] == {"result": rest}


def test_a_browser_preflight_may_send_the_mcp_headers_from_a_configured_origin(anon_client, settings):
    settings.CORS_ALLOWED_ORIGINS = [ORIGIN]

    response = anon_client.options(
        "/mcp",
        HTTP_ORIGIN=ORIGIN,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization,content-type,mcp-protocol-version,mcp-session-id,last-event-id",
    )

    assert response.status_code == HTTPStatus.OK
    assert response["Access-Control-Allow-Origin"] == ORIGIN
    allowed = {name.strip() for name in response["Access-Control-Allow-Headers"].split(",")}
    assert {"mcp-protocol-version", "mcp-session-id", "last-event-id", "authorization"} <= allowed


def test_a_browser_script_may_read_the_mcp_response_headers(alice_client, settings):
    settings.CORS_ALLOWED_ORIGINS = [ORIGIN]

    response = rpc(alice_client.__class__(HTTP_ORIGIN=ORIGIN), "tools/list")

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    exposed = {name.strip().lower() for name in response["Access-Control-Expose-Headers"].split(",")}
    assert {"mcp-session-id", "www-authenticate"} <= exposed


def test_another_origin_gets_no_cors_headers(anon_client, settings):
    settings.CORS_ALLOWED_ORIGINS = [ORIGIN]

    response = anon_client.options(
        "/mcp",
        HTTP_ORIGIN="https://evil.example.net",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="mcp-protocol-version",
    )

    assert "Access-Control-Allow-Origin" not in response
