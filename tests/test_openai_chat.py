"""Chat Completions on the real ``openai`` SDK: ``create``, ``parse``, ``stream()``; sync and async.

Only the SDK's HTTP is local (``fake_openai``); request building, SSE decoding, retries and errors are the
SDK's own. Attribute and metric names are spelled out literally (not taken from ``otel_genai.semconv``) so
that these tests check the conventions, not our constants.
"""

from __future__ import annotations

import gc
import importlib
import json
from dataclasses import dataclass
from typing import Any

import openai
import pytest
import wrapt
from opentelemetry.instrumentation.utils import suppress_instrumentation
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import SpanKind, StatusCode
from pydantic import BaseModel

import otel_genai
from helpers.api import END, SyncOrAsync, breaking_body
from helpers.conformance import SPEC_DURATION_BUCKETS, SPEC_TOKEN_BUCKETS, assert_conforms
from helpers.openai_fakes import (
    MODEL,
    RESPONSE_MODEL,
    chat_chunks,
    chat_completion,
    openai_http,
    sse,
    tool_call,
)
from helpers.telemetry import (
    attributes,
    ended_once,
    exported_metrics,
    plain,
    points,
    reader_attributes,
    settle,
    span_content,
)
from otel_genai import semconv as sc
from otel_genai.instrumentation import openai as openai_instrumentation
from otel_genai.telemetry import attributes as attributes_module
from otel_genai.telemetry.content import TRUNCATION_MARK
from otel_genai.telemetry.errors import MESSAGE_NOT_CAPTURED
from otel_genai.telemetry.handler import TelemetryHandler
from otel_genai.telemetry.metrics import GenAIMetrics

httpx = openai_http()  # httpx2 from openai 3.0, httpx before: whatever the installed SDK is built on
CHAT = "/chat/completions"
MESSAGES = [{"role": "system", "content": "You are terse."}, {"role": "user", "content": "Say hello."}]
# Where ``parse()`` and the ``stream()`` helper live: ``chat.completions`` since openai 1.92, ``beta.chat
# .completions`` from 1.40 (Structured Outputs); releases before 1.40 have neither.
_PARSE_MODULE = next(
    (
        module
        for module in ("openai.resources.chat.completions", "openai.resources.beta.chat.completions")
        if hasattr(getattr(importlib.import_module(module), "Completions", None), "parse")
    ),
    None,
)
needs_parse = pytest.mark.skipif(_PARSE_MODULE is None, reason="parse() and stream() are new in openai 1.40")

# What every span of a plain call to api.openai.com carries, whatever the parameters.
BASE_ATTRIBUTES = {
    "gen_ai.operation.name": "chat",
    "gen_ai.provider.name": "openai",
    "gen_ai.request.model": MODEL,
    "server.address": "api.openai.com",
    "server.port": 443,
    "openai.api.type": "chat_completions",
}
# What the default chat_completion() body teaches us.
RESPONSE_ATTRIBUTES = {
    "gen_ai.response.model": RESPONSE_MODEL,
    "gen_ai.response.id": "chatcmpl-abc123",
    "gen_ai.response.finish_reasons": ("stop",),
    "gen_ai.usage.input_tokens": 31,
    "gen_ai.usage.output_tokens": 58,
    "gen_ai.usage.cache_read.input_tokens": 12,
    "gen_ai.usage.reasoning.output_tokens": 7,
    "openai.response.service_tier": "default",
    "openai.response.system_fingerprint": "fp_44709d6fcb",
}
CONTENT_ATTRIBUTES = (
    "gen_ai.input.messages",
    "gen_ai.output.messages",
    "gen_ai.system_instructions",
    "gen_ai.tool.definitions",
)
EVENT_NAME = "gen_ai.client.inference.operation.details"
DURATION = "gen_ai.client.operation.duration"
TOKEN_USAGE = "gen_ai.client.token.usage"
TIME_TO_FIRST_CHUNK = "gen_ai.client.operation.time_to_first_chunk"
TIME_PER_OUTPUT_CHUNK = "gen_ai.client.operation.time_per_output_chunk"

WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather for a city.",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}
TIME_TOOL = {
    "type": "function",
    "function": {
        "name": "get_time",
        "description": "Local time in a time zone.",
        "parameters": {"type": "object", "properties": {"tz": {"type": "string"}}},
    },
}


class Weather(BaseModel):
    city: str
    temperature_c: float


# --- the same calls on the sync and the async client --------------------------------------------


@dataclass
class Api(SyncOrAsync):
    """Chat calls on ``openai.OpenAI`` or ``openai.AsyncOpenAI``; tests ``await`` either one."""

    client: Any

    @property
    def is_async(self) -> bool:
        return isinstance(self.client, openai.AsyncOpenAI)

    @property
    def stream_class(self) -> type:
        return openai.AsyncStream if self.is_async else openai.Stream

    async def create(self, **kwargs: Any) -> Any:
        return await self._call(self.client.chat.completions.create, kwargs)

    @property
    def helpers(self) -> Any:
        """Where the installed SDK puts ``parse()`` and ``stream()`` (under ``beta`` before openai 1.92)."""
        completions = self.client.chat.completions
        return completions if hasattr(completions, "parse") else self.client.beta.chat.completions

    async def parse(self, **kwargs: Any) -> Any:
        return await self._call(self.helpers.parse, kwargs)

    async def raw_create(self, **kwargs: Any) -> Any:
        return await self._call(self.client.chat.completions.with_raw_response.create, kwargs)

    async def _call(self, method: Any, kwargs: dict[str, Any]) -> Any:
        kwargs.setdefault("model", MODEL)
        kwargs.setdefault("messages", MESSAGES)
        return await self._await(method(**kwargs))

    async def stream_helper_final(self, **kwargs: Any) -> Any:
        """``chat.completions.stream()`` used as documented, returning ``get_final_completion()``."""
        kwargs.setdefault("model", MODEL)
        kwargs.setdefault("messages", MESSAGES)
        manager = self.helpers.stream(**kwargs)
        if self.is_async:
            async with manager as stream:
                return await stream.get_final_completion()
        with manager as stream:
            return stream.get_final_completion()


@pytest.fixture(params=["sync", "async"])
def api(request: pytest.FixtureRequest, client: Any, async_client: Any) -> Api:
    return Api(async_client if request.param == "async" else client)


def make_client(fake_openai: Any, factory: type, **kwargs: Any) -> Any:
    """Any ``openai`` client class (OpenAI, AzureOpenAI, their async twins) answered by ``fake_openai``."""
    is_async = factory.__name__.startswith("Async")
    http = (httpx.AsyncClient if is_async else httpx.Client)(transport=httpx.MockTransport(fake_openai))
    return factory(api_key="sk-test", http_client=http, max_retries=0, **kwargs)


def azure_api(fake_openai: Any, factory: type, endpoint: str = "https://contoso.openai.azure.com") -> Api:
    return Api(make_client(fake_openai, factory, api_version="2024-10-21", azure_endpoint=endpoint))


# --- reading what was emitted --------------------------------------------------------------------


def details_events(telemetry: Any) -> list[Any]:
    return [log.log_record for log in telemetry.logs() if log.log_record.event_name == EVENT_NAME]


def exception_events(span: ReadableSpan) -> list[dict[str, Any]]:
    return [dict(event.attributes) for event in span.events if event.name == "exception"]


def assert_error_text_left_out(span: ReadableSpan, event: dict[str, Any], error: BaseException) -> None:
    """Content off: the exception's text is content; its type and the frames stay."""
    assert event["exception.message"] == MESSAGE_NOT_CAPTURED
    assert str(error) not in event["exception.stacktrace"]
    assert event["exception.stacktrace"].rstrip().endswith(qualified(error))
    assert span.status.description == span.attributes["error.type"]


def qualified(error: BaseException) -> str:
    return f"{type(error).__module__}.{type(error).__qualname__}"


# --- canned answers ------------------------------------------------------------------------------


def choice(index: int, content: str | None, finish_reason: str) -> dict[str, Any]:
    return {
        "index": index,
        "message": {"role": "assistant", "content": content},
        "finish_reason": finish_reason,
        "logprobs": None,
    }


def multi_choice_chunks() -> list[dict[str, Any]]:
    """Two streamed choices whose deltas arrive interleaved, choice 1 starting and finishing first."""
    base = {
        "id": "chatcmpl-n2",
        "object": "chat.completion.chunk",
        "created": 1_700_000_000,
        "model": RESPONSE_MODEL,
    }

    def chunk(index: int, delta: dict[str, Any], reason: str | None = None) -> dict[str, Any]:
        return {
            **base,
            "choices": [{"index": index, "delta": delta, "finish_reason": reason, "logprobs": None}],
        }

    return [
        chunk(1, {"role": "assistant", "content": ""}),
        chunk(0, {"role": "assistant", "content": ""}),
        chunk(1, {"content": "Bon"}),
        chunk(0, {"content": "Hel"}),
        chunk(1, {"content": "jour"}),
        chunk(0, {"content": "lo"}),
        chunk(1, {}, "length"),
        chunk(0, {}, "stop"),
    ]


