"""Bedrock ``invoke_model`` / ``invoke_model_with_response_stream``: each model family's bodies -> records.

Unit tests of ``otel_genai.instrumentation._bedrock_models`` on the bodies of ``helpers.bedrock_bodies``
(built from AWS's per-family API references and recorded responses): the family a model id names, request
parameters, usage, finish reasons, tool calls, content (on and off, valid against the semconv schemas) and
the response stream's chunks. The end-to-end tests through a real boto3 client are at the end.
"""

from __future__ import annotations

import copy
import json
import logging
from collections.abc import Iterable
from typing import Any

import pytest

from helpers import bedrock_bodies as bodies
from helpers.bedrock_bodies import FAMILIES, Family
from otel_genai.instrumentation import _bedrock_models as models
from otel_genai.instrumentation._bedrock_models import family_for, read_usage_headers
from otel_genai.telemetry.records import Embedding, Inference

# span attribute -> record field, for the request parameters each Family lists
FIELDS = {
    "gen_ai.request.max_tokens": "max_tokens",
    "gen_ai.request.temperature": "temperature",
    "gen_ai.request.top_p": "top_p",
    "gen_ai.request.top_k": "top_k",
    "gen_ai.request.stop_sequences": "stop_sequences",
    "gen_ai.request.frequency_penalty": "frequency_penalty",
    "gen_ai.request.presence_penalty": "presence_penalty",
    "gen_ai.request.seed": "seed",
}
CONTENT_FIELDS = ("input_messages", "output_messages", "system_instructions", "tool_definitions")


def inference(model_id: str = "m") -> Inference:
    return Inference(operation="chat", provider="aws.bedrock", request_model=model_id)


def lower_headers(headers: dict[str, str]) -> dict[str, str]:
    """botocore's ``HTTPHeaders``: names lower-cased."""
    return {name.lower(): value for name, value in headers.items()}


def read_call(family: Family, capture: bool, *, response: dict[str, Any] | None = None) -> Inference:
    """What the call path does for ``invoke_model``: request (twice: before start, then content), response,
    token headers."""
    model_family = family_for(family.model_id)
    assert model_family is not None
    record = inference(family.model_id)
    request = family.request()
    model_family.read_request(record, request, False)
    if capture:
        model_family.read_request(record, request, True)
    model_family.read_response(record, response if response is not None else family.response(), capture)
    read_usage_headers(record, lower_headers(family.headers))
    return record


def read_stream(family: Family, capture: bool, chunks: list[dict[str, Any]] | None = None) -> Inference:
    model_family = family_for(family.model_id)
    assert model_family is not None and family.stream is not None
    record = inference(family.model_id)
    model_family.read_request(record, family.request(), capture)
    return read_chunks(model_family, chunks if chunks is not None else family.stream(), capture, record)


def read_chunks(
    family: models.ModelFamily, chunks: Iterable[Any], capture: bool = True, record: Any = None
) -> Any:
    """A stream's chunks through the family's chunk reader, onto ``record`` (a new inference record)."""
    record = inference() if record is None else record
    reader = family.chunk_reader()
    for chunk in chunks:
        reader.feed(chunk)
    reader.finish(record, capture)
    return record


def read_round(
    family: models.ModelFamily,
    request: Any,
    response: Any = None,
    capture: bool = True,
    record: Any = None,
    **kw: Any,
) -> Any:
    """A request (and, unless None, a response) through the family's readers, onto ``record``."""
    record = inference() if record is None else record
    family.read_request(record, request, capture, **kw)
    if response is not None:
        family.read_response(record, response, capture)
    return record


def text_of(message: Any) -> str:
    return "".join(part["content"] for part in message["parts"] if part["type"] == "text")


def validate_content(record: Inference, validate_schema: Any) -> None:
    """Every content field present validates against its schema (as the JSON the span would carry)."""
    schemas = {
        "input_messages": "gen-ai-input-messages",
        "output_messages": "gen-ai-output-messages",
        "system_instructions": "gen-ai-system-instructions",
        "tool_definitions": "gen-ai-tool-definitions",
    }
    for name, schema in schemas.items():
        value = getattr(record, name)
        if value is not None:
            validate_schema(schema, json.loads(json.dumps(value)))


def family_id(family: Family) -> str:
    return f"{family.name}:{family.operation}"


# --- which family a model id names ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model_id", "expected"),
    [
        ("anthropic.claude-3-5-sonnet-20240620-v1:0", "anthropic"),
        ("anthropic.claude-v2:1", "anthropic"),
        ("us.anthropic.claude-3-7-sonnet-20250219-v1:0", "anthropic"),
        ("eu.anthropic.claude-3-5-sonnet-20240620-v1:0", "anthropic"),
        ("apac.anthropic.claude-sonnet-4-20250514-v1:0", "anthropic"),
        ("global.anthropic.claude-sonnet-4-5-20250929-v1:0", "anthropic"),
        ("us-gov.anthropic.claude-3-haiku-20240307-v1:0", "anthropic"),
        ("arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0", "anthropic"),
        (
            "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-3-5-haiku-20241022-v1:0",
            "anthropic",
        ),
        ("amazon.nova-micro-v1:0", "amazon.nova"),
        ("us.amazon.nova-pro-v1:0", "amazon.nova"),
        ("global.amazon.nova-2-lite-v1:0", "amazon.nova"),
        ("amazon.titan-text-express-v1", "amazon.titan"),
        ("amazon.titan-text-premier-v1:0", "amazon.titan"),
        ("amazon.titan-tg1-large", "amazon.titan"),
        (
            "arn:aws:bedrock:us-east-1:123456789012:custom-model/amazon.titan-text-express-v1:0:8k/ly16hhi765j4",
            "amazon.titan",
        ),
        ("amazon.titan-embed-text-v2:0", "amazon.titan-embed"),
        ("amazon.titan-embed-text-v1", "amazon.titan-embed"),
        ("meta.llama3-1-70b-instruct-v1:0", "meta.llama"),
        ("us.meta.llama3-2-11b-instruct-v1:0", "meta.llama"),
        ("mistral.mistral-7b-instruct-v0:2", "mistral"),
        ("mistral.mixtral-8x7b-instruct-v0:1", "mistral"),
        ("mistral.mistral-large-2407-v1:0", "mistral"),
        ("openai.gpt-oss-120b-1:0", "openai"),
        ("cohere.command-r-v1:0", "cohere.command-r"),
        ("cohere.command-r-plus-v1:0", "cohere.command-r"),
        ("cohere.command-text-v14", "cohere.command"),
        ("cohere.command-light-text-v14", "cohere.command"),
        ("cohere.embed-english-v3", "cohere.embed"),
        ("cohere.embed-multilingual-v3", "cohere.embed"),
    ],
)
def test_family_for_model_ids(model_id: str, expected: str) -> None:
    family = family_for(model_id)
    assert family is not None, model_id
    assert family.name == expected


