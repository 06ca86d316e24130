"""The OpenAI Agents SDK: agent, tool and guardrail spans around the openai client's model spans.

The SDK's models are answered by ``FakeOpenAI`` (Responses API, the SDK's default), its own tracing keeps
its default processor (the upload to OpenAI) and no socket may be opened: ours and theirs coexist, and
theirs never reaches the network nor our exporter.
"""

from __future__ import annotations

import contextlib
import json
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from opentelemetry.trace import SpanKind, StatusCode

from helpers.openai_fakes import FakeOpenAI, responses_body, sse
from helpers.telemetry import Telemetry

agents = pytest.importorskip("agents")

from agents import (  # noqa: E402
    Agent,
    GuardrailFunctionOutput,
    InputGuardrailTripwireTriggered,
    MaxTurnsExceeded,
    OpenAIResponsesModel,
    Runner,
    function_tool,
    input_guardrail,
)
from agents.tracing import get_trace_provider  # noqa: E402

PATH = "/responses"


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Any]]:
    """Refuse every socket connection (the fake answers in process); the SDK's exporter flushed inside."""
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    attempts: list[Any] = []

    def refuse(self: socket.socket, address: Any, *args: Any) -> Any:
        attempts.append(address)
        raise ConnectionRefusedError(f"test: no network ({address})")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    yield attempts
    get_trace_provider().force_flush()  # their batch processor exports now, while sockets are refused
    assert attempts == []


def function_call(call_id: str, name: str, arguments: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "type": "function_call",
        "id": f"fc_{call_id}",
        "call_id": call_id,
        "name": name,
        "arguments": json.dumps(arguments or {}),
        "status": "completed",
    }


def model(async_client: Any) -> OpenAIResponsesModel:
    return OpenAIResponsesModel(model="gpt-4o-mini", openai_client=async_client)


@function_tool
def get_weather(city: str) -> str:
    """The weather in a city."""
    return f"sunny in {city}"


@function_tool
def broken(city: str) -> str:
    """A tool that fails."""
    raise ValueError(f"no weather for {city}")


def tree(telemetry: Telemetry) -> list[tuple[str, SpanKind, str | None]]:
    """(name, kind, parent's name) per span, sorted; one trace, every parent among the spans."""
    spans = telemetry.spans()
    assert len({span.context.trace_id for span in spans}) == 1
    names = {span.context.span_id: span.name for span in spans}
    rows = []
    for span in spans:
        parent = span.parent.span_id if span.parent is not None else None
        assert parent is None or parent in names, f"{span.name} has a parent outside the trace"
        rows.append((span.name, span.kind, names.get(parent) if parent is not None else None))
    return sorted(rows, key=lambda row: (row[0], row[2] or ""))


def named(telemetry: Telemetry, name: str) -> list[Any]:
    return [span for span in telemetry.spans() if span.name == name]


def usage_is_sum(agent_span: Any, model_spans: list[Any]) -> None:
    attributes = agent_span.attributes
    for key in ("gen_ai.usage.input_tokens", "gen_ai.usage.output_tokens"):
        assert attributes[key] == sum(span.attributes[key] for span in model_spans)


AGENT = SpanKind.INTERNAL
CHAT = ("chat gpt-4o-mini", SpanKind.CLIENT)


async def test_run_with_a_function_tool(
    telemetry: Telemetry, fake_openai: FakeOpenAI, async_client: Any
) -> None:
    fake_openai.reply(
        PATH, responses_body(output=[function_call("call_1", "get_weather", {"city": "Paris"})])
    )
    fake_openai.reply(PATH, responses_body("It is sunny."))
    agent = Agent(name="weather", instructions="Answer.", model=model(async_client), tools=[get_weather])

    result = await Runner.run(agent, "Weather in Paris?")

    assert result.final_output == "It is sunny."
    assert tree(telemetry) == [
        (*CHAT, "invoke_agent weather"),
        (*CHAT, "invoke_agent weather"),
        ("execute_tool get_weather", SpanKind.INTERNAL, "invoke_agent weather"),
        ("invoke_agent weather", AGENT, None),
    ]
    (agent_span,) = named(telemetry, "invoke_agent weather")
    assert agent_span.attributes["gen_ai.operation.name"] == "invoke_agent"
    assert agent_span.attributes["gen_ai.agent.name"] == "weather"
    assert agent_span.attributes["gen_ai.request.model"] == "gpt-4o-mini"
    usage_is_sum(agent_span, named(telemetry, "chat gpt-4o-mini"))
    (tool,) = named(telemetry, "execute_tool get_weather")
    assert tool.attributes["gen_ai.tool.call.id"] == "call_1"
    assert tool.attributes["gen_ai.tool.name"] == "get_weather"
    assert tool.status.status_code is StatusCode.UNSET
    # the model span that asked for the tool names the same call
    assert any(
        s.attributes.get("otel_genai.response.tool_call.ids") == ("call_1",) for s in telemetry.spans()
    )