# Two tool calls streamed as deltas: the first one's arguments arrive over three chunks.
TOOL_CALL_DELTAS = [
    {"index": 0, "id": "call_w", "type": "function", "function": {"name": "get_weather", "arguments": ""}},
    {"index": 0, "function": {"arguments": '{"city": '}},
    {"index": 0, "function": {"arguments": '"Paris"}'}},
    {
        "index": 1,
        "id": "call_t",
        "type": "function",
        "function": {"name": "get_time", "arguments": '{"tz": "CET"}'},
    },
]


# === plain calls: span shape and every request/response attribute ================================


async def test_plain_call_span_name_kind_and_exact_attributes(telemetry, api, fake_openai):
    fake_openai.reply(CHAT, chat_completion())

    completion = await api.create()

    assert isinstance(completion, openai.types.chat.ChatCompletion)
    assert completion.choices[0].message.content == "Hello! How can I help?"
    span = ended_once(telemetry)
    assert span.name == "chat gpt-4o-mini"
    assert span.kind is SpanKind.CLIENT
    assert span.status.status_code is StatusCode.UNSET
    # Exactly these: nothing the request did not set, no content, no streaming attributes.
    assert reader_attributes(span) == {**BASE_ATTRIBUTES, **RESPONSE_ATTRIBUTES}


async def test_every_request_parameter_becomes_an_attribute(telemetry, api, fake_openai):
    fake_openai.reply(CHAT, chat_completion())

    await api.create(
        temperature=0.3,
        top_p=0.9,
        max_tokens=256,
        seed=7,
        stop=["END", "STOP"],
        frequency_penalty=0.5,
        presence_penalty=-0.25,
        n=2,
        response_format={"type": "json_object"},
        service_tier="flex",
        reasoning_effort="low",
    )

    assert reader_attributes(ended_once(telemetry)) == {
        **BASE_ATTRIBUTES,
        **RESPONSE_ATTRIBUTES,
        "gen_ai.request.temperature": 0.3,
        "gen_ai.request.top_p": 0.9,
        "gen_ai.request.max_tokens": 256,
        "gen_ai.request.seed": 7,
        "gen_ai.request.stop_sequences": ("END", "STOP"),
        "gen_ai.request.frequency_penalty": 0.5,
        "gen_ai.request.presence_penalty": -0.25,
        "gen_ai.request.choice.count": 2,
        "gen_ai.output.type": "json",
        "gen_ai.request.reasoning.level": "low",
        "openai.request.service_tier": "flex",
    }
    # The request the SDK sent is the application's, untouched.
    sent = fake_openai.last_json()
    assert sent["temperature"] == 0.3 and sent["stop"] == ["END", "STOP"] and sent["service_tier"] == "flex"


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        pytest.param({"max_tokens": 100}, {"gen_ai.request.max_tokens": 100}, id="max_tokens"),
        pytest.param(
            {"max_completion_tokens": 300}, {"gen_ai.request.max_tokens": 300}, id="max_completion_tokens"
        ),
        pytest.param({"stop": "END"}, {"gen_ai.request.stop_sequences": ("END",)}, id="stop-str"),
        pytest.param({"stop": ["a", "b"]}, {"gen_ai.request.stop_sequences": ("a", "b")}, id="stop-list"),
        pytest.param({"n": 1}, {}, id="n=1-absent"),
        pytest.param({"n": 3}, {"gen_ai.request.choice.count": 3}, id="n=3"),
        pytest.param({"seed": 0}, {"gen_ai.request.seed": 0}, id="seed-zero-kept"),
        pytest.param({"temperature": 0.0}, {"gen_ai.request.temperature": 0.0}, id="temperature-zero-kept"),
        pytest.param(
            {"response_format": {"type": "json_object"}}, {"gen_ai.output.type": "json"}, id="json_object"
        ),
        pytest.param(
            {
                "response_format": {
                    "type": "json_schema",
                    "json_schema": {"name": "weather", "schema": Weather.model_json_schema()},
                }
            },
            {"gen_ai.output.type": "json"},
            id="json_schema",
        ),
        pytest.param({"response_format": {"type": "text"}}, {"gen_ai.output.type": "text"}, id="text"),
        pytest.param({"service_tier": "auto"}, {}, id="service_tier-auto-absent"),
        pytest.param(
            {"service_tier": "priority"}, {"openai.request.service_tier": "priority"}, id="service_tier"
        ),
    ],
)
async def test_single_request_parameter(telemetry, api, fake_openai, kwargs, expected):
    fake_openai.reply(CHAT, chat_completion())

    await api.create(**kwargs)

    # The parameter's attribute, and no other request attribute.
    assert reader_attributes(ended_once(telemetry)) == {**BASE_ATTRIBUTES, **RESPONSE_ATTRIBUTES, **expected}


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"temperature": 0}, "gen_ai.request.temperature"),
        ({"top_p": 1}, "gen_ai.request.top_p"),
        ({"frequency_penalty": 1}, "gen_ai.request.frequency_penalty"),
        ({"presence_penalty": 0}, "gen_ai.request.presence_penalty"),
    ],
)
async def test_double_attributes_are_doubles_even_for_integer_arguments(
    telemetry, api, fake_openai, kwargs, name
):
    """``temperature=0`` is common; the conventions type these attributes as double."""
    fake_openai.reply(CHAT, chat_completion())

    await api.create(**kwargs)

    value = attributes(ended_once(telemetry))[name]
    assert isinstance(value, float) and value == next(iter(kwargs.values()))


_OMIT = getattr(openai, "omit", None)
_NO_OMIT = pytest.mark.skipif(_OMIT is None, reason="openai.omit is new in openai 1.109")


@pytest.mark.parametrize(
    "sentinel", [openai.NOT_GIVEN, pytest.param(_OMIT, marks=_NO_OMIT)], ids=["NOT_GIVEN", "omit"]
)
async def test_sdk_sentinels_passed_explicitly_count_as_absent(content_telemetry, api, fake_openai, sentinel):
    fake_openai.reply(CHAT, chat_completion())
    optional = (
        "temperature", "top_p", "max_tokens", "max_completion_tokens", "seed", "stop", "frequency_penalty",
        "presence_penalty", "n", "response_format", "service_tier", "reasoning_effort", "stream", "tools",
    )  # fmt: skip

    await api.create(**dict.fromkeys(optional, sentinel))

    span_attributes = reader_attributes(ended_once(content_telemetry))
    assert set(span_attributes) - set(CONTENT_ATTRIBUTES) == {*BASE_ATTRIBUTES, *RESPONSE_ATTRIBUTES}
    assert {k: span_attributes[k] for k in BASE_ATTRIBUTES} == BASE_ATTRIBUTES
    assert "gen_ai.tool.definitions" not in span_attributes
    assert not set(optional) & set(fake_openai.last_json())  # the SDK dropped them too


async def test_response_without_usage_or_metadata_sets_no_usage_attributes(telemetry, api, fake_openai):
    """OpenAI-compatible servers often omit usage, service_tier and system_fingerprint."""
    body = chat_completion(usage={})
    del body["usage"], body["service_tier"], body["system_fingerprint"]
    fake_openai.reply(CHAT, body)

    await api.create()

    span_attributes = attributes(ended_once(telemetry))
    assert not [name for name in span_attributes if name.startswith(("gen_ai.usage.", "openai.response."))]
    assert points(telemetry, TOKEN_USAGE) == []


async def test_span_is_a_child_of_the_current_span(telemetry, api, fake_openai):
    fake_openai.reply(CHAT, chat_completion())
    tracer = telemetry.tracer_provider.get_tracer("app")

    with tracer.start_as_current_span("handle request") as parent:
        await api.create()

    chat = next(s for s in telemetry.spans() if s.name.startswith("chat"))
    assert chat.parent is not None and chat.parent.span_id == parent.get_span_context().span_id
    assert chat.context.trace_id == parent.get_span_context().trace_id


# --- provider and server -------------------------------------------------------------------------


