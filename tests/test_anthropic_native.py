"""The Anthropic SDK's own tracing (anthropic 2.x): one span per call, ours, whatever the SDK is told.

From 2.0 the SDK opens a CLIENT span per API call through the global tracer provider (or the
``tracer_provider`` of its ``open_telemetry`` option) as soon as one is there, on by default. For a call we
trace, the SDK is handed our span instead (``NativeSpan`` on ``_base_client.start_api_call_span``): it may add
its HTTP facts and ``anthropic.*`` ids, never the conventions' names or content. Releases without native
tracing skip this file (the rest of the suite runs there).
"""

from __future__ import annotations

import json
from typing import Any

import anthropic
import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode
from opentelemetry.util._once import Once

from helpers.anthropic_fakes import (
    MESSAGE_ID,
    MESSAGES,
    MODEL,
    REQUEST_ID,
    Api,
    error_body,
    make_client,
    message,
    needs_bedrock_auth,
    needs_sdk,
    sse,
    stream_events,
    text_block,
)
from helpers.conformance import assert_conforms

pytestmark = needs_sdk((2, 0), "the SDK's own OpenTelemetry tracing")

SDK_SCOPE = "com.anthropic.sdk.python"


@pytest.fixture
def global_provider(monkeypatch: pytest.MonkeyPatch) -> Any:
    """``global_provider(provider)`` makes it OpenTelemetry's global tracer provider for this test."""

    def make_global(provider: TracerProvider) -> TracerProvider:
        monkeypatch.setattr(trace, "_TRACER_PROVIDER_SET_ONCE", Once())
        monkeypatch.setattr(trace, "_TRACER_PROVIDER", None)
        trace.set_tracer_provider(provider)
        return provider

    return make_global


