"""Anthropic streams: ``messages.create(stream=True)`` and the ``messages.stream(...)`` manager (and the
beta twins), sync and async: consumed fully, partly, closed, broken, and an ``error`` event mid-stream. The
application keeps the SDK's stream types and helpers; the span ends exactly once, when the stream does.
"""

from __future__ import annotations

import gc
import json
from typing import Any

import anthropic
import pytest
from opentelemetry.trace import StatusCode

from helpers.anthropic_fakes import (
    MESSAGE_ID,
    MODEL,
    REQUEST_ID,
    RESPONSE_MODEL,
    Api,
    anthropic_http,
    aws_event_stream,
    error_body,
    make_client,
    needs_bedrock_auth,
    redacted_thinking_block,
    sse,
    stream_events,
    text_block,
    thinking_block,
    tool_use_block,
    usage,
    web_search_blocks,
)
from helpers.api import END, breaking_body
from helpers.telemetry import ended_once, settle

TEXT = "Hello there, friend."
DURATION = "gen_ai.client.operation.duration"


def output_parts(span: Any) -> list[dict[str, Any]]:
    return json.loads(span.attributes["gen_ai.output.messages"])[0]["parts"]


ALL_BLOCKS = [
    thinking_block("The user greets me."),
    redacted_thinking_block(),
    text_block(TEXT),
    tool_use_block("toolu_01", "get_weather", {"city": "Paris"}),
]


# === create(stream=True) ===================================================================================


async def test_stream_consumed_fully(content_telemetry, anthropic_api, fake_anthropic, validate_schema):
    fake_anthropic.reply(stream=sse(stream_events(ALL_BLOCKS, stop_reason="tool_use")))

    stream = await anthropic_api.create(stream=True)
    assert isinstance(stream, anthropic_api.stream_class)
    assert content_telemetry.spans() == []  # open while the stream is
    events = await anthropic_api.drain(stream)

    assert [e.type for e in events][:2] == ["message_start", "content_block_start"]  # ping skipped by the SDK
    span = ended_once(content_telemetry)
    found = dict(span.attributes)
    assert found["gen_ai.request.stream"] is True
    assert found["gen_ai.response.id"] == MESSAGE_ID
    assert found["gen_ai.response.model"] == RESPONSE_MODEL
    assert found["gen_ai.response.finish_reasons"] == ("tool_use",)
    assert found["gen_ai.usage.input_tokens"] == 25 + 100 + 40
    assert found["gen_ai.usage.output_tokens"] == 15  # message_delta's, not message_start's placeholder
    assert (
        found["gen_ai.usage.cache_read.input_tokens"],
        found["gen_ai.usage.cache_write.input_tokens"],
    ) == (
        100,
        40,
    )
    assert found["gen_ai.response.time_to_first_chunk"] >= 0
    assert found["anthropic.request.id"] == REQUEST_ID
    assert found["otel_genai.response.tool_call.ids"] == ("toolu_01",)
    outputs = json.loads(found["gen_ai.output.messages"])
    validate_schema("gen-ai-output-messages", outputs)
    assert outputs[0]["finish_reason"] == "tool_call"
    assert outputs[0]["parts"] == [
        {"type": "reasoning", "content": "The user greets me."},
        {"type": "reasoning", "content": ""},
        {"type": "text", "content": TEXT},
        {"type": "tool_call", "id": "toolu_01", "name": "get_weather", "arguments": {"city": "Paris"}},
    ]
    chunk_points = content_telemetry.metrics().get("gen_ai.client.operation.time_per_output_chunk", [])
    assert sum(p.count for p in chunk_points) == len(events) - 1


async def test_stream_without_content_keeps_the_tool_calls(telemetry, anthropic_api, fake_anthropic):
    fake_anthropic.reply(stream=sse(stream_events(ALL_BLOCKS, stop_reason="tool_use")))

    await anthropic_api.drain(await anthropic_api.create(stream=True))

    found = dict(ended_once(telemetry).attributes)
    assert found["otel_genai.response.tool_call.names"] == ("get_weather",)
    assert "gen_ai.output.messages" not in found