@pytest.mark.parametrize("factory", [openai.AzureOpenAI, openai.AsyncAzureOpenAI])
async def test_azure_openai_client_is_provider_azure(telemetry, fake_openai, factory):
    azure = azure_api(fake_openai, factory)
    fake_openai.reply(f"/openai/deployments/{MODEL}{CHAT}", chat_completion())

    await azure.create()

    span = ended_once(telemetry)
    assert span.name == f"chat {MODEL}"
    span_attributes = attributes(span)
    assert span_attributes["gen_ai.provider.name"] == "azure.ai.openai"
    assert span_attributes["server.address"] == "contoso.openai.azure.com"
    assert span_attributes["server.port"] == 443
    assert points(telemetry, DURATION)[0].attributes["gen_ai.provider.name"] == "azure.ai.openai"


async def test_azure_client_behind_a_gateway_is_still_azure(telemetry, fake_openai):
    azure = azure_api(fake_openai, openai.AzureOpenAI, endpoint="https://llm-gateway.example.com")
    fake_openai.reply(f"/openai/deployments/{MODEL}{CHAT}", chat_completion())

    await azure.create()

    span_attributes = attributes(ended_once(telemetry))
    assert span_attributes["gen_ai.provider.name"] == "azure.ai.openai"
    assert span_attributes["server.address"] == "llm-gateway.example.com"


@pytest.mark.parametrize("factory", [openai.OpenAI, openai.AsyncOpenAI])
async def test_plain_client_on_an_azure_host_is_provider_azure(telemetry, fake_openai, factory):
    on_azure = Api(make_client(fake_openai, factory, base_url="https://contoso.openai.azure.com/openai/v1"))
    fake_openai.reply("/openai/v1/chat/completions", chat_completion())

    await on_azure.create()

    span_attributes = attributes(ended_once(telemetry))
    assert span_attributes["gen_ai.provider.name"] == "azure.ai.openai"
    assert span_attributes["server.address"] == "contoso.openai.azure.com"


async def test_openai_compatible_server_address_and_port(telemetry, fake_openai):
    local = Api(make_client(fake_openai, openai.OpenAI, base_url="http://localhost:8000/v1"))
    fake_openai.reply(CHAT, chat_completion())

    await local.create()

    span_attributes = attributes(ended_once(telemetry))
    assert span_attributes["gen_ai.provider.name"] == "openai"
    assert (span_attributes["server.address"], span_attributes["server.port"]) == ("localhost", 8000)


# === tool calls ===================================================================================


def tool_calls_completion() -> dict[str, Any]:
    return chat_completion(
        None,
        tool_calls=[
            tool_call("call_w", "get_weather", {"city": "Paris"}),
            tool_call("call_t", "get_time", {"tz": "CET"}),
        ],
        finish_reason="tool_calls",
    )


async def test_tool_calls_are_visible_without_content(telemetry, api, fake_openai):
    fake_openai.reply(CHAT, tool_calls_completion())

    completion = await api.create(tools=[WEATHER_TOOL, TIME_TOOL])

    assert completion.choices[0].message.tool_calls[0].function.arguments == '{"city": "Paris"}'
    span_attributes = attributes(ended_once(telemetry))
    assert span_attributes["gen_ai.response.finish_reasons"] == ("tool_calls",)
    assert span_attributes["otel_genai.response.tool_call.count"] == 2
    assert span_attributes["otel_genai.response.tool_call.names"] == ("get_weather", "get_time")
    assert span_attributes["otel_genai.response.tool_call.ids"] == ("call_w", "call_t")
    # ... but no arguments, messages or tool definitions.
    assert not set(CONTENT_ATTRIBUTES) & set(span_attributes)
    assert "Paris" not in json.dumps(span_attributes)


async def test_tool_calls_with_content(content_telemetry, api, fake_openai, validate_schema):
    fake_openai.reply(CHAT, tool_calls_completion())

    await api.create(tools=[WEATHER_TOOL, TIME_TOOL])

    span = ended_once(content_telemetry)
    output = span_content(span, "gen_ai.output.messages")
    assert output == [
        {
            "role": "assistant",
            "parts": [
                {"type": "tool_call", "id": "call_w", "name": "get_weather", "arguments": {"city": "Paris"}},
                {"type": "tool_call", "id": "call_t", "name": "get_time", "arguments": {"tz": "CET"}},
            ],
            "finish_reason": "tool_call",
        }
    ]
    # Tool definitions: type and name only, unless details are asked for.
    definitions = span_content(span, "gen_ai.tool.definitions")
    assert definitions == [
        {"type": "function", "name": "get_weather"},
        {"type": "function", "name": "get_time"},
    ]
    validate_schema("gen-ai-output-messages", output)
    validate_schema("gen-ai-tool-definitions", definitions)
    validate_schema("gen-ai-input-messages", span_content(span, "gen_ai.input.messages"))


async def test_tool_definition_details_when_asked_for(
    make_telemetry, api, fake_openai, monkeypatch, validate_schema
):
    monkeypatch.setenv("OTEL_GENAI_CAPTURE_TOOL_DEFINITION_DETAILS", "true")
    telemetry = make_telemetry(capture_content=True)
    fake_openai.reply(CHAT, tool_calls_completion())

    await api.create(tools=[WEATHER_TOOL])

    definitions = span_content(ended_once(telemetry), "gen_ai.tool.definitions")
    function = WEATHER_TOOL["function"]
    assert definitions == [
        {
            "type": "function",
            "name": "get_weather",
            "description": function["description"],
            "parameters": function["parameters"],
        }
    ]
    validate_schema("gen-ai-tool-definitions", definitions)


async def test_tool_round_trip_input_messages(content_telemetry, api, fake_openai, validate_schema):
    """Turn 2 sends the SDK's own assistant message object back, plus a ``tool`` result."""
    fake_openai.reply(CHAT, tool_calls_completion())
    fake_openai.reply(CHAT, chat_completion("It is 18C in Paris at 14:05."))  # queued: turn 2's answer
    first = await api.create(tools=[WEATHER_TOOL, TIME_TOOL])
    history = [
        *MESSAGES,
        first.choices[0].message,  # a ChatCompletionMessage, as most applications do it
        {"role": "tool", "tool_call_id": "call_w", "content": "18C and sunny"},
        {"role": "tool", "tool_call_id": "call_t", "content": [{"type": "text", "text": "14:05"}]},
    ]

    second_completion = await api.create(messages=history, tools=[WEATHER_TOOL, TIME_TOOL])

    assert second_completion.choices[0].message.content == "It is 18C in Paris at 14:05."
    second = content_telemetry.spans()[-1]
    inputs = span_content(second, "gen_ai.input.messages")
    assert inputs == [
        {"role": "system", "parts": [{"type": "text", "content": "You are terse."}]},
        {"role": "user", "parts": [{"type": "text", "content": "Say hello."}]},
        {
            "role": "assistant",
            "parts": [
                {"type": "tool_call", "id": "call_w", "name": "get_weather", "arguments": {"city": "Paris"}},
                {"type": "tool_call", "id": "call_t", "name": "get_time", "arguments": {"tz": "CET"}},
            ],
        },
        {
            "role": "tool",
            "parts": [{"type": "tool_call_response", "id": "call_w", "response": "18C and sunny"}],
        },
        {"role": "tool", "parts": [{"type": "tool_call_response", "id": "call_t", "response": "14:05"}]},
    ]
    validate_schema("gen-ai-input-messages", inputs)
    assert "otel_genai.response.tool_call.count" not in attributes(second)  # the answer had no tool calls


# === n > 1 ========================================================================================


async def test_several_choices_keep_their_order(content_telemetry, api, fake_openai, validate_schema):
    body = chat_completion(
        choices=[
            choice(0, "Hi", "stop"),
            choice(1, "Hello there, how", "length"),
            choice(2, None, "content_filter"),
        ]
    )
    fake_openai.reply(CHAT, body)

    await api.create(n=3)

    span = ended_once(content_telemetry)
    span_attributes = attributes(span)
    assert span_attributes["gen_ai.request.choice.count"] == 3
    assert span_attributes["gen_ai.response.finish_reasons"] == ("stop", "length", "content_filter")
    output = span_content(span, "gen_ai.output.messages")
    assert output == [
        {"role": "assistant", "parts": [{"type": "text", "content": "Hi"}], "finish_reason": "stop"},
        {
            "role": "assistant",
            "parts": [{"type": "text", "content": "Hello there, how"}],
            "finish_reason": "length",
        },
        {"role": "assistant", "parts": [], "finish_reason": "content_filter"},
    ]
    validate_schema("gen-ai-output-messages", output)


# === streams ======================================================================================


