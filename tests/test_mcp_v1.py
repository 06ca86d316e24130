"""MCP instrumentation on mcp 1.x: what only 1.x has. A real ``FastMCP`` server and a real
``ClientSession``, in process (``helpers.mcp_v1``).

mcp 1.x has no tracing of its own (no ``mcp.shared._otel``, no ``Client``): the ``tools/call`` span, the
trace context in ``params._meta`` and the ``tools/list`` span are all ours, and the server's name and
version come from the session's ``initialize`` result. The sessions run over the SDK's in-memory streams
(``create_connected_server_and_client_session``, the JSON-RPC path stdio takes) and once over Streamable
HTTP through uvicorn. What must hold on 1.x and 2.x alike is tested once in ``tests/test_mcp_common.py``;
2.x's own in ``tests/test_mcp.py``. This module skips itself on 2.x; ``make test-matrix LEGS=mcp-oldest``
runs it on the oldest 1.x we declare.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

try:
    from mcp.server import fastmcp  # noqa: F401  (the 1.x API this module needs)
except ImportError:  # mcp 2.x renamed FastMCP (its tests: tests/test_mcp.py)
    pytest.skip("mcp 1.x API", allow_module_level=True)
from mcp.client.session import ClientSession
from mcp.client.streamable_http import streamablehttp_client
from mcp.shared.exceptions import McpError
from opentelemetry.instrumentation.utils import suppress_instrumentation
from opentelemetry.trace import SpanKind

import otel_genai
from helpers.mcp import (
    INVALID_PARAMS,
    SERVER_NAME,
    instrument_fixture,  # noqa: F401  (the fixture ``instrument``)
    only,
    seen_meta,
    served_over_http,
    telemetry_fixture,  # noqa: F401  (the fixture ``telemetry``)
    tool_durations,
    tool_failed,
    traceparent_span_id,
)
from helpers.mcp_v1 import STRICT_NAME, STRICT_VERSION, session, strict_server, weather_server
from helpers.telemetry import Telemetry
from test_error_content import (
    ERROR_TEXT,
    MODES,
    Pipeline,
    assert_failed,
    assert_no_raw_error_text,
    make_pipeline,  # noqa: F401  (a fixture: the guarantee and pipelines of tests/test_error_content.py)
)

# --- the trace in the request, the server from initialize ------------------------------------------


async def test_the_callers_meta_is_kept_beside_the_trace_context(telemetry: Telemetry) -> None:
    async with session(weather_server()) as client:
        await client.call_tool("get_weather", {"city": "Paris"}, meta={"tenant": "acme"})

    [meta] = seen_meta
    assert meta["tenant"] == "acme"
    call = only(telemetry.spans(), "tools/call get_weather", SpanKind.CLIENT)
    assert traceparent_span_id(meta) == call.context.span_id


async def test_the_server_name_and_version_come_from_initialize(telemetry: Telemetry) -> None:
    async with session(strict_server()) as client:
        with pytest.raises(McpError):
            await client.call_tool("get_weather", {"city": "Paris"})

    call = only(telemetry.spans(), "tools/call get_weather", SpanKind.CLIENT)
    assert call.attributes["otel_genai.mcp.server.name"] == STRICT_NAME
    assert call.attributes["otel_genai.mcp.server.version"] == STRICT_VERSION


async def test_tools_list_gets_a_light_span_and_teaches_the_descriptions(telemetry: Telemetry) -> None:
    async with session(weather_server()) as client:
        listing = await client.list_tools()
        await client.call_tool("get_weather", {"city": "Paris"})

    assert {t.name for t in listing.tools} >= {"get_weather", "broken"}
    spans = telemetry.spans()
    listed = only(spans, "tools/list", SpanKind.CLIENT)
    assert listed.instrumentation_scope.name == "otel_genai"
    assert listed.attributes["mcp.method.name"] == "tools/list"
    assert listed.attributes["otel_genai.mcp.server.name"] == SERVER_NAME
    assert "gen_ai.operation.name" not in listed.attributes
    call = only(spans, "tools/call get_weather", SpanKind.CLIENT)
    assert call.attributes["gen_ai.tool.description"] == "Current weather for a city."  # first paragraph


async def test_the_trace_reaches_a_server_over_streamable_http(telemetry: Telemetry) -> None:
    with served_over_http(weather_server().streamable_http_app()) as port:
        async with (
            streamablehttp_client(f"http://127.0.0.1:{port}/mcp") as (read, write, _),
            ClientSession(read, write) as client,
        ):
            await client.initialize()
            result = await client.call_tool("get_weather", {"city": "Paris"})

    assert result.content[0].text == "sunny in Paris"
    call = only(telemetry.spans(), "tools/call get_weather", SpanKind.CLIENT)
    assert call.attributes["otel_genai.mcp.server.name"] == SERVER_NAME
    # the server ran on uvicorn's own thread and loop: only the request's _meta carried the trace there
    [meta] = seen_meta
    assert traceparent_span_id(meta) == call.context.span_id


# --- failures ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
async def test_error_text_never_reaches_the_exporter_raw(
    make_pipeline: Callable[..., Pipeline],  # noqa: F811  (the fixture imported above)
    mode: str,
) -> None:
    """The same guarantee as tests/test_error_content.py gives mcp 2.x, on 1.x's paths."""
    pipeline = make_pipeline(mode, ["mcp"])
    async with session(weather_server(outage=f"the weather service is down: {ERROR_TEXT}")) as client:
        result = await client.call_tool("broken", {"city": "Paris"})
    async with session(strict_server(refusal=f"unknown city: {ERROR_TEXT}")) as client:
        with pytest.raises(McpError):
            await client.call_tool("lookup", {"city": "Atlantis"})

    assert tool_failed(result) and ERROR_TEXT in result.content[0].text
    assert_failed(pipeline, pipeline.span("tools/call broken"), "tool_error", raised=False)
    assert_failed(pipeline, pipeline.span("tools/call lookup"), str(INVALID_PARAMS))
    assert_no_raw_error_text(pipeline)


# --- switching it off ------------------------------------------------------------------------------


async def test_suppressed_instrumentation_makes_no_span_and_sends_no_context(telemetry: Telemetry) -> None:
    async with session(weather_server()) as client:
        with suppress_instrumentation():
            await client.call_tool("get_weather", {"city": "Paris"})

    assert telemetry.spans() == []
    assert "traceparent" not in seen_meta[0]


async def test_uninstrument_restores_the_sdk(telemetry: Telemetry) -> None:
    assert hasattr(ClientSession.send_request, "__wrapped__")
    assert hasattr(ClientSession.initialize, "__wrapped__")
    otel_genai.uninstrument()

    assert not hasattr(ClientSession.send_request, "__wrapped__")
    assert not hasattr(ClientSession.initialize, "__wrapped__")
    async with session(weather_server()) as client:
        await client.call_tool("get_weather", {"city": "Paris"})
    assert telemetry.spans() == []
    assert not tool_durations(telemetry)
