"""Ollama: ``chat``, ``generate``, ``embed`` and ``embeddings`` on the real ``ollama`` clients (sync and
async), plain and streamed, with their HTTP answered by ``helpers.ollama_fakes`` (the Ollama API's own
shapes; NDJSON streams exactly as the server frames them).

The promises every model provider keeps are in ``tests/test_providers.py`` (``OllamaProvider``); this file
holds what is Ollama's: ``options`` as the request parameters, ``format`` / ``think``, no response id and
no tool-call ids, ``done_reason``, usage only when the server counts it, the server's timings, the
``ResponseError`` status as ``error.type``, generators that end the span once however they end, the
package's own functions, and no cost (a local model has no price).
"""

from __future__ import annotations

import base64
import gc
import inspect
import json
import logging
from typing import Any

import httpx
import pytest
import wrapt
from opentelemetry import trace
from opentelemetry.instrumentation.utils import suppress_instrumentation
from opentelemetry.trace import SpanKind, StatusCode

import otel_genai
from helpers.api import END
from helpers.conformance import assert_conforms
from helpers.ollama_fakes import (
    EVAL_COUNT,
    HOST,
    MODEL,
    PORT,
    PROMPT_EVAL_COUNT,
    TIMINGS,
    Api,
    FakeOllama,
    chat_chunks,
    chat_response,
    embed_response,
    embeddings_response,
    function_call,
    generate_chunks,
    generate_response,
    make_client,
)
from helpers.telemetry import ended_once, points, reader_attributes, settle, span_content

ollama = pytest.importorskip("ollama")

TIME_TO_FIRST_CHUNK = "gen_ai.client.operation.time_to_first_chunk"
TIME_PER_OUTPUT_CHUNK = "gen_ai.client.operation.time_per_output_chunk"
COST = "gen_ai.client.operation.cost"
# releases before these lack the feature (the SDK drops what it does not declare)
HAS_THINKING = "thinking" in ollama.Message.model_fields
HAS_TOOL_NAME = "tool_name" in ollama.Message.model_fields
HAS_FORMAT_SCHEMA = "JsonSchemaValue" in inspect.getsource(ollama.Client.chat)
needs_thinking = pytest.mark.skipif(not HAS_THINKING, reason="think / message.thinking are new in ollama 0.5")


@pytest.fixture(params=["sync", "async"])
def fake(request: pytest.FixtureRequest) -> FakeOllama:
    return FakeOllama(is_async=request.param == "async")


@pytest.fixture
def api(fake: FakeOllama) -> Api:
    return Api(make_client(fake, host=f"http://{HOST}:{PORT}"), fake)


def identity(operation: str, model: str = MODEL) -> dict[str, Any]:
    return {
        "gen_ai.operation.name": operation,
        "gen_ai.provider.name": "ollama",
        "gen_ai.request.model": model,
        "server.address": HOST,
        "server.port": PORT,
    }


def timings() -> dict[str, float]:
    """The server's timings as the span carries them: seconds."""
    return {
        "ollama.response.load_duration": TIMINGS["load_duration"] / 1e9,
        "ollama.response.prompt_eval_duration": TIMINGS["prompt_eval_duration"] / 1e9,
        "ollama.response.eval_duration": TIMINGS["eval_duration"] / 1e9,
    }


# === chat ==================================================================================================


async def test_chat_span(telemetry, api, fake):
    fake.reply("/api/chat", chat_response("Rayleigh scattering."))

    response = await api.chat()

    assert isinstance(response, ollama.ChatResponse)  # the application's answer, untouched
    assert response.message.content == "Rayleigh scattering."
    span = assert_conforms(telemetry, operation="chat", content=False)
    assert span.name == f"chat {MODEL}" and span.kind is SpanKind.CLIENT
    assert reader_attributes(span) == {
        **identity("chat"),
        "gen_ai.response.model": MODEL,
        "gen_ai.response.finish_reasons": ("stop",),
        "gen_ai.usage.input_tokens": PROMPT_EVAL_COUNT,
        "gen_ai.usage.output_tokens": EVAL_COUNT,
        **timings(),
    }  # no response id: Ollama has none
    tokens = {
        p.attributes["gen_ai.token.type"]: p.sum for p in points(telemetry, "gen_ai.client.token.usage")
    }
    assert tokens == {"input": PROMPT_EVAL_COUNT, "output": EVAL_COUNT}