@pytest.mark.parametrize("include_usage", [True, False], ids=["with-usage", "without-usage"])
async def test_stream_consumed_fully(telemetry, api, fake_openai, include_usage):
    fake_openai.reply(CHAT, stream=sse(chat_chunks(["Hel", "lo", " there"], include_usage=include_usage)))
    options = {"include_usage": True} if include_usage else getattr(openai, "omit", openai.NOT_GIVEN)

    stream = await api.create(stream=True, stream_options=options)
    assert isinstance(stream, api.stream_class)
    assert telemetry.spans() == []  # the span lasts as long as the stream
    chunks = await api.drain(stream)

    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "Hello there"
    span = ended_once(telemetry)
    span_attributes = reader_attributes(span)
    ttfc = span_attributes.pop("gen_ai.response.time_to_first_chunk")
    assert isinstance(ttfc, float) and ttfc >= 0
    usage = {"gen_ai.usage.input_tokens": 31, "gen_ai.usage.output_tokens": 58} if include_usage else {}
    assert span_attributes == {
        **BASE_ATTRIBUTES,
        "gen_ai.request.stream": True,
        "gen_ai.response.model": RESPONSE_MODEL,
        "gen_ai.response.id": "chatcmpl-stream1",
        "gen_ai.response.finish_reasons": ("stop",),
        "openai.response.service_tier": "default",
        "openai.response.system_fingerprint": "fp_44709d6fcb",
        **usage,  # tokens only when the server streamed them: never estimated
    }
    token_points = {p.attributes["gen_ai.token.type"]: p.sum for p in points(telemetry, TOKEN_USAGE)}
    assert token_points == ({"input": 31, "output": 58} if include_usage else {})


async def test_stream_keeps_the_sdk_surface(telemetry, api, fake_openai):
    fake_openai.reply(CHAT, stream=sse(chat_chunks(["Hi"])))

    stream = await api.create(stream=True)

    assert isinstance(stream, api.stream_class)
    assert stream.response.status_code == 200
    assert stream.response.headers["content-type"].startswith("text/event-stream")
    await api.drain(stream)
    ended_once(telemetry)


async def test_stream_iterated_with_next(telemetry, api, fake_openai):
    fake_openai.reply(CHAT, stream=sse(chat_chunks(["Hel", "lo"], include_usage=True)))
    stream = await api.create(stream=True, stream_options={"include_usage": True})

    chunks = []
    while (chunk := await api.next(stream)) is not END:
        chunks.append(chunk)

    assert len(chunks) == 5  # role, two words, finish, usage
    span_attributes = attributes(ended_once(telemetry))
    assert span_attributes["gen_ai.response.finish_reasons"] == ("stop",)
    assert span_attributes["gen_ai.usage.output_tokens"] == 58
    assert await api.next(stream) is END  # asking again changes nothing
    ended_once(telemetry)


async def test_stream_read_partly_then_closed(content_telemetry, api, fake_openai):
    fake_openai.reply(CHAT, stream=sse(chat_chunks(["Hel", "lo", " there"], include_usage=True)))
    stream = await api.create(stream=True, stream_options={"include_usage": True})

    await api.next(stream)  # the role chunk
    second = await api.next(stream)
    assert second.choices[0].delta.content == "Hel"
    assert content_telemetry.spans() == []
    await api.close(stream)

    span = ended_once(content_telemetry)
    span_attributes = attributes(span)
    assert span.status.status_code is StatusCode.UNSET and "error.type" not in span_attributes
    assert span_attributes["gen_ai.response.id"] == "chatcmpl-stream1"
    assert "gen_ai.usage.output_tokens" not in span_attributes  # usage never arrived
    # What was received before closing is what the output shows.
    assert span_content(span, "gen_ai.output.messages")[0]["parts"] == [{"type": "text", "content": "Hel"}]
    await api.close(stream)  # closing twice is harmless
    ended_once(content_telemetry)


def test_sync_stream_as_context_manager(telemetry, client, fake_openai):
    fake_openai.reply(CHAT, stream=sse(chat_chunks(["Hel", "lo"])))

    with client.chat.completions.create(model=MODEL, messages=MESSAGES, stream=True) as stream:
        assert isinstance(stream, openai.Stream)
        first = next(stream)
        assert first.choices[0].delta.role == "assistant"
        assert telemetry.spans() == []

    span = ended_once(telemetry)
    assert attributes(span)["gen_ai.response.id"] == "chatcmpl-stream1"


async def test_async_stream_as_context_manager(telemetry, async_client, fake_openai):
    fake_openai.reply(CHAT, stream=sse(chat_chunks(["Hel", "lo"])))

    stream = await async_client.chat.completions.create(model=MODEL, messages=MESSAGES, stream=True)
    async with stream as entered:
        assert isinstance(entered, openai.AsyncStream)
        first = await anext(entered)
        assert first.choices[0].delta.role == "assistant"
        assert telemetry.spans() == []

    span = ended_once(telemetry)
    assert attributes(span)["gen_ai.response.id"] == "chatcmpl-stream1"


def test_sync_stream_loop_break_ends_the_span_at_once(telemetry, client, fake_openai):
    fake_openai.reply(CHAT, stream=sse(chat_chunks(["Hel", "lo"])))
    stream = client.chat.completions.create(model=MODEL, messages=MESSAGES, stream=True)

    for _chunk in stream:
        break

    ended_once(telemetry)  # while the application still holds the stream
    assert stream is not None


async def test_async_stream_loop_break_ends_the_span(telemetry, async_client, fake_openai):
    fake_openai.reply(CHAT, stream=sse(chat_chunks(["Hel", "lo"])))
    stream = await async_client.chat.completions.create(model=MODEL, messages=MESSAGES, stream=True)

    async for _chunk in stream:
        break
    await settle(telemetry)

    ended_once(telemetry)
    assert stream is not None


@pytest.mark.parametrize("chunks_read", [0, 2])
async def test_abandoned_stream_ends_the_span_exactly_once(telemetry, api, fake_openai, chunks_read):
    fake_openai.reply(CHAT, stream=sse(chat_chunks(["Hel", "lo"])))
    stream = await api.create(stream=True)
    for _ in range(chunks_read):
        await api.next(stream)
    assert telemetry.spans() == []

    del stream
    gc.collect()
    await settle(telemetry)

    span = ended_once(telemetry)
    assert span.status.status_code is StatusCode.UNSET
    gc.collect()
    ended_once(telemetry)


@pytest.mark.skipif(
    tuple(int(part) for part in openai.__version__.split(".")[:2]) < (3, 14),
    reason="openai wraps a transport error raised mid-stream in APIConnectionError since 3.14",
)
@pytest.mark.parametrize("style", ["loop", "next"])
async def test_stream_broken_midway(telemetry, api, fake_openai, failures, style):
    cut = httpx.ReadError("connection reset by peer")
    head = sse(chat_chunks(["Hel", "lo"])[:2], done=False)  # two whole events, then the connection drops
    fake_openai.reply(CHAT, stream=breaking_body(api.is_async, head, cut))
    stream = await api.create(stream=True)

    received: list[Any] = []
    with pytest.raises(openai.APIConnectionError) as raised:
        if style == "loop":
            await api.drain(stream, into=received)
        else:
            while (chunk := await api.next(stream)) is not END:
                received.append(chunk)

    # The application sees exactly what the SDK raises, caused by the transport's error.
    assert type(raised.value) is openai.APIConnectionError
    assert raised.value.__cause__ is cut
    assert len(received) == 2
    assert failures == [raised.value]  # the very exception the application got is what we recorded
    span = ended_once(telemetry)
    assert span.status.status_code is StatusCode.ERROR
    span_attributes = attributes(span)
    assert span_attributes["error.type"] == "APIConnectionError"
    assert span_attributes["gen_ai.response.id"] == "chatcmpl-stream1"  # learnt before the cut
    [event] = exception_events(span)
    assert event["exception.type"] == qualified(raised.value)
    assert_error_text_left_out(span, event, raised.value)
    assert points(telemetry, DURATION)[0].attributes["error.type"] == "APIConnectionError"
    assert points(telemetry, TOKEN_USAGE) == []


