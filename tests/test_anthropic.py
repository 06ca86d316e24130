"""The Anthropic Messages API on the real ``anthropic`` SDK: ``create``, ``parse``, ``beta.messages``, the
Bedrock and Vertex clients, content, errors; sync and async. Streams are in ``test_anthropic_streams.py``,
the SDK's own tracing in ``test_anthropic_native.py``.

Only the SDK's HTTP is local (``helpers.anthropic_fakes``); request building, retries, response parsing and
errors are the SDK's own. Attribute names are spelled out literally so that these tests check the
conventions, not our constants.
"""

from __future__ import annotations

import json
from typing import Any

import anthropic
import pytest
import wrapt
from opentelemetry.trace import SpanKind, StatusCode
from pydantic import BaseModel

import otel_genai
from helpers.anthropic_fakes import (
    MESSAGE_ID,
    MESSAGES,
    MODEL,
    REQUEST_ID,
    RESPONSE_MODEL,
    Api,
    error_body,
    make_client,
    message,
    needs_bedrock_auth,
    redacted_thinking_block,
    sdk_version,
    text_block,
    thinking_block,
    tool_use_block,
    usage,
    web_search_blocks,
)
from helpers.conformance import assert_conforms
from helpers.telemetry import attributes, points, reader_attributes, span_content
from otel_genai.instrumentation import anthropic as anthropic_instrumentation

BASE_ATTRIBUTES = {
    "gen_ai.operation.name": "chat",
    "gen_ai.provider.name": "anthropic",
    "gen_ai.request.model": MODEL,
    "gen_ai.request.max_tokens": 1024,
    "server.address": "api.anthropic.com",
    "server.port": 443,
}
# What the default message() body teaches: input = 25 + 100 cache read + 40 cache write (the semconv rule).
RESPONSE_ATTRIBUTES = {
    "gen_ai.response.id": MESSAGE_ID,
    "gen_ai.response.model": RESPONSE_MODEL,
    "gen_ai.response.finish_reasons": ("end_turn",),
    "gen_ai.usage.input_tokens": 165,
    "gen_ai.usage.output_tokens": 12,
    "gen_ai.usage.cache_read.input_tokens": 100,
    "gen_ai.usage.cache_write.input_tokens": 40,
}
CONTENT_ATTRIBUTES = (
    "gen_ai.input.messages",
    "gen_ai.output.messages",
    "gen_ai.system_instructions",
    "gen_ai.tool.definitions",
)
WEATHER_TOOL = {
    "name": "get_weather",
    "description": "Current weather for a city.",
    "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
}
WEB_SEARCH_TOOL = {"type": "web_search_20250305", "name": "web_search", "max_uses": 3}
# anthropic 1.0 dropped temperature, top_p and top_k from its signatures (they go in extra_body there).
has_sampling_arguments = pytest.mark.skipif(
    sdk_version() >= (1, 0), reason="temperature / top_p / top_k arguments were removed in anthropic 1.0"
)
has_parse = pytest.mark.skipif(
    not hasattr(anthropic.resources.messages.Messages, "parse"),
    reason="messages.parse is new in anthropic 0.77",
)
has_beta_parse = pytest.mark.skipif(
    not hasattr(anthropic.resources.beta.messages.Messages, "parse"),
    reason="beta.messages.parse is new in anthropic 0.73",
)


class Weather(BaseModel):
    city: str
    temperature_c: float


# === plain calls ===========================================================================================


