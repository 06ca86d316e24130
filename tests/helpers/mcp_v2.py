"""The mcp 2.x weather server (``MCPServer``) and sessions to it; imports only where mcp 2.x is installed."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from typing import Any

from mcp import Client
from mcp.server.mcpserver import Context, MCPServer
from mcp.shared.exceptions import MCPError

import otel_genai
from helpers.mcp import INVALID_PARAMS, REFUSAL, SERVER_NAME, Sdk, get_forecast, seen_meta

SERVER_VERSION = "1.2.3"


def weather_server() -> MCPServer:
    """get_weather's handler is an ``@otel_genai.tool`` too: its span goes under the server's."""
    server = MCPServer(SERVER_NAME, version=SERVER_VERSION)

    @server.tool()
    @otel_genai.tool
    async def get_weather(city: str, ctx: Context) -> str:
        """Current weather for a city.

        Served from a cache."""
        seen_meta.append(dict(ctx.request_context.meta or {}))
        return f"sunny in {city}"

    server.tool()(get_forecast)  # the same on both versions

    @server.tool()
    def broken(city: str) -> str:
        raise ValueError("the weather service is down")

    @server.tool()
    def strict(city: str) -> str:
        raise MCPError(code=INVALID_PARAMS, message=REFUSAL)

    return server


SERVER = weather_server()


def legacy_session() -> AbstractAsyncContextManager[Any]:
    """JSON-RPC streams over the SDK's in-memory transport (the path stdio and HTTP take): the SDK traces
    natively. ``Client(SERVER)``'s default mode in process (the ``DirectDispatcher``) makes no client span."""
    return Client(SERVER, mode="legacy")


SDK = Sdk(
    native_tracing=True,
    server_version=SERVER_VERSION,
    protocol_error=MCPError,
    weather=legacy_session,
    refusing=legacy_session,  # the ``strict`` tool refuses every call
    protocol_version=lambda client: str(client.protocol_version),
)
