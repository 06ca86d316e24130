"""Groq on the real ``groq`` SDK: ``chat.completions.create`` (plain, streamed, tools, reasoning,
response_format) and ``embeddings.create``, sync and async.

Only the SDK's HTTP is local (``helpers.groq_fakes``: an ``httpx.MockTransport``); request building, SSE
decoding (the SDK's own handling of an error sent inside a stream included), retries and errors are the
SDK's. Attribute and metric names are spelled out literally so that these tests check the conventions.
"""

from __future__ import annotations

import gc
import importlib.util
import inspect
import json
from dataclasses import dataclass
from typing import Any

import groq
import httpx
import pytest
import wrapt
from opentelemetry.instrumentation.utils import suppress_instrumentation
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import SpanKind, StatusCode

import otel_genai
from helpers.api import END, SyncOrAsync, breaking_body
from helpers.conformance import assert_conforms
from helpers.groq_fakes import (
    MODEL,
    REQUEST_ID,
    FakeGroq,
    chat_chunks,
    chat_completion,
    embeddings_body,
    error_body,
    make_client,
    sse,
    sse_error_event,
    tool_call,
    usage,
)
from helpers.telemetry import attributes, ended_once, plain, points, reader_attributes, settle, span_content
from otel_genai.instrumentation import groq as groq_instrumentation
from otel_genai.instrumentation import openai as openai_instrumentation
from otel_genai.telemetry.errors import MESSAGE_NOT_CAPTURED

CHAT = "/chat/completions"
EMBEDDINGS = "/embeddings"
MESSAGES = [{"role": "system", "content": "You are terse."}, {"role": "user", "content": "Say hello."}]
ANSWER = "Hello! How can I help?"
PLAIN_ID = chat_completion()["id"]
STREAM_ID = chat_chunks([])[0]["id"]
DURATION = "gen_ai.client.operation.duration"
TOKEN_USAGE = "gen_ai.client.token.usage"
TIME_TO_FIRST_CHUNK = "gen_ai.client.operation.time_to_first_chunk"
EVENT_NAME = "gen_ai.client.inference.operation.details"
# The SDK raises an error sent inside a stream as ``groq.APIError`` (0.11 on); older ones yield it as a chunk.
STREAM_ERRORS_RAISE = "APIError" in inspect.getsource(groq._streaming.Stream.__stream__)
HAS_EMBEDDINGS = importlib.util.find_spec("groq.resources.embeddings") is not None
needs_embeddings = pytest.mark.skipif(not HAS_EMBEDDINGS, reason="embeddings are new in groq 0.6")
# ``reasoning_format`` and the like are newer than the oldest SDK supported: sent as extra body there
SDK_PARAMETERS = set(inspect.signature(groq.resources.chat.completions.Completions.create).parameters)
PARSED_REASONING: dict[str, Any] = (
    {"reasoning_format": "parsed"}
    if "reasoning_format" in SDK_PARAMETERS
    else {"extra_body": {"reasoning_format": "parsed"}}
)

BASE_ATTRIBUTES = {
    "gen_ai.operation.name": "chat",
    "gen_ai.provider.name": "groq",
    "gen_ai.request.model": MODEL,
    "server.address": "api.groq.com",
    "server.port": 443,
}
TIMINGS = {
    "groq.usage.queue_time": usage()["queue_time"],
    "groq.usage.prompt_time": usage()["prompt_time"],
    "groq.usage.completion_time": usage()["completion_time"],
}
RESPONSE_ATTRIBUTES = {
    "gen_ai.response.model": MODEL,
    "gen_ai.response.id": PLAIN_ID,
    "gen_ai.response.finish_reasons": ("stop",),
    "gen_ai.usage.input_tokens": 18,
    "gen_ai.usage.output_tokens": 42,
    "groq.request.id": REQUEST_ID,
    **TIMINGS,
}
WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather for a city.",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}
TOOL_CALL_DELTAS = [
    {"index": 0, "id": "call_w", "type": "function", "function": {"name": "get_weather", "arguments": ""}},
    {"index": 0, "function": {"arguments": '{"city": '}},
    {"index": 0, "function": {"arguments": '"Paris"}'}},
]


