"""AWS Bedrock on real boto3 clients: ``converse``, ``converse_stream``, the ``invoke_model`` call path,
errors with botocore's retries, the ``_make_api_call`` hook (non-Bedrock calls untouched, clients made before
``instrument()``, uninstrument, instrumented on import).

Only the socket is local (``helpers.bedrock_fakes``, botocore's ``before-send`` event); request
serialisation, retries, the event-stream decoder and the error classes are botocore's. The model families'
own ``invoke_model`` JSON is tested with ``_bedrock_models``; here only the call path around it. Attribute
names are spelled out literally so these tests check the conventions, not our constants.
"""

from __future__ import annotations

import base64
import gc
import json
from typing import Any

import botocore.client
import botocore.eventstream
import pytest
import urllib3.exceptions
from botocore.exceptions import ClientError, EventStreamError, ResponseStreamingError
from botocore.response import StreamingBody
from opentelemetry.instrumentation.utils import suppress_instrumentation
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import SpanKind, StatusCode

import otel_genai
from helpers.bedrock_fakes import (
    CLAUDE,
    CLAUDE_PROFILE,
    NOVA,
    FakeBedrock,
    chunk_message,
    converse_response,
    converse_stream_messages,
    event_message,
    exception_message,
    needs_member,
    needs_operation,
    no_retry_sleep,
)
from helpers.conformance import assert_conforms
from helpers.telemetry import attributes, ended_once, points, reader_attributes
from otel_genai.instrumentation import bedrock as bedrock_instrumentation

HOST = "bedrock-runtime.us-east-1.amazonaws.com"
MESSAGES = [{"role": "user", "content": [{"text": "Say hello."}]}]
DURATION = "gen_ai.client.operation.duration"
TOKEN_USAGE = "gen_ai.client.token.usage"
TIME_TO_FIRST_CHUNK = "gen_ai.client.operation.time_to_first_chunk"
BASE_ATTRIBUTES = {
    "gen_ai.operation.name": "chat",
    "gen_ai.provider.name": "aws.bedrock",
    "gen_ai.request.model": CLAUDE,
    "server.address": HOST,
    "server.port": 443,
}
RESPONSE_ATTRIBUTES = {
    "gen_ai.response.finish_reasons": ("end_turn",),
    "gen_ai.usage.input_tokens": 21,
    "gen_ai.usage.output_tokens": 9,
    "aws.request_id": "req-0001",
}
WEATHER_TOOL = {
    "toolSpec": {
        "name": "get_weather",
        "description": "Current weather for a city.",
        "inputSchema": {
            "json": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
        },
    }
}
RUNTIME = "bedrock-runtime"
needs_guardrail_config = needs_member(RUNTIME, "ConverseRequest", "guardrailConfig")
needs_cache_usage = needs_member(RUNTIME, "TokenUsage", "cacheReadInputTokens")
needs_cache_points = needs_member(RUNTIME, "ContentBlock", "cachePoint")
needs_video = needs_member(RUNTIME, "ContentBlock", "video")
needs_reasoning = needs_member(RUNTIME, "ContentBlock", "reasoningContent")
PNG = b"\x89PNG\r\n\x1a\n-not-really-an-image"
# the tool_call part of the ``toolUse`` tooluse_1 (get_weather for Paris), as content carries it
PARIS_WEATHER_CALL = {
    "type": "tool_call",
    "id": "tooluse_1",
    "name": "get_weather",
    "arguments": {"city": "Paris"},
}


@pytest.fixture
def runtime(fake_bedrock: FakeBedrock) -> Any:
    """A real ``bedrock-runtime`` client, made before ``instrument()`` runs (the telemetry fixtures come
    after it in each test's arguments)."""
    return fake_bedrock.client("bedrock-runtime")


def content(span: ReadableSpan, name: str) -> Any:
    return json.loads(span.attributes[name])


def _raise(*args: Any, **kwargs: Any) -> Any:
    raise RuntimeError("instrumentation bug")


def converse(client: Any, **kwargs: Any) -> Any:
    kwargs.setdefault("modelId", CLAUDE)
    kwargs.setdefault("messages", MESSAGES)
    return client.converse(**kwargs)


def converse_stream(client: Any, **kwargs: Any) -> Any:
    kwargs.setdefault("modelId", CLAUDE)
    kwargs.setdefault("messages", MESSAGES)
    return client.converse_stream(**kwargs)


# === converse ======================================================================================


def test_plain_converse_span_name_kind_and_exact_attributes(runtime, telemetry, fake_bedrock):
    fake_bedrock.reply_json(converse_response())

    response = converse(runtime)

    assert response["output"]["message"]["content"] == [{"text": "Hello! How can I help?"}]
    span = ended_once(telemetry)
    assert span.name == f"chat {CLAUDE}"
    assert span.kind is SpanKind.CLIENT
    assert reader_attributes(span) == {**BASE_ATTRIBUTES, **RESPONSE_ATTRIBUTES}
    assert "gen_ai.response.id" not in span.attributes  # Converse has no response id; the request id is aws's


