"""Mistral AI on the real ``mistralai`` SDK: chat (complete and stream), fim, embeddings, tool calls,
content, errors, sync and async, and the SDK's own tracing (one span per call, ours).

Only the SDK's HTTP is local (``helpers.mistralai_fakes``: a ``MockTransport`` given as ``client=`` /
``async_client=``); request building, hooks, SSE decoding, response parsing and errors are the SDK's own.
Attribute names are spelled out literally so that these tests check the conventions, not our constants.
"""

from __future__ import annotations

import gc
import importlib
from typing import Any

import pytest
from opentelemetry import trace
from opentelemetry.instrumentation.utils import suppress_instrumentation
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode
from opentelemetry.util._once import Once

import otel_genai
from helpers.api import END, breaking_body
from helpers.conformance import assert_conforms
from helpers.mistralai_fakes import (
    EMBED_MODEL,
    EMBEDDING_ID,
    FIM_MODEL,
    MESSAGES,
    MODEL,
    RESPONSE_ID,
    RESPONSE_MODEL,
    SERVER,
    STREAM_ID,
    TOOL_CALL_ID,
    Api,
    FakeMistral,
    chat_completion,
    chunk,
    delta,
    embeddings,
    error_body,
    errors_module,
    make_client,
    mistral_http,
    sdk_module,
    sse,
    text_chunks,
    tool_call,
    tool_call_chunks,
    usage,
)
from helpers.telemetry import attributes, ended_once, points, span_content

BASE_ATTRIBUTES = {
    "gen_ai.operation.name": "chat",
    "gen_ai.provider.name": "mistral_ai",
    "gen_ai.request.model": MODEL,
    "server.address": SERVER[0],
    "server.port": SERVER[1],
}
RESPONSE_ATTRIBUTES = {
    "gen_ai.response.id": RESPONSE_ID,
    "gen_ai.response.model": RESPONSE_MODEL,
    "gen_ai.response.finish_reasons": ("stop",),
    "gen_ai.usage.input_tokens": 16,
    "gen_ai.usage.output_tokens": 34,
}
CONTENT_ATTRIBUTES = (
    "gen_ai.input.messages",
    "gen_ai.output.messages",
    "gen_ai.system_instructions",
    "gen_ai.tool.definitions",
)
WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather for a city.",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}
SDK_SCOPE = "mistralai_sdk_tracer"


@pytest.fixture
def fake_mistral() -> FakeMistral:
    return FakeMistral()


@pytest.fixture(params=["sync", "async"])
def mistral_api(request: pytest.FixtureRequest, fake_mistral: FakeMistral) -> Api:
    return Api(make_client(fake_mistral), is_async=request.param == "async")


def stream_classes() -> tuple[type, type]:
    streaming = sdk_module("utils.eventstreaming")
    return streaming.EventStream, streaming.EventStreamAsync


def text_of(event: Any) -> str:
    content = event.data.choices[0].delta.content if event.data.choices else None
    return content if isinstance(content, str) else ""


# === chat ==================================================================================================


async def test_plain_call_span_name_kind_and_attributes(telemetry, mistral_api, fake_mistral):
    fake_mistral.reply(chat_completion())

    response = await mistral_api.complete()

    assert type(response).__name__ == "ChatCompletionResponse"
    assert response.choices[0].message.content == "Comté is a fine choice."
    span = telemetry.span()
    assert span.name == f"chat {MODEL}"
    assert span.kind is SpanKind.CLIENT
    assert span.status.status_code is not StatusCode.ERROR
    found = attributes(span)
    assert found.items() >= {**BASE_ATTRIBUTES, **RESPONSE_ATTRIBUTES}.items()
    assert "gen_ai.request.stream" not in found
    assert not [key for key in CONTENT_ATTRIBUTES if key in found]


async def test_request_parameters(telemetry, mistral_api, fake_mistral):
    fake_mistral.reply(chat_completion())

    await mistral_api.complete(
        temperature=0.3,
        top_p=0.9,
        max_tokens=256,
        random_seed=42,
        stop=["\n\n", "END"],
        presence_penalty=0.5,
        frequency_penalty=0.25,
        n=2,
        safe_prompt=True,
    )

    found = attributes(telemetry.span())
    sent = fake_mistral.request_json()
    assert (sent["random_seed"], sent["n"], sent["safe_prompt"]) == (42, 2, True)  # what the SDK sent
    assert found["gen_ai.request.temperature"] == 0.3
    assert found["gen_ai.request.top_p"] == 0.9
    assert found["gen_ai.request.max_tokens"] == 256
    assert found["gen_ai.request.seed"] == 42
    assert found["gen_ai.request.stop_sequences"] == ("\n\n", "END")
    assert found["gen_ai.request.presence_penalty"] == 0.5
    assert found["gen_ai.request.frequency_penalty"] == 0.25
    assert found["gen_ai.request.choice.count"] == 2
    assert found["mistral_ai.request.safe_prompt"] is True


