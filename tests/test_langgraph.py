"""LangGraph: real compiled graphs and prebuilt ReAct agents over ``ChatOpenAI`` answered by ``FakeOpenAI``.

A run is one ``invoke_workflow`` (or ``invoke_agent``) span; the model calls (the openai SDK's spans, ours)
and tool runs (``execute_tool``) inside it are its descendants, in one trace, sync and async, in every
stream mode, across LangGraph's thread pool and tasks.
"""

from __future__ import annotations

import asyncio
import json
import operator
import socket
import warnings
from collections.abc import Iterator
from typing import Annotated, Any, TypedDict

import pytest
from langchain_core.messages import AIMessage, HumanMessage
from langchain_core.tools import tool
from langchain_openai import ChatOpenAI
from langgraph.errors import GraphRecursionError
from langgraph.graph import END, START, StateGraph
from langgraph.graph.message import add_messages
from opentelemetry.trace import SpanKind, StatusCode

import otel_genai
from helpers.openai_fakes import FakeOpenAI, chat_chunks, chat_completion, openai_http, sse, tool_call

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # create_react_agent is deprecated in langgraph 1.x (moved to langchain)
    from langgraph.prebuilt import create_react_agent

AGENT = "invoke_agent"
WORKFLOW = "invoke_workflow"
MODES: list[Any] = ["values", "updates", "messages", "custom", ["values", "updates"], ["messages", "custom"]]


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing here may leave the process (no LangSmith upload, no model call over the network)."""

    def refuse(self: Any, *args: Any, **kwargs: Any) -> None:
        raise AssertionError(f"a socket was opened: {args}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.delenv("LANGSMITH_TRACING", raising=False)
    monkeypatch.delenv("LANGCHAIN_TRACING_V2", raising=False)


@tool
def get_weather(city: str) -> str:
    """Current weather for a city."""
    return f"18C and sunny in {city}"


def model(fake: FakeOpenAI) -> ChatOpenAI:
    httpx = openai_http()
    return ChatOpenAI(
        model="gpt-4o-mini",
        api_key="sk-test",  # type: ignore[arg-type]
        http_client=httpx.Client(transport=httpx.MockTransport(fake)),
        http_async_client=httpx.AsyncClient(transport=httpx.MockTransport(fake)),
        max_retries=0,
    )


def queue_react(fake: FakeOpenAI, streamed: bool = False) -> None:
    """The model first asks for the tool, then answers."""
    if streamed:
        delta = {"index": 0, "id": "call_1", "type": "function",
                 "function": {"name": "get_weather", "arguments": json.dumps({"city": "Paris"})}}  # fmt: skip
        first = chat_chunks([], finish_reason="tool_calls", include_usage=True, tool_call_deltas=[delta])
        fake.reply("/chat/completions", stream=sse(first))
        fake.reply("/chat/completions", stream=sse(chat_chunks(["Sunny", "."], include_usage=True)))
    else:
        call = tool_call("call_1", "get_weather", {"city": "Paris"})
        fake.reply("/chat/completions", chat_completion(None, tool_calls=[call], finish_reason="tool_calls"))
        fake.reply("/chat/completions", chat_completion("Sunny in Paris."))


def agent(fake: FakeOpenAI, name: str | None = "weather") -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return create_react_agent(model(fake), [get_weather], name=name)


QUESTION = {"messages": [("user", "Weather in Paris?")]}


def by_name(spans: list[Any]) -> dict[str, list[Any]]:
    found: dict[str, list[Any]] = {}
    for span in spans:
        found.setdefault(span.name, []).append(span)
    return found


def assert_agent_tree(spans: list[Any], name: str = "weather") -> Any:
    """invoke_agent > chat, execute_tool, chat: one trace, every child's parent the agent."""
    names = sorted(span.name for span in spans)
    assert names == sorted(
        [f"{AGENT} {name}", "chat gpt-4o-mini", "chat gpt-4o-mini", "execute_tool get_weather"]
    )
    (root,) = [span for span in spans if span.name.startswith(AGENT)]
    assert root.parent is None
    assert root.kind is SpanKind.INTERNAL
    assert {span.context.trace_id for span in spans} == {root.context.trace_id}
    for span in spans:
        if span is not root:
            assert span.parent is not None and span.parent.span_id == root.context.span_id, span.name
    attributes = dict(root.attributes or {})
    assert attributes["gen_ai.operation.name"] == "invoke_agent"
    assert attributes["gen_ai.agent.name"] == name
    models = [span for span in spans if span.name.startswith("chat")]
    for usage in ("gen_ai.usage.input_tokens", "gen_ai.usage.output_tokens"):
        assert attributes[usage] == sum(dict(span.attributes or {})[usage] for span in models)
    tool_span = next(span for span in spans if span.name.startswith("execute_tool"))
    assert dict(tool_span.attributes or {})["gen_ai.tool.call.id"] == "call_1"
    return root