@needs_guardrail_config
def test_request_parameters(runtime, telemetry, fake_bedrock):
    fake_bedrock.reply_json(converse_response())

    converse(
        runtime,
        inferenceConfig={"maxTokens": 512, "temperature": 1, "topP": 0.9, "stopSequences": ["END", "STOP"]},
        additionalModelRequestFields={"top_k": 40},
        guardrailConfig={"guardrailIdentifier": "gr-abc123", "guardrailVersion": "1"},
    )

    span = attributes(ended_once(telemetry))
    assert span["gen_ai.request.max_tokens"] == 512
    assert span["gen_ai.request.temperature"] == 1.0 and isinstance(span["gen_ai.request.temperature"], float)
    assert span["gen_ai.request.top_p"] == 0.9
    assert span["gen_ai.request.stop_sequences"] == ("END", "STOP")
    assert span["gen_ai.request.top_k"] == 40
    assert span["aws.bedrock.guardrail.id"] == "gr-abc123"


@pytest.mark.parametrize(
    "extra",
    [{"inferenceConfig": {"topK": 20}}, {"topK": 20}, {"top_k": 20}],
    ids=["nova", "camel", "anthropic"],
)
def test_top_k_from_additional_model_request_fields(runtime, telemetry, fake_bedrock, extra):
    fake_bedrock.reply_json(converse_response())

    converse(runtime, modelId=NOVA, additionalModelRequestFields=extra)

    assert attributes(ended_once(telemetry))["gen_ai.request.top_k"] == 20


@pytest.mark.parametrize(
    "model_id",
    [
        CLAUDE_PROFILE,
        "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-3-7-sonnet-20250219-v1:0",
        "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3d4e5f6",
    ],
    ids=["profile", "profile-arn", "application-profile-arn"],
)
def test_model_ids_are_kept_as_given(runtime, telemetry, fake_bedrock, model_id):
    fake_bedrock.reply_json(converse_response())

    converse(runtime, modelId=model_id)

    span = ended_once(telemetry)
    assert span.attributes["gen_ai.request.model"] == model_id
    assert span.name == f"chat {model_id}"
    assert "gen_ai.response.model" not in span.attributes  # Bedrock does not say which model answered


@needs_cache_usage
def test_usage_counts_the_prompt_cache_in_input_tokens(runtime, telemetry, fake_bedrock):
    """Bedrock's inputTokens leave out cache reads and writes; the semconv input count includes them."""
    usage = {
        "inputTokens": 4,
        "outputTokens": 299,
        "totalTokens": 1375,
        "cacheReadInputTokens": 50,
        "cacheWriteInputTokens": 1022,
    }
    fake_bedrock.reply_json(converse_response(usage=usage))

    converse(runtime)

    span = attributes(ended_once(telemetry))
    assert span["gen_ai.usage.input_tokens"] == 4 + 50 + 1022
    assert span["gen_ai.usage.output_tokens"] == 299
    assert span["gen_ai.usage.cache_read.input_tokens"] == 50
    assert span["gen_ai.usage.cache_write.input_tokens"] == 1022
    by_type = {p.attributes["gen_ai.token.type"]: p.sum for p in points(telemetry, TOKEN_USAGE)}
    assert by_type == {"input": 1076, "output": 299}


def test_tool_calls_are_visible_without_content(runtime, telemetry, fake_bedrock):
    fake_bedrock.reply_json(
        converse_response(
            [
                {"text": "Let me check."},
                {"toolUse": {"toolUseId": "tooluse_1", "name": "get_weather", "input": {"city": "Paris"}}},
                {"toolUse": {"toolUseId": "tooluse_2", "name": "get_time", "input": {"tz": "CET"}}},
            ],
            stop_reason="tool_use",
        )
    )

    converse(runtime, toolConfig={"tools": [WEATHER_TOOL]})

    span = attributes(ended_once(telemetry))
    assert span["gen_ai.response.finish_reasons"] == ("tool_use",)
    assert span["otel_genai.response.tool_call.count"] == 2
    assert span["otel_genai.response.tool_call.names"] == ("get_weather", "get_time")
    assert span["otel_genai.response.tool_call.ids"] == ("tooluse_1", "tooluse_2")
    assert not any(key.startswith(("gen_ai.input", "gen_ai.output", "gen_ai.tool.def")) for key in span)


@needs_cache_points
def test_tool_round_trip_content(runtime, content_telemetry, fake_bedrock, validate_schema):
    fake_bedrock.reply_json(converse_response([{"text": "It is 18°C in Paris."}]))
    messages = [
        {"role": "user", "content": [{"text": "Weather in Paris?"}]},
        {
            "role": "assistant",
            "content": [
                {"toolUse": {"toolUseId": "tooluse_1", "name": "get_weather", "input": {"city": "Paris"}}}
            ],
        },
        {
            "role": "user",
            "content": [
                {
                    "toolResult": {
                        "toolUseId": "tooluse_1",
                        "content": [{"json": {"celsius": 18}}],
                        "status": "success",
                    }
                }
            ],
        },
    ]

    converse(
        runtime,
        messages=messages,
        system=[{"text": "You are terse."}, {"cachePoint": {"type": "default"}}],
        toolConfig={"tools": [WEATHER_TOOL, {"cachePoint": {"type": "default"}}]},
    )

    span = ended_once(content_telemetry)
    inputs = content(span, "gen_ai.input.messages")
    validate_schema("gen-ai-input-messages", inputs)
    assert inputs == [
        {"role": "user", "parts": [{"type": "text", "content": "Weather in Paris?"}]},
        {
            "role": "assistant",
            "parts": [PARIS_WEATHER_CALL],
        },
        {
            "role": "user",
            "parts": [{"type": "tool_call_response", "id": "tooluse_1", "response": {"celsius": 18}}],
        },
    ]
    assert content(span, "gen_ai.system_instructions") == [{"type": "text", "content": "You are terse."}]
    validate_schema("gen-ai-system-instructions", content(span, "gen_ai.system_instructions"))
    assert content(span, "gen_ai.tool.definitions") == [{"type": "function", "name": "get_weather"}]
    outputs = content(span, "gen_ai.output.messages")
    validate_schema("gen-ai-output-messages", outputs)
    assert outputs == [
        {
            "role": "assistant",
            "parts": [{"type": "text", "content": "It is 18°C in Paris."}],
            "finish_reason": "stop",
        }
    ]