async def test_a_single_stop_string_and_integer_temperature(telemetry, mistral_api, fake_mistral):
    fake_mistral.reply(chat_completion())

    await mistral_api.complete(stop="END", temperature=1)

    found = attributes(telemetry.span())
    assert found["gen_ai.request.stop_sequences"] == ("END",)
    assert found["gen_ai.request.temperature"] == 1.0
    assert isinstance(found["gen_ai.request.temperature"], float)
    assert "mistral_ai.request.safe_prompt" not in found


@pytest.mark.parametrize(
    ("response_format", "output_type"),
    [
        ({"type": "json_object"}, "json"),
        (
            {
                "type": "json_schema",
                "json_schema": {"name": "cheese", "schema_definition": {"type": "object"}, "strict": True},
            },
            "json",
        ),
        ({"type": "text"}, "text"),
    ],
)
async def test_response_format_is_the_output_type(
    telemetry, mistral_api, fake_mistral, response_format, output_type
):
    fake_mistral.reply(chat_completion('{"name": "Comté"}'))

    await mistral_api.complete(response_format=response_format)

    assert attributes(telemetry.span())["gen_ai.output.type"] == output_type


def test_parse_with_a_pydantic_model_is_json(telemetry, fake_mistral):
    from pydantic import BaseModel

    class Cheese(BaseModel):
        name: str

    client = make_client(fake_mistral)
    if not hasattr(client.chat, "parse"):
        pytest.skip("chat.parse is not in this mistralai release")
    fake_mistral.reply(chat_completion('{"name": "Comté"}'))

    parsed = client.chat.parse(response_format=Cheese, model=MODEL, messages=MESSAGES)

    assert parsed.choices[0].message.parsed == Cheese(name="Comté")
    assert attributes(telemetry.span())["gen_ai.output.type"] == "json"


async def test_cached_tokens_are_part_of_the_input(telemetry, mistral_api, fake_mistral):
    fake_mistral.reply(chat_completion(usage_body=usage(prompt=1013, completion=12, cached=1008)))

    await mistral_api.complete()

    found = attributes(telemetry.span())
    assert found["gen_ai.usage.input_tokens"] == 1013
    assert found["gen_ai.usage.cache_read.input_tokens"] == 1008
    assert found["gen_ai.usage.output_tokens"] == 12


async def test_token_and_duration_metrics(telemetry, mistral_api, fake_mistral):
    fake_mistral.reply(chat_completion())

    await mistral_api.complete()

    tokens = {
        p.attributes["gen_ai.token.type"]: p.sum for p in points(telemetry, "gen_ai.client.token.usage")
    }
    assert tokens == {"input": 16, "output": 34}
    (duration,) = points(telemetry, "gen_ai.client.operation.duration")
    assert duration.attributes["gen_ai.provider.name"] == "mistral_ai"
    assert duration.attributes["server.address"] == SERVER[0]


async def test_model_length_finish_reason_is_kept_and_mapped(content_telemetry, mistral_api, fake_mistral):
    fake_mistral.reply(chat_completion("Comté is", finish_reason="model_length"))

    await mistral_api.complete()

    span = content_telemetry.span()
    assert attributes(span)["gen_ai.response.finish_reasons"] == ("model_length",)
    assert span_content(span, "gen_ai.output.messages")[0]["finish_reason"] == "length"


async def test_span_is_a_child_of_the_current_span(telemetry, mistral_api, fake_mistral):
    fake_mistral.reply(chat_completion())
    tracer = telemetry.tracer_provider.get_tracer("app")

    with tracer.start_as_current_span("request") as parent:
        await mistral_api.complete()

    (ours,) = [s for s in telemetry.spans() if s.name != "request"]
    assert ours.parent is not None and ours.parent.span_id == parent.get_span_context().span_id


# === servers ===============================================================================================


def test_server_url_of_the_client(telemetry, fake_mistral):
    client = make_client(fake_mistral, server_url="http://mistral.internal:8080/")
    fake_mistral.reply(chat_completion())

    client.chat.complete(model=MODEL, messages=MESSAGES)

    found = attributes(telemetry.span())
    assert (found["server.address"], found["server.port"]) == ("mistral.internal", 8080)
    assert str(fake_mistral.requests[-1].url).startswith("http://mistral.internal:8080/")


def test_named_server_and_a_call_s_own_server_url(telemetry, fake_mistral):
    client = make_client(fake_mistral, server="eu")
    fake_mistral.reply(chat_completion())

    client.chat.complete(model=MODEL, messages=MESSAGES)
    client.chat.complete(model=MODEL, messages=MESSAGES, server_url="https://llm.example.com")

    first, second = telemetry.spans()
    assert (attributes(first)["server.address"], attributes(first)["server.port"]) == (
        "api.eu.mistral.ai",
        443,
    )
    assert (attributes(second)["server.address"], attributes(second)["server.port"]) == (
        "llm.example.com",
        443,
    )
    assert fake_mistral.requests[-1].url.host == "llm.example.com"


# === tools and content =====================================================================================