async def test_plain_call_span_name_kind_and_attributes(telemetry, anthropic_api, fake_anthropic):
    fake_anthropic.reply(message())

    response = await anthropic_api.create()

    assert isinstance(response, anthropic.types.Message)
    span = telemetry.span()
    assert span.name == f"chat {MODEL}"
    assert span.kind is SpanKind.CLIENT
    assert span.status.status_code is not StatusCode.ERROR
    found = reader_attributes(span)
    assert found.items() >= {**BASE_ATTRIBUTES, **RESPONSE_ATTRIBUTES}.items()
    assert "gen_ai.request.stream" not in found
    assert not [key for key in CONTENT_ATTRIBUTES if key in found]
    assert found["anthropic.request.id"] == REQUEST_ID
    # the SDK's own tracing (2.x) may only add its HTTP facts and anthropic.* ids to our span
    ours = {*BASE_ATTRIBUTES, *RESPONSE_ATTRIBUTES}
    assert all(key in ours or key.startswith(("http.", "url.", "anthropic.")) for key in found), found


async def test_sampling_parameters_and_stop_sequences(telemetry, anthropic_api, fake_anthropic):
    fake_anthropic.reply(message())

    await anthropic_api.create(
        stop_sequences=["\n\nHuman:", "END"],
        extra_body={"temperature": 1, "top_p": 0.9, "top_k": 40},
    )

    found = attributes(telemetry.span())
    assert found["gen_ai.request.temperature"] == 1.0 and isinstance(
        found["gen_ai.request.temperature"], float
    )
    assert found["gen_ai.request.top_p"] == 0.9
    assert found["gen_ai.request.top_k"] == 40
    assert found["gen_ai.request.stop_sequences"] == ("\n\nHuman:", "END")
    assert fake_anthropic.last_json()["top_k"] == 40  # the request itself is the SDK's, unchanged


@has_sampling_arguments
async def test_sampling_parameters_as_arguments(telemetry, anthropic_api, fake_anthropic):
    fake_anthropic.reply(message())

    await anthropic_api.create(temperature=0, top_p=0.5, top_k=5)

    found = attributes(telemetry.span())
    assert (found["gen_ai.request.temperature"], found["gen_ai.request.top_p"]) == (0.0, 0.5)
    assert found["gen_ai.request.top_k"] == 5


async def test_usage_without_cache_fields(telemetry, anthropic_api, fake_anthropic):
    fake_anthropic.reply(message(usage_body=usage(30, 7, cache_read=None, cache_write=None)))

    await anthropic_api.create()

    found = attributes(telemetry.span())
    assert (found["gen_ai.usage.input_tokens"], found["gen_ai.usage.output_tokens"]) == (30, 7)
    assert "gen_ai.usage.cache_read.input_tokens" not in found
    assert "gen_ai.usage.cache_write.input_tokens" not in found


async def test_token_metrics_count_cached_input(telemetry, anthropic_api, fake_anthropic):
    fake_anthropic.reply(message())

    await anthropic_api.create()

    tokens = {p.attributes["gen_ai.token.type"]: p for p in points(telemetry, "gen_ai.client.token.usage")}
    assert (tokens["input"].sum, tokens["output"].sum) == (165, 12)
    assert tokens["input"].attributes["gen_ai.provider.name"] == "anthropic"
    assert tokens["input"].attributes["gen_ai.response.model"] == RESPONSE_MODEL
    assert sum(p.count for p in points(telemetry, "gen_ai.client.operation.duration")) == 1


@pytest.mark.parametrize(
    ("stop_reason", "semconv"),
    [
        ("end_turn", "stop"),
        ("stop_sequence", "stop"),
        ("max_tokens", "length"),
        ("tool_use", "tool_call"),
        ("pause_turn", "stop"),
        ("refusal", "content_filter"),
        ("model_context_window_exceeded", "length"),
    ],
)
async def test_stop_reason_is_kept_and_mapped(
    content_telemetry, anthropic_api, fake_anthropic, stop_reason, semconv
):
    fake_anthropic.reply(message(stop_reason=stop_reason))

    await anthropic_api.create()

    span = content_telemetry.span()
    assert span.attributes["gen_ai.response.finish_reasons"] == (stop_reason,)
    assert span_content(span, "gen_ai.output.messages")[0]["finish_reason"] == semconv


