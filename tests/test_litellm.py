"""LiteLLM (``otel_genai.instrumentation.litellm``): the real ``litellm`` functions and ``Router``, answered
locally.

OpenAI is answered by ``FakeOpenAI`` behind the ``client=`` LiteLLM accepts; the providers LiteLLM calls over
its own HTTP handler (Anthropic, Groq, OpenAI from a ``Router`` deployment's ``api_base``) by a loopback
server on 127.0.0.1 (``helpers.litellm_fakes``); naming across providers by ``mock_response``, LiteLLM's own
way to answer without a request. A guard refuses any connection that is not to 127.0.0.1. What every
provider promises (metrics, content modes, redaction, suppression, uninstrument) runs in
``tests/test_providers.py`` through ``helpers.providers_litellm``; this file holds what is LiteLLM's own.
``litellm`` is imported here only (it takes seconds), with ``LITELLM_LOCAL_MODEL_COST_MAP`` set by conftest.
"""

from __future__ import annotations

import asyncio
import gc
import json
import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import wrapt
from opentelemetry.instrumentation.utils import suppress_instrumentation
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

import otel_genai
from helpers.conformance import assert_conforms
from helpers.litellm_fakes import LoopbackServer
from helpers.openai_fakes import (
    FakeOpenAI,
    chat_chunks,
    chat_completion,
    embeddings_body,
    openai_http,
    sse,
    tool_call,
)
from helpers.telemetry import Telemetry, ended_once

litellm = pytest.importorskip("litellm")
openai = pytest.importorskip("openai")

MODEL = "gpt-4o-mini"
RESPONSE_MODEL = "gpt-4o-mini-2024-07-18"
MESSAGES = [
    {"role": "system", "content": "You are terse."},
    {"role": "user", "content": "What is the capital of France?"},
]
PIECES = ["Par", "is."]


# --- the network guard and the local answers ------------------------------------------------------------


@pytest.fixture(autouse=True)
def _loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any connection but to 127.0.0.1 fails the test (tokenizers, price maps: nothing may be fetched)."""
    connect = socket.socket.connect

    def guarded(self: socket.socket, address: Any) -> Any:
        host = address[0] if isinstance(address, tuple) else address
        if self.family in (socket.AF_INET, socket.AF_INET6) and host not in ("127.0.0.1", "::1", "localhost"):
            raise AssertionError(f"a LiteLLM test tried to reach {address!r}")
        return connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)


@pytest.fixture
def fake() -> FakeOpenAI:
    return FakeOpenAI()


@pytest.fixture
def client(fake: FakeOpenAI) -> Any:
    httpx = openai_http()
    transport = httpx.MockTransport(fake)
    return openai.OpenAI(
        api_key="sk-test",
        base_url="https://api.openai.com/v1",
        http_client=httpx.Client(transport=transport),
        max_retries=0,
    )


@pytest.fixture
def async_client(fake: FakeOpenAI) -> Any:
    httpx = openai_http()
    return openai.AsyncOpenAI(
        api_key="sk-test",
        base_url="https://api.openai.com/v1",
        http_client=httpx.AsyncClient(transport=httpx.MockTransport(fake)),
        max_retries=0,
    )


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    loopback = LoopbackServer()
    yield loopback
    loopback.close()


def reply(fake: FakeOpenAI, path: str, body: Any = None, **kwargs: Any) -> None:
    fake.routes.pop(path, None)
    fake.reply(path, body, **kwargs)


def attrs(span: Any) -> dict[str, Any]:
    return dict(span.attributes or {})


def model_spans(telemetry: Telemetry) -> list[Any]:
    return [s for s in telemetry.spans() if "gen_ai.operation.name" in (s.attributes or {})]


# === chat ==================================================================================================


def test_completion_span(telemetry: Telemetry, fake: FakeOpenAI, client: Any) -> None:
    reply(fake, "/chat/completions", chat_completion("Paris."))

    response = litellm.completion(
        model=MODEL,
        messages=MESSAGES,
        client=client,
        temperature=0.2,
        top_p=0.9,
        max_tokens=64,
        stop=["\n"],
        seed=7,
        n=1,
        presence_penalty=0.1,
        frequency_penalty=0.3,
        response_format={"type": "json_object"},
    )

    assert response.choices[0].message.content == "Paris."
    span = assert_conforms(telemetry, operation="chat", content=False)
    assert span.name == f"chat {MODEL}" and span.kind is SpanKind.CLIENT
    attributes = attrs(span)
    expected = {
        "gen_ai.provider.name": "openai",
        "gen_ai.request.model": MODEL,
        "server.address": "api.openai.com",
        "server.port": 443,
        "gen_ai.request.temperature": 0.2,
        "gen_ai.request.top_p": 0.9,
        "gen_ai.request.max_tokens": 64,
        "gen_ai.request.stop_sequences": ("\n",),
        "gen_ai.request.seed": 7,
        "gen_ai.request.presence_penalty": 0.1,
        "gen_ai.request.frequency_penalty": 0.3,
        "gen_ai.output.type": "json",
        "gen_ai.response.id": "chatcmpl-abc123",
        "gen_ai.response.model": RESPONSE_MODEL,
        "gen_ai.response.finish_reasons": ("stop",),
        "gen_ai.usage.input_tokens": 31,
        "gen_ai.usage.output_tokens": 58,
        "gen_ai.usage.cache_read.input_tokens": 12,
        "gen_ai.usage.reasoning.output_tokens": 7,
    }
    assert {key: attributes.get(key) for key in expected} == expected
    assert "gen_ai.request.choice.count" not in attributes  # n=1 is the default
    # the fingerprint of the system prompt, whatever the capture mode
    assert attributes["otel_genai.prompt.fingerprint"]


def test_cost_is_the_price_litellm_reported(telemetry: Telemetry, fake: FakeOpenAI, client: Any) -> None:
    reply(fake, "/chat/completions", chat_completion("Paris."))

    response = litellm.completion(model=MODEL, messages=MESSAGES, client=client)

    reported = response._hidden_params["response_cost"]
    assert reported > 0
    attributes = attrs(ended_once(telemetry))
    assert attributes["gen_ai.usage.cost.amount"] == pytest.approx(reported, rel=1e-12)
    assert attributes["gen_ai.usage.cost.currency"] == "USD"
    assert attributes["gen_ai.usage.cost.source"] == "provider"


def test_one_span_with_the_openai_instrumentor_on(
    telemetry: Telemetry, fake: FakeOpenAI, client: Any
) -> None:
    """LiteLLM calls OpenAI through the openai SDK, which we instrument too: one span, LiteLLM's."""
    assert {"openai", "litellm"} <= set(telemetry.instrumentation.instrumented)
    reply(fake, "/chat/completions", chat_completion("Paris."))

    litellm.completion(model=MODEL, messages=MESSAGES, client=client)

    [span] = telemetry.spans()
    assert attrs(span)["gen_ai.usage.cost.source"] == "provider"  # LiteLLM's price: its span, not the SDK's
    assert "openai.api.type" not in attrs(span)  # the openai reader's refinement is not there
    # ... while the same client called directly is traced by the openai instrumentor
    client.chat.completions.create(model=MODEL, messages=MESSAGES)
    assert len(telemetry.spans()) == 2