@dataclass
class Api(SyncOrAsync):
    """Calls on ``groq.Groq`` or ``groq.AsyncGroq``; tests ``await`` either one."""

    client: Any

    @property
    def is_async(self) -> bool:
        return isinstance(self.client, groq.AsyncGroq)

    @property
    def stream_class(self) -> type:
        return groq.AsyncStream if self.is_async else groq.Stream

    async def create(self, **kwargs: Any) -> Any:
        kwargs.setdefault("model", MODEL)
        kwargs.setdefault("messages", MESSAGES)
        return await self._await(self.client.chat.completions.create(**kwargs))

    async def raw_create(self, **kwargs: Any) -> Any:
        kwargs.setdefault("model", MODEL)
        kwargs.setdefault("messages", MESSAGES)
        return await self._await(self.client.chat.completions.with_raw_response.create(**kwargs))

    async def embed(self, **kwargs: Any) -> Any:
        return await self._await(self.client.embeddings.create(**kwargs))


@pytest.fixture
def fake_groq() -> FakeGroq:
    return FakeGroq()


@pytest.fixture(params=["sync", "async"])
def api(request: pytest.FixtureRequest, fake_groq: FakeGroq) -> Api:
    return Api(make_client(fake_groq, is_async=request.param == "async"))


def text_of(chunks: list[Any]) -> str:
    return "".join(choice.delta.content or "" for chunk in chunks for choice in chunk.choices)


def exception_events(span: ReadableSpan) -> list[dict[str, Any]]:
    return [dict(event.attributes or {}) for event in span.events if event.name == "exception"]


def qualified(error: BaseException) -> str:
    return f"{type(error).__module__}.{type(error).__qualname__}"


def _raise(*args: Any, **kwargs: Any) -> Any:
    raise RuntimeError("instrumentation bug")


# === plain calls ====================================================================================


async def test_plain_call_span_name_kind_and_exact_attributes(telemetry, api, fake_groq):
    fake_groq.reply(CHAT, chat_completion())

    completion = await api.create()

    assert completion.choices[0].message.content == ANSWER
    span = assert_conforms(telemetry, operation="chat", content=False)
    assert span.name == f"chat {MODEL}"
    assert span.kind is SpanKind.CLIENT
    # Groq's own facts, and none of OpenAI's (service tier, fingerprint, api type) though the answer has them
    assert reader_attributes(span) == {**BASE_ATTRIBUTES, **RESPONSE_ATTRIBUTES}
    assert span.status.status_code is StatusCode.UNSET


async def test_request_parameters_become_attributes(telemetry, api, fake_groq):
    fake_groq.reply(CHAT, chat_completion())
    arguments = {name: value for name, (value, _) in PARAMETERS.items() if name in SDK_PARAMETERS}

    await api.create(n=1, **arguments)

    span_attributes = reader_attributes(ended_once(telemetry))
    expected = dict(attribute for name in arguments if (attribute := PARAMETERS[name][1]))
    assert {key: span_attributes.get(key) for key in expected} == expected
    assert "gen_ai.request.choice.count" not in span_attributes  # n=1, the only value Groq takes
    assert not [key for key in span_attributes if key.startswith("openai.")]


SCHEMA = {"name": "greeting", "schema": {"type": "object", "properties": {"text": {"type": "string"}}}}
# argument -> (value, the attribute it becomes); what the installed SDK lacks is not sent
PARAMETERS: dict[str, tuple[Any, tuple[str, Any] | None]] = {
    "temperature": (0, ("gen_ai.request.temperature", 0.0)),
    "top_p": (0.9, ("gen_ai.request.top_p", 0.9)),
    "max_completion_tokens": (256, ("gen_ai.request.max_tokens", 256)),
    "seed": (7, ("gen_ai.request.seed", 7)),
    "stop": (["\n\n"], ("gen_ai.request.stop_sequences", ("\n\n",))),
    "frequency_penalty": (0.5, ("gen_ai.request.frequency_penalty", 0.5)),
    "presence_penalty": (0, ("gen_ai.request.presence_penalty", 0.0)),
    "response_format": ({"type": "json_schema", "json_schema": SCHEMA}, ("gen_ai.output.type", "json")),
    "reasoning_effort": ("low", ("gen_ai.request.reasoning.level", "low")),
    "reasoning_format": ("hidden", ("groq.request.reasoning_format", "hidden")),
    "service_tier": ("flex", None),  # no attribute: openai.request.service_tier is not Groq's
}


