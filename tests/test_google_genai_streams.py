"""Google GenAI streams: ``generate_content_stream`` consumed fully, partly, closed, broken, abandoned.

The application gets the SDK's own generator (the span is opened by the request under it), so its type and
behaviour are the SDK's by construction; the span starts with the HTTP request (the first ``next``) and
ends exactly once, however the stream ends.
"""

from __future__ import annotations

import asyncio
import gc
import inspect
import json
from typing import Any

import pytest
from opentelemetry.trace import StatusCode

from helpers.conformance import assert_conforms
from helpers.google_genai_fakes import (
    END,
    GEMINI_RESPONSE_ID,
    MODEL,
    Api,
    FakeGemini,
    Reply,
    candidate,
    function_call,
    gemini_client,
    response,
    stream,
    text,
    usage,
)
from otel_genai.telemetry.handler import TelemetryHandler

DURATION = "gen_ai.client.operation.duration"
TIME_TO_FIRST_CHUNK = "gen_ai.client.operation.time_to_first_chunk"
TIME_PER_OUTPUT_CHUNK = "gen_ai.client.operation.time_per_output_chunk"


@pytest.fixture
def fake() -> Any:
    server = FakeGemini()
    yield server
    server.close()


@pytest.fixture(params=["sync", "async"])
def api(request: pytest.FixtureRequest, fake: FakeGemini) -> Api:
    return Api(gemini_client(fake), request.param == "async")


@pytest.fixture
def failures(monkeypatch: pytest.MonkeyPatch) -> list[BaseException]:
    """Every exception the handler was asked to record (spied on, behaviour unchanged)."""
    seen: list[BaseException] = []
    original = TelemetryHandler.fail

    def spy(self: TelemetryHandler, record: Any, error: BaseException) -> None:
        seen.append(error)
        original(self, record, error)

    monkeypatch.setattr(TelemetryHandler, "fail", spy)
    return seen


def points(telemetry: Any, name: str) -> list[Any]:
    return telemetry.metrics().get(name, [])


def ended_once(telemetry: Any) -> Any:
    span = telemetry.span()
    assert span.end_time is not None
    assert sum(p.count for p in points(telemetry, DURATION)) == 1
    return span


async def settle(telemetry: Any, spans: int = 1) -> None:
    """Let the event loop finalise abandoned async generators (a bounded number of turns, no sleeping)."""
    for _ in range(20):
        if len(telemetry.spans()) >= spans:
            return
        await asyncio.sleep(0)


# === consumed fully ================================================================================


async def test_stream_consumed_fully(telemetry, api, fake):
    fake.queue(Reply(chunks=stream("The capital ", "is ", "Paris.", final_usage=usage(8, 6, thoughts=4))))

    result = await api.stream()
    # the SDK's own (async) generator: nothing of ours in between
    assert inspect.isasyncgen(result) if api.is_async else inspect.isgenerator(result)
    assert telemetry.spans() == []  # no request yet
    chunks = await api.drain(result)

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


async def test_stream_content_is_assembled(content_telemetry, api, fake, validate_schema):
    chunks = [
        response([candidate([text("Thinking about ", thought=True)], None)]),
        response([candidate([text("France.", thought=True), text("Let me ")], None)]),
        response([candidate([text("check."), function_call("get_weather", {"city": "Paris"}, "call-1")])]),
    ]
    fake.queue(Reply(chunks=chunks))

    await api.drain(await api.stream(config={"system_instruction": "Be brief."}))

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


async def test_streamed_tool_calls_are_visible_without_content(telemetry, api, fake):
    fake.queue(Reply(chunks=[response([candidate([function_call("get_time", {"tz": "CET"})])])]))
    await api.drain(await api.stream())
    span = assert_conforms(telemetry, operation="generate_content", content=False, stream=True)
    assert span.attributes["otel_genai.response.tool_call.names"] == ("get_time",)


