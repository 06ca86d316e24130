"""LangChain tools: real ``langchain_core`` tools (``@tool`` functions, ``StructuredTool``, ``Tool`` and a
``BaseTool`` subclass) run through every entry point, each call one ``execute_tool`` span."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Annotated, Any

import pytest
from langchain_core.documents import Document
from langchain_core.messages import ToolMessage
from langchain_core.retrievers import BaseRetriever
from langchain_core.tools import (
    BaseTool,
    InjectedToolArg,
    StructuredTool,
    Tool,
    ToolException,
    create_retriever_tool,
    tool,
)
from opentelemetry.instrumentation.utils import suppress_instrumentation
from opentelemetry.trace import SpanKind, StatusCode
from pydantic import BaseModel

import otel_genai

ARGUMENTS = "gen_ai.tool.call.arguments"
RESULT = "gen_ai.tool.call.result"
CALL_ID = "gen_ai.tool.call.id"


# --- the tools ------------------------------------------------------------------------------------


@tool
def get_weather(city: str) -> str:
    """Current weather for a city."""
    return f"18C and sunny in {city}"


@tool
def shout(text: str) -> str:
    """Upper-cases the text."""
    return text.upper()


class Multiply(BaseTool):
    """A tool class of its own, sync and async."""

    name: str = "multiply"
    description: str = "Multiplies two integers."

    def _run(self, a: int, b: int) -> int:
        return a * b

    async def _arun(self, a: int, b: int) -> int:
        await asyncio.sleep(0)
        return a * b


class ToolBroke(RuntimeError):
    pass


RAISED: list[BaseException] = []


def _broken(city: str) -> str:
    """Always fails."""
    error = ToolBroke(f"no weather for {city}")
    RAISED.append(error)
    raise error


broken = StructuredTool.from_function(_broken, name="broken")


def _refusing(city: str) -> str:
    """Refuses with a ToolException."""
    raise ToolException(f"{city} is not a city")


def refusing(**options: Any) -> StructuredTool:
    return StructuredTool.from_function(_refusing, name="refusing", **options)


def tool_call(name: str, args: dict[str, Any], call_id: str = "call_1") -> dict[str, Any]:
    """A LangChain ``ToolCall``."""
    return {"type": "tool_call", "id": call_id, "name": name, "args": args}


def content(span: Any, name: str) -> Any:
    return json.loads(span.attributes[name])


@pytest.fixture
def lc_telemetry(make_telemetry: Callable[..., Any]) -> Any:
    """LangChain instrumented alone, content on spans."""
    return make_telemetry(capture_content=True, instrumentors=["langchain"])


@pytest.fixture
def lc_telemetry_off(make_telemetry: Callable[..., Any]) -> Any:
    """LangChain instrumented alone, content off (the default)."""
    return make_telemetry(instrumentors=["langchain"])


# --- entry points ---------------------------------------------------------------------------------


def test_invoke_with_a_dict(lc_telemetry: Any) -> None:
    assert get_weather.invoke({"city": "Paris"}) == "18C and sunny in Paris"

    span = lc_telemetry.span()
    assert span.name == "execute_tool get_weather"
    assert span.kind is SpanKind.INTERNAL
    assert span.status.status_code is StatusCode.UNSET
    assert dict(span.attributes) == {
        "gen_ai.operation.name": "execute_tool",
        "gen_ai.tool.name": "get_weather",
        "gen_ai.tool.type": "function",
        "gen_ai.tool.description": "Current weather for a city.",
        ARGUMENTS: '{"city":"Paris"}',
        RESULT: '"18C and sunny in Paris"',
    }


def test_invoke_with_a_string(lc_telemetry: Any) -> None:
    assert shout.invoke("hello") == "HELLO"
    plain = Tool(name="echo", description="Echoes.", func=lambda text: f"echo: {text}")
    assert plain.invoke("hi") == "echo: hi"

    shouted, echoed = lc_telemetry.spans()
    assert (content(shouted, ARGUMENTS), content(shouted, RESULT)) == ("hello", "HELLO")
    assert echoed.name == "execute_tool echo"
    assert (content(echoed, ARGUMENTS), content(echoed, RESULT)) == ("hi", "echo: hi")


def test_invoke_with_a_tool_call_carries_its_id_and_the_message_content(lc_telemetry: Any) -> None:
    message = get_weather.invoke(tool_call("get_weather", {"city": "Oslo"}, "call_abc"))

    assert isinstance(message, ToolMessage) and message.tool_call_id == "call_abc"
    span = lc_telemetry.span()
    assert span.attributes[CALL_ID] == "call_abc"
    assert content(span, ARGUMENTS) == {"city": "Oslo"}
    assert content(span, RESULT) == message.content == "18C and sunny in Oslo"  # not the message's repr


def test_a_tool_class_invoked_with_a_tool_call(lc_telemetry: Any) -> None:
    message = Multiply().invoke(tool_call("multiply", {"a": 6, "b": 7}, "call_m"))

    assert message.content == "42"
    span = lc_telemetry.span()
    assert span.name == "execute_tool multiply"
    assert span.attributes["gen_ai.tool.description"] == "Multiplies two integers."
    assert span.attributes[CALL_ID] == "call_m"
    assert content(span, ARGUMENTS) == {"a": 6, "b": 7}
    assert content(span, RESULT) == "42"  # ToolMessage content is text


@pytest.mark.parametrize("lc_tool", [get_weather, Multiply()], ids=["sync-function", "async-class"])
async def test_ainvoke_is_one_span_under_the_caller(lc_telemetry: Any, lc_tool: BaseTool) -> None:
    """A sync ``@tool`` runs ``invoke`` in a thread; a class with ``_arun`` goes through ``arun``."""
    args, result = (
        ({"city": "Rome"}, "18C and sunny in Rome")
        if lc_tool.name == "get_weather"
        else ({"a": 2, "b": 3}, "6")
    )
    tracer = lc_telemetry.tracer_provider.get_tracer("app")
    with tracer.start_as_current_span("agent step"):
        message = await lc_tool.ainvoke(tool_call(lc_tool.name, args, "call_async"))

    span, app = lc_telemetry.spans()
    assert span.name == f"execute_tool {lc_tool.name}"
    assert span.parent.span_id == app.context.span_id
    assert span.attributes[CALL_ID] == "call_async"
    assert content(span, ARGUMENTS) == args
    assert content(span, RESULT) == result
    assert message.content == str(result)


def test_run_directly(lc_telemetry: Any) -> None:
    assert get_weather.run({"city": "Lima"}) == "18C and sunny in Lima"
    message = Multiply().run({"a": 3, "b": 3}, tool_call_id="call_run")

    plain, with_id = lc_telemetry.spans()
    assert CALL_ID not in plain.attributes
    assert content(plain, ARGUMENTS) == {"city": "Lima"}
    assert with_id.attributes[CALL_ID] == message.tool_call_id == "call_run"
    assert content(with_id, RESULT) == "9"


async def test_arun_directly(lc_telemetry: Any) -> None:
    assert await Multiply().arun({"a": 4, "b": 5}, tool_call_id="call_arun") == ToolMessage(
        "20", tool_call_id="call_arun", name="multiply"
    )

    span = lc_telemetry.span()
    assert (span.attributes[CALL_ID], content(span, RESULT)) == ("call_arun", "20")


def test_each_call_of_a_batch_is_its_own_span(lc_telemetry: Any) -> None:
    calls = [tool_call("get_weather", {"city": city}, f"call_{city}") for city in ("A", "B", "C")]
    get_weather.batch(calls)

    spans = lc_telemetry.spans()
    assert sorted(s.attributes[CALL_ID] for s in spans) == ["call_A", "call_B", "call_C"]


def test_content_off_keeps_the_call_and_drops_arguments_and_result(lc_telemetry_off: Any) -> None:
    get_weather.invoke(tool_call("get_weather", {"city": "Oslo"}, "call_private"))

    span = lc_telemetry_off.span()
    assert span.attributes[CALL_ID] == "call_private"
    assert span.attributes["gen_ai.tool.name"] == "get_weather"
    assert ARGUMENTS not in span.attributes and RESULT not in span.attributes


def test_injected_arguments_are_not_recorded(lc_telemetry: Any) -> None:
    """Values LangChain (or LangGraph) injects, like the user id or the whole agent state, are not content."""

    @tool
    def lookup(query: str, user_id: Annotated[str, InjectedToolArg]) -> str:
        """Looks something up for a user."""
        return f"{query} for {user_id}"

    lookup.invoke(tool_call("lookup", {"query": "orders", "user_id": "u-secret"}))

    assert content(lc_telemetry.span(), ARGUMENTS) == {"query": "orders"}


def test_content_and_artifact_records_the_content(lc_telemetry: Any) -> None:
    @tool(response_format="content_and_artifact")
    def search(query: str) -> tuple[str, list[int]]:
        """Searches."""
        return "3 hits", [1, 2, 3]

    message = search.invoke(tool_call("search", {"query": "cats"}))

    assert message.artifact == [1, 2, 3]
    assert content(lc_telemetry.span(), RESULT) == "3 hits"


class Forecast(BaseModel):
    city: str
    celsius: float


def test_a_returned_model_is_recorded_as_json(lc_telemetry: Any) -> None:
    @tool
    def forecast(city: str) -> Forecast:
        """A forecast."""
        return Forecast(city=city, celsius=18.5)

    assert forecast.invoke({"city": "Oslo"}) == Forecast(city="Oslo", celsius=18.5)
    assert content(lc_telemetry.span(), RESULT) == {"city": "Oslo", "celsius": 18.5}


def test_suppressed_instrumentation_makes_no_span(lc_telemetry: Any) -> None:
    with suppress_instrumentation():
        assert get_weather.invoke({"city": "Paris"}) == "18C and sunny in Paris"

    assert lc_telemetry.spans() == []


# --- failures -------------------------------------------------------------------------------------


def test_the_tools_exception_propagates_unchanged(lc_telemetry: Any) -> None:
    RAISED.clear()
    with pytest.raises(ToolBroke) as caught:
        broken.invoke(tool_call("broken", {"city": "Atlantis"}, "call_x"))

    assert caught.value is RAISED[0]
    span = lc_telemetry.span()
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes["error.type"] == "ToolBroke"
    assert span.attributes[CALL_ID] == "call_x"
    assert RESULT not in span.attributes
    assert [event.name for event in span.events] == ["exception"]


async def test_an_async_failure_propagates_unchanged(lc_telemetry: Any) -> None:
    with pytest.raises(ToolException, match="not a city"):
        await refusing().ainvoke({"city": "Atlantis"})

    assert lc_telemetry.span().attributes["error.type"] == "ToolException"


@pytest.mark.parametrize("handled_by", ["handle_tool_error", "handle_validation_error"])
@pytest.mark.parametrize("with_call", [True, False], ids=["tool-call", "dict"])
def test_an_error_langchain_handles_is_a_failed_call(
    lc_telemetry: Any, handled_by: str, with_call: bool
) -> None:
    """LangChain returns the error as the result (a ToolMessage with status="error", or a bare string)."""
    lc_tool = refusing(**{handled_by: True})
    args: dict[str, Any] = {"city": "Atlantis"} if handled_by == "handle_tool_error" else {"town": 1}
    output = lc_tool.invoke(tool_call("refusing", args) if with_call else args)

    if with_call:
        assert output.status == "error"
        output = output.content
    span = lc_telemetry.span()
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes["error.type"] == "tool_error"
    assert content(span, RESULT) == output
    assert not span.events  # nothing was raised


def test_the_duration_metric(lc_telemetry: Any) -> None:
    get_weather.invoke({"city": "Paris"})
    get_weather.invoke({"city": "Rome"})
    with pytest.raises(ToolBroke):
        broken.invoke({"city": "Atlantis"})
    refusing(handle_tool_error=True).invoke({"city": "Atlantis"})

    points = lc_telemetry.metrics()["gen_ai.execute_tool.duration"]
    by_tool = {(p.attributes["gen_ai.tool.name"], p.attributes.get("error.type")): p for p in points}
    assert set(by_tool) == {("get_weather", None), ("broken", "ToolBroke"), ("refusing", "tool_error")}
    assert by_tool["get_weather", None].count == 2
    assert by_tool["get_weather", None].attributes["gen_ai.operation.name"] == "execute_tool"


def test_uninstrument_restores_the_tool_methods(lc_telemetry: Any) -> None:
    import langchain_core.tools.base as tools_base

    originals = {name: BaseTool.__dict__[name].__wrapped__ for name in ("run", "arun")}
    original_format = tools_base._format_output.__wrapped__

    otel_genai.uninstrument()

    assert {name: BaseTool.__dict__[name] for name in ("run", "arun")} == originals
    assert tools_base._format_output is original_format
    get_weather.invoke({"city": "Paris"})
    refusing(handle_tool_error=True).invoke({"city": "Atlantis"})
    assert lc_telemetry.spans() == []


# --- with otel_genai's own tool spans -------------------------------------------------------------


def test_run_tool_with_the_same_tool_is_one_span(lc_telemetry: Any) -> None:
    """``run_tool`` opens the span for the model's call; the LangChain tool it runs is that execution."""
    call = {"id": "call_9", "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}}

    result = otel_genai.run_tool(call, lambda **kw: get_weather.invoke(kw))

    assert result == "18C and sunny in Paris"
    span = lc_telemetry.span()
    assert span.name == "execute_tool get_weather"
    assert span.attributes[CALL_ID] == "call_9"
    assert span.attributes["gen_ai.tool.description"] == "Current weather for a city."  # from LangChain
    assert content(span, RESULT) == result


def test_tool_call_scope_gets_the_tools_id_description_and_result(lc_telemetry: Any) -> None:
    """A call object without an id: the LangChain ToolCall run inside supplies it, and the result."""
    with otel_genai.tool_call({"name": "get_weather", "arguments": {"city": "Oslo"}}) as scope:
        message = get_weather.invoke(tool_call("get_weather", scope.arguments, "call_lc"))

    span = lc_telemetry.span()
    assert span.attributes[CALL_ID] == "call_lc"
    assert span.attributes["gen_ai.tool.description"] == "Current weather for a city."
    assert content(span, ARGUMENTS) == {"city": "Oslo"}
    assert content(span, RESULT) == message.content


def test_tool_call_scope_keeps_its_own_id_and_learns_a_handled_error(lc_telemetry: Any) -> None:
    with otel_genai.tool_call({"id": "call_model", "name": "refusing", "arguments": {"city": "X"}}):
        refusing(handle_tool_error=True).invoke(tool_call("refusing", {"city": "X"}, "call_other"))

    span = lc_telemetry.span()
    assert span.attributes[CALL_ID] == "call_model"
    assert span.attributes["error.type"] == "tool_error"
    assert span.status.status_code is StatusCode.ERROR


def test_another_tool_inside_a_tool_call_is_a_child_span(lc_telemetry: Any) -> None:
    with otel_genai.tool_call({"id": "call_plan", "name": "plan_trip", "arguments": {}}):
        get_weather.invoke({"city": "Paris"})

    child, parent = lc_telemetry.spans()
    assert (parent.name, child.name) == ("execute_tool plan_trip", "execute_tool get_weather")
    assert child.parent.span_id == parent.context.span_id
    assert CALL_ID not in child.attributes


def test_a_decorated_function_made_a_langchain_tool_is_one_span(lc_telemetry: Any) -> None:
    @tool
    @otel_genai.tool
    def convert(amount: float, currency: str) -> str:
        """Converts euros."""
        return f"{amount * 2} {currency}"

    convert.invoke(tool_call("convert", {"amount": 1.5, "currency": "USD"}, "call_conv"))

    span = lc_telemetry.span()
    assert span.attributes[CALL_ID] == "call_conv"
    assert content(span, RESULT) == "3.0 USD"


def test_a_tool_calling_another_tool_nests(lc_telemetry: Any) -> None:
    @tool
    def trip(city: str) -> str:
        """Plans a trip."""
        return "Pack for: " + get_weather.invoke({"city": city})

    trip.invoke(tool_call("trip", {"city": "Nice"}, "call_trip"))

    inner, outer = lc_telemetry.spans()
    assert (outer.name, inner.name) == ("execute_tool trip", "execute_tool get_weather")
    assert inner.parent.span_id == outer.context.span_id
    assert outer.attributes[CALL_ID] == "call_trip" and CALL_ID not in inner.attributes


def test_a_retriever_tool_is_a_tool_span_over_a_retrieval_span(lc_telemetry: Any) -> None:
    class Fixed(BaseRetriever):
        def _get_relevant_documents(self, query: str, *, run_manager: Any) -> list[Document]:
            return [Document(id="d1", page_content="cats purr"), Document(id="d2", page_content="dogs bark")]

    search = create_retriever_tool(Fixed(), "search_pets", "Searches pet facts.")

    message = search.invoke(tool_call("search_pets", {"query": "cats"}, "call_pets"))

    retrieval, tool_span = lc_telemetry.spans()
    assert tool_span.name == "execute_tool search_pets"
    assert retrieval.name == "retrieval" and retrieval.parent.span_id == tool_span.context.span_id
    assert tool_span.attributes[CALL_ID] == "call_pets"
    assert content(tool_span, RESULT) == message.content == "cats purr\n\ndogs bark"