async def test_json_object_response_format_and_max_tokens(telemetry, api, fake_groq):
    fake_groq.reply(CHAT, chat_completion('{"text": "hi"}'))

    await api.create(response_format={"type": "json_object"}, max_tokens=64)

    span_attributes = attributes(ended_once(telemetry))
    assert span_attributes["gen_ai.output.type"] == "json"
    assert span_attributes["gen_ai.request.max_tokens"] == 64


@pytest.mark.parametrize("is_async", [False, True], ids=["sync", "async"])
async def test_server_comes_from_the_clients_base_url(telemetry, fake_groq, is_async):
    client = make_client(fake_groq, is_async=is_async, base_url="http://groq-gateway.internal:8080")
    fake_groq.reply(CHAT, chat_completion())

    await Api(client).create()

    span_attributes = attributes(ended_once(telemetry))
    assert span_attributes["gen_ai.provider.name"] == "groq"
    assert span_attributes["server.address"] == "groq-gateway.internal"
    assert span_attributes["server.port"] == 8080


async def test_answer_without_usage_or_x_groq(telemetry, api, fake_groq):
    body = chat_completion()
    del body["usage"], body["x_groq"]
    fake_groq.reply(CHAT, body)

    await api.create()

    span_attributes = reader_attributes(ended_once(telemetry))
    assert not [key for key in span_attributes if key.startswith(("gen_ai.usage.", "groq."))]
    assert span_attributes["gen_ai.response.id"] == PLAIN_ID
    assert points(telemetry, TOKEN_USAGE) == []


async def test_cached_and_reasoning_tokens(telemetry, api, fake_groq):
    counts = usage(
        prompt=120,
        completion=80,
        prompt_tokens_details={"cached_tokens": 100},
        completion_tokens_details={"reasoning_tokens": 30},
    )
    fake_groq.reply(CHAT, chat_completion(usage_body=counts))

    await api.create()

    span_attributes = attributes(ended_once(telemetry))
    assert span_attributes["gen_ai.usage.input_tokens"] == 120  # cached input included, as Groq counts it
    assert span_attributes["gen_ai.usage.cache_read.input_tokens"] == 100
    assert span_attributes["gen_ai.usage.reasoning.output_tokens"] == 30


async def test_cost_from_the_shipped_price_table(telemetry, api, fake_groq):
    from otel_genai.llmops.prices import PriceTable

    fake_groq.reply(CHAT, chat_completion())

    await api.create()

    price = PriceTable.load(None).price("groq", MODEL)
    assert price is not None
    span_attributes = attributes(ended_once(telemetry))
    expected = (18 * price.input + 42 * price.output) / 1_000_000
    assert span_attributes["gen_ai.usage.cost.amount"] == pytest.approx(expected, rel=1e-9)
    assert span_attributes["gen_ai.usage.cost.source"] == "local"


async def test_span_is_a_child_of_the_current_span(telemetry, api, fake_groq):
    fake_groq.reply(CHAT, chat_completion())

    with telemetry.tracer_provider.get_tracer("app").start_as_current_span("handle request") as parent:
        await api.create()

    [span] = [s for s in telemetry.spans() if s.name == f"chat {MODEL}"]
    assert span.parent is not None and span.parent.span_id == parent.get_span_context().span_id


# === tools and reasoning ============================================================================


async def test_tool_calls_are_visible_without_content(telemetry, api, fake_groq):
    call = tool_call("call_w", "get_weather", {"city": "Paris"})
    fake_groq.reply(CHAT, chat_completion(None, tool_calls=[call], finish_reason="tool_calls"))

    await api.create(tools=[WEATHER_TOOL], tool_choice="auto")

    span = assert_conforms(telemetry, operation="chat", content=False)
    span_attributes = attributes(span)
    assert span_attributes["otel_genai.response.tool_call.count"] == 1
    assert span_attributes["otel_genai.response.tool_call.names"] == ("get_weather",)
    assert span_attributes["otel_genai.response.tool_call.ids"] == ("call_w",)
    assert span_attributes["gen_ai.response.finish_reasons"] == ("tool_calls",)
    assert "Paris" not in json.dumps({key: str(value) for key, value in span_attributes.items()})
    assert "otel_genai.tool.definitions.fingerprint" in span_attributes


