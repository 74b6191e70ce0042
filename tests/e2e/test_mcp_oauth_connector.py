"""An MCP connector that knows only OAuth, end to end: the official MCP Python SDK's
OAuth client provider against the Procfile's server, with a real Better Auth (its OAuth
provider and JWT plugins, run by node on loopback, SQLite storage) as the authorization
server. The client starts with nothing but the /mcp URL: the 401 names the protected
resource metadata, which names Better Auth; the client registers itself there, the user
signs in and consents, the client gets an access token for /mcp and calls the tools, and
the tasks are that Better Auth user's."""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import subprocess
import time
from collections.abc import Iterator
from http import HTTPStatus
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx2
import pytest
import requests
from django.db import connection
from mcp import ClientSession
from mcp.client.auth import OAuthClientProvider
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.auth import (
    AuthorizationCodeResult,
    OAuthClientInformationFull,
    OAuthClientMetadata,
    OAuthToken,
)

from tasks.models import Task
from tests.e2e.servers import ProductionServer, free_port

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the production server runs on PostgreSQL"),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

BETTER_AUTH_DIR = Path(__file__).parent / "better_auth"
READY_TIMEOUT = 60.0
EMAIL, PASSWORD = "dana@example.test", "dana-pass-123!"
# Where the connector would receive the user's browser back; nothing listens there: the
# test reads the redirect's Location instead.
CALLBACK = "http://127.0.0.1:9/callback"


def node_ready() -> bool:
    return bool(shutil.which("node")) and (BETTER_AUTH_DIR / "node_modules" / "better-auth").is_dir()


class BetterAuth:
    """`node server.mjs`: Better Auth on a loopback port, its SQLite file in `directory`."""

    def __init__(self, *, port: int, mcp_resource: str, directory: Path) -> None:
        self.url = f"http://127.0.0.1:{port}"
        self.log = (directory / "better-auth.log").open("w+b")
        env = {
            **os.environ,
            "PORT": str(port),
            "DB_FILE": str(directory / "better-auth.sqlite3"),
            "MCP_RESOURCE": mcp_resource,
            "BETTER_AUTH_SECRET": secrets.token_urlsafe(32),
            "USER_EMAIL": EMAIL,
            "USER_PASSWORD": PASSWORD,
        }
        self.process = subprocess.Popen(
            ["node", "server.mjs"], cwd=BETTER_AUTH_DIR, env=env, stdout=self.log, stderr=subprocess.STDOUT
        )

    def wait_until_ready(self) -> None:
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                if requests.get(self.url + "/api/auth/jwks", timeout=5).status_code == HTTPStatus.OK:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"Better Auth did not start:\n{self.output()}")

    def output(self) -> str:
        self.log.seek(0)
        return self.log.read().decode(errors="replace")[-4000:]

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)
        self.log.close()


