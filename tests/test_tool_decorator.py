"""``@otel_genai.tool``, ``otel_genai.tool_call`` and ``otel_genai.run_tool``: execute_tool spans."""

from __future__ import annotations

import inspect
import json
from typing import Any

import pytest
from openai.types.chat import ChatCompletionMessageToolCall
from openai.types.responses import ResponseFunctionToolCall
from opentelemetry.context import _SUPPRESS_INSTRUMENTATION_KEY, attach, detach, set_value
from opentelemetry.trace import SpanKind, StatusCode

import otel_genai
from otel_genai._decorators import tool_call_facts

CALLS: list[dict[str, Any]] = []


# Decorated at import time, before any test instruments: the handler is looked up per call.
@otel_genai.tool
def get_order_status(order_id: str, verbose: bool = False) -> dict[str, Any]:
    """Look up the shipping status of an order.

    The second paragraph is not part of the description.
    """
    CALLS.append({"order_id": order_id, "verbose": verbose})
    return {"order_id": order_id, "status": "shipped"}


def openai_call(call_id: str = "call_abc", name: str = "get_order_status", **arguments: Any) -> Any:
    return ChatCompletionMessageToolCall.model_validate(
        {
            "id": call_id,
            "type": "function",
            "function": {"name": name, "arguments": json.dumps(arguments or {"order_id": "A-1"})},
        }
    )


def test_decorated_function_span(telemetry: Any) -> None:
    result = get_order_status("A-1042")

    assert result == {"order_id": "A-1042", "status": "shipped"}
    span = telemetry.span()
    assert span.name == "execute_tool get_order_status"
    assert span.kind is SpanKind.INTERNAL
    assert span.attributes["gen_ai.operation.name"] == "execute_tool"
    assert span.attributes["gen_ai.tool.name"] == "get_order_status"
    assert span.attributes["gen_ai.tool.type"] == "function"
    assert span.attributes["gen_ai.tool.description"] == "Look up the shipping status of an order."
    assert "gen_ai.tool.call.id" not in span.attributes
    assert "gen_ai.tool.call.arguments" not in span.attributes  # content is off by default
    assert "gen_ai.tool.call.result" not in span.attributes
    (point,) = telemetry.metrics()["gen_ai.execute_tool.duration"]
    assert point.attributes == {
        "gen_ai.operation.name": "execute_tool",
        "gen_ai.tool.name": "get_order_status",
        "gen_ai.tool.type": "function",
    }
    assert point.count == 1


def test_content_capture_records_arguments_and_result_as_json(make_telemetry: Any) -> None:
    telemetry = make_telemetry(capture_content=True)
    get_order_status("A-7", verbose=True)

    span = telemetry.span()
    assert json.loads(span.attributes["gen_ai.tool.call.arguments"]) == {"order_id": "A-7", "verbose": True}
    assert json.loads(span.attributes["gen_ai.tool.call.result"]) == {"order_id": "A-7", "status": "shipped"}


def test_the_function_keeps_its_signature_name_and_docstring() -> None:
    assert get_order_status.__name__ == "get_order_status"
    assert get_order_status.__doc__.startswith("Look up the shipping status")
    assert list(inspect.signature(get_order_status).parameters) == ["order_id", "verbose"]


def test_name_and_description_arguments(telemetry: Any) -> None:
    @otel_genai.tool(name="weather", description="Current weather.")
    def current_weather(city: str) -> str:
        """Ignored: the description is given."""
        return f"sunny in {city}"

    assert current_weather("Oslo") == "sunny in Oslo"
    span = telemetry.span()
    assert span.name == "execute_tool weather"
    assert span.attributes["gen_ai.tool.description"] == "Current weather."


def test_methods_work(make_telemetry: Any) -> None:
    telemetry = make_telemetry(capture_content=True)

    class Shop:
        def __init__(self) -> None:
            self.stock = {"A-1": 3}

        @otel_genai.tool
        def check_stock(self, sku: str) -> int:
            """Units in stock."""
            return self.stock.get(sku, 0)

    assert Shop().check_stock("A-1") == 3
    span = telemetry.span()
    assert span.name == "execute_tool check_stock"
    assert json.loads(span.attributes["gen_ai.tool.call.arguments"]) == {"sku": "A-1"}  # no self