async def test_stream_usage_repeated_in_message_delta(telemetry, anthropic_api, fake_anthropic):
    """The API now repeats the input and cache counts in ``message_delta``: its figures are final."""
    delta_usage = {"input_tokens": 30, "output_tokens": 20, "cache_read_input_tokens": 5}
    fake_anthropic.reply(
        stream=sse(
            stream_events(start_usage=usage(25, 1, cache_read=0, cache_write=0), delta_usage=delta_usage)
        )
    )

    await anthropic_api.drain(await anthropic_api.create(stream=True))

    found = dict(ended_once(telemetry).attributes)
    assert found["gen_ai.usage.input_tokens"] == 35
    assert found["gen_ai.usage.output_tokens"] == 20
    assert found["gen_ai.usage.cache_read.input_tokens"] == 5


async def test_stream_with_server_tools(content_telemetry, anthropic_api, fake_anthropic, validate_schema):
    fake_anthropic.reply(stream=sse(stream_events([*web_search_blocks(), text_block("Sunny.")])))

    await anthropic_api.drain(await anthropic_api.create(stream=True))

    parts = output_parts(ended_once(content_telemetry))
    assert [p["type"] for p in parts] == ["server_tool_call", "server_tool_call_response", "text"]
    assert parts[0]["id"] == parts[1]["id"] == "srvtoolu_014hJH82Qum7Td6UV8gDXThB"


async def test_stream_iterated_with_next(telemetry, anthropic_api, fake_anthropic):
    fake_anthropic.reply(stream=sse(stream_events()))
    stream = await anthropic_api.create(stream=True)

    seen = 0
    while await anthropic_api.next(stream) is not END:
        seen += 1

    assert seen > 3
    assert ended_once(telemetry).attributes["gen_ai.response.finish_reasons"] == ("end_turn",)


async def test_stream_read_partly_then_closed(content_telemetry, anthropic_api, fake_anthropic):
    fake_anthropic.reply(stream=sse(stream_events()))
    stream = await anthropic_api.create(stream=True)

    await anthropic_api.next(stream)  # message_start
    await anthropic_api.next(stream)  # content_block_start
    await anthropic_api.close(stream)

    span = ended_once(content_telemetry)
    assert span.status.status_code is not StatusCode.ERROR
    assert span.attributes["gen_ai.response.id"] == MESSAGE_ID
    assert span.attributes["gen_ai.response.finish_reasons"] == ("error",)  # ended before message_delta
    assert "gen_ai.usage.output_tokens" not in span.attributes  # message_start's is a placeholder
    await anthropic_api.close(stream)  # closing again ends nothing twice
    assert len(content_telemetry.spans()) == 1


def test_sync_stream_loop_break_ends_the_span_at_once(telemetry, fake_anthropic):
    fake_anthropic.reply(stream=sse(stream_events()))
    stream = make_client(fake_anthropic).messages.create(model=MODEL, max_tokens=10, messages=[], stream=True)

    for _ in stream:
        break

    ended_once(telemetry)


async def test_async_stream_loop_break_ends_the_span(telemetry, fake_anthropic):
    fake_anthropic.reply(stream=sse(stream_events()))
    stream = await make_client(fake_anthropic, is_async=True).messages.create(
        model=MODEL, max_tokens=10, messages=[], stream=True
    )

    async for _ in stream:
        break
    del stream
    gc.collect()
    await settle(telemetry)

    ended_once(telemetry)


async def test_abandoned_stream_ends_the_span_exactly_once(telemetry, anthropic_api, fake_anthropic):
    fake_anthropic.reply(stream=sse(stream_events()))
    stream = await anthropic_api.create(stream=True)
    await anthropic_api.next(stream)

    del stream
    gc.collect()
    await settle(telemetry)

    ended_once(telemetry)


