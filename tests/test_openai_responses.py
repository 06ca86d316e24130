"""OpenAI Responses: ``responses.create`` (plain and streamed), ``responses.parse``, ``responses.stream()``.

The client is the real ``openai`` SDK; only its HTTP transport answers locally (see ``conftest.py``).
"""

from __future__ import annotations

import gc
import inspect
import json
from collections.abc import Callable
from typing import Any

import openai
import pytest
from opentelemetry.trace import SpanKind, StatusCode
from pydantic import BaseModel

from helpers.conformance import assert_conforms
from helpers.openai_fakes import MODEL, RESPONSE_MODEL, FakeOpenAI, openai_http, responses_body, sse
from helpers.telemetry import Telemetry

# The Responses API is new in openai 1.66; older releases have nothing here to instrument.
responses_resource = pytest.importorskip("openai.resources.responses", reason="Responses API: openai >= 1.66")

httpx = openai_http()  # httpx2 from openai 3.0, httpx before: whatever the installed SDK is built on
PATH = "/responses"
# Parameters later releases added to ``responses.create`` (the SDK rejects ones it does not know).
CREATE_PARAMETERS = inspect.signature(responses_resource.Responses.create).parameters
HAS_SERVICE_TIER = "service_tier" in CREATE_PARAMETERS  # not in 1.66, in 1.90

# --- canned Responses API answers -------------------------------------------------------------------


def function_call_item(
    call_id: str = "call_1", name: str = "get_weather", **arguments: Any
) -> dict[str, Any]:
    return {
        "type": "function_call",
        "id": f"fc_{call_id}",
        "call_id": call_id,
        "name": name,
        "arguments": json.dumps(arguments or {"city": "Paris"}),
        "status": "completed",
    }


def stream_events(
    words: list[str] | None = None,
    *,
    final: dict[str, Any] | None = None,
    terminal: str = "response.completed",
    stop_after: str | None = None,
) -> list[dict[str, Any]]:
    """The Responses SSE event sequence for a text answer made of ``words``.

    ``response.created``, ``response.in_progress``, ``response.output_item.added``,
    ``response.content_part.added``, ``response.output_text.delta`` per word, ``response.output_text.done``,
    ``response.content_part.done``, ``response.output_item.done`` and the terminal event carrying the whole
    response. ``stop_after`` cuts the sequence after the first event of that type.
    """
    words = ["Paris", " is", " the", " capital."] if words is None else words
    text = "".join(words)
    final = final if final is not None else responses_body(text)
    started = {**final, "status": "in_progress", "output": [], "usage": None, "error": None}
    common = {"item_id": "msg_1", "output_index": 0, "content_index": 0}
    message = {"type": "message", "id": "msg_1", "status": "in_progress", "role": "assistant", "content": []}
    done_part = {"type": "output_text", "text": text, "annotations": []}
    events: list[dict[str, Any]] = [
        {"type": "response.created", "response": started},
        {"type": "response.in_progress", "response": started},
        {"type": "response.output_item.added", "output_index": 0, "item": message},
        {"type": "response.content_part.added", **common, "part": {**done_part, "text": ""}},
        *({"type": "response.output_text.delta", **common, "delta": word, "logprobs": []} for word in words),
        {"type": "response.output_text.done", **common, "text": text, "logprobs": []},
        {"type": "response.content_part.done", **common, "part": done_part},
        {
            "type": "response.output_item.done",
            "output_index": 0,
            "item": {**message, "status": "completed", "content": [done_part]},
        },
        {"type": terminal, "response": final},
    ]
    if stop_after is not None:
        index = next(i for i, event in enumerate(events) if event["type"] == stop_after)
        events = events[: index + 1]
    return [{**event, "sequence_number": number} for number, event in enumerate(events)]


def reply_stream(fake_openai: FakeOpenAI, events: list[dict[str, Any]]) -> None:
    fake_openai.reply(PATH, stream=sse(events, done=False, named=True))


def attrs(span: Any) -> dict[str, Any]:
    return dict(span.attributes or {})


def content_attributes(span: Any) -> set[str]:
    names = {
        "gen_ai.input.messages",
        "gen_ai.output.messages",
        "gen_ai.system_instructions",
        "gen_ai.tool.definitions",
    }
    return names & set(span.attributes or {})


def assert_base_span(span: Any, *, stream: bool = False) -> dict[str, Any]:
    attributes = attrs(span)
    assert span.name == f"chat {MODEL}"
    assert span.kind is SpanKind.CLIENT
    assert attributes["gen_ai.operation.name"] == "chat"
    assert attributes["gen_ai.provider.name"] == "openai"
    assert attributes["gen_ai.request.model"] == MODEL
    assert attributes["openai.api.type"] == "responses"
    assert attributes["server.address"] == "api.openai.com"
    assert attributes["server.port"] == 443
    if stream:
        assert attributes["gen_ai.request.stream"] is True
    else:
        assert "gen_ai.request.stream" not in attributes
    return attributes