# --- agents -------------------------------------------------------------------------------------------


def test_react_agent_invoke_is_one_agent_span_over_its_model_and_tool_calls(telemetry: Any) -> None:
    fake = FakeOpenAI()
    queue_react(fake)
    result = agent(fake).invoke(QUESTION)
    assert result["messages"][-1].content == "Sunny in Paris."
    root = assert_agent_tree(telemetry.spans())
    assert root.status.status_code is StatusCode.UNSET
    assert dict(root.attributes or {})["gen_ai.request.model"].startswith("gpt-4o-mini")
    assert "gen_ai.input.messages" not in dict(root.attributes or {})  # content is off


async def test_react_agent_ainvoke(telemetry: Any) -> None:
    fake = FakeOpenAI()
    queue_react(fake)
    result = await agent(fake).ainvoke(QUESTION)
    assert result["messages"][-1].content == "Sunny in Paris."
    assert_agent_tree(telemetry.spans())


@pytest.mark.parametrize("mode", MODES, ids=str)
def test_react_agent_stream_every_mode(telemetry: Any, mode: Any) -> None:
    fake = FakeOpenAI()
    queue_react(fake, streamed="messages" in mode)
    chunks = list(agent(fake).stream(QUESTION, stream_mode=mode))
    assert chunks or mode == "custom"  # the agent writes nothing custom
    assert_agent_tree(telemetry.spans())


@pytest.mark.parametrize("mode", MODES, ids=str)
async def test_react_agent_astream_every_mode(telemetry: Any, mode: Any) -> None:
    fake = FakeOpenAI()
    queue_react(fake, streamed="messages" in mode)
    chunks = [chunk async for chunk in agent(fake).astream(QUESTION, stream_mode=mode)]
    assert chunks or mode == "custom"  # the agent writes nothing custom
    assert_agent_tree(telemetry.spans())


def test_stream_is_still_a_generator_and_ends_once_when_broken_off(telemetry: Any) -> None:
    import types

    fake = FakeOpenAI()
    queue_react(fake)
    stream = agent(fake).stream(QUESTION, stream_mode="updates")
    assert isinstance(stream, types.GeneratorType)
    assert telemetry.spans() == []  # nothing runs before the first step
    next(stream)
    stream.close()
    stream.close()
    (root,) = [span for span in telemetry.spans() if span.name.startswith(AGENT)]
    assert [span.name for span in telemetry.spans()].count(root.name) == 1
    for span in telemetry.spans():
        assert span.context.trace_id == root.context.trace_id


def test_abandoned_stream_ends_its_span(telemetry: Any) -> None:
    import gc

    fake = FakeOpenAI()
    queue_react(fake)
    for _ in agent(fake).stream(QUESTION):
        break
    gc.collect()
    assert len([span for span in telemetry.spans() if span.name.startswith(AGENT)]) == 1


async def test_async_stream_broken_off_ends_once(telemetry: Any) -> None:
    import gc

    fake = FakeOpenAI()
    queue_react(fake)
    stream = agent(fake).astream(QUESTION)
    async for _ in stream:
        break
    await stream.aclose()
    ended = [span for span in telemetry.spans() if span.name.startswith(AGENT)]
    assert len(ended) == 1  # by aclose() itself
    del stream
    gc.collect()
    assert [span for span in telemetry.spans() if span.name.startswith(AGENT)] == ended  # not again