async def test_tool_round_trip_with_content(content_telemetry, api, fake_groq, validate_schema):
    call = tool_call("call_w", "get_weather", {"city": "Paris"})
    fake_groq.reply(CHAT, chat_completion(None, tool_calls=[call], finish_reason="tool_calls"))
    messages = [
        *MESSAGES,
        {"role": "assistant", "content": None, "tool_calls": [call]},
        {"role": "tool", "tool_call_id": "call_w", "content": "18°C, cloudy"},
    ]

    await api.create(messages=messages, tools=[WEATHER_TOOL])

    span = assert_conforms(content_telemetry, operation="chat", content=True)
    inputs = span_content(span, "gen_ai.input.messages")
    validate_schema("gen-ai-input-messages", inputs)
    assert inputs[2]["parts"] == [
        {"type": "tool_call", "id": "call_w", "name": "get_weather", "arguments": {"city": "Paris"}}
    ]
    assert inputs[3] == {
        "role": "tool",
        "parts": [{"type": "tool_call_response", "id": "call_w", "response": "18°C, cloudy"}],
    }
    [output] = span_content(span, "gen_ai.output.messages")
    assert output == {
        "role": "assistant",
        "parts": [
            {"type": "tool_call", "id": "call_w", "name": "get_weather", "arguments": {"city": "Paris"}}
        ],
        "finish_reason": "tool_call",
    }
    assert span_content(span, "gen_ai.tool.definitions") == [{"type": "function", "name": "get_weather"}]


async def test_parsed_reasoning_is_a_reasoning_part(content_telemetry, api, fake_groq, validate_schema):
    fake_groq.reply(CHAT, chat_completion(ANSWER, reasoning="The user greets me; greet back."))

    completion = await api.create(**PARSED_REASONING)

    assert completion.choices[0].message.content == ANSWER
    [output] = span_content(ended_once(content_telemetry), "gen_ai.output.messages")
    validate_schema("gen-ai-output-messages", [output])
    assert output["parts"] == [
        {"type": "reasoning", "content": "The user greets me; greet back."},
        {"type": "text", "content": ANSWER},
    ]


async def test_reasoning_is_content(telemetry, api, fake_groq):
    fake_groq.reply(CHAT, chat_completion(ANSWER, reasoning="secret chain of thought"))

    await api.create(**PARSED_REASONING)

    assert "secret chain" not in json.dumps({k: str(v) for k, v in attributes(ended_once(telemetry)).items()})


# === streams ========================================================================================


@pytest.mark.parametrize(
    "where", ["x_groq", "x_groq_and_usage_chunk"], ids=["x-groq-usage", "with-stream-options"]
)
async def test_stream_consumed_fully(telemetry, api, fake_groq, where):
    include_usage = where == "x_groq_and_usage_chunk"
    fake_groq.reply(CHAT, stream=sse(chat_chunks(["Hel", "lo"], include_usage=include_usage)))
    # the SDK has no ``stream_options`` parameter: sent as extra body, as an application would
    options = {"extra_body": {"stream_options": {"include_usage": True}}} if include_usage else {}

    stream = await api.create(stream=True, **options)
    assert isinstance(stream, api.stream_class)
    chunks = await api.drain(stream)

    assert text_of(chunks) == "Hello"
    span = assert_conforms(telemetry, operation="chat", content=False, stream=True)
    span_attributes = reader_attributes(span)
    time_to_first_chunk = span_attributes.pop("gen_ai.response.time_to_first_chunk")
    assert span_attributes == {
        **BASE_ATTRIBUTES,
        **RESPONSE_ATTRIBUTES,
        "gen_ai.response.id": STREAM_ID,
        "gen_ai.request.stream": True,
    }
    [first] = points(telemetry, TIME_TO_FIRST_CHUNK)
    assert first.sum == time_to_first_chunk
    usage_points = {p.attributes["gen_ai.token.type"]: p.sum for p in points(telemetry, TOKEN_USAGE)}
    assert usage_points == {"input": 18, "output": 42}  # counted once, wherever the usage came from


async def test_stream_usage_chunk_wins_over_x_groq(telemetry, api, fake_groq):
    chunks = chat_chunks(["Hi"], include_usage=True)
    chunks[-1]["usage"] = usage(prompt=20, completion=5)
    fake_groq.reply(CHAT, stream=sse(chunks))

    await api.drain(await api.create(stream=True, extra_body={"stream_options": {"include_usage": True}}))

    span_attributes = attributes(ended_once(telemetry))
    assert span_attributes["gen_ai.usage.input_tokens"] == 20
    assert span_attributes["gen_ai.usage.output_tokens"] == 5