@pytest.mark.parametrize("as_model", [False, True], ids=["dict", "Options"])
async def test_options_are_the_request_parameters(telemetry, api, fake, as_model):
    fake.reply("/api/chat", chat_response("Hi."))
    options: dict[str, Any] = {
        "temperature": 0,
        "top_p": 0.9,
        "top_k": 40,
        "num_predict": 128,
        "seed": 42,
        "stop": ["\n\n", "User:"],
        "frequency_penalty": 0.5,
        "presence_penalty": 0.25,
        "num_ctx": 4096,  # no convention names it: not on the span
    }

    await api.chat(options=ollama.Options(**options) if as_model else options)

    attributes = assert_conforms(telemetry, operation="chat").attributes
    assert {key: attributes.get(key) for key in attributes if key.startswith("gen_ai.request.")} == {
        "gen_ai.request.model": MODEL,
        "gen_ai.request.temperature": 0.0,
        "gen_ai.request.top_p": 0.9,
        "gen_ai.request.top_k": 40,
        "gen_ai.request.max_tokens": 128,
        "gen_ai.request.seed": 42,
        "gen_ai.request.stop_sequences": ("\n\n", "User:"),
        "gen_ai.request.frequency_penalty": 0.5,
        "gen_ai.request.presence_penalty": 0.25,
    }
    assert fake.last_json()["options"]["num_ctx"] == 4096  # the request went out as the application made it


@pytest.mark.parametrize(
    "output_format, expected",
    [
        ("json", "json"),
        ({"type": "object", "properties": {"age": {"type": "integer"}}, "required": ["age"]}, "json"),
        ("", None),
    ],
    ids=["json", "schema", "empty"],
)
async def test_format_asks_for_json(telemetry, api, fake, output_format, expected):
    if isinstance(output_format, dict) and not HAS_FORMAT_SCHEMA:
        pytest.skip("a JSON schema as format is new in ollama 0.4.3")
    fake.reply("/api/chat", chat_response('{"age": 22}'))

    await api.chat(format=output_format)

    assert telemetry.span().attributes.get("gen_ai.output.type") == expected


@needs_thinking
@pytest.mark.parametrize("think, level", [("high", "high"), (True, None)])
async def test_think_level(telemetry, api, fake, think, level):
    fake.reply("/api/chat", chat_response("42.", thinking="Let me think."))

    await api.chat(think=think)

    attributes = telemetry.span().attributes
    assert attributes.get("gen_ai.request.reasoning.level") == level  # a level; True names none
    assert "gen_ai.usage.reasoning.output_tokens" not in attributes  # Ollama does not count them apart


async def test_usage_only_when_the_server_counts_it(telemetry, api, fake):
    # the server leaves prompt_eval_count out when the whole prompt came from its cache
    fake.reply("/api/chat", chat_response("Hi.", prompt_eval_count=None))

    await api.chat()

    attributes = telemetry.span().attributes
    assert "gen_ai.usage.input_tokens" not in attributes
    assert attributes["gen_ai.usage.output_tokens"] == EVAL_COUNT


async def test_a_missing_done_reason_is_error(telemetry, api, fake):
    fake.reply("/api/chat", chat_response("Hi.", done_reason=None))

    await api.chat()

    assert telemetry.span().attributes["gen_ai.response.finish_reasons"] == ("error",)


async def test_length_finish_reason(content_telemetry, api, fake):
    fake.reply("/api/chat", chat_response("The sky is", done_reason="length"))

    await api.chat(options={"num_predict": 3})

    span = content_telemetry.span()
    assert span.attributes["gen_ai.response.finish_reasons"] == ("length",)
    [message] = span_content(span, "gen_ai.output.messages")
    assert message["finish_reason"] == "length"


async def test_the_request_is_sent_inside_the_span(telemetry, api, fake):
    seen: list[Any] = []
    fake.on_request = lambda request: seen.append(trace.get_current_span().get_span_context().span_id)
    fake.reply("/api/chat", chat_response("Hi."))

    await api.chat()

    assert seen == [telemetry.span().context.span_id]  # an HTTP client span would nest under ours


# === content ===============================================================================================

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