def test_agent_content(content_telemetry: Any) -> None:
    fake = FakeOpenAI()
    queue_react(fake)
    agent(fake).invoke(
        {"messages": [HumanMessage("Weather in Paris?")]}, {"configurable": {"thread_id": "t-1"}}
    )
    root = next(span for span in content_telemetry.spans() if span.name.startswith(AGENT))
    attributes = dict(root.attributes or {})
    assert attributes["gen_ai.conversation.id"] == "t-1"
    assert json.loads(attributes["gen_ai.input.messages"]) == [
        {"role": "user", "parts": [{"type": "text", "content": "Weather in Paris?"}]}
    ]
    output = json.loads(attributes["gen_ai.output.messages"])
    assert [message["role"] for message in output] == ["assistant", "tool", "assistant"]
    assert output[0]["parts"] == [
        {"type": "tool_call", "id": "call_1", "name": "get_weather", "arguments": {"city": "Paris"}}
    ]
    assert output[0]["finish_reason"] == "tool_call"
    assert output[1]["parts"] == [
        {"type": "tool_call_response", "id": "call_1", "response": "18C and sunny in Paris"}
    ]
    assert output[2] == {
        "role": "assistant",
        "parts": [{"type": "text", "content": "Sunny in Paris."}],
        "finish_reason": "stop",
        "name": "weather",
    } or output[2]["parts"] == [{"type": "text", "content": "Sunny in Paris."}]
    assert json.loads(attributes["gen_ai.tool.definitions"]) == [{"type": "function", "name": "get_weather"}]


@pytest.mark.parametrize("mode", ["values", "updates"])
def test_agent_content_from_a_stream(content_telemetry: Any, mode: str) -> None:
    fake = FakeOpenAI()
    queue_react(fake)
    list(agent(fake).stream(QUESTION, stream_mode=mode))
    root = next(span for span in content_telemetry.spans() if span.name.startswith(AGENT))
    output = json.loads(dict(root.attributes or {})["gen_ai.output.messages"])
    assert [message["role"] for message in output] == ["assistant", "tool", "assistant"]


# --- workflows ----------------------------------------------------------------------------------------


class Fan(TypedDict):
    messages: Annotated[list[Any], add_messages]
    answers: Annotated[list[str], operator.add]


def fan_out(fake: FakeOpenAI, use_async: bool) -> Any:
    """Two branches run in parallel, each calling the model (sync nodes: LangGraph's thread pool)."""
    llm = model(fake)

    def ask(state: Fan) -> dict[str, Any]:
        return {"answers": [llm.invoke("hi").content]}

    async def aask(state: Fan) -> dict[str, Any]:
        return {"answers": [(await llm.ainvoke("hi")).content]}

    node = aask if use_async else ask
    graph = StateGraph(Fan)
    graph.add_node("left", node)
    graph.add_node("right", node)
    graph.add_edge(START, "left")
    graph.add_edge(START, "right")
    graph.add_edge("left", END)
    graph.add_edge("right", END)
    return graph.compile(name="fan")


def assert_workflow_over_models(spans: list[Any], name: str, models: int) -> Any:
    (root,) = [span for span in spans if span.name.startswith(WORKFLOW)]
    assert root.name == f"{WORKFLOW} {name}"
    assert root.parent is None and root.kind is SpanKind.INTERNAL
    assert dict(root.attributes or {})["gen_ai.workflow.name"] == name
    assert dict(root.attributes or {})["gen_ai.operation.name"] == "invoke_workflow"
    chats = [span for span in spans if span.name.startswith("chat")]
    assert len(chats) == models
    for span in chats:
        assert span.parent is not None and span.parent.span_id == root.context.span_id
    assert {span.context.trace_id for span in spans} == {root.context.trace_id}
    return root


def test_fan_out_sync_nodes_keep_the_workflow_parent(telemetry: Any) -> None:
    fake = FakeOpenAI()
    fake.reply("/chat/completions", chat_completion("yes"))
    result = fan_out(fake, use_async=False).invoke({"messages": []})
    assert result["answers"] == ["yes", "yes"]
    assert_workflow_over_models(telemetry.spans(), "fan", 2)


async def test_fan_out_async_nodes_keep_the_workflow_parent(telemetry: Any) -> None:
    fake = FakeOpenAI()
    fake.reply("/chat/completions", chat_completion("yes"))
    result = await fan_out(fake, use_async=True).ainvoke({"messages": []})
    assert result["answers"] == ["yes", "yes"]
    assert_workflow_over_models(telemetry.spans(), "fan", 2)


async def test_fan_out_sync_nodes_under_astream(telemetry: Any) -> None:
    fake = FakeOpenAI()
    fake.reply("/chat/completions", chat_completion("yes"))
    [chunk async for chunk in fan_out(fake, use_async=False).astream({"messages": []}, stream_mode="updates")]
    assert_workflow_over_models(telemetry.spans(), "fan", 2)


def test_two_runs_are_two_traces(telemetry: Any) -> None:
    fake = FakeOpenAI()
    fake.reply("/chat/completions", chat_completion("yes"))
    graph = fan_out(fake, use_async=False)
    graph.invoke({"messages": []})
    graph.invoke({"messages": []})
    roots = [span for span in telemetry.spans() if span.name.startswith(WORKFLOW)]
    assert len(roots) == 2 and roots[0].context.trace_id != roots[1].context.trace_id