@pytest.mark.parametrize("arguments", ['{"city": "Paris"}', {"city": "Paris"}], ids=["string", "object"])
async def test_tool_calls_are_visible_without_content(telemetry, mistral_api, fake_mistral, arguments):
    call = tool_call(TOOL_CALL_ID, "get_weather", {"city": "Paris"})
    call["function"]["arguments"] = arguments
    fake_mistral.reply(chat_completion("", tool_calls=[call], finish_reason="tool_calls"))

    response = await mistral_api.complete(tools=[WEATHER_TOOL], tool_choice="any")

    assert response.choices[0].message.tool_calls[0].id == TOOL_CALL_ID
    found = attributes(telemetry.span())
    assert found["gen_ai.response.finish_reasons"] == ("tool_calls",)
    assert found["otel_genai.response.tool_call.count"] == 1
    assert found["otel_genai.response.tool_call.names"] == ("get_weather",)
    assert found["otel_genai.response.tool_call.ids"] == (TOOL_CALL_ID,)
    assert "otel_genai.tool.definitions.fingerprint" in found
    assert not [key for key in CONTENT_ATTRIBUTES if key in found]


@pytest.mark.parametrize("arguments", ['{"city": "Paris"}', {"city": "Paris"}], ids=["string", "object"])
async def test_tool_round_trip_content_keeps_the_ids(
    content_telemetry, mistral_api, fake_mistral, validate_schema, arguments
):
    fake_mistral.reply(chat_completion("It is sunny in Paris."))
    call = tool_call(TOOL_CALL_ID, "get_weather", {"city": "Paris"})
    call["function"]["arguments"] = arguments
    messages = [
        {"role": "system", "content": "You are a weather bot."},
        {"role": "user", "content": "Weather in Paris?"},
        {"role": "assistant", "content": "", "tool_calls": [call]},
        {"role": "tool", "name": "get_weather", "tool_call_id": TOOL_CALL_ID, "content": '{"sky": "sunny"}'},
    ]

    await mistral_api.complete(messages=messages, tools=[WEATHER_TOOL])

    span = content_telemetry.span()
    inputs = span_content(span, "gen_ai.input.messages")
    validate_schema("gen-ai-input-messages", inputs)
    assert [m["role"] for m in inputs] == ["system", "user", "assistant", "tool"]
    assert inputs[0]["parts"] == [{"type": "text", "content": "You are a weather bot."}]
    assert inputs[2]["parts"] == [
        {"type": "tool_call", "id": TOOL_CALL_ID, "name": "get_weather", "arguments": {"city": "Paris"}}
    ]
    assert inputs[3]["parts"] == [
        {"type": "tool_call_response", "id": TOOL_CALL_ID, "response": '{"sky": "sunny"}'}
    ]
    outputs = span_content(span, "gen_ai.output.messages")
    validate_schema("gen-ai-output-messages", outputs)
    assert outputs == [
        {
            "role": "assistant",
            "parts": [{"type": "text", "content": "It is sunny in Paris."}],
            "finish_reason": "stop",
        }
    ]
    assert span_content(span, "gen_ai.tool.definitions") == [{"type": "function", "name": "get_weather"}]
    assert "otel_genai.prompt.fingerprint" in attributes(span)


async def test_tool_call_output_content(content_telemetry, mistral_api, fake_mistral, validate_schema):
    call = tool_call(TOOL_CALL_ID, "get_weather", {"city": "Paris"})
    fake_mistral.reply(chat_completion("", tool_calls=[call], finish_reason="tool_calls"))

    await mistral_api.complete(tools=[WEATHER_TOOL])

    outputs = span_content(content_telemetry.span(), "gen_ai.output.messages")
    validate_schema("gen-ai-output-messages", outputs)
    assert outputs == [
        {
            "role": "assistant",
            "parts": [
                {
                    "type": "tool_call",
                    "id": TOOL_CALL_ID,
                    "name": "get_weather",
                    "arguments": {"city": "Paris"},
                }
            ],
            "finish_reason": "tool_call",
        }
    ]


async def test_tool_definition_details_when_asked_for(make_telemetry, mistral_api, fake_mistral, monkeypatch):
    monkeypatch.setenv("OTEL_GENAI_CAPTURE_TOOL_DEFINITION_DETAILS", "true")
    telemetry = make_telemetry(capture_content=True)
    fake_mistral.reply(chat_completion())

    await mistral_api.complete(tools=[WEATHER_TOOL])

    (definition,) = span_content(telemetry.span(), "gen_ai.tool.definitions")
    assert definition == {
        "type": "function",
        "name": "get_weather",
        "description": WEATHER_TOOL["function"]["description"],
        "parameters": WEATHER_TOOL["function"]["parameters"],
    }


async def test_multimodal_input_and_reasoning_output(
    content_telemetry, mistral_api, fake_mistral, validate_schema
):
    answer = [
        {"type": "thinking", "thinking": [{"type": "text", "text": "Soft cheese, washed rind."}]},
        {"type": "text", "text": "It is a Munster."},
    ]
    fake_mistral.reply(chat_completion(answer))
    messages = [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "Which cheese is this?"},
                {"type": "image_url", "image_url": "https://example.com/cheese.png"},
                {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}},
                {"type": "document_url", "document_url": "https://example.com/menu.pdf"},
            ],
        }
    ]

    await mistral_api.complete(messages=messages)

    span = content_telemetry.span()
    (message,) = span_content(span, "gen_ai.input.messages")
    validate_schema("gen-ai-input-messages", [message])
    assert message["parts"] == [
        {"type": "text", "content": "Which cheese is this?"},
        {"type": "uri", "modality": "image", "uri": "https://example.com/cheese.png"},
        {"type": "blob", "modality": "image", "mime_type": "image/png", "content": "iVBORw0KGgo="},
        {"type": "uri", "modality": "document", "uri": "https://example.com/menu.pdf"},
    ]
    (output,) = span_content(span, "gen_ai.output.messages")
    validate_schema("gen-ai-output-messages", [output])
    assert output["parts"] == [
        {"type": "reasoning", "content": "Soft cheese, washed rind."},
        {"type": "text", "content": "It is a Munster."},
    ]