async def test_span_is_a_child_of_the_current_span(telemetry, anthropic_api, fake_anthropic):
    fake_anthropic.reply(message())
    tracer = telemetry.tracer_provider.get_tracer("app")

    with tracer.start_as_current_span("request") as parent:
        await anthropic_api.create()

    child = next(s for s in telemetry.spans() if s.name.startswith("chat"))
    assert child.parent is not None and child.parent.span_id == parent.get_span_context().span_id


# === tools =================================================================================================


async def test_tool_calls_are_visible_without_content(telemetry, anthropic_api, fake_anthropic):
    blocks = [
        text_block("Let me check."),
        tool_use_block("toolu_01A09q90qw90lq917835lq9", "get_weather", {"city": "Paris"}),
        tool_use_block("toolu_01B", "get_time", {"tz": "CET"}),
    ]
    fake_anthropic.reply(message(blocks, stop_reason="tool_use"))

    await anthropic_api.create(tools=[WEATHER_TOOL])

    found = attributes(telemetry.span())
    assert found["otel_genai.response.tool_call.count"] == 2
    assert found["otel_genai.response.tool_call.names"] == ("get_weather", "get_time")
    assert found["otel_genai.response.tool_call.ids"] == ("toolu_01A09q90qw90lq917835lq9", "toolu_01B")
    assert found["gen_ai.response.finish_reasons"] == ("tool_use",)
    assert not [key for key in CONTENT_ATTRIBUTES if key in found]


async def test_tool_round_trip_content_keeps_the_ids(
    content_telemetry, anthropic_api, fake_anthropic, validate_schema
):
    """The assistant's tool_use (the SDK's own models, sent back) and the user's tool_result keep their ids,
    so ``otel_genai.run_tool`` spans link to them."""
    fake_anthropic.reply(
        message([tool_use_block("toolu_1", "get_weather", {"city": "Paris"})], stop_reason="tool_use")
    )
    first = await anthropic_api.create(tools=[WEATHER_TOOL])
    fake_anthropic.reply(message("It is 18°C in Paris."))

    await anthropic_api.create(
        tools=[WEATHER_TOOL],
        messages=[
            *MESSAGES,
            {"role": "assistant", "content": first.content},
            {
                "role": "user",
                "content": [
                    {"type": "tool_result", "tool_use_id": "toolu_1", "content": '{"temperature_c": 18}'},
                    {
                        "type": "tool_result",
                        "tool_use_id": "toolu_2",
                        "content": [{"type": "text", "text": "sunny"}],
                        "is_error": False,
                    },
                ],
            },
        ],
    )

    span = content_telemetry.spans()[-1]
    inputs = span_content(span, "gen_ai.input.messages")
    validate_schema("gen-ai-input-messages", inputs)
    assert inputs[1] == {
        "role": "assistant",
        "parts": [
            {"type": "tool_call", "id": "toolu_1", "name": "get_weather", "arguments": {"city": "Paris"}}
        ],
    }
    assert inputs[2]["role"] == "user"
    assert inputs[2]["parts"] == [
        {"type": "tool_call_response", "id": "toolu_1", "response": '{"temperature_c": 18}'},
        {"type": "tool_call_response", "id": "toolu_2", "response": "sunny"},
    ]
    first_span = content_telemetry.spans()[0]
    outputs = span_content(first_span, "gen_ai.output.messages")
    validate_schema("gen-ai-output-messages", outputs)
    assert outputs[0]["finish_reason"] == "tool_call"
    assert outputs[0]["parts"][0]["id"] == "toolu_1"


async def test_tool_definitions_custom_and_server_tools(
    content_telemetry, anthropic_api, fake_anthropic, validate_schema
):
    fake_anthropic.reply(message())

    await anthropic_api.create(tools=[WEATHER_TOOL, WEB_SEARCH_TOOL])

    definitions = span_content(content_telemetry.span(), "gen_ai.tool.definitions")
    validate_schema("gen-ai-tool-definitions", definitions)
    assert definitions == [
        {"type": "function", "name": "get_weather"},
        {"type": "web_search_20250305", "name": "web_search"},
    ]


