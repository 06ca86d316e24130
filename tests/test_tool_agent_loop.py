"""A small agent loop end to end: the real ``openai`` client (its HTTP answered locally) asks for tool calls,
a LangChain tool and an ``@otel_genai.tool`` function run them, and the answers go back to the model.

What a user relies on: each tool span carries the id of the model's tool call it answers, so the model span
that asked and the tool span that answered can be joined, with content capture on or off, all in one trace.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from langchain_core.tools import tool

import otel_genai
from helpers.openai_fakes import MODEL, chat_completion, tool_call

CHAT = "/chat/completions"
TOOLS = [
    {
        "type": "function",
        "function": {
            "name": name,
            "description": description,
            "parameters": {"type": "object", "properties": {key: {"type": "string"}}, "required": [key]},
        },
    }
    for name, description, key in (
        ("get_weather", "Current weather for a city.", "city"),
        ("local_time", "The local time in a time zone.", "tz"),
    )
]


@tool
def get_weather(city: str) -> str:
    """Current weather for a city."""
    return f"18C and sunny in {city}"


@otel_genai.tool
def local_time(tz: str) -> str:
    """The local time in a time zone."""
    return f"14:05 {tz}"


@otel_genai.tool(name="local_time")  # the name the model calls it by
async def local_time_async(tz: str) -> str:
    """The local time in a time zone."""
    return f"14:05 {tz}"


def langchain_call(call: Any) -> dict[str, Any]:
    """The LangChain ``ToolCall`` for an OpenAI tool call."""
    return {
        "type": "tool_call",
        "id": call.id,
        "name": call.function.name,
        "args": json.loads(call.function.arguments),
    }


def queue_conversation(fake_openai: Any) -> None:
    fake_openai.reply(
        CHAT,
        chat_completion(
            None,
            tool_calls=[
                tool_call("call_abc", "get_weather", {"city": "Paris"}),
                tool_call("call_def", "local_time", {"tz": "CET"}),
            ],
            finish_reason="tool_calls",
        ),
    )
    fake_openai.reply(CHAT, chat_completion("18C and sunny in Paris; it is 14:05."))


def run_agent(client: Any, tracer: Any) -> str:
    with tracer.start_as_current_span("agent"):
        messages: list[dict[str, Any]] = [{"role": "user", "content": "Weather and time in Paris?"}]
        while True:
            completion = client.chat.completions.create(model=MODEL, messages=messages, tools=TOOLS)
            message = completion.choices[0].message
            if not message.tool_calls:
                return message.content
            messages.append(message.model_dump(exclude_none=True))
            for call in message.tool_calls:
                if call.function.name == "get_weather":
                    output = get_weather.invoke(langchain_call(call)).content
                else:
                    output = otel_genai.run_tool(call, local_time)
                messages.append({"role": "tool", "tool_call_id": call.id, "content": output})


async def run_agent_async(client: Any, tracer: Any) -> str:
    with tracer.start_as_current_span("agent"):
        messages: list[dict[str, Any]] = [{"role": "user", "content": "Weather and time in Paris?"}]
        while True:
            completion = await client.chat.completions.create(model=MODEL, messages=messages, tools=TOOLS)
            message = completion.choices[0].message
            if not message.tool_calls:
                return message.content
            messages.append(message.model_dump(exclude_none=True))
            for call in message.tool_calls:
                if call.function.name == "get_weather":
                    output = (await get_weather.ainvoke(langchain_call(call))).content
                else:
                    output = await otel_genai.run_tool(call, local_time_async)
                messages.append({"role": "tool", "tool_call_id": call.id, "content": output})


def by_name(spans: list[Any]) -> dict[str, list[Any]]:
    names: dict[str, list[Any]] = {}
    for span in sorted(spans, key=lambda s: s.start_time):
        names.setdefault(span.name, []).append(span)
    return names


def check_structure(spans: list[Any]) -> tuple[Any, Any, dict[str, Any]]:
    """One trace: the agent span, under it the two model calls and, between them, one span per tool call.

    Returns the model call that asked, the one that got the answers, and tool call id -> tool span.
    """
    names = by_name(spans)
    assert sorted(names) == ["agent", f"chat {MODEL}", "execute_tool get_weather", "execute_tool local_time"]
    (agent,) = names["agent"]
    asked, answered = names[f"chat {MODEL}"]
    tools = names["execute_tool get_weather"] + names["execute_tool local_time"]
    assert len(spans) == 5  # one span per tool call: run_tool's span is the decorated function's too
    assert {span.context.trace_id for span in spans} == {agent.context.trace_id}
    for span in (asked, answered, *tools):
        assert span.parent.span_id == agent.context.span_id
    for span in tools:
        assert asked.end_time <= span.start_time and span.end_time <= answered.start_time
        assert span.attributes["gen_ai.tool.type"] == "function"
    return asked, answered, {span.attributes["gen_ai.tool.call.id"]: span for span in tools}


@pytest.fixture
def agent_telemetry(make_telemetry: Callable[..., Any], request: pytest.FixtureRequest) -> Any:
    return make_telemetry(capture_content=request.param, instrumentors=["openai", "langchain"])


@pytest.mark.parametrize("agent_telemetry", [True, False], ids=["content", "no-content"], indirect=True)
def test_tool_spans_carry_the_ids_of_the_calls_the_model_made(
    agent_telemetry: Any, client: Any, fake_openai: Any
) -> None:
    queue_conversation(fake_openai)

    answer = run_agent(client, agent_telemetry.tracer_provider.get_tracer("app"))

    assert answer == "18C and sunny in Paris; it is 14:05."
    sent_back = [m for m in json.loads(fake_openai.requests[-1].content)["messages"] if m["role"] == "tool"]
    assert [(m["tool_call_id"], m["content"]) for m in sent_back] == [
        ("call_abc", "18C and sunny in Paris"),
        ("call_def", "14:05 CET"),
    ]
    asked, answered, tools = check_structure(agent_telemetry.spans())
    assert asked.attributes["otel_genai.response.tool_call.ids"] == ("call_abc", "call_def")
    assert sorted(tools) == ["call_abc", "call_def"]
    assert tools["call_abc"].name == "execute_tool get_weather"
    assert tools["call_def"].name == "execute_tool local_time"

    if agent_telemetry.instrumentation.settings.capture_mode.on_span:
        (output,) = json.loads(asked.attributes["gen_ai.output.messages"])
        requested = {part["id"]: part for part in output["parts"] if part["type"] == "tool_call"}
        assert set(requested) == set(tools)
        for call_id, span in tools.items():
            assert span.attributes["gen_ai.tool.name"] == requested[call_id]["name"]
            assert (
                json.loads(span.attributes["gen_ai.tool.call.arguments"]) == requested[call_id]["arguments"]
            )
        responses = {
            part["id"]: part["response"]
            for message in json.loads(answered.attributes["gen_ai.input.messages"])
            for part in message["parts"]
            if part["type"] == "tool_call_response"
        }
        assert responses == {
            call_id: json.loads(span.attributes["gen_ai.tool.call.result"]) for call_id, span in tools.items()
        }
    else:
        assert "gen_ai.output.messages" not in asked.attributes
        for span in tools.values():
            assert "gen_ai.tool.call.arguments" not in span.attributes
            assert "gen_ai.tool.call.result" not in span.attributes


@pytest.mark.parametrize("agent_telemetry", [True], ids=["content"], indirect=True)
async def test_the_async_loop_links_the_same_way(
    agent_telemetry: Any, async_client: Any, fake_openai: Any
) -> None:
    queue_conversation(fake_openai)

    await run_agent_async(async_client, agent_telemetry.tracer_provider.get_tracer("app"))

    asked, _, tools = check_structure(agent_telemetry.spans())
    (output,) = json.loads(asked.attributes["gen_ai.output.messages"])
    assert [part["id"] for part in output["parts"] if part["type"] == "tool_call"] == sorted(tools)
    points = agent_telemetry.metrics()["gen_ai.execute_tool.duration"]
    assert sorted(p.attributes["gen_ai.tool.name"] for p in points) == ["get_weather", "local_time"]