async def test_chat_content(content_telemetry, api, fake, validate_schema):
    fake.reply("/api/chat", chat_response("A cat, and it is sunny in Paris."))
    call = function_call("get_weather", {"city": "Paris"})
    messages: list[dict[str, Any]] = [
        {"role": "system", "content": "You are terse."},
        {"role": "user", "content": "What is in this image?", "images": [PNG]},
        {"role": "assistant", "content": "", "tool_calls": [call]},
        {"role": "tool", "content": '{"sky": "sunny"}'},
    ]
    if HAS_TOOL_NAME:
        messages[-1]["tool_name"] = "get_weather"

    await api.chat(messages=messages)

    span = assert_conforms(content_telemetry, operation="chat", content=True)
    inputs = span_content(span, "gen_ai.input.messages")
    validate_schema("gen-ai-input-messages", inputs)
    tool_message: dict[str, Any] = {
        "role": "tool",
        "parts": [{"type": "tool_call_response", "id": None, "response": '{"sky": "sunny"}'}],
    }
    if HAS_TOOL_NAME:
        tool_message["name"] = "get_weather"
    assert inputs == [
        {"role": "system", "parts": [{"type": "text", "content": "You are terse."}]},
        {
            "role": "user",
            "parts": [
                {"type": "text", "content": "What is in this image?"},
                {
                    "type": "blob",
                    "modality": "image",
                    "mime_type": "image/png",
                    "content": base64.b64encode(PNG).decode(),
                },
            ],
        },
        {
            "role": "assistant",
            "parts": [
                {"type": "tool_call", "id": None, "name": "get_weather", "arguments": {"city": "Paris"}}
            ],
        },
        tool_message,
    ]
    outputs = span_content(span, "gen_ai.output.messages")
    validate_schema("gen-ai-output-messages", outputs)
    assert outputs == [
        {
            "role": "assistant",
            "parts": [{"type": "text", "content": "A cat, and it is sunny in Paris."}],
            "finish_reason": "stop",
        }
    ]


async def test_images_by_path_and_base64(content_telemetry, api, fake, tmp_path):
    image_file = tmp_path / "cat.png"
    image_file.write_bytes(PNG)
    encoded = base64.b64encode(PNG).decode()
    fake.reply("/api/chat", chat_response("Two cats."))

    await api.chat(messages=[{"role": "user", "content": "Same cat?", "images": [str(image_file), encoded]}])

    [message] = span_content(content_telemetry.span(), "gen_ai.input.messages")
    assert message["parts"][1:] == [
        {"type": "uri", "modality": "image", "uri": image_file.as_uri()},  # a file: referred to, not read
        {"type": "blob", "modality": "image", "mime_type": "image/png", "content": encoded},
    ]
    assert fake.last_json()["messages"][0]["images"] == [encoded, encoded]  # the SDK read the file itself


@needs_thinking
async def test_thinking_is_a_reasoning_part(content_telemetry, api, fake, validate_schema):
    fake.reply("/api/chat", chat_response("42.", thinking="Six times seven."))

    await api.chat(think=True)

    outputs = span_content(content_telemetry.span(), "gen_ai.output.messages")
    validate_schema("gen-ai-output-messages", outputs)
    assert outputs[0]["parts"] == [
        {"type": "reasoning", "content": "Six times seven."},
        {"type": "text", "content": "42."},
    ]


WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather for a city.",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}


async def test_tool_calls_have_no_ids(telemetry, api, fake):
    calls = [function_call("get_weather", {"city": "Paris"}), function_call("get_time", {"zone": "CET"})]
    fake.reply("/api/chat", chat_response("", tool_calls=calls))

    response = await api.chat(tools=[WEATHER_TOOL])

    assert [call.function.name for call in response.message.tool_calls] == ["get_weather", "get_time"]
    attributes = assert_conforms(telemetry, operation="chat", content=False).attributes
    assert attributes["otel_genai.response.tool_call.count"] == 2
    assert attributes["otel_genai.response.tool_call.names"] == ("get_weather", "get_time")
    assert "otel_genai.response.tool_call.ids" not in attributes  # none made up
    assert attributes["gen_ai.response.finish_reasons"] == ("stop",)  # what Ollama said
    assert "Paris" not in json.dumps({key: str(value) for key, value in attributes.items()})


async def test_tool_call_content(content_telemetry, api, fake, validate_schema):
    fake.reply("/api/chat", chat_response("", tool_calls=[function_call("get_weather", {"city": "Paris"})]))

    await api.chat(tools=[WEATHER_TOOL])

    span = content_telemetry.span()
    [message] = span_content(span, "gen_ai.output.messages")
    validate_schema("gen-ai-output-messages", [message])
    assert message == {
        "role": "assistant",
        "parts": [{"type": "tool_call", "id": None, "name": "get_weather", "arguments": {"city": "Paris"}}],
        "finish_reason": "tool_call",  # the schema's reason for a turn that asks for tools
    }
    assert span_content(span, "gen_ai.tool.definitions") == [{"type": "function", "name": "get_weather"}]