async def test_tool_definition_details_when_asked_for(
    make_telemetry, anthropic_api, fake_anthropic, monkeypatch
):
    monkeypatch.setenv("OTEL_GENAI_CAPTURE_TOOL_DEFINITION_DETAILS", "true")
    telemetry = make_telemetry(capture_content=True)
    fake_anthropic.reply(message())

    await anthropic_api.create(tools=[WEATHER_TOOL])

    definitions = span_content(telemetry.span(), "gen_ai.tool.definitions")
    assert definitions == [
        {
            "type": "function",
            "name": "get_weather",
            "description": WEATHER_TOOL["description"],
            "parameters": WEATHER_TOOL["input_schema"],
        }
    ]


async def test_server_tools_are_recorded_as_server_tool_calls(
    content_telemetry, anthropic_api, fake_anthropic, validate_schema
):
    fake_anthropic.reply(message([*web_search_blocks(), text_block("It is sunny in Paris.")]))

    await anthropic_api.create(tools=[WEB_SEARCH_TOOL])

    span = content_telemetry.span()
    outputs = span_content(span, "gen_ai.output.messages")
    validate_schema("gen-ai-output-messages", outputs)
    call_id = "srvtoolu_014hJH82Qum7Td6UV8gDXThB"
    assert outputs[0]["parts"] == [
        {
            "type": "server_tool_call",
            "id": call_id,
            "name": "web_search",
            "server_tool_call": {"type": "web_search"},
        },
        {
            "type": "server_tool_call_response",
            "id": call_id,
            "server_tool_call_response": {"type": "web_search_tool_result"},
        },
        {"type": "text", "content": "It is sunny in Paris."},
    ]
    assert "otel_genai.response.tool_call.count" not in span.attributes  # the provider ran it, not the app


# === content ===============================================================================================


async def test_no_content_by_default(telemetry, anthropic_api, fake_anthropic):
    fake_anthropic.reply(message([thinking_block("secret plan"), text_block("hello")]))

    await anthropic_api.create(system="You are terse.", tools=[WEATHER_TOOL])

    found = attributes(telemetry.span())
    assert not [key for key in CONTENT_ATTRIBUTES if key in found]
    assert "secret plan" not in json.dumps({k: str(v) for k, v in found.items()})


@pytest.mark.parametrize(
    "system",
    ["You are terse.", [{"type": "text", "text": "You are terse.", "cache_control": {"type": "ephemeral"}}]],
    ids=["string", "blocks"],
)
async def test_system_as_system_instructions(
    content_telemetry, anthropic_api, fake_anthropic, validate_schema, system
):
    fake_anthropic.reply(message())

    await anthropic_api.create(system=system)

    span = content_telemetry.span()
    instructions = span_content(span, "gen_ai.system_instructions")
    validate_schema("gen-ai-system-instructions", instructions)
    assert instructions == [{"type": "text", "content": "You are terse."}]
    assert [m["role"] for m in span_content(span, "gen_ai.input.messages")] == ["user"]