def assert_completed_response(attributes: dict[str, Any]) -> None:
    assert attributes["gen_ai.response.id"] == "resp_123"
    assert attributes["gen_ai.response.model"] == RESPONSE_MODEL
    assert attributes["gen_ai.usage.input_tokens"] == 20
    assert attributes["gen_ai.usage.output_tokens"] == 9
    assert attributes["gen_ai.usage.cache_read.input_tokens"] == 4
    assert attributes["gen_ai.usage.reasoning.output_tokens"] == 2
    assert attributes["gen_ai.response.finish_reasons"] == ("stop",)
    assert attributes["openai.response.service_tier"] == "default"
    assert "error.type" not in attributes


# --- plain create ---------------------------------------------------------------------------------

REQUEST_PARAMETERS: dict[str, Any] = {
    "temperature": 0.2,
    "top_p": 0.9,
    "max_output_tokens": 256,
    "reasoning": {"effort": "low"},
    "previous_response_id": "resp_previous",
    **({"service_tier": "flex"} if HAS_SERVICE_TIER else {}),
    "text": {
        "format": {
            "type": "json_schema",
            "name": "answer",
            "schema": {"type": "object", "properties": {"city": {"type": "string"}}},
        }
    },
}


def test_create_request_and_response_attributes(
    telemetry: Telemetry, client: Any, fake_openai: FakeOpenAI
) -> None:
    fake_openai.reply(PATH, responses_body())
    response = client.responses.create(model=MODEL, input="Capital of France?", **REQUEST_PARAMETERS)

    assert response.output_text == "Paris is the capital of France."
    span = telemetry.span()
    attributes = assert_base_span(span)
    assert attributes["gen_ai.request.temperature"] == 0.2
    assert attributes["gen_ai.request.top_p"] == 0.9
    assert attributes["gen_ai.request.max_tokens"] == 256
    assert attributes["gen_ai.request.reasoning.level"] == "low"
    assert attributes["gen_ai.request.previous_response.id"] == "resp_previous"
    assert attributes["gen_ai.output.type"] == "json"
    if HAS_SERVICE_TIER:
        assert attributes["openai.request.service_tier"] == "flex"
    assert_completed_response(attributes)
    assert span.status.status_code is StatusCode.UNSET
    assert content_attributes(span) == set()
    # The request went out exactly as the application wrote it.
    sent = fake_openai.last_json()
    assert {k: sent[k] for k in REQUEST_PARAMETERS} == REQUEST_PARAMETERS
    assert len(fake_openai.requests) == 1


def test_create_without_optional_parameters_sets_none_of_them(
    telemetry: Telemetry, client: Any, fake_openai: FakeOpenAI
) -> None:
    fake_openai.reply(PATH, responses_body())
    client.responses.create(model=MODEL, input="hi", **({"service_tier": "auto"} if HAS_SERVICE_TIER else {}))

    attributes = attrs(telemetry.span())
    for name in (
        "gen_ai.request.temperature",
        "gen_ai.request.top_p",
        "gen_ai.request.max_tokens",
        "gen_ai.request.reasoning.level",
        "gen_ai.request.previous_response.id",
        "gen_ai.conversation.id",
        "gen_ai.output.type",
        "openai.request.service_tier",  # "auto" is the default: not worth an attribute
    ):
        assert name not in attributes, name


@pytest.mark.skipif("conversation" not in CREATE_PARAMETERS, reason="conversation: newer than openai 1.90")
@pytest.mark.parametrize("conversation", ["conv_42", {"id": "conv_42"}])
def test_conversation_id(
    telemetry: Telemetry, client: Any, fake_openai: FakeOpenAI, conversation: Any
) -> None:
    fake_openai.reply(PATH, responses_body())
    client.responses.create(model=MODEL, input="hi", conversation=conversation)
    assert attrs(telemetry.span())["gen_ai.conversation.id"] == "conv_42"


@pytest.mark.parametrize(
    ("text_format", "expected"), [({"type": "text"}, "text"), ({"type": "json_object"}, "json")]
)
def test_output_type(
    telemetry: Telemetry, client: Any, fake_openai: FakeOpenAI, text_format: dict[str, Any], expected: str
) -> None:
    fake_openai.reply(PATH, responses_body())
    client.responses.create(model=MODEL, input="hi", text={"format": text_format})
    assert attrs(telemetry.span())["gen_ai.output.type"] == expected


def test_create_metrics(telemetry: Telemetry, client: Any, fake_openai: FakeOpenAI) -> None:
    fake_openai.reply(PATH, responses_body())
    client.responses.create(model=MODEL, input="hi")

    metrics = telemetry.metrics()
    (duration,) = metrics["gen_ai.client.operation.duration"]
    assert duration.count == 1
    assert duration.sum >= 0
    common = {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "openai",
        "gen_ai.request.model": MODEL,
        "gen_ai.response.model": RESPONSE_MODEL,
        "server.address": "api.openai.com",
        "server.port": 443,
        "openai.response.service_tier": "default",
    }
    assert dict(duration.attributes) == common
    tokens = {p.attributes["gen_ai.token.type"]: p for p in metrics["gen_ai.client.token.usage"]}
    assert set(tokens) == {"input", "output"}
    assert tokens["input"].sum == 20 and tokens["input"].count == 1
    assert tokens["output"].sum == 9 and tokens["output"].count == 1
    assert {k: v for k, v in tokens["input"].attributes.items() if k != "gen_ai.token.type"} == common
    # Not a stream: no streaming metrics.
    assert "gen_ai.client.operation.time_to_first_chunk" not in metrics
    assert "gen_ai.client.operation.time_per_output_chunk" not in metrics