def get_weather(city: str) -> str:
    """Current weather for a city.

    Args:
      city: The city to look up
    """
    return "sunny"


@pytest.mark.parametrize("details", [False, True])
async def test_tools_as_python_functions(make_telemetry, api, fake, monkeypatch, validate_schema, details):
    if details:
        monkeypatch.setenv("OTEL_GENAI_CAPTURE_TOOL_DEFINITION_DETAILS", "true")
    telemetry = make_telemetry(capture_content=True)
    fake.reply("/api/chat", chat_response("", tool_calls=[function_call("get_weather", {"city": "Paris"})]))

    await api.chat(tools=[get_weather])

    span = telemetry.span()
    definitions = span_content(span, "gen_ai.tool.definitions")
    validate_schema("gen-ai-tool-definitions", definitions)
    sent = fake.last_json()["tools"][0]["function"]  # what the SDK made of the function
    if details:
        assert definitions == [
            {
                "type": "function",
                "name": "get_weather",
                "description": sent["description"],
                "parameters": sent["parameters"],
            }
        ]
        assert sent["parameters"]["properties"]["city"]["type"] == "string"
    else:
        assert definitions == [{"type": "function", "name": "get_weather"}]
    assert span.attributes["otel_genai.tool.definitions.fingerprint"]


async def test_system_prompt_fingerprint(telemetry, api, fake):
    fake.reply("/api/chat", chat_response("Hi."))
    system = {"role": "system", "content": "You are terse."}

    await api.chat(messages=[system, {"role": "user", "content": "Hi"}])
    await api.chat(messages=[system, {"role": "user", "content": "Something else"}])
    await api.chat(
        messages=[{"role": "system", "content": "You are chatty."}, {"role": "user", "content": "Hi"}]
    )

    prints = [span.attributes["otel_genai.prompt.fingerprint"] for span in telemetry.spans()]
    assert prints[0] == prints[1] != prints[2]


# === generate ==============================================================================================


async def test_generate_is_a_text_completion(content_telemetry, api, fake, validate_schema):
    fake.reply("/api/generate", generate_response("def add(a, b):\n    return a + b"))

    response = await api.generate("def add(", suffix="\n\nprint(add(1, 2))", system="Complete the code.")

    assert response.response.startswith("def add")
    span = assert_conforms(content_telemetry, operation="text_completion", content=True)
    assert span.name == f"text_completion {MODEL}"
    assert (
        reader_attributes(span).items()
        >= {
            **identity("text_completion"),
            "gen_ai.response.model": MODEL,
            "gen_ai.response.finish_reasons": ("stop",),
            "gen_ai.usage.input_tokens": PROMPT_EVAL_COUNT,
            "gen_ai.usage.output_tokens": EVAL_COUNT,
            **timings(),
        }.items()
    )
    assert span_content(span, "gen_ai.system_instructions") == [
        {"type": "text", "content": "Complete the code."}
    ]
    inputs = span_content(span, "gen_ai.input.messages")
    validate_schema("gen-ai-input-messages", inputs)
    assert inputs == [
        {
            "role": "user",
            "parts": [
                {"type": "text", "content": "def add("},
                {"type": "text", "content": "\n\nprint(add(1, 2))"},  # the suffix: after the gap
            ],
        }
    ]
    assert span_content(span, "gen_ai.output.messages") == [
        {
            "role": "assistant",
            "parts": [{"type": "text", "content": "def add(a, b):\n    return a + b"}],
            "finish_reason": "stop",
        }
    ]
    assert span.attributes["otel_genai.prompt.fingerprint"]  # the system prompt's


async def test_generate_with_images_and_options(content_telemetry, api, fake):
    fake.reply("/api/generate", generate_response("A cat."))

    await api.generate("What is this?", images=[PNG], options={"temperature": 0.2}, format="json")

    span = content_telemetry.span()
    assert span.attributes["gen_ai.request.temperature"] == 0.2
    assert span.attributes["gen_ai.output.type"] == "json"
    [message] = span_content(span, "gen_ai.input.messages")
    assert message["parts"][1] == {
        "type": "blob",
        "modality": "image",
        "mime_type": "image/png",
        "content": base64.b64encode(PNG).decode(),
    }