def test_tool_definition_details_when_asked_for(
    runtime, make_telemetry, fake_bedrock, monkeypatch, validate_schema
):
    monkeypatch.setenv("OTEL_GENAI_CAPTURE_TOOL_DEFINITION_DETAILS", "true")
    telemetry = make_telemetry(capture_content=True)
    fake_bedrock.reply_json(converse_response())

    converse(runtime, toolConfig={"tools": [WEATHER_TOOL]})

    definitions = content(ended_once(telemetry), "gen_ai.tool.definitions")
    validate_schema("gen-ai-tool-definitions", definitions)
    assert definitions == [
        {
            "type": "function",
            "name": "get_weather",
            "description": "Current weather for a city.",
            "parameters": WEATHER_TOOL["toolSpec"]["inputSchema"]["json"],
        }
    ]


def test_output_tool_calls_with_content(runtime, content_telemetry, fake_bedrock, validate_schema):
    use = {"toolUseId": "tooluse_1", "name": "get_weather", "input": {"city": "Paris"}}
    fake_bedrock.reply_json(converse_response([{"toolUse": use}], stop_reason="tool_use"))

    converse(runtime, toolConfig={"tools": [WEATHER_TOOL]})

    outputs = content(ended_once(content_telemetry), "gen_ai.output.messages")
    validate_schema("gen-ai-output-messages", outputs)
    assert outputs == [
        {
            "role": "assistant",
            "parts": [PARIS_WEATHER_CALL],
            "finish_reason": "tool_call",
        }
    ]


@needs_video
def test_multimodal_input(runtime, content_telemetry, fake_bedrock, validate_schema):
    fake_bedrock.reply_json(converse_response())
    messages = [
        {
            "role": "user",
            "content": [
                {"text": "What is in these?"},
                {"image": {"format": "png", "source": {"bytes": PNG}}},
                {"document": {"format": "pdf", "name": "invoice", "source": {"bytes": b"%PDF-1.7"}}},
                {"video": {"format": "mp4", "source": {"s3Location": {"uri": "s3://media/clip.mp4"}}}},
            ],
        }
    ]

    converse(runtime, messages=messages)

    inputs = content(ended_once(content_telemetry), "gen_ai.input.messages")
    validate_schema("gen-ai-input-messages", inputs)
    assert inputs[0]["parts"] == [
        {"type": "text", "content": "What is in these?"},
        {
            "type": "blob",
            "modality": "image",
            "mime_type": "image/png",
            "content": base64.b64encode(PNG).decode(),
        },
        {
            "type": "blob",
            "modality": "document",
            "mime_type": "application/pdf",
            "content": base64.b64encode(b"%PDF-1.7").decode(),
        },
        {"type": "uri", "modality": "video", "uri": "s3://media/clip.mp4"},
    ]
    # the application's request went out as botocore serialises it (the bytes base64-encoded once)
    sent = fake_bedrock.requests[0].json()["messages"][0]["content"][1]["image"]["source"]["bytes"]
    assert base64.b64decode(sent) == PNG


@needs_reasoning
def test_reasoning_content_is_a_reasoning_part(runtime, content_telemetry, fake_bedrock, validate_schema):
    fake_bedrock.reply_json(
        converse_response(
            [
                {"reasoningContent": {"reasoningText": {"text": "The user greets me.", "signature": "sig"}}},
                {"reasoningContent": {"redactedContent": base64.b64encode(b"opaque").decode()}},
                {"text": "Hello!"},
            ]
        )
    )

    converse(runtime, additionalModelRequestFields={"thinking": {"type": "enabled", "budget_tokens": 1024}})

    outputs = content(ended_once(content_telemetry), "gen_ai.output.messages")
    validate_schema("gen-ai-output-messages", outputs)
    assert outputs[0]["parts"] == [
        {"type": "reasoning", "content": "The user greets me."},
        {"type": "reasoning", "content": ""},  # redacted: there, unreadable
        {"type": "text", "content": "Hello!"},
    ]


@pytest.mark.parametrize(
    ("stop_reason", "mapped"),
    [
        ("end_turn", "stop"),
        ("max_tokens", "length"),
        ("stop_sequence", "stop"),
        ("guardrail_intervened", "content_filter"),
        ("content_filtered", "content_filter"),
        ("model_context_window_exceeded", "length"),
    ],
)
def test_stop_reasons(runtime, content_telemetry, fake_bedrock, stop_reason, mapped):
    fake_bedrock.reply_json(converse_response(stop_reason=stop_reason))

    converse(runtime)

    span = ended_once(content_telemetry)
    assert span.attributes["gen_ai.response.finish_reasons"] == (stop_reason,)  # Bedrock's own value
    assert content(span, "gen_ai.output.messages")[0]["finish_reason"] == mapped


