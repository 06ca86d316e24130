"""The mcp 1.x weather server (``FastMCP``), a low-level server refusing every call, and sessions to them
over the SDK's in-memory streams; imports only where mcp 1.x is installed."""

from __future__ import annotations

import importlib.metadata
from contextlib import AbstractAsyncContextManager
from typing import Any

from mcp import types
from mcp.server import fastmcp
from mcp.server.fastmcp.exceptions import ToolError
from mcp.server.lowlevel import Server
from mcp.shared.exceptions import McpError
from mcp.shared.memory import create_connected_server_and_client_session

from helpers.mcp import INVALID_PARAMS, REFUSAL, SERVER_NAME, Sdk, get_forecast, seen_meta

STRICT_NAME = "strict-weather"
STRICT_VERSION = "1.2.3"


def weather_server(outage: str = "the weather service is down") -> Any:
    """FastMCP, as most 1.x servers are written (it reports the mcp package's version as its own)."""
    server = fastmcp.FastMCP(SERVER_NAME)

    @server.tool()
    async def get_weather(city: str, ctx: fastmcp.Context) -> str:  # type: ignore[type-arg]
        """Current weather for a city.

        Served from a cache."""
        meta = ctx.request_context.meta
        seen_meta.append(meta.model_dump(by_alias=True, exclude_none=True) if meta else {})
        return f"sunny in {city}"

    server.tool()(get_forecast)  # the same on both versions

    @server.tool()
    def broken(city: str) -> str:
        raise ToolError(outage)

    return server


def strict_server(refusal: str = REFUSAL) -> Server[Any, Any]:
    """A low-level server that refuses every call at the protocol level (a JSON-RPC error, not isError)."""
    server: Server[Any, Any] = Server(STRICT_NAME, version=STRICT_VERSION)

    async def refuse(request: types.CallToolRequest) -> types.ServerResult:
        raise McpError(types.ErrorData(code=INVALID_PARAMS, message=refusal))

    server.request_handlers[types.CallToolRequest] = refuse
    return server


def session(server: Any) -> AbstractAsyncContextManager[Any]:
    """A connected, initialized ``ClientSession`` over the SDK's in-memory streams (the path stdio takes)."""
    return create_connected_server_and_client_session(server)


SDK = Sdk(
    native_tracing=False,
    server_version=importlib.metadata.version("mcp"),  # FastMCP's
    protocol_error=McpError,
    weather=lambda: session(weather_server()),
    refusing=lambda: session(strict_server()),
    protocol_version=lambda client: types.LATEST_PROTOCOL_VERSION,  # negotiated at initialize
)