@pytest.mark.parametrize(
    "model_id",
    [
        "amazon.titan-image-generator-v2:0",
        "amazon.nova-canvas-v1:0",
        "amazon.nova-reel-v1:0",
        "amazon.nova-sonic-v1:0",
        "stability.sd3-large-v1:0",
        "ai21.jamba-1-5-large-v1:0",
        "cohere.rerank-v3-5:0",
        "openai.whisper-like-v1:0",
        "meta.something-else-v1:0",
        "",
        "arn:aws:bedrock:us-east-1:123456789012:provisioned-model/abcd1234",
        "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3d4e5f6",
        "arn:aws:bedrock:us-east-1:123456789012:imported-model/k2l3m4n5o6p7",
    ],
)
def test_family_for_unknown_ids_is_none(model_id: str) -> None:
    assert family_for(model_id) is None


def test_family_for_a_non_string_is_none() -> None:
    assert family_for(None) is None
    assert family_for(42) is None


PROVISIONED = "arn:aws:bedrock:us-east-1:123456789012:provisioned-model/abcd1234"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (bodies.anthropic_request(), "anthropic"),
        (bodies.nova_request(), "amazon.nova"),
        ({"messages": [{"role": "user", "content": [{"text": "hi"}]}]}, "amazon.nova"),
        (bodies.titan_request(), "amazon.titan"),
        (bodies.llama_request(), "meta.llama"),
        (bodies.mistral_text_request(), "mistral"),
        (bodies.mistral_chat_request(), "mistral"),
        (bodies.cohere_chat_request(), "cohere.command-r"),
        (bodies.cohere_generate_request(), "cohere.command"),
        (bodies.titan_embed_request(), "amazon.titan-embed"),
        (bodies.cohere_embed_request(), "cohere.embed"),
    ],
)
def test_an_arn_without_a_model_is_told_by_the_body(body: dict[str, Any], expected: str) -> None:
    family = family_for(PROVISIONED, body)
    assert family is not None and family.name == expected


def test_an_unrecognised_body_is_none() -> None:
    assert family_for(PROVISIONED, {"foo": 1}) is None
    assert family_for(PROVISIONED, None) is None
    assert family_for(PROVISIONED, ["not", "a", "dict"]) is None


def test_the_model_id_wins_over_the_body() -> None:
    family = family_for(bodies.LLAMA, bodies.anthropic_request())
    assert family is not None and family.name == "meta.llama"


def test_record_types_and_operations() -> None:
    for family in FAMILIES:
        model_family = family_for(family.model_id)
        assert model_family is not None
        assert model_family.record_type is Inference
        assert model_family.operation(family.request()) == family.operation
    for model_id in (bodies.TITAN_EMBED, bodies.COHERE_EMBED):
        model_family = family_for(model_id)
        assert model_family is not None and model_family.record_type is Embedding
        assert model_family.operation({}) == "embeddings"


# --- every family: request, response, stream ----------------------------------------------------------


@pytest.mark.parametrize("family", FAMILIES, ids=family_id)
def test_request_parameters_and_operation(family: Family) -> None:
    model_family = family_for(family.model_id)
    assert model_family is not None and model_family.name == family.name
    record = inference(family.model_id)
    record.operation = "unset"
    model_family.read_request(record, family.request(), False)
    assert record.operation == family.operation
    for attribute, expected in family.parameters.items():
        value = getattr(record, FIELDS[attribute])
        if isinstance(expected, tuple):
            value = tuple(value)
        assert value == expected, attribute
        if isinstance(expected, float):
            assert isinstance(value, float), attribute
    for name in CONTENT_FIELDS:
        assert getattr(record, name) is None, f"{name} without capture"


@pytest.mark.parametrize("family", FAMILIES, ids=family_id)
def test_request_content_is_valid(family: Family, validate_schema: Any) -> None:
    model_family = family_for(family.model_id)
    assert model_family is not None
    record = inference(family.model_id)
    model_family.read_request(record, family.request(), True)
    assert record.input_messages, "the request's messages"
    validate_content(record, validate_schema)


@pytest.mark.parametrize("family", FAMILIES, ids=family_id)
@pytest.mark.parametrize("capture", [False, True], ids=["no_content", "content"])
def test_response(family: Family, capture: bool, validate_schema: Any) -> None:
    record = read_call(family, capture)
    assert tuple(record.finish_reasons or ()) == family.finish_reasons
    assert record.input_tokens == family.input_tokens
    assert record.output_tokens == family.output_tokens
    assert record.response_id == family.response_id
    assert record.response_model == family.response_model
    assert record.tool_calls is None
    if capture:
        assert record.output_messages is not None and len(record.output_messages) == 1
        assert text_of(record.output_messages[0]) == family.output_text
        assert record.output_messages[0]["role"] == "assistant"
        validate_content(record, validate_schema)
    else:
        for name in CONTENT_FIELDS:
            assert getattr(record, name) is None, f"{name} without capture"


@pytest.mark.parametrize("family", FAMILIES, ids=family_id)
@pytest.mark.parametrize("capture", [False, True], ids=["no_content", "content"])
def test_stream(family: Family, capture: bool, validate_schema: Any) -> None:
    record = read_stream(family, capture)
    assert tuple(record.finish_reasons or ()) == family.stream_finish_reasons
    assert record.input_tokens == family.stream_input_tokens
    assert record.output_tokens == family.stream_output_tokens
    assert record.response_id == family.stream_response_id
    if capture:
        assert record.output_messages is not None and len(record.output_messages) == 1
        assert text_of(record.output_messages[0]) == family.stream_text
        validate_content(record, validate_schema)
    else:
        assert record.output_messages is None


@pytest.mark.parametrize("family", FAMILIES, ids=family_id)
def test_a_stream_without_chunks_leaves_the_record(family: Family) -> None:
    record = read_stream(family, True, chunks=[])
    assert record.finish_reasons is None
    assert record.output_messages is None
    assert record.input_tokens is None


