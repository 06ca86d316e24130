"""Google GenAI content: every shape ``contents`` takes (strings, parts, ``Content``, dicts, lists), inline
and referenced data, function calls and responses, thoughts, system instructions, tool definitions, output
parts, and the capture modes. Messages are checked against the request the SDK really sent (same turns,
same roles, same number of parts) and against the schemas."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from google.genai import types

from helpers.conformance import assert_conforms
from helpers.google_genai_fakes import (
    Reply,
    candidate,
    function_call,
    response,
    text,
)
from helpers.telemetry import plain, span_content

EVENT_NAME = "gen_ai.client.inference.operation.details"
PNG = b"\x89PNG\r\n\x1a\n fake image bytes"
PNG_BASE64 = base64.b64encode(PNG).decode()
# Gemini REST role -> semconv role
ROLES = {"user": "user", "model": "assistant"}


def assert_matches_request(messages: list[dict[str, Any]], sent: list[dict[str, Any]]) -> None:
    """Our input messages have the turns the SDK sent: the same count, roles and parts per turn."""
    assert len(messages) == len(sent), (messages, sent)
    for message, turn in zip(messages, sent, strict=True):
        parts = turn["parts"]
        expected_role = ROLES[turn.get("role", "user")]
        if all("functionResponse" in p for p in parts):
            expected_role = "tool"
        assert message["role"] == expected_role
        assert len(message["parts"]) == len(parts), (message, turn)


CONTENTS = [
    pytest.param("What is the capital of France?", id="string"),
    pytest.param(["First question.", "Second question."], id="list-of-strings"),
    pytest.param(types.Part.from_text(text="A part."), id="Part"),
    pytest.param({"role": "user", "parts": [{"text": "A dict."}]}, id="dict-content"),
    pytest.param([{"text": "A part dict."}], id="list-of-part-dicts"),
    pytest.param(
        [
            types.Content(role="user", parts=[types.Part.from_text(text="Hi, I am Ann.")]),
            types.Content(role="model", parts=[types.Part.from_text(text="Hello Ann.")]),
            types.Content(role="user", parts=[types.Part.from_text(text="What is my name?")]),
        ],
        id="conversation",
    ),
    pytest.param(
        [
            types.Part.from_text(text="What is in this image?"),
            types.Part.from_bytes(data=PNG, mime_type="image/png"),
        ],
        id="text-and-image",
    ),
]


@pytest.mark.parametrize("contents", CONTENTS)
async def test_contents_shapes_match_what_was_sent(
    content_telemetry, gemini_api, fake_gemini, validate_schema, contents
):
    await gemini_api.generate(contents=contents)

    span = assert_conforms(content_telemetry, operation="generate_content", content=True)
    messages = span_content(span, "gen_ai.input.messages")
    validate_schema("gen-ai-input-messages", messages)
    assert_matches_request(messages, fake_gemini.requests[0].body["contents"])


async def test_multimodal_parts(content_telemetry, gemini_api, fake_gemini, validate_schema):
    contents = [
        types.Content(
            role="user",
            parts=[
                types.Part.from_text(text="Compare these."),
                types.Part.from_bytes(data=PNG, mime_type="image/png"),
                types.Part.from_uri(file_uri="gs://bucket/report.pdf", mime_type="application/pdf"),
                types.Part.from_uri(file_uri="https://example.com/clip.mp4", mime_type="video/mp4"),
                {"inline_data": {"data": PNG_BASE64, "mime_type": "audio/wav"}},
            ],
        )
    ]
    await gemini_api.generate(contents=contents)

    [message] = span_content(content_telemetry.span(), "gen_ai.input.messages")
    validate_schema("gen-ai-input-messages", [message])
    assert message["parts"] == [
        {"type": "text", "content": "Compare these."},
        {"type": "blob", "modality": "image", "mime_type": "image/png", "content": PNG_BASE64},
        {
            "type": "uri",
            "modality": "document",
            "uri": "gs://bucket/report.pdf",
            "mime_type": "application/pdf",
        },
        {"type": "uri", "modality": "video", "uri": "https://example.com/clip.mp4", "mime_type": "video/mp4"},
        {"type": "blob", "modality": "audio", "mime_type": "audio/wav", "content": PNG_BASE64},
    ]


async def test_function_calls_responses_and_thoughts_in_the_history(
    content_telemetry, gemini_api, fake_gemini, validate_schema
):
    contents = [
        types.Content(role="user", parts=[types.Part.from_text(text="Weather in Paris?")]),
        types.Content(
            role="model",
            parts=[
                types.Part(text="The user wants the weather.", thought=True),
                types.Part(
                    function_call=types.FunctionCall(id="call-1", name="get_weather", args={"city": "Paris"})
                ),
            ],
        ),
        types.Content(
            role="user",
            parts=[
                types.Part(
                    function_response=types.FunctionResponse(
                        id="call-1", name="get_weather", response={"output": "sunny"}
                    )
                )
            ],
        ),
    ]
    await gemini_api.generate(contents=contents)

    messages = span_content(content_telemetry.span(), "gen_ai.input.messages")
    validate_schema("gen-ai-input-messages", messages)
    assert messages == [
        {"role": "user", "parts": [{"type": "text", "content": "Weather in Paris?"}]},
        {
            "role": "assistant",
            "parts": [
                {"type": "reasoning", "content": "The user wants the weather."},
                {"type": "tool_call", "id": "call-1", "name": "get_weather", "arguments": {"city": "Paris"}},
            ],
        },
        {
            "role": "tool",
            "parts": [{"type": "tool_call_response", "id": "call-1", "response": {"output": "sunny"}}],
        },
    ]
    assert_matches_request(messages, fake_gemini.requests[0].body["contents"])


@pytest.mark.parametrize(
    "instruction",
    [
        pytest.param("Be brief.", id="string"),
        pytest.param(types.Content(parts=[types.Part.from_text(text="Be brief.")]), id="Content"),
        pytest.param(types.Part.from_text(text="Be brief."), id="Part"),
        pytest.param(["Be brief."], id="list"),
    ],
)
async def test_system_instruction_shapes(content_telemetry, gemini_api, validate_schema, instruction):
    await gemini_api.generate(config=types.GenerateContentConfig(system_instruction=instruction))
    instructions = span_content(content_telemetry.span(), "gen_ai.system_instructions")
    validate_schema("gen-ai-system-instructions", instructions)
    assert instructions == [{"type": "text", "content": "Be brief."}]


WEATHER = {
    "name": "get_weather",
    "description": "Current weather for a city.",
    "parameters": {"type": "OBJECT", "properties": {"city": {"type": "STRING"}}, "required": ["city"]},
}


@pytest.mark.parametrize("form", ["types", "dict"])
async def test_tool_definitions(content_telemetry, gemini_api, fake_gemini, validate_schema, form):
    if form == "types":
        tools: list[Any] = [
            types.Tool(function_declarations=[types.FunctionDeclaration(**WEATHER)]),
            types.Tool(google_search=types.GoogleSearch()),
            types.Tool(code_execution=types.ToolCodeExecution()),
        ]
    else:
        tools = [{"function_declarations": [WEATHER]}, {"google_search": {}}, {"code_execution": {}}]
    await gemini_api.generate(config={"tools": tools})

    definitions = span_content(content_telemetry.span(), "gen_ai.tool.definitions")
    validate_schema("gen-ai-tool-definitions", definitions)
    assert definitions == [
        {"type": "function", "name": "get_weather"},
        {"type": "google_search", "name": "google_search"},
        {"type": "code_execution", "name": "code_execution"},
    ]
    assert len(fake_gemini.requests[0].body["tools"]) == 3


async def test_tool_definition_details_when_asked_for(
    make_telemetry, gemini_api, monkeypatch, validate_schema
):
    monkeypatch.setenv("OTEL_GENAI_CAPTURE_TOOL_DEFINITION_DETAILS", "true")
    telemetry = make_telemetry(capture_content=True)
    await gemini_api.generate(
        config={"tools": [types.Tool(function_declarations=[types.FunctionDeclaration(**WEATHER)])]}
    )
    [definition] = span_content(telemetry.span(), "gen_ai.tool.definitions")
    validate_schema("gen-ai-tool-definitions", [definition])
    assert definition["description"] == "Current weather for a city."
    assert definition["parameters"]["properties"] == {"city": {"type": "STRING"}}


async def test_output_parts(content_telemetry, gemini_api, fake_gemini, validate_schema):
    parts = [
        text("Thinking it through.", thought=True),
        {"thoughtSignature": base64.b64encode(b"sig").decode()},  # only a signature: no part of ours
        text("Here is the chart."),
        {"inlineData": {"mimeType": "image/png", "data": PNG_BASE64}},
        {"executableCode": {"language": "PYTHON", "code": "print(1)"}},
    ]
    fake_gemini.queue(Reply(response([candidate(parts)])))

    await gemini_api.generate()

    [message] = span_content(content_telemetry.span(), "gen_ai.output.messages")
    validate_schema("gen-ai-output-messages", [message])
    assert message["parts"] == [
        {"type": "reasoning", "content": "Thinking it through."},
        {"type": "text", "content": "Here is the chart."},
        {"type": "blob", "modality": "image", "mime_type": "image/png", "content": PNG_BASE64},
        {
            "type": "server_tool_call",
            "id": None,
            "name": "code_execution",
            "server_tool_call": {"type": "code_execution"},
        },
    ]


async def test_no_content_by_default(telemetry, gemini_api, fake_gemini):
    fake_gemini.queue(Reply(response([candidate([function_call("get_weather", {"city": "Paris"}, "c1")])])))
    await gemini_api.generate(
        contents="My email is ann@example.com", config={"system_instruction": "Secret rules."}
    )
    span = assert_conforms(telemetry, operation="generate_content", content=False)
    dumped = json.dumps(dict(span.attributes))
    assert "ann@example.com" not in dumped and "Secret rules" not in dumped and "Paris" not in dumped
    assert telemetry.logs() == []


@pytest.mark.parametrize(
    ("mode", "on_span", "on_event"),
    [("SPAN_ONLY", True, False), ("EVENT_ONLY", False, True), ("SPAN_AND_EVENT", True, True)],
)
async def test_capture_modes(make_telemetry, gemini_api, validate_schema, mode, on_span, on_event):
    telemetry = make_telemetry(capture_content=mode)

    await gemini_api.generate(config={"system_instruction": "Be brief."})

    span = assert_conforms(telemetry, operation="generate_content", content=on_span)
    events = [log.log_record for log in telemetry.logs() if log.log_record.event_name == EVENT_NAME]
    if not on_event:
        assert events == []
        return
    [event] = events
    assert (event.trace_id, event.span_id) == (span.context.trace_id, span.context.span_id)
    assert event.attributes["gen_ai.provider.name"] == "gcp.gemini"
    messages = plain(event.attributes["gen_ai.input.messages"])
    validate_schema("gen-ai-input-messages", messages)
    assert messages == [
        {"role": "user", "parts": [{"type": "text", "content": "What is the capital of France?"}]}
    ]
    validate_schema("gen-ai-output-messages", plain(event.attributes["gen_ai.output.messages"]))
    assert plain(event.attributes["gen_ai.system_instructions"]) == [{"type": "text", "content": "Be brief."}]


async def test_event_for_a_stream(make_telemetry, gemini_api):
    telemetry = make_telemetry(capture_content="EVENT_ONLY")
    await gemini_api.drain(await gemini_api.stream())
    [event] = [log.log_record for log in telemetry.logs() if log.log_record.event_name == EVENT_NAME]
    [message] = plain(event.attributes["gen_ai.output.messages"])
    assert message["parts"] == [{"type": "text", "content": "The capital is Paris."}]