async def test_stream_broken_midway(telemetry, anthropic_api, fake_anthropic):
    head = sse(stream_events()[:3])
    error = anthropic_http().ReadError("connection dropped")
    fake_anthropic.reply(stream=breaking_body(anthropic_api.is_async, head, error))
    stream = await anthropic_api.create(stream=True)

    with pytest.raises(Exception) as caught:
        await anthropic_api.drain(stream)

    span = ended_once(telemetry)
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes["error.type"] == type(caught.value).__qualname__
    assert span.attributes["gen_ai.response.id"] == MESSAGE_ID  # what arrived before the break is kept


async def test_error_event_mid_stream(telemetry, anthropic_api, fake_anthropic):
    events = stream_events()[:4]
    body = (
        sse(events)
        + f"event: error\ndata: {json.dumps(error_body('overloaded_error', 'Overloaded'))}\n\n".encode()
    )
    fake_anthropic.reply(stream=body)
    stream = await anthropic_api.create(stream=True)

    with pytest.raises(anthropic.APIStatusError) as caught:
        await anthropic_api.drain(stream)

    span = ended_once(telemetry)
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes["error.type"] == "overloaded_error"
    assert "Overloaded" not in (span.status.description or "")
    assert caught.value.body["error"]["type"] == "overloaded_error"


async def test_error_status_before_the_stream_starts(telemetry, anthropic_api, fake_anthropic):
    fake_anthropic.reply(error_body("overloaded_error"), status=529)

    with pytest.raises(anthropic.APIStatusError):
        await anthropic_api.create(stream=True)

    span = ended_once(telemetry)
    assert span.attributes["error.type"] == "overloaded_error"
    assert span.attributes["gen_ai.request.stream"] is True


async def test_with_raw_response_stream_ends_its_span(telemetry, anthropic_api, fake_anthropic):
    fake_anthropic.reply(stream=sse(stream_events()))

    raw = await anthropic_api.call(anthropic_api.client.messages.with_raw_response.create, stream=True)
    stream = await anthropic_api.parse(raw)
    await anthropic_api.drain(stream)

    span = ended_once(telemetry)
    assert span.attributes["gen_ai.request.stream"] is True


# === the stream() manager ==================================================================================


@pytest.mark.parametrize("use", ["final_message", "final_text", "until_done", "text_stream", "events"])
async def test_stream_helper_works_unchanged_with_one_span(
    content_telemetry, anthropic_api, fake_anthropic, use
):
    fake_anthropic.reply(stream=sse(stream_events([thinking_block("Think."), text_block(TEXT)])))

    result = await anthropic_api.helper(use)

    if use in ("final_message", "until_done"):
        assert result.id == MESSAGE_ID and result.content[-1].text == TEXT
    elif use == "final_text":
        assert result == TEXT
    elif use == "text_stream":
        assert "".join(result) == TEXT
    else:
        types = [event.type for event in result]
        assert "text" in types and "message_stop" in types  # the helper's own events too
    span = ended_once(content_telemetry)
    found = dict(span.attributes)
    assert found["gen_ai.request.stream"] is True
    assert found["gen_ai.response.finish_reasons"] == ("end_turn",)
    assert found["gen_ai.usage.output_tokens"] == 15
    assert output_parts(span) == [
        {"type": "reasoning", "content": "Think."},
        {"type": "text", "content": TEXT},
    ]
    assert json.loads(found["gen_ai.input.messages"])[0]["parts"][0]["content"] == "Hello, Claude."


async def test_stream_helper_left_early_ends_the_span_on_exit(telemetry, anthropic_api, fake_anthropic):
    fake_anthropic.reply(stream=sse(stream_events()))

    event = await anthropic_api.helper("first_event")

    assert event.type == "message_start"
    span = ended_once(telemetry)
    assert span.status.status_code is not StatusCode.ERROR


async def test_stream_helper_entered_and_left_at_once(telemetry, anthropic_api, fake_anthropic):
    fake_anthropic.reply(stream=sse(stream_events()))

    await anthropic_api.helper("enter_only")

    ended_once(telemetry)