def test_run_sync(telemetry: Telemetry, fake_openai: FakeOpenAI, async_client: Any) -> None:
    fake_openai.reply(PATH, responses_body("Hello."))
    agent = Agent(name="greeter", instructions="Greet.", model=model(async_client))

    assert Runner.run_sync(agent, "Hi").final_output == "Hello."

    assert tree(telemetry) == [(*CHAT, "invoke_agent greeter"), ("invoke_agent greeter", AGENT, None)]
    (agent_span,) = named(telemetry, "invoke_agent greeter")
    usage_is_sum(agent_span, named(telemetry, "chat gpt-4o-mini"))


def stream_of(response: dict[str, Any]) -> bytes:
    """The Responses SSE of a whole response: created, each output item done, completed."""
    started = {**response, "status": "in_progress", "output": [], "usage": None}
    events: list[dict[str, Any]] = [{"type": "response.created", "response": started}]
    for index, item in enumerate(response["output"]):
        events.append({"type": "response.output_item.added", "output_index": index, "item": item})
        events.append({"type": "response.output_item.done", "output_index": index, "item": item})
    events.append({"type": "response.completed", "response": response})
    return sse([{**event, "sequence_number": n} for n, event in enumerate(events)], done=False, named=True)


async def test_run_streamed(telemetry: Telemetry, fake_openai: FakeOpenAI, async_client: Any) -> None:
    fake_openai.reply(PATH, stream=stream_of(responses_body(output=[function_call("call_7", "get_weather")])))
    fake_openai.reply(PATH, stream=stream_of(responses_body("Sunny.")))
    agent = Agent(name="streamer", instructions="Answer.", model=model(async_client), tools=[get_weather])

    result = Runner.run_streamed(agent, "Weather?")
    events = [event async for event in result.stream_events()]
    await result.run_loop_task  # type: ignore[misc]  # the span ends with the SDK's run-loop task

    assert events and result.final_output == "Sunny."
    assert tree(telemetry) == [
        (*CHAT, "invoke_agent streamer"),
        (*CHAT, "invoke_agent streamer"),
        ("execute_tool get_weather", SpanKind.INTERNAL, "invoke_agent streamer"),
        ("invoke_agent streamer", AGENT, None),
    ]
    assert named(telemetry, "execute_tool get_weather")[0].attributes["gen_ai.tool.call.id"] == "call_7"


async def test_run_streamed_usage(telemetry: Telemetry, fake_openai: FakeOpenAI, async_client: Any) -> None:
    fake_openai.reply(PATH, stream=stream_of(responses_body("Sunny.")))
    agent = Agent(name="streamer", instructions="Answer.", model=model(async_client))

    result = Runner.run_streamed(agent, "Weather?")
    _ = [event async for event in result.stream_events()]
    await result.run_loop_task  # type: ignore[misc]

    usage_is_sum(named(telemetry, "invoke_agent streamer")[0], named(telemetry, "chat gpt-4o-mini"))


async def test_handoff_nests_the_agent_handed_off_to(
    telemetry: Telemetry, fake_openai: FakeOpenAI, async_client: Any
) -> None:
    fake_openai.reply(PATH, responses_body(output=[function_call("call_h", "transfer_to_billing")]))
    fake_openai.reply(PATH, responses_body(output=[function_call("call_w", "get_weather", {"city": "Oslo"})]))
    fake_openai.reply(PATH, responses_body("Refunded."))
    billing = Agent(name="billing", instructions="Bill.", model=model(async_client), tools=[get_weather])
    triage = Agent(name="triage", instructions="Route.", model=model(async_client), handoffs=[billing])

    result = await Runner.run(triage, "Refund me")

    assert result.final_output == "Refunded."
    assert tree(telemetry) == [
        (*CHAT, "invoke_agent billing"),
        (*CHAT, "invoke_agent billing"),
        (*CHAT, "invoke_agent triage"),
        ("execute_tool get_weather", SpanKind.INTERNAL, "invoke_agent billing"),
        ("invoke_agent billing", AGENT, "invoke_agent triage"),
        ("invoke_agent triage", AGENT, None),
    ]
    (outer,) = named(telemetry, "invoke_agent triage")
    (inner,) = named(telemetry, "invoke_agent billing")
    chats = named(telemetry, "chat gpt-4o-mini")
    usage_is_sum(outer, chats)  # the agent that handed off counts the calls of the one it handed to
    usage_is_sum(inner, [span for span in chats if span.parent.span_id == inner.context.span_id])
    assert outer.end_time >= inner.end_time