async def test_async_tools(make_telemetry: Any) -> None:
    telemetry = make_telemetry(capture_content=True)

    @otel_genai.tool
    async def convert(amount: float, currency: str = "EUR") -> str:
        """Convert an amount."""
        return f"{amount * 2} {currency}"

    assert inspect.iscoroutinefunction(convert)
    assert await convert(2) == "4 EUR"
    span = telemetry.span()
    assert span.name == "execute_tool convert"
    assert json.loads(span.attributes["gen_ai.tool.call.result"]) == "4 EUR"


class _CodeThatRaises(Exception):
    """An application exception whose ``code`` is a property that fails (we read ``code`` for error.type)."""

    @property
    def code(self) -> str:
        raise RuntimeError("no code on this one")


@pytest.mark.parametrize(
    "failure",
    [KeyError("no order A-1 for jane@example.com"), _CodeThatRaises("order A-1 for jane@example.com")],
    ids=["plain", "code-cannot-be-read"],
)
def test_exceptions_propagate_unchanged(telemetry: Any, failure: Exception) -> None:
    @otel_genai.tool
    def fragile(order_id: str) -> None:
        raise failure

    with pytest.raises(type(failure)) as raised:
        fragile("A-1")

    assert raised.value is failure  # the application's own exception, not ours
    span = telemetry.span()
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes["error.type"] == type(failure).__name__
    assert "jane@example.com" not in (span.status.description or "")  # content off: no message
    (point,) = telemetry.metrics()["gen_ai.execute_tool.duration"]
    assert point.attributes["error.type"] == type(failure).__name__


def test_run_tool_links_the_span_to_the_models_call(make_telemetry: Any) -> None:
    telemetry = make_telemetry(capture_content=True)
    CALLS.clear()
    call = openai_call("call_42", order_id="A-1042")

    result = otel_genai.run_tool(call, get_order_status)

    assert result == {"order_id": "A-1042", "status": "shipped"}
    assert CALLS == [{"order_id": "A-1042", "verbose": False}]  # the JSON arguments became keywords
    span = telemetry.span()  # one span: the decorated function is this execution, not another one
    assert span.name == "execute_tool get_order_status"
    assert span.attributes["gen_ai.tool.call.id"] == "call_42"
    assert span.attributes["gen_ai.tool.description"] == "Look up the shipping status of an order."
    assert json.loads(span.attributes["gen_ai.tool.call.arguments"]) == {"order_id": "A-1042"}
    assert json.loads(span.attributes["gen_ai.tool.call.result"]) == result


def test_run_tool_with_a_plain_function_and_extra_arguments(telemetry: Any) -> None:
    def lookup(order_id: str, database: dict[str, str]) -> str:
        return database[order_id]

    result = otel_genai.run_tool(openai_call("call_7", order_id="A-1"), lookup, database={"A-1": "ok"})

    assert result == "ok"
    span = telemetry.span()
    assert span.name == "execute_tool get_order_status"  # the model's name for the tool
    assert span.attributes["gen_ai.tool.call.id"] == "call_7"


async def test_run_tool_with_an_async_function(telemetry: Any) -> None:
    async def lookup(order_id: str) -> str:
        return f"status of {order_id}"

    assert await otel_genai.run_tool(openai_call("call_async"), lookup) == "status of A-1"
    assert telemetry.span().attributes["gen_ai.tool.call.id"] == "call_async"


def test_run_tool_exceptions_propagate_and_fail_the_span(telemetry: Any) -> None:
    def broken(order_id: str) -> None:
        raise RuntimeError("backend down")

    with pytest.raises(RuntimeError, match="backend down"):
        otel_genai.run_tool(openai_call("call_err"), broken)
    span = telemetry.span()
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes["gen_ai.tool.call.id"] == "call_err"
    assert span.attributes["error.type"] == "RuntimeError"


def test_tool_call_context_manager(make_telemetry: Any) -> None:
    telemetry = make_telemetry(capture_content=True)
    anthropic_block = {"type": "tool_use", "id": "toolu_01", "name": "search", "input": {"q": "refunds"}}

    with otel_genai.tool_call(anthropic_block) as scope:
        assert scope.call_id == "toolu_01"
        assert scope.arguments == {"q": "refunds"}
        scope.set_result(["kb-returns"])

    span = telemetry.span()
    assert span.name == "execute_tool search"
    assert span.attributes["gen_ai.tool.call.id"] == "toolu_01"
    assert json.loads(span.attributes["gen_ai.tool.call.arguments"]) == {"q": "refunds"}
    assert json.loads(span.attributes["gen_ai.tool.call.result"]) == ["kb-returns"]