def test_positional_arguments(telemetry: Telemetry, fake: FakeOpenAI, client: Any) -> None:
    reply(fake, "/chat/completions", chat_completion("Paris."))

    litellm.completion(MODEL, MESSAGES, client=client)

    assert attrs(ended_once(telemetry))["gen_ai.request.model"] == MODEL


def test_acompletion_is_one_span(telemetry: Telemetry, fake: FakeOpenAI, async_client: Any) -> None:
    """``acompletion`` runs ``completion`` inside: still one span."""
    reply(fake, "/chat/completions", chat_completion("Paris."))

    response = asyncio.run(litellm.acompletion(model=MODEL, messages=MESSAGES, client=async_client))

    assert response.choices[0].message.content == "Paris."
    span = assert_conforms(telemetry, operation="chat", content=False)
    assert attrs(span)["gen_ai.response.id"] == "chatcmpl-abc123"
    assert attrs(span)["gen_ai.usage.cost.source"] == "provider"


def test_tool_calls_and_content(
    make_telemetry: Any, fake: FakeOpenAI, client: Any, validate_schema: Any
) -> None:
    telemetry = make_telemetry(capture_content=True)
    call = tool_call("call_weather_1", "get_weather", {"city": "Paris"})
    reply(fake, "/chat/completions", chat_completion(None, tool_calls=[call], finish_reason="tool_calls"))
    tool = {"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}

    litellm.completion(model=MODEL, messages=MESSAGES, client=client, tools=[tool])

    span = assert_conforms(telemetry, operation="chat", content=True)
    attributes = attrs(span)
    assert attributes["otel_genai.response.tool_call.ids"] == ("call_weather_1",)
    assert attributes["gen_ai.response.finish_reasons"] == ("tool_calls",)
    assert attributes["otel_genai.tool.definitions.fingerprint"]
    inputs = json.loads(attributes["gen_ai.input.messages"])
    validate_schema("gen-ai-input-messages", inputs)
    assert [m["role"] for m in inputs] == ["system", "user"]
    [output] = json.loads(attributes["gen_ai.output.messages"])
    assert output["parts"] == [
        {"type": "tool_call", "id": "call_weather_1", "name": "get_weather", "arguments": {"city": "Paris"}}
    ]
    assert output["finish_reason"] == "tool_call"
    assert json.loads(attributes["gen_ai.tool.definitions"]) == [{"type": "function", "name": "get_weather"}]


# === naming: the provider LiteLLM routes to =================================================================


@pytest.mark.parametrize(
    ("model", "provider", "request_model", "server_address"),
    [
        ("groq/llama-3.1-8b-instant", "groq", "llama-3.1-8b-instant", "api.groq.com"),
        ("mistral/mistral-small-latest", "mistral_ai", "mistral-small-latest", "api.mistral.ai"),
        ("deepseek/deepseek-chat", "deepseek", "deepseek-chat", "api.deepseek.com"),
        ("xai/grok-2", "x_ai", "grok-2", "api.x.ai"),
        ("azure/my-deployment", "azure.ai.openai", "my-deployment", None),
        ("azure_ai/mistral-large", "azure.ai.inference", "mistral-large", None),
        ("bedrock/anthropic.claude-3-5-sonnet-20240620-v1:0", "aws.bedrock", None, None),
        ("vertex_ai/gemini-2.0-flash", "gcp.vertex_ai", "gemini-2.0-flash", None),
        ("gemini/gemini-2.0-flash", "gcp.gemini", "gemini-2.0-flash", None),
        ("cohere_chat/command-r", "cohere", "command-r", None),
        ("ollama_chat/llama3", "ollama", "llama3", None),
        ("watsonx/ibm/granite-13b-chat-v2", "ibm.watsonx.ai", "ibm/granite-13b-chat-v2", None),
        ("openrouter/openai/gpt-4o", "openrouter", "openai/gpt-4o", None),
        ("litellm_proxy/gpt-4o", "litellm", "gpt-4o", None),
        ("anthropic/claude-haiku-4-5", "anthropic", "claude-haiku-4-5", "api.anthropic.com"),
        ("gpt-4o-mini", "openai", "gpt-4o-mini", "api.openai.com"),
    ],
)
def test_provider_is_the_one_litellm_routes_to(
    telemetry: Telemetry, model: str, provider: str, request_model: str | None, server_address: str | None
) -> None:
    litellm.completion(model=model, messages=MESSAGES, mock_response="Paris.")

    span = ended_once(telemetry)
    request_model = request_model or model.split("/", 1)[1]
    assert span.name == f"chat {request_model}"
    attributes = attrs(span)
    assert attributes["gen_ai.provider.name"] == provider
    assert attributes["gen_ai.request.model"] == request_model
    assert attributes.get("server.address") == server_address


def test_unknown_provider_ids_pass_through(telemetry: Telemetry) -> None:
    litellm.completion(
        model="hosted_vllm/my-model",
        messages=MESSAGES,
        mock_response="ok",
        api_base="http://127.0.0.1:8000/v1",
    )
    litellm.completion(
        model="deepinfra/meta-llama/Meta-Llama-3.1-8B-Instruct", messages=MESSAGES, mock_response="ok"
    )

    vllm, other = telemetry.spans()
    assert (attrs(vllm)["gen_ai.provider.name"], attrs(vllm)["server.port"]) == ("vllm", 8000)
    assert attrs(other)["gen_ai.provider.name"] == "deepinfra"  # not in our table: LiteLLM's own id


def test_groq_over_litellms_http_client(telemetry: Telemetry, server: LoopbackServer) -> None:
    server.reply("/v1/chat/completions", chat_completion("Paris.", model="llama-3.1-8b-instant"))

    litellm.completion(
        model="groq/llama-3.1-8b-instant", messages=MESSAGES, api_base=f"{server.url}/v1", api_key="gsk-test"
    )

    span = assert_conforms(telemetry, operation="chat", content=False)
    attributes = attrs(span)
    assert span.name == "chat llama-3.1-8b-instant"
    assert attributes["gen_ai.provider.name"] == "groq"
    assert (attributes["server.address"], attributes["server.port"]) == ("127.0.0.1", server.port)
    assert attributes["gen_ai.response.model"] == "llama-3.1-8b-instant"
    assert "openai.response.service_tier" not in attributes  # OpenAI's refinements only on OpenAI's spans
    assert [r.path for r in server.requests] == ["/v1/chat/completions"]


ANTHROPIC_MESSAGE = {
    "id": "msg_01XFDUDYJgAACzvnptvVoYEL",
    "type": "message",
    "role": "assistant",
    "model": "claude-haiku-4-5-20251001",
    "content": [{"type": "text", "text": "Paris."}],
    "stop_reason": "end_turn",
    "stop_sequence": None,
    "usage": {
        "input_tokens": 25,
        "output_tokens": 12,
        "cache_read_input_tokens": 100,
        "cache_creation_input_tokens": 40,
    },
}


def test_anthropic_usage_counts_cached_input(telemetry: Telemetry, server: LoopbackServer) -> None:
    server.reply("/v1/messages", ANTHROPIC_MESSAGE)

    response = litellm.completion(
        model="anthropic/claude-haiku-4-5",
        messages=MESSAGES,
        api_base=server.url,
        api_key="sk-ant",
        max_tokens=100,
    )

    span = assert_conforms(telemetry, operation="chat", content=False)
    attributes = attrs(span)
    assert attributes["gen_ai.provider.name"] == "anthropic"
    assert attributes["gen_ai.request.model"] == "claude-haiku-4-5"
    assert attributes["gen_ai.response.model"] == "claude-haiku-4-5-20251001"
    # the conventions' input count includes cache reads and writes, as LiteLLM's prompt_tokens does
    assert attributes["gen_ai.usage.input_tokens"] == 25 + 100 + 40
    assert attributes["gen_ai.usage.cache_read.input_tokens"] == 100
    assert attributes["gen_ai.usage.cache_write.input_tokens"] == 40
    assert attributes["gen_ai.usage.output_tokens"] == 12
    assert attributes["gen_ai.response.finish_reasons"] == ("stop",)  # LiteLLM's OpenAI-shaped reason
    reported = response._hidden_params.get("response_cost")
    if reported is not None:  # else (a release whose price map lacks the model) our shipped table's price
        assert attributes["gen_ai.usage.cost.amount"] == pytest.approx(reported)
        assert attributes["gen_ai.usage.cost.source"] == "provider"


# === errors ================================================================================================


def test_openai_error_keeps_the_providers_code(
    telemetry: Telemetry, fake: FakeOpenAI, client: Any, failures: list[BaseException]
) -> None:
    body = {
        "error": {"message": "slow down", "type": "requests", "param": None, "code": "rate_limit_exceeded"}
    }
    reply(fake, "/chat/completions", body, status=429)

    with pytest.raises(litellm.RateLimitError) as raised:
        litellm.completion(model=MODEL, messages=MESSAGES, client=client)

    assert failures == [raised.value]  # the object LiteLLM raised, re-raised as it is
    span = assert_conforms(
        telemetry, operation="chat", content=False, failed=True, error_type="rate_limit_exceeded"
    )
    assert span.status.status_code is StatusCode.ERROR


def test_anthropic_error_code_from_the_provider_error(telemetry: Telemetry, server: LoopbackServer) -> None:
    server.reply(
        "/v1/messages",
        {"type": "error", "error": {"type": "rate_limit_error", "message": "slow"}},
        status=429,
    )

    with pytest.raises(litellm.RateLimitError):
        litellm.completion(
            model="anthropic/claude-haiku-4-5",
            messages=MESSAGES,
            api_base=server.url,
            api_key="sk-ant",
            max_tokens=10,
        )

    assert_conforms(telemetry, operation="chat", content=False, failed=True, error_type="rate_limit_error")


def test_error_without_a_provider_code_is_the_status(telemetry: Telemetry) -> None:
    with pytest.raises(litellm.RateLimitError):
        litellm.completion(model=MODEL, messages=MESSAGES, mock_response="litellm.RateLimitError")

    assert attrs(ended_once(telemetry))["error.type"] == "429"


# === streams ===============================================================================================


def stream_reply(fake: FakeOpenAI) -> None:
    reply(fake, "/chat/completions", stream=sse(chat_chunks(PIECES, include_usage=True)))


def test_stream_keeps_its_type_and_ends_once(telemetry: Telemetry, fake: FakeOpenAI, client: Any) -> None:
    stream_reply(fake)

    stream = litellm.completion(
        model=MODEL, messages=MESSAGES, client=client, stream=True, stream_options={"include_usage": True}
    )

    assert isinstance(stream, litellm.CustomStreamWrapper)
    assert telemetry.spans() == []
    chunks = list(stream)
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "".join(PIECES)
    # the model that answered, where LiteLLM says it (its chunks repeat the model asked for)
    answered = (chunks[0]._hidden_params or {}).get("provider_response_model") or chunks[0].model
    span = assert_conforms(telemetry, operation="chat", content=False, stream=True)
    attributes = attrs(span)
    assert attributes["gen_ai.response.id"] == "chatcmpl-stream1"
    assert attributes["gen_ai.response.model"] == answered
    assert (attributes["gen_ai.usage.input_tokens"], attributes["gen_ai.usage.output_tokens"]) == (31, 58)
    # LiteLLM prices a stream on its usage chunk (1.7x on; earlier ones say 0.0 on every chunk): ours else
    reported = next(
        (c._hidden_params.get("response_cost") for c in chunks if getattr(c, "usage", None)), None
    )
    assert attributes["gen_ai.usage.cost.source"] == ("provider" if reported else "local")
    if reported:
        assert attributes["gen_ai.usage.cost.amount"] == pytest.approx(reported)
    assert attributes["gen_ai.response.time_to_first_chunk"] >= 0
    assert hasattr(stream, "close") == hasattr(litellm.CustomStreamWrapper, "close")  # as without us
    if hasattr(stream, "close"):
        stream.close()
    ended_once(telemetry)


def test_async_stream(make_telemetry: Any, fake: FakeOpenAI, async_client: Any) -> None:
    telemetry = make_telemetry(capture_content=True)
    stream_reply(fake)

    async def run() -> str:
        stream = await litellm.acompletion(
            model=MODEL,
            messages=MESSAGES,
            client=async_client,
            stream=True,
            stream_options={"include_usage": True},
        )
        assert isinstance(stream, litellm.CustomStreamWrapper)
        return "".join([c.choices[0].delta.content or "" async for c in stream if c.choices])

    assert asyncio.run(run()) == "".join(PIECES)
    span = assert_conforms(telemetry, operation="chat", content=True, stream=True)
    [output] = json.loads(attrs(span)["gen_ai.output.messages"])
    assert output["parts"] == [{"type": "text", "content": "".join(PIECES)}]


@pytest.mark.skipif(
    not hasattr(litellm.CustomStreamWrapper, "aclose"), reason="CustomStreamWrapper.aclose came after 1.60"
)
def test_async_stream_closed_early(telemetry: Telemetry, fake: FakeOpenAI, async_client: Any) -> None:
    stream_reply(fake)

    async def run() -> None:
        stream = await litellm.acompletion(model=MODEL, messages=MESSAGES, client=async_client, stream=True)
        await stream.__anext__()
        assert telemetry.spans() == []
        await stream.aclose()
        await stream.aclose()

    asyncio.run(run())
    span = ended_once(telemetry)
    assert attrs(span)["gen_ai.response.finish_reasons"] == ("error",)  # no finish reason arrived
    assert span.status.status_code is StatusCode.UNSET


def test_abandoned_stream_ends_when_collected(telemetry: Telemetry, fake: FakeOpenAI, client: Any) -> None:
    stream_reply(fake)
    stream = litellm.completion(model=MODEL, messages=MESSAGES, client=client, stream=True)
    next(iter(stream))

    del stream
    gc.collect()

    ended_once(telemetry)


@pytest.mark.skipif(
    not hasattr(litellm.CustomStreamWrapper, "__enter__"),
    reason="CustomStreamWrapper is a context manager after 1.60",
)
def test_stream_with_statement(telemetry: Telemetry, fake: FakeOpenAI, client: Any) -> None:
    stream_reply(fake)

    with litellm.completion(model=MODEL, messages=MESSAGES, client=client, stream=True) as stream:
        next(stream)

    ended_once(telemetry)


# === embeddings ============================================================================================


def test_embedding(telemetry: Telemetry, fake: FakeOpenAI, client: Any) -> None:
    reply(fake, "/embeddings", embeddings_body(vectors=2, dimensions=8))

    response = litellm.embedding(model="text-embedding-3-small", input=["a", "b"], client=client)

    span = assert_conforms(telemetry, operation="embeddings")
    assert span.name == "embeddings text-embedding-3-small"
    attributes = attrs(span)
    assert attributes["gen_ai.provider.name"] == "openai"
    assert attributes["gen_ai.usage.input_tokens"] == 6
    assert attributes["gen_ai.embeddings.dimension.count"] == 8
    cost = response._hidden_params.get("response_cost")
    assert cost and attributes["gen_ai.usage.cost.amount"] == pytest.approx(cost)


def test_aembedding_is_one_span(telemetry: Telemetry, fake: FakeOpenAI, async_client: Any) -> None:
    reply(fake, "/embeddings", embeddings_body(vectors=1, dimensions=4))

    asyncio.run(
        litellm.aembedding(model="text-embedding-3-small", input=["a"], client=async_client, dimensions=4)
    )

    span = assert_conforms(telemetry, operation="embeddings")
    assert attrs(span)["gen_ai.embeddings.dimension.count"] == 4


# === Router ================================================================================================


def router(server: LoopbackServer) -> Any:
    deployment = {"model": f"openai/{MODEL}", "api_base": f"{server.url}/v1", "api_key": "sk-test"}
    return litellm.Router(
        model_list=[
            {"model_name": "fast", "litellm_params": deployment},
            {
                "model_name": "embed",
                "litellm_params": {**deployment, "model": "openai/text-embedding-3-small"},
            },
        ]
    )


def test_router_calls_are_traced(telemetry: Telemetry, server: LoopbackServer) -> None:
    server.reply("/v1/chat/completions", chat_completion("Paris."))
    server.reply("/v1/embeddings", embeddings_body(vectors=1, dimensions=4))
    routed = router(server)

    routed.completion(model="fast", messages=MESSAGES)
    asyncio.run(routed.acompletion(model="fast", messages=MESSAGES))
    routed.embedding(model="embed", input=["a"])

    chat, achat, embed = model_spans(telemetry)
    for span in (chat, achat):
        assert span.name == f"chat {MODEL}"
        assert (attrs(span)["server.address"], attrs(span)["server.port"]) == ("127.0.0.1", server.port)
        assert attrs(span)["gen_ai.response.model"] == RESPONSE_MODEL
    assert embed.name == "embeddings text-embedding-3-small"


def test_router_retry_is_one_span_per_attempt(telemetry: Telemetry, server: LoopbackServer) -> None:
    rate_limited = {
        "error": {"message": "slow down", "type": "requests", "param": None, "code": "rate_limit_exceeded"}
    }
    server.reply("/v1/chat/completions", rate_limited, status=429)
    server.reply("/v1/chat/completions", chat_completion("Paris."))
    routed = litellm.Router(
        model_list=[
            {
                "model_name": "fast",
                "litellm_params": {
                    "model": f"openai/{MODEL}",
                    "api_base": f"{server.url}/v1",
                    "api_key": "sk-test",
                },
            }
        ],
        num_retries=1,
        retry_after=0,
    )

    response = routed.completion(model="fast", messages=MESSAGES)

    assert response.choices[0].message.content == "Paris."
    failed, answered = model_spans(telemetry)
    assert attrs(failed)["error.type"] == "rate_limit_exceeded"
    assert "error.type" not in attrs(answered)
    assert len(server.requests) == 2


# === LiteLLM's own OpenTelemetry callback ==================================================================


class _Probe:
    """A logging callback registered after LiteLLM's OpenTelemetry one: once it has seen a call, LiteLLM's
    callbacks for that call have run (they run in list order), wherever LiteLLM ran them."""

    def __init__(self) -> None:
        from litellm.integrations.custom_logger import CustomLogger

        probe = self
        self.seen: dict[str, threading.Event] = {}
        self.lock = threading.Lock()

        class Probe(CustomLogger):  # type: ignore[misc]
            def log_success_event(
                self, kwargs: Any, response_obj: Any, start_time: Any, end_time: Any
            ) -> None:
                probe.mark(kwargs)

            async def async_log_success_event(
                self, kwargs: Any, response_obj: Any, start_time: Any, end_time: Any
            ) -> None:
                probe.mark(kwargs)

        self.logger = Probe()

    def event(self, call_id: str) -> threading.Event:
        with self.lock:
            return self.seen.setdefault(call_id, threading.Event())

    def mark(self, kwargs: Any) -> None:
        self.event(kwargs.get("litellm_call_id")).set()

    def wait(self, call_id: str) -> None:
        assert self.event(call_id).wait(30), "LiteLLM never logged the call"


@pytest.fixture
def litellm_otel() -> Iterator[tuple[InMemorySpanExporter, _Probe]]:
    """``litellm.callbacks = [OpenTelemetry(...)]``: what ``callbacks=["otel"]`` builds, exporting to us."""
    from litellm.integrations.opentelemetry import OpenTelemetry

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    try:
        otel = OpenTelemetry(tracer_provider=provider)
    except TypeError:
        pytest.skip(
            "this LiteLLM's OpenTelemetry logger sets the global tracer provider itself (before 1.7x)"
        )
    probe = _Probe()
    # LiteLLM copies ``callbacks`` into its success / failure lists on a call (once per logger type): a
    # clean slate for each test, and the application's lists back afterwards
    saved = {name: getattr(litellm, name) for name in _CALLBACK_LISTS}
    for name in _CALLBACK_LISTS:
        setattr(litellm, name, [])
    litellm.callbacks = [otel, probe.logger]
    yield exporter, probe
    for name, value in saved.items():
        setattr(litellm, name, value)


_CALLBACK_LISTS = (
    "callbacks",
    "input_callback",
    "success_callback",
    "failure_callback",
    "_async_success_callback",
    "_async_failure_callback",
)


def asking(marker: str) -> list[dict[str, str]]:
    """A prompt only this call sends: LiteLLM's spans quote the prompt, so they can be told apart from the
    spans of earlier tests' calls LiteLLM may still be logging."""
    return [{"role": "user", "content": f"What is the capital of France? ({marker})"}]


def litellm_spans_of(exporter: InMemorySpanExporter, marker: str) -> list[Any]:
    return [span for span in exporter.get_finished_spans() if marker in str(dict(span.attributes or {}))]


def test_litellm_otel_callback_adds_no_span(
    telemetry: Telemetry, fake: FakeOpenAI, client: Any, litellm_otel: tuple[InMemorySpanExporter, _Probe]
) -> None:
    exporter, probe = litellm_otel
    reply(fake, "/chat/completions", chat_completion("Paris."))

    traced = litellm.completion(
        model=MODEL, messages=asking("traced-1"), client=client, litellm_call_id="traced-1"
    )
    with suppress_instrumentation():  # the control: a call we do not trace still gets LiteLLM's spans
        litellm.completion(
            model=MODEL, messages=asking("control-1"), client=client, litellm_call_id="control-1"
        )
    probe.wait("traced-1")
    probe.wait("control-1")

    assert traced.choices[0].message.content == "Paris."
    assert litellm_spans_of(exporter, "traced-1") == []
    assert litellm_spans_of(exporter, "control-1")
    [ours] = telemetry.spans()
    assert not [key for key in attrs(ours) if key.startswith(("llm.", "litellm", "gen_ai.system"))]


def test_litellm_otel_callback_on_streams_and_async(
    telemetry: Telemetry,
    fake: FakeOpenAI,
    async_client: Any,
    litellm_otel: tuple[InMemorySpanExporter, _Probe],
) -> None:
    exporter, probe = litellm_otel

    async def run() -> None:
        reply(fake, "/chat/completions", chat_completion("Paris."))
        await litellm.acompletion(
            model=MODEL, messages=asking("a-1"), client=async_client, litellm_call_id="a-1"
        )
        stream_reply(fake)
        stream = await litellm.acompletion(
            model=MODEL, messages=asking("s-1"), client=async_client, stream=True, litellm_call_id="s-1"
        )
        async for _ in stream:
            pass
        # LiteLLM logs async calls on a worker of this event loop: wait with the loop running
        await asyncio.to_thread(probe.wait, "a-1")
        await asyncio.to_thread(probe.wait, "s-1")

    asyncio.run(run())

    assert litellm_spans_of(exporter, "a-1") == []
    assert litellm_spans_of(exporter, "s-1") == []
    assert len(model_spans(telemetry)) == 2


def test_uninstrument_gives_litellm_otel_its_spans_back(
    make_telemetry: Any, fake: FakeOpenAI, client: Any, litellm_otel: tuple[InMemorySpanExporter, _Probe]
) -> None:
    exporter, probe = litellm_otel
    make_telemetry()
    otel_genai.uninstrument()
    reply(fake, "/chat/completions", chat_completion("Paris."))

    litellm.completion(model=MODEL, messages=asking("after-1"), client=client, litellm_call_id="after-1")
    probe.wait("after-1")

    assert litellm_spans_of(exporter, "after-1")  # LiteLLM's own spans again


# === switched off, and failures of ours ====================================================================


def test_uninstrument_restores_the_functions(make_telemetry: Any) -> None:
    import litellm.main
    from litellm.integrations.opentelemetry import OpenTelemetry

    names = ("completion", "acompletion", "embedding", "aembedding")
    make_telemetry()
    for module in (litellm, litellm.main):
        assert all(isinstance(getattr(module, name), wrapt.FunctionWrapper) for name in names)
    assert isinstance(OpenTelemetry.__dict__["log_success_event"], wrapt.FunctionWrapper)

    otel_genai.uninstrument()

    for module in (litellm, litellm.main):
        assert not any(isinstance(getattr(module, name), wrapt.FunctionWrapper) for name in names)
    assert not isinstance(OpenTelemetry.__dict__["log_success_event"], wrapt.FunctionWrapper)


def test_a_failure_of_ours_leaves_the_call_alone(
    make_telemetry: Any, fake: FakeOpenAI, client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from otel_genai.instrumentation import litellm as ours

    telemetry = make_telemetry(instrumentors=["litellm"])  # no openai span to stand in for ours

    def broken(*args: Any) -> Any:
        raise RuntimeError("broken reader")

    monkeypatch.setattr(ours._Routes, "route", broken)
    monkeypatch.setattr(ours.ChatReader, "read", broken)
    reply(fake, "/chat/completions", chat_completion("Paris."))

    response = litellm.completion(model=MODEL, messages=MESSAGES, client=client)

    assert response.choices[0].message.content == "Paris."
    assert model_spans(telemetry) == []  # no record could be built: the call ran untraced


# === OpenAI-compatible routes, named by their server ======================================================


@pytest.mark.parametrize(
    ("model", "api_base", "provider", "request_model"),
    [
        ("openai/llama-3.1-8b-instant", "https://api.groq.com/openai/v1", "groq", "llama-3.1-8b-instant"),
        ("custom_openai/llama3", "http://127.0.0.1:11434/v1", "ollama", "llama3"),  # Ollama's port
        ("hosted_vllm/deepseek-chat", "https://api.deepseek.com/v1", "deepseek", "deepseek-chat"),
        ("openai_like/my-model", "http://127.0.0.1:9/v1", "openai_like", "my-model"),  # unknown: LiteLLM's id
        ("openai/gpt-4o-mini", "http://127.0.0.1:9/v1", "openai", "gpt-4o-mini"),  # as openai does
    ],
)
def test_openai_compatible_route_is_named_by_its_server(
    telemetry: Telemetry, model: str, api_base: str, provider: str, request_model: str
) -> None:
    litellm.completion(model=model, messages=MESSAGES, mock_response="ok", api_base=api_base)

    attributes = attrs(ended_once(telemetry))
    assert attributes["gen_ai.provider.name"] == provider
    assert attributes["gen_ai.request.model"] == request_model
    assert attributes["server.address"] == api_base.split("/")[2].rsplit(":", 1)[0]


def test_provider_hosts_name_litellm_routes(make_telemetry: Any) -> None:
    telemetry = make_telemetry(provider_hosts={"llm.internal:8000": "my_vllm"})

    litellm.completion(
        model="hosted_vllm/my-model",
        messages=MESSAGES,
        mock_response="ok",
        api_base="http://llm.internal:8000/v1",
    )
    litellm.completion(
        model="hosted_vllm/my-model", messages=MESSAGES, mock_response="ok", api_base="http://other:8000/v1"
    )

    named, unnamed = telemetry.spans()
    assert attrs(named)["gen_ai.provider.name"] == "my_vllm"
    assert attrs(unnamed)["gen_ai.provider.name"] == "vllm"


def test_routes_that_log_in_are_never_looked_up() -> None:
    """``get_llm_provider`` runs an OAuth device flow for these (network, a human): named by the prefix."""
    from otel_genai.instrumentation.litellm import _Routes

    looked_up: list[Any] = []
    routes = _Routes(lambda **kwargs: looked_up.append(kwargs) or ("m", "openai", None, None))

    chatgpt = routes.route("chatgpt/gpt-5", None, None)
    copilot = routes.route("gpt-4o", "github_copilot", None)
    routes.route("gpt-4o", None, None)

    assert (chatgpt.provider, chatgpt.model) == ("chatgpt", "gpt-5")
    assert (copilot.provider, copilot.model) == ("github_copilot", "gpt-4o")
    assert [call["model"] for call in looked_up] == ["gpt-4o"]


# === LiteLLM's OpenTelemetry callbacks, continued ==========================================================


def test_litellm_proxy_request_span_still_ends(
    telemetry: Telemetry, fake: FakeOpenAI, client: Any, litellm_otel: tuple[InMemorySpanExporter, _Probe]
) -> None:
    """On the LiteLLM proxy the callback's success method also ends the proxy's request span: passing over
    a call we traced must not leave that span open."""
    exporter, probe = litellm_otel
    [otel] = [c for c in litellm.callbacks if type(c).__name__ == "OpenTelemetry"]
    proxy_span = otel.tracer.start_span("Received Proxy Server Request")
    reply(fake, "/chat/completions", chat_completion("Paris."))

    litellm.completion(
        model=MODEL,
        messages=asking("proxy-1"),
        client=client,
        litellm_call_id="proxy-1",
        metadata={"litellm_parent_otel_span": proxy_span},
    )
    probe.wait("proxy-1")

    assert not proxy_span.is_recording()
    assert [s.name for s in exporter.get_finished_spans() if s.context == proxy_span.get_span_context()] == [
        "Received Proxy Server Request"
    ]
    assert litellm_spans_of(exporter, "proxy-1") == []  # and still no span of its own for the call


def test_litellm_otel_v2_callback_adds_no_span(
    telemetry: Telemetry,
    fake: FakeOpenAI,
    async_client: Any,
    litellm_otel: tuple[InMemorySpanExporter, _Probe],
) -> None:
    """``LITELLM_OTEL_V2=true`` makes ``callbacks=["otel"]`` the ``OpenTelemetryV2`` logger: its span opens in
    ``log_pre_api_call`` and closes in the async success callback."""
    logger_module = pytest.importorskip("litellm.integrations.otel.logger")
    exporter, probe = litellm_otel
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    litellm.callbacks = [logger_module.OpenTelemetryV2(tracer_provider=provider), probe.logger]
    reply(fake, "/chat/completions", chat_completion("Paris."))

    async def run() -> None:
        await litellm.acompletion(
            model=MODEL, messages=asking("v2-1"), client=async_client, litellm_call_id="v2-1"
        )
        with suppress_instrumentation():  # the control: a call we do not trace gets LiteLLM's span
            await litellm.acompletion(
                model=MODEL, messages=asking("v2-c"), client=async_client, litellm_call_id="v2-c"
            )
        await asyncio.to_thread(probe.wait, "v2-1")
        await asyncio.to_thread(probe.wait, "v2-c")

    asyncio.run(run())

    # this test's calls only: LiteLLM's logging worker may still be finishing an earlier test's call
    call_ids = [s.attributes.get("litellm.call_id") for s in exporter.get_finished_spans()]
    assert [i for i in call_ids if str(i).startswith("v2-")] == ["v2-c"]  # the control's only
    assert len(telemetry.spans()) == 1
