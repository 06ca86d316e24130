"""MCP instrumentation on mcp 2.x: what only 2.x has. A real ``MCPServer`` (``helpers.mcp_v2``) and a
real ``mcp.Client`` / ``ClientSession``, in process.

``mode="legacy"`` runs the JSON-RPC stream dispatcher over the SDK's in-memory transport (the path stdio and
HTTP take, with the SDK's native client spans, which ours replace); the default mode in process uses the
``DirectDispatcher`` (no native client span). One test runs Streamable HTTP through uvicorn, where nothing
but the request's ``_meta`` carries the trace to the server.

What must hold on 1.x and 2.x alike is tested once in ``tests/test_mcp_common.py``; 1.x's own in
``tests/test_mcp_v1.py``. This module skips itself on 1.x.

The SDK traces through the *global* tracer provider, so each test makes its in-memory provider the global
one (``helpers.mcp.instrument_fixture``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

try:
    import mcp.shared._otel as mcp_otel
except ImportError:  # mcp 1.x: no native tracing, no MCPServer or Client (its tests: tests/test_mcp_v1.py)
    pytest.skip("mcp 2.x API", allow_module_level=True)
import mcp.shared.jsonrpc_dispatcher as jsonrpc_dispatcher
from mcp import Client
from mcp.client.session import ClientSession
from mcp.shared.exceptions import MCPError
from opentelemetry.instrumentation.utils import suppress_instrumentation
from opentelemetry.trace import SpanKind

import otel_genai
from helpers.mcp import (
    INVALID_PARAMS,
    SERVER_NAME,
    instrument_fixture,  # noqa: F401  (the fixture ``instrument``)
    only,
    parent_of,
    seen_meta,
    served_over_http,
    telemetry_fixture,  # noqa: F401  (the fixture ``telemetry``)
    tool_durations,
    traceparent_span_id,
)
from helpers.mcp_v2 import SERVER, legacy_session, weather_server
from helpers.telemetry import Telemetry

# --- one trace, client to server -------------------------------------------------------------------


async def test_the_trace_reaches_a_server_over_streamable_http(telemetry: Telemetry) -> None:
    with served_over_http(weather_server().streamable_http_app()) as port:
        async with Client(f"http://127.0.0.1:{port}/mcp", mode="legacy") as client:
            await client.call_tool("get_weather", {"city": "Paris"})

    spans = telemetry.spans()
    call = only(spans, "tools/call get_weather", SpanKind.CLIENT)
    assert call.attributes["server.address"] == "127.0.0.1"
    assert call.attributes["server.port"] == port
    assert call.attributes["network.transport"] == "tcp"
    # the server ran on uvicorn's own thread and loop: only the request's _meta carried the trace there
    served = only(spans, "tools/call get_weather", SpanKind.SERVER)
    assert served.context.trace_id == call.context.trace_id
    assert parent_of(served) == call.context.span_id


async def test_without_a_native_client_span_ours_carries_the_trace(telemetry: Telemetry) -> None:
    async with Client(SERVER) as client:  # in process, modern protocol: the DirectDispatcher, no SDK span
        listing = await client.list_tools()
        await client.call_tool("get_weather", {"city": "Paris"})

    spans = telemetry.spans()
    call = only(spans, "tools/call get_weather", SpanKind.CLIENT)
    assert call.attributes["gen_ai.tool.description"] == "Current weather for a city."  # from the listing
    assert traceparent_span_id(seen_meta[0]) == call.context.span_id
    assert parent_of(only(spans, "tools/call get_weather", SpanKind.SERVER)) == call.context.span_id
    listed = only(spans, "tools/list", SpanKind.CLIENT)  # the light span
    assert listed.instrumentation_scope.name == "otel_genai"
    assert listed.attributes["mcp.method.name"] == "tools/list"
    assert listed.attributes["otel_genai.mcp.server.name"] == SERVER_NAME
    assert "gen_ai.operation.name" not in listed.attributes
    assert {t.name for t in listing.tools} >= {"get_weather", "broken"}


async def test_tools_list_keeps_the_sdks_own_span(telemetry: Telemetry) -> None:
    async with legacy_session() as client:
        await client.list_tools()

    listed = [s for s in telemetry.spans() if s.kind == SpanKind.CLIENT and "tools/list" in s.name]
    assert [(s.name, s.instrumentation_scope.name) for s in listed] == [
        ("MCP send tools/list", "mcp-python-sdk")
    ]


async def test_without_a_global_provider_the_call_is_still_traced(
    instrument: Callable[..., Telemetry],
) -> None:
    telemetry = instrument(global_provider=False)  # the SDK's spans go nowhere; ours to our provider

    async with legacy_session() as client:
        await client.call_tool("get_weather", {"city": "Paris"})

    spans = telemetry.spans()
    call = only(spans, "tools/call get_weather", SpanKind.CLIENT)
    assert traceparent_span_id(seen_meta[0]) == call.context.span_id
    # the server's (non-recording) span passes the client's context on to the tool function's span
    function = only(spans, "execute_tool get_weather", SpanKind.INTERNAL)
    assert function.context.trace_id == call.context.trace_id
    assert parent_of(function) == call.context.span_id


# --- failures --------------------------------------------------------------------------------------


async def test_a_protocol_error_is_the_very_object_the_sdk_raised(
    telemetry: Telemetry, monkeypatch: pytest.MonkeyPatch
) -> None:
    raised: list[BaseException] = []
    original = jsonrpc_dispatcher.JSONRPCDispatcher.send_raw_request  # beneath ClientSession.send_request

    async def send_raw_request(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return await original(self, *args, **kwargs)
        except MCPError as error:
            raised.append(error)
            raise

    monkeypatch.setattr(jsonrpc_dispatcher.JSONRPCDispatcher, "send_raw_request", send_raw_request)
    async with legacy_session() as client:
        with pytest.raises(MCPError) as caught:
            await client.call_tool("strict", {"city": "Atlantis"})

    assert caught.value is raised[0]  # the very object the SDK raised
    assert caught.value.error.code == INVALID_PARAMS


# --- switching it off ------------------------------------------------------------------------------


async def test_suppressed_instrumentation_leaves_the_sdks_span(telemetry: Telemetry) -> None:
    async with legacy_session() as client:
        with suppress_instrumentation():
            await client.call_tool("get_weather", {"city": "Paris"})

    clients = [s for s in telemetry.spans() if s.kind == SpanKind.CLIENT and "tools/call" in s.name]
    assert [s.instrumentation_scope.name for s in clients] == ["mcp-python-sdk"]
    assert "traceparent" in seen_meta[0]  # the SDK still propagates its own span


async def test_uninstrument_restores_the_sdk(telemetry: Telemetry) -> None:
    assert hasattr(ClientSession.send_request, "__wrapped__")
    otel_genai.uninstrument()

    assert not hasattr(ClientSession.send_request, "__wrapped__")
    assert jsonrpc_dispatcher.otel_span is mcp_otel.otel_span
    async with legacy_session() as client:
        await client.call_tool("get_weather", {"city": "Paris"})
    clients = [s for s in telemetry.spans() if s.kind == SpanKind.CLIENT and "tools/call" in s.name]
    assert [s.name for s in clients] == ["MCP send tools/call get_weather"]
    assert not tool_durations(telemetry)