async def test_multimodal_input(content_telemetry, anthropic_api, fake_anthropic, validate_schema):
    fake_anthropic.reply(message())
    png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="

    await anthropic_api.create(
        messages=[
            {
                "role": "user",
                "content": [
                    {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": png}},
                    {"type": "image", "source": {"type": "url", "url": "https://example.com/cat.jpg"}},
                    {
                        "type": "document",
                        "source": {"type": "base64", "media_type": "application/pdf", "data": "JVBERi0xLjQK"},
                    },
                    {
                        "type": "document",
                        "source": {"type": "text", "media_type": "text/plain", "data": "Memo."},
                    },
                    {"type": "document", "source": {"type": "url", "url": "https://example.com/a.pdf"}},
                    {"type": "text", "text": "Describe these."},
                ],
            }
        ]
    )

    inputs = span_content(content_telemetry.span(), "gen_ai.input.messages")
    validate_schema("gen-ai-input-messages", inputs)
    assert inputs[0]["parts"] == [
        {"type": "blob", "modality": "image", "mime_type": "image/png", "content": png},
        {"type": "uri", "modality": "image", "uri": "https://example.com/cat.jpg"},
        {"type": "blob", "modality": "document", "mime_type": "application/pdf", "content": "JVBERi0xLjQK"},
        {"type": "text", "content": "Memo."},
        {"type": "uri", "modality": "document", "uri": "https://example.com/a.pdf"},
        {"type": "text", "content": "Describe these."},
    ]


async def test_thinking_and_redacted_thinking_are_reasoning(
    content_telemetry, anthropic_api, fake_anthropic, validate_schema
):
    fake_anthropic.reply(
        message([thinking_block("Paris is in France."), redacted_thinking_block(), text_block("Paris.")])
    )

    await anthropic_api.create(
        extra_body={"thinking": {"type": "enabled", "budget_tokens": 2048}},
        messages=[
            *MESSAGES,
            {"role": "assistant", "content": [thinking_block("Earlier."), text_block("Hi.")]},
            {"role": "user", "content": "Capital of France?"},
        ],
    )

    span = content_telemetry.span()
    outputs = span_content(span, "gen_ai.output.messages")
    validate_schema("gen-ai-output-messages", outputs)
    assert outputs[0]["parts"] == [
        {"type": "reasoning", "content": "Paris is in France."},
        {"type": "reasoning", "content": ""},  # encrypted by the provider
        {"type": "text", "content": "Paris."},
    ]
    assert span_content(span, "gen_ai.input.messages")[1]["parts"][0] == {
        "type": "reasoning",
        "content": "Earlier.",
    }
    assert "EmwKAhgBEgy3" not in span.attributes["gen_ai.output.messages"]


async def test_capture_modes(make_telemetry, anthropic_api, fake_anthropic):
    telemetry = make_telemetry(capture_content="EVENT_ONLY")
    fake_anthropic.reply(message())

    await anthropic_api.create(system="Be brief.")

    span = telemetry.span()
    assert not [key for key in CONTENT_ATTRIBUTES if key in attributes(span)]
    events = [log.log_record for log in telemetry.logs()]
    assert len(events) == 1
    body = events[0].attributes
    assert body["gen_ai.provider.name"] == "anthropic"
    assert body["gen_ai.input.messages"][0]["parts"][0]["content"] == "Hello, Claude."


# === structured outputs, beta, raw responses ===============================================================


@has_parse
async def test_parse_with_a_pydantic_model(content_telemetry, anthropic_api, fake_anthropic):
    fake_anthropic.reply(message('{"city": "Paris", "temperature_c": 18.5}'))

    parsed = await anthropic_api.call(anthropic_api.client.messages.parse, output_format=Weather)

    assert parsed.parsed_output == Weather(city="Paris", temperature_c=18.5)
    span = content_telemetry.span()
    assert span.attributes["gen_ai.output.type"] == "json"
    assert span.attributes["gen_ai.response.id"] == MESSAGE_ID


async def test_beta_messages_create(telemetry, anthropic_api, fake_anthropic):
    fake_anthropic.reply(message())

    await anthropic_api.call(
        anthropic_api.client.beta.messages.create, betas=["token-efficient-tools-2025-02-19"]
    )

    found = attributes(telemetry.span())
    assert found.items() >= {**BASE_ATTRIBUTES, **RESPONSE_ATTRIBUTES}.items()


@has_beta_parse
async def test_beta_messages_parse(telemetry, anthropic_api, fake_anthropic):
    fake_anthropic.reply(message('{"city": "Paris", "temperature_c": 18.5}'))

    parsed = await anthropic_api.call(anthropic_api.client.beta.messages.parse, output_format=Weather)

    assert parsed.parsed_output == Weather(city="Paris", temperature_c=18.5)
    assert telemetry.span().attributes["gen_ai.output.type"] == "json"


async def test_with_raw_response_is_read_and_parse_returns_the_same_object(
    telemetry, anthropic_api, fake_anthropic
):
    fake_anthropic.reply(message())

    raw = await anthropic_api.call(anthropic_api.client.messages.with_raw_response.create)

    parsed = await anthropic_api.parse(raw)
    assert parsed is await anthropic_api.parse(raw)
    assert parsed.id == MESSAGE_ID
    assert raw.headers["request-id"] == REQUEST_ID
    found = attributes(telemetry.span())
    assert found.items() >= RESPONSE_ATTRIBUTES.items()


def test_with_streaming_response_body_is_left_to_the_application(telemetry, fake_anthropic):
    fake_anthropic.reply(message())
    client = make_client(fake_anthropic)

    with client.messages.with_streaming_response.create(model=MODEL, max_tokens=10, messages=MESSAGES) as raw:
        body = raw.json()

    assert body["id"] == MESSAGE_ID
    span = telemetry.span()
    assert span.attributes["gen_ai.request.model"] == MODEL  # traced, and the body not read by us


# === Bedrock and Vertex ====================================================================================


@needs_bedrock_auth
@pytest.mark.parametrize("is_async", [False, True], ids=["sync", "async"])
async def test_bedrock_client_is_provider_aws_bedrock(telemetry, fake_anthropic, is_async):
    bedrock_model = "anthropic.claude-sonnet-4-5-20250929-v1:0"
    fake_anthropic.reply(message(model=bedrock_model))
    factory = anthropic.AsyncAnthropicBedrock if is_async else anthropic.AnthropicBedrock
    client = make_client(
        fake_anthropic,
        factory,
        aws_region="us-east-1",
        aws_access_key="AKIDEXAMPLE",
        aws_secret_key="dummy-secret",
    )

    await Api(client).create(model=bedrock_model)

    assert fake_anthropic.requests[-1].url.path == f"/model/{bedrock_model}/invoke"
    assert (
        "AWS4-HMAC-SHA256" in fake_anthropic.requests[-1].headers["authorization"]
    )  # signed with the dummies
    span = telemetry.span()
    assert span.name == f"chat {bedrock_model}"
    found = attributes(span)
    assert found["gen_ai.provider.name"] == "aws.bedrock"
    assert (found["server.address"], found["server.port"]) == ("bedrock-runtime.us-east-1.amazonaws.com", 443)
    assert found["gen_ai.response.model"] == bedrock_model
    assert found["gen_ai.usage.input_tokens"] == 165


@pytest.mark.parametrize("is_async", [False, True], ids=["sync", "async"])
async def test_vertex_client_is_provider_gcp_vertex_ai(telemetry, fake_anthropic, is_async):
    fake_anthropic.reply(message())
    factory = anthropic.AsyncAnthropicVertex if is_async else anthropic.AnthropicVertex
    client = make_client(
        fake_anthropic, factory, region="us-east5", project_id="my-project", access_token="dummy-token"
    )

    await Api(client).create()

    assert fake_anthropic.requests[-1].url.path.endswith(f"/models/{MODEL}:rawPredict")
    assert fake_anthropic.requests[-1].headers["authorization"] == "Bearer dummy-token"
    found = attributes(telemetry.span())
    assert found["gen_ai.provider.name"] == "gcp.vertex_ai"
    assert (found["server.address"], found["server.port"]) == ("us-east5-aiplatform.googleapis.com", 443)
    assert found["gen_ai.request.model"] == MODEL


def test_anthropic_client_behind_a_gateway_stays_anthropic(telemetry, fake_anthropic):
    fake_anthropic.reply(message())
    client = make_client(fake_anthropic, base_url="http://llm-gateway.internal:8080")

    client.messages.create(model=MODEL, max_tokens=10, messages=MESSAGES)

    found = attributes(telemetry.span())
    assert found["gen_ai.provider.name"] == "anthropic"
    assert (found["server.address"], found["server.port"]) == ("llm-gateway.internal", 8080)


# === errors ================================================================================================


@pytest.mark.parametrize(
    ("status", "kind", "error_class"),
    [
        (400, "invalid_request_error", anthropic.BadRequestError),
        (401, "authentication_error", anthropic.AuthenticationError),
        (429, "rate_limit_error", anthropic.RateLimitError),
        (500, "api_error", anthropic.InternalServerError),
        (529, "overloaded_error", anthropic.APIStatusError),
    ],
)
async def test_http_error(telemetry, anthropic_api, fake_anthropic, status, kind, error_class):
    fake_anthropic.reply(error_body(kind, "prompt is too long: 250000 tokens"), status=status)

    with pytest.raises(error_class) as caught:
        await anthropic_api.create()

    span = telemetry.span()
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes["error.type"] == kind
    assert "prompt is too long" not in (span.status.description or "")  # error text is content
    duration = points(telemetry, "gen_ai.client.operation.duration")
    assert [p.attributes["error.type"] for p in duration] == [kind]
    assert caught.value.status_code == status


async def test_the_clients_exception_object_propagates(telemetry, anthropic_api, fake_anthropic, failures):
    fake_anthropic.reply(error_body("overloaded_error", "Overloaded"), status=529)

    with pytest.raises(anthropic.APIStatusError) as caught:
        await anthropic_api.create()

    assert failures == [caught.value]


async def test_rate_limit_retried_by_the_sdk_is_one_span(telemetry, fake_anthropic):
    fake_anthropic.reply(error_body("rate_limit_error"), status=429, headers={"retry-after-ms": "1"})
    fake_anthropic.reply(error_body("overloaded_error"), status=529, headers={"retry-after-ms": "1"})
    fake_anthropic.reply(message())
    client = make_client(fake_anthropic, max_retries=2)

    client.messages.create(model=MODEL, max_tokens=10, messages=MESSAGES)

    assert len(fake_anthropic.requests) == 3
    span = telemetry.span()
    assert span.status.status_code is not StatusCode.ERROR
    assert span.attributes["gen_ai.response.id"] == MESSAGE_ID
    assert sum(p.count for p in points(telemetry, "gen_ai.client.operation.duration")) == 1


async def test_retries_exhausted_is_one_failed_span(telemetry, fake_anthropic):
    fake_anthropic.reply(error_body("rate_limit_error"), status=429, headers={"retry-after-ms": "1"})
    client = make_client(fake_anthropic, max_retries=1)

    with pytest.raises(anthropic.RateLimitError):
        client.messages.create(model=MODEL, max_tokens=10, messages=MESSAGES)

    assert len(fake_anthropic.requests) == 2
    assert telemetry.span().attributes["error.type"] == "rate_limit_error"


async def test_connection_error_is_the_exception_type(telemetry, anthropic_api, fake_anthropic):
    fake_anthropic.reply(error=anthropic_http_error())

    with pytest.raises(anthropic.APIConnectionError):
        await anthropic_api.create()

    assert telemetry.span().attributes["error.type"] == "APIConnectionError"


def anthropic_http_error() -> BaseException:
    from helpers.anthropic_fakes import anthropic_http

    return anthropic_http().ConnectError("connection refused")


# === the host application comes first ======================================================================


async def test_broken_response_reader_does_not_affect_the_call(
    telemetry, anthropic_api, fake_anthropic, monkeypatch
):
    def broken(*args: Any) -> None:
        raise RuntimeError("reader bug")

    monkeypatch.setattr(anthropic_instrumentation._MessagesReader, "read", broken)
    fake_anthropic.reply(message())

    response = await anthropic_api.create()

    assert response.id == MESSAGE_ID
    assert telemetry.span().attributes["gen_ai.request.model"] == MODEL


async def test_broken_request_reader_calls_uninstrumented(
    telemetry, anthropic_api, fake_anthropic, monkeypatch
):
    def broken(*args: Any) -> None:
        raise RuntimeError("reader bug")

    monkeypatch.setattr(anthropic_instrumentation._MessagesReader, "build", broken)
    fake_anthropic.reply(message())

    response = await anthropic_api.create()

    assert response.id == MESSAGE_ID
    assert telemetry.spans() == []


async def test_broken_content_reader_keeps_the_span(
    content_telemetry, anthropic_api, fake_anthropic, monkeypatch
):
    def broken(*args: Any) -> None:
        raise RuntimeError("content bug")

    monkeypatch.setattr(anthropic_instrumentation, "input_messages", broken)
    fake_anthropic.reply(message())

    await anthropic_api.create()

    span = content_telemetry.span()
    assert span.attributes["gen_ai.response.id"] == MESSAGE_ID
    assert "gen_ai.input.messages" not in span.attributes


async def test_suppressed_instrumentation_emits_nothing(telemetry, anthropic_api, fake_anthropic):
    from opentelemetry.instrumentation.utils import suppress_instrumentation

    fake_anthropic.reply(message())
    with suppress_instrumentation():
        await anthropic_api.create()

    assert telemetry.spans() == []


def test_uninstrument_restores_the_sdk(make_telemetry, fake_anthropic):
    make_telemetry()
    for resource in (anthropic.resources.messages, anthropic.resources.beta.messages):
        for cls in (resource.Messages, resource.AsyncMessages):
            for method in ("create", "stream", "parse"):
                if method in cls.__dict__:  # what the installed release has
                    assert isinstance(cls.__dict__[method], wrapt.FunctionWrapper), (cls, method)

    otel_genai.uninstrument()

    for resource in (anthropic.resources.messages, anthropic.resources.beta.messages):
        for cls in (resource.Messages, resource.AsyncMessages):
            for method in ("create", "stream", "parse"):
                assert not isinstance(cls.__dict__.get(method), wrapt.FunctionWrapper), (cls, method)
    import anthropic._base_client as base_client

    assert not isinstance(getattr(base_client, "start_api_call_span", None), wrapt.FunctionWrapper)
    fake_anthropic.reply(message())
    make_client(fake_anthropic).messages.create(model=MODEL, max_tokens=10, messages=MESSAGES)


# === conformance ===========================================================================================


async def test_conforms_plain_call_without_content(telemetry, anthropic_api, fake_anthropic):
    fake_anthropic.reply(message())
    await anthropic_api.create()
    assert_conforms(telemetry, operation="chat", content=False)


async def test_conforms_tool_call_with_content(content_telemetry, anthropic_api, fake_anthropic):
    fake_anthropic.reply(
        message([thinking_block("hmm"), tool_use_block("toolu_1", "get_weather", {"city": "Paris"})])
    )
    await anthropic_api.create(system="Be brief.", tools=[WEATHER_TOOL, WEB_SEARCH_TOOL])
    assert_conforms(content_telemetry, operation="chat", content=True)


async def test_conforms_error(telemetry, anthropic_api, fake_anthropic):
    fake_anthropic.reply(error_body("rate_limit_error"), status=429)
    with pytest.raises(anthropic.RateLimitError):
        await anthropic_api.create()
    assert_conforms(telemetry, operation="chat", failed=True, error_type="rate_limit_error", content=False)


async def test_conforms_stream(content_telemetry, anthropic_api, fake_anthropic):
    from helpers.anthropic_fakes import sse, stream_events

    fake_anthropic.reply(stream=sse(stream_events()))
    await anthropic_api.helper("final_message")
    assert_conforms(content_telemetry, operation="chat", content=True, stream=True)
