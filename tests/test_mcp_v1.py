"""MCP instrumentation on mcp 1.x: a real ``FastMCP`` server and a real ``ClientSession``, in process.

mcp 1.x has no tracing of its own (no ``mcp.shared._otel``, no ``Client``): the ``tools/call`` span, the
trace context in ``params._meta`` and the ``tools/list`` span are all ours, and the server's name and
version come from the session's ``initialize`` result. The sessions run over the SDK's in-memory streams
(``create_connected_server_and_client_session``, the JSON-RPC path stdio takes) and once over Streamable
HTTP through uvicorn. mcp 2.x is covered by ``tests/test_mcp.py``; this module skips itself there, and
``make test-matrix LEGS=mcp-oldest`` runs it on the oldest 1.x we declare.
"""

from __future__ import annotations

import importlib.metadata
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

try:
    from mcp.server import fastmcp
except ImportError:  # mcp 2.x renamed FastMCP (its tests: tests/test_mcp.py)
    pytest.skip("mcp 1.x API", allow_module_level=True)
import uvicorn
from mcp import types
from mcp.client.session import ClientSession
from mcp.client.streamable_http import streamablehttp_client
from mcp.server.fastmcp.exceptions import ToolError
from mcp.server.lowlevel import Server
from mcp.shared.exceptions import McpError
from mcp.shared.memory import create_connected_server_and_client_session
from opentelemetry.instrumentation.utils import suppress_instrumentation
from opentelemetry.trace import SpanKind, StatusCode

import otel_genai
from helpers.conformance import assert_conforms
from helpers.mcp import only, parent_of, tool_durations, traceparent_span_id
from helpers.openai_fakes import tool_call
from helpers.telemetry import Telemetry
from otel_genai.instrumentation import mcp as mcp_instrumentation
from test_error_content import (
    ERROR_TEXT,
    MODES,
    Pipeline,
    assert_failed,
    assert_no_raw_error_text,
    make_pipeline,  # noqa: F401  (a fixture: the guarantee and pipelines of tests/test_error_content.py)
)

SERVER_NAME = "weather"
STRICT_NAME = "strict-weather"
STRICT_VERSION = "1.2.3"
INVALID_PARAMS = -32602

# the _meta each get_weather call arrived with, as the server saw it
seen_meta: list[dict[str, Any]] = []


def weather_server() -> Any:
    """FastMCP, as most 1.x servers are written (it reports the mcp package's version as its own)."""
    server = fastmcp.FastMCP(SERVER_NAME)

    @server.tool()
    async def get_weather(city: str, ctx: fastmcp.Context) -> str:  # type: ignore[type-arg]
        """Current weather for a city.

        Served from a cache."""
        meta = ctx.request_context.meta
        seen_meta.append(meta.model_dump(by_alias=True, exclude_none=True) if meta else {})
        return f"sunny in {city}"

    @server.tool()
    def get_forecast(city: str) -> str:
        """Tomorrow's weather."""
        return f"rain in {city}"

    @server.tool()
    def broken(city: str) -> str:
        raise ToolError(f"the weather service is down: {ERROR_TEXT}")

    return server


def strict_server() -> Server[Any, Any]:
    """A low-level server that refuses every call at the protocol level (a JSON-RPC error, not isError)."""
    server: Server[Any, Any] = Server(STRICT_NAME, version=STRICT_VERSION)

    async def refuse(request: types.CallToolRequest) -> types.ServerResult:
        raise McpError(types.ErrorData(code=INVALID_PARAMS, message=f"unknown city: {ERROR_TEXT}"))

    server.request_handlers[types.CallToolRequest] = refuse
    return server


def session(server: Any) -> Any:
    """A connected, initialized ``ClientSession`` over the SDK's in-memory streams."""
    return create_connected_server_and_client_session(server)


@pytest.fixture
def instrument(make_telemetry: Callable[..., Telemetry]) -> Callable[..., Telemetry]:
    """``instrument(capture_content=...)``: only MCP (1.x traces through nothing but us)."""
    seen_meta.clear()

    def make(**kwargs: Any) -> Telemetry:
        return make_telemetry(instrumentors=["mcp"], **kwargs)

    return make


@pytest.fixture
def telemetry(instrument: Callable[..., Telemetry]) -> Telemetry:
    return instrument()


# --- one span per call, the trace in the request ---------------------------------------------------