@pytest.mark.parametrize("capture", [False, True], ids=["no-content", "content"])
async def test_streamed_tool_call_deltas_are_assembled(
    make_telemetry, api, fake_openai, validate_schema, capture
):
    telemetry = make_telemetry(capture_content=capture)
    fake_openai.reply(
        CHAT, stream=sse(chat_chunks([], finish_reason="tool_calls", tool_call_deltas=TOOL_CALL_DELTAS))
    )

    stream = await api.create(stream=True, tools=[WEATHER_TOOL, TIME_TOOL])
    await api.drain(stream)

    span = ended_once(telemetry)
    span_attributes = attributes(span)
    assert span_attributes["gen_ai.response.finish_reasons"] == ("tool_calls",)
    assert span_attributes["otel_genai.response.tool_call.count"] == 2
    assert span_attributes["otel_genai.response.tool_call.names"] == ("get_weather", "get_time")
    assert span_attributes["otel_genai.response.tool_call.ids"] == ("call_w", "call_t")
    if not capture:
        assert not set(CONTENT_ATTRIBUTES) & set(span_attributes)
        return
    output = span_content(span, "gen_ai.output.messages")
    assert output == [
        {
            "role": "assistant",
            "parts": [
                {"type": "tool_call", "id": "call_w", "name": "get_weather", "arguments": {"city": "Paris"}},
                {"type": "tool_call", "id": "call_t", "name": "get_time", "arguments": {"tz": "CET"}},
            ],
            "finish_reason": "tool_call",
        }
    ]
    validate_schema("gen-ai-output-messages", output)


async def test_stream_with_several_choices(content_telemetry, api, fake_openai, validate_schema):
    fake_openai.reply(CHAT, stream=sse(multi_choice_chunks()))

    stream = await api.create(stream=True, n=2)
    await api.drain(stream)

    span = ended_once(content_telemetry)
    assert attributes(span)["gen_ai.response.finish_reasons"] == ("stop", "length")  # by index, not arrival
    output = span_content(span, "gen_ai.output.messages")
    assert output == [
        {"role": "assistant", "parts": [{"type": "text", "content": "Hello"}], "finish_reason": "stop"},
        {"role": "assistant", "parts": [{"type": "text", "content": "Bonjour"}], "finish_reason": "length"},
    ]
    validate_schema("gen-ai-output-messages", output)


@pytest.mark.parametrize("factory", [openai.AzureOpenAI, openai.AsyncAzureOpenAI])
async def test_azure_stream_with_a_prompt_filter_chunk_first(telemetry, fake_openai, factory):
    """Azure OpenAI opens a stream with a chunk that has no id or model, only prompt filter results."""
    azure = azure_api(fake_openai, factory)
    prelude = {
        "id": "",
        "object": "",
        "created": 0,
        "model": "",
        "choices": [],
        "prompt_filter_results": [{"prompt_index": 0, "content_filter_results": {}}],
    }
    fake_openai.reply(f"/openai/deployments/{MODEL}{CHAT}", stream=sse([prelude, *chat_chunks(["Hi"])]))

    stream = await azure.create(stream=True)
    await azure.drain(stream)

    span_attributes = attributes(ended_once(telemetry))
    assert span_attributes["gen_ai.response.id"] == "chatcmpl-stream1"
    assert span_attributes["gen_ai.response.model"] == RESPONSE_MODEL
    assert span_attributes["openai.response.system_fingerprint"] == "fp_44709d6fcb"
    assert span_attributes["gen_ai.response.finish_reasons"] == ("stop",)


# === parse() and the stream() helper ================================================================


@needs_parse
async def test_parse_with_a_pydantic_model(content_telemetry, api, fake_openai):
    answer = json.dumps({"city": "Paris", "temperature_c": 18.5})
    fake_openai.reply(CHAT, chat_completion(answer))

    completion = await api.parse(response_format=Weather)

    assert completion.choices[0].message.parsed == Weather(city="Paris", temperature_c=18.5)
    assert fake_openai.last_json()["response_format"]["type"] == "json_schema"
    span = ended_once(content_telemetry)  # parse() is one call, one span
    assert span.name == f"chat {MODEL}"
    span_attributes = attributes(span)
    assert span_attributes["gen_ai.output.type"] == "json"
    assert span_attributes["gen_ai.response.id"] == "chatcmpl-abc123"
    output = span_content(span, "gen_ai.output.messages")
    assert output[0]["parts"] == [{"type": "text", "content": answer}]


@needs_parse
async def test_stream_helper_yields_one_span(telemetry, api, fake_openai):
    fake_openai.reply(CHAT, stream=sse(chat_chunks(["Hel", "lo"], include_usage=True)))

    final = await api.stream_helper_final(stream_options={"include_usage": True})

    assert final.choices[0].message.content == "Hello"
    span_attributes = attributes(ended_once(telemetry))
    assert span_attributes["gen_ai.request.stream"] is True
    assert span_attributes["gen_ai.response.finish_reasons"] == ("stop",)
    assert span_attributes["gen_ai.usage.output_tokens"] == 58


@needs_parse
async def test_stream_helper_left_early_ends_the_span_on_exit(telemetry, api, fake_openai):
    fake_openai.reply(CHAT, stream=sse(chat_chunks(["Hel", "lo", " there"])))
    manager = api.helpers.stream(model=MODEL, messages=MESSAGES)

    if api.is_async:
        async with manager as stream:
            event = await anext(stream)
            assert telemetry.spans() == []
    else:
        with manager as stream:
            event = next(stream)
            assert telemetry.spans() == []

    assert event.type == "chunk"
    span = ended_once(telemetry)  # at the helper's exit, not when the stream is garbage collected
    assert attributes(span)["gen_ai.response.id"] == "chatcmpl-stream1"
    assert stream is not None


@needs_parse
async def test_stream_helper_with_a_pydantic_model(telemetry, api, fake_openai):
    answer = json.dumps({"city": "Oslo", "temperature_c": -3})
    fake_openai.reply(CHAT, stream=sse(chat_chunks([answer[:10], answer[10:]])))

    final = await api.stream_helper_final(response_format=Weather)

    assert final.choices[0].message.parsed == Weather(city="Oslo", temperature_c=-3)
    assert attributes(ended_once(telemetry))["gen_ai.output.type"] == "json"


# === errors =======================================================================================


@pytest.mark.parametrize(
    ("status", "body", "error_class", "error_type"),
    [
        pytest.param(
            429,
            {"error": {"message": "Rate limit reached", "type": "requests", "code": "rate_limit_exceeded"}},
            openai.RateLimitError,
            "rate_limit_exceeded",
            id="429-with-code",
        ),
        pytest.param(
            400,
            {"error": {"message": "Invalid value for 'temperature'", "type": "invalid_request_error"}},
            openai.BadRequestError,
            "BadRequestError",
            id="400-without-code",
        ),
        pytest.param(
            500, {"error": {"message": "boom"}}, openai.InternalServerError, "InternalServerError", id="500"
        ),
    ],
)
async def test_http_error(
    telemetry, api, fake_openai, monkeypatch, failures, status, body, error_class, error_type
):
    produced: list[BaseException] = []
    make_error = api.client._make_status_error_from_response

    def spy(response: Any) -> Any:
        produced.append(make_error(response))
        return produced[-1]

    monkeypatch.setattr(api.client, "_make_status_error_from_response", spy)
    fake_openai.reply(CHAT, body, status=status)

    with pytest.raises(error_class) as raised:
        await api.create(temperature=0.5)

    assert raised.value is produced[-1]  # the SDK's own exception object reaches the application
    assert type(raised.value) is error_class
    assert failures == [raised.value]
    span = ended_once(telemetry)
    assert span.status.status_code is StatusCode.ERROR
    assert reader_attributes(span) == {
        **BASE_ATTRIBUTES,
        "gen_ai.request.temperature": 0.5,
        "error.type": error_type,
    }
    [event] = exception_events(span)
    assert event["exception.type"] == qualified(raised.value)
    assert_error_text_left_out(span, event, raised.value)
    [duration] = points(telemetry, DURATION)
    assert duration.attributes["error.type"] == error_type
    assert points(telemetry, TOKEN_USAGE) == []


@pytest.mark.parametrize(
    ("transport_error", "error_class"),
    [
        (httpx.ReadTimeout("read timed out"), openai.APITimeoutError),
        (httpx.ConnectError("connection refused"), openai.APIConnectionError),
    ],
    ids=["timeout", "connect"],
)
async def test_transport_error(telemetry, api, fake_openai, failures, transport_error, error_class):
    fake_openai.reply(CHAT, error=transport_error)

    with pytest.raises(error_class) as raised:
        await api.create()

    assert type(raised.value) is error_class
    assert raised.value.__cause__ is transport_error
    assert failures == [raised.value]
    span = ended_once(telemetry)
    assert span.status.status_code is StatusCode.ERROR
    assert attributes(span)["error.type"] == error_class.__name__
    [event] = exception_events(span)
    assert event["exception.type"] == qualified(raised.value)
    assert points(telemetry, DURATION)[0].attributes["error.type"] == error_class.__name__


async def test_error_stream_request_fails_before_any_chunk(telemetry, api, fake_openai):
    fake_openai.reply(CHAT, {"error": {"message": "Overloaded", "code": "server_overloaded"}}, status=503)

    with pytest.raises(openai.APIStatusError) as raised:
        await api.create(stream=True)

    assert raised.value.status_code == 503
    span = ended_once(telemetry)
    assert span.status.status_code is StatusCode.ERROR
    assert attributes(span)["error.type"] == "server_overloaded"
    assert attributes(span)["gen_ai.request.stream"] is True


