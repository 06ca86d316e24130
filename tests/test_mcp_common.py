"""MCP instrumentation on mcp 1.x and 2.x alike: the spans a ``tools/call`` makes must not depend on the
SDK's major version. ``helpers.mcp.installed_sdk()`` builds the weather server and opens sessions to it
the installed version's way (2.x: ``MCPServer`` and ``Client(..., mode="legacy")``, the SDK tracing
natively; 1.x: ``FastMCP`` and ``create_connected_server_and_client_session``, nothing tracing but us).
Where only the server side differs (2.x's own server span), a test says so under ``SDK.native_tracing``.

What only one version has is tested in ``tests/test_mcp.py`` (2.x) and ``tests/test_mcp_v1.py`` (1.x).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from opentelemetry.trace import SpanKind, StatusCode

import otel_genai
from helpers.conformance import assert_conforms
from helpers.mcp import (
    INVALID_PARAMS,
    REFUSAL,
    SERVER_NAME,
    installed_sdk,
    instrument_fixture,  # noqa: F401  (the fixture ``instrument``)
    only,
    parent_of,
    seen_meta,
    telemetry_fixture,  # noqa: F401  (the fixture ``telemetry``)
    tool_durations,
    tool_failed,
    traceparent_span_id,
)
from helpers.openai_fakes import tool_call
from helpers.telemetry import Telemetry
from otel_genai.instrumentation import mcp as mcp_instrumentation

SDK = installed_sdk()  # the installed major version's server and sessions


# --- attribution, client to server ----------------------------------------------------------------


async def test_the_callers_attribution_reaches_the_server_as_baggage(
    instrument: Callable[..., Telemetry],
) -> None:
    """``otel_genai.attributes(...)`` travels in the request's ``_meta`` as W3C baggage: the tool server
    knows the tenant, session and pseudonymous user; the raw user id never leaves the caller."""
    from urllib.parse import unquote

    from otel_genai.llmops.attribution import AttributionPolicy

    telemetry = instrument(attribution=AttributionPolicy(user_id_secret="mcp-test-secret"))
    with otel_genai.attributes(tenant="acme", user="u-17", session="s-42"):
        async with SDK.weather() as client:
            await client.call_tool("get_weather", {"city": "Paris"})
    [call] = [s for s in telemetry.spans() if s.kind == SpanKind.CLIENT and "tools/call" in s.name]
    pseudo_id = (call.attributes or {})["enduser.pseudo.id"]
    [meta] = seen_meta
    received = dict(unquote(entry).split("=", 1) for entry in meta["baggage"].split(","))
    assert received["otel_genai.tenant.id"] == "acme"
    assert received["session.id"] == "s-42"
    assert received["enduser.pseudo.id"] == pseudo_id
    assert "u-17" not in str(meta)


# --- one trace, client to server -------------------------------------------------------------------


async def test_a_tool_call_is_one_client_span_with_the_trace_in_its_meta(telemetry: Telemetry) -> None:
    async with SDK.weather() as client:
        result = await client.call_tool("get_weather", {"city": "Paris"})
        protocol_version = SDK.protocol_version(client)

    assert result.content[0].text == "sunny in Paris"
    spans = telemetry.spans()
    [call] = [s for s in spans if s.kind == SpanKind.CLIENT and "tools/call" in s.name]  # not two
    assert call.name == "tools/call get_weather"
    assert call.instrumentation_scope.name == "otel_genai"
    attributes = dict(call.attributes or {})
    assert attributes["gen_ai.operation.name"] == "execute_tool"
    assert attributes["gen_ai.tool.name"] == "get_weather"
    assert attributes["gen_ai.tool.type"] == "extension"
    assert attributes["mcp.method.name"] == "tools/call"
    assert attributes["mcp.protocol.version"] == protocol_version
    assert attributes["otel_genai.mcp.server.name"] == SERVER_NAME
    assert attributes["otel_genai.mcp.server.version"] == SDK.server_version
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
    if SDK.native_tracing:  # 2.x: the SDK's server span continues ours; the tool function's span under it
        assert attributes["jsonrpc.request.id"]  # the SDK's own attribute, on our span
        server = only(spans, "tools/call get_weather", SpanKind.SERVER)
        assert server.context.trace_id == call.context.trace_id
        assert parent_of(server) == call.context.span_id
        function = only(spans, "execute_tool get_weather", SpanKind.INTERNAL)  # the @otel_genai.tool handler
        assert parent_of(function) == server.context.span_id
        assert function.attributes["gen_ai.tool.type"] == "function"
    else:  # 1.x makes no span of its own, on either end
        assert [s for s in spans if "tools/call" in s.name] == [call]

    [duration] = tool_durations(telemetry)
    assert duration.count == 1
    assert duration.attributes == {
        "gen_ai.operation.name": "execute_tool",
        "gen_ai.tool.name": "get_weather",
        "gen_ai.tool.type": "extension",
    }


# --- content and failures --------------------------------------------------------------------------


async def test_content_capture_records_arguments_and_result(instrument: Callable[..., Telemetry]) -> None:
    telemetry = instrument(capture_content=True)

    async with SDK.weather() as client:
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

    async with SDK.weather() as client:
        result = await client.call_tool("broken", {"city": "Paris"})
        unknown = await client.call_tool("no_such_tool", {})  # the server answers it as a tool error too

    assert tool_failed(result) and tool_failed(unknown)  # returned to the caller as the SDK returned it
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
    async with SDK.refusing() as client:
        with pytest.raises(SDK.protocol_error) as caught:
            await client.call_tool("strict", {"city": "Atlantis"})

    assert caught.value.error.code == INVALID_PARAMS  # type: ignore[attr-defined]
    assert str(caught.value) == REFUSAL  # the caller still gets the server's words
    call = only(telemetry.spans(), "tools/call strict", SpanKind.CLIENT)
    assert call.attributes["error.type"] == str(INVALID_PARAMS)
    assert call.attributes["rpc.response.status_code"] == str(INVALID_PARAMS)
    assert call.status.status_code == StatusCode.ERROR
    assert call.status.description == str(INVALID_PARAMS)  # the server's message is content (off here)


# --- inside an application's tool scope -----------------------------------------------------------


async def test_inside_the_models_tool_call_scope_the_scope_is_the_mcp_call(telemetry: Telemetry) -> None:
    model_call = tool_call("call_abc123", "get_weather", {"city": "Paris"})

    async with SDK.weather() as client:
        with otel_genai.tool_call(model_call) as scope:
            scope.set_result(await client.call_tool("get_weather", scope.arguments))

    spans = telemetry.spans()
    assert not [s for s in spans if s.kind == SpanKind.CLIENT and "tools/call" in s.name]  # no second span
    [execution] = [s for s in spans if (s.attributes or {}).get("gen_ai.tool.call.id") == "call_abc123"]
    assert execution.name == "execute_tool get_weather"
    assert execution.kind == SpanKind.INTERNAL
    attributes = dict(execution.attributes or {})
    assert attributes["gen_ai.tool.type"] == "extension"
    assert attributes["mcp.method.name"] == "tools/call"
    assert attributes["otel_genai.mcp.server.name"] == SERVER_NAME
    assert traceparent_span_id(seen_meta[0]) == execution.context.span_id
    if SDK.native_tracing:  # 2.x: the SDK's server span continues the scope
        assert attributes["jsonrpc.request.id"]
        server = only(spans, "tools/call get_weather", SpanKind.SERVER)
        assert parent_of(server) == execution.context.span_id
    else:  # 1.x: the scope is the only span
        assert not [s for s in spans if "tools/call" in s.name]
        assert only(spans, "execute_tool get_weather", SpanKind.INTERNAL) is execution
    [duration] = tool_durations(telemetry)  # recorded once, by the scope
    assert duration.count == 1


async def test_a_protocol_error_inside_the_scope_fails_it_with_the_json_rpc_code(
    telemetry: Telemetry,
) -> None:
    async with SDK.refusing() as client:
        with (
            pytest.raises(SDK.protocol_error),
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
    async with SDK.weather() as client:
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


# --- never in the way ------------------------------------------------------------------------------


async def test_our_own_failure_never_breaks_the_call(
    telemetry: Telemetry, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unreadable(session: object) -> dict[str, object]:
        raise RuntimeError("instrumentation bug")

    monkeypatch.setattr(mcp_instrumentation, "_session_attributes", unreadable)
    async with SDK.weather() as client:
        result = await client.call_tool("get_weather", {"city": "Paris"})

    assert result.content[0].text == "sunny in Paris"
    spans = telemetry.spans()
    ours = [s for s in spans if s.instrumentation_scope.name == "otel_genai"]
    assert not [s for s in ours if s.kind == SpanKind.CLIENT]
    if not SDK.native_tracing:  # 1.x: nothing else traces either
        assert spans == []
