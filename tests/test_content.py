"""``otel_genai.telemetry.content``: finish reasons, the content size limit and serialisation."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest

from otel_genai.telemetry.content import (
    TRUNCATION_MARK,
    limit_parts,
    parse_json_arguments,
    parts_json,
    semconv_finish_reason,
    text_part,
    to_json,
)

# The output-message schema's finish_reason enum.
SCHEMA_FINISH_REASONS = {"stop", "length", "content_filter", "tool_call", "error"}


@pytest.mark.parametrize("reason", sorted(SCHEMA_FINISH_REASONS))
def test_finish_reasons_in_the_schema_are_kept(reason: str) -> None:
    assert semconv_finish_reason(reason) == reason


@pytest.mark.parametrize(
    ("reason", "expected"),
    [
        ("tool_calls", "tool_call"),  # OpenAI chat
        ("function_call", "tool_call"),  # OpenAI chat, legacy functions
        ("tool_use", "tool_call"),  # Anthropic
        ("end_turn", "stop"),  # Anthropic
        ("stop_sequence", "stop"),
        ("max_tokens", "length"),
        ("max_output_tokens", "length"),
        ("completed", "stop"),  # Responses status
        ("incomplete", "length"),
        ("failed", "error"),
        ("refusal", "content_filter"),  # Anthropic
        ("pause_turn", "stop"),
        ("STOP", "stop"),  # Gemini FinishReason names
        ("MAX_TOKENS", "length"),
        ("SAFETY", "content_filter"),
        ("RECITATION", "content_filter"),
        ("MALFORMED_FUNCTION_CALL", "error"),
        ("guardrail_intervened", "content_filter"),  # Bedrock Converse
        ("content_filtered", "content_filter"),
        ("model_context_window_exceeded", "length"),
        ("COMPLETE", "stop"),  # Cohere on Bedrock
        (None, "error"),
        ("", "error"),
        ("something_new", "error"),
    ],
)
def test_provider_finish_reasons_are_mapped(reason: str | None, expected: str) -> None:
    assert semconv_finish_reason(reason) == expected
    assert semconv_finish_reason(reason) in SCHEMA_FINISH_REASONS


def test_text_part() -> None:
    assert text_part("hi") == {"type": "text", "content": "hi"}


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        ('{"city": "Paris", "days": 2}', {"city": "Paris", "days": 2}),
        ("[1, 2]", [1, 2]),
        ("not json {", "not json {"),
        ("", ""),
        ({"already": "parsed"}, {"already": "parsed"}),
        (None, None),
    ],
)
def test_parse_json_arguments(arguments: Any, expected: Any) -> None:
    assert parse_json_arguments(arguments) == expected


# --- limit_parts ----------------------------------------------------------------------------------


def _messages() -> list[dict[str, Any]]:
    return [
        {"role": "system", "parts": [text_part("s" * 50)]},
        {
            "role": "user",
            "parts": [text_part("short"), text_part("é" * 30 + '"quoted"\n\\' + "x" * 30)],
            "name": "alice",
        },
        {
            "role": "assistant",
            "parts": [{"type": "tool_call", "id": "call_1", "name": "get_weather", "arguments": "a" * 40}],
        },
        {"role": "tool", "parts": [{"type": "tool_call_response", "id": "call_1", "response": "r" * 40}]},
    ]


def test_limit_parts_truncates_long_strings_and_marks_them() -> None:
    limited = limit_parts(_messages(), 10)
    assert limited[0]["parts"][0]["content"] == "s" * 10 + TRUNCATION_MARK
    assert limited[1]["parts"][0]["content"] == "short"
    assert limited[1]["parts"][1]["content"] == "é" * 10 + TRUNCATION_MARK
    assert limited[2]["parts"][0]["arguments"] == "a" * 10 + TRUNCATION_MARK
    assert limited[3]["parts"][0]["response"] == "r" * 10 + TRUNCATION_MARK
    # Everything that is not long text is kept as is.
    assert limited[1]["name"] == "alice"
    assert limited[2]["parts"][0]["name"] == "get_weather"
    assert limited[2]["parts"][0]["id"] == "call_1"
    assert [m["role"] for m in limited] == ["system", "user", "assistant", "tool"]


def test_limit_parts_does_not_mutate_its_input() -> None:
    messages = _messages()
    before = copy.deepcopy(messages)
    limit_parts(messages, 5)
    assert messages == before


def test_limit_parts_keeps_the_json_valid(validate_schema: Callable[[str, Any], None]) -> None:
    messages = _messages()
    for limit in (1, 3, 31, 35, 1000):
        text = to_json(limit_parts(messages, limit))
        document = json.loads(text)
        assert len(document) == len(messages)
        validate_schema("gen-ai-input-messages", text)


def test_limit_at_or_above_the_length_changes_nothing() -> None:
    messages = [{"role": "user", "parts": [text_part("abcde")]}]
    assert limit_parts(messages, 5) == messages
    assert limit_parts(messages, 6) == messages


@pytest.mark.parametrize("limit", [None, 0])
def test_no_limit_returns_the_messages_unchanged(limit: int | None) -> None:
    messages = _messages()
    assert limit_parts(messages, limit) is messages


@pytest.mark.parametrize(
    "limit", [None, 0, 1, 5, 6, 10, 29, 30, 31, 40, 41, 60, 61, 62, 99, 100, 200, 32_768]
)
def test_parts_json_is_the_json_of_the_limited_parts(limit: int | None) -> None:
    """Skipping the walk when the JSON is short is exact: escapes, non-ASCII text, strings just under, at
    and just over the limit, structured arguments, bare parts and odd items: limit_parts, then JSON."""
    instructions = [text_part("i" * 30), {"type": "text", "content": "ok"}]
    odd = [{"role": "assistant", "parts": [{"type": "tool_call", "arguments": {"q": "w" * 31}}, "odd"]}, "x"]
    for value in (_messages(), instructions, odd, [text_part("\n" * 29 + "é")], [text_part("z" * 100)]):
        assert parts_json(value, limit) == to_json(limit_parts(value, limit))


def test_limit_parts_on_system_instructions(validate_schema: Callable[[str, Any], None]) -> None:
    """System instructions are a bare list of parts, not of messages."""
    instructions = [text_part("i" * 20), {"type": "text", "content": "ok"}]
    limited = limit_parts(instructions, 4)
    assert limited == [text_part("iiii" + TRUNCATION_MARK), text_part("ok")]
    assert instructions[0]["content"] == "i" * 20
    validate_schema("gen-ai-system-instructions", to_json(limited))


def test_limit_parts_cuts_strings_inside_structured_arguments_without_touching_the_original() -> None:
    arguments = {"city": "Paris", "tags": ["ok", "longer"], "count": 12345}
    messages = [
        {"role": "assistant", "parts": [{"type": "tool_call", "name": "f", "arguments": arguments}, "odd"]},
        "not a message",
    ]
    limited = limit_parts(messages, 2)
    assert limited[0]["parts"][0]["arguments"] == {
        "city": "Pa" + TRUNCATION_MARK,
        "tags": ["ok", "lo" + TRUNCATION_MARK],
        "count": 12345,
    }
    assert arguments == {"city": "Paris", "tags": ["ok", "longer"], "count": 12345}
    assert limited[0]["parts"][1] == "odd"
    assert limited[1] == "not a message"


def test_limit_parts_keeps_short_structured_arguments_as_the_same_object() -> None:
    arguments = {"city": "Rome", "days": [1, 2]}
    messages = [{"role": "assistant", "parts": [{"type": "tool_call", "name": "f", "arguments": arguments}]}]
    assert limit_parts(messages, 10)[0]["parts"][0]["arguments"] is arguments


# --- to_json --------------------------------------------------------------------------------------


def test_to_json_is_compact_and_keeps_unicode() -> None:
    value = [{"role": "user", "parts": [text_part("héllo 世界")]}]
    text = to_json(value)
    assert text == '[{"role":"user","parts":[{"type":"text","content":"héllo 世界"}]}]'
    assert json.loads(text) == value


def test_to_json_falls_back_to_str_for_unknown_objects() -> None:
    class Thing:
        def __str__(self) -> str:
            return "a thing"

    assert json.loads(to_json({"value": Thing(), "n": 1.5, "none": None})) == {
        "value": "a thing",
        "n": 1.5,
        "none": None,
    }