@pytest.mark.parametrize("mode", ["SPAN_ONLY", "EVENT_ONLY"])
async def test_failed_call_keeps_its_input_content(make_telemetry, api, fake_openai, validate_schema, mode):
    """A failed prompt is the one worth seeing: its input is captured in every content mode."""
    telemetry = make_telemetry(capture_content=mode)
    fake_openai.reply(CHAT, {"error": {"message": "Rate limit", "code": "rate_limit_exceeded"}}, status=429)

    with pytest.raises(openai.RateLimitError):
        await api.create()

    span = ended_once(telemetry)
    expected = [
        {"role": "system", "parts": [{"type": "text", "content": "You are terse."}]},
        {"role": "user", "parts": [{"type": "text", "content": "Say hello."}]},
    ]
    if mode == "SPAN_ONLY":
        assert span_content(span, "gen_ai.input.messages") == expected
        assert "gen_ai.output.messages" not in attributes(span)
        assert details_events(telemetry) == []
        return
    assert not set(CONTENT_ATTRIBUTES) & set(attributes(span))
    [event] = details_events(telemetry)
    assert plain(event.attributes["gen_ai.input.messages"]) == expected
    assert event.attributes["error.type"] == "rate_limit_exceeded"
    assert (event.trace_id, event.span_id) == (span.context.trace_id, span.context.span_id)
    validate_schema("gen-ai-input-messages", plain(event.attributes["gen_ai.input.messages"]))


# === content capture modes ==========================================================================

EXPECTED_INPUT = [
    {"role": "system", "parts": [{"type": "text", "content": "You are terse."}]},
    {"role": "user", "parts": [{"type": "text", "content": "Say hello."}]},
]
EXPECTED_OUTPUT = [
    {
        "role": "assistant",
        "parts": [{"type": "text", "content": "Hello! How can I help?"}],
        "finish_reason": "stop",
    }
]


async def test_no_content_by_default(telemetry, api, fake_openai):
    fake_openai.reply(CHAT, chat_completion())

    await api.create(tools=[WEATHER_TOOL])

    span_attributes = attributes(ended_once(telemetry))
    assert not set(CONTENT_ATTRIBUTES) & set(span_attributes)
    assert "Say hello" not in json.dumps(span_attributes)
    assert telemetry.logs() == []


@pytest.mark.parametrize(
    ("setting", "on_span", "on_event"),
    [
        pytest.param({"capture_content": True}, True, False, id="bool-true"),
        pytest.param({"capture_content": False}, False, False, id="bool-false"),
        pytest.param({"capture_content": "SPAN_ONLY"}, True, False, id="SPAN_ONLY"),
        pytest.param({"capture_content": "event_only"}, False, True, id="event_only-lowercase"),
        pytest.param({"capture_content": "SPAN_AND_EVENT"}, True, True, id="SPAN_AND_EVENT"),
        pytest.param({"capture_content": otel_genai.CaptureMode.EVENT_ONLY}, False, True, id="CaptureMode"),
        pytest.param({"env": "SPAN_ONLY"}, True, False, id="env-SPAN_ONLY"),
        pytest.param({"env": "event_only"}, False, True, id="env-event_only"),
        pytest.param({"env": "SPAN_AND_EVENT"}, True, True, id="env-SPAN_AND_EVENT"),
        pytest.param({"env": "NO_CONTENT"}, False, False, id="env-NO_CONTENT"),
        pytest.param({"env": "bogus"}, False, False, id="env-invalid"),
        pytest.param(
            {"env": "SPAN_AND_EVENT", "capture_content": False}, False, False, id="argument-beats-env"
        ),
    ],
)
async def test_capture_modes(
    make_telemetry, api, fake_openai, monkeypatch, validate_schema, setting, on_span, on_event
):
    setting = dict(setting)
    if "env" in setting:
        monkeypatch.setenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", setting.pop("env"))
    telemetry = make_telemetry(**setting)
    fake_openai.reply(CHAT, chat_completion())

    await api.create(tools=[WEATHER_TOOL])

    span = ended_once(telemetry)
    span_attributes = attributes(span)
    if on_span:
        assert span_content(span, "gen_ai.input.messages") == EXPECTED_INPUT
        assert span_content(span, "gen_ai.output.messages") == EXPECTED_OUTPUT
        assert span_content(span, "gen_ai.tool.definitions") == [{"type": "function", "name": "get_weather"}]
        validate_schema("gen-ai-input-messages", span_attributes["gen_ai.input.messages"])
        validate_schema("gen-ai-output-messages", span_attributes["gen_ai.output.messages"])
        validate_schema("gen-ai-tool-definitions", span_attributes["gen_ai.tool.definitions"])
    else:
        assert not set(CONTENT_ATTRIBUTES) & set(span_attributes)

    events = details_events(telemetry)
    if not on_event:
        assert events == []
        return
    [event] = events
    # Parented to the span, carrying the span's attributes and the content as structured values.
    assert (event.trace_id, event.span_id) == (span.context.trace_id, span.context.span_id)
    for name, value in {**BASE_ATTRIBUTES, **RESPONSE_ATTRIBUTES}.items():
        assert event.attributes[name] == value, name
    for name in ("gen_ai.input.messages", "gen_ai.output.messages", "gen_ai.tool.definitions"):
        assert not isinstance(event.attributes[name], str), f"{name} must be structured on events"
    assert plain(event.attributes["gen_ai.input.messages"]) == EXPECTED_INPUT
    assert plain(event.attributes["gen_ai.output.messages"]) == EXPECTED_OUTPUT
    validate_schema("gen-ai-input-messages", plain(event.attributes["gen_ai.input.messages"]))
    validate_schema("gen-ai-output-messages", plain(event.attributes["gen_ai.output.messages"]))
    validate_schema("gen-ai-tool-definitions", plain(event.attributes["gen_ai.tool.definitions"]))


async def test_event_for_a_stream(make_telemetry, api, fake_openai):
    telemetry = make_telemetry(capture_content="EVENT_ONLY")
    fake_openai.reply(CHAT, stream=sse(chat_chunks(["Hel", "lo"])))

    stream = await api.create(stream=True)
    await api.drain(stream)

    span = ended_once(telemetry)
    [event] = details_events(telemetry)
    assert (event.trace_id, event.span_id) == (span.context.trace_id, span.context.span_id)
    assert plain(event.attributes["gen_ai.output.messages"]) == [
        {"role": "assistant", "parts": [{"type": "text", "content": "Hello"}], "finish_reason": "stop"}
    ]


async def test_max_content_length_truncates_and_keeps_json_valid(
    make_telemetry, api, fake_openai, monkeypatch, validate_schema
):
    monkeypatch.setenv("OTEL_GENAI_MAX_CONTENT_LENGTH", "16")
    telemetry = make_telemetry(capture_content="SPAN_AND_EVENT")
    question, answer = "q" * 100, "a" * 100
    long_arguments = {"city": "P" * 100}
    fake_openai.reply(
        CHAT, chat_completion(answer, tool_calls=[tool_call("call_1", "get_weather", long_arguments)])
    )

    completion = await api.create(messages=[{"role": "user", "content": question}])

    # The application's data is untouched.
    assert completion.choices[0].message.content == answer
    assert fake_openai.last_json()["messages"][0]["content"] == question
    span = ended_once(telemetry)
    inputs = span_content(span, "gen_ai.input.messages")
    output = span_content(span, "gen_ai.output.messages")
    assert inputs[0]["parts"][0]["content"] == "q" * 16 + TRUNCATION_MARK
    assert output[0]["parts"][0]["content"] == "a" * 16 + TRUNCATION_MARK
    # strings inside parsed arguments are cut too; the application's tool call keeps the full value
    assert output[0]["parts"][1]["arguments"] == {"city": "P" * 16 + TRUNCATION_MARK}
    assert json.loads(completion.choices[0].message.tool_calls[0].function.arguments) == long_arguments
    validate_schema("gen-ai-input-messages", inputs)
    validate_schema("gen-ai-output-messages", output)
    [event] = details_events(telemetry)
    event_output = plain(event.attributes["gen_ai.output.messages"])
    assert event_output[0]["parts"][0]["content"] == "a" * 16 + TRUNCATION_MARK
    validate_schema("gen-ai-output-messages", event_output)