def other_provider() -> tuple[TracerProvider, InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider, exporter


def only_ours(spans: list[Any]) -> Any:
    assert len(spans) == 1, [(s.name, s.instrumentation_scope.name) for s in spans]
    span = spans[0]
    assert span.instrumentation_scope.name != SDK_SCOPE
    assert span.name == f"chat {MODEL}"
    assert span.kind is SpanKind.CLIENT
    return span


@pytest.fixture(params=["sync", "async"])
def is_async(request: pytest.FixtureRequest) -> bool:
    return request.param == "async"


async def test_native_on_with_our_provider_global(make_telemetry, global_provider, fake_anthropic, is_async):
    telemetry = make_telemetry()
    global_provider(telemetry.tracer_provider)
    api = Api(make_client(fake_anthropic, is_async=is_async))
    fake_anthropic.reply(message())

    await api.create()

    span = only_ours(telemetry.spans())
    found = dict(span.attributes)
    assert found["gen_ai.response.id"] == MESSAGE_ID
    assert found["gen_ai.usage.input_tokens"] == 165
    assert found["anthropic.request.id"] == REQUEST_ID
    assert found["url.full"] == "https://api.anthropic.com/v1/messages"  # what the SDK adds to ours
    assert "traceparent" in fake_anthropic.requests[-1].headers  # the SDK propagates our span's context
    assert f"{span.context.span_id:016x}" in fake_anthropic.requests[-1].headers["traceparent"]
    assert_conforms(telemetry, span, operation="chat", content=False)


async def test_native_on_with_our_provider_passed_and_another_global(
    make_telemetry, global_provider, fake_anthropic, is_async
):
    """The application's own global provider gets nothing for the calls we trace: ours is the span."""
    telemetry = make_telemetry()
    provider, global_exporter = other_provider()
    global_provider(provider)
    api = Api(make_client(fake_anthropic, is_async=is_async))
    fake_anthropic.reply(message())

    await api.create()

    only_ours(telemetry.spans())
    assert global_exporter.get_finished_spans() == ()


async def test_calls_we_do_not_trace_keep_the_sdks_span(make_telemetry, global_provider, fake_anthropic):
    telemetry = make_telemetry()
    provider, global_exporter = other_provider()
    global_provider(provider)
    fake_anthropic.reply({"input_tokens": 14})

    make_client(fake_anthropic).messages.count_tokens(model=MODEL, messages=MESSAGES)

    assert telemetry.spans() == []
    assert [s.instrumentation_scope.name for s in global_exporter.get_finished_spans()] == [SDK_SCOPE]


async def test_native_tracer_provider_option_gets_nothing(make_telemetry, fake_anthropic, is_async):
    telemetry = make_telemetry()
    provider, sdk_exporter = other_provider()
    api = Api(make_client(fake_anthropic, is_async=is_async, open_telemetry={"tracer_provider": provider}))
    fake_anthropic.reply(message())

    await api.create()

    only_ours(telemetry.spans())
    assert sdk_exporter.get_finished_spans() == ()


@pytest.mark.parametrize("how", ["option", "environment"])
async def test_native_off(make_telemetry, global_provider, fake_anthropic, monkeypatch, is_async, how):
    telemetry = make_telemetry()
    provider, global_exporter = other_provider()
    global_provider(provider)
    options: dict[str, Any] = {}
    if how == "option":
        options["open_telemetry"] = False
    else:
        monkeypatch.setenv("ANTHROPIC_OPEN_TELEMETRY", "false")
    api = Api(make_client(fake_anthropic, is_async=is_async, **options))
    fake_anthropic.reply(message())

    await api.create()

    span = only_ours(telemetry.spans())
    assert span.attributes["gen_ai.response.id"] == MESSAGE_ID
    assert not [key for key in span.attributes if key.startswith(("http.", "url."))]
    assert (
        "traceparent" not in fake_anthropic.requests[-1].headers
    )  # nothing propagates it then: as without us
    assert global_exporter.get_finished_spans() == ()


async def test_sdk_content_mode_puts_no_content_on_our_span(
    make_telemetry, global_provider, fake_anthropic, is_async
):
    """The SDK told to record content, ours not: the span carries none (it would bypass redaction)."""
    telemetry = make_telemetry()
    global_provider(telemetry.tracer_provider)
    client = make_client(
        fake_anthropic, is_async=is_async, open_telemetry={"traces": {"content_mode": "content"}}
    )
    fake_anthropic.reply(message("The secret is 42."))

    await Api(client).create(system="Secret system prompt.", stop_sequences=["END"])

    span = only_ours(telemetry.spans())
    found = dict(span.attributes)
    assert "Secret" not in json.dumps({k: str(v) for k, v in found.items()})
    assert "The secret is 42." not in json.dumps({k: str(v) for k, v in found.items()})
    assert found["gen_ai.request.stop_sequences"] == ("END",)  # ours: a request parameter, not content
    assert_conforms(telemetry, span, operation="chat", content=False)


async def test_content_on_our_span_is_ours(make_telemetry, global_provider, fake_anthropic, validate_schema):
    telemetry = make_telemetry(capture_content=True)
    global_provider(telemetry.tracer_provider)
    client = make_client(fake_anthropic, open_telemetry={"traces": {"content_mode": "content"}})
    fake_anthropic.reply(message("Hi."))

    client.messages.create(model=MODEL, max_tokens=10, system="Be brief.", messages=MESSAGES)

    span = only_ours(telemetry.spans())
    assert json.loads(span.attributes["gen_ai.system_instructions"]) == [
        {"type": "text", "content": "Be brief."}
    ]
    outputs = json.loads(span.attributes["gen_ai.output.messages"])
    validate_schema("gen-ai-output-messages", outputs)
    assert outputs == [
        {"role": "assistant", "parts": [{"type": "text", "content": "Hi."}], "finish_reason": "stop"}
    ]
    assert "anthropic.content.truncated" not in span.attributes


async def test_stream_with_native_on_is_one_span_ended_by_us(
    make_telemetry, global_provider, fake_anthropic, is_async
):
    telemetry = make_telemetry(capture_content=True)
    provider, global_exporter = other_provider()
    global_provider(provider)
    api = Api(make_client(fake_anthropic, is_async=is_async))
    fake_anthropic.reply(stream=sse(stream_events([text_block("Hello.")])))

    stream = await api.create(stream=True)
    first = await api.next(stream)
    assert telemetry.spans() == []  # neither the SDK nor the body's end ends ours early
    rest = await api.drain(stream)

    assert first.type == "message_start" and rest[-1].type == "message_stop"
    span = only_ours(telemetry.spans())
    assert span.status.status_code is not StatusCode.ERROR
    assert span.attributes["gen_ai.usage.output_tokens"] == 15
    assert global_exporter.get_finished_spans() == ()
    assert_conforms(telemetry, span, operation="chat", content=True, stream=True)


async def test_stream_helper_with_native_on(make_telemetry, global_provider, fake_anthropic, is_async):
    telemetry = make_telemetry()
    provider, global_exporter = other_provider()
    global_provider(provider)
    api = Api(make_client(fake_anthropic, is_async=is_async))
    fake_anthropic.reply(stream=sse(stream_events([text_block("Hello.")])))

    assert await api.helper("final_text") == "Hello."

    only_ours(telemetry.spans())
    assert global_exporter.get_finished_spans() == ()


async def test_retries_with_native_on_are_one_span(make_telemetry, global_provider, fake_anthropic):
    telemetry = make_telemetry()
    global_provider(telemetry.tracer_provider)
    fake_anthropic.reply(error_body("overloaded_error"), status=529, headers={"retry-after-ms": "1"})
    fake_anthropic.reply(message())

    make_client(fake_anthropic, max_retries=2).messages.create(model=MODEL, max_tokens=10, messages=MESSAGES)

    span = only_ours(telemetry.spans())
    assert len(fake_anthropic.requests) == 2
    assert span.status.status_code is not StatusCode.ERROR
    assert span.attributes["gen_ai.response.id"] == MESSAGE_ID


async def test_failure_with_native_on_is_ours(make_telemetry, global_provider, fake_anthropic, is_async):
    telemetry = make_telemetry()
    global_provider(telemetry.tracer_provider)
    api = Api(make_client(fake_anthropic, is_async=is_async))
    fake_anthropic.reply(
        error_body("invalid_request_error", "messages: text content blocks must be non-empty"), status=400
    )

    with pytest.raises(anthropic.BadRequestError):
        await api.create()

    span = only_ours(telemetry.spans())
    assert span.attributes["error.type"] == "invalid_request_error"
    assert "non-empty" not in (span.status.description or "")  # the SDK's set_status cannot add the text
    assert_conforms(telemetry, span, operation="chat", failed=True, content=False)


# --- the trace context the request carries, and the SDK's HTTP facts on ours -------------------------------

PRESET_TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


def carries_our_context(request: Any, span: Any) -> bool:
    return f"-{span.context.span_id:016x}-" in request.headers.get("traceparent", "")


async def test_each_attempt_carries_our_trace_context(
    make_telemetry, global_provider, fake_anthropic, is_async
):
    telemetry = make_telemetry()
    global_provider(telemetry.tracer_provider)
    fake_anthropic.reply(error_body("overloaded_error"), status=529, headers={"retry-after-ms": "1"})
    fake_anthropic.reply(message())

    await Api(make_client(fake_anthropic, is_async=is_async, max_retries=2)).create()

    span = only_ours(telemetry.spans())
    assert len(fake_anthropic.requests) == 2
    assert all(carries_our_context(request, span) for request in fake_anthropic.requests)
    assert span.attributes["url.path"] == "/v1/messages"


async def test_propagation_off_sends_no_trace_context_but_keeps_the_url(
    make_telemetry, global_provider, fake_anthropic, is_async
):
    telemetry = make_telemetry()
    global_provider(telemetry.tracer_provider)
    api = Api(make_client(fake_anthropic, is_async=is_async, open_telemetry={"propagation": False}))
    fake_anthropic.reply(message())

    await api.create()

    span = only_ours(telemetry.spans())
    assert "traceparent" not in fake_anthropic.requests[-1].headers
    assert span.attributes["url.full"] == "https://api.anthropic.com/v1/messages"
    assert span.attributes["url.scheme"] == "https"


@pytest.mark.parametrize("where", ["extra_headers", "default_headers"])
async def test_a_preset_trace_header_gives_way_to_ours(
    make_telemetry, global_provider, fake_anthropic, is_async, where
):
    """As the SDK does on its own: the request carries the call's span, whatever trace header was set."""
    telemetry = make_telemetry()
    global_provider(telemetry.tracer_provider)
    preset = {"TraceParent": PRESET_TRACEPARENT}
    client_options = {"default_headers": preset} if where == "default_headers" else {}
    call_options = {"extra_headers": preset} if where == "extra_headers" else {}
    fake_anthropic.reply(message())

    await Api(make_client(fake_anthropic, is_async=is_async, **client_options)).create(**call_options)

    span = only_ours(telemetry.spans())
    assert carries_our_context(fake_anthropic.requests[-1], span)
    assert span.attributes["url.full"] == "https://api.anthropic.com/v1/messages"


async def test_baggage_travels_with_our_trace_context(
    make_telemetry, global_provider, fake_anthropic, is_async
):
    from opentelemetry import baggage, context

    telemetry = make_telemetry()
    global_provider(telemetry.tracer_provider)
    fake_anthropic.reply(message())
    token = context.attach(baggage.set_baggage("tenant", "acme"))
    try:
        await Api(make_client(fake_anthropic, is_async=is_async)).create()
    finally:
        context.detach(token)

    span = only_ours(telemetry.spans())
    assert carries_our_context(fake_anthropic.requests[-1], span)
    assert fake_anthropic.requests[-1].headers["baggage"] == "tenant=acme"


async def test_a_query_on_the_request_is_recorded_as_the_sdk_records_it(
    make_telemetry, global_provider, fake_anthropic
):
    """Query parameters the endpoint does not define stay off the span (they may be anything)."""
    telemetry = make_telemetry()
    global_provider(telemetry.tracer_provider)
    fake_anthropic.reply(message())

    make_client(fake_anthropic).messages.create(
        model=MODEL, max_tokens=10, messages=MESSAGES, extra_query={"email": "a@example.com"}
    )

    span = only_ours(telemetry.spans())
    assert span.attributes["url.full"] == "https://api.anthropic.com/v1/messages"
    assert "url.query" not in span.attributes
    assert "a@example.com" not in json.dumps({k: str(v) for k, v in span.attributes.items()})


@needs_bedrock_auth
@pytest.mark.parametrize("preset", [False, True], ids=["plain", "preset-traceparent"])
async def test_bedrock_signature_leaves_the_trace_context_out(
    make_telemetry, global_provider, fake_anthropic, is_async, preset
):
    """The trace context is set after the request is signed, so a proxy that rewrites it breaks nothing."""
    telemetry = make_telemetry()
    global_provider(telemetry.tracer_provider)
    bedrock_model = "anthropic.claude-sonnet-4-5-20250929-v1:0"
    fake_anthropic.reply(message(model=bedrock_model))
    factory = anthropic.AsyncAnthropicBedrock if is_async else anthropic.AnthropicBedrock
    client = make_client(
        fake_anthropic, factory, aws_region="us-east-1", aws_access_key="AKIDEXAMPLE", aws_secret_key="dummy"
    )

    await Api(client).create(
        model=bedrock_model, **({"extra_headers": {"traceparent": PRESET_TRACEPARENT}} if preset else {})
    )

    (span,) = telemetry.spans()  # ours alone
    assert span.instrumentation_scope.name != SDK_SCOPE
    request = fake_anthropic.requests[-1]
    assert carries_our_context(request, span)
    signed = request.headers["authorization"].split("SignedHeaders=")[1].split(",")[0].split(";")
    assert "host" in signed and "traceparent" not in signed