def test_no_content_by_default(runtime, telemetry, fake_bedrock):
    fake_bedrock.reply_json(converse_response())

    converse(runtime, system=[{"text": "You are terse."}], toolConfig={"tools": [WEATHER_TOOL]})

    span = attributes(ended_once(telemetry))
    assert not [key for key in span if key.startswith(("gen_ai.input", "gen_ai.output", "gen_ai.system"))]
    assert "gen_ai.tool.definitions" not in span


def test_span_is_a_child_of_the_current_span(runtime, telemetry, fake_bedrock):
    fake_bedrock.reply_json(converse_response())
    tracer = telemetry.tracer_provider.get_tracer("app")

    with tracer.start_as_current_span("handle request") as parent:
        converse(runtime)

    chat = next(s for s in telemetry.spans() if s.name.startswith("chat"))
    assert chat.parent is not None and chat.parent.span_id == parent.get_span_context().span_id


# === converse_stream ===============================================================================


def test_stream_consumed_fully(runtime, content_telemetry, fake_bedrock):
    fake_bedrock.reply_event_stream(converse_stream_messages())

    response = converse_stream(runtime, inferenceConfig={"maxTokens": 100})

    stream = response["stream"]
    assert isinstance(stream, botocore.eventstream.EventStream)
    assert content_telemetry.spans() == []  # the span lasts as long as the stream
    events = list(stream)
    text = "".join(e["contentBlockDelta"]["delta"]["text"] for e in events if "contentBlockDelta" in e)
    assert text == "Hello! How can I help?"
    assert events[-1] == {
        "metadata": {
            "usage": {"inputTokens": 21, "outputTokens": 9, "totalTokens": 30},
            "metrics": {"latencyMs": 380},
        }
    }
    span = ended_once(content_telemetry)
    span_attributes = attributes(span)
    assert span_attributes["gen_ai.request.stream"] is True
    assert span_attributes["gen_ai.request.max_tokens"] == 100
    assert span_attributes["gen_ai.response.finish_reasons"] == ("end_turn",)
    assert span_attributes["gen_ai.usage.input_tokens"] == 21
    assert span_attributes["gen_ai.usage.output_tokens"] == 9
    assert span_attributes["aws.request_id"] == "req-0001"
    assert span_attributes["gen_ai.response.time_to_first_chunk"] >= 0
    assert content(span, "gen_ai.output.messages") == [
        {
            "role": "assistant",
            "parts": [{"type": "text", "content": "Hello! How can I help?"}],
            "finish_reason": "stop",
        }
    ]
    assert len(points(content_telemetry, TIME_TO_FIRST_CHUNK)) == 1


def test_stream_keeps_the_response_dict_and_the_event_stream_surface(runtime, telemetry, fake_bedrock):
    fake_bedrock.reply_event_stream(converse_stream_messages())

    response = converse_stream(runtime)

    assert set(response) == {"ResponseMetadata", "stream"}
    assert response["ResponseMetadata"]["RequestId"] == "req-0001"
    stream = response["stream"]
    assert isinstance(stream, botocore.eventstream.EventStream)
    assert callable(stream.close) and callable(stream.get_initial_response)
    list(stream)
    ended_once(telemetry)


def test_stream_read_partly_then_closed(runtime, content_telemetry, fake_bedrock):
    fake_bedrock.reply_event_stream(converse_stream_messages())
    stream = converse_stream(runtime)["stream"]
    iterator = iter(stream)
    next(iterator)
    next(iterator)

    stream.close()

    assert fake_bedrock.bodies[0].close_count == 1  # botocore's close reached the connection
    span = ended_once(content_telemetry)
    assert span.status.status_code is StatusCode.UNSET
    assert content(span, "gen_ai.output.messages")[0]["parts"] == [{"type": "text", "content": "Hello"}]
    stream.close()
    ended_once(content_telemetry)


def test_stream_loop_break_ends_the_span_at_once(runtime, telemetry, fake_bedrock):
    fake_bedrock.reply_event_stream(converse_stream_messages())
    stream = converse_stream(runtime)["stream"]

    for _event in stream:
        break

    ended_once(telemetry)


def test_stream_resumed_after_a_break_still_gives_every_event(runtime, telemetry, fake_bedrock):
    """An EventStream can be iterated again where it stopped; the application loses nothing."""
    fake_bedrock.reply_event_stream(converse_stream_messages())
    stream = converse_stream(runtime)["stream"]

    first = []
    for event in stream:
        first.append(event)
        break
    rest = list(stream)

    assert len(first) + len(rest) == len(converse_stream_messages())
    ended_once(telemetry)


@pytest.mark.parametrize("events_read", [0, 2])
def test_abandoned_stream_ends_the_span_exactly_once(runtime, telemetry, fake_bedrock, events_read):
    fake_bedrock.reply_event_stream(converse_stream_messages())
    response = converse_stream(runtime)
    iterator = iter(response["stream"])
    for _ in range(events_read):
        next(iterator)
    assert telemetry.spans() == []

    del response, iterator
    gc.collect()

    span = ended_once(telemetry)
    assert span.status.status_code is StatusCode.UNSET
    gc.collect()
    ended_once(telemetry)


