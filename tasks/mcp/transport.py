"""One MCP exchange, from a Django request to a Django response, through the MCP SDK's
own Streamable HTTP transport (stateless, JSON responses).

The SDK's transport is an ASGI app whose session manager lives in an event loop; the
web server here is WSGI. Each request therefore gets a fresh app, run to completion in
an event loop of its own by `async_to_sync`: no loop, task or session outlives the
request, which is what the stateless transport asks for and lets any worker of any
instance answer any request.
"""

from __future__ import annotations

import threading

import anyio
from asgiref.sync import async_to_sync
from django.http import HttpRequest, HttpResponse
from mcp.server.mcpserver import MCPServer
from mcp.server.transport_security import TransportSecuritySettings

PATH = "/mcp"
# Django checks the Host header against ALLOWED_HOSTS before the view runs, and a caller
# needs a bearer token, which a rebinding web page cannot borrow as it could a cookie.
NO_REBINDING_CHECK = TransportSecuritySettings(enable_dns_rebinding_protection=False)
_NEW_APP = threading.Lock()


def serve(server: MCPServer, request: HttpRequest) -> HttpResponse:
    """Answer `request` (its method, headers and body) with the SDK's transport."""
    return async_to_sync(_serve)(server, _scope(request), request.body)


async def _serve(server: MCPServer, scope: dict, body: bytes) -> HttpResponse:
    with _NEW_APP:
        # The server keeps the session manager of the app it made last (its public
        # `session_manager`): take this app's own before another thread makes one.
        app = server.streamable_http_app(
            streamable_http_path=PATH,
            json_response=True,
            stateless_http=True,
            transport_security=NO_REBINDING_CHECK,
        )
        session_manager = server.session_manager
    answered = anyio.Event()
    response = HttpResponse()
    chunks: list[bytes] = []
    body_sent = False

    async def receive() -> dict:
        nonlocal body_sent
        if not body_sent:
            body_sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        # The client stays connected until the answer is complete.
        await answered.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict) -> None:
        if message["type"] == "http.response.start":
            response.status_code = message["status"]
            for name, value in message.get("headers", []):
                response.headers[name.decode("latin-1")] = value.decode("latin-1")
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                answered.set()

    async with session_manager.run():
        await app(scope, receive, send)
    answered.set()
    response.content = b"".join(chunks)
    return response


def _scope(request: HttpRequest) -> dict:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": request.method,
        "scheme": request.scheme,
        "path": PATH,
        "raw_path": PATH.encode(),
        "root_path": "",
        "query_string": request.META.get("QUERY_STRING", "").encode("latin-1"),
        "headers": [
            (name.lower().encode("latin-1"), value.encode("latin-1"))
            for name, value in request.headers.items()
        ],
        "client": (request.META.get("REMOTE_ADDR", ""), 0),
        "server": (request.get_host(), int(request.get_port())),
    }