@pytest.mark.filterwarnings("ignore:coroutine .* was never awaited:RuntimeWarning")  # the SDK's own request
async def test_stream_helper_never_entered_makes_no_call_and_no_span(
    telemetry, anthropic_api, fake_anthropic
):
    manager = anthropic_api.client.messages.stream(model=MODEL, max_tokens=10, messages=[])
    del manager
    gc.collect()

    assert fake_anthropic.requests == []
    assert telemetry.spans() == []


async def test_stream_helper_error_event(telemetry, anthropic_api, fake_anthropic):
    body = (
        sse(stream_events()[:3])
        + f"event: error\ndata: {json.dumps(error_body('overloaded_error'))}\n\n".encode()
    )
    fake_anthropic.reply(stream=body)

    with pytest.raises(anthropic.APIStatusError):
        await anthropic_api.helper("final_text")

    span = ended_once(telemetry)
    assert span.attributes["error.type"] == "overloaded_error"


async def test_stream_helper_request_failure(telemetry, anthropic_api, fake_anthropic):
    fake_anthropic.reply(error_body("authentication_error"), status=401)

    with pytest.raises(anthropic.AuthenticationError):
        await anthropic_api.helper("final_text")

    assert ended_once(telemetry).attributes["error.type"] == "authentication_error"


async def test_stream_helper_reads_the_request_parameters(telemetry, anthropic_api, fake_anthropic):
    fake_anthropic.reply(stream=sse(stream_events()))

    await anthropic_api.helper(
        "final_text", stop_sequences=["END"], system="Be brief.", extra_body={"top_k": 3}
    )

    found = dict(ended_once(telemetry).attributes)
    assert found["gen_ai.request.model"] == MODEL
    assert found["gen_ai.request.stop_sequences"] == ("END",)
    assert found["gen_ai.request.top_k"] == 3


async def test_beta_stream_helper(content_telemetry, anthropic_api, fake_anthropic):
    fake_anthropic.reply(stream=sse(stream_events([text_block(TEXT)])))

    text = await anthropic_api.helper("final_text", resource=anthropic_api.client.beta.messages)

    assert text == TEXT
    span = ended_once(content_telemetry)
    assert output_parts(span) == [{"type": "text", "content": TEXT}]


async def test_beta_create_stream(telemetry, anthropic_api, fake_anthropic):
    fake_anthropic.reply(stream=sse(stream_events()))

    stream = await anthropic_api.call(anthropic_api.client.beta.messages.create, stream=True)
    await anthropic_api.drain(stream)

    assert ended_once(telemetry).attributes["gen_ai.response.id"] == MESSAGE_ID


# === Bedrock streams (AWS event-stream encoding) ===========================================================


@needs_bedrock_auth
@pytest.mark.parametrize("is_async", [False, True], ids=["sync", "async"])
async def test_bedrock_stream(content_telemetry, fake_anthropic, is_async):
    bedrock_model = "anthropic.claude-sonnet-4-5-20250929-v1:0"
    fake_anthropic.reply(
        stream=aws_event_stream(stream_events([text_block(TEXT)])),
        content_type="application/vnd.amazon.eventstream",
    )
    factory = anthropic.AsyncAnthropicBedrock if is_async else anthropic.AnthropicBedrock
    anthropic_api = Api(
        make_client(
            fake_anthropic, factory, aws_region="us-west-2", aws_access_key="AKID", aws_secret_key="dummy"
        )
    )

    events = await anthropic_api.drain(await anthropic_api.create(model=bedrock_model, stream=True))

    assert fake_anthropic.requests[-1].url.path == f"/model/{bedrock_model}/invoke-with-response-stream"
    assert events[-1].type == "message_stop"
    span = ended_once(content_telemetry)
    assert span.attributes["gen_ai.provider.name"] == "aws.bedrock"
    assert span.attributes["gen_ai.usage.output_tokens"] == 15
    assert output_parts(span) == [{"type": "text", "content": TEXT}]