@pytest.mark.parametrize("family", FAMILIES, ids=family_id)
def test_a_stream_cut_short_keeps_what_it_said(family: Family) -> None:
    """A stream closed after its first chunks: one finish reason (``error`` if none came), the text so far."""
    assert family.stream is not None
    record = read_stream(family, True, chunks=family.stream()[:2])
    assert record.finish_reasons is not None and len(record.finish_reasons) == 1
    assert record.output_messages is not None


@pytest.mark.parametrize("family", FAMILIES, ids=family_id)
def test_only_the_invocation_metrics_give_usage(family: Family) -> None:
    """The model's own counts removed from the chunks: Bedrock's metrics on the last chunk give them."""
    assert family.stream is not None
    chunks = family.stream()
    for chunk in chunks:
        for key in ("usage", "prompt_token_count", "generation_token_count", "inputTextTokenCount"):
            chunk.pop(key, None)
        chunk.pop("totalOutputTextTokenCount", None)
        chunk.get("message", {}).pop("usage", None) if isinstance(chunk.get("message"), dict) else None
        chunk.get("metadata", {}).pop("usage", None) if isinstance(chunk.get("metadata"), dict) else None
    metrics = chunks[-1]["amazon-bedrock-invocationMetrics"]
    record = read_stream(family, False, chunks=chunks)
    assert record.input_tokens == metrics["inputTokenCount"]
    assert record.output_tokens == metrics["outputTokenCount"]


@pytest.mark.parametrize("family", FAMILIES, ids=family_id)
@pytest.mark.parametrize(
    "body",
    [None, [], "text", 3, {}, {"messages": "nope", "choices": 7, "results": None, "content": {"a": 1}}],
    ids=repr,
)
def test_unreadable_bodies_never_raise(family: Family, body: Any, caplog: pytest.LogCaptureFixture) -> None:
    """Nothing escapes, and nothing needed the last-resort guard either: every field is type-checked."""
    caplog.set_level(logging.DEBUG, logger="otel_genai")
    model_family = family_for(family.model_id)
    assert model_family is not None
    record = inference(family.model_id)
    before = copy.deepcopy(record)
    model_family.read_request(record, body, True)
    model_family.read_response(record, body, True)
    reader = model_family.chunk_reader()
    reader.feed(body)
    reader.finish(record, True)
    if not isinstance(body, dict):
        assert record == before  # nothing read from a body that is not an object
    assert not [r for r in caplog.records if "could not" in r.getMessage()]


@pytest.mark.parametrize("family", FAMILIES, ids=family_id)
def test_mistyped_fields_are_ignored(family: Family) -> None:
    """Numbers as strings, lists as numbers: skipped field by field, the rest still read."""
    request = family.request()
    for key, value in list(request.items()):
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            request[key] = str(value)
    model_family = family_for(family.model_id)
    assert model_family is not None
    record = inference(family.model_id)
    model_family.read_request(record, request, True)
    assert record.operation == family.operation
    assert record.temperature is None or isinstance(record.temperature, float)


# --- Anthropic -------------------------------------------------------------------------------------------


def test_anthropic_tool_round_content(validate_schema: Any) -> None:
    record = read_round(
        models.ANTHROPIC, bodies.anthropic_tool_request(), bodies.anthropic_tool_response(), True
    )
    assert record.system_instructions == [{"type": "text", "content": "You answer weather questions."}]
    user, assistant, tool_result = record.input_messages or []
    assert user["role"] == "user"
    assert user["parts"][0] == {"type": "text", "content": "Weather in Paris?"}
    assert user["parts"][1] == {
        "type": "blob",
        "modality": "image",
        "mime_type": "image/png",
        "content": "iVBORw0KGgo=",
    }
    assert assistant["parts"] == [
        {"type": "tool_call", "id": "toolu_bdrk_01A", "name": "get_weather", "arguments": {"city": "Paris"}}
    ]
    assert tool_result["parts"] == [
        {"type": "tool_call_response", "id": "toolu_bdrk_01A", "response": "18°C, clear"}
    ]
    # type and name only by default; the server tool keeps its versioned type
    assert record.tool_definitions == [
        {"type": "function", "name": "get_weather"},
        {"type": "web_search_20250305", "name": "web_search"},
    ]
    assert record.finish_reasons == ["tool_use"]
    assert [(c.id, c.name) for c in record.tool_calls or ()] == [("toolu_bdrk_01B", "get_weather")]
    assert json.loads(record.tool_calls[0].arguments or "") == {"city": "Lyon"}  # type: ignore[index]
    (output,) = record.output_messages or []
    assert output["finish_reason"] == "tool_call"
    assert output["parts"] == [
        {"type": "text", "content": "Let me check."},
        {"type": "tool_call", "id": "toolu_bdrk_01B", "name": "get_weather", "arguments": {"city": "Lyon"}},
    ]
    validate_content(record, validate_schema)


def test_anthropic_tool_definition_details() -> None:
    record = read_round(
        models.ANTHROPIC,
        bodies.anthropic_tool_request(),
        bodies.anthropic_response(),
        True,
        tool_details=True,
    )
    definition = (record.tool_definitions or [])[0]
    assert definition == {
        "type": "function",
        "name": "get_weather",
        "description": "Current weather for a city.",
        "parameters": bodies.WEATHER_INPUT_SCHEMA,
    }


def test_anthropic_tool_calls_without_content_keep_ids_and_names_only() -> None:
    record = read_round(
        models.ANTHROPIC, bodies.anthropic_tool_request(), bodies.anthropic_tool_response(), False
    )
    assert [(c.id, c.name, c.arguments) for c in record.tool_calls or ()] == [
        ("toolu_bdrk_01B", "get_weather", None)
    ]
    assert record.input_messages is None and record.tool_definitions is None


def test_anthropic_cache_tokens_are_part_of_the_input() -> None:
    response = bodies.anthropic_response(cache_read_input_tokens=1000, cache_creation_input_tokens=200)
    record = read_round(models.ANTHROPIC, bodies.anthropic_request(), response, False)
    assert record.input_tokens == 12 + 1000 + 200
    assert record.cache_read_input_tokens == 1000
    assert record.cache_write_input_tokens == 200
    assert record.output_tokens == 6


def test_anthropic_stream_cache_tokens() -> None:
    record = read_chunks(models.ANTHROPIC, bodies.anthropic_stream(cache=True), False)
    assert record.input_tokens == 1212
    assert (record.cache_read_input_tokens, record.cache_write_input_tokens) == (1000, 200)
    assert record.output_tokens == 15  # message_delta's cumulative count


