"""`/mcp`: the MCP endpoint, behind the REST API's own authentication and throttles."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.views import APIView

from tasks.identity.auth import BearerTokenAuthentication
from tasks.identity.principal import principal_id
from tasks.mcp import transport
from tasks.mcp.tools import CALLER, server


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

    def initialize_request(self, request, *args, **kwargs):
        # Django's own request, whose body the SDK reads: DRF's Request wraps it and
        # offers no public way back to it.
        self.http_request = request
        return super().initialize_request(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        token = CALLER.set(principal_id(request.user))
        try:
            return transport.serve(server, self.http_request)
        finally:
            CALLER.reset(token)