class Count(TypedDict):
    x: int


def subgraph_parent(fake: FakeOpenAI) -> Any:
    llm = model(fake)
    child = StateGraph(Count)
    child.add_node("ask", lambda state: {"x": state["x"] + len(llm.invoke("hi").content)})
    child.add_edge(START, "ask")
    child.add_edge("ask", END)
    parent = StateGraph(Count)
    parent.add_node("child", child.compile(name="child"))
    parent.add_node("double", lambda state: {"x": state["x"] * 2})
    parent.add_edge(START, "child")
    parent.add_edge("child", "double")
    parent.add_edge("double", END)
    return parent.compile(name="parent")


@pytest.mark.parametrize("how", ["invoke", "stream", "stream-subgraphs", "ainvoke", "astream"])
async def test_subgraph_is_a_nested_workflow_span(telemetry: Any, how: str) -> None:
    fake = FakeOpenAI()
    fake.reply("/chat/completions", chat_completion("yes"))
    graph = subgraph_parent(fake)
    if how == "invoke":
        assert graph.invoke({"x": 1}) == {"x": 8}
    elif how == "stream":
        list(graph.stream({"x": 1}))
    elif how == "stream-subgraphs":
        list(graph.stream({"x": 1}, stream_mode=["values", "updates"], subgraphs=True))
    elif how == "ainvoke":
        assert await graph.ainvoke({"x": 1}) == {"x": 8}
    else:
        [chunk async for chunk in graph.astream({"x": 1})]
    spans = by_name(telemetry.spans())
    assert sorted(spans) == ["chat gpt-4o-mini", f"{WORKFLOW} child", f"{WORKFLOW} parent"]
    (parent,), (child,), (chat,) = (
        spans[f"{WORKFLOW} parent"],
        spans[f"{WORKFLOW} child"],
        spans["chat gpt-4o-mini"],
    )
    assert parent.parent is None
    assert child.parent.span_id == parent.context.span_id
    assert chat.parent.span_id == child.context.span_id
    assert chat.context.trace_id == parent.context.trace_id


def test_workflow_without_messages_records_no_content(content_telemetry: Any) -> None:
    fake = FakeOpenAI()
    fake.reply("/chat/completions", chat_completion("yes"))
    subgraph_parent(fake).invoke({"x": 1})
    for span in content_telemetry.spans():
        if span.name.startswith(WORKFLOW):
            assert "gen_ai.input.messages" not in dict(span.attributes or {})
            assert "gen_ai.output.messages" not in dict(span.attributes or {})


def test_workflow_content_with_messages(content_telemetry: Any) -> None:
    def reply(state: Fan) -> dict[str, Any]:
        return {"messages": [AIMessage("pong")]}

    graph = StateGraph(Fan)
    graph.add_node("reply", reply)
    graph.add_edge(START, "reply")
    graph.add_edge("reply", END)
    graph.compile(name="pinger").invoke({"messages": [("user", "ping")], "answers": []})
    attributes = dict(content_telemetry.span().attributes or {})
    assert json.loads(attributes["gen_ai.input.messages"]) == [
        {"role": "user", "parts": [{"type": "text", "content": "ping"}]}
    ]
    assert json.loads(attributes["gen_ai.output.messages"]) == [
        {"role": "assistant", "parts": [{"type": "text", "content": "pong"}], "finish_reason": "stop"}
    ]


# --- errors -------------------------------------------------------------------------------------------


class NodeBroke(RuntimeError):
    pass


def broken_graph(raised: list[BaseException]) -> Any:
    def fail(state: Count) -> dict[str, Any]:
        error = NodeBroke("no")
        raised.append(error)
        raise error

    graph = StateGraph(Count)
    graph.add_node("fail", fail)
    graph.add_edge(START, "fail")
    graph.add_edge("fail", END)
    return graph.compile(name="broken")


@pytest.mark.parametrize("how", ["invoke", "stream", "ainvoke", "astream"])
async def test_node_raising_fails_the_workflow_and_propagates(telemetry: Any, how: str) -> None:
    raised: list[BaseException] = []
    graph = broken_graph(raised)
    with pytest.raises(NodeBroke) as caught:
        if how == "invoke":
            graph.invoke({"x": 1})
        elif how == "stream":
            list(graph.stream({"x": 1}))
        elif how == "ainvoke":
            await graph.ainvoke({"x": 1})
        else:
            [chunk async for chunk in graph.astream({"x": 1})]
    assert caught.value is raised[0]
    span = telemetry.span()
    assert span.status.status_code is StatusCode.ERROR
    assert dict(span.attributes or {})["error.type"] == "NodeBroke"