def test_anthropic_thinking_is_reasoning(validate_schema: Any) -> None:
    record = read_round(
        models.ANTHROPIC, bodies.anthropic_request(), bodies.anthropic_thinking_response(), True
    )
    (output,) = record.output_messages or []
    assert output["parts"] == [
        {"type": "reasoning", "content": "The user greets me."},
        {"type": "reasoning", "content": ""},
        {"type": "text", "content": "Hello!"},
    ]
    validate_content(record, validate_schema)


def test_anthropic_stream_assembles_tool_call_arguments(validate_schema: Any) -> None:
    record = read_chunks(models.ANTHROPIC, bodies.anthropic_stream(tool=True))
    assert record.finish_reasons == ["tool_use"]
    (call,) = record.tool_calls or []
    assert (call.id, call.name, json.loads(call.arguments or "")) == (
        "toolu_bdrk_01C",
        "get_weather",
        {"city": "Lyon"},
    )
    (output,) = record.output_messages or []
    assert output["finish_reason"] == "tool_call"
    assert output["parts"][-1] == {
        "type": "tool_call",
        "id": "toolu_bdrk_01C",
        "name": "get_weather",
        "arguments": {"city": "Lyon"},
    }
    validate_content(record, validate_schema)


def test_anthropic_stream_thinking_deltas() -> None:
    chunks = [
        {
            "type": "message_start",
            "message": {"id": "msg_1", "model": "claude-3-7-sonnet", "usage": {"input_tokens": 3}},
        },
        {"type": "content_block_start", "index": 0, "content_block": {"type": "thinking", "thinking": ""}},
        {"type": "content_block_delta", "index": 0, "delta": {"type": "thinking_delta", "thinking": "Hmm, "}},
        {
            "type": "content_block_delta",
            "index": 0,
            "delta": {"type": "thinking_delta", "thinking": "a greeting."},
        },
        {
            "type": "content_block_delta",
            "index": 0,
            "delta": {"type": "signature_delta", "signature": "EqQB"},
        },
        {"type": "content_block_stop", "index": 0},
        {"type": "content_block_start", "index": 1, "content_block": {"type": "text", "text": ""}},
        {"type": "content_block_delta", "index": 1, "delta": {"type": "text_delta", "text": "Hi."}},
        {"type": "content_block_stop", "index": 1},
        {"type": "message_delta", "delta": {"stop_reason": "end_turn"}, "usage": {"output_tokens": 9}},
        {"type": "message_stop"},
    ]
    record = read_chunks(models.ANTHROPIC, chunks)
    assert (record.output_messages or [])[0]["parts"] == [
        {"type": "reasoning", "content": "Hmm, a greeting."},
        {"type": "text", "content": "Hi."},
    ]
    assert (record.response_id, record.response_model) == ("msg_1", "claude-3-7-sonnet")


def test_anthropic_legacy_text_completion() -> None:
    request = {
        "prompt": "\n\nHuman: Say hello.\n\nAssistant:",
        "max_tokens_to_sample": 300,
        "temperature": 0.1,
        "stop_sequences": ["\n\nHuman:"],
    }
    response = {"completion": " Hello!", "stop_reason": "stop_sequence", "stop": "\n\nHuman:"}
    family = family_for("anthropic.claude-v2:1")
    assert family is not None
    record = inference()
    family.read_request(record, request, True)
    family.read_response(record, response, True)
    assert record.operation == "text_completion"
    assert record.max_tokens == 300
    assert record.finish_reasons == ["stop_sequence"]
    assert text_of((record.input_messages or [])[0]) == request["prompt"]
    assert text_of((record.output_messages or [])[0]) == " Hello!"
    stream_record = inference()
    reader = family.chunk_reader()
    for chunk in (
        {"completion": " Hel", "stop_reason": None},
        {"completion": "lo!", "stop_reason": "stop_sequence"},
    ):
        reader.feed(chunk)
    reader.finish(stream_record, True)
    assert stream_record.finish_reasons == ["stop_sequence"]
    assert text_of((stream_record.output_messages or [])[0]) == " Hello!"


def test_anthropic_document_and_url_sources(validate_schema: Any) -> None:
    request = bodies.anthropic_request(
        messages=[
            {
                "role": "user",
                "content": [
                    {"type": "image", "source": {"type": "url", "url": "https://example.com/cat.png"}},
                    {
                        "type": "document",
                        "source": {"type": "base64", "media_type": "application/pdf", "data": "JVBERi0="},
                    },
                    {"type": "text", "text": "Describe both.", "cache_control": {"type": "ephemeral"}},
                ],
            }
        ]
    )
    record = inference()
    models.ANTHROPIC.read_request(record, request, True)
    parts = (record.input_messages or [])[0]["parts"]
    assert parts[0] == {"type": "uri", "modality": "image", "uri": "https://example.com/cat.png"}
    assert parts[1] == {
        "type": "blob",
        "modality": "document",
        "mime_type": "application/pdf",
        "content": "JVBERi0=",
    }
    validate_content(record, validate_schema)


# --- Amazon Nova -------------------------------------------------------------------------------------------


def test_nova_tool_round(validate_schema: Any) -> None:
    record = read_round(models.NOVA, bodies.nova_tool_request(), bodies.nova_tool_response())
    assert record.system_instructions == [{"type": "text", "content": "You are terse."}]
    user, assistant, tool = record.input_messages or []
    assert user["parts"][1] == {
        "type": "blob",
        "modality": "image",
        "mime_type": "image/png",
        "content": "iVBORw0KGgo=",
    }
    assert assistant["parts"][1] == {
        "type": "tool_call",
        "id": "a385bacb",
        "name": "get_current_weather",
        "arguments": {"location": "Seattle"},
    }
    assert tool["parts"] == [
        {"type": "tool_call_response", "id": "a385bacb", "response": {"weather": "50 degrees and raining"}}
    ]
    assert record.tool_definitions == [{"type": "function", "name": "get_current_weather"}]
    assert record.finish_reasons == ["tool_use"]
    assert [(c.id, c.name) for c in record.tool_calls or ()] == [("9b02c6fa", "get_current_weather")]
    (output,) = record.output_messages or []
    assert output["finish_reason"] == "tool_call"
    validate_content(record, validate_schema)


def test_nova_stream_tool_call(validate_schema: Any) -> None:
    record = read_chunks(models.NOVA, bodies.nova_stream(tool=True))
    (call,) = record.tool_calls or []
    assert (call.id, call.name, json.loads(call.arguments or "")) == (
        "tooluse_kZJMlvQm",
        "get_current_weather",
        {"location": "Seattle"},
    )
    (output,) = record.output_messages or []
    assert output["parts"][0] == {"type": "text", "content": "It sounds like a test"}  # one part, not three
    validate_content(record, validate_schema)


