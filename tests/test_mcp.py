"""MCP instrumentation: a real ``MCPServer`` and a real ``mcp.Client`` / ``ClientSession``, in process.

``mode="legacy"`` runs the JSON-RPC stream dispatcher over the SDK's in-memory transport (the path stdio and
HTTP take, with the SDK's native client spans); the default mode in process uses the ``DirectDispatcher``
(no native client span). One test runs Streamable HTTP through uvicorn, where nothing but the request's
``_meta`` carries the trace to the server.

mcp 1.x (no native tracing, ``FastMCP`` and ``ClientSession`` only) is tested in ``tests/test_mcp_v1.py``;
this module skips itself there.

The SDK traces through the *global* tracer provider, so each test makes its in-memory provider the global
one (and re-resolves the SDK's tracer, which caches the first provider it saw).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

try:
    import mcp.shared._otel as mcp_otel
except ImportError:  # mcp 1.x: no native tracing, no MCPServer or Client (its tests: tests/test_mcp_v1.py)
    pytest.skip("mcp 2.x API", allow_module_level=True)
import mcp.shared.jsonrpc_dispatcher as jsonrpc_dispatcher
import uvicorn
from mcp import Client
from mcp.client.session import ClientSession
from mcp.server.mcpserver import Context, MCPServer
from mcp.shared.exceptions import MCPError
from opentelemetry import trace
from opentelemetry.instrumentation.utils import suppress_instrumentation
from opentelemetry.trace import SpanKind, StatusCode
from opentelemetry.util._once import Once

import otel_genai
from helpers.conformance import assert_conforms
from helpers.mcp import only, parent_of, tool_durations, traceparent_span_id
from helpers.openai_fakes import tool_call
from helpers.telemetry import Telemetry
from otel_genai import _setup
from otel_genai.instrumentation import mcp as mcp_instrumentation

SERVER_NAME = "weather"
SERVER_VERSION = "1.2.3"
INVALID_PARAMS = -32602

# the _meta each get_weather call arrived with, as the server saw it
seen_meta: list[dict[str, Any]] = []


def weather_server() -> MCPServer:
    server = MCPServer(SERVER_NAME, version=SERVER_VERSION)

    @server.tool()
    @otel_genai.tool
    async def get_weather(city: str, ctx: Context) -> str:
        """Current weather for a city.

        Served from a cache."""
        seen_meta.append(dict(ctx.request_context.meta or {}))
        return f"sunny in {city}"

    @server.tool()
    def get_forecast(city: str) -> str:
        """Tomorrow's weather."""
        return f"rain in {city}"

    @server.tool()
    def broken(city: str) -> str:
        raise ValueError("the weather service is down")

    @server.tool()
    def strict(city: str) -> str:
        raise MCPError(code=INVALID_PARAMS, message="unknown city")

    return server


SERVER = weather_server()


@pytest.fixture
def instrument(
    monkeypatch: pytest.MonkeyPatch, make_telemetry: Callable[..., Telemetry]
) -> Callable[..., Telemetry]:
    """``instrument(capture_content=...)``: only MCP, its provider also the global one the SDK uses."""
    monkeypatch.setattr(
        _setup,
        "INSTRUMENTORS",
        {**_setup.INSTRUMENTORS, "mcp": ("mcp", "otel_genai.instrumentation.mcp:MCPInstrumentor")},
    )
    seen_meta.clear()

    def make(*, global_provider: bool = True, **kwargs: Any) -> Telemetry:
        telemetry = make_telemetry(instrumentors=["mcp"], **kwargs)
        monkeypatch.setattr(trace, "_TRACER_PROVIDER_SET_ONCE", Once())
        monkeypatch.setattr(trace, "_TRACER_PROVIDER", None)
        if global_provider:
            trace.set_tracer_provider(telemetry.tracer_provider)
        monkeypatch.setattr(mcp_otel, "_tracer", trace.get_tracer("mcp-python-sdk"))
        return telemetry

    return make


@pytest.fixture
def telemetry(instrument: Callable[..., Telemetry]) -> Telemetry:
    return instrument()


# --- one trace, client to server -------------------------------------------------------------------


