"""Which layer owns a span when several are instrumented (``docs/spans.md``): the combinations whose test
lives nowhere else. A LangChain chat model over the openai SDK is one model span, ours from the SDK; an
OpenAI Agents SDK function tool over an ``@otel_genai.tool`` function is one tool span.

Real ``langchain-openai`` / ``openai-agents`` over the real ``openai`` client answered by ``FakeOpenAI``.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from opentelemetry.trace import SpanKind

import otel_genai
from helpers.openai_fakes import FakeOpenAI, chat_chunks, chat_completion, openai_http, responses_body, sse
from helpers.telemetry import Telemetry

MODEL = "gpt-4o-mini"


def chat_model(fake_openai: FakeOpenAI) -> Any:
    langchain_openai = pytest.importorskip("langchain_openai")
    httpx = openai_http()
    return langchain_openai.ChatOpenAI(
        model=MODEL,
        api_key="sk-test",
        base_url="https://api.openai.com/v1",
        max_retries=0,
        http_client=httpx.Client(transport=httpx.MockTransport(fake_openai)),
        http_async_client=httpx.AsyncClient(transport=httpx.MockTransport(fake_openai)),
    )


def assert_one_model_span_under_request(telemetry: Telemetry) -> None:
    spans = telemetry.spans()
    (request,) = [s for s in spans if s.name == "request"]
    models = [s for s in spans if s is not request]
    assert [(s.name, s.kind, s.instrumentation_scope and s.instrumentation_scope.name) for s in models] == [
        (f"chat {MODEL}", SpanKind.CLIENT, "otel_genai")
    ]
    assert models[0].parent is not None and models[0].parent.span_id == request.context.span_id


@pytest.mark.parametrize("how", ["invoke", "stream"])
def test_a_langchain_chat_model_over_openai_is_one_span(
    telemetry: Telemetry, fake_openai: FakeOpenAI, how: str
) -> None:
    model = chat_model(fake_openai)
    tracer = telemetry.tracer_provider.get_tracer("app")
    if how == "invoke":
        fake_openai.reply("/chat/completions", chat_completion("ok"))
        with tracer.start_as_current_span("request"):
            assert model.invoke("hi").content == "ok"
    else:
        fake_openai.reply("/chat/completions", stream=sse(chat_chunks(["o", "k"], include_usage=True)))
        with tracer.start_as_current_span("request"):
            assert "".join(str(chunk.content) for chunk in model.stream("hi")) == "ok"

    assert_one_model_span_under_request(telemetry)


async def test_a_langchain_chat_model_ainvoke_is_one_span(
    telemetry: Telemetry, fake_openai: FakeOpenAI
) -> None:
    model = chat_model(fake_openai)
    fake_openai.reply("/chat/completions", chat_completion("ok"))
    with telemetry.tracer_provider.get_tracer("app").start_as_current_span("request"):
        assert (await model.ainvoke("hi")).content == "ok"

    assert_one_model_span_under_request(telemetry)


# --- the OpenAI Agents SDK's function tool over an @otel_genai.tool function --------------------------


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No socket may connect (the SDK's own trace upload included; no OPENAI_API_KEY)."""
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    attempts: list[Any] = []

    def refuse(self: socket.socket, address: Any, *args: Any) -> Any:
        attempts.append(address)
        raise ConnectionRefusedError(f"test: no network ({address})")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    yield
    from agents.tracing import get_trace_provider

    get_trace_provider().force_flush()
    assert attempts == []


async def test_an_agents_sdk_function_tool_over_a_decorated_tool_is_one_span(
    telemetry: Telemetry, fake_openai: FakeOpenAI, async_client: Any, no_network: None
) -> None:
    agents = pytest.importorskip("agents")

    @agents.function_tool
    @otel_genai.tool
    def get_weather(city: str) -> str:
        """The weather in a city."""
        return f"sunny in {city}"

    call = {
        "type": "function_call",
        "id": "fc_1",
        "call_id": "call_1",
        "name": "get_weather",
        "arguments": json.dumps({"city": "Paris"}),
        "status": "completed",
    }
    fake_openai.reply("/responses", responses_body(output=[call]))
    fake_openai.reply("/responses", responses_body("Sunny."))
    model = agents.OpenAIResponsesModel(model=MODEL, openai_client=async_client)
    agent = agents.Agent(name="weather", instructions="x", model=model, tools=[get_weather])

    await agents.Runner.run(agent, "Weather?")

    tools = [s for s in telemetry.spans() if s.name == "execute_tool get_weather"]
    assert len(tools) == 1
    assert tools[0].attributes is not None and tools[0].attributes["gen_ai.tool.call.id"] == "call_1"
    (agent_span,) = [s for s in telemetry.spans() if s.name == "invoke_agent weather"]
    assert tools[0].parent is not None and tools[0].parent.span_id == agent_span.context.span_id
