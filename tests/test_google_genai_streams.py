"""Google GenAI streams: ``generate_content_stream`` consumed fully, partly, closed, broken, abandoned.

The application gets the SDK's own generator (the span is opened by the request under it), so its type and
behaviour are the SDK's by construction; the span starts with the HTTP request (the first ``next``) and
ends exactly once, however the stream ends.
"""

from __future__ import annotations

import gc
import inspect
import json
from typing import Any

import pytest
from opentelemetry.trace import StatusCode

from helpers.api import END
from helpers.conformance import assert_conforms
from helpers.google_genai_fakes import (
    GEMINI_RESPONSE_ID,
    MODEL,
    Reply,
    candidate,
    function_call,
    gemini_client,
    response,
    stream,
    text,
    usage,
)
from helpers.telemetry import ended_once, points, settle

TIME_TO_FIRST_CHUNK = "gen_ai.client.operation.time_to_first_chunk"
TIME_PER_OUTPUT_CHUNK = "gen_ai.client.operation.time_per_output_chunk"


# === consumed fully ================================================================================


async def test_stream_consumed_fully(telemetry, gemini_api, fake_gemini):
    fake_gemini.queue(
        Reply(chunks=stream("The capital ", "is ", "Paris.", final_usage=usage(8, 6, thoughts=4)))
    )

    result = await gemini_api.stream()
    # the SDK's own (async) generator: nothing of ours in between
    assert inspect.isasyncgen(result) if gemini_api.is_async else inspect.isgenerator(result)
    assert telemetry.spans() == []  # no request yet
    chunks = await gemini_api.drain(result)

    assert "".join(c.text for c in chunks) == "The capital is Paris."
    span = assert_conforms(telemetry, operation="generate_content", content=False, stream=True)
    assert span.name == f"generate_content {MODEL}"
    assert span.attributes.get("gen_ai.response.id") == ("resp-s" if GEMINI_RESPONSE_ID else None)
    assert span.attributes["gen_ai.response.finish_reasons"] == ("stop",)
    assert span.attributes["gen_ai.usage.input_tokens"] == 8  # the last chunk's (running) totals
    assert span.attributes["gen_ai.usage.output_tokens"] == 10
    assert span.attributes["gen_ai.usage.reasoning.output_tokens"] == 4
    assert span.attributes["gen_ai.response.time_to_first_chunk"] >= 0
    assert sum(p.count for p in points(telemetry, TIME_TO_FIRST_CHUNK)) == 1
    assert sum(p.count for p in points(telemetry, TIME_PER_OUTPUT_CHUNK)) == 2


async def test_stream_content_is_assembled(content_telemetry, gemini_api, fake_gemini, validate_schema):
    chunks = [
        response([candidate([text("Thinking about ", thought=True)], None)]),
        response([candidate([text("France.", thought=True), text("Let me ")], None)]),
        response([candidate([text("check."), function_call("get_weather", {"city": "Paris"}, "call-1")])]),
    ]
    fake_gemini.queue(Reply(chunks=chunks))

    await gemini_api.drain(await gemini_api.stream(config={"system_instruction": "Be brief."}))

    span = assert_conforms(content_telemetry, operation="generate_content", content=True, stream=True)
    [message] = json.loads(span.attributes["gen_ai.output.messages"])
    validate_schema("gen-ai-output-messages", [message])
    assert message == {
        "role": "assistant",
        "parts": [
            {"type": "reasoning", "content": "Thinking about France."},
            {"type": "text", "content": "Let me check."},
            {"type": "tool_call", "id": "call-1", "name": "get_weather", "arguments": {"city": "Paris"}},
        ],
        "finish_reason": "tool_call",
    }
    assert span.attributes["otel_genai.response.tool_call.ids"] == ("call-1",)


async def test_streamed_tool_calls_are_visible_without_content(telemetry, gemini_api, fake_gemini):
    fake_gemini.queue(Reply(chunks=[response([candidate([function_call("get_time", {"tz": "CET"})])])]))
    await gemini_api.drain(await gemini_api.stream())
    span = assert_conforms(telemetry, operation="generate_content", content=False, stream=True)
    assert span.attributes["otel_genai.response.tool_call.names"] == ("get_time",)