async def test_generate_stream(content_telemetry, api, fake):
    fake.reply("/api/generate", stream=generate_chunks(["The sky ", "is ", "blue."]))

    stream = await api.generate(stream=True)
    text = "".join(chunk.response for chunk in await api.drain(stream))

    assert text == "The sky is blue."
    span = assert_conforms(content_telemetry, operation="text_completion", content=True, stream=True)
    assert span.attributes["gen_ai.usage.output_tokens"] == EVAL_COUNT
    assert span_content(span, "gen_ai.output.messages")[0]["parts"] == [{"type": "text", "content": text}]


# === embeddings ============================================================================================


async def test_embed(telemetry, api, fake):
    fake.reply("/api/embed", embed_response(inputs=2, dimensions=8, prompt_eval_count=11))

    response = await api.embed(["Hello", "World"])

    assert len(response.embeddings) == 2
    span = assert_conforms(telemetry, operation="embeddings", content=False)
    assert span.name == "embeddings all-minilm"
    assert reader_attributes(span) == {
        **identity("embeddings", "all-minilm"),
        "gen_ai.response.model": "all-minilm",
        "gen_ai.usage.input_tokens": 11,
        "gen_ai.embeddings.dimension.count": 8,
        "ollama.response.load_duration": 1019500 / 1e9,
    }


async def test_embed_dimensions_requested(telemetry, api, fake):
    if "dimensions" not in inspect.signature(ollama.Client.embed).parameters:
        pytest.skip("embed(dimensions=...) is new in ollama 0.6")
    fake.reply("/api/embed", embed_response(dimensions=4))

    await api.embed("Hello", dimensions=4)

    assert telemetry.span().attributes["gen_ai.embeddings.dimension.count"] == 4


async def test_older_embeddings(telemetry, api, fake):
    fake.reply("/api/embeddings", embeddings_response(dimensions=6))

    response = await api.embeddings()

    assert len(response.embedding) == 6
    span = assert_conforms(telemetry, operation="embeddings", content=False)
    assert reader_attributes(span) == {
        **identity("embeddings", "all-minilm"),
        "gen_ai.embeddings.dimension.count": 6,
    }  # the endpoint names no model and counts nothing


# === streams ===============================================================================================


async def test_stream_consumed_fully(telemetry, api, fake):
    fake.reply(
        "/api/chat", stream=chat_chunks(["The sky ", "is ", "blue."], prompt_eval_count=9, eval_count=4)
    )

    stream = await api.chat(stream=True)

    assert inspect.isasyncgen(stream) if api.is_async else inspect.isgenerator(stream)  # still a generator
    assert telemetry.spans() == []  # the span lasts as long as the stream
    chunks = await api.drain(stream)
    assert all(isinstance(chunk, ollama.ChatResponse) for chunk in chunks)
    assert "".join(chunk.message.content for chunk in chunks) == "The sky is blue."
    span = assert_conforms(telemetry, operation="chat", content=False, stream=True)
    assert reader_attributes(span) == {
        **identity("chat"),
        "gen_ai.request.stream": True,
        "gen_ai.response.model": MODEL,
        "gen_ai.response.finish_reasons": ("stop",),
        "gen_ai.usage.input_tokens": 9,  # the final chunk's
        "gen_ai.usage.output_tokens": 4,
        "gen_ai.response.time_to_first_chunk": span.attributes["gen_ai.response.time_to_first_chunk"],
        **timings(),
    }
    assert span.attributes["gen_ai.response.time_to_first_chunk"] >= 0
    assert sum(p.count for p in points(telemetry, TIME_TO_FIRST_CHUNK)) == 1
    assert sum(p.count for p in points(telemetry, TIME_PER_OUTPUT_CHUNK)) == len(chunks) - 1


async def test_stream_request_is_sent_inside_the_span(telemetry, api, fake):
    seen: list[Any] = []
    fake.on_request = lambda request: seen.append(trace.get_current_span().get_span_context().span_id)
    fake.reply("/api/chat", stream=chat_chunks(["Hi."]))

    stream = await api.chat(stream=True)
    assert seen == []  # the SDK sends the request at the first step, not before
    await api.drain(stream)

    assert seen == [telemetry.span().context.span_id]
    assert trace.get_current_span() is trace.INVALID_SPAN  # nothing of ours left current