@pytest.fixture(scope="module")
def servers(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[tuple[str, str]]:
    """(the Tasks API's URL, Better Auth's URL), each configured with the other's."""
    if not node_ready():
        message = "node and tests/e2e/better_auth's packages are needed: run tests/e2e/better_auth/install"
        if os.environ.get("CI") == "true":  # .ci/run installs them: missing there is a failure
            pytest.fail(message)
        pytest.skip(message)
    tasks_port, auth_port = free_port(), free_port()
    tasks_url, auth_url = f"http://127.0.0.1:{tasks_port}", f"http://127.0.0.1:{auth_port}"
    better_auth = BetterAuth(
        port=auth_port, mcp_resource=f"{tasks_url}/mcp", directory=tmp_path_factory.mktemp("better-auth")
    )
    with django_db_blocker.unblock():
        api = ProductionServer(
            workers=1,
            port=tasks_port,
            AUTH_JWKS_URL=f"{auth_url}/api/auth/jwks",
            AUTH_JWT_ISSUER=auth_url,
            AUTH_JWT_AUDIENCE=f"{tasks_url}/mcp",
        )
        try:
            better_auth.wait_until_ready()
            api.wait_until_ready()
            yield tasks_url, auth_url
        finally:
            api.stop()
            better_auth.stop()


class MemoryTokenStorage:
    """The connector's own store of its registration and tokens."""

    def __init__(self) -> None:
        self.tokens: OAuthToken | None = None
        self.client: OAuthClientInformationFull | None = None

    async def get_tokens(self) -> OAuthToken | None:
        return self.tokens

    async def set_tokens(self, tokens: OAuthToken) -> None:
        self.tokens = tokens

    async def get_client_info(self) -> OAuthClientInformationFull | None:
        return self.client

    async def set_client_info(self, client_info: OAuthClientInformationFull) -> None:
        self.client = client_info


class User:
    """The person at the browser: signs in to Better Auth and consents when the connector
    sends them to its authorization page; where the browser lands is the callback."""

    def __init__(self, auth_url: str) -> None:
        self.auth_url = auth_url
        self.browser = requests.Session()
        self.browser.headers["Origin"] = auth_url  # as Better Auth's own pages send it
        self.landed_at: str | None = None
        self.steps: list[str] = []

    def authorize(self, authorization_url: str) -> None:
        signed_in = self.browser.post(
            f"{self.auth_url}/api/auth/sign-in/email", json={"email": EMAIL, "password": PASSWORD}, timeout=10
        )
        assert signed_in.status_code == HTTPStatus.OK, signed_in.text
        self.steps.append("signed in")
        answer = self.browser.get(authorization_url, allow_redirects=False, timeout=10)
        assert answer.status_code in (HTTPStatus.FOUND, HTTPStatus.SEE_OTHER), answer.text
        location = answer.headers["Location"]
        if urlsplit(location).path.endswith("/consent"):
            self.steps.append("consent asked")
            consent = self.browser.post(
                f"{self.auth_url}/api/auth/oauth2/consent",
                json={"accept": True, "oauth_query": urlsplit(location).query},
                timeout=10,
            )
            assert consent.status_code == HTTPStatus.OK, consent.text
            location = consent.json()["url"]
        self.landed_at = location

    def callback(self) -> AuthorizationCodeResult:
        assert self.landed_at and self.landed_at.startswith(CALLBACK), self.landed_at
        query = {name: values[0] for name, values in parse_qs(urlsplit(self.landed_at).query).items()}
        return AuthorizationCodeResult(code=query["code"], state=query.get("state"), iss=query.get("iss"))


def test_an_oauth_only_connector_signs_in_with_better_auth_and_uses_the_tools(servers):
    tasks_url, auth_url = servers
    user = User(auth_url)
    storage = MemoryTokenStorage()

    async def redirect_handler(url: str) -> None:
        await asyncio.to_thread(user.authorize, url)

    async def callback_handler() -> AuthorizationCodeResult:
        return user.callback()

    oauth = OAuthClientProvider(
        server_url=f"{tasks_url}/mcp",
        client_metadata=OAuthClientMetadata(
            client_name="Tasks connector (test)",
            redirect_uris=[CALLBACK],
            grant_types=["authorization_code", "refresh_token"],
            response_types=["code"],
            token_endpoint_auth_method="none",
        ),
        storage=storage,
        redirect_handler=redirect_handler,
        callback_handler=callback_handler,
    )

    async def scenario():
        async with (
            httpx2.AsyncClient(auth=oauth, timeout=30) as http,
            streamable_http_client(f"{tasks_url}/mcp", http_client=http) as (read, write),
            ClientSession(read, write) as session,
        ):
            await session.initialize()
            added = await session.call_tool("add_task", {"title": "Renew the passport"})
            listed = await session.call_tool("list_tasks", {})
            return added.structured_content, listed.structured_content["result"]

    added, listed = asyncio.run(scenario())

    assert user.steps == ["signed in", "consent asked"]
    assert storage.client is not None and storage.client.client_id  # registered itself
    assert storage.tokens is not None and storage.tokens.access_token
    assert added["status"] == "created" and added["title"] == "Renew the passport"
    assert [task["title"] for task in listed] == ["Renew the passport"]
    # The owner is the Better Auth user (the token's `sub`), not any Django account.
    owner = Task.objects.get(pk=added["task_id"]).user_id
    me = requests.get(
        f"{tasks_url}/api/me/tasks",
        headers={"Authorization": f"Bearer {storage.tokens.access_token}"},
        timeout=10,
    )
    assert me.status_code == HTTPStatus.OK
    assert [task["user_id"] for task in me.json()] == [owner]
    assert not owner.startswith("local:")