async def test_typed_messages_of_the_sdk(content_telemetry, mistral_api, fake_mistral):
    models = sdk_module("models")
    fake_mistral.reply(chat_completion())
    messages = [models.SystemMessage(content="Be brief."), models.UserMessage(content="Best cheese?")]

    await mistral_api.complete(messages=messages)

    inputs = span_content(content_telemetry.span(), "gen_ai.input.messages")
    assert inputs == [
        {"role": "system", "parts": [{"type": "text", "content": "Be brief."}]},
        {"role": "user", "parts": [{"type": "text", "content": "Best cheese?"}]},
    ]


@pytest.mark.parametrize(
    ("mode", "on_span", "on_event"),
    [
        ("NO_CONTENT", False, False),
        ("SPAN_ONLY", True, False),
        ("EVENT_ONLY", False, True),
        ("SPAN_AND_EVENT", True, True),
    ],
)
async def test_capture_modes(make_telemetry, mistral_api, fake_mistral, mode, on_span, on_event):
    telemetry = make_telemetry(capture_content=mode)
    fake_mistral.reply(chat_completion())

    await mistral_api.complete()

    found = attributes(telemetry.span())
    assert ("gen_ai.input.messages" in found) is on_span
    assert ("gen_ai.output.messages" in found) is on_span
    events = [
        log
        for log in telemetry.logs()
        if log.log_record.event_name == "gen_ai.client.inference.operation.details"
    ]
    assert bool(events) is on_event
    if on_event:
        assert "gen_ai.input.messages" in (events[0].log_record.attributes or {})


# === streams ===============================================================================================


async def test_stream_consumed_fully(content_telemetry, mistral_api, fake_mistral, validate_schema):
    fake_mistral.reply(stream=sse(text_chunks(["Comté ", "is ", "great."])))

    stream = await mistral_api.stream(temperature=0.2)

    assert isinstance(stream, stream_classes()[1 if mistral_api.is_async else 0])
    assert content_telemetry.spans() == []  # open until consumed
    text = "".join(text_of(event) for event in await mistral_api.drain(stream))
    assert text == "Comté is great."
    span = ended_once(content_telemetry)
    found = attributes(span)
    assert (
        found.items()
        >= {
            **BASE_ATTRIBUTES,
            "gen_ai.request.stream": True,
            "gen_ai.request.temperature": 0.2,
            "gen_ai.response.id": STREAM_ID,
            "gen_ai.response.model": RESPONSE_MODEL,
            "gen_ai.response.finish_reasons": ("stop",),
            "gen_ai.usage.input_tokens": 16,
            "gen_ai.usage.output_tokens": 34,
        }.items()
    )
    assert found["gen_ai.response.time_to_first_chunk"] > 0
    outputs = span_content(span, "gen_ai.output.messages")
    validate_schema("gen-ai-output-messages", outputs)
    assert outputs == [
        {
            "role": "assistant",
            "parts": [{"type": "text", "content": "Comté is great."}],
            "finish_reason": "stop",
        }
    ]
    assert points(content_telemetry, "gen_ai.client.operation.time_to_first_chunk")
    assert points(content_telemetry, "gen_ai.client.operation.time_per_output_chunk")


async def test_stream_tool_call_without_content(telemetry, mistral_api, fake_mistral):
    fake_mistral.reply(stream=sse(tool_call_chunks(TOOL_CALL_ID, "get_weather", {"city": "Paris"})))

    stream = await mistral_api.stream(tools=[WEATHER_TOOL])
    await mistral_api.drain(stream)

    found = attributes(ended_once(telemetry))
    assert found["gen_ai.response.finish_reasons"] == ("tool_calls",)
    assert found["otel_genai.response.tool_call.ids"] == (TOOL_CALL_ID,)
    assert found["otel_genai.response.tool_call.names"] == ("get_weather",)
    assert "gen_ai.output.messages" not in found


async def test_stream_tool_call_content(content_telemetry, mistral_api, fake_mistral, validate_schema):
    fake_mistral.reply(stream=sse(tool_call_chunks(TOOL_CALL_ID, "get_weather", {"city": "Paris"})))

    await mistral_api.drain(await mistral_api.stream(tools=[WEATHER_TOOL]))

    outputs = span_content(ended_once(content_telemetry), "gen_ai.output.messages")
    validate_schema("gen-ai-output-messages", outputs)
    assert outputs == [
        {
            "role": "assistant",
            "parts": [
                {
                    "type": "tool_call",
                    "id": TOOL_CALL_ID,
                    "name": "get_weather",
                    "arguments": {"city": "Paris"},
                }
            ],
            "finish_reason": "tool_call",
        }
    ]