async def test_stream_without_usage(telemetry, api, fake_groq):
    fake_groq.reply(CHAT, stream=sse(chat_chunks(["Hi"], groq_usage=False)))

    await api.drain(await api.create(stream=True))

    span_attributes = attributes(ended_once(telemetry))
    assert "gen_ai.usage.input_tokens" not in span_attributes
    assert span_attributes["groq.request.id"] == REQUEST_ID
    assert points(telemetry, TOKEN_USAGE) == []


async def test_stream_with_content_and_reasoning(content_telemetry, api, fake_groq, validate_schema):
    chunks = chat_chunks(["Hel", "lo"], reasoning=["Greet ", "back."])
    fake_groq.reply(CHAT, stream=sse(chunks))

    await api.drain(await api.create(stream=True, **PARSED_REASONING))

    span = assert_conforms(content_telemetry, operation="chat", content=True, stream=True)
    outputs = span_content(span, "gen_ai.output.messages")
    validate_schema("gen-ai-output-messages", outputs)
    assert outputs == [
        {
            "role": "assistant",
            "parts": [{"type": "reasoning", "content": "Greet back."}, {"type": "text", "content": "Hello"}],
            "finish_reason": "stop",
        }
    ]


@pytest.mark.parametrize("capture", [False, True], ids=["no-content", "content"])
async def test_streamed_tool_call_deltas_are_assembled(make_telemetry, api, fake_groq, capture):
    telemetry = make_telemetry(capture_content=capture)
    chunks = chat_chunks([], finish_reason="tool_calls", tool_call_deltas=TOOL_CALL_DELTAS)
    fake_groq.reply(CHAT, stream=sse(chunks))

    await api.drain(await api.create(stream=True, tools=[WEATHER_TOOL]))

    span = ended_once(telemetry)
    span_attributes = attributes(span)
    assert span_attributes["otel_genai.response.tool_call.ids"] == ("call_w",)
    assert span_attributes["gen_ai.response.finish_reasons"] == ("tool_calls",)
    if capture:
        [output] = span_content(span, "gen_ai.output.messages")
        assert output["parts"] == [
            {"type": "tool_call", "id": "call_w", "name": "get_weather", "arguments": {"city": "Paris"}}
        ]


async def test_stream_iterated_with_next(telemetry, api, fake_groq):
    fake_groq.reply(CHAT, stream=sse(chat_chunks(["Hel", "lo"])))
    stream = await api.create(stream=True)

    chunks = []
    while (chunk := await api.next(stream)) is not END:
        chunks.append(chunk)

    assert text_of(chunks) == "Hello"
    assert attributes(ended_once(telemetry))["gen_ai.usage.output_tokens"] == 42


async def test_stream_read_partly_then_closed(telemetry, api, fake_groq):
    fake_groq.reply(CHAT, stream=sse(chat_chunks(["Hel", "lo", "!"])))
    stream = await api.create(stream=True)

    await api.next(stream)
    await api.next(stream)
    assert telemetry.spans() == []  # still open
    await api.close(stream)
    await api.close(stream)  # closing again ends nothing twice

    span = ended_once(telemetry)
    assert span.status.status_code is StatusCode.UNSET
    assert attributes(span)["gen_ai.response.id"] == STREAM_ID


def test_sync_stream_as_context_manager_left_early(telemetry, fake_groq):
    fake_groq.reply(CHAT, stream=sse(chat_chunks(["Hel", "lo"])))
    client = make_client(fake_groq)

    with client.chat.completions.create(model=MODEL, messages=MESSAGES, stream=True) as stream:
        for _ in stream:
            break

    ended_once(telemetry)


@pytest.mark.parametrize("chunks_read", [0, 2])
async def test_abandoned_stream_ends_the_span_exactly_once(telemetry, api, fake_groq, chunks_read):
    fake_groq.reply(CHAT, stream=sse(chat_chunks(["Hel", "lo"])))
    stream = await api.create(stream=True)
    for _ in range(chunks_read):
        await api.next(stream)

    del stream
    gc.collect()
    await settle(telemetry)

    ended_once(telemetry)


# === errors =========================================================================================