async def test_tripped_input_guardrail_fails_the_agent(
    telemetry: Telemetry, fake_openai: FakeOpenAI, async_client: Any
) -> None:
    @input_guardrail
    def no_refunds(context: Any, agent: Any, user_input: Any) -> GuardrailFunctionOutput:
        return GuardrailFunctionOutput(output_info=None, tripwire_triggered=True)

    fake_openai.reply(PATH, responses_body("Sure."))
    agent = Agent(name="guarded", instructions="x", model=model(async_client), input_guardrails=[no_refunds])

    with pytest.raises(InputGuardrailTripwireTriggered):
        await Runner.run(agent, "Refund me")

    (span,) = named(telemetry, "invoke_agent guarded")
    assert span.parent is None
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes["error.type"] == "InputGuardrailTripwireTriggered"
    (event,) = [event for event in span.events if event.name == "otel_genai.guardrail"]
    assert dict(event.attributes) == {
        "otel_genai.guardrail.name": "no_refunds",
        "otel_genai.guardrail.triggered": True,
    }
    # a model call the SDK ran beside the guardrail is still the agent's child
    assert all(s.parent.span_id == span.context.span_id for s in named(telemetry, "chat gpt-4o-mini"))


async def test_a_guardrail_that_passes_is_recorded(
    telemetry: Telemetry, fake_openai: FakeOpenAI, async_client: Any
) -> None:
    @input_guardrail
    def polite(context: Any, agent: Any, user_input: Any) -> GuardrailFunctionOutput:
        return GuardrailFunctionOutput(output_info=None, tripwire_triggered=False)

    fake_openai.reply(PATH, responses_body("Hello."))
    agent = Agent(name="guarded", instructions="x", model=model(async_client), input_guardrails=[polite])

    await Runner.run(agent, "Hi")

    (span,) = named(telemetry, "invoke_agent guarded")
    assert span.status.status_code is StatusCode.UNSET
    (event,) = [event for event in span.events if event.name == "otel_genai.guardrail"]
    assert event.attributes["otel_genai.guardrail.triggered"] is False


async def test_a_tool_raising_is_a_failed_tool_span_and_the_run_goes_on(
    telemetry: Telemetry, fake_openai: FakeOpenAI, async_client: Any
) -> None:
    # the SDK's default: the tool's exception becomes a message to the model, the run continues
    fake_openai.reply(PATH, responses_body(output=[function_call("call_b", "broken", {"city": "Rome"})]))
    fake_openai.reply(PATH, responses_body("Sorry, no weather."))
    agent = Agent(name="weather", instructions="x", model=model(async_client), tools=[broken])

    result = await Runner.run(agent, "Weather in Rome?")

    assert result.final_output == "Sorry, no weather."
    (tool,) = named(telemetry, "execute_tool broken")
    assert tool.status.status_code is StatusCode.ERROR
    assert tool.attributes["error.type"] == "tool_error"
    assert tool.attributes["gen_ai.tool.call.id"] == "call_b"
    (agent_span,) = named(telemetry, "invoke_agent weather")
    assert tool.parent.span_id == agent_span.context.span_id
    assert agent_span.status.status_code is StatusCode.UNSET


async def test_max_turns_fails_the_agent(
    telemetry: Telemetry, fake_openai: FakeOpenAI, async_client: Any
) -> None:
    fake_openai.reply(
        PATH, responses_body(output=[function_call("call_1", "get_weather", {"city": "Paris"})])
    )
    agent = Agent(name="looper", instructions="x", model=model(async_client), tools=[get_weather])

    with pytest.raises(MaxTurnsExceeded):
        await Runner.run(agent, "Loop", max_turns=2)

    (span,) = named(telemetry, "invoke_agent looper")
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes["error.type"] == "MaxTurnsExceeded"
    chats = named(telemetry, "chat gpt-4o-mini")
    assert len(chats) == 2
    usage_is_sum(span, chats)
    assert len(telemetry.spans()) == len({span.context.span_id for span in telemetry.spans()})  # ended once


