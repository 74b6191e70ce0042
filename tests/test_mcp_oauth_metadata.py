"""OAuth for MCP connectors: the protected resource metadata (RFC 9728) names the
configured identity provider, and a 401 on `/mcp` points to it (RFC 9728, 5.1)."""

from __future__ import annotations

from http import HTTPStatus

import pytest

from tests.conftest import bearer_client
from tests.test_mcp_tools import rpc

pytestmark = pytest.mark.django_db

METADATA_URL = "http://testserver/.well-known/oauth-protected-resource/mcp"


@pytest.mark.parametrize(
    "path", ["/.well-known/oauth-protected-resource/mcp", "/.well-known/oauth-protected-resource/mcp/"]
)
def test_the_mcp_endpoints_metadata_names_the_resource_and_the_issuer(anon_client, settings, path):
    response = anon_client.get(path)

    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"] == "application/json"
    metadata = response.json()
    assert metadata["resource"] == "http://testserver/mcp"
    assert metadata["authorization_servers"] == [settings.AUTH_JWT_ISSUER]
    assert metadata["bearer_methods_supported"] == ["header"]


def test_the_root_metadata_names_the_whole_service(anon_client, settings):
    metadata = anon_client.get("/.well-known/oauth-protected-resource").json()

    assert metadata["resource"] == "http://testserver"
    assert metadata["authorization_servers"] == [settings.AUTH_JWT_ISSUER]


def test_a_configured_authorization_server_wins_over_the_issuer(anon_client, settings):
    settings.AUTH_AUTHORIZATION_SERVER = "https://auth.example.test/api/auth"

    metadata = anon_client.get("/.well-known/oauth-protected-resource/mcp").json()

    assert metadata["authorization_servers"] == ["https://auth.example.test/api/auth"]


def test_without_an_identity_provider_no_authorization_server_is_named(anon_client, settings):
    settings.AUTH_AUTHORIZATION_SERVER = ""

    metadata = anon_client.get("/.well-known/oauth-protected-resource/mcp").json()

    assert "authorization_servers" not in metadata
    assert metadata["resource"] == "http://testserver/mcp"


def test_another_resource_path_is_not_described(anon_client):
    assert anon_client.get("/.well-known/oauth-protected-resource/api").status_code == HTTPStatus.NOT_FOUND


def test_a_401_on_mcp_names_the_metadata(anon_client):
    response = rpc(anon_client, "tools/list")

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response["WWW-Authenticate"] == f'Bearer realm="api", resource_metadata="{METADATA_URL}"'


def test_a_refused_token_on_mcp_says_invalid_token_and_names_the_metadata(db):
    response = rpc(bearer_client("not.a.jwt"), "tools/list")

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response["WWW-Authenticate"] == (
        f'Bearer realm="api", error="invalid_token", resource_metadata="{METADATA_URL}"'
    )


def test_the_rest_api_401_is_unchanged(anon_client):
    assert anon_client.get("/api/me/tasks")["WWW-Authenticate"] == 'Bearer realm="api"'