def test_stream_broken_midway(runtime, telemetry, fake_bedrock, failures):
    fake_bedrock.reply_event_stream(converse_stream_messages(), broken_after=2)
    stream = converse_stream(runtime)["stream"]

    received: list[Any] = []
    with pytest.raises(urllib3.exceptions.ProtocolError) as raised:
        for event in stream:
            received.append(event)

    assert len(received) == 2
    assert failures == [raised.value]  # the very exception the application got
    span = ended_once(telemetry)
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes["error.type"] == "ProtocolError"
    assert points(telemetry, DURATION)[0].attributes["error.type"] == "ProtocolError"


def test_exception_event_in_the_stream(runtime, telemetry, fake_bedrock, failures):
    failure = exception_message("modelStreamErrorException", "model failed")
    messages = [*converse_stream_messages()[:3], failure]
    fake_bedrock.reply_event_stream(messages)
    stream = converse_stream(runtime)["stream"]

    with pytest.raises(EventStreamError) as raised:
        list(stream)

    assert raised.value.response["Error"]["Code"] == "modelStreamErrorException"
    assert failures == [raised.value]
    span = ended_once(telemetry)
    assert span.attributes["error.type"] == "modelStreamErrorException"


def test_streamed_tool_use_is_assembled(runtime, content_telemetry, fake_bedrock, validate_schema):
    blocks = [
        {"text": ["Checking."]},
        {
            "toolUse": {"toolUseId": "tooluse_9", "name": "get_weather"},
            "input": ['{"ci', 'ty": "Par', 'is"}'],
        },
    ]
    fake_bedrock.reply_event_stream(converse_stream_messages(blocks, stop_reason="tool_use"))

    list(converse_stream(runtime, toolConfig={"tools": [WEATHER_TOOL]})["stream"])

    span = ended_once(content_telemetry)
    assert span.attributes["otel_genai.response.tool_call.ids"] == ("tooluse_9",)
    assert span.attributes["otel_genai.response.tool_call.names"] == ("get_weather",)
    outputs = content(span, "gen_ai.output.messages")
    validate_schema("gen-ai-output-messages", outputs)
    assert outputs[0]["parts"] == [
        {"type": "text", "content": "Checking."},
        {"type": "tool_call", "id": "tooluse_9", "name": "get_weather", "arguments": {"city": "Paris"}},
    ]
    assert outputs[0]["finish_reason"] == "tool_call"


def test_streamed_tool_use_without_content(runtime, telemetry, fake_bedrock):
    blocks = [{"toolUse": {"toolUseId": "tooluse_9", "name": "get_weather"}, "input": ['{"city": "Paris"}']}]
    fake_bedrock.reply_event_stream(converse_stream_messages(blocks, stop_reason="tool_use"))

    list(converse_stream(runtime)["stream"])

    span = attributes(ended_once(telemetry))
    assert span["otel_genai.response.tool_call.ids"] == ("tooluse_9",)
    assert "gen_ai.output.messages" not in span


@needs_reasoning
@needs_cache_usage
def test_streamed_reasoning_and_cache_usage(runtime, content_telemetry, fake_bedrock):
    blocks = [{"reasoning": ["Greeting", " back."], "signature": "sig"}, {"text": ["Hi!"]}]
    usage = {"inputTokens": 3, "outputTokens": 12, "totalTokens": 115, "cacheReadInputTokens": 100}
    fake_bedrock.reply_event_stream(converse_stream_messages(blocks, usage=usage))

    list(converse_stream(runtime)["stream"])

    span = ended_once(content_telemetry)
    assert content(span, "gen_ai.output.messages")[0]["parts"] == [
        {"type": "reasoning", "content": "Greeting back."},
        {"type": "text", "content": "Hi!"},
    ]
    assert span.attributes["gen_ai.usage.input_tokens"] == 103
    assert span.attributes["gen_ai.usage.cache_read.input_tokens"] == 100


# === errors ========================================================================================


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("ValidationException", 400),
        ("AccessDeniedException", 403),
        ("ThrottlingException", 429),
        ("ModelErrorException", 424),
        ("InternalServerException", 500),
    ],
)
def test_client_errors_are_the_same_object_with_the_aws_code(
    runtime, telemetry, fake_bedrock, failures, code, status
):
    fake_bedrock.reply_error(code, "Something about the prompt: say hello.", status)

    with pytest.raises(ClientError) as raised:
        converse(runtime)

    assert type(raised.value) is getattr(runtime.exceptions, code)
    assert failures == [raised.value]
    span = ended_once(telemetry)
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes["error.type"] == code
    assert span.attributes["aws.request_id"] == "req-0001"
    assert "Something about the prompt" not in (span.status.description or "")  # error text is content
    assert points(telemetry, DURATION)[0].attributes["error.type"] == code


def test_an_unmodelled_error_code_is_still_the_error_type(runtime, telemetry, fake_bedrock):
    fake_bedrock.reply_error("ServiceQuotaExceededException", "quota", 400)

    with pytest.raises(ClientError):
        converse(runtime)

    assert ended_once(telemetry).attributes["error.type"] == "ServiceQuotaExceededException"