async def test_max_turns_after_a_handoff_fails_both_agents(
    telemetry: Telemetry, fake_openai: FakeOpenAI, async_client: Any
) -> None:
    fake_openai.reply(PATH, responses_body(output=[function_call("call_h", "transfer_to_billing")]))
    fake_openai.reply(
        PATH, responses_body(output=[function_call("call_1", "get_weather", {"city": "Paris"})])
    )
    billing = Agent(name="billing", instructions="x", model=model(async_client), tools=[get_weather])
    triage = Agent(name="triage", instructions="x", model=model(async_client), handoffs=[billing])

    with pytest.raises(MaxTurnsExceeded):
        await Runner.run(triage, "Loop", max_turns=3)

    (outer,) = named(telemetry, "invoke_agent triage")
    (inner,) = named(telemetry, "invoke_agent billing")
    assert inner.parent.span_id == outer.context.span_id
    for span in (outer, inner):
        assert span.attributes["error.type"] == "MaxTurnsExceeded"


async def test_max_turns_streamed(telemetry: Telemetry, fake_openai: FakeOpenAI, async_client: Any) -> None:
    fake_openai.reply(PATH, stream=stream_of(responses_body(output=[function_call("call_1", "get_weather")])))
    agent = Agent(name="looper", instructions="x", model=model(async_client), tools=[get_weather])

    result = Runner.run_streamed(agent, "Loop", max_turns=1)
    with pytest.raises(MaxTurnsExceeded):
        async for _ in result.stream_events():
            pass
    with contextlib.suppress(MaxTurnsExceeded):
        await result.run_loop_task  # type: ignore[misc]

    (span,) = named(telemetry, "invoke_agent looper")
    assert span.attributes["error.type"] == "MaxTurnsExceeded"


async def test_sdk_tracing_disabled_keeps_the_run_and_its_model_calls(
    telemetry: Telemetry, fake_openai: FakeOpenAI, async_client: Any
) -> None:
    from agents import RunConfig

    fake_openai.reply(PATH, responses_body("Hello."))
    agent = Agent(name="quiet", instructions="x", model=model(async_client))

    await Runner.run(agent, "Hi", run_config=RunConfig(tracing_disabled=True))

    assert tree(telemetry) == [(*CHAT, "invoke_agent quiet"), ("invoke_agent quiet", AGENT, None)]


async def test_our_spans_only_reach_our_exporter(
    telemetry: Telemetry, fake_openai: FakeOpenAI, async_client: Any
) -> None:
    # the SDK's own spans (trace, agent, response, function) are never exported as OpenTelemetry spans
    fake_openai.reply(
        PATH, responses_body(output=[function_call("call_1", "get_weather", {"city": "Paris"})])
    )
    fake_openai.reply(PATH, responses_body("Sunny."))
    agent = Agent(name="weather", instructions="x", model=model(async_client), tools=[get_weather])

    await Runner.run(agent, "Weather?")

    assert {span.instrumentation_scope.name for span in telemetry.spans()} == {"otel_genai"}
    assert len(telemetry.spans()) == 4


async def test_uninstrument_removes_everything(
    telemetry: Telemetry, fake_openai: FakeOpenAI, async_client: Any
) -> None:
    from agents.run import AgentRunner
    from agents.tool_context import ToolContext
    from agents.tracing.provider import SynchronousMultiTracingProcessor

    import otel_genai

    otel_genai.uninstrument()
    for owner, name in (
        (AgentRunner, "run"),
        (AgentRunner, "run_streamed"),
        (ToolContext, "__init__"),
        (SynchronousMultiTracingProcessor, "on_span_start"),
        (SynchronousMultiTracingProcessor, "on_span_end"),
    ):
        assert not hasattr(vars(owner)[name], "__wrapped__"), name
    fake_openai.reply(
        PATH, responses_body(output=[function_call("call_1", "get_weather", {"city": "Paris"})])
    )
    fake_openai.reply(PATH, responses_body("Sunny."))
    agent = Agent(name="weather", instructions="x", model=model(async_client), tools=[get_weather])

    await Runner.run(agent, "Weather?")

    assert telemetry.spans() == []
