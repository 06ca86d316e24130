"""``otel_genai.agent(...)`` / ``otel_genai.workflow(...)``: an application's own agent loop as one connected
trace, with the real openai client answered locally (``FakeOpenAI``)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import pytest
from opentelemetry.trace import SpanKind, StatusCode

import otel_genai
from helpers.openai_fakes import FakeOpenAI, chat_completion, tool_call
from helpers.telemetry import Telemetry, exported_metrics

QUESTION = "Where is my order A-1042?"


def chat(client: Any, content: str = QUESTION) -> Any:
    return client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": content}]
    )


def by_name(telemetry: Telemetry) -> dict[str, list[Any]]:
    spans: dict[str, list[Any]] = {}
    for span in telemetry.spans():
        spans.setdefault(span.name, []).append(span)
    return spans


def usage(span: Any) -> tuple[int, int]:
    return span.attributes["gen_ai.usage.input_tokens"], span.attributes["gen_ai.usage.output_tokens"]


def test_an_agent_loop_is_one_trace_under_its_agent_span(
    telemetry: Telemetry, client: Any, fake_openai: FakeOpenAI
) -> None:
    fake_openai.reply(
        "/chat/completions",
        chat_completion(None, tool_calls=[tool_call("call_1", "lookup", {})], finish_reason="tool_calls"),
    )
    fake_openai.reply(
        "/chat/completions",
        chat_completion("Shipped.", usage={"prompt_tokens": 50, "completion_tokens": 5, "total_tokens": 55}),
    )

    @otel_genai.tool
    def lookup() -> str:
        return "shipped"

    with otel_genai.agent("support-bot", description="Answers order questions", version="3") as run:
        chat(client)
        lookup()
        chat(client, "tool says shipped")
        assert run.record.agent_name == "support-bot"

    spans = by_name(telemetry)
    [agent] = spans["invoke_agent support-bot"]
    first, second = spans["chat gpt-4o-mini"]
    [tool] = spans["execute_tool lookup"]
    assert agent.kind is SpanKind.INTERNAL and agent.parent is None
    for child in (first, second, tool):
        assert child.parent.span_id == agent.context.span_id
        assert child.context.trace_id == agent.context.trace_id
    attributes = agent.attributes
    assert attributes["gen_ai.operation.name"] == "invoke_agent"
    assert attributes["gen_ai.agent.name"] == "support-bot"
    assert attributes["gen_ai.agent.description"] == "Answers order questions"
    assert attributes["gen_ai.agent.version"] == "3"
    assert (
        attributes["gen_ai.request.model"] == first.attributes["gen_ai.request.model"]
    )  # the first model called
    assert usage(agent) == tuple(a + b for a, b in zip(usage(first), usage(second), strict=True))
    assert "gen_ai.input.messages" not in attributes  # content is off
    [duration] = telemetry.metrics()["gen_ai.invoke_agent.duration"]
    assert duration.count == 1 and duration.attributes["gen_ai.agent.name"] == "support-bot"
    assert exported_metrics(telemetry.metric_reader)["gen_ai.invoke_agent.duration"].unit == "s"


def test_a_decorated_agent_sync_and_async(
    telemetry: Telemetry, client: Any, async_client: Any, fake_openai: FakeOpenAI
) -> None:
    fake_openai.reply("/chat/completions", chat_completion())

    @otel_genai.agent
    def helper(question: str) -> str:
        return chat(client, question).choices[0].message.content

    @otel_genai.agent(name="async-helper")
    async def async_helper(question: str) -> str:
        return (
            (
                await async_client.chat.completions.create(
                    model="gpt-4o-mini", messages=[{"role": "user", "content": question}]
                )
            )
            .choices[0]
            .message.content
        )

    assert helper(QUESTION) == "Hello! How can I help?"
    assert asyncio.run(async_helper(QUESTION)) == "Hello! How can I help?"
    spans = by_name(telemetry)
    assert set(spans) == {"invoke_agent helper", "invoke_agent async-helper", "chat gpt-4o-mini"}
    for agent_name in ("invoke_agent helper", "invoke_agent async-helper"):
        [agent] = spans[agent_name]
        [child] = [s for s in spans["chat gpt-4o-mini"] if s.parent.span_id == agent.context.span_id]
        assert usage(agent) == usage(child)


def test_with_content_the_agent_records_its_input_and_output(
    make_telemetry: Callable[..., Telemetry], client: Any, fake_openai: FakeOpenAI
) -> None:
    telemetry = make_telemetry(capture_content=True, redaction=False)
    fake_openai.reply("/chat/completions", chat_completion())

    @otel_genai.agent(name="helper")
    def helper(question: str) -> str:
        return chat(client, question).choices[0].message.content

    with otel_genai.agent("manual") as run:
        run.input([{"role": "system", "content": "Be brief."}, {"role": "user", "content": QUESTION}])
        run.instructions("Be brief.")
        run.output("It shipped.")
    helper(QUESTION)

    spans = by_name(telemetry)
    [manual] = spans["invoke_agent manual"]
    assert json.loads(manual.attributes["gen_ai.input.messages"]) == [
        {"role": "system", "parts": [{"type": "text", "content": "Be brief."}]},
        {"role": "user", "parts": [{"type": "text", "content": QUESTION}]},
    ]
    assert json.loads(manual.attributes["gen_ai.system_instructions"]) == [
        {"type": "text", "content": "Be brief."}
    ]
    [decorated] = spans["invoke_agent helper"]
    assert json.loads(decorated.attributes["gen_ai.input.messages"]) == [
        {"role": "user", "parts": [{"type": "text", "content": QUESTION}]}
    ]
    [output] = json.loads(decorated.attributes["gen_ai.output.messages"])
    assert output["parts"] == [{"type": "text", "content": "Hello! How can I help?"}]


def test_a_failing_agent_fails_its_span_and_raises_the_same_error(telemetry: Telemetry) -> None:
    error = LookupError("no such order")

    @otel_genai.agent(name="broken")
    def broken() -> None:
        raise error

    with pytest.raises(LookupError) as raised:
        broken()
    assert raised.value is error
    [span] = telemetry.spans()
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes["error.type"] == "LookupError"
    [duration] = telemetry.metrics()["gen_ai.invoke_agent.duration"]
    assert duration.attributes["error.type"] == "LookupError"


def test_a_workflow_of_agents_and_a_handoff(
    telemetry: Telemetry, client: Any, fake_openai: FakeOpenAI
) -> None:
    fake_openai.reply("/chat/completions", chat_completion())
    with otel_genai.workflow("triage"), otel_genai.agent("router"):
        chat(client)
        with otel_genai.agent("billing"):  # handed off to: nested under the router
            chat(client)

    spans = by_name(telemetry)
    [workflow] = spans["invoke_workflow triage"]
    [router] = spans["invoke_agent router"]
    [billing] = spans["invoke_agent billing"]
    routed, billed = spans["chat gpt-4o-mini"]
    assert workflow.kind is SpanKind.INTERNAL and workflow.attributes["gen_ai.workflow.name"] == "triage"
    assert router.parent.span_id == workflow.context.span_id
    assert billing.parent.span_id == router.context.span_id
    assert (
        routed.parent.span_id == router.context.span_id and billed.parent.span_id == billing.context.span_id
    )
    assert usage(billing) == usage(billed)
    # an agent's usage includes the agents it handed off to
    assert usage(router) == tuple(a + b for a, b in zip(usage(routed), usage(billed), strict=True))
    assert "gen_ai.usage.input_tokens" not in workflow.attributes
    [duration] = telemetry.metrics()["gen_ai.invoke_workflow.duration"]
    assert duration.attributes["gen_ai.workflow.name"] == "triage"


def test_a_remote_agent_is_a_client_span(telemetry: Telemetry) -> None:
    with otel_genai.agent(
        "planner", server_address="agents.example.com", server_port=8443, provider="openai"
    ):
        pass
    [span] = telemetry.spans()
    assert span.kind is SpanKind.CLIENT
    assert span.attributes["server.address"] == "agents.example.com"
    assert span.attributes["server.port"] == 8443
    assert span.attributes["gen_ai.provider.name"] == "openai"


SHARED_AGENT = otel_genai.agent("shared")  # one block object entered by many tasks


def test_one_agent_block_shared_by_concurrent_tasks(
    telemetry: Telemetry, async_client: Any, fake_openai: FakeOpenAI
) -> None:
    fake_openai.reply("/chat/completions", chat_completion())

    async def one() -> None:
        async with SHARED_AGENT:
            await asyncio.sleep(0)
            await async_client.chat.completions.create(
                model="gpt-4o-mini", messages=[{"role": "user", "content": "x"}]
            )

    async def main() -> None:
        await asyncio.gather(*(one() for _ in range(3)))

    asyncio.run(main())
    spans = by_name(telemetry)
    agents = spans["invoke_agent shared"]
    assert len(agents) == 3
    parents = sorted(s.parent.span_id for s in spans["chat gpt-4o-mini"])
    assert parents == sorted(a.context.span_id for a in agents)  # each call under its own task's run


def test_suppressed_instrumentation_opens_no_agent_span(telemetry: Telemetry) -> None:
    from opentelemetry.instrumentation.utils import suppress_instrumentation

    @otel_genai.agent
    def helper() -> str:
        return "done"

    with suppress_instrumentation():
        assert helper() == "done"
        with otel_genai.workflow("quiet"):
            pass
    assert telemetry.spans() == []


def test_a_decorated_generator_agent_lasts_from_its_first_step_to_its_end(
    make_telemetry: Callable[..., Telemetry], client: Any, fake_openai: FakeOpenAI
) -> None:
    telemetry = make_telemetry(capture_content=True, redaction=False)
    fake_openai.reply("/chat/completions", chat_completion())

    @otel_genai.agent(name="streamer")
    def answer(question: str) -> Any:
        yield "Let me check. "
        yield chat(client, question).choices[0].message.content

    stream = answer(QUESTION)
    assert telemetry.spans() == []  # nothing runs until it is iterated
    first = next(stream)
    chat(client, "between two steps")  # the consumer's own call: not the agent's
    rest = list(stream)
    spans = by_name(telemetry)
    [agent] = spans["invoke_agent streamer"]
    inside, between = sorted(spans["chat gpt-4o-mini"], key=lambda s: s.parent is None)
    assert inside.parent.span_id == agent.context.span_id
    assert between.parent is None and between.context.trace_id != agent.context.trace_id
    [output] = json.loads(agent.attributes["gen_ai.output.messages"])
    assert output["parts"] == [{"type": "text", "content": first + "".join(rest)}]


def test_a_generator_agent_closed_early_or_failing_ends_once(telemetry: Telemetry) -> None:
    @otel_genai.agent(name="closed")
    def closed() -> Any:
        yield 1
        yield 2

    stream = closed()
    next(stream)
    stream.close()
    error = RuntimeError("broke")

    @otel_genai.agent(name="failing")
    def failing() -> Any:
        yield 1
        raise error

    with pytest.raises(RuntimeError) as raised:
        list(failing())
    assert raised.value is error
    spans = by_name(telemetry)
    [ended] = spans["invoke_agent closed"]
    [failed] = spans["invoke_agent failing"]
    assert ended.status.status_code is StatusCode.UNSET
    assert failed.attributes["error.type"] == "RuntimeError"


def test_a_decorated_async_generator_agent(
    telemetry: Telemetry, async_client: Any, fake_openai: FakeOpenAI
) -> None:
    fake_openai.reply("/chat/completions", chat_completion())

    @otel_genai.agent(name="async-streamer")
    async def answer() -> Any:
        completion = await async_client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": QUESTION}]
        )
        yield completion.choices[0].message.content

    async def main() -> list[Any]:
        return [piece async for piece in answer()]

    assert asyncio.run(main()) == ["Hello! How can I help?"]
    spans = by_name(telemetry)
    [agent] = spans["invoke_agent async-streamer"]
    [child] = spans["chat gpt-4o-mini"]
    assert child.parent.span_id == agent.context.span_id
    assert usage(agent) == usage(child)


def test_a_block_left_in_another_context_still_ends_its_span(telemetry: Telemetry) -> None:
    """A ``with`` inside a generator stepped in copied contexts (Starlette's iterate_in_threadpool) exits
    in another context than it entered: the span still ends, once."""
    import contextvars

    def steps() -> Any:
        with otel_genai.agent("stepped"):
            yield 1
        yield 2

    stream = steps()
    contextvars.copy_context().run(next, stream)
    contextvars.copy_context().run(next, stream)  # the with block exits here, in another context
    [span] = telemetry.spans()
    assert span.name == "invoke_agent stepped"


def test_in_the_event_only_mode_no_agent_content_is_built(make_telemetry: Callable[..., Telemetry]) -> None:
    telemetry = make_telemetry(capture_content="EVENT_ONLY", redaction=False)
    with otel_genai.agent("quiet") as run:
        run.input("hello")
        run.output("answer")
    assert run.record.input_messages is None and run.record.output_messages is None
    [span] = telemetry.spans()
    assert "gen_ai.input.messages" not in span.attributes