@pytest.mark.parametrize(
    ("status", "body", "error_class", "error_type"),
    [
        (429, error_body("rate_limit_exceeded", "Rate limit reached for model", "tokens"), "RateLimitError",
         "rate_limit_exceeded"),
        (400, error_body("tool_use_failed", "Failed to call a function."), "BadRequestError",
         "tool_use_failed"),
        (401, error_body("invalid_api_key", "Invalid API Key"), "AuthenticationError", "invalid_api_key"),
        (503, error_body(None, "Service Unavailable", "internal_server_error"), "InternalServerError",
         "internal_server_error"),
        (502, "<html>Bad gateway</html>", "InternalServerError", "InternalServerError"),
    ],
    ids=["rate-limit", "tool-use-failed", "auth", "type-only", "not-json"],
)  # fmt: skip
async def test_http_error(telemetry, api, fake_groq, failures, status, body, error_class, error_type):
    fake_groq.reply(CHAT, body, status=status)

    with pytest.raises(getattr(groq, error_class)) as raised:
        await api.create()

    assert type(raised.value) is getattr(groq, error_class)
    assert failures == [raised.value]  # the very exception the application got
    span = assert_conforms(telemetry, operation="chat", content=False, failed=True, error_type=error_type)
    assert span.status.description == error_type  # the message may quote the request: content
    [event] = exception_events(span)
    assert event["exception.type"] == qualified(raised.value)
    assert event["exception.message"] == MESSAGE_NOT_CAPTURED
    assert points(telemetry, DURATION)[0].attributes["error.type"] == error_type


async def test_http_error_message_with_content_on(content_telemetry, api, fake_groq):
    fake_groq.reply(CHAT, error_body("rate_limit_exceeded", "Rate limit reached for model"), status=429)

    with pytest.raises(groq.RateLimitError) as raised:
        await api.create()

    span = ended_once(content_telemetry)
    assert attributes(span)["error.type"] == "rate_limit_exceeded"
    assert span.status.description == str(raised.value)
    [event] = exception_events(span)
    assert event["exception.message"] == str(raised.value)


async def test_connection_error(telemetry, api, fake_groq, failures):
    fake_groq.reply(CHAT, error=httpx.ConnectError("connection refused"))

    with pytest.raises(groq.APIConnectionError) as raised:
        await api.create()

    assert failures == [raised.value]
    span = ended_once(telemetry)
    assert attributes(span)["error.type"] == "APIConnectionError"


def in_stream_error(framing: str, message: str) -> bytes:
    """Two chunks, then the server's error in place of the next one (never a ``[DONE]``)."""
    body = error_body("tool_use_failed", message)
    head = sse(chat_chunks(["Hel", "lo"])[:2], done=False)
    return head + (sse([body], done=False) if framing == "data" else sse_error_event(body))


@pytest.mark.skipif(not STREAM_ERRORS_RAISE, reason="groq raises in-stream errors from 0.11")
@pytest.mark.parametrize("framing", ["data", "event"], ids=["data-line", "sse-error-event"])
async def test_error_inside_a_stream(telemetry, api, fake_groq, failures, framing):
    message = "Failed to call a function for margaret@example.com."
    fake_groq.reply(CHAT, stream=in_stream_error(framing, message))
    stream = await api.create(stream=True)

    received: list[Any] = []
    with pytest.raises(groq.APIError) as raised:
        await api.drain(stream, into=received)

    assert type(raised.value) is groq.APIError and raised.value.message == message  # the SDK's, as is
    assert text_of(received) == "Hel"
    assert failures == [raised.value]
    span = assert_conforms(
        telemetry, operation="chat", content=False, failed=True, error_type="tool_use_failed", stream=True
    )
    assert span.status.description == "tool_use_failed"
    [event] = exception_events(span)
    assert event["exception.message"] == MESSAGE_NOT_CAPTURED
    assert "margaret" not in json.dumps([dict(e.attributes or {}) for e in span.events])
    assert attributes(span)["gen_ai.response.id"] == STREAM_ID  # learnt before the error
    await api.close(stream)
    ended_once(telemetry)  # closing after the failure ends nothing twice


@pytest.mark.skipif(not STREAM_ERRORS_RAISE, reason="groq raises in-stream errors from 0.11")
async def test_error_inside_a_stream_with_content_on(content_telemetry, api, fake_groq):
    fake_groq.reply(CHAT, stream=in_stream_error("data", "Failed to call a function."))
    stream = await api.create(stream=True)

    with pytest.raises(groq.APIError):
        while await api.next(stream) is not END:
            pass

    span = ended_once(content_telemetry)
    assert attributes(span)["error.type"] == "tool_use_failed"
    assert span.status.description == "Failed to call a function."
    [output] = span_content(span, "gen_ai.output.messages")
    assert output == {
        "role": "assistant",
        "parts": [{"type": "text", "content": "Hel"}],
        "finish_reason": "error",
    }