def test_nova_max_tokens_spellings() -> None:
    record = inference()
    models.NOVA.read_request(record, {"messages": [], "inferenceConfig": {"maxTokens": 77}}, False)
    assert record.max_tokens == 77


def test_nova_reasoning_and_s3_video(validate_schema: Any) -> None:
    request = bodies.nova_request(
        messages=[
            {
                "role": "user",
                "content": [
                    {"video": {"format": "mp4", "source": {"s3Location": {"uri": "s3://bucket/clip.mp4"}}}},
                    {"text": "What happens?"},
                ],
            }
        ]
    )
    response = bodies.nova_response(
        [{"reasoningContent": {"reasoningText": {"text": "Look at frames."}}}, {"text": "A dog runs."}]
    )
    record = read_round(models.NOVA, request, response)
    assert (record.input_messages or [])[0]["parts"][0] == {
        "type": "uri",
        "modality": "video",
        "uri": "s3://bucket/clip.mp4",
    }
    assert (record.output_messages or [])[0]["parts"] == [
        {"type": "reasoning", "content": "Look at frames."},
        {"type": "text", "content": "A dog runs."},
    ]
    validate_content(record, validate_schema)


# --- Mistral -----------------------------------------------------------------------------------------------


def test_mistral_chat_tool_round(validate_schema: Any) -> None:
    record = read_round(
        models.MISTRAL, bodies.mistral_chat_request(), bodies.mistral_chat_response(tool=True)
    )
    system, _user, assistant, tool = record.input_messages or []
    assert system == {"role": "system", "parts": [{"type": "text", "content": "You are terse."}]}
    assert assistant["parts"] == [
        {"type": "tool_call", "id": "v6RMMiRlT", "name": "top_song", "arguments": {"sign": "WZPZ"}}
    ]
    assert tool["parts"] == [
        {"type": "tool_call_response", "id": "v6RMMiRlT", "response": "Elemental Hotel by 8 Storey Hike"}
    ]
    assert record.tool_definitions == [{"type": "function", "name": "top_song"}]
    assert record.finish_reasons == ["tool_calls"]
    assert [(c.id, c.name) for c in record.tool_calls or ()] == [("bZ8y7Tw4c", "top_song")]
    assert (record.output_messages or [])[0]["finish_reason"] == "tool_call"
    validate_content(record, validate_schema)


def test_mistral_large_2402_choices_with_stop_reason() -> None:
    record = inference()
    models.MISTRAL.read_response(record, bodies.mistral_large_2402_response(), True)
    read_usage_headers(record, lower_headers(bodies.token_headers(30, 4)))
    assert record.finish_reasons == ["stop"]
    assert text_of((record.output_messages or [])[0]) == "Elemental Hotel."
    assert (record.input_tokens, record.output_tokens) == (30, 4)


def test_mistral_stream_tool_call_deltas() -> None:
    def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return {
            "id": "c1",
            "model": "mistral-large-2407",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        }

    chunks = [
        chunk({"role": "assistant", "content": ""}),
        chunk({"tool_calls": [{"id": "call_1", "function": {"name": "top_song", "arguments": '{"sign": '}}]}),
        chunk({"tool_calls": [{"function": {"arguments": '"WKRP"}'}}]}),
        chunk({}, "tool_calls"),
    ]
    record = read_chunks(models.MISTRAL, chunks)
    (call,) = record.tool_calls or []
    assert (call.id, call.name, json.loads(call.arguments or "")) == ("call_1", "top_song", {"sign": "WKRP"})
    assert record.finish_reasons == ["tool_calls"]


# --- Cohere ------------------------------------------------------------------------------------------------


def test_cohere_chat_content(validate_schema: Any) -> None:
    record = read_round(models.COHERE_CHAT, bodies.cohere_chat_request(), tool_details=True)
    assert record.system_instructions == [{"type": "text", "content": "You are a radio DJ."}]
    assert [(m["role"], text_of(m)) for m in record.input_messages or ()] == [
        ("user", "Who discovered gravity?"),
        ("assistant", "Isaac Newton."),
        ("user", "What is the most popular song on WZPZ?"),
    ]
    assert (record.tool_definitions or [])[0]["name"] == "top_song"
    assert "parameters" in (record.tool_definitions or [])[0]
    validate_content(record, validate_schema)


def test_cohere_tool_calls_and_results(validate_schema: Any) -> None:
    record = read_round(
        models.COHERE_CHAT, bodies.cohere_tool_results_request(), bodies.cohere_chat_response(tool=True)
    )
    last = (record.input_messages or [])[-1]
    assert last == {
        "role": "tool",
        "parts": [{"type": "tool_call_response", "id": None, "response": {"song": "Elemental Hotel"}}],
    }
    assert record.finish_reasons == ["COMPLETE"]
    assert [(c.id, c.name) for c in record.tool_calls or ()] == [(None, "top_song")]
    (output,) = record.output_messages or []
    assert output["finish_reason"] == "tool_call"  # Cohere has no tool-use reason of its own
    assert output["parts"][-1] == {
        "type": "tool_call",
        "id": None,
        "name": "top_song",
        "arguments": {"sign": "WZPZ"},
    }
    validate_content(record, validate_schema)


def test_cohere_chat_stream_without_a_final_response() -> None:
    chunks = [c for c in bodies.cohere_chat_stream() if c.get("event_type") != "stream-end"]
    chunks.append({"is_finished": True, "event_type": "stream-end", "finish_reason": "COMPLETE"})
    chunks.insert(
        3,
        {
            "is_finished": False,
            "event_type": "tool-calls-generation",
            "tool_calls": [{"name": "top_song", "parameters": {"sign": "X"}}],
        },
    )
    record = read_chunks(models.COHERE_CHAT, chunks)
    assert record.response_id == "2d74c447-266d-4286-8425-a92ad7fc0cbc"
    assert record.finish_reasons == ["COMPLETE"]
    assert [c.name for c in record.tool_calls or ()] == ["top_song"]
    assert text_of((record.output_messages or [])[0]) == "Hello there!"


