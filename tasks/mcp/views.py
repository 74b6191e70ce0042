"""`/mcp`: the MCP endpoint, behind the REST API's own authentication and throttles."""

from __future__ import annotations

import orjson
from django.http import HttpResponse, JsonResponse
from drf_spectacular.utils import extend_schema
from mcp.shared.inbound import MCP_PROTOCOL_VERSION_HEADER
from mcp_types.version import SUPPORTED_PROTOCOL_VERSIONS
from rest_framework.exceptions import MethodNotAllowed
from rest_framework.permissions import IsAuthenticated

from tasks.api.base import ApiEndpoint
from tasks.api.json_depth import TooDeeplyNested, check_body_depth
from tasks.mcp import transport
from tasks.mcp.oauth_metadata import McpBearerAuthentication
from tasks.mcp.tools import CALLER, server

# JSON-RPC's "Invalid Request".
INVALID_REQUEST = -32600


@extend_schema(exclude=True)  # JSON-RPC, described by the MCP handshake (tools/list), not by OpenAPI
class McpView(ApiEndpoint):
    """MCP over Streamable HTTP, stateless: each POST carries one JSON-RPC message.

    DRF authenticates the bearer token (a missing or bad one is a 401 with
    `WWW-Authenticate: Bearer`, naming the OAuth metadata) and applies the project's
    throttles before the SDK sees the message; the tools then act for that principal only.
    """

    authentication_classes = [McpBearerAuthentication]
    permission_classes = [IsAuthenticated]
    # The SDK reads and answers the raw JSON-RPC body itself.
    parser_classes: list = []

    def initialize_request(self, request, *args, **kwargs):
        # Django's own request, whose body the SDK reads: DRF's Request wraps it and
        # offers no public way back to it.
        self.http_request = request
        return super().initialize_request(request, *args, **kwargs)

    def initial(self, request, *args, **kwargs):
        # No stream is offered (GET) and there is no session to end (DELETE): the transport
        # specification asks for a 405 then, which clients take as "POST only". Decided
        # before content negotiation, which would answer a GET for an event stream 406.
        if request.method.lower() not in self.http_method_names or not hasattr(self, request.method.lower()):
            raise MethodNotAllowed(request.method)
        super().initial(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        version = request.headers.get(MCP_PROTOCOL_VERSION_HEADER)
        if version is not None and version not in SUPPORTED_PROTOCOL_VERSIONS:
            return unsupported_version(version)
        try:
            check_body_depth(self.http_request.body)
        except TooDeeplyNested as exc:
            return parse_error(str(exc))
        token = CALLER.set(self.owner_id)
        try:
            return transport.serve(server, self.http_request)
        finally:
            CALLER.reset(token)


def unsupported_version(version: str) -> HttpResponse:
    """The 400 the transport specification asks for, saying which versions would do."""
    supported = ", ".join(SUPPORTED_PROTOCOL_VERSIONS)
    error = {
        "code": INVALID_REQUEST,
        "message": f"Unsupported MCP-Protocol-Version {version!r}; this server supports {supported}.",
        "data": {"supported": list(SUPPORTED_PROTOCOL_VERSIONS), "requested": version},
    }
    body = orjson.dumps({"jsonrpc": "2.0", "id": None, "error": error})
    return HttpResponse(body, status=400, content_type="application/json")


def parse_error(message: str) -> JsonResponse:
    """JSON-RPC's parse error, as the SDK answers a body it cannot read (HTTP 400)."""
    return JsonResponse(
        {"jsonrpc": "2.0", "id": None, "error": {"code": -32700, "message": message}}, status=400
    )
