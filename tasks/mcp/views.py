"""`/mcp`: the MCP endpoint, behind the REST API's own authentication and throttles."""

from __future__ import annotations

from django.http import JsonResponse
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.views import APIView

from tasks.auth import BearerTokenAuthentication
from tasks.json_depth import TooDeeplyNested, check_body_depth
from tasks.mcp import transport
from tasks.mcp.tools import CALLER, server
from tasks.principal import principal_id


@extend_schema(exclude=True)  # JSON-RPC, described by the MCP handshake (tools/list), not by OpenAPI
class McpView(APIView):
    """MCP over Streamable HTTP, stateless: each POST carries one JSON-RPC message.

    DRF authenticates the bearer token (a missing or bad one is a 401 with
    `WWW-Authenticate: Bearer`) and applies the project's throttles before the SDK sees
    the message; the tools then act for that principal only.
    """

    authentication_classes = [BearerTokenAuthentication]
    permission_classes = [IsAuthenticated]
    # The SDK reads and answers the raw JSON-RPC body itself.
    parser_classes: list = []

    def post(self, request, *args, **kwargs):
        try:
            check_body_depth(request._request.body)
        except TooDeeplyNested as exc:
            return parse_error(str(exc))
        token = CALLER.set(principal_id(request.user))
        try:
            return transport.serve(server, request._request)
        finally:
            CALLER.reset(token)


def parse_error(message: str) -> JsonResponse:
    """JSON-RPC's parse error, as the SDK answers a body it cannot read (HTTP 400)."""
    return JsonResponse(
        {"jsonrpc": "2.0", "id": None, "error": {"code": -32700, "message": message}}, status=400
    )