def test_cohere_generate_stream_with_a_final_response() -> None:
    chunks = bodies.cohere_generate_stream()
    chunks[-1]["response"] = bodies.cohere_generate_response()
    record = read_chunks(models.COHERE_GENERATE, chunks)
    assert record.response_id == "a09c1c60-6608-482a-b98d-764e4d87fcd1"
    assert record.finish_reasons == ["MAX_TOKENS"]
    assert (record.input_tokens, record.output_tokens) == (5, 6)


def test_cohere_generate_stream_whose_last_chunk_is_the_response() -> None:
    """Some Cohere streams end with the generations themselves, the reason on the chunk only."""
    chunks = bodies.cohere_generate_stream()[:2]
    chunks.append(
        {
            "generations": [{"text": " Let it be a test."}],
            "is_finished": True,
            "finish_reason": "MAX_TOKENS",
            "amazon-bedrock-invocationMetrics": bodies.invocation_metrics(5, 6),
        }
    )
    record = read_chunks(models.COHERE_GENERATE, chunks)
    assert record.finish_reasons == ["MAX_TOKENS"]
    assert text_of((record.output_messages or [])[0]) == " Let it be a test."
    assert (record.input_tokens, record.output_tokens) == (5, 6)


def test_cohere_generate_choice_count() -> None:
    record = inference()
    models.COHERE_GENERATE.read_request(
        record, bodies.cohere_generate_request() | {"num_generations": 2}, False
    )
    assert record.choice_count == 2


def test_cohere_billed_units_when_present() -> None:
    record = inference()
    body = bodies.cohere_chat_response() | {"meta": {"billed_units": {"input_tokens": 8, "output_tokens": 3}}}
    models.COHERE_CHAT.read_response(record, body, False)
    read_usage_headers(record, lower_headers(bodies.token_headers(99, 99)))
    assert (record.input_tokens, record.output_tokens) == (8, 3)  # the body wins over the headers


# --- Titan, Llama ----------------------------------------------------------------------------------------


def test_titan_several_results() -> None:
    response = {
        "inputTextTokenCount": 4,
        "results": [
            {"tokenCount": 3, "outputText": "One.", "completionReason": "FINISH"},
            {"tokenCount": 5, "outputText": "Two.", "completionReason": "CONTENT_FILTERED"},
        ],
    }
    record = inference()
    models.TITAN_TEXT.read_response(record, response, True)
    assert record.finish_reasons == ["FINISH", "CONTENT_FILTERED"]
    assert record.output_tokens == 8
    assert [m["finish_reason"] for m in record.output_messages or ()] == ["stop", "content_filter"]


def test_llama_images_are_blobs(validate_schema: Any) -> None:
    record = inference()
    models.LLAMA.read_request(record, bodies.llama_request() | {"images": ["iVBORw0KGgo="]}, True)
    parts = (record.input_messages or [])[0]["parts"]
    assert parts[1] == {"type": "blob", "modality": "image", "mime_type": None, "content": "iVBORw0KGgo="}
    validate_content(record, validate_schema)


# --- Bedrock's own: headers, metrics, guardrails ---------------------------------------------------------


def test_headers_fill_only_what_the_body_lacks() -> None:
    record = inference()
    models.NOVA.read_response(record, bodies.nova_response(), False)
    read_usage_headers(record, lower_headers(bodies.token_headers(1, 2, cache_read=3, cache_write=4)))
    assert (record.input_tokens, record.output_tokens) == (427, 162)
    assert (record.cache_read_input_tokens, record.cache_write_input_tokens) == (0, 0)


def test_headers_with_cache_counts_make_the_input_whole() -> None:
    record = inference()
    read_usage_headers(record, lower_headers(bodies.token_headers(10, 2, cache_read=100, cache_write=5)))
    assert record.input_tokens == 115
    assert (record.cache_read_input_tokens, record.cache_write_input_tokens, record.output_tokens) == (
        100,
        5,
        2,
    )


@pytest.mark.parametrize("headers", [None, [], {"x-amzn-bedrock-input-token-count": "many"}, {}])
def test_odd_headers_are_ignored(headers: Any) -> None:
    record = inference()
    read_usage_headers(record, headers)
    assert record.input_tokens is None and record.output_tokens is None


def test_headers_on_an_embedding_record() -> None:
    record = Embedding(operation="embeddings", provider="aws.bedrock")
    read_usage_headers(record, {"x-amzn-bedrock-input-token-count": "7"})
    assert record.input_tokens == 7


def test_a_guardrail_intervention_is_the_finish_reason() -> None:
    response = bodies.anthropic_response([{"type": "text", "text": "Sorry, I can't help with that."}])
    response["amazon-bedrock-guardrailAction"] = "INTERVENED"
    record = read_round(models.ANTHROPIC, bodies.anthropic_request(), response, True)
    assert record.finish_reasons == ["guardrail_intervened"]
    assert (record.output_messages or [])[0]["finish_reason"] == "content_filter"


def test_a_guardrail_intervention_in_a_stream() -> None:
    chunks = bodies.titan_stream()
    chunks[-1]["amazon-bedrock-guardrailAction"] = "INTERVENED"
    record = read_chunks(models.TITAN_TEXT, chunks)
    assert record.finish_reasons == ["guardrail_intervened"]
    assert (record.output_messages or [])[0]["finish_reason"] == "content_filter"


def test_a_guardrail_that_did_not_intervene_changes_nothing() -> None:
    response = bodies.anthropic_response() | {"amazon-bedrock-guardrailAction": "NONE"}
    record = read_round(models.ANTHROPIC, bodies.anthropic_request(), response, False)
    assert record.finish_reasons == ["end_turn"]


# --- embeddings --------------------------------------------------------------------------------------------


def test_titan_embeddings() -> None:
    family = family_for(bodies.TITAN_EMBED)
    assert family is not None
    record = Embedding(operation="x", provider="aws.bedrock", request_model=bodies.TITAN_EMBED)
    family.read_request(record, bodies.titan_embed_request(), True)
    family.read_response(record, bodies.titan_embed_response(), True)
    assert record.operation == "embeddings"
    assert (record.dimension_count, record.encoding_formats, record.input_tokens) == (256, ["float"], 6)


def test_titan_embeddings_dimension_from_the_vector() -> None:
    family = models.TITAN_EMBED
    record = Embedding(operation="embeddings", provider="aws.bedrock")
    family.read_request(record, {"inputText": "hi"}, False)
    family.read_response(record, bodies.titan_embed_response(1024), False)
    assert record.dimension_count == 1024