@needs_thinking
async def test_stream_content_is_assembled(content_telemetry, api, fake, validate_schema):
    call = function_call("get_weather", {"city": "Paris"})
    fake.reply(
        "/api/chat",
        stream=chat_chunks(["Let me ", "check."], thinking=["Weather ", "tool."], tool_calls=[call]),
    )

    await api.drain(await api.chat(stream=True, think=True, tools=[WEATHER_TOOL]))

    span = assert_conforms(content_telemetry, operation="chat", content=True, stream=True)
    [message] = span_content(span, "gen_ai.output.messages")
    validate_schema("gen-ai-output-messages", [message])
    assert message == {
        "role": "assistant",
        "parts": [
            {"type": "reasoning", "content": "Weather tool."},
            {"type": "text", "content": "Let me check."},
            {"type": "tool_call", "id": None, "name": "get_weather", "arguments": {"city": "Paris"}},
        ],
        "finish_reason": "tool_call",
    }
    assert span.attributes["otel_genai.response.tool_call.names"] == ("get_weather",)


async def test_stream_read_partly_then_closed(content_telemetry, api, fake):
    fake.reply("/api/chat", stream=chat_chunks(["The sky ", "is ", "blue."]))
    stream = await api.chat(stream=True)

    first = await api.next(stream)
    assert first.message.content == "The sky "
    assert content_telemetry.spans() == []
    await api.aclose(stream)

    span = ended_once(content_telemetry)
    assert span.status.status_code is StatusCode.UNSET
    assert span.attributes["gen_ai.response.finish_reasons"] == ("error",)  # none arrived
    assert "gen_ai.usage.output_tokens" not in span.attributes
    assert span_content(span, "gen_ai.output.messages") == [
        {"role": "assistant", "parts": [{"type": "text", "content": "The sky "}], "finish_reason": "error"}
    ]
    await api.aclose(stream)  # again: nothing ends twice
    ended_once(content_telemetry)


async def test_stream_abandoned(telemetry, api, fake):
    fake.reply("/api/chat", stream=chat_chunks(["The sky ", "is ", "blue."]))
    stream = await api.chat(stream=True)
    assert (await api.next(stream)).message.content == "The sky "

    del stream
    gc.collect()
    await settle(telemetry)

    span = ended_once(telemetry)
    assert span.attributes["gen_ai.response.finish_reasons"] == ("error",)


async def test_stream_never_iterated(telemetry, api, fake):
    fake.reply("/api/chat", stream=chat_chunks(["Hi."]))
    stream = await api.chat(stream=True)

    del stream
    gc.collect()
    await settle(telemetry)

    span = ended_once(telemetry)
    assert fake.requests == []  # the SDK never sent it
    assert "gen_ai.response.finish_reasons" not in span.attributes


async def test_stream_broken_midway(telemetry, api, fake, failures):
    chunks = chat_chunks(["The sky ", "is "], final=False)
    fake.reply("/api/chat", stream=chunks, break_after=httpx.ReadError("connection reset"))
    stream = await api.chat(stream=True)
    received: list[Any] = []

    with pytest.raises(httpx.ReadError) as raised:
        await api.drain(stream, into=received)

    assert [chunk.message.content for chunk in received] == ["The sky ", "is "]
    assert failures == [raised.value]  # the very exception the application got
    span = assert_conforms(telemetry, operation="chat", failed=True, error_type="ReadError", stream=True)
    assert span.attributes["gen_ai.response.model"] == MODEL  # learned from the chunks before the break


async def test_error_inside_a_stream(telemetry, api, fake, failures):
    secret = "out of memory while loading a model for margaret@example.com"
    fake.reply("/api/chat", stream=[*chat_chunks(["The "], final=False), {"error": secret}])
    stream = await api.chat(stream=True)

    with pytest.raises(ollama.ResponseError) as raised:
        await api.drain(stream)

    assert failures == [raised.value]
    # the server sent no status inside the stream: the exception's type
    span = assert_conforms(telemetry, operation="chat", failed=True, error_type="ResponseError", stream=True)
    assert span.status.description == "ResponseError"
    assert secret not in json.dumps([str(event.attributes) for event in span.events])