def test_recursion_limit_is_an_error(telemetry: Any) -> None:
    graph = StateGraph(Count)
    graph.add_node("loop", lambda state: {"x": state["x"] + 1})
    graph.add_edge(START, "loop")
    graph.add_edge("loop", "loop")
    with pytest.raises(GraphRecursionError):
        graph.compile(name="forever").invoke({"x": 0}, {"recursion_limit": 3})
    span = telemetry.span()
    assert span.status.status_code is StatusCode.ERROR
    assert dict(span.attributes or {})["error.type"] == "GraphRecursionError"


def test_react_agent_tool_raising_fails_the_tool_and_the_agent(telemetry: Any) -> None:
    from langgraph.prebuilt import ToolNode

    raised: list[BaseException] = []

    @tool
    def explode(city: str) -> str:
        """Always fails."""
        raised.append(NodeBroke("boom"))
        raise raised[-1]

    fake = FakeOpenAI()
    call = tool_call("call_1", "explode", {"city": "Paris"})
    fake.reply("/chat/completions", chat_completion(None, tool_calls=[call], finish_reason="tool_calls"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        graph = create_react_agent(model(fake), ToolNode([explode], handle_tool_errors=False), name="weather")
    with pytest.raises(NodeBroke) as caught:
        graph.invoke(QUESTION)
    assert caught.value is raised[0]
    spans = by_name(telemetry.spans())
    (tool_span,) = spans["execute_tool explode"]
    (root,) = spans[f"{AGENT} weather"]
    assert tool_span.parent.span_id == root.context.span_id
    for span in (tool_span, root):
        assert span.status.status_code is StatusCode.ERROR
        assert dict(span.attributes or {})["error.type"] == "NodeBroke"


# --- one model span, uninstrument ---------------------------------------------------------------------


def test_a_chat_openai_call_is_one_model_span(telemetry: Any) -> None:
    fake = FakeOpenAI()
    fake.reply("/chat/completions", chat_completion("hello"))
    assert model(fake).invoke("hi").content == "hello"
    span = telemetry.span()
    assert span.name == "chat gpt-4o-mini"
    assert dict(span.attributes or {})["gen_ai.provider.name"] == "openai"


def test_uninstrument_removes_the_spans(telemetry: Any) -> None:
    otel_genai.uninstrument()
    fake = FakeOpenAI()
    queue_react(fake)
    agent(fake).invoke(QUESTION)
    list(fan_out(fake, use_async=False).stream({"messages": []}))
    assert telemetry.spans() == []


def test_suppressed_instrumentation_makes_no_workflow_span(telemetry: Any) -> None:
    from opentelemetry.instrumentation.utils import suppress_instrumentation

    fake = FakeOpenAI()
    fake.reply("/chat/completions", chat_completion("yes"))
    with suppress_instrumentation():
        fan_out(fake, use_async=False).invoke({"messages": []})
    assert telemetry.spans() == []


def _iterate(stream: Iterator[Any]) -> list[Any]:
    return list(stream)


def test_stream_consumed_in_another_thread_keeps_one_trace(telemetry: Any) -> None:
    from concurrent.futures import ThreadPoolExecutor

    fake = FakeOpenAI()
    queue_react(fake)
    stream = agent(fake).stream(QUESTION)
    with ThreadPoolExecutor(1) as pool:
        pool.submit(_iterate, stream).result()
    assert_agent_tree(telemetry.spans())


def test_asyncio_gather_of_two_runs(telemetry: Any) -> None:
    async def main() -> None:
        fake = FakeOpenAI()
        fake.reply("/chat/completions", chat_completion("yes"))
        graph = fan_out(fake, use_async=True)
        await asyncio.gather(graph.ainvoke({"messages": []}), graph.ainvoke({"messages": []}))

    asyncio.run(main())
    spans = telemetry.spans()
    roots = [span for span in spans if span.name.startswith(WORKFLOW)]
    assert len(roots) == 2
    for root in roots:
        children = [s for s in spans if s.parent is not None and s.parent.span_id == root.context.span_id]
        assert len(children) == 2
        assert all(child.context.trace_id == root.context.trace_id for child in children)