def test_a_different_tool_inside_a_tool_call_is_its_own_span(telemetry: Any) -> None:
    @otel_genai.tool
    def helper_tool() -> int:
        return 1

    with otel_genai.tool_call(openai_call("call_outer", name="planner")):
        helper_tool()

    inner, outer = telemetry.spans()
    assert (outer.name, inner.name) == ("execute_tool planner", "execute_tool helper_tool")
    assert inner.parent.span_id == outer.context.span_id
    assert "gen_ai.tool.call.id" not in inner.attributes


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        (
            ChatCompletionMessageToolCall.model_validate(
                {"id": "call_1", "type": "function", "function": {"name": "f", "arguments": '{"a": 1}'}}
            ),
            ("call_1", "f", '{"a": 1}'),
        ),
        (
            {"id": "call_2", "type": "function", "function": {"name": "g", "arguments": "{}"}},
            ("call_2", "g", "{}"),
        ),
        (
            ResponseFunctionToolCall.model_validate(
                {
                    "type": "function_call",
                    "id": "fc_1",
                    "call_id": "call_3",
                    "name": "h",
                    "arguments": '{"b": 2}',
                }
            ),
            ("call_3", "h", '{"b": 2}'),  # the Responses API's call_id, not the item id
        ),
        ({"type": "tool_use", "id": "toolu_4", "name": "i", "input": {"c": 3}}, ("toolu_4", "i", {"c": 3})),
        ({"type": "tool_call", "id": "lc_5", "name": "j", "args": {"d": 4}}, ("lc_5", "j", {"d": 4})),
        ({"name": "k"}, (None, "k", None)),
        (
            {"toolUse": {"toolUseId": "tooluse_6", "name": "l", "input": {"e": 5}}},
            ("tooluse_6", "l", {"e": 5}),
        ),
        ({"toolUseId": "tooluse_7", "name": "m", "input": {}}, ("tooluse_7", "m", {})),
        ({"function_call": {"id": "fc_8", "name": "n", "args": {"f": 6}}}, ("fc_8", "n", {"f": 6})),
        ({"id": None, "name": "o", "args": {"g": 7}}, (None, "o", {"g": 7})),
    ],
    ids=[
        "openai-chat",
        "openai-chat-dict",
        "openai-responses",
        "anthropic",
        "langchain",
        "bare",
        "bedrock-content-block",
        "bedrock-tool-use",
        "gemini-part",
        "gemini-function-call",
    ],
)
def test_tool_call_facts_reads_every_sdks_shape(call: Any, expected: tuple[Any, ...]) -> None:
    assert tool_call_facts(call) == expected


def test_tool_arguments_go_through_redaction() -> None:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    from otel_genai.redaction import RedactingSpanProcessor

    exported = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(RedactingSpanProcessor(exported, otel_genai.RedactionPolicy()))
    handle = otel_genai.instrument(tracer_provider=provider, capture_content=True, exporter="none")
    try:

        @otel_genai.tool
        def email_customer(address: str, body: str) -> str:
            return "sent"

        email_customer("jane.doe@example.com", "Your order A-1042 has shipped.")
        provider.force_flush()
    finally:
        handle.shutdown()
        provider.shutdown()

    (span,) = exported.get_finished_spans()
    arguments = json.loads(span.attributes["gen_ai.tool.call.arguments"])
    assert arguments == {"address": "<EMAIL_ADDRESS>", "body": "Your order A-1042 has shipped."}
    assert span.attributes["gen_ai.tool.name"] == "email_customer"


def test_suppressed_instrumentation_is_honoured(telemetry: Any) -> None:
    token = attach(set_value(_SUPPRESS_INSTRUMENTATION_KEY, True))
    try:
        get_order_status("A-1")
        otel_genai.run_tool(openai_call(), get_order_status)
    finally:
        detach(token)
    assert telemetry.spans() == []


def test_arguments_that_are_not_data_are_left_out(make_telemetry: Any) -> None:
    import pydantic

    class Query(pydantic.BaseModel):
        text: str
        limit: int = 3

    class FrameworkContext:
        """What a framework injects (MCP's Context, a callback manager): not the model's arguments."""

    telemetry = make_telemetry(capture_content=True)

    @otel_genai.tool
    def search(query: Query, ctx: FrameworkContext, tags: list[str]) -> int:
        return query.limit

    assert search(Query(text="refunds"), FrameworkContext(), ["faq"]) == 3
    arguments = json.loads(telemetry.span().attributes["gen_ai.tool.call.arguments"])
    assert arguments == {"query": {"text": "refunds", "limit": 3}, "tags": ["faq"]}