@pytest.mark.parametrize("by_type", [False, True])
def test_cohere_embeddings(by_type: bool) -> None:
    family = family_for(bodies.COHERE_EMBED)
    assert family is not None
    request = bodies.cohere_embed_request()
    response = bodies.cohere_embed_response()
    if by_type:
        request["embedding_types"] = ["float", "int8"]
        response = response | {
            "response_type": "embeddings_by_type",
            "embeddings": {"float": [[0.1] * 384], "int8": [[1] * 384]},
        }
    record = Embedding(operation="embeddings", provider="aws.bedrock")
    family.read_request(record, request, False)
    family.read_response(record, response, False)
    read_usage_headers(record, {"x-amzn-bedrock-input-token-count": "11"})
    assert record.response_id == "5d1fdc5a-8d9b-4b4a-9b8f-6a1f0b7f2c11"
    assert record.dimension_count == (384 if by_type else 1024)
    assert record.encoding_formats == (["float", "int8"] if by_type else None)
    assert record.input_tokens == 11


def test_an_inference_family_leaves_an_embedding_record_alone() -> None:
    record = Embedding(operation="embeddings", provider="aws.bedrock")
    models.ANTHROPIC.read_request(record, bodies.anthropic_request(), True)
    models.ANTHROPIC.read_response(record, bodies.anthropic_response(), True)
    assert record.input_tokens is None


# --- end to end: a real boto3 bedrock-runtime client answered locally -----------------------------------

# The request parameters and results each family's call puts on its span; ``assert_conforms`` checks what
# every inference span must carry (name, kind, required attributes, types, content schemas, metrics).


def chunk_messages(chunks: list[dict[str, Any]]) -> list[bytes]:
    from helpers.bedrock_fakes import chunk_message

    return [chunk_message(chunk) for chunk in chunks]


def assert_family_attributes(attributes: dict[str, Any], family: Family, *, stream: bool) -> None:
    assert attributes["gen_ai.provider.name"] == "aws.bedrock"
    assert attributes["gen_ai.request.model"] == family.model_id
    for name, value in family.parameters.items():
        assert attributes[name] == value, name
    if stream:
        expected = {
            "gen_ai.response.finish_reasons": family.stream_finish_reasons,
            "gen_ai.usage.input_tokens": family.stream_input_tokens,
            "gen_ai.usage.output_tokens": family.stream_output_tokens,
            "gen_ai.response.id": family.stream_response_id,
        }
    else:
        expected = {
            "gen_ai.response.finish_reasons": family.finish_reasons,
            "gen_ai.usage.input_tokens": family.input_tokens,
            "gen_ai.usage.output_tokens": family.output_tokens,
            "gen_ai.response.id": family.response_id,
            "gen_ai.response.model": family.response_model,
        }
    for name, value in expected.items():
        assert attributes.get(name) == value, name


@pytest.mark.parametrize("family", FAMILIES, ids=family_id)
@pytest.mark.parametrize("capture", [False, True], ids=["no_content", "content"])
def test_invoke_model_end_to_end(
    make_telemetry: Any, fake_bedrock: Any, family: Family, capture: bool
) -> None:
    from helpers.conformance import assert_conforms

    telemetry = make_telemetry(capture_content=capture)
    client = fake_bedrock.client()
    fake_bedrock.reply_json(family.response(), headers=family.headers)
    response = client.invoke_model(modelId=family.model_id, body=json.dumps(family.request()))
    assert json.loads(response["body"].read()) == family.response(), "the application reads the whole body"
    assert json.loads(fake_bedrock.requests[0].body) == family.request()
    span = assert_conforms(telemetry, operation=family.operation, content=capture)
    attributes = dict(span.attributes or {})
    assert_family_attributes(attributes, family, stream=False)
    if capture:
        (output,) = json.loads(attributes["gen_ai.output.messages"])
        assert text_of(output) == family.output_text
        assert json.loads(attributes["gen_ai.input.messages"])


@pytest.mark.parametrize("family", FAMILIES, ids=family_id)
@pytest.mark.parametrize("capture", [False, True], ids=["no_content", "content"])
def test_invoke_model_with_response_stream_end_to_end(
    make_telemetry: Any, fake_bedrock: Any, family: Family, capture: bool
) -> None:
    from helpers.conformance import assert_conforms

    assert family.stream is not None
    telemetry = make_telemetry(capture_content=capture)
    client = fake_bedrock.client()
    fake_bedrock.reply_event_stream(chunk_messages(family.stream()))
    response = client.invoke_model_with_response_stream(
        modelId=family.model_id, body=json.dumps(family.request())
    )
    received = [json.loads(event["chunk"]["bytes"]) for event in response["body"]]
    assert received == family.stream(), "the application gets every chunk as sent"
    span = assert_conforms(telemetry, operation=family.operation, content=capture, stream=True)
    attributes = dict(span.attributes or {})
    assert_family_attributes(attributes, family, stream=True)
    if capture:
        (output,) = json.loads(attributes["gen_ai.output.messages"])
        assert text_of(output) == family.stream_text


def test_invoke_model_tool_calls_visible_without_content(make_telemetry: Any, fake_bedrock: Any) -> None:
    from helpers.conformance import assert_conforms

    telemetry = make_telemetry()
    client = fake_bedrock.client()
    fake_bedrock.reply_json(bodies.nova_tool_response())
    client.invoke_model(modelId=bodies.NOVA, body=json.dumps(bodies.nova_tool_request()))
    attributes = dict(assert_conforms(telemetry, operation="chat", content=False).attributes or {})
    assert attributes["otel_genai.response.tool_call.count"] == 1
    assert attributes["otel_genai.response.tool_call.names"] == ("get_current_weather",)
    assert attributes["otel_genai.response.tool_call.ids"] == ("9b02c6fa",)
    assert attributes["gen_ai.response.finish_reasons"] == ("tool_use",)


def test_invoke_model_stream_tool_call_with_content(
    make_telemetry: Any, fake_bedrock: Any, validate_schema: Any
) -> None:
    from helpers.conformance import assert_conforms

    telemetry = make_telemetry(capture_content=True)
    client = fake_bedrock.client()
    fake_bedrock.reply_event_stream(chunk_messages(bodies.anthropic_stream(tool=True)))
    request = bodies.anthropic_tool_request()
    response = client.invoke_model_with_response_stream(modelId=bodies.CLAUDE, body=json.dumps(request))
    for _ in response["body"]:
        pass
    span = assert_conforms(telemetry, operation="chat", content=True, stream=True)
    attributes = dict(span.attributes or {})
    (output,) = json.loads(attributes["gen_ai.output.messages"])
    assert output["parts"][-1]["arguments"] == {"city": "Lyon"}
    assert attributes["otel_genai.response.tool_call.ids"] == ("toolu_bdrk_01C",)
    definitions = json.loads(attributes["gen_ai.tool.definitions"])
    assert [d["name"] for d in definitions] == ["get_weather", "web_search"]
    validate_schema("gen-ai-input-messages", attributes["gen_ai.input.messages"])