async def test_a_tool_call_is_one_client_span_continued_by_the_server(telemetry: Telemetry) -> None:
    async with Client(SERVER, mode="legacy") as client:  # JSON-RPC streams: the SDK traces natively
        result = await client.call_tool("get_weather", {"city": "Paris"})
        protocol_version = client.protocol_version

    assert result.content[0].text == "sunny in Paris"
    spans = telemetry.spans()
    [call] = [s for s in spans if s.kind == SpanKind.CLIENT and "tools/call" in s.name]  # not two
    assert call.name == "tools/call get_weather"
    attributes = dict(call.attributes or {})
    assert attributes["gen_ai.operation.name"] == "execute_tool"
    assert attributes["gen_ai.tool.name"] == "get_weather"
    assert attributes["gen_ai.tool.type"] == "extension"
    assert attributes["mcp.method.name"] == "tools/call"
    assert attributes["jsonrpc.request.id"]  # the SDK's own attribute, on our span
    assert attributes["mcp.protocol.version"] == protocol_version
    assert attributes["otel_genai.mcp.server.name"] == SERVER_NAME
    assert attributes["otel_genai.mcp.server.version"] == SERVER_VERSION
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

    server = only(spans, "tools/call get_weather", SpanKind.SERVER)
    assert server.context.trace_id == call.context.trace_id
    assert parent_of(server) == call.context.span_id
    assert traceparent_span_id(seen_meta[0]) == call.context.span_id  # sent in the request's _meta
    function = only(spans, "execute_tool get_weather", SpanKind.INTERNAL)  # the @otel_genai.tool handler
    assert parent_of(function) == server.context.span_id
    assert function.attributes["gen_ai.tool.type"] == "function"

    [duration] = tool_durations(telemetry)
    assert duration.count == 1
    assert duration.attributes == {
        "gen_ai.operation.name": "execute_tool",
        "gen_ai.tool.name": "get_weather",
        "gen_ai.tool.type": "extension",
    }


async def test_the_trace_reaches_a_server_over_streamable_http(telemetry: Telemetry) -> None:
    config = uvicorn.Config(
        weather_server().streamable_http_app(), host="127.0.0.1", port=0, log_level="error"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 5
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.01)
        port = server.servers[0].sockets[0].getsockname()[1]
        async with Client(f"http://127.0.0.1:{port}/mcp", mode="legacy") as client:
            await client.call_tool("get_weather", {"city": "Paris"})
    finally:
        server.should_exit = True
        thread.join(5)

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
    async with Client(SERVER, mode="legacy") as client:
        await client.list_tools()

    listed = [s for s in telemetry.spans() if s.kind == SpanKind.CLIENT and "tools/list" in s.name]
    assert [(s.name, s.instrumentation_scope.name) for s in listed] == [
        ("MCP send tools/list", "mcp-python-sdk")
    ]


async def test_without_a_global_provider_the_call_is_still_traced(
    instrument: Callable[..., Telemetry],
) -> None:
    telemetry = instrument(global_provider=False)  # the SDK's spans go nowhere; ours to our provider

    async with Client(SERVER, mode="legacy") as client:
        await client.call_tool("get_weather", {"city": "Paris"})

    spans = telemetry.spans()
    call = only(spans, "tools/call get_weather", SpanKind.CLIENT)
    assert traceparent_span_id(seen_meta[0]) == call.context.span_id
    # the server's (non-recording) span passes the client's context on to the tool function's span
    function = only(spans, "execute_tool get_weather", SpanKind.INTERNAL)
    assert function.context.trace_id == call.context.trace_id
    assert parent_of(function) == call.context.span_id


# --- content and failures --------------------------------------------------------------------------


async def test_content_capture_records_arguments_and_result(instrument: Callable[..., Telemetry]) -> None:
    telemetry = instrument(capture_content=True)

    async with Client(SERVER, mode="legacy") as client:
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

    async with Client(SERVER, mode="legacy") as client:
        result = await client.call_tool("broken", {"city": "Paris"})
        unknown = await client.call_tool("no_such_tool", {})  # MCPServer answers it as a tool error too

    assert result.is_error and unknown.is_error  # returned to the caller as the SDK returned it
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


