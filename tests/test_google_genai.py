"""Google GenAI (``google-genai``): the real client, its HTTP answered by a loopback server (no network).

Plain calls, request parameters, providers and endpoints, usage, finish reasons and blocks, tool calls
without content, chats, automatic function calling, embeddings, uninstrument and instrument-on-import.
Content shapes are in ``test_google_genai_content.py``, streams in ``test_google_genai_streams.py``, errors
in ``test_google_genai_errors.py``.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import wrapt
from google.genai import types
from opentelemetry.trace import SpanKind, StatusCode

import otel_genai
from helpers.conformance import assert_conforms
from helpers.google_genai_fakes import (
    EMBEDDING_MODEL,
    GEMINI_RESPONSE_ID,
    MODEL,
    MODEL_VERSION,
    FakeGemini,
    Reply,
    candidate,
    function_call,
    response,
    text,
    text_response,
    usage,
    vertex_predictions,
)
from helpers.telemetry import attributes, points, reader_attributes
from otel_genai.instrumentation import google_genai as instrumentation

TOKEN_USAGE = "gen_ai.client.token.usage"


def base_attributes(fake_gemini: FakeGemini, provider: str = "gcp.gemini") -> dict[str, Any]:
    return {
        "gen_ai.operation.name": "generate_content",
        "gen_ai.provider.name": provider,
        "gen_ai.request.model": MODEL,
        "server.address": "127.0.0.1",
        "server.port": fake_gemini.port,
    }


# (+ gen_ai.response.id where the SDK keeps it: GEMINI_RESPONSE_ID)
RESPONSE_ATTRIBUTES = {
    "gen_ai.response.model": MODEL_VERSION,
    "gen_ai.response.finish_reasons": ("stop",),
    "gen_ai.usage.input_tokens": 8,
    "gen_ai.usage.output_tokens": 12,
}


# === plain calls ===================================================================================


async def test_plain_call_span_name_kind_and_exact_attributes(telemetry, gemini_api, fake_gemini):
    result = await gemini_api.generate()

    assert result.text == "Paris."  # the application's response, untouched
    span = telemetry.span()
    assert span.name == f"generate_content {MODEL}"
    assert span.kind is SpanKind.CLIENT
    response_id = {"gen_ai.response.id": "resp-1"} if GEMINI_RESPONSE_ID else {}
    assert reader_attributes(span) == {**base_attributes(fake_gemini), **RESPONSE_ATTRIBUTES, **response_id}
    assert_conforms(telemetry, operation="generate_content", content=False)


async def test_content_call_conforms(content_telemetry, gemini_api, fake_gemini):
    await gemini_api.generate(config={"system_instruction": "Answer in one word."})
    span = assert_conforms(content_telemetry, operation="generate_content", content=True)
    assert json.loads(span.attributes["gen_ai.system_instructions"]) == [
        {"type": "text", "content": "Answer in one word."}
    ]


async def test_span_is_a_child_of_the_current_span(telemetry, gemini_api):
    tracer = telemetry.tracer_provider.get_tracer("app")
    with tracer.start_as_current_span("handle request") as parent:
        await gemini_api.generate()
    [call, outer] = telemetry.spans()
    assert call.parent is not None and call.parent.span_id == parent.get_span_context().span_id
    assert outer.name == "handle request"


ALL_PARAMETERS = {
    "temperature": 0.3,
    "top_p": 0.9,
    "top_k": 40,
    "max_output_tokens": 256,
    "stop_sequences": ["END"],
    "candidate_count": 2,
    "seed": 7,
    "presence_penalty": 0.5,
    "frequency_penalty": 0.25,
    "response_mime_type": "application/json",
}
PARAMETER_ATTRIBUTES = {
    "gen_ai.request.temperature": 0.3,
    "gen_ai.request.top_p": 0.9,
    "gen_ai.request.top_k": 40,
    "gen_ai.request.max_tokens": 256,
    "gen_ai.request.stop_sequences": ("END",),
    "gen_ai.request.choice.count": 2,
    "gen_ai.request.seed": 7,
    "gen_ai.request.presence_penalty": 0.5,
    "gen_ai.request.frequency_penalty": 0.25,
    "gen_ai.output.type": "json",
}


@pytest.mark.parametrize("form", ["GenerateContentConfig", "dict"])
async def test_every_request_parameter_becomes_an_attribute(telemetry, gemini_api, fake_gemini, form):
    config = types.GenerateContentConfig(**ALL_PARAMETERS) if form != "dict" else dict(ALL_PARAMETERS)
    fake_gemini.queue(Reply(response([candidate([text("{}")]), candidate([text("{}")], index=1)])))

    await gemini_api.generate(config=config)

    span_attributes = attributes(telemetry.span())
    for key, value in PARAMETER_ATTRIBUTES.items():
        assert span_attributes[key] == value, key
    assert isinstance(span_attributes["gen_ai.request.top_k"], int)
    # what the SDK really sent (so the parameters are the ones the API saw)
    sent = fake_gemini.requests[0].body["generationConfig"]
    assert sent["maxOutputTokens"] == 256 and sent["candidateCount"] == 2 and sent["topK"] == 40
    assert_conforms(telemetry, operation="generate_content")


async def test_integer_sampling_arguments_are_doubles(telemetry, gemini_api):
    await gemini_api.generate(config={"temperature": 1, "top_p": 1})
    span_attributes = attributes(telemetry.span())
    assert span_attributes["gen_ai.request.temperature"] == 1.0
    assert isinstance(span_attributes["gen_ai.request.temperature"], float)
    assert isinstance(span_attributes["gen_ai.request.top_p"], float)


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ({"response_mime_type": "application/json"}, "json"),
        ({"response_mime_type": "application/json", "response_schema": {"type": "OBJECT"}}, "json"),
        ({"response_mime_type": "text/plain"}, "text"),
        ({"temperature": 0.1}, None),
    ],
)
async def test_output_type(telemetry, gemini_api, config, expected):
    await gemini_api.generate(config=config)
    assert attributes(telemetry.span()).get("gen_ai.output.type") == expected


@pytest.mark.skipif(
    "thinking_level" not in getattr(types, "ThinkingConfig", types.GenerateContentConfig).model_fields,
    reason="ThinkingConfig.thinking_level is new in google-genai 1.51",
)
async def test_thinking_level_is_the_reasoning_level(telemetry, gemini_api, fake_gemini):
    await gemini_api.generate(config={"thinking_config": {"thinking_level": "LOW"}})
    assert attributes(telemetry.span())["gen_ai.request.reasoning.level"] == "LOW"


async def test_a_call_without_config_sets_no_request_parameters(telemetry, gemini_api):
    await gemini_api.generate()
    assert not [
        key
        for key in attributes(telemetry.span())
        if key.startswith("gen_ai.request.") and key != "gen_ai.request.model"
    ]


async def test_model_is_named_exactly_as_requested(telemetry, gemini_api, fake_gemini):
    await gemini_api.generate(model=f"models/{MODEL}")
    span = telemetry.span()
    assert span.name == f"generate_content models/{MODEL}"
    assert span.attributes["gen_ai.request.model"] == f"models/{MODEL}"
    assert span.attributes["gen_ai.response.model"] == MODEL_VERSION


# === providers and endpoints ========================================================================


async def test_vertex_ai_client_is_provider_vertex_ai(telemetry, vertex_api, fake_gemini):
    await vertex_api.generate()

    span = telemetry.span()
    assert reader_attributes(span) == {
        **base_attributes(fake_gemini, "gcp.vertex_ai"),
        **RESPONSE_ATTRIBUTES,
        "gen_ai.response.id": "resp-1",  # Vertex AI's response id: kept by every release
    }
    assert "/projects/test-project/locations/us-central1/" in fake_gemini.requests[0].path
    assert fake_gemini.requests[0].headers.get("Authorization") == "Bearer dummy-token"
    assert_conforms(telemetry, operation="generate_content")


def test_default_endpoints_of_each_backend():
    from google import genai
    from google.oauth2.credentials import Credentials

    gemini = genai.Client(api_key="test-key")
    vertex = genai.Client(
        vertexai=True, project="p", location="europe-west4", credentials=Credentials(token="t")
    )
    assert instrumentation._endpoint(gemini.models) == (
        "gcp.gemini",
        "generativelanguage.googleapis.com",
        443,
    )
    assert instrumentation._endpoint(vertex.aio.models) == (
        "gcp.vertex_ai",
        "europe-west4-aiplatform.googleapis.com",
        443,
    )


# === usage ==========================================================================================


async def test_usage_with_cache_thoughts_and_tool_use(telemetry, gemini_api, fake_gemini):
    metadata = usage(100, 20, thoughts=30, cached=64, tool_use=5)
    fake_gemini.queue(Reply(response([candidate([text("42")])], usage_metadata=metadata)))

    await gemini_api.generate()

    span_attributes = attributes(telemetry.span())
    # Gemini's prompt count already includes the cached tokens; the tool-use prompt is counted apart
    assert span_attributes["gen_ai.usage.input_tokens"] == 105
    assert span_attributes["gen_ai.usage.cache_read.input_tokens"] == 64
    # thoughts are output for the conventions, and its reasoning subset
    assert span_attributes["gen_ai.usage.output_tokens"] == 50
    assert span_attributes["gen_ai.usage.reasoning.output_tokens"] == 30
    assert metadata["totalTokenCount"] == 155 == 105 + 50  # the provider's total is input + output
    tokens = {p.attributes["gen_ai.token.type"]: p for p in points(telemetry, TOKEN_USAGE)}
    assert tokens["input"].sum == 105 and tokens["output"].sum == 50


async def test_response_without_usage_sets_no_usage(telemetry, gemini_api, fake_gemini):
    body = text_response()
    del body["usageMetadata"]
    fake_gemini.queue(Reply(body))
    await gemini_api.generate()
    assert not [key for key in attributes(telemetry.span()) if key.startswith("gen_ai.usage.")]
    assert points(telemetry, TOKEN_USAGE) == []


# === finish reasons and blocks =====================================================================


@pytest.mark.parametrize(
    ("finish", "reported", "mapped"),
    [
        ("MAX_TOKENS", "max_tokens", "length"),
        ("SAFETY", "safety", "content_filter"),
        ("OTHER", "other", "error"),
    ],
)
async def test_finish_reasons_are_lower_cased_and_mapped(
    content_telemetry, gemini_api, fake_gemini, finish, reported, mapped
):
    fake_gemini.queue(Reply(text_response("Par", finish=finish)))
    await gemini_api.generate()
    span = content_telemetry.span()
    assert span.attributes["gen_ai.response.finish_reasons"] == (reported,)
    [message] = json.loads(span.attributes["gen_ai.output.messages"])
    assert message["finish_reason"] == mapped


async def test_several_candidates_keep_their_order(
    content_telemetry, gemini_api, fake_gemini, validate_schema
):
    fake_gemini.queue(
        Reply(response([candidate([text("Paris.")], "STOP", 0), candidate([text("Par")], "MAX_TOKENS", 1)]))
    )
    await gemini_api.generate(config={"candidate_count": 2})
    span = content_telemetry.span()
    assert span.attributes["gen_ai.response.finish_reasons"] == ("stop", "max_tokens")
    outputs = json.loads(span.attributes["gen_ai.output.messages"])
    validate_schema("gen-ai-output-messages", outputs)
    assert [m["parts"][0]["content"] for m in outputs] == ["Paris.", "Par"]
    assert [m["finish_reason"] for m in outputs] == ["stop", "length"]


@pytest.mark.parametrize("capture", [False, True])
async def test_blocked_prompt_is_a_content_filter_not_a_failure(
    make_telemetry, gemini_api, fake_gemini, capture
):
    telemetry = make_telemetry(capture_content=capture)
    fake_gemini.queue(
        Reply(response(None, prompt_feedback={"blockReason": "SAFETY"}, usage_metadata=usage(9, None)))
    )

    result = await gemini_api.generate()

    assert result.candidates is None and result.prompt_feedback.block_reason.name == "SAFETY"
    span = assert_conforms(telemetry, operation="generate_content", content=capture)
    assert span.status.status_code is StatusCode.UNSET
    assert span.attributes["gen_ai.response.finish_reasons"] == ("content_filter",)
    assert span.attributes["gen_ai.usage.input_tokens"] == 9
    if capture:
        assert json.loads(span.attributes["gen_ai.output.messages"]) == [
            {"role": "assistant", "parts": [], "finish_reason": "content_filter"}
        ]


# === tool calls ====================================================================================


async def test_tool_calls_are_visible_without_content(telemetry, gemini_api, fake_gemini):
    parts = [
        function_call("get_weather", {"city": "Paris"}, "call-1"),
        function_call("get_time", {"tz": "CET"}, "call-2"),
    ]
    fake_gemini.queue(Reply(response([candidate(parts)])))

    result = await gemini_api.generate()

    assert [c.name for c in result.function_calls] == ["get_weather", "get_time"]
    span = assert_conforms(telemetry, operation="generate_content", content=False)
    assert span.attributes["otel_genai.response.tool_call.count"] == 2
    assert span.attributes["otel_genai.response.tool_call.names"] == ("get_weather", "get_time")
    assert span.attributes["otel_genai.response.tool_call.ids"] == ("call-1", "call-2")
    assert span.attributes["gen_ai.response.finish_reasons"] == ("stop",)  # what Gemini said


async def test_tool_calls_without_ids(content_telemetry, gemini_api, fake_gemini, validate_schema):
    fake_gemini.queue(
        Reply(response([candidate([text("Let me check."), function_call("get_weather", {"city": "Paris"})])]))
    )
    await gemini_api.generate()
    span = content_telemetry.span()
    assert span.attributes["otel_genai.response.tool_call.names"] == ("get_weather",)
    assert "otel_genai.response.tool_call.ids" not in span.attributes
    [message] = json.loads(span.attributes["gen_ai.output.messages"])
    validate_schema("gen-ai-output-messages", [message])
    assert message == {
        "role": "assistant",
        "parts": [
            {"type": "text", "content": "Let me check."},
            {"type": "tool_call", "id": None, "name": "get_weather", "arguments": {"city": "Paris"}},
        ],
        "finish_reason": "tool_call",  # Gemini says STOP; asking for a function is a tool call
    }


# === chats ==========================================================================================


async def test_chat_messages_are_one_span_each_with_the_history(content_telemetry, gemini_api, fake_gemini):
    fake_gemini.queue(
        Reply(text_response("Paris.")), Reply(text_response("About 2.1 million.", response_id="resp-2"))
    )
    chat = gemini_api.chat()

    await gemini_api.send(chat, "What is the capital of France?")
    await gemini_api.send(chat, "How many people live there?")

    first, second = content_telemetry.spans()
    assert [s.name for s in (first, second)] == [f"generate_content {MODEL}"] * 2
    assert second.attributes.get("gen_ai.response.id") == ("resp-2" if GEMINI_RESPONSE_ID else None)
    history = json.loads(second.attributes["gen_ai.input.messages"])
    assert [(m["role"], m["parts"][0]["content"]) for m in history] == [
        ("user", "What is the capital of France?"),
        ("assistant", "Paris."),
        ("user", "How many people live there?"),
    ]
    assert len(fake_gemini.requests) == 2


async def test_chat_stream_is_one_span(telemetry, gemini_api, fake_gemini):
    chat = gemini_api.chat()
    stream = await gemini_api.send_stream(chat, "What is the capital of France?")
    chunks = await gemini_api.drain(stream)
    assert "".join(c.text for c in chunks) == "The capital is Paris."
    assert_conforms(telemetry, operation="generate_content", stream=True)


def get_weather(city: str) -> str:
    """Current weather for a city."""
    return f"Sunny in {city}"


# real types, not this module's postponed (string) annotations: releases before 1.2x cannot resolve those
get_weather.__annotations__ = {"city": str, "return": str}


async def test_automatic_function_calling_is_one_span_per_model_request(
    content_telemetry, gemini_api, fake_gemini
):
    """The SDK runs the function between two requests: two model calls, two spans, nothing nested."""
    fake_gemini.queue(
        Reply(response([candidate([function_call("get_weather", {"city": "Paris"})])], response_id="r1")),
        Reply(text_response("It is sunny in Paris.", response_id="r2", usage_metadata=usage(30, 8))),
    )

    result = await gemini_api.generate(contents="Weather in Paris?", config={"tools": [get_weather]})

    assert result.text == "It is sunny in Paris."
    first, second = content_telemetry.spans()
    if GEMINI_RESPONSE_ID:
        assert (first.attributes["gen_ai.response.id"], second.attributes["gen_ai.response.id"]) == (
            "r1",
            "r2",
        )
    assert first.attributes["otel_genai.response.tool_call.names"] == ("get_weather",)
    assert second.attributes["gen_ai.usage.input_tokens"] == 30  # each request's own usage
    assert first.parent == second.parent  # siblings: the function ran between them
    assert json.loads(first.attributes["gen_ai.tool.definitions"]) == [
        {"type": "function", "name": "get_weather"}
    ]
    second_input = json.loads(second.attributes["gen_ai.input.messages"])
    assert [m["role"] for m in second_input] == ["user", "assistant", "tool"]
    assert second_input[2]["parts"] == [
        {"type": "tool_call_response", "id": None, "response": {"result": "Sunny in Paris"}}
    ]


# === embeddings =====================================================================================


async def test_embeddings(telemetry, gemini_api, fake_gemini):
    result = await gemini_api.embed(contents=["first", "second"])

    assert len(result.embeddings) == 2
    span = assert_conforms(telemetry, operation="embeddings", content=False)
    assert span.name == f"embeddings {EMBEDDING_MODEL}"
    assert reader_attributes(span) == {
        "gen_ai.operation.name": "embeddings",
        "gen_ai.provider.name": "gcp.gemini",
        "gen_ai.request.model": EMBEDDING_MODEL,
        "server.address": "127.0.0.1",
        "server.port": fake_gemini.port,
        "gen_ai.embeddings.dimension.count": 4,
    }


async def test_embeddings_output_dimensionality(telemetry, gemini_api, fake_gemini):
    await gemini_api.embed(config={"output_dimensionality": 4})
    assert telemetry.span().attributes["gen_ai.embeddings.dimension.count"] == 4


async def test_vertex_embeddings_count_input_tokens(telemetry, vertex_api, fake_gemini):
    fake_gemini.queue(Reply(vertex_predictions(count=2, tokens=5)))
    await vertex_api.embed(contents=["first", "second"])
    span = assert_conforms(telemetry, operation="embeddings")
    assert span.attributes["gen_ai.provider.name"] == "gcp.vertex_ai"
    assert span.attributes["gen_ai.usage.input_tokens"] == 10
    assert span.attributes["gen_ai.embeddings.dimension.count"] == 4


# === robustness, uninstrument, instrument on import ============================================


def broken_reader(*args: Any) -> None:
    raise RuntimeError("reader bug")


async def test_broken_response_reader_does_not_affect_the_call(telemetry, gemini_api, monkeypatch):
    monkeypatch.setattr(instrumentation, "read_response", broken_reader)
    result = await gemini_api.generate()
    assert result.text == "Paris."
    assert telemetry.span().end_time is not None


async def test_broken_request_reader_calls_uninstrumented(telemetry, gemini_api, monkeypatch):
    monkeypatch.setattr(instrumentation, "_endpoint", broken_reader)
    result = await gemini_api.generate()
    assert result.text == "Paris."
    assert telemetry.spans() == []


async def test_suppressed_instrumentation_emits_nothing(telemetry, gemini_api):
    from opentelemetry.instrumentation.utils import suppress_instrumentation

    with suppress_instrumentation():
        await gemini_api.generate()
    assert telemetry.spans() == []


async def test_uninstrument_restores_the_sdk(make_telemetry, gemini_api, fake_gemini):
    from google.genai import models

    targets = [
        (getattr(models, cls), method)
        for cls, method, _ in instrumentation._TARGETS
        if hasattr(getattr(models, cls), method)
    ]
    originals = {target: vars(target[0])[target[1]] for target in targets}
    assert not any(isinstance(f, wrapt.ObjectProxy) for f in originals.values())
    telemetry = make_telemetry()
    assert all(vars(cls)[method] is not originals[cls, method] for cls, method in targets)

    otel_genai.uninstrument()

    for cls, method in targets:
        assert vars(cls)[method] is originals[cls, method], f"{cls.__name__}.{method}"
    await gemini_api.generate()
    stream = await gemini_api.stream()
    assert len(await gemini_api.drain(stream)) == 2
    assert telemetry.spans() == []