async def test_a_tool_call_is_one_client_span_with_the_trace_in_its_meta(telemetry: Telemetry) -> None:
    async with session(weather_server()) as client:
        result = await client.call_tool("get_weather", {"city": "Paris"})

    assert result.content[0].text == "sunny in Paris"
    spans = telemetry.spans()
    [call] = [s for s in spans if "tools/call" in s.name]  # the only one: 1.x makes none of its own
    assert call.name == "tools/call get_weather"
    assert call.kind == SpanKind.CLIENT
    assert call.instrumentation_scope.name == "otel_genai"
    attributes = dict(call.attributes or {})
    assert attributes["gen_ai.operation.name"] == "execute_tool"
    assert attributes["gen_ai.tool.name"] == "get_weather"
    assert attributes["gen_ai.tool.type"] == "extension"
    assert attributes["mcp.method.name"] == "tools/call"
    assert attributes["mcp.protocol.version"] == types.LATEST_PROTOCOL_VERSION  # negotiated at initialize
    assert attributes["otel_genai.mcp.server.name"] == SERVER_NAME
    assert attributes["otel_genai.mcp.server.version"] == importlib.metadata.version("mcp")  # FastMCP's
    assert "gen_ai.tool.call.arguments" not in attributes  # content is off by default
    assert "gen_ai.tool.call.result" not in attributes
    assert call.status.status_code == StatusCode.UNSET
    assert_conforms(
        telemetry,
        call,
        operation="execute_tool",
        name="tools/call get_weather",
        kind=SpanKind.CLIENT,
        content=False,
    )

    [meta] = seen_meta  # the server received our span's context, for its own span to continue
    assert traceparent_span_id(meta) == call.context.span_id
    assert int(meta["traceparent"].split("-")[1], 16) == call.context.trace_id

    [duration] = tool_durations(telemetry)
    assert duration.count == 1
    assert duration.attributes == {
        "gen_ai.operation.name": "execute_tool",
        "gen_ai.tool.name": "get_weather",
        "gen_ai.tool.type": "extension",
    }


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
    app = weather_server().streamable_http_app()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 5
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.01)
        port = server.servers[0].sockets[0].getsockname()[1]
        async with (
            streamablehttp_client(f"http://127.0.0.1:{port}/mcp") as (read, write, _),
            ClientSession(read, write) as client,
        ):
            await client.initialize()
            result = await client.call_tool("get_weather", {"city": "Paris"})
    finally:
        server.should_exit = True
        thread.join(5)

    assert result.content[0].text == "sunny in Paris"
    call = only(telemetry.spans(), "tools/call get_weather", SpanKind.CLIENT)
    assert call.attributes["otel_genai.mcp.server.name"] == SERVER_NAME
    # the server ran on uvicorn's own thread and loop: only the request's _meta carried the trace there
    [meta] = seen_meta
    assert traceparent_span_id(meta) == call.context.span_id


# --- content and failures --------------------------------------------------------------------------


async def test_content_capture_records_arguments_and_result(instrument: Callable[..., Telemetry]) -> None:
    telemetry = instrument(capture_content=True)

    async with session(weather_server()) as client:
        await client.call_tool("get_weather", {"city": "Paris"})
        await client.call_tool("get_forecast", {"city": "Oslo"})

    spans = telemetry.spans()
    weather = only(spans, "tools/call get_weather", SpanKind.CLIENT)
    assert weather.attributes["gen_ai.tool.call.arguments"] == '{"city":"Paris"}'
    assert weather.attributes["gen_ai.tool.call.result"] == '{"result":"sunny in Paris"}'
    forecast = only(spans, "tools/call get_forecast", SpanKind.CLIENT)
    assert forecast.attributes["gen_ai.tool.call.result"] == '{"result":"rain in Oslo"}'


async def test_a_tool_error_result_ends_the_span_as_tool_error(instrument: Callable[..., Telemetry]) -> None:
    telemetry = instrument(capture_content=True)

    async with session(weather_server()) as client:
        result = await client.call_tool("broken", {"city": "Paris"})
        unknown = await client.call_tool("no_such_tool", {})  # FastMCP answers it as a tool error too

    assert result.isError and unknown.isError  # returned to the caller as the SDK returned it
    spans = telemetry.spans()
    for name in ("broken", "no_such_tool"):
        call = only(spans, f"tools/call {name}", SpanKind.CLIENT)
        assert call.attributes["error.type"] == "tool_error"
        assert call.status.status_code == StatusCode.ERROR
        assert_conforms(
            telemetry,
            call,
            operation="execute_tool",
            name=f"tools/call {name}",
            kind=SpanKind.CLIENT,
            failed=True,
            error_type="tool_error",
        )
        assert "gen_ai.tool.call.result" not in call.attributes  # a result only when the tool succeeded
    assert {p.attributes.get("error.type") for p in tool_durations(telemetry)} == {"tool_error"}