async def test_reasoning_from_compatible_servers_is_captured(
    content_telemetry, api, fake_openai, validate_schema
):
    """OpenAI-compatible servers (vLLM, DeepSeek) send ``reasoning_content``; the SDK does not declare it."""
    body = chat_completion("42.")
    body["choices"][0]["message"]["reasoning_content"] = "Six times seven."
    fake_openai.reply(CHAT, body)

    await api.create()

    [message] = span_content(ended_once(content_telemetry), "gen_ai.output.messages")
    assert message["parts"] == [
        {"type": "reasoning", "content": "Six times seven."},
        {"type": "text", "content": "42."},
    ]
    validate_schema("gen-ai-output-messages", [message])


async def test_streamed_reasoning_from_compatible_servers_is_assembled(content_telemetry, api, fake_openai):
    chunks = chat_chunks(["42", "."])
    thinking = [
        dict(chunks[0], choices=[{"index": 0, "delta": {"reasoning_content": piece}, "finish_reason": None}])
        for piece in ("Six times ", "seven.")
    ]
    fake_openai.reply(CHAT, stream=sse(chunks[:1] + thinking + chunks[1:]))

    await api.drain(await api.create(stream=True))

    [message] = span_content(ended_once(content_telemetry), "gen_ai.output.messages")
    assert message["parts"][:2] == [
        {"type": "reasoning", "content": "Six times seven."},
        {"type": "text", "content": "42."},
    ]