async def test_stream_with_reasoning_chunks(content_telemetry, mistral_api, fake_mistral):
    thinking = [{"type": "thinking", "thinking": [{"type": "text", "text": "Hmm, cheese."}]}]
    chunks = [
        chunk([delta(thinking, role="assistant")]),
        chunk([delta([{"type": "text", "text": "Comté."}])]),
        chunk([delta("", finish_reason="stop")], usage_body=usage()),
    ]
    fake_mistral.reply(stream=sse(chunks))

    await mistral_api.drain(await mistral_api.stream())

    (output,) = span_content(ended_once(content_telemetry), "gen_ai.output.messages")
    assert output["parts"] == [
        {"type": "reasoning", "content": "Hmm, cheese."},
        {"type": "text", "content": "Comté."},
    ]


async def test_stream_as_a_context_manager(telemetry, mistral_api, fake_mistral):
    fake_mistral.reply(stream=sse(text_chunks(["Comté."])))
    stream = await mistral_api.stream()

    if mistral_api.is_async:
        async with stream as events:
            assert events is stream
            async for _ in events:
                pass
    else:
        with stream as events:
            assert events is stream
            for _ in events:
                pass

    ended_once(telemetry)


async def test_stream_left_early_in_a_with_block_ends_the_span(telemetry, mistral_api, fake_mistral):
    fake_mistral.reply(stream=sse(text_chunks(["Comté ", "is ", "great."])))
    stream = await mistral_api.stream()

    if mistral_api.is_async:
        async with stream:
            await anext(stream)
    else:
        with stream:
            next(stream)

    span = ended_once(telemetry)
    assert span.status.status_code is not StatusCode.ERROR
    assert attributes(span)["gen_ai.response.id"] == STREAM_ID


async def test_stream_iterated_with_next(telemetry, mistral_api, fake_mistral):
    fake_mistral.reply(stream=sse(text_chunks(["Comté."])))
    stream = await mistral_api.stream()

    events = []
    while (event := await mistral_api.next(stream)) is not END:
        events.append(event)

    assert len(events) == 3
    assert attributes(ended_once(telemetry))["gen_ai.usage.output_tokens"] == 34


async def test_stream_read_partly_then_closed(telemetry, mistral_api, fake_mistral):
    if not hasattr(stream_classes()[0], "close"):
        pytest.skip("EventStream.close is new in mistralai 2.10 (before, a with block closes it)")
    fake_mistral.reply(stream=sse(text_chunks(["Comté ", "is ", "great."])))
    stream = await mistral_api.stream()

    await mistral_api.next(stream)
    await mistral_api.close(stream)
    await mistral_api.close(stream)  # closing twice ends it once

    span = ended_once(telemetry)
    assert "gen_ai.usage.input_tokens" not in attributes(span)  # the usage comes last


def test_sync_stream_loop_break_ends_the_span_at_once(telemetry, fake_mistral):
    fake_mistral.reply(stream=sse(text_chunks(["Comté ", "is ", "great."])))
    stream = make_client(fake_mistral).chat.stream(model=MODEL, messages=MESSAGES)

    for _ in stream:
        break

    ended_once(telemetry)


async def test_abandoned_stream_ends_the_span_exactly_once(telemetry, mistral_api, fake_mistral):
    fake_mistral.reply(stream=sse(text_chunks(["Comté ", "is ", "great."])))
    stream = await mistral_api.stream()
    await mistral_api.next(stream)

    del stream
    gc.collect()

    ended_once(telemetry)


async def test_stream_broken_midway(telemetry, mistral_api, fake_mistral):
    head = sse(text_chunks(["Comté "])[:2], done=False)
    error = mistral_http().ReadError("connection reset")
    fake_mistral.reply(stream=breaking_body(mistral_api.is_async, head, error))
    stream = await mistral_api.stream()

    received: list[Any] = []
    with pytest.raises(type(error)) as raised:
        await mistral_api.drain(stream, received)

    assert raised.value is error
    assert len(received) == 2
    span = ended_once(telemetry)
    assert span.status.status_code is StatusCode.ERROR
    assert attributes(span)["error.type"] == "ReadError"


async def test_stream_refused_before_it_starts(telemetry, mistral_api, fake_mistral):
    fake_mistral.reply(error_body("Invalid model: nope", "invalid_model", "1500"), status=400)

    with pytest.raises(errors_module().SDKError):
        await mistral_api.stream(model="nope")

    span = ended_once(telemetry)
    assert span.status.status_code is StatusCode.ERROR
    assert attributes(span)["error.type"] == "invalid_model"
    assert attributes(span)["gen_ai.request.stream"] is True


# === fim ===================================================================================================