async def test_a_protocol_error_propagates_unchanged(telemetry: Telemetry) -> None:
    async with session(strict_server()) as client:
        with pytest.raises(McpError) as caught:
            await client.call_tool("get_weather", {"city": "Atlantis"})

    assert caught.value.error.code == INVALID_PARAMS
    assert str(caught.value) == f"unknown city: {ERROR_TEXT}"  # the caller still gets the server's words
    call = only(telemetry.spans(), "tools/call get_weather", SpanKind.CLIENT)
    assert call.attributes["error.type"] == str(INVALID_PARAMS)
    assert call.attributes["rpc.response.status_code"] == str(INVALID_PARAMS)
    assert call.status.status_code == StatusCode.ERROR
    assert call.status.description == str(INVALID_PARAMS)  # the server's message is content (off here)


@pytest.mark.parametrize("mode", MODES)
async def test_error_text_never_reaches_the_exporter_raw(
    make_pipeline: Callable[..., Pipeline],  # noqa: F811  (the fixture imported above)
    mode: str,
) -> None:
    """The same guarantee as tests/test_error_content.py gives mcp 2.x, on 1.x's paths."""
    pipeline = make_pipeline(mode, ["mcp"])
    async with session(weather_server()) as client:
        result = await client.call_tool("broken", {"city": "Paris"})
    async with session(strict_server()) as client:
        with pytest.raises(McpError):
            await client.call_tool("lookup", {"city": "Atlantis"})

    assert result.isError and ERROR_TEXT in result.content[0].text
    assert_failed(pipeline, pipeline.span("tools/call broken"), "tool_error", raised=False)
    assert_failed(pipeline, pipeline.span("tools/call lookup"), str(INVALID_PARAMS))
    assert_no_raw_error_text(pipeline)


# --- inside an application's tool scope -----------------------------------------------------------


async def test_inside_the_models_tool_call_scope_the_scope_is_the_mcp_call(telemetry: Telemetry) -> None:
    model_call = tool_call("call_abc123", "get_weather", {"city": "Paris"})

    async with session(weather_server()) as client:
        with otel_genai.tool_call(model_call) as scope:
            scope.set_result(await client.call_tool("get_weather", scope.arguments))

    spans = telemetry.spans()
    assert not [s for s in spans if "tools/call" in s.name]  # no second span
    execution = only(spans, "execute_tool get_weather", SpanKind.INTERNAL)
    attributes = dict(execution.attributes or {})
    assert attributes["gen_ai.tool.call.id"] == "call_abc123"
    assert attributes["gen_ai.tool.type"] == "extension"
    assert attributes["mcp.method.name"] == "tools/call"
    assert attributes["otel_genai.mcp.server.name"] == SERVER_NAME
    assert traceparent_span_id(seen_meta[0]) == execution.context.span_id
    [duration] = tool_durations(telemetry)  # recorded once, by the scope
    assert duration.count == 1


async def test_a_protocol_error_inside_the_scope_fails_it_with_the_json_rpc_code(
    telemetry: Telemetry,
) -> None:
    async with session(strict_server()) as client:
        with (
            pytest.raises(McpError),
            otel_genai.tool_call(tool_call("call_9", "get_weather", {"city": "Atlantis"})),
        ):
            await client.call_tool("get_weather", {"city": "Atlantis"})

    execution = only(telemetry.spans(), "execute_tool get_weather")
    assert execution.attributes["error.type"] == str(INVALID_PARAMS)
    assert execution.attributes["rpc.response.status_code"] == str(INVALID_PARAMS)
    assert execution.status.status_code == StatusCode.ERROR
    [duration] = tool_durations(telemetry)
    assert duration.attributes["error.type"] == str(INVALID_PARAMS)


async def test_a_different_tool_under_a_scope_is_a_call_of_its_own(telemetry: Telemetry) -> None:
    async with session(weather_server()) as client:
        with otel_genai.tool_call(tool_call("call_1", "plan_trip", {"city": "Oslo"})):
            await client.call_tool("get_weather", {"city": "Oslo"})
            await client.call_tool("get_forecast", {"city": "Oslo"})

    spans = telemetry.spans()
    scope = only(spans, "execute_tool plan_trip")
    assert scope.attributes["gen_ai.tool.type"] == "function"
    assert "mcp.method.name" not in scope.attributes
    for name in ("get_weather", "get_forecast"):
        call = only(spans, f"tools/call {name}", SpanKind.CLIENT)
        assert parent_of(call) == scope.context.span_id
        assert "gen_ai.tool.call.id" not in call.attributes


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


async def test_our_own_failure_never_breaks_the_call(
    telemetry: Telemetry, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unreadable(client_session: Any) -> dict[str, Any]:
        raise RuntimeError("instrumentation bug")

    monkeypatch.setattr(mcp_instrumentation, "_session_attributes", unreadable)
    async with session(weather_server()) as client:
        result = await client.call_tool("get_weather", {"city": "Paris"})

    assert result.content[0].text == "sunny in Paris"
    assert telemetry.spans() == []