def test_invoke_model_error(make_telemetry: Any, fake_bedrock: Any) -> None:
    from botocore.exceptions import ClientError

    from helpers.conformance import assert_conforms

    telemetry = make_telemetry()
    client = fake_bedrock.client()
    fake_bedrock.reply_error("ValidationException", "Malformed input request: extraneous key [foo].", 400)
    with pytest.raises(ClientError):
        client.invoke_model(modelId=bodies.LLAMA, body=json.dumps(bodies.llama_request() | {"foo": 1}))
    span = assert_conforms(telemetry, operation="text_completion", failed=True)
    attributes = dict(span.attributes or {})
    assert attributes["gen_ai.request.max_tokens"] == 10  # the request was read before the call
    assert "gen_ai.response.finish_reasons" not in attributes


@pytest.mark.parametrize(
    ("model_id", "request_body", "response_body", "dimensions", "input_tokens", "headers"),
    [
        (bodies.TITAN_EMBED, bodies.titan_embed_request(), bodies.titan_embed_response(), 256, 6, {}),
        (
            bodies.COHERE_EMBED,
            bodies.cohere_embed_request(),
            bodies.cohere_embed_response(),
            1024,
            11,
            {"X-Amzn-Bedrock-Input-Token-Count": "11"},
        ),
    ],
    ids=["titan", "cohere"],
)
def test_invoke_model_embeddings_end_to_end(
    make_telemetry: Any,
    fake_bedrock: Any,
    model_id: str,
    request_body: dict[str, Any],
    response_body: dict[str, Any],
    dimensions: int,
    input_tokens: int,
    headers: dict[str, str],
) -> None:
    from helpers.conformance import assert_conforms

    telemetry = make_telemetry(capture_content=True)
    client = fake_bedrock.client()
    fake_bedrock.reply_json(response_body, headers=headers)
    client.invoke_model(modelId=model_id, body=json.dumps(request_body))
    span = assert_conforms(telemetry, operation="embeddings")
    attributes = dict(span.attributes or {})
    assert attributes["gen_ai.embeddings.dimension.count"] == dimensions
    assert attributes["gen_ai.usage.input_tokens"] == input_tokens


def test_a_provisioned_model_is_read_by_its_body(make_telemetry: Any, fake_bedrock: Any) -> None:
    from helpers.conformance import assert_conforms

    telemetry = make_telemetry()
    client = fake_bedrock.client()
    fake_bedrock.reply_json(bodies.llama_response())
    client.invoke_model(modelId=PROVISIONED, body=json.dumps(bodies.llama_request()))
    span = assert_conforms(telemetry, operation="text_completion")
    attributes = dict(span.attributes or {})
    assert attributes["gen_ai.request.model"] == PROVISIONED
    assert attributes["gen_ai.usage.output_tokens"] == 10
    assert attributes["gen_ai.response.finish_reasons"] == ("length",)


@pytest.mark.parametrize(
    ("reason", "expected"),
    [
        ("FINISH", "stop"),  # Titan
        ("LENGTH", "length"),
        ("STOP_CRITERIA_MET", "stop"),
        ("CONTENT_FILTERED", "content_filter"),
        ("stop", "stop"),  # Llama, Mistral
        ("length", "length"),
        ("model_length", "length"),
        ("tool_calls", "tool_call"),
        ("COMPLETE", "stop"),  # Cohere
        ("MAX_TOKENS", "length"),
        ("ERROR_TOXIC", "content_filter"),
        ("ERROR", "error"),
        ("end_turn", "stop"),  # Anthropic, Nova
        ("max_tokens", "length"),
        ("stop_sequence", "stop"),
        ("tool_use", "tool_call"),
        ("content_filtered", "content_filter"),
        ("refusal", "content_filter"),
    ],
)
def test_output_finish_reasons_map_to_the_schema(reason: str, expected: str) -> None:
    """The span keeps the model's value; the output message carries the schema's."""
    record = inference()
    models.LLAMA.read_response(record, bodies.llama_response() | {"stop_reason": reason}, True)
    assert record.finish_reasons == [reason]
    assert (record.output_messages or [])[0]["finish_reason"] == expected


def test_openai_request_extras() -> None:
    record = inference(bodies.GPT_OSS)
    models.OPENAI.read_request(record, bodies.openai_chat_request() | {"n": 2, "presence_penalty": 0.5}, True)
    assert (record.reasoning_level, record.choice_count, record.presence_penalty) == ("low", 2, 0.5)
    assert [m["role"] for m in record.input_messages or ()] == ["developer", "user"]


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every key path inside a JSON value."""
    found: list[tuple[Any, ...]] = []
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        found.append((*prefix, key))
        found.extend(_paths(item, (*prefix, key)))
    return found


def _replaced(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    copied = copy.deepcopy(value)
    target = copied
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = new
    return copied


@pytest.mark.parametrize("family", FAMILIES, ids=family_id)
def test_any_field_of_the_wrong_type_is_survived(family: Family, caplog: pytest.LogCaptureFixture) -> None:
    """Each field of the request, the response and every chunk replaced in turn by a value of another JSON
    type: the type checks hold everywhere (the last-resort guard never fires)."""
    assert family.stream is not None
    caplog.set_level(logging.DEBUG, logger="otel_genai")
    model_family = family_for(family.model_id)
    assert model_family is not None
    request, response, chunks = family.request(), family.response(), family.stream()
    replacements = (None, 7, "x", [], {}, [1], {"a": 1})
    for path in _paths(request):
        for new in replacements:
            model_family.read_request(inference(), _replaced(request, path, new), True)
    for path in _paths(response):
        for new in replacements:
            model_family.read_response(inference(), _replaced(response, path, new), True)
    for index, chunk in enumerate(chunks):
        for path in _paths(chunk):
            for new in replacements:
                reader = model_family.chunk_reader()
                for position, item in enumerate(chunks):
                    reader.feed(_replaced(chunk, path, new) if position == index else item)
                reader.finish(inference(), True)
    assert not [r.getMessage() for r in caplog.records if "could not" in r.getMessage()]