def test_throttled_then_retried_is_one_span(fake_bedrock, telemetry, monkeypatch):
    no_retry_sleep(monkeypatch)
    client = fake_bedrock.client("bedrock-runtime", retries=3)
    fake_bedrock.reply_error("ThrottlingException", "Too many requests", 429, times=2)
    fake_bedrock.reply_json(converse_response())

    response = converse(client)

    assert response["ResponseMetadata"]["RetryAttempts"] == 2
    assert len(fake_bedrock.requests) == 3
    span = ended_once(telemetry)
    assert span.status.status_code is StatusCode.UNSET
    assert span.attributes["aws.request_id"] == "req-0003"


def test_throttled_until_retries_run_out_is_one_failed_span(fake_bedrock, telemetry, monkeypatch):
    no_retry_sleep(monkeypatch)
    client = fake_bedrock.client("bedrock-runtime", retries=2)
    fake_bedrock.reply_error("ThrottlingException", "Too many requests", 429, times=3)

    with pytest.raises(client.exceptions.ThrottlingException):
        converse(client)

    assert len(fake_bedrock.requests) == 3
    span = ended_once(telemetry)
    assert span.attributes["error.type"] == "ThrottlingException"


def test_stream_request_that_fails_before_any_event(runtime, telemetry, fake_bedrock):
    fake_bedrock.reply_error("ValidationException", "bad", 400)

    with pytest.raises(runtime.exceptions.ValidationException):
        converse_stream(runtime)

    span = ended_once(telemetry)
    assert span.attributes["error.type"] == "ValidationException"
    assert span.attributes["gen_ai.request.stream"] is True


def test_failed_call_keeps_its_input_content(runtime, content_telemetry, fake_bedrock):
    fake_bedrock.reply_error("ValidationException", "bad", 400)

    with pytest.raises(ClientError):
        converse(runtime)

    span = ended_once(content_telemetry)
    assert content(span, "gen_ai.input.messages")[0]["parts"] == [{"type": "text", "content": "Say hello."}]


def test_parameter_validation_error_in_botocore(runtime, telemetry, fake_bedrock):
    """botocore refuses the request before sending it: the same exception, a failed span, nothing sent."""
    from botocore.exceptions import ParamValidationError

    with pytest.raises(ParamValidationError):
        runtime.converse(modelId=CLAUDE, messages="not a list")

    assert fake_bedrock.requests == []
    assert ended_once(telemetry).attributes["error.type"] == "ParamValidationError"


# === invoke_model: the call path (the families' JSON is tested with _bedrock_models) =================

ANTHROPIC_BODY = {
    "anthropic_version": "bedrock-2023-05-31",
    "max_tokens": 256,
    "messages": [{"role": "user", "content": "Say hello."}],
}
ANTHROPIC_ANSWER = {
    "id": "msg_bdrk_01",
    "type": "message",
    "role": "assistant",
    "model": "claude-3-5-sonnet-20240620",
    "content": [{"type": "text", "text": "Hello!"}],
    "stop_reason": "end_turn",
    "stop_sequence": None,
    "usage": {"input_tokens": 12, "output_tokens": 4},
}


def test_invoke_model_body_stays_readable_by_the_application(runtime, telemetry, fake_bedrock):
    fake_bedrock.reply_json(ANTHROPIC_ANSWER)

    response = runtime.invoke_model(modelId=CLAUDE, body=json.dumps(ANTHROPIC_BODY))

    body = response["body"]
    assert type(body) is StreamingBody
    assert json.loads(body.read()) == ANTHROPIC_ANSWER
    assert response["contentType"] == "application/json"
    span = attributes(ended_once(telemetry))
    assert span["gen_ai.response.id"] == "msg_bdrk_01"  # read by the Anthropic family
    assert span["gen_ai.usage.input_tokens"] == 12
    assert span["gen_ai.request.max_tokens"] == 256
    assert span["aws.request_id"] == "req-0001"


def test_invoke_model_body_iterated_in_lines_and_chunks(runtime, telemetry, fake_bedrock):
    fake_bedrock.reply_json(ANTHROPIC_ANSWER)
    response = runtime.invoke_model(modelId=CLAUDE, body=json.dumps(ANTHROPIC_BODY).encode())

    assert b"".join(response["body"].iter_chunks(chunk_size=7)) == json.dumps(ANTHROPIC_ANSWER).encode()
    ended_once(telemetry)


def test_invoke_model_of_an_unknown_family_uses_the_token_headers(runtime, telemetry, fake_bedrock):
    headers = {"X-Amzn-Bedrock-Input-Token-Count": "31", "X-Amzn-Bedrock-Output-Token-Count": "7"}
    fake_bedrock.reply_json({"generated": "text"}, headers=headers)
    model = "acme.unknown-model-v1:0"

    response = runtime.invoke_model(modelId=model, body=b'{"input": "hi"}')

    assert json.loads(response["body"].read()) == {"generated": "text"}
    span = ended_once(telemetry)
    assert span.name == f"chat {model}"
    assert span.attributes["gen_ai.usage.input_tokens"] == 31
    assert span.attributes["gen_ai.usage.output_tokens"] == 7


def test_invoke_model_body_that_fails_to_read(runtime, telemetry, fake_bedrock, failures):
    """The connection breaks while the body is read: the application's own read raises that same exception
    (botocore's ``ResponseStreamingError``), and the span fails with it."""
    fake_bedrock.reply_json(ANTHROPIC_ANSWER, broken=True)

    response = runtime.invoke_model(modelId=CLAUDE, body=json.dumps(ANTHROPIC_BODY))

    body = response["body"]
    assert type(body) is StreamingBody
    with pytest.raises(ResponseStreamingError) as raised:
        body.read()
    assert failures == [raised.value]
    assert ended_once(telemetry).attributes["error.type"] == "ResponseStreamingError"