async def test_content_is_captured_for_images_as_uris(content_telemetry, api, fake_openai, validate_schema):
    fake_openai.reply(CHAT, chat_completion("A cat."))
    message = {
        "role": "user",
        "content": [
            {"type": "text", "text": "What is this?"},
            {"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}},
        ],
    }

    await api.create(messages=[message])

    inputs = span_content(ended_once(content_telemetry), "gen_ai.input.messages")
    assert inputs == [
        {
            "role": "user",
            "parts": [
                {"type": "text", "content": "What is this?"},
                {"type": "uri", "modality": "image", "uri": "https://example.com/cat.png"},
            ],
        }
    ]
    validate_schema("gen-ai-input-messages", inputs)


# === metrics ======================================================================================


async def test_metrics_of_a_plain_call(telemetry, api, fake_openai):
    fake_openai.reply(CHAT, chat_completion())

    await api.create()

    expected = {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "openai",
        "gen_ai.request.model": MODEL,
        "gen_ai.response.model": RESPONSE_MODEL,
        "server.address": "api.openai.com",
        "server.port": 443,
        "openai.response.service_tier": "default",
        "openai.response.system_fingerprint": "fp_44709d6fcb",
    }
    [duration] = points(telemetry, DURATION)
    assert dict(duration.attributes) == expected
    assert duration.count == 1 and duration.sum >= 0
    tokens = {p.attributes["gen_ai.token.type"]: p for p in points(telemetry, TOKEN_USAGE)}
    assert set(tokens) == {"input", "output"}
    assert (tokens["input"].sum, tokens["input"].count) == (31, 1)
    assert (tokens["output"].sum, tokens["output"].count) == (58, 1)
    for token_type, point in tokens.items():
        assert dict(point.attributes) == {**expected, "gen_ai.token.type": token_type}
    # Streaming metrics are for streams only.
    assert points(telemetry, TIME_TO_FIRST_CHUNK) == []
    assert points(telemetry, TIME_PER_OUTPUT_CHUNK) == []


async def test_metrics_of_a_stream(telemetry, api, fake_openai):
    fake_openai.reply(CHAT, stream=sse(chat_chunks(["Hel", "lo", " there"], include_usage=True)))

    stream = await api.create(stream=True, stream_options={"include_usage": True})
    chunks = await api.drain(stream)

    [first_chunk] = points(telemetry, TIME_TO_FIRST_CHUNK)
    assert first_chunk.count == 1
    assert first_chunk.sum == attributes(ended_once(telemetry))["gen_ai.response.time_to_first_chunk"]
    [per_chunk] = points(telemetry, TIME_PER_OUTPUT_CHUNK)
    assert per_chunk.count == len(chunks) - 1  # one interval between consecutive chunks
    assert "gen_ai.token.type" not in per_chunk.attributes
    tokens = {p.attributes["gen_ai.token.type"]: p.sum for p in points(telemetry, TOKEN_USAGE)}
    assert tokens == {"input": 31, "output": 58}


async def test_chunk_metrics_carry_no_provider_refinements(telemetry, api, fake_openai):
    fake_openai.reply(CHAT, stream=sse(chat_chunks(["Hel", "lo"], include_usage=True)))

    await api.drain(await api.create(stream=True, stream_options={"include_usage": True}))

    [duration] = points(telemetry, DURATION)
    assert duration.attributes["openai.response.service_tier"] == "default"
    for name in (TIME_TO_FIRST_CHUNK, TIME_PER_OUTPUT_CHUNK):
        [point] = points(telemetry, name)
        assert not any(key.startswith("openai.") for key in point.attributes), name
        assert point.attributes["gen_ai.request.model"] == MODEL


async def test_chunk_timing_metric_can_be_turned_off(make_telemetry, api, fake_openai, monkeypatch):
    monkeypatch.setenv("OTEL_GENAI_CHUNK_TIMING_METRIC", "false")
    telemetry = make_telemetry()
    fake_openai.reply(CHAT, stream=sse(chat_chunks(["Hel", "lo", " there"], include_usage=True)))

    await api.drain(await api.create(stream=True, stream_options={"include_usage": True}))

    assert points(telemetry, TIME_PER_OUTPUT_CHUNK) == []
    assert len(points(telemetry, TIME_TO_FIRST_CHUNK)) == 1  # the rest stays
    assert "gen_ai.response.time_to_first_chunk" in attributes(ended_once(telemetry))


async def test_histograms_follow_the_semconv_advice(telemetry, api, fake_openai):
    assert tuple(sc.TOKEN_BUCKETS) == SPEC_TOKEN_BUCKETS
    assert tuple(sc.DURATION_BUCKETS) == SPEC_DURATION_BUCKETS
    fake_openai.reply(CHAT, stream=sse(chat_chunks(["Hel", "lo"], include_usage=True)))

    stream = await api.create(stream=True, stream_options={"include_usage": True})
    await api.drain(stream)

    exported = exported_metrics(telemetry.metric_reader)
    expected = {
        TOKEN_USAGE: ("{token}", SPEC_TOKEN_BUCKETS),
        DURATION: ("s", SPEC_DURATION_BUCKETS),
        TIME_TO_FIRST_CHUNK: ("s", SPEC_DURATION_BUCKETS),
        TIME_PER_OUTPUT_CHUNK: ("s", SPEC_DURATION_BUCKETS),
        # the open cost proposal (genai#443) gives no bucket advice: ours, $0.00001 to $50
        "gen_ai.client.operation.cost": ("{USD}", tuple(sc.COST_BUCKETS)),
    }
    assert set(exported) == set(expected)
    for name, (unit, buckets) in expected.items():
        assert exported[name].unit == unit, name
        for point in exported[name].data.data_points:
            assert tuple(point.explicit_bounds) == buckets, name


# === the host application is never affected ========================================================


def _raise(*args: Any, **kwargs: Any) -> None:
    raise RuntimeError("otel_genai is broken")


async def test_broken_metrics_handoff_does_not_affect_the_call(telemetry, api, fake_openai, monkeypatch):
    monkeypatch.setattr(GenAIMetrics, "record", _raise)
    fake_openai.reply(CHAT, chat_completion())

    completion = await api.create()

    assert completion.choices[0].message.content == "Hello! How can I help?"
    assert attributes(telemetry.span())["gen_ai.response.id"] == "chatcmpl-abc123"  # the span still ended


async def test_broken_metrics_recording_does_not_affect_a_stream(telemetry, api, fake_openai, monkeypatch):
    monkeypatch.setattr(GenAIMetrics, "record", _raise)
    fake_openai.reply(CHAT, stream=sse(chat_chunks(["Hel", "lo"])))

    chunks = await api.drain(await api.create(stream=True))

    assert "".join(c.choices[0].delta.content or "" for c in chunks) == "Hello"
    assert len(telemetry.spans()) == 1


async def test_broken_response_reader_does_not_affect_the_call(telemetry, api, fake_openai, monkeypatch):
    monkeypatch.setattr(openai_instrumentation.ChatReader, "read", _raise)
    fake_openai.reply(CHAT, chat_completion())

    completion = await api.create()

    assert completion.choices[0].message.content == "Hello! How can I help?"
    assert reader_attributes(ended_once(telemetry)) == BASE_ATTRIBUTES  # what was known before the response


async def test_broken_chunk_reader_does_not_affect_the_stream(telemetry, api, fake_openai, monkeypatch):
    monkeypatch.setattr(openai_instrumentation.ChatStreamAccumulator, "on_chunk", _raise)
    fake_openai.reply(CHAT, stream=sse(chat_chunks(["Hel", "lo"])))

    stream = await api.create(stream=True)
    assert isinstance(stream, api.stream_class)
    chunks = await api.drain(stream)

    assert "".join(c.choices[0].delta.content or "" for c in chunks) == "Hello"
    ended_once(telemetry)


async def test_broken_request_reader_calls_uninstrumented(telemetry, api, fake_openai, monkeypatch):
    monkeypatch.setattr(openai_instrumentation.ChatReader, "build", _raise)
    fake_openai.reply(CHAT, chat_completion())

    completion = await api.create()

    assert completion.choices[0].message.content == "Hello! How can I help?"
    assert telemetry.spans() == []


async def test_span_that_cannot_start_does_not_affect_the_call(telemetry, api, fake_openai, monkeypatch):
    monkeypatch.setattr(attributes_module.RecordMapping, "start", _raise)
    fake_openai.reply(CHAT, stream=sse(chat_chunks(["Hel", "lo"])))

    chunks = await api.drain(await api.create(stream=True))

    assert "".join(c.choices[0].delta.content or "" for c in chunks) == "Hello"
    assert telemetry.spans() == []


async def test_broken_event_emission_does_not_affect_the_call(make_telemetry, api, fake_openai, monkeypatch):
    telemetry = make_telemetry(capture_content="SPAN_AND_EVENT")
    monkeypatch.setattr(TelemetryHandler, "_emit_event", _raise)
    fake_openai.reply(CHAT, chat_completion())

    completion = await api.create()

    assert completion.choices[0].message.content == "Hello! How can I help?"
    assert span_content(ended_once(telemetry), "gen_ai.output.messages") == EXPECTED_OUTPUT


async def test_suppressed_instrumentation_emits_nothing(telemetry, api, fake_openai):
    fake_openai.reply(CHAT, chat_completion())

    with suppress_instrumentation():
        completion = await api.create()

    assert completion.choices[0].message.content == "Hello! How can I help?"
    assert telemetry.spans() == []
    assert points(telemetry, DURATION) == []


# === uninstrument ===================================================================================


async def test_uninstrument_restores_the_sdk(make_telemetry, api, fake_openai):
    from openai.resources import completions as legacy
    from openai.resources.chat.completions import AsyncCompletions, Completions

    targets = [(cls, "create") for cls in (Completions, AsyncCompletions)]
    targets += [(legacy.Completions, "create"), (legacy.AsyncCompletions, "create")]  # text_completion
    if _PARSE_MODULE is not None:
        parse_module = importlib.import_module(_PARSE_MODULE)
        targets += [(parse_module.Completions, "parse"), (parse_module.AsyncCompletions, "parse")]
    originals = {target: vars(target[0])[target[1]] for target in targets}
    assert not any(isinstance(f, wrapt.ObjectProxy) for f in originals.values())
    telemetry = make_telemetry()
    assert all(vars(cls)[method] is not originals[cls, method] for cls, method in targets)  # wrapped now

    otel_genai.uninstrument()

    for cls, method in targets:
        assert vars(cls)[method] is originals[cls, method], f"{cls.__name__}.{method}"
    fake_openai.reply(CHAT, chat_completion())
    fake_openai.reply(CHAT, stream=sse(chat_chunks(["Hi"])))
    completion = await api.create()
    assert completion.choices[0].message.content == "Hello! How can I help?"
    stream = await api.create(stream=True)
    assert type(stream) is api.stream_class  # the SDK's own object, no proxy
    assert [c.choices[0].delta.content for c in await api.drain(stream)] == ["", "Hi", None]
    assert telemetry.spans() == []


# === raw responses ================================================================================


async def test_with_raw_response_is_read_and_parse_returns_the_same_object(
    content_telemetry, api, fake_openai
):
    """LangChain calls ``with_raw_response.create`` to see headers; the span must still have the response."""
    fake_openai.reply(CHAT, chat_completion(), headers={"x-request-id": "req_42"})

    raw = await api.raw_create()

    span = attributes(ended_once(content_telemetry))
    assert span["gen_ai.response.id"] == "chatcmpl-abc123"
    assert span["gen_ai.usage.output_tokens"] == 58
    assert raw.headers["x-request-id"] == "req_42"
    completion = raw.parse()
    assert completion.choices[0].message.content == "Hello! How can I help?"
    assert raw.parse() is completion


async def test_with_raw_response_stream_still_ends_its_span(telemetry, api, fake_openai):
    fake_openai.reply(CHAT, stream=sse(chat_chunks(["Hel", "lo"])))

    raw = await api.raw_create(stream=True)

    span = attributes(ended_once(telemetry))
    assert span["gen_ai.request.stream"] is True
    assert raw.http_response.status_code == 200


# === sampling =====================================================================================


@pytest.fixture
def content_builders(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Counts calls to the functions that turn request and response content into semconv JSON."""
    calls: list[str] = []
    for name in ("chat_input_messages", "chat_output_message"):
        original = getattr(openai_instrumentation, name)

        def counting(*args: Any, _original: Any = original, _name: str = name, **kwargs: Any) -> Any:
            calls.append(_name)
            return _original(*args, **kwargs)

        monkeypatch.setattr(openai_instrumentation, name, counting)
    return calls


@pytest.mark.parametrize("stream", [False, True])
async def test_content_of_a_sampled_out_call_is_never_built(api, fake_openai, content_builders, stream):
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.sampling import ALWAYS_OFF

    instrumentation = otel_genai.instrument(
        tracer_provider=TracerProvider(sampler=ALWAYS_OFF), capture_content=True, exporter="none"
    )
    try:
        if stream:
            fake_openai.reply(CHAT, stream=sse(chat_chunks(["Hel", "lo"])))
            chunks = await api.drain(await api.create(stream=True))
            assert "".join(c.choices[0].delta.content or "" for c in chunks) == "Hello"
        else:
            fake_openai.reply(CHAT, chat_completion())
            completion = await api.create()
            assert completion.choices[0].message.content == "Hello! How can I help?"
    finally:
        instrumentation.shutdown()

    assert content_builders == []


async def test_content_is_built_for_events_even_when_the_span_is_sampled_out(
    api, fake_openai, content_builders
):
    from opentelemetry.sdk._logs import LoggerProvider
    from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter, SimpleLogRecordProcessor
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.sampling import ALWAYS_OFF

    logs = InMemoryLogRecordExporter()
    logger_provider = LoggerProvider()
    logger_provider.add_log_record_processor(SimpleLogRecordProcessor(logs))
    instrumentation = otel_genai.instrument(
        tracer_provider=TracerProvider(sampler=ALWAYS_OFF),
        logger_provider=logger_provider,
        capture_content="EVENT_ONLY",
        exporter="none",
    )
    try:
        fake_openai.reply(CHAT, chat_completion())
        await api.create()
    finally:
        instrumentation.shutdown()

    assert sorted(content_builders) == ["chat_input_messages", "chat_output_message"]
    [event] = logs.get_finished_logs()
    assert event.log_record.attributes["gen_ai.input.messages"]


# === the shared conformance checks (tests/helpers/conformance.py) ==================================


async def test_conforms_plain_call_without_content(telemetry, api, fake_openai):
    fake_openai.reply(CHAT, chat_completion())
    await api.create(temperature=0, max_tokens=50, stop="END")
    assert_conforms(telemetry, operation="chat", content=False)


async def test_conforms_tool_call_with_content(content_telemetry, api, fake_openai):
    fake_openai.reply(
        CHAT, chat_completion(None, tool_calls=[tool_call("call_1", "get_weather", {"city": "Paris"})])
    )
    await api.create(tools=[WEATHER_TOOL], n=1)
    span = assert_conforms(content_telemetry, operation="chat", content=True)
    assert "gen_ai.tool.definitions" in span.attributes


async def test_conforms_stream(content_telemetry, api, fake_openai):
    fake_openai.reply(CHAT, stream=sse(chat_chunks(["Hel", "lo"], include_usage=True)))
    await api.drain(await api.create(stream=True, stream_options={"include_usage": True}))
    await settle(content_telemetry)
    assert_conforms(content_telemetry, operation="chat", content=True, stream=True)


async def test_conforms_error(telemetry, api, fake_openai):
    fake_openai.reply(CHAT, {"error": {"message": "bad", "code": "invalid_value"}}, status=400)
    with pytest.raises(openai.BadRequestError):
        await api.create()
    assert_conforms(telemetry, operation="chat", content=False, failed=True, error_type="invalid_value")