async def test_stream_refused(telemetry, api, fake, failures):
    fake.reply("/api/chat", {"error": 'model "llama9" not found, try pulling it first'}, status=404)
    stream = await api.chat(stream=True, model="llama9")

    with pytest.raises(ollama.ResponseError) as raised:
        await api.next(stream)

    assert raised.value.status_code == 404
    assert failures == [raised.value]
    assert_conforms(telemetry, operation="chat", failed=True, error_type="404", stream=True)


async def test_stream_end_is_reported(telemetry, api, fake):
    fake.reply("/api/chat", stream=chat_chunks(["Hi."]))
    stream = await api.chat(stream=True)

    assert (await api.next(stream)).message.content == "Hi."
    assert (await api.next(stream)).done is True
    assert await api.next(stream) is END

    ended_once(telemetry)


# === errors ================================================================================================


async def test_response_error(telemetry, api, fake, failures):
    message = 'model "llama9" not found, try pulling it first'
    fake.reply("/api/chat", {"error": message}, status=404)

    with pytest.raises(ollama.ResponseError) as raised:
        await api.chat(model="llama9")

    assert raised.value.error == message
    assert failures == [raised.value]
    span = assert_conforms(telemetry, operation="chat", content=False, failed=True, error_type="404")
    assert span.status.description == "404"  # the message is content: not on the span by default
    assert 'llama9" not found' not in json.dumps([str(event.attributes) for event in span.events])
    [duration] = points(telemetry, "gen_ai.client.operation.duration")
    assert duration.attributes["error.type"] == "404"


async def test_response_error_text_with_content(content_telemetry, api, fake):
    fake.reply("/api/generate", {"error": "prompt too long for kate@example.com"}, status=400)

    with pytest.raises(ollama.ResponseError):
        await api.generate()

    span = assert_conforms(content_telemetry, operation="text_completion", failed=True, error_type="400")
    assert "prompt too long" in span.status.description  # for the redacting processor to work on


async def test_server_not_running(telemetry, api, fake, failures):
    fake.fail_connecting("/api/chat")

    with pytest.raises(Exception) as raised:  # ConnectionError in later 0.4s on, httpx.ConnectError before
        await api.chat()

    assert isinstance(raised.value, (ConnectionError, httpx.ConnectError))
    assert failures == [raised.value]
    assert_conforms(telemetry, operation="chat", failed=True, error_type=type(raised.value).__qualname__)


async def test_embed_error(telemetry, api, fake):
    fake.reply("/api/embed", {"error": "this model does not support embeddings"}, status=400)

    with pytest.raises(ollama.ResponseError):
        await api.embed()

    assert_conforms(telemetry, operation="embeddings", failed=True, error_type="400")


# === the client ============================================================================================


@pytest.mark.parametrize(
    "host, address, port",
    [
        (None, "127.0.0.1", 11434),  # the SDK's default
        ("http://gpu-box.internal:8080", "gpu-box.internal", 8080),
        ("https://ollama.example.com", "ollama.example.com", 443),
        ("localhost", "localhost", 11434),
    ],
)
def test_server_from_the_client_host(telemetry, monkeypatch, host, address, port):
    monkeypatch.delenv("OLLAMA_HOST", raising=False)
    fake = FakeOllama()
    fake.reply("/api/chat", chat_response("Hi."))

    make_client(fake, host=host).chat(MODEL, [{"role": "user", "content": "Hi"}])

    attributes = telemetry.span().attributes
    assert (attributes["server.address"], attributes["server.port"]) == (address, port)


def test_the_package_functions(telemetry, monkeypatch):
    """``ollama.chat(...)``: the default client's bound methods, taken when the package was imported."""
    fake = FakeOllama()
    fake.reply("/api/chat", chat_response("Hi."))
    fake.reply("/api/embed", embed_response())
    default_client = ollama.chat.__self__
    http = httpx.Client(base_url=f"http://{HOST}:{PORT}", transport=httpx.MockTransport(fake))
    monkeypatch.setattr(default_client, "_client", http)

    assert ollama.chat(MODEL, [{"role": "user", "content": "Hi"}]).message.content == "Hi."
    ollama.embed("all-minilm", "Hi")

    chat, embed = telemetry.spans()  # one span each: not one per wrapper
    assert (chat.name, embed.name) == (f"chat {MODEL}", "embeddings all-minilm")
    assert chat.attributes["server.address"] == HOST