async def test_a_protocol_error_propagates_unchanged(
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
    async with Client(SERVER, mode="legacy") as client:
        with pytest.raises(MCPError) as caught:
            await client.call_tool("strict", {"city": "Atlantis"})

    assert caught.value is raised[0]  # the very object the SDK raised
    assert caught.value.error.code == INVALID_PARAMS
    call = only(telemetry.spans(), "tools/call strict", SpanKind.CLIENT)
    assert call.attributes["error.type"] == str(INVALID_PARAMS)
    assert call.attributes["rpc.response.status_code"] == str(INVALID_PARAMS)
    assert call.status.status_code == StatusCode.ERROR
    assert call.status.description == str(INVALID_PARAMS)  # the server's message is content (off here)


# --- inside an application's tool scope -----------------------------------------------------------


async def test_inside_the_models_tool_call_scope_the_scope_is_the_mcp_call(telemetry: Telemetry) -> None:
    model_call = tool_call("call_abc123", "get_weather", {"city": "Paris"})

    async with Client(SERVER, mode="legacy") as client:
        with otel_genai.tool_call(model_call) as scope:
            scope.set_result(await client.call_tool("get_weather", scope.arguments))

    spans = telemetry.spans()
    assert not [s for s in spans if s.kind == SpanKind.CLIENT and "tools/call" in s.name]  # no second span
    [execution] = [s for s in spans if (s.attributes or {}).get("gen_ai.tool.call.id") == "call_abc123"]
    assert execution.name == "execute_tool get_weather"
    assert execution.kind == SpanKind.INTERNAL
    attributes = dict(execution.attributes or {})
    assert attributes["gen_ai.tool.call.id"] == "call_abc123"
    assert attributes["gen_ai.tool.type"] == "extension"
    assert attributes["mcp.method.name"] == "tools/call"
    assert attributes["jsonrpc.request.id"]
    assert attributes["otel_genai.mcp.server.name"] == SERVER_NAME
    server = only(spans, "tools/call get_weather", SpanKind.SERVER)
    assert parent_of(server) == execution.context.span_id
    [duration] = tool_durations(telemetry)  # recorded once, by the scope
    assert duration.count == 1


async def test_a_protocol_error_inside_the_scope_fails_it_with_the_json_rpc_code(
    telemetry: Telemetry,
) -> None:
    async with Client(SERVER, mode="legacy") as client:
        with (
            pytest.raises(MCPError),
            otel_genai.tool_call(tool_call("call_9", "strict", {"city": "Atlantis"})),
        ):
            await client.call_tool("strict", {"city": "Atlantis"})

    execution = only(telemetry.spans(), "execute_tool strict")
    assert execution.attributes["error.type"] == str(INVALID_PARAMS)
    assert execution.attributes["rpc.response.status_code"] == str(INVALID_PARAMS)
    assert execution.status.status_code == StatusCode.ERROR
    [duration] = tool_durations(telemetry)
    assert duration.attributes["error.type"] == str(INVALID_PARAMS)


async def test_a_different_tool_under_a_scope_is_a_call_of_its_own(telemetry: Telemetry) -> None:
    async with Client(SERVER, mode="legacy") as client:
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


async def test_suppressed_instrumentation_leaves_the_sdks_span(telemetry: Telemetry) -> None:
    async with Client(SERVER, mode="legacy") as client:
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
    async with Client(SERVER, mode="legacy") as client:
        await client.call_tool("get_weather", {"city": "Paris"})
    clients = [s for s in telemetry.spans() if s.kind == SpanKind.CLIENT and "tools/call" in s.name]
    assert [s.name for s in clients] == ["MCP send tools/call get_weather"]
    assert not tool_durations(telemetry)


async def test_our_own_failure_never_breaks_the_call(
    telemetry: Telemetry, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unreadable(session: Any) -> dict[str, Any]:
        raise RuntimeError("instrumentation bug")

    monkeypatch.setattr(mcp_instrumentation, "_session_attributes", unreadable)
    async with Client(SERVER, mode="legacy") as client:
        result = await client.call_tool("get_weather", {"city": "Paris"})

    assert result.content[0].text == "sunny in Paris"
    assert not [
        s
        for s in telemetry.spans()
        if s.instrumentation_scope.name == "otel_genai" and s.kind == SpanKind.CLIENT
    ]