def test_incomplete_response_finish_reason(
    telemetry: Telemetry, client: Any, fake_openai: FakeOpenAI
) -> None:
    fake_openai.reply(
        PATH,
        responses_body("Paris is", status="incomplete", incomplete_details={"reason": "max_output_tokens"}),
    )
    client.responses.create(model=MODEL, input="hi", max_output_tokens=3)
    span = telemetry.span()
    assert attrs(span)["gen_ai.response.finish_reasons"] == ("length",)
    assert span.status.status_code is StatusCode.UNSET


# --- tool calls -----------------------------------------------------------------------------------

TOOLS = [
    {
        "type": "function",
        "name": "get_weather",
        "description": "Current weather for a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    }
]


def _tool_call_output() -> list[dict[str, Any]]:
    return [
        function_call_item("call_1", city="Paris"),
        function_call_item("call_2", name="get_time", zone="Europe/Paris"),
    ]


def test_function_calls_without_content(telemetry: Telemetry, client: Any, fake_openai: FakeOpenAI) -> None:
    fake_openai.reply(PATH, responses_body(output=_tool_call_output()))
    response = client.responses.create(model=MODEL, input="Weather and time in Paris?", tools=TOOLS)

    assert [item.call_id for item in response.output] == ["call_1", "call_2"]
    span = telemetry.span()
    attributes = attrs(span)
    assert attributes["gen_ai.response.finish_reasons"] == ("tool_call",)
    assert attributes["otel_genai.response.tool_call.count"] == 2
    assert attributes["otel_genai.response.tool_call.names"] == ("get_weather", "get_time")
    assert attributes["otel_genai.response.tool_call.ids"] == ("call_1", "call_2")
    assert content_attributes(span) == set()
    # No argument value leaks anywhere without content capture.
    flat = json.dumps({k: list(v) if isinstance(v, tuple) else v for k, v in attributes.items()})
    assert "Paris" not in flat
    assert "Europe" not in flat


def test_function_calls_with_content(
    content_telemetry: Telemetry,
    client: Any,
    fake_openai: FakeOpenAI,
    validate_schema: Callable[[str, Any], None],
) -> None:
    fake_openai.reply(PATH, responses_body(output=_tool_call_output()))
    client.responses.create(model=MODEL, input="Weather and time in Paris?", tools=TOOLS)

    attributes = attrs(content_telemetry.span())
    assert attributes["otel_genai.response.tool_call.names"] == ("get_weather", "get_time")
    output = json.loads(attributes["gen_ai.output.messages"])
    validate_schema("gen-ai-output-messages", output)
    assert output == [
        {
            "role": "assistant",
            "parts": [
                {"type": "tool_call", "id": "call_1", "name": "get_weather", "arguments": {"city": "Paris"}},
                {
                    "type": "tool_call",
                    "id": "call_2",
                    "name": "get_time",
                    "arguments": {"zone": "Europe/Paris"},
                },
            ],
            "finish_reason": "tool_call",
        }
    ]
    definitions = json.loads(attributes["gen_ai.tool.definitions"])
    validate_schema("gen-ai-tool-definitions", definitions)
    assert definitions == [{"type": "function", "name": "get_weather"}]


# --- content --------------------------------------------------------------------------------------


def test_content_from_a_string_input(
    content_telemetry: Telemetry,
    client: Any,
    fake_openai: FakeOpenAI,
    validate_schema: Callable[[str, Any], None],
) -> None:
    fake_openai.reply(PATH, responses_body())
    client.responses.create(model=MODEL, instructions="Answer in one sentence.", input="Capital of France?")

    attributes = attrs(content_telemetry.span())
    validate_schema("gen-ai-system-instructions", attributes["gen_ai.system_instructions"])
    validate_schema("gen-ai-input-messages", attributes["gen_ai.input.messages"])
    validate_schema("gen-ai-output-messages", attributes["gen_ai.output.messages"])
    assert json.loads(attributes["gen_ai.system_instructions"]) == [
        {"type": "text", "content": "Answer in one sentence."}
    ]
    assert json.loads(attributes["gen_ai.input.messages"]) == [
        {"role": "user", "parts": [{"type": "text", "content": "Capital of France?"}]}
    ]
    assert json.loads(attributes["gen_ai.output.messages"]) == [
        {
            "role": "assistant",
            "parts": [{"type": "text", "content": "Paris is the capital of France."}],
            "finish_reason": "stop",
        }
    ]
    assert "gen_ai.tool.definitions" not in attributes


def test_content_from_an_item_list(
    content_telemetry: Telemetry,
    client: Any,
    fake_openai: FakeOpenAI,
    validate_schema: Callable[[str, Any], None],
) -> None:
    fake_openai.reply(PATH, responses_body("It is 21 °C in Paris."))
    items = [
        {"role": "user", "content": "What is the weather in Paris?"},
        {
            "type": "message",
            "role": "user",
            "content": [{"type": "input_text", "text": "In Celsius, please."}],
        },
        function_call_item("call_1", city="Paris"),
        {"type": "function_call_output", "call_id": "call_1", "output": '{"temperature": 21}'},
    ]
    client.responses.create(model=MODEL, input=items, tools=TOOLS)

    attributes = attrs(content_telemetry.span())
    assert "gen_ai.system_instructions" not in attributes
    validate_schema("gen-ai-input-messages", attributes["gen_ai.input.messages"])
    assert json.loads(attributes["gen_ai.input.messages"]) == [
        {"role": "user", "parts": [{"type": "text", "content": "What is the weather in Paris?"}]},
        {"role": "user", "parts": [{"type": "text", "content": "In Celsius, please."}]},
        {
            "role": "assistant",
            "parts": [
                {"type": "tool_call", "id": "call_1", "name": "get_weather", "arguments": {"city": "Paris"}}
            ],
        },
        {
            "role": "tool",
            "parts": [{"type": "tool_call_response", "id": "call_1", "response": '{"temperature": 21}'}],
        },
    ]
    output = json.loads(attributes["gen_ai.output.messages"])
    validate_schema("gen-ai-output-messages", output)
    assert output[0]["parts"] == [{"type": "text", "content": "It is 21 °C in Paris."}]
    # The tool the model answered from is no tool call of this response.
    assert "otel_genai.response.tool_call.count" not in attributes


def test_reasoning_and_server_tool_output(
    content_telemetry: Telemetry,
    client: Any,
    fake_openai: FakeOpenAI,
    validate_schema: Callable[[str, Any], None],
) -> None:
    output = [
        {"type": "reasoning", "id": "rs_1", "summary": [{"type": "summary_text", "text": "Look it up."}]},
        {
            "type": "web_search_call",
            "id": "ws_1",
            "status": "completed",
            "action": {"type": "search", "query": "x"},
        },
        *responses_body("Paris.")["output"],
    ]
    fake_openai.reply(PATH, responses_body(output=output))
    client.responses.create(model=MODEL, input="Capital of France?", tools=[{"type": "web_search"}])

    attributes = attrs(content_telemetry.span())
    assert attributes["gen_ai.response.finish_reasons"] == ("stop",)
    # A tool the provider ran itself is no tool call for the application.
    assert "otel_genai.response.tool_call.count" not in attributes
    messages = json.loads(attributes["gen_ai.output.messages"])
    validate_schema("gen-ai-output-messages", messages)
    assert messages[0]["parts"] == [
        {"type": "reasoning", "content": "Look it up."},
        {
            "type": "server_tool_call",
            "id": "ws_1",
            "name": "web_search_call",
            "server_tool_call": {"type": "web_search_call"},
        },
        {"type": "text", "content": "Paris."},
    ]
    definitions = json.loads(attributes["gen_ai.tool.definitions"])
    validate_schema("gen-ai-tool-definitions", definitions)
    assert definitions == [{"type": "web_search", "name": "web_search"}]


def test_content_is_limited(
    make_telemetry: Callable[..., Telemetry],
    client: Any,
    fake_openai: FakeOpenAI,
    monkeypatch: pytest.MonkeyPatch,
    validate_schema: Callable[[str, Any], None],
) -> None:
    monkeypatch.setenv("OTEL_GENAI_MAX_CONTENT_LENGTH", "5")
    telemetry = make_telemetry(capture_content=True)
    fake_openai.reply(PATH, responses_body())
    client.responses.create(model=MODEL, instructions="Be brief, always.", input="Capital of France?")

    attributes = attrs(telemetry.span())
    for name, schema in (
        ("gen_ai.input.messages", "gen-ai-input-messages"),
        ("gen_ai.output.messages", "gen-ai-output-messages"),
        ("gen_ai.system_instructions", "gen-ai-system-instructions"),
    ):
        validate_schema(schema, attributes[name])
    assert json.loads(attributes["gen_ai.input.messages"])[0]["parts"][0]["content"].startswith("Capit")
    assert "France" not in attributes["gen_ai.input.messages"]
    assert "capital" not in attributes["gen_ai.output.messages"]
    assert "always" not in attributes["gen_ai.system_instructions"]


# --- failures -------------------------------------------------------------------------------------


def test_failed_response_sets_error_status(
    telemetry: Telemetry, client: Any, fake_openai: FakeOpenAI
) -> None:
    fake_openai.reply(
        PATH,
        responses_body(
            output=[], status="failed", error={"code": "server_error", "message": "The model had an error."}
        ),
    )
    response = client.responses.create(model=MODEL, input="hi")

    assert response.status == "failed"
    span = telemetry.span()
    attributes = attrs(span)
    assert span.status.status_code is StatusCode.ERROR
    assert attributes["error.type"] == "server_error"
    assert attributes["gen_ai.response.finish_reasons"] == ("error",)
    assert attributes["gen_ai.response.id"] == "resp_123"
    metrics = telemetry.metrics()
    (duration,) = metrics["gen_ai.client.operation.duration"]
    assert duration.attributes["error.type"] == "server_error"


def test_http_error_is_recorded_and_reraised(
    telemetry: Telemetry, client: Any, fake_openai: FakeOpenAI
) -> None:
    fake_openai.reply(
        PATH,
        {
            "error": {
                "message": "Unsupported parameter",
                "type": "invalid_request_error",
                "code": "unsupported_value",
            }
        },
        status=400,
    )
    with pytest.raises(openai.BadRequestError) as raised:
        client.responses.create(model=MODEL, input="hi", temperature=7.0)

    assert raised.value.status_code == 400
    span = telemetry.span()
    attributes = attrs(span)
    assert span.status.status_code is StatusCode.ERROR
    assert attributes["error.type"] == "unsupported_value"
    assert attributes["gen_ai.request.temperature"] == 7.0
    assert "gen_ai.response.id" not in attributes
    (event,) = [e for e in span.events if e.name == "exception"]
    assert event.attributes["exception.type"].endswith("BadRequestError")
    assert event.attributes["exception.message"] == "[CONTENT_NOT_CAPTURED]"  # error text is content
    assert "Unsupported parameter" in str(raised.value)  # what the SDK's exception says, left out
    assert "Unsupported parameter" not in event.attributes["exception.stacktrace"]
    assert span.status.description == "unsupported_value"
    metrics = telemetry.metrics()
    (duration,) = metrics["gen_ai.client.operation.duration"]
    assert duration.attributes["error.type"] == "unsupported_value"
    assert "gen_ai.client.token.usage" not in metrics


def test_the_very_same_exception_reaches_the_application(
    telemetry: Telemetry, client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    error = openai.APIError(
        "boom", request=httpx.Request("POST", "https://api.openai.com/v1/responses"), body=None
    )

    def fail(*args: Any, **kwargs: Any) -> Any:
        raise error

    monkeypatch.setattr(client.responses, "_post", fail)
    with pytest.raises(openai.APIError) as raised:
        client.responses.create(model=MODEL, input="hi")
    assert raised.value is error
    span = telemetry.span()
    assert span.status.status_code is StatusCode.ERROR
    assert attrs(span)["error.type"] == "APIError"


async def test_async_the_very_same_exception_reaches_the_application(
    telemetry: Telemetry, async_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    error = ValueError("not an API error at all")

    async def fail(*args: Any, **kwargs: Any) -> Any:
        raise error

    monkeypatch.setattr(async_client.responses, "_post", fail)
    with pytest.raises(ValueError, match="not an API error") as raised:
        await async_client.responses.create(model=MODEL, input="hi")
    assert raised.value is error
    assert attrs(telemetry.span())["error.type"] == "ValueError"


def test_http_error_without_a_code_uses_the_exception_type(
    telemetry: Telemetry, client: Any, fake_openai: FakeOpenAI
) -> None:
    fake_openai.reply(PATH, {"error": {"message": "boom"}}, status=500)
    with pytest.raises(openai.InternalServerError):
        client.responses.create(model=MODEL, input="hi")
    assert attrs(telemetry.span())["error.type"] == "InternalServerError"


def test_transport_error_is_reraised(telemetry: Telemetry, client: Any, fake_openai: FakeOpenAI) -> None:
    fake_openai.reply(PATH, error=httpx.ConnectError("connection refused"))
    with pytest.raises(openai.APIConnectionError) as raised:
        client.responses.create(model=MODEL, input="hi")
    span = telemetry.span()
    assert span.status.status_code is StatusCode.ERROR
    assert attrs(span)["error.type"] == type(raised.value).__qualname__


async def test_async_http_error_is_recorded_and_reraised(
    telemetry: Telemetry, async_client: Any, fake_openai: FakeOpenAI
) -> None:
    fake_openai.reply(PATH, {"error": {"message": "slow down", "code": "rate_limit_exceeded"}}, status=429)
    with pytest.raises(openai.RateLimitError):
        await async_client.responses.create(model=MODEL, input="hi")
    span = telemetry.span()
    assert span.status.status_code is StatusCode.ERROR
    assert attrs(span)["error.type"] == "rate_limit_exceeded"


# --- async ----------------------------------------------------------------------------------------


async def test_async_create(
    content_telemetry: Telemetry,
    async_client: Any,
    fake_openai: FakeOpenAI,
    validate_schema: Callable[[str, Any], None],
) -> None:
    fake_openai.reply(PATH, responses_body())
    response = await async_client.responses.create(
        model=MODEL, input="Capital of France?", temperature=0.5, reasoning={"effort": "high"}
    )

    assert response.output_text == "Paris is the capital of France."
    attributes = assert_base_span(content_telemetry.span())
    assert attributes["gen_ai.request.temperature"] == 0.5
    assert attributes["gen_ai.request.reasoning.level"] == "high"
    assert_completed_response(attributes)
    validate_schema("gen-ai-output-messages", attributes["gen_ai.output.messages"])


# --- parse ----------------------------------------------------------------------------------------


class City(BaseModel):
    name: str
    country: str


CITY_JSON = '{"name": "Paris", "country": "France"}'


def test_parse_with_a_pydantic_text_format(
    telemetry: Telemetry, client: Any, fake_openai: FakeOpenAI
) -> None:
    fake_openai.reply(PATH, responses_body(CITY_JSON))
    response = client.responses.parse(
        model=MODEL, input="Capital of France?", text_format=City, temperature=0
    )

    assert response.output_parsed == City(name="Paris", country="France")
    assert fake_openai.last_json()["text"]["format"]["type"] == "json_schema"
    attributes = assert_base_span(telemetry.span())  # one span: parse is not also counted as create
    assert attributes["gen_ai.output.type"] == "json"
    assert attributes["gen_ai.request.temperature"] == 0.0
    assert isinstance(attributes["gen_ai.request.temperature"], float)  # a double, per the conventions
    assert_completed_response(attributes)


async def test_async_parse(
    content_telemetry: Telemetry,
    async_client: Any,
    fake_openai: FakeOpenAI,
    validate_schema: Callable[[str, Any], None],
) -> None:
    fake_openai.reply(PATH, responses_body(CITY_JSON))
    response = await async_client.responses.parse(model=MODEL, input="Capital of France?", text_format=City)

    assert response.output_parsed == City(name="Paris", country="France")
    attributes = assert_base_span(content_telemetry.span())
    assert attributes["gen_ai.output.type"] == "json"
    output = json.loads(attributes["gen_ai.output.messages"])
    validate_schema("gen-ai-output-messages", output)
    assert output[0]["parts"] == [{"type": "text", "content": CITY_JSON}]


# --- streaming ------------------------------------------------------------------------------------


def assert_stream_metrics(telemetry: Telemetry, chunks: int) -> None:
    metrics = telemetry.metrics()
    (first,) = metrics["gen_ai.client.operation.time_to_first_chunk"]
    assert first.count == 1
    (per_chunk,) = metrics["gen_ai.client.operation.time_per_output_chunk"]
    assert per_chunk.count == chunks - 1
    tokens = {p.attributes["gen_ai.token.type"]: p.sum for p in metrics["gen_ai.client.token.usage"]}
    assert tokens == {"input": 20, "output": 9}


def test_stream(
    content_telemetry: Telemetry,
    client: Any,
    fake_openai: FakeOpenAI,
    validate_schema: Callable[[str, Any], None],
) -> None:
    events = stream_events()
    reply_stream(fake_openai, events)
    stream = client.responses.create(
        model=MODEL, input="Capital of France?", stream=True, max_output_tokens=50
    )

    assert isinstance(stream, openai.Stream)
    received = []
    for event in stream:
        received.append(event.type)
        assert content_telemetry.spans() == [], "the span ends with the stream, not before"
    assert received == [e["type"] for e in events]
    assert (
        "".join(e["delta"] for e in events if e["type"] == "response.output_text.delta")
        == "Paris is the capital."
    )

    span = content_telemetry.span()
    attributes = assert_base_span(span, stream=True)
    assert attributes["gen_ai.request.max_tokens"] == 50
    assert_completed_response(attributes)
    assert attributes["gen_ai.response.time_to_first_chunk"] >= 0
    output = json.loads(attributes["gen_ai.output.messages"])
    validate_schema("gen-ai-output-messages", output)
    assert output == [
        {
            "role": "assistant",
            "parts": [{"type": "text", "content": "Paris is the capital."}],
            "finish_reason": "stop",
        }
    ]
    validate_schema("gen-ai-input-messages", attributes["gen_ai.input.messages"])
    assert_stream_metrics(content_telemetry, len(events))


async def test_async_stream(
    content_telemetry: Telemetry,
    async_client: Any,
    fake_openai: FakeOpenAI,
    validate_schema: Callable[[str, Any], None],
) -> None:
    events = stream_events(["Rome", "."], final=responses_body("Rome."))
    reply_stream(fake_openai, events)
    stream = await async_client.responses.create(model=MODEL, input="Capital of Italy?", stream=True)

    assert isinstance(stream, openai.AsyncStream)
    received = [event.type async for event in stream]
    assert received == [e["type"] for e in events]

    attributes = assert_base_span(content_telemetry.span(), stream=True)
    assert_completed_response(attributes)
    output = json.loads(attributes["gen_ai.output.messages"])
    validate_schema("gen-ai-output-messages", output)
    assert output[0]["parts"] == [{"type": "text", "content": "Rome."}]
    assert_stream_metrics(content_telemetry, len(events))


def test_a_stream_through_with_streaming_response_is_read(
    telemetry: Telemetry, client: Any, fake_openai: FakeOpenAI
) -> None:
    """``with_streaming_response.create(stream=True)`` then ``parse()`` (the OpenAI Agents SDK streams this
    way): the parsed stream is read like any other, the span ends with it."""
    events = stream_events()
    reply_stream(fake_openai, events)
    with client.responses.with_streaming_response.create(model=MODEL, input="Capital?", stream=True) as raw:
        assert telemetry.spans() == []
        stream = raw.parse()
        assert isinstance(stream, openai.Stream)
        assert [event.type for event in stream] == [e["type"] for e in events]
    attributes = assert_base_span(telemetry.span(), stream=True)
    assert_completed_response(attributes)


async def test_an_async_stream_through_with_streaming_response_is_read(
    telemetry: Telemetry, async_client: Any, fake_openai: FakeOpenAI
) -> None:
    events = stream_events(["Rome", "."], final=responses_body("Rome."))
    reply_stream(fake_openai, events)
    response = async_client.responses.with_streaming_response.create(model=MODEL, input="Italy?", stream=True)
    async with response as raw:
        stream = await raw.parse()
        assert isinstance(stream, openai.AsyncStream)
        assert [event.type async for event in stream] == [e["type"] for e in events]
    assert_completed_response(assert_base_span(telemetry.span(), stream=True))


def test_a_streaming_response_closed_unparsed_ends_the_span_once(
    telemetry: Telemetry, client: Any, fake_openai: FakeOpenAI
) -> None:
    reply_stream(fake_openai, stream_events())
    with client.responses.with_streaming_response.create(model=MODEL, input="Capital?", stream=True) as raw:
        assert raw.status_code == 200
    [span] = telemetry.spans()  # ended when the response closed, once
    assert span.attributes["gen_ai.request.stream"] is True


def test_stream_with_function_calls(telemetry: Telemetry, client: Any, fake_openai: FakeOpenAI) -> None:
    events = stream_events(final=responses_body(output=_tool_call_output()))
    reply_stream(fake_openai, events)
    with client.responses.create(model=MODEL, input="Weather?", tools=TOOLS, stream=True) as stream:
        for _ in stream:
            pass

    attributes = attrs(telemetry.span())
    assert attributes["gen_ai.response.finish_reasons"] == ("tool_call",)
    assert attributes["otel_genai.response.tool_call.names"] == ("get_weather", "get_time")
    assert attributes["otel_genai.response.tool_call.ids"] == ("call_1", "call_2")


def test_stream_closed_part_way_ends_the_span_once(
    telemetry: Telemetry, client: Any, fake_openai: FakeOpenAI
) -> None:
    reply_stream(fake_openai, stream_events())
    stream = client.responses.create(model=MODEL, input="hi", stream=True)
    assert next(stream).type == "response.created"
    assert next(stream).type == "response.in_progress"
    assert telemetry.spans() == []
    stream.close()

    span = telemetry.span()
    attributes = assert_base_span(span, stream=True)
    # What the stream told us before it was closed.
    assert attributes["gen_ai.response.id"] == "resp_123"
    assert attributes["gen_ai.response.model"] == RESPONSE_MODEL
    assert "gen_ai.response.finish_reasons" not in attributes
    assert span.status.status_code is StatusCode.UNSET
    stream.close()
    del stream
    gc.collect()
    assert len(telemetry.spans()) == 1


def test_stream_left_part_way_in_a_with_block_ends_the_span_once(
    telemetry: Telemetry, client: Any, fake_openai: FakeOpenAI
) -> None:
    reply_stream(fake_openai, stream_events())
    with client.responses.create(model=MODEL, input="hi", stream=True) as stream:
        for event in stream:
            if event.type == "response.output_text.delta":
                break
    assert len(telemetry.spans()) == 1
    del stream
    gc.collect()
    assert len(telemetry.spans()) == 1


def test_abandoned_stream_ends_the_span_once(
    telemetry: Telemetry, client: Any, fake_openai: FakeOpenAI
) -> None:
    reply_stream(fake_openai, stream_events())
    stream = client.responses.create(model=MODEL, input="hi", stream=True)
    next(stream)
    del stream
    gc.collect()
    span = telemetry.span()
    assert attrs(span)["gen_ai.response.id"] == "resp_123"


async def test_async_stream_closed_part_way_ends_the_span_once(
    telemetry: Telemetry, async_client: Any, fake_openai: FakeOpenAI
) -> None:
    reply_stream(fake_openai, stream_events())
    stream = await async_client.responses.create(model=MODEL, input="hi", stream=True)
    async with stream:
        assert (await stream.__anext__()).type == "response.created"
        assert telemetry.spans() == []
    assert len(telemetry.spans()) == 1
    await stream.close()
    assert len(telemetry.spans()) == 1


def test_stream_error_event_sets_error_status(
    telemetry: Telemetry, client: Any, fake_openai: FakeOpenAI
) -> None:
    events = stream_events(stop_after="response.output_text.delta")
    events.append(
        {
            "type": "error",
            "code": "rate_limit_exceeded",
            "message": "Rate limit reached",
            "param": None,
            "sequence_number": len(events),
        }
    )
    reply_stream(fake_openai, events)
    received = list(client.responses.create(model=MODEL, input="hi", stream=True))

    # typed in openai 1.108; in 1.90 and before, an untyped event holding {"event": "error", "data": {...}}
    assert received[-1].type == "error" or getattr(received[-1], "event", None) == "error"
    span = telemetry.span()
    attributes = attrs(span)
    assert span.status.status_code is StatusCode.ERROR
    assert attributes["error.type"] == "rate_limit_exceeded"
    assert attributes["gen_ai.response.id"] == "resp_123"


def test_stream_failed_response_sets_error_status(
    telemetry: Telemetry, client: Any, fake_openai: FakeOpenAI
) -> None:
    failed = responses_body(output=[], status="failed", error={"code": "server_error", "message": "oops"})
    events = stream_events(["Par"], final=failed, terminal="response.failed")
    reply_stream(fake_openai, events)
    for _ in client.responses.create(model=MODEL, input="hi", stream=True):
        pass

    span = telemetry.span()
    attributes = attrs(span)
    assert span.status.status_code is StatusCode.ERROR
    assert attributes["error.type"] == "server_error"
    assert attributes["gen_ai.response.finish_reasons"] == ("error",)


def test_stream_incomplete_response(telemetry: Telemetry, client: Any, fake_openai: FakeOpenAI) -> None:
    incomplete = responses_body("Paris", status="incomplete", incomplete_details={"reason": "content_filter"})
    reply_stream(fake_openai, stream_events(["Paris"], final=incomplete, terminal="response.incomplete"))
    for _ in client.responses.create(model=MODEL, input="hi", stream=True):
        pass

    span = telemetry.span()
    assert attrs(span)["gen_ai.response.finish_reasons"] == ("content_filter",)
    assert attrs(span)["gen_ai.usage.output_tokens"] == 9
    assert span.status.status_code is StatusCode.UNSET


def test_stream_http_error_is_reraised(telemetry: Telemetry, client: Any, fake_openai: FakeOpenAI) -> None:
    fake_openai.reply(PATH, {"error": {"message": "bad key", "code": "invalid_api_key"}}, status=401)
    with pytest.raises(openai.AuthenticationError):
        client.responses.create(model=MODEL, input="hi", stream=True)
    span = telemetry.span()
    assert span.status.status_code is StatusCode.ERROR
    assert attrs(span)["error.type"] == "invalid_api_key"
    assert attrs(span)["gen_ai.request.stream"] is True


# --- the responses.stream() helper ----------------------------------------------------------------


def test_stream_helper_makes_one_span(
    content_telemetry: Telemetry,
    client: Any,
    fake_openai: FakeOpenAI,
    validate_schema: Callable[[str, Any], None],
) -> None:
    reply_stream(fake_openai, stream_events())
    with client.responses.stream(model=MODEL, input="Capital of France?", instructions="Be brief.") as stream:
        deltas = [event.delta for event in stream if event.type == "response.output_text.delta"]
        final = stream.get_final_response()

    assert "".join(deltas) == "Paris is the capital."
    assert final.output_text == "Paris is the capital."
    attributes = assert_base_span(content_telemetry.span(), stream=True)
    assert_completed_response(attributes)
    validate_schema("gen-ai-system-instructions", attributes["gen_ai.system_instructions"])
    assert json.loads(attributes["gen_ai.output.messages"])[0]["parts"] == [
        {"type": "text", "content": "Paris is the capital."}
    ]


def test_stream_helper_with_a_text_format(telemetry: Telemetry, client: Any, fake_openai: FakeOpenAI) -> None:
    reply_stream(fake_openai, stream_events([CITY_JSON], final=responses_body(CITY_JSON)))
    with client.responses.stream(model=MODEL, input="Capital of France?", text_format=City) as stream:
        final = stream.get_final_response()

    assert final.output_parsed == City(name="Paris", country="France")
    attributes = assert_base_span(telemetry.span(), stream=True)
    assert attributes["gen_ai.output.type"] == "json"


def test_stream_helper_left_part_way_ends_the_span_once(
    telemetry: Telemetry, client: Any, fake_openai: FakeOpenAI
) -> None:
    reply_stream(fake_openai, stream_events())
    with client.responses.stream(model=MODEL, input="hi") as stream:
        for event in stream:
            if event.type == "response.output_text.delta":
                break
        assert telemetry.spans() == []
    # Leaving the helper closes the stream's HTTP response: that ends the span, not garbage collection.
    span = telemetry.span()
    attributes = assert_base_span(span, stream=True)
    assert attributes["gen_ai.response.id"] == "resp_123"
    assert "gen_ai.response.finish_reasons" not in attributes
    del stream
    gc.collect()
    assert len(telemetry.spans()) == 1


async def test_async_stream_helper_left_part_way_ends_the_span_once(
    telemetry: Telemetry, async_client: Any, fake_openai: FakeOpenAI
) -> None:
    reply_stream(fake_openai, stream_events())
    async with async_client.responses.stream(model=MODEL, input="hi") as stream:
        async for event in stream:
            if event.type == "response.output_text.delta":
                break
    assert len(telemetry.spans()) == 1
    del stream
    gc.collect()
    assert len(telemetry.spans()) == 1


async def test_async_stream_helper_makes_one_span(
    telemetry: Telemetry, async_client: Any, fake_openai: FakeOpenAI
) -> None:
    reply_stream(fake_openai, stream_events())
    async with async_client.responses.stream(model=MODEL, input="hi", temperature=0.3) as stream:
        deltas = [event.delta async for event in stream if event.type == "response.output_text.delta"]
        final = await stream.get_final_response()

    assert "".join(deltas) == final.output_text == "Paris is the capital."
    attributes = assert_base_span(telemetry.span(), stream=True)
    assert attributes["gen_ai.request.temperature"] == 0.3
    assert_completed_response(attributes)


# --- the shared conformance checks (tests/helpers/conformance.py) -----------------------------------


def test_conforms_create_with_content(
    content_telemetry: Telemetry, client: Any, fake_openai: FakeOpenAI
) -> None:
    fake_openai.reply(PATH, responses_body())
    client.responses.create(model=MODEL, instructions="Be brief.", input="Capital of France?", temperature=1)
    assert_conforms(content_telemetry, operation="chat", content=True)


def test_conforms_stream_without_content(telemetry: Telemetry, client: Any, fake_openai: FakeOpenAI) -> None:
    reply_stream(fake_openai, stream_events())
    for _ in client.responses.create(model=MODEL, input="Capital of France?", stream=True):
        pass
    assert_conforms(telemetry, operation="chat", content=False, stream=True)


def test_conforms_failed_response(telemetry: Telemetry, client: Any, fake_openai: FakeOpenAI) -> None:
    fake_openai.reply(PATH, {"error": {"message": "nope", "code": "server_error"}}, status=400)
    with pytest.raises(openai.BadRequestError):
        client.responses.create(model=MODEL, input="hi")
    assert_conforms(telemetry, operation="chat", content=False, failed=True, error_type="server_error")