def test_uninstrument_restores_the_client(make_telemetry):
    telemetry = make_telemetry()
    fake = FakeOllama()
    fake.reply("/api/chat", stream=chat_chunks(["Hi."]))
    client = make_client(fake)
    client.chat(MODEL, [], stream=True).close()
    assert len(telemetry.spans()) == 1

    otel_genai.uninstrument()

    for owner in (ollama.Client, ollama.AsyncClient, ollama):
        for name in ("chat", "generate", "embed", "embeddings"):
            assert not isinstance(getattr(owner, name), wrapt.ObjectProxy), (owner, name)
    stream = client.chat(MODEL, [], stream=True)
    assert not isinstance(stream, wrapt.ObjectProxy)  # the SDK's own generator again
    assert "".join(chunk.message.content for chunk in stream) == "Hi."
    assert len(telemetry.spans()) == 1


async def test_suppressed(telemetry, api, fake):
    fake.reply("/api/chat", chat_response("Hi."))

    with suppress_instrumentation():
        await api.chat()

    assert telemetry.spans() == []
    assert telemetry.metrics() == {}


# === cost ==================================================================================================


def test_local_models_have_no_cost_and_no_price_warning(make_telemetry, monkeypatch, tmp_path, caplog):
    monkeypatch.setenv("OTEL_GENAI_STATE_DIR", str(tmp_path))
    telemetry = make_telemetry()
    fake = FakeOllama()
    model = "my-finetune-no-price:latest"  # a name no other test uses: the note is once per process
    fake.reply("/api/chat", chat_response("Hi.", model=model))

    with caplog.at_level(logging.WARNING, logger="otel_genai"):
        make_client(fake).chat(model, [{"role": "user", "content": "Hi"}])

    attributes = telemetry.span().attributes
    assert attributes["gen_ai.usage.input_tokens"] == PROMPT_EVAL_COUNT  # tokens, and no price for them
    assert not [key for key in attributes if "cost" in key]
    assert COST not in telemetry.metrics()
    assert [record.getMessage() for record in caplog.records if model in record.getMessage()] == []
    assert list(tmp_path.iterdir()) == []  # nothing for doctor's unpriced list either


def test_a_price_the_application_gives_is_used(make_telemetry):
    """A team that prices its own hardware per token can still say so (``prices=``)."""
    prices = {"models": [{"provider": "ollama", "model": MODEL, "input": 0.1, "output": 0.2}]}
    telemetry = make_telemetry(prices=prices)
    fake = FakeOllama()
    fake.reply("/api/chat", chat_response("Hi."))

    make_client(fake).chat(MODEL, [{"role": "user", "content": "Hi"}])

    attributes = telemetry.span().attributes
    expected = (PROMPT_EVAL_COUNT * 0.1 + EVAL_COUNT * 0.2) / 1_000_000
    assert attributes["gen_ai.usage.cost.amount"] == pytest.approx(expected, rel=1e-9)
    assert attributes["gen_ai.usage.cost.source"] == "local"


# === never break the application ===========================================================================


def _raise(*args: Any, **kwargs: Any) -> Any:
    raise RuntimeError("instrumentation bug")


async def test_a_failing_reader_leaves_the_call_alone(telemetry, api, fake, monkeypatch):
    from otel_genai.instrumentation import ollama as ollama_instrumentation

    fake.reply("/api/chat", chat_response("Hi."))
    monkeypatch.setattr(ollama_instrumentation, "_read_common", _raise)

    assert (await api.chat()).message.content == "Hi."

    span = ended_once(telemetry)
    assert span.status.status_code is StatusCode.UNSET


async def test_a_failing_request_reader_calls_untraced(telemetry, api, fake, monkeypatch):
    from otel_genai.instrumentation import ollama as ollama_instrumentation

    fake.reply("/api/chat", stream=chat_chunks(["Hi."]))
    monkeypatch.setattr(ollama_instrumentation, "_read_options", _raise)

    assert "".join(c.message.content for c in await api.drain(await api.chat(stream=True))) == "Hi."
    assert telemetry.spans() == []


async def test_a_failing_chunk_reader_keeps_the_stream(telemetry, api, fake, monkeypatch):
    from otel_genai.instrumentation import ollama as ollama_instrumentation

    fake.reply("/api/chat", stream=chat_chunks(["The sky ", "is blue."]))
    monkeypatch.setattr(ollama_instrumentation._ChatStream, "on_chunk", _raise)

    chunks = await api.drain(await api.chat(stream=True))

    assert "".join(c.message.content for c in chunks) == "The sky is blue."
    ended_once(telemetry)