@pytest.mark.skipif(STREAM_ERRORS_RAISE, reason="groq before 0.11 yields an in-stream error as a chunk")
async def test_error_inside_a_stream_yielded_as_a_chunk(telemetry, api, fake_groq):
    fake_groq.reply(CHAT, stream=in_stream_error("data", "Failed to call a function."))

    chunks = await api.drain(await api.create(stream=True))

    assert len(chunks) == 3  # what the SDK gave the application, unchanged
    span = ended_once(telemetry)
    assert span.status.status_code is StatusCode.ERROR
    assert attributes(span)["error.type"] == "tool_use_failed"
    assert span.status.description == "tool_use_failed"


@pytest.mark.parametrize(
    ("reason", "error_type"),
    [("over_capacity", "over_capacity"), ("the model stopped for a reason", "_OTHER")],
)
async def test_stream_stopped_early_by_groq(telemetry, api, fake_groq, reason, error_type):
    chunks = chat_chunks(["Hel"])
    chunks[-1]["x_groq"]["error"] = reason
    fake_groq.reply(CHAT, stream=sse(chunks))

    received = await api.drain(await api.create(stream=True))

    assert text_of(received) == "Hel"  # no exception: the application reads what came
    span = ended_once(telemetry)
    assert span.status.status_code is StatusCode.ERROR
    assert attributes(span)["error.type"] == error_type
    assert span.status.description == error_type  # a reason that is no code is text: left off


async def test_stream_broken_midway(telemetry, api, fake_groq, failures):
    cut = httpx.ReadError("connection reset by peer")
    head = sse(chat_chunks(["Hel", "lo"])[:2], done=False)
    fake_groq.reply(CHAT, stream=breaking_body(api.is_async, head, cut))
    stream = await api.create(stream=True)

    with pytest.raises(Exception) as raised:  # whatever the SDK makes of the cut reaches the application
        await api.drain(stream)

    assert failures == [raised.value]
    span = ended_once(telemetry)
    assert span.status.status_code is StatusCode.ERROR
    assert attributes(span)["error.type"] == type(raised.value).__qualname__


# === embeddings =====================================================================================


@needs_embeddings
async def test_embeddings(telemetry, api, fake_groq):
    fake_groq.reply(EMBEDDINGS, embeddings_body(vectors=2, dimensions=8))

    response = await api.embed(model="nomic-embed-text-v1_5", input=["a", "b"])

    assert len(response.data) == 2
    span = assert_conforms(telemetry, operation="embeddings", content=False)
    assert span.name == "embeddings nomic-embed-text-v1_5"
    span_attributes = reader_attributes(span)
    assert span_attributes["gen_ai.provider.name"] == "groq"
    assert span_attributes["server.address"] == "api.groq.com"
    assert span_attributes["gen_ai.usage.input_tokens"] == 6
    assert span_attributes["gen_ai.embeddings.dimension.count"] == 8
    assert not [key for key in span_attributes if key.startswith("openai.")]


@needs_embeddings
async def test_embeddings_error(telemetry, api, fake_groq):
    fake_groq.reply(EMBEDDINGS, error_body("model_not_found", "The model does not exist"), status=404)

    with pytest.raises(groq.NotFoundError):
        await api.embed(model="nomic-embed-text-v1_5", input="a")

    assert attributes(ended_once(telemetry))["error.type"] == "model_not_found"


# === content modes ==================================================================================


async def test_no_content_by_default(telemetry, api, fake_groq):
    fake_groq.reply(CHAT, chat_completion())

    await api.create()

    span_attributes = attributes(ended_once(telemetry))
    assert not [key for key in span_attributes if key.startswith(("gen_ai.input.", "gen_ai.output.messages"))]
    assert telemetry.logs() == []


async def test_event_only_mode(make_telemetry, api, fake_groq):
    telemetry = make_telemetry(capture_content="EVENT_ONLY")
    fake_groq.reply(CHAT, stream=sse(chat_chunks(["Hel", "lo"])))

    await api.drain(await api.create(stream=True))

    span = ended_once(telemetry)
    assert "gen_ai.output.messages" not in attributes(span)
    [event] = [log.log_record for log in telemetry.logs() if log.log_record.event_name == EVENT_NAME]
    assert plain(event.attributes["gen_ai.output.messages"]) == [
        {"role": "assistant", "parts": [{"type": "text", "content": "Hello"}], "finish_reason": "stop"}
    ]
    [system, _] = plain(
        event.attributes["gen_ai.input.messages"]
    )  # chat keeps its system message in the list
    assert system == {"role": "system", "parts": [{"type": "text", "content": "You are terse."}]}