async def test_stream_with_several_candidates(content_telemetry, gemini_api, fake_gemini):
    chunks = [
        response([candidate([text("Par")], None, 0), candidate([text("It is ")], None, 1)]),
        response([candidate([text("is.")], "STOP", 0), candidate([text("Paris")], "MAX_TOKENS", 1)]),
    ]
    fake_gemini.queue(Reply(chunks=chunks))
    await gemini_api.drain(await gemini_api.stream(config={"candidate_count": 2}))
    span = content_telemetry.span()
    assert span.attributes["gen_ai.response.finish_reasons"] == ("stop", "max_tokens")
    outputs = json.loads(span.attributes["gen_ai.output.messages"])
    assert [m["parts"][0]["content"] for m in outputs] == ["Paris.", "It is Paris"]
    assert [m["finish_reason"] for m in outputs] == ["stop", "length"]


async def test_streamed_blocked_prompt(telemetry, gemini_api, fake_gemini):
    fake_gemini.queue(Reply(chunks=[response(None, prompt_feedback={"blockReason": "PROHIBITED_CONTENT"})]))
    await gemini_api.drain(await gemini_api.stream())
    span = assert_conforms(telemetry, operation="generate_content", stream=True)
    assert span.attributes["gen_ai.response.finish_reasons"] == ("content_filter",)


# === partly consumed, closed, abandoned ===========================================================


async def test_stream_read_partly_then_closed(content_telemetry, gemini_api, fake_gemini):
    fake_gemini.queue(Reply(chunks=stream("The capital ", "is ", "Paris.")))
    result = await gemini_api.stream()
    first = await gemini_api.next(result)
    assert first.text == "The capital "

    await gemini_api.close(result)
    await settle(content_telemetry)

    span = ended_once(content_telemetry)
    assert span.status.status_code is StatusCode.UNSET
    assert span.attributes["gen_ai.response.finish_reasons"] == (
        "error",
    )  # no reason came: the conventions' value
    [message] = json.loads(span.attributes["gen_ai.output.messages"])
    assert message["parts"] == [{"type": "text", "content": "The capital "}]
    assert_conforms(content_telemetry, operation="generate_content", stream=True)


def test_sync_loop_break_ends_the_span_when_the_generator_goes(telemetry, fake_gemini):
    client = gemini_client(fake_gemini)
    fake_gemini.queue(Reply(chunks=stream("The capital ", "is ", "Paris.")))
    result = client.models.generate_content_stream(model=MODEL, contents="hi")
    for _chunk in result:
        break
    assert telemetry.spans() == []  # the application may still read on

    del result, _chunk  # the generator goes: CPython closes it at once, and the span ends with it
    ended_once(telemetry)
    gc.collect()
    ended_once(telemetry)


async def test_async_loop_break_ends_the_span(telemetry, fake_gemini):
    client = gemini_client(fake_gemini)
    fake_gemini.queue(Reply(chunks=stream("The capital ", "is ", "Paris.")))
    result = await client.aio.models.generate_content_stream(model=MODEL, contents="hi")
    async for _chunk in result:
        break
    del result, _chunk
    gc.collect()
    await settle(telemetry)
    ended_once(telemetry)


async def test_stream_never_iterated_makes_no_request_and_no_span(telemetry, gemini_api, fake_gemini):
    result = await gemini_api.stream()
    del result
    gc.collect()
    await settle(telemetry)
    assert telemetry.spans() == []
    assert fake_gemini.requests == []


async def test_stream_iterated_with_next_to_the_end(telemetry, gemini_api, fake_gemini):
    result = await gemini_api.stream()
    received = []
    while (chunk := await gemini_api.next(result)) is not END:
        received.append(chunk)
    assert len(received) == 2
    assert ended_once(telemetry).attributes["gen_ai.response.finish_reasons"] == ("stop",)


# === broken ==========================================================================================


async def test_stream_broken_midway(telemetry, gemini_api, fake_gemini, failures):
    fake_gemini.queue(Reply(chunks=stream("The capital ", "is ", "Paris."), break_after=1))
    result = await gemini_api.stream()

    received: list[Any] = []
    with pytest.raises(Exception) as raised:
        await gemini_api.drain(result, into=received)

    assert len(received) == 1
    assert failures == [raised.value]  # the very exception the application got is what we recorded
    span = ended_once(telemetry)
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes["error.type"] == type(raised.value).__qualname__
    assert span.attributes["gen_ai.response.model"] == "gemini-2.5-flash"  # learnt before the cut
    assert_conforms(telemetry, operation="generate_content", failed=True, stream=True)