async def test_fim_complete_is_a_text_completion(content_telemetry, mistral_api, fake_mistral):
    fake_mistral.reply(chat_completion("return a + b", model=FIM_MODEL))

    await mistral_api.fim(prompt="def add(a, b):\n    ", suffix="\n\nprint(add(1, 2))", max_tokens=64)

    span = content_telemetry.span()
    assert span.name == f"text_completion {FIM_MODEL}"
    found = attributes(span)
    assert found["gen_ai.operation.name"] == "text_completion"
    assert found["gen_ai.request.max_tokens"] == 64
    assert found["gen_ai.response.model"] == FIM_MODEL
    assert span_content(span, "gen_ai.input.messages") == [
        {"role": "user", "parts": [{"type": "text", "content": "def add(a, b):\n    "}]}
    ]
    assert span_content(span, "gen_ai.output.messages")[0]["parts"] == [
        {"type": "text", "content": "return a + b"}
    ]


async def test_fim_stream(telemetry, mistral_api, fake_mistral):
    fake_mistral.reply(stream=sse(text_chunks(["return ", "a + b"])))

    stream = await mistral_api.fim_stream(prompt="def add(a, b):\n    ")
    await mistral_api.drain(stream)

    span = ended_once(telemetry)
    assert span.name == f"text_completion {FIM_MODEL}"
    assert attributes(span)["gen_ai.request.stream"] is True
    assert attributes(span)["gen_ai.usage.output_tokens"] == 34


# === embeddings ============================================================================================


async def test_embeddings(telemetry, mistral_api, fake_mistral):
    fake_mistral.reply(embeddings(count=2, dimensions=8, prompt_tokens=11))

    response = await mistral_api.embed(inputs=["Comté", "Beaufort"])

    assert len(response.data) == 2
    span = telemetry.span()
    assert span.name == f"embeddings {EMBED_MODEL}"
    assert span.kind is SpanKind.CLIENT
    found = attributes(span)
    assert (
        found.items()
        >= {
            "gen_ai.operation.name": "embeddings",
            "gen_ai.provider.name": "mistral_ai",
            "gen_ai.request.model": EMBED_MODEL,
            "gen_ai.response.model": EMBED_MODEL,
            "gen_ai.usage.input_tokens": 11,
            "gen_ai.embeddings.dimension.count": 8,
            "server.address": SERVER[0],
            "server.port": SERVER[1],
        }.items()
    )
    assert found.get("gen_ai.response.id", EMBEDDING_ID) == EMBEDDING_ID
    assert_conforms(telemetry, operation="embeddings")


async def test_embeddings_requested_dimension_and_encoding(telemetry, mistral_api, fake_mistral):
    if "output_dimension" not in sdk_module("embeddings").Embeddings.create.__code__.co_varnames:
        pytest.skip("output_dimension is not in this mistralai release")
    fake_mistral.reply(embeddings(dimensions=256))

    await mistral_api.embed(inputs="Comté", output_dimension=256, encoding_format="float")

    found = attributes(telemetry.span())
    assert found["gen_ai.embeddings.dimension.count"] == 256
    assert found["gen_ai.request.encoding_formats"] == ("float",)


# === errors ================================================================================================


@pytest.mark.parametrize(
    ("status", "body", "error_type"),
    [
        (429, error_body("Requests rate limit exceeded", "rate_limited", "1300"), "rate_limited"),
        (401, {"message": "Unauthorized", "request_id": "d5f1"}, "401"),
        (503, "upstream connect error", "503"),
    ],
)
async def test_http_error(telemetry, mistral_api, fake_mistral, failures, status, body, error_type):
    fake_mistral.reply(body, status=status)

    with pytest.raises(errors_module().SDKError) as raised:
        await mistral_api.complete()

    assert raised.value.status_code == status
    assert failures == [raised.value]  # the SDK's own exception object, re-raised as it is
    span = ended_once(telemetry)
    assert span.status.status_code is StatusCode.ERROR
    assert attributes(span)["error.type"] == error_type


async def test_validation_error(telemetry, mistral_api, fake_mistral):
    body = {"detail": [{"type": "missing", "loc": ["body", "model"], "msg": "Field required", "input": {}}]}
    fake_mistral.reply(body, status=422)

    with pytest.raises(errors_module().HTTPValidationError):
        await mistral_api.complete()

    assert attributes(ended_once(telemetry))["error.type"] == "422"


async def test_connection_error_is_the_exception_type(telemetry, mistral_api, fake_mistral):
    error = mistral_http().ConnectError("no route to host")

    def refuse(request: Any) -> Any:
        raise error

    api = Api(make_client(refuse), is_async=mistral_api.is_async)  # type: ignore[arg-type]
    with pytest.raises(type(error)) as raised:
        await api.complete()

    assert raised.value is error
    assert attributes(ended_once(telemetry))["error.type"] == "ConnectError"


# === the host application comes first ======================================================================


async def test_broken_response_reader_does_not_affect_the_call(
    telemetry, mistral_api, fake_mistral, monkeypatch
):
    from otel_genai.instrumentation import mistralai as instrumentation

    def broken(*args: Any) -> None:
        raise RuntimeError("reader bug")

    monkeypatch.setattr(instrumentation, "_read_response", broken)
    fake_mistral.reply(chat_completion())

    response = await mistral_api.complete()

    assert response.id == RESPONSE_ID
    span = ended_once(telemetry)
    assert attributes(span)["gen_ai.request.model"] == MODEL