def test_invoke_model_with_a_file_body_is_not_read(runtime, telemetry, fake_bedrock):
    import io

    fake_bedrock.reply_json(ANTHROPIC_ANSWER)
    body = io.BytesIO(json.dumps(ANTHROPIC_BODY).encode())

    runtime.invoke_model(modelId=CLAUDE, body=body)

    assert fake_bedrock.requests[0].json() == ANTHROPIC_BODY  # botocore sent the whole file
    assert "gen_ai.request.max_tokens" not in ended_once(telemetry).attributes


def test_invoke_model_with_response_stream(runtime, content_telemetry, fake_bedrock):
    chunks = [
        {
            "type": "message_start",
            "message": {**ANTHROPIC_ANSWER, "content": [], "usage": {"input_tokens": 12, "output_tokens": 1}},
        },
        {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
        {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Hel"}},
        {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "lo!"}},
        {"type": "content_block_stop", "index": 0},
        {
            "type": "message_delta",
            "delta": {"stop_reason": "end_turn", "stop_sequence": None},
            "usage": {"output_tokens": 4},
        },
        {
            "type": "message_stop",
            "amazon-bedrock-invocationMetrics": {
                "inputTokenCount": 12,
                "outputTokenCount": 4,
                "invocationLatency": 511,
                "firstByteLatency": 240,
            },
        },
    ]
    fake_bedrock.reply_event_stream([chunk_message(chunk) for chunk in chunks])

    response = runtime.invoke_model_with_response_stream(modelId=CLAUDE, body=json.dumps(ANTHROPIC_BODY))

    assert isinstance(response["body"], botocore.eventstream.EventStream)
    received = [json.loads(event["chunk"]["bytes"]) for event in response["body"]]
    assert received == chunks  # the application's chunks, unchanged
    span = ended_once(content_telemetry)
    assert span.attributes["gen_ai.request.stream"] is True
    assert span.attributes["gen_ai.usage.input_tokens"] == 12
    assert span.attributes["gen_ai.usage.output_tokens"] == 4
    assert content(span, "gen_ai.output.messages")[0]["parts"] == [{"type": "text", "content": "Hello!"}]


def test_invoke_model_stream_of_an_unknown_family_uses_the_invocation_metrics(
    runtime, telemetry, fake_bedrock
):
    metrics = {"inputTokenCount": 5, "outputTokenCount": 2, "invocationLatency": 100, "firstByteLatency": 50}
    fake_bedrock.reply_event_stream(
        [
            chunk_message({"text": "Hi"}),
            chunk_message({"text": "!", "amazon-bedrock-invocationMetrics": metrics}),
        ]
    )

    response = runtime.invoke_model_with_response_stream(modelId="acme.unknown-v1", body=b"{}")
    list(response["body"])

    span = attributes(ended_once(telemetry))
    assert span["gen_ai.usage.input_tokens"] == 5
    assert span["gen_ai.usage.output_tokens"] == 2


def test_invoke_model_stream_closed_early(runtime, telemetry, fake_bedrock):
    fake_bedrock.reply_event_stream(
        [chunk_message({"type": "message_start"}), chunk_message({"type": "ping"})]
    )
    body = runtime.invoke_model_with_response_stream(modelId=CLAUDE, body=json.dumps(ANTHROPIC_BODY))["body"]

    next(iter(body))
    body.close()

    assert fake_bedrock.bodies[0].close_count == 1
    ended_once(telemetry)


def test_invoke_model_error(runtime, telemetry, fake_bedrock):
    fake_bedrock.reply_error("ModelTimeoutException", "timed out", 408)

    with pytest.raises(runtime.exceptions.ModelTimeoutException):
        runtime.invoke_model(modelId=CLAUDE, body=json.dumps(ANTHROPIC_BODY))

    assert ended_once(telemetry).attributes["error.type"] == "ModelTimeoutException"


# === robustness ====================================================================================


def test_broken_response_reader_does_not_affect_the_call(runtime, telemetry, fake_bedrock, monkeypatch):
    monkeypatch.setattr(bedrock_instrumentation._ConverseReader, "read", _raise)
    fake_bedrock.reply_json(converse_response())

    response = converse(runtime)

    assert response["stopReason"] == "end_turn"
    assert reader_attributes(ended_once(telemetry)) == {**BASE_ATTRIBUTES, "aws.request_id": "req-0001"}


def test_broken_chunk_reader_does_not_affect_the_stream(runtime, telemetry, fake_bedrock, monkeypatch):
    monkeypatch.setattr(bedrock_instrumentation._ConverseStreamAccumulator, "on_chunk", _raise)
    fake_bedrock.reply_event_stream(converse_stream_messages())

    events = list(converse_stream(runtime)["stream"])

    assert len(events) == len(converse_stream_messages())
    ended_once(telemetry)


def test_broken_request_reader_calls_uninstrumented(runtime, telemetry, fake_bedrock, monkeypatch):
    monkeypatch.setattr(bedrock_instrumentation._ConverseReader, "build", _raise)
    fake_bedrock.reply_json(converse_response())

    assert converse(runtime)["stopReason"] == "end_turn"
    assert telemetry.spans() == []


def test_broken_error_reader_keeps_the_error(runtime, telemetry, fake_bedrock, monkeypatch):
    monkeypatch.setattr(bedrock_instrumentation._ConverseReader, "on_error", _raise)
    fake_bedrock.reply_error("ValidationException", "bad", 400)

    with pytest.raises(runtime.exceptions.ValidationException):
        converse(runtime)

    assert ended_once(telemetry).status.status_code is StatusCode.ERROR


def test_suppressed_instrumentation_emits_nothing(runtime, telemetry, fake_bedrock):
    fake_bedrock.reply_json(converse_response())

    with suppress_instrumentation():
        converse(runtime)

    assert telemetry.spans() == []


# === the hook ======================================================================================


def test_other_aws_calls_pass_through_untraced(fake_bedrock, telemetry):
    sts = fake_bedrock.client("sts")
    fake_bedrock.reply_json(
        b"<GetCallerIdentityResponse><GetCallerIdentityResult><Arn>arn:aws:iam::123456789012:user/dev</Arn>"
        b"<UserId>AIDA</UserId><Account>123456789012</Account></GetCallerIdentityResult>"
        b"<ResponseMetadata><RequestId>r1</RequestId></ResponseMetadata></GetCallerIdentityResponse>",
        headers={"Content-Type": "text/xml"},
    )

    identity = sts.get_caller_identity()

    assert identity["Account"] == "123456789012"
    assert telemetry.spans() == []


@needs_operation(RUNTIME, "ApplyGuardrail")
def test_bedrock_operations_we_do_not_read_pass_through(runtime, telemetry, fake_bedrock):
    fake_bedrock.reply_json({"action": "NONE", "outputs": [], "assessments": [], "usage": {}})

    runtime.apply_guardrail(
        guardrailIdentifier="gr-1", guardrailVersion="1", source="INPUT", content=[{"text": {"text": "hi"}}]
    )

    assert telemetry.spans() == []


def test_client_created_after_instrument_is_traced(fake_bedrock, telemetry):
    client = fake_bedrock.client("bedrock-runtime")
    fake_bedrock.reply_json(converse_response())

    converse(client)

    ended_once(telemetry)


def test_endpoint_url_gives_server_address_and_port(fake_bedrock, telemetry):
    client = fake_bedrock.client("bedrock-runtime", endpoint_url="http://127.0.0.1:4566")  # a local gateway
    fake_bedrock.reply_json(converse_response())

    converse(client)

    span = attributes(ended_once(telemetry))
    assert (span["server.address"], span["server.port"]) == ("127.0.0.1", 4566)


def test_uninstrument_restores_botocore(runtime, make_telemetry, fake_bedrock):
    original = vars(botocore.client.BaseClient)["_make_api_call"]
    telemetry = make_telemetry()
    assert vars(botocore.client.BaseClient)["_make_api_call"] is not original

    otel_genai.uninstrument()

    assert vars(botocore.client.BaseClient)["_make_api_call"] is original
    fake_bedrock.reply_json(converse_response())
    fake_bedrock.reply_event_stream(converse_stream_messages())
    converse(runtime)
    stream = converse_stream(runtime)["stream"]
    assert type(stream) is botocore.eventstream.EventStream  # botocore's own object, no proxy
    list(stream)
    assert telemetry.spans() == []


# === the shared conformance checks ==================================================================


def test_conforms_plain_call_without_content(runtime, telemetry, fake_bedrock):
    fake_bedrock.reply_json(converse_response())
    converse(runtime, inferenceConfig={"maxTokens": 50, "temperature": 0, "stopSequences": ["END"]})
    assert_conforms(telemetry, operation="chat", content=False)


def test_conforms_tool_call_with_content(runtime, content_telemetry, fake_bedrock):
    use = {"toolUseId": "tooluse_1", "name": "get_weather", "input": {"city": "Paris"}}
    fake_bedrock.reply_json(converse_response([{"toolUse": use}], stop_reason="tool_use"))
    converse(runtime, system=[{"text": "Be brief."}], toolConfig={"tools": [WEATHER_TOOL]})
    span = assert_conforms(content_telemetry, operation="chat", content=True)
    assert "gen_ai.tool.definitions" in span.attributes


def test_conforms_stream(runtime, content_telemetry, fake_bedrock):
    fake_bedrock.reply_event_stream(converse_stream_messages())
    list(converse_stream(runtime)["stream"])
    assert_conforms(content_telemetry, operation="chat", content=True, stream=True)


def test_conforms_error(runtime, telemetry, fake_bedrock):
    fake_bedrock.reply_error("ThrottlingException", "slow down", 429)
    with pytest.raises(ClientError):
        converse(runtime)
    assert_conforms(telemetry, operation="chat", content=False, failed=True, error_type="ThrottlingException")


def test_stream_event_helper_encodes_what_botocore_decodes():
    """The fake's encoder against botocore's own decoder (prelude, headers, CRCs)."""
    from botocore.eventstream import EventStreamBuffer

    buffer = EventStreamBuffer()
    buffer.add_data(event_message("messageStart", {"role": "assistant"}))
    [message] = list(buffer)
    assert message.headers[":event-type"] == "messageStart"
    assert json.loads(message.payload) == {"role": "assistant"}