# === never break the application ====================================================================


async def test_broken_response_reader_does_not_affect_the_call(telemetry, api, fake_groq, monkeypatch):
    monkeypatch.setattr(groq_instrumentation._GroqChatReader, "read", _raise)
    fake_groq.reply(CHAT, chat_completion())

    completion = await api.create()

    assert completion.choices[0].message.content == ANSWER
    assert reader_attributes(ended_once(telemetry)) == BASE_ATTRIBUTES


@pytest.mark.parametrize("broken", ["groq", "openai"])
async def test_broken_chunk_reader_does_not_affect_the_stream(telemetry, api, fake_groq, monkeypatch, broken):
    owner = groq_instrumentation._GroqStreamAccumulator
    if broken == "openai":
        owner = openai_instrumentation.ChatStreamAccumulator
    monkeypatch.setattr(owner, "on_chunk", _raise)
    fake_groq.reply(CHAT, stream=sse(chat_chunks(["Hel", "lo"])))

    stream = await api.create(stream=True)
    assert isinstance(stream, api.stream_class)

    assert text_of(await api.drain(stream)) == "Hello"
    ended_once(telemetry)


async def test_broken_error_reader_keeps_the_exception(telemetry, api, fake_groq, monkeypatch, failures):
    monkeypatch.setattr(groq_instrumentation, "error_code", _raise)
    fake_groq.reply(CHAT, error_body("rate_limit_exceeded", "slow down"), status=429)

    with pytest.raises(groq.RateLimitError) as raised:
        await api.create()

    assert failures == [raised.value]
    assert attributes(ended_once(telemetry))["error.type"] == "RateLimitError"


async def test_broken_request_reader_calls_uninstrumented(telemetry, api, fake_groq, monkeypatch):
    monkeypatch.setattr(groq_instrumentation._GroqChatReader, "build", _raise)
    fake_groq.reply(CHAT, chat_completion())

    assert (await api.create()).choices[0].message.content == ANSWER
    assert telemetry.spans() == []


async def test_suppressed_instrumentation_emits_nothing(telemetry, api, fake_groq):
    fake_groq.reply(CHAT, chat_completion())

    with suppress_instrumentation():
        completion = await api.create()

    assert completion.choices[0].message.content == ANSWER
    assert telemetry.spans() == []
    assert points(telemetry, DURATION) == []


async def test_with_raw_response_is_read(telemetry, api, fake_groq):
    fake_groq.reply(CHAT, chat_completion(), headers={"x-request-id": REQUEST_ID})

    raw = await api.raw_create()

    span_attributes = attributes(ended_once(telemetry))
    assert raw.headers["x-request-id"] == REQUEST_ID
    if not api.is_async:  # the async raw response parses asynchronously: not read by us
        assert span_attributes["gen_ai.response.id"] == PLAIN_ID
        assert raw.parse() is raw.parse()
    parsed = await api._await(raw.parse())
    assert parsed.choices[0].message.content == ANSWER


# === uninstrument ===================================================================================


async def test_uninstrument_restores_the_sdk(make_telemetry, api, fake_groq):
    from groq.resources.chat.completions import AsyncCompletions, Completions

    classes: list[type] = [Completions, AsyncCompletions]
    if HAS_EMBEDDINGS:
        from groq.resources.embeddings import AsyncEmbeddings, Embeddings

        classes += [Embeddings, AsyncEmbeddings]
    targets = [(cls, "create") for cls in classes]
    originals = {target: vars(target[0])[target[1]] for target in targets}
    assert not any(isinstance(f, wrapt.ObjectProxy) for f in originals.values())
    telemetry = make_telemetry()
    assert all(vars(cls)[method] is not originals[cls, method] for cls, method in targets)

    otel_genai.uninstrument()

    for cls, method in targets:
        assert vars(cls)[method] is originals[cls, method], f"{cls.__name__}.{method}"
    fake_groq.reply(CHAT, stream=sse(chat_chunks(["Hi"])))
    stream = await api.create(stream=True)
    assert type(stream) is api.stream_class  # the SDK's own object, no proxy
    assert text_of(await api.drain(stream)) == "Hi"
    assert telemetry.spans() == []