async def test_broken_request_reader_calls_uninstrumented(telemetry, mistral_api, fake_mistral, monkeypatch):
    from otel_genai.instrumentation import mistralai as instrumentation

    def broken(*args: Any) -> Any:
        raise RuntimeError("reader bug")

    monkeypatch.setattr(instrumentation, "_output_type", broken)
    fake_mistral.reply(chat_completion())

    response = await mistral_api.complete()

    assert response.id == RESPONSE_ID
    assert telemetry.spans() == []


async def test_suppressed_instrumentation_emits_nothing(telemetry, mistral_api, fake_mistral):
    fake_mistral.reply(chat_completion())

    with suppress_instrumentation():
        await mistral_api.complete()

    assert telemetry.spans() == []


def test_uninstrument_restores_the_sdk(make_telemetry, fake_mistral):
    chat_class = sdk_module("chat").Chat
    original = chat_class.__dict__["complete"]
    telemetry = make_telemetry()
    assert chat_class.__dict__["complete"] is not original

    otel_genai.uninstrument()

    assert chat_class.__dict__["complete"] is original
    fake_mistral.reply(chat_completion())
    make_client(fake_mistral).chat.complete(model=MODEL, messages=MESSAGES)
    assert telemetry.spans() == []


# === conformance ===========================================================================================


async def test_conforms_plain_call_without_content(telemetry, mistral_api, fake_mistral):
    fake_mistral.reply(chat_completion())
    await mistral_api.complete()
    assert_conforms(telemetry, operation="chat", content=False)


async def test_conforms_tool_call_with_content(content_telemetry, mistral_api, fake_mistral):
    call = tool_call(TOOL_CALL_ID, "get_weather", {"city": "Paris"})
    fake_mistral.reply(chat_completion("", tool_calls=[call], finish_reason="tool_calls"))
    await mistral_api.complete(tools=[WEATHER_TOOL])
    assert_conforms(content_telemetry, operation="chat", content=True)


async def test_conforms_error(telemetry, mistral_api, fake_mistral):
    fake_mistral.reply(error_body("Requests rate limit exceeded", "rate_limited", "1300"), status=429)
    with pytest.raises(errors_module().SDKError):
        await mistral_api.complete()
    assert_conforms(telemetry, operation="chat", failed=True, error_type="rate_limited")


async def test_conforms_stream(content_telemetry, mistral_api, fake_mistral):
    fake_mistral.reply(stream=sse(text_chunks(["Comté ", "is ", "great."])))
    await mistral_api.drain(await mistral_api.stream())
    assert_conforms(content_telemetry, operation="chat", content=True, stream=True)


# === the SDK's own tracing =================================================================================


def sdk_traces_itself() -> bool:
    try:
        importlib.import_module(f"{sdk_module('chat').__name__.rsplit('.', 1)[0]}._hooks.tracing")
    except ImportError:
        return False
    return True


needs_sdk_tracing = pytest.mark.skipif(
    not sdk_traces_itself(), reason="the SDK traces itself from mistralai 1.12 (its TracingHook)"
)


@pytest.fixture
def sdk_tracing(monkeypatch: pytest.MonkeyPatch) -> Any:
    """``sdk_tracing(provider)``: the SDK's own tracing on, into ``provider``, as an application turns it on:
    the global tracer provider (from 3.x also ``MISTRAL_SDK_TELEMETRY=global``)."""

    def turn_on(provider: TracerProvider) -> TracerProvider:
        monkeypatch.setenv("MISTRAL_SDK_TELEMETRY", "global")
        monkeypatch.setattr(trace, "_TRACER_PROVIDER_SET_ONCE", Once())
        monkeypatch.setattr(trace, "_TRACER_PROVIDER", None)
        trace.set_tracer_provider(provider)
        return provider

    return turn_on