async def test_stream_with_several_candidates(content_telemetry, api, fake):
    chunks = [
        response([candidate([text("Par")], None, 0), candidate([text("It is ")], None, 1)]),
        response([candidate([text("is.")], "STOP", 0), candidate([text("Paris")], "MAX_TOKENS", 1)]),
    ]
    fake.queue(Reply(chunks=chunks))
    await api.drain(await api.stream(config={"candidate_count": 2}))
    span = content_telemetry.span()
    assert span.attributes["gen_ai.response.finish_reasons"] == ("stop", "max_tokens")
    outputs = json.loads(span.attributes["gen_ai.output.messages"])
    assert [m["parts"][0]["content"] for m in outputs] == ["Paris.", "It is Paris"]
    assert [m["finish_reason"] for m in outputs] == ["stop", "length"]


async def test_streamed_blocked_prompt(telemetry, api, fake):
    fake.queue(Reply(chunks=[response(None, prompt_feedback={"blockReason": "PROHIBITED_CONTENT"})]))
    await api.drain(await api.stream())
    span = assert_conforms(telemetry, operation="generate_content", stream=True)
    assert span.attributes["gen_ai.response.finish_reasons"] == ("content_filter",)


# === partly consumed, closed, abandoned ===========================================================


async def test_stream_read_partly_then_closed(content_telemetry, api, fake):
    fake.queue(Reply(chunks=stream("The capital ", "is ", "Paris.")))
    result = await api.stream()
    first = await api.next(result)
    assert first.text == "The capital "

    await api.close(result)
    await settle(content_telemetry)

    span = ended_once(content_telemetry)
    assert span.status.status_code is StatusCode.UNSET
    assert span.attributes["gen_ai.response.finish_reasons"] == (
        "error",
    )  # no reason came: the conventions' value
    [message] = json.loads(span.attributes["gen_ai.output.messages"])
    assert message["parts"] == [{"type": "text", "content": "The capital "}]
    assert_conforms(content_telemetry, operation="generate_content", stream=True)


def test_sync_loop_break_ends_the_span_when_the_generator_goes(telemetry, fake):
    client = gemini_client(fake)
    fake.queue(Reply(chunks=stream("The capital ", "is ", "Paris.")))
    result = client.models.generate_content_stream(model=MODEL, contents="hi")
    for _chunk in result:
        break
    assert telemetry.spans() == []  # the application may still read on

    del result, _chunk  # the generator goes: CPython closes it at once, and the span ends with it
    ended_once(telemetry)
    gc.collect()
    ended_once(telemetry)


async def test_async_loop_break_ends_the_span(telemetry, fake):
    client = gemini_client(fake)
    fake.queue(Reply(chunks=stream("The capital ", "is ", "Paris.")))
    result = await client.aio.models.generate_content_stream(model=MODEL, contents="hi")
    async for _chunk in result:
        break
    del result, _chunk
    gc.collect()
    await settle(telemetry)
    ended_once(telemetry)


async def test_stream_never_iterated_makes_no_request_and_no_span(telemetry, api, fake):
    result = await api.stream()
    del result
    gc.collect()
    await settle(telemetry)
    assert telemetry.spans() == []
    assert fake.requests == []


async def test_stream_iterated_with_next_to_the_end(telemetry, api, fake):
    result = await api.stream()
    received = []
    while (chunk := await api.next(result)) is not END:
        received.append(chunk)
    assert len(received) == 2
    assert ended_once(telemetry).attributes["gen_ai.response.finish_reasons"] == ("stop",)


# === broken ==========================================================================================


async def test_stream_broken_midway(telemetry, api, fake, failures):
    fake.queue(Reply(chunks=stream("The capital ", "is ", "Paris."), break_after=1))
    result = await api.stream()

    received: list[Any] = []
    with pytest.raises(Exception) as raised:
        await api.drain(result, into=received)

    assert len(received) == 1
    assert failures == [raised.value]  # the very exception the application got is what we recorded
    span = ended_once(telemetry)
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes["error.type"] == type(raised.value).__qualname__
    assert span.attributes["gen_ai.response.model"] == "gemini-2.5-flash"  # learnt before the cut
    assert_conforms(telemetry, operation="generate_content", failed=True, stream=True)