def other_provider() -> tuple[TracerProvider, InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider, exporter


@needs_sdk_tracing
def test_the_sdk_traces_itself_without_us(sdk_tracing, fake_mistral):
    """The set-up below really turns the SDK's tracing on: without our instrumentation it makes a span."""
    provider, exporter = other_provider()
    sdk_tracing(provider)
    fake_mistral.reply(chat_completion())

    make_client(fake_mistral).chat.complete(model=MODEL, messages=MESSAGES)

    (span,) = exporter.get_finished_spans()
    assert span.instrumentation_scope.name == SDK_SCOPE
    assert "traceparent" in fake_mistral.requests[-1].headers


@needs_sdk_tracing
async def test_with_the_sdk_tracing_a_call_is_one_span_ours(
    make_telemetry, sdk_tracing, mistral_api, fake_mistral
):
    telemetry = make_telemetry()
    sdk_tracing(telemetry.tracer_provider)
    fake_mistral.reply(chat_completion())

    await mistral_api.complete()

    span = telemetry.span()
    assert span.instrumentation_scope.name != SDK_SCOPE
    assert span.name == f"chat {MODEL}"
    # the trace context the SDK would have sent with its span goes with ours
    context = span.get_span_context()
    traceparent = fake_mistral.requests[-1].headers["traceparent"]
    assert traceparent.split("-")[1:3] == [f"{context.trace_id:032x}", f"{context.span_id:016x}"]


@needs_sdk_tracing
async def test_with_the_sdk_tracing_a_stream_is_one_span_ours(
    make_telemetry, sdk_tracing, mistral_api, fake_mistral
):
    telemetry = make_telemetry()
    sdk_tracing(telemetry.tracer_provider)
    fake_mistral.reply(stream=sse(text_chunks(["Comté."])))

    await mistral_api.drain(await mistral_api.stream())

    span = ended_once(telemetry)
    assert span.instrumentation_scope.name != SDK_SCOPE
    assert attributes(span)["gen_ai.usage.output_tokens"] == 34


@needs_sdk_tracing
async def test_with_the_sdk_tracing_a_failure_is_one_span_ours(
    make_telemetry, sdk_tracing, mistral_api, fake_mistral
):
    telemetry = make_telemetry()
    sdk_tracing(telemetry.tracer_provider)
    fake_mistral.reply(error_body("Requests rate limit exceeded", "rate_limited", "1300"), status=429)

    with pytest.raises(errors_module().SDKError):
        await mistral_api.complete()

    span = ended_once(telemetry)
    assert span.instrumentation_scope.name != SDK_SCOPE
    assert attributes(span)["error.type"] == "rate_limited"


@needs_sdk_tracing
def test_calls_we_do_not_trace_keep_the_sdks_span(make_telemetry, sdk_tracing, fake_mistral):
    telemetry = make_telemetry()
    sdk_tracing(telemetry.tracer_provider)
    fake_mistral.reply(chat_completion())
    client = make_client(fake_mistral)

    with suppress_instrumentation():
        client.chat.complete(model=MODEL, messages=MESSAGES)

    assert {s.instrumentation_scope.name for s in telemetry.spans()} == {SDK_SCOPE}


@needs_sdk_tracing
def test_under_a_routing_librarys_span_the_sdk_makes_none(make_telemetry, sdk_tracing, fake_mistral):
    """A routing library (LiteLLM) whose span owns the call: neither we nor the SDK add one."""
    from otel_genai._setup import active_handler
    from otel_genai.telemetry.records import Inference

    telemetry = make_telemetry()
    sdk_tracing(telemetry.tracer_provider)
    handler = active_handler()
    owner = Inference(operation="chat", provider="mistral_ai", request_model=f"mistral/{MODEL}")
    fake_mistral.reply(chat_completion())

    token = handler.start(owner)
    try:
        with handler.owning(owner):
            make_client(fake_mistral).chat.complete(model=MODEL, messages=MESSAGES)
        context = owner.span.get_span_context()  # type: ignore[union-attr]
    finally:
        handler.detach(token)
        handler.finish(owner)

    (span,) = telemetry.spans()
    assert span.attributes["gen_ai.request.model"] == f"mistral/{MODEL}"
    traceparent = fake_mistral.requests[-1].headers["traceparent"]
    assert traceparent.split("-")[1:3] == [f"{context.trace_id:032x}", f"{context.span_id:016x}"]


@needs_sdk_tracing
def test_after_uninstrument_the_sdk_traces_again(make_telemetry, sdk_tracing, fake_mistral):
    telemetry = make_telemetry()
    sdk_tracing(telemetry.tracer_provider)
    otel_genai.uninstrument()
    fake_mistral.reply(chat_completion())

    make_client(fake_mistral).chat.complete(model=MODEL, messages=MESSAGES)

    (span,) = telemetry.spans()
    assert span.instrumentation_scope.name == SDK_SCOPE


def test_the_sdks_own_provider_keeps_its_span(make_telemetry, fake_mistral):
    """3.x ``configure_telemetry(client, "dedicated")``: the SDK's provider exports to Mistral, never to the
    application's backend; the application chose it, so that span stays (a child of ours)."""
    try:
        from mistralai.extra.observability import telemetry as sdk_telemetry
    except ImportError:
        pytest.skip("the SDK-owned telemetry provider is new in mistralai 2.x")
    attach = getattr(sdk_telemetry, "_attach_telemetry_provider", None)
    if attach is None:
        pytest.skip("the SDK-owned telemetry provider is new in mistralai 2.x")
    telemetry = make_telemetry()
    mistral_provider, mistral_exporter = other_provider()  # stands for the exporter to Mistral
    client = make_client(fake_mistral)
    hook = sdk_telemetry._get_tracing_hook(client.sdk_configuration._hooks)
    attach(hook, mistral_provider, client)  # what configure_telemetry(client, "dedicated") ends with
    fake_mistral.reply(chat_completion())

    client.chat.complete(model=MODEL, messages=MESSAGES)

    ours = telemetry.span()
    (theirs,) = mistral_exporter.get_finished_spans()
    assert theirs.instrumentation_scope.name == SDK_SCOPE
    assert theirs.parent is not None and theirs.parent.span_id == ours.get_span_context().span_id


def test_the_request_is_sent_as_the_sdk_built_it(telemetry, fake_mistral):
    fake_mistral.reply(chat_completion())

    make_client(fake_mistral).chat.complete(model=MODEL, messages=MESSAGES, temperature=0.5)

    sent = fake_mistral.request_json()
    assert (sent["model"], sent["messages"], sent["temperature"]) == (MODEL, MESSAGES, 0.5)
    assert "traceparent" not in fake_mistral.requests[-1].headers  # nothing of ours travels without the SDK's
