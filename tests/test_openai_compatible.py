"""OpenAI-compatible servers reached with the real ``openai`` client: who answered is named correctly.

The base URL is looked up in the built-in table, the application's entries (``provider_hosts=`` /
``OTEL_GENAI_PROVIDER_HOSTS``) and the names given to clients (``set_provider_name``); a server nothing names
is recognised by its answers (Ollama's ``fp_ollama``, vLLM's extra fields) or stays ``openai`` with
``server.address`` saying where the call went. Only the HTTP is local.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import openai
import pytest
from opentelemetry.sdk.trace import SpanProcessor

import otel_genai
from helpers.openai_fakes import FakeOpenAI, chat_chunks, chat_completion, openai_http, sse
from helpers.telemetry import Telemetry, exported_metrics
from otel_genai.instrumentation import _servers
from otel_genai.llmops import _price_data

httpx = openai_http()
CHAT = "/chat/completions"
MESSAGES = [{"role": "user", "content": "Say hello."}]


def make_client(base_url: str, fake: FakeOpenAI, *, cls: type = openai.OpenAI, **kwargs: Any) -> Any:
    http = httpx.AsyncClient if cls is openai.AsyncOpenAI else httpx.Client
    return cls(
        api_key="sk-test",
        base_url=base_url,
        http_client=http(transport=httpx.MockTransport(fake)),
        max_retries=0,
        **kwargs,
    )


class StartAttributes(SpanProcessor):
    """The attributes each span had when it started: what a sampler saw."""

    def __init__(self) -> None:
        self.seen: list[dict[str, Any]] = []

    def on_start(self, span: Any, parent_context: Any = None) -> None:
        self.seen.append(dict(span.attributes or {}))


def provider_metric_values(telemetry: Telemetry) -> set[str]:
    duration = exported_metrics(telemetry.metric_reader)["gen_ai.client.operation.duration"]
    return {point.attributes["gen_ai.provider.name"] for point in duration.data.data_points}


# --- the table ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("base_url", "provider", "address", "port"),
    [
        ("https://api.groq.com/openai/v1", "groq", "api.groq.com", 443),
        ("https://api.deepseek.com", "deepseek", "api.deepseek.com", 443),
        ("https://api.x.ai/v1", "x_ai", "api.x.ai", 443),
        ("https://api.perplexity.ai", "perplexity", "api.perplexity.ai", 443),
        ("https://api.mistral.ai/v1", "mistral_ai", "api.mistral.ai", 443),
        (
            "https://generativelanguage.googleapis.com/v1beta/openai/",
            "gcp.gemini",
            "generativelanguage.googleapis.com",
            443,
        ),
        (
            "https://contoso.services.ai.azure.com/models",
            "azure.ai.inference",
            "contoso.services.ai.azure.com",
            443,
        ),
        (
            "https://contoso.services.ai.azure.com/openai/v1",
            "azure.ai.openai",
            "contoso.services.ai.azure.com",
            443,
        ),
        ("https://models.inference.ai.azure.com", "azure.ai.inference", "models.inference.ai.azure.com", 443),
        ("https://contoso.openai.azure.com/openai/v1", "azure.ai.openai", "contoso.openai.azure.com", 443),
        ("https://openrouter.ai/api/v1", "openrouter", "openrouter.ai", 443),
        ("https://api.together.xyz/v1", "together_ai", "api.together.xyz", 443),
        ("https://api.fireworks.ai/inference/v1", "fireworks_ai", "api.fireworks.ai", 443),
        ("https://bedrock-runtime.us-west-2.amazonaws.com/openai/v1", "aws.bedrock", None, 443),
        ("http://localhost:11434/v1", "ollama", "localhost", 11434),
        ("http://gpu-box.lan:11434/v1", "ollama", "gpu-box.lan", 11434),
        ("https://api.openai.com/v1", "openai", "api.openai.com", 443),
        ("https://llm-gateway.corp.example/v1", "openai", "llm-gateway.corp.example", 443),
        ("http://10.0.0.7:8000/v1", "openai", "10.0.0.7", 8000),
    ],
)
def test_the_base_url_names_the_provider(
    telemetry: Telemetry, base_url: str, provider: str, address: str | None, port: int
) -> None:
    fake = FakeOpenAI()
    fake.reply(CHAT, chat_completion(model="some-model"))
    client = make_client(base_url, fake)

    client.chat.completions.create(model="some-model", messages=MESSAGES)

    span = telemetry.span()
    assert span.attributes["gen_ai.provider.name"] == provider
    assert span.attributes["server.port"] == port
    if address is not None:
        assert span.attributes["server.address"] == address
    assert provider_metric_values(telemetry) == {provider}


def test_a_compatible_provider_is_priced_with_its_own_table(telemetry: Telemetry) -> None:
    """A Groq model called through the openai client costs what Groq charges (its table row), which an
    ``openai`` label could not find."""
    model = "llama-3.1-8b-instant"
    row = next(row for name, _clause, row in _price_data.MODELS["groq"] if name == model)
    input_price, output_price = row[0], row[3]
    fake = FakeOpenAI()
    usage = {"prompt_tokens": 1000, "completion_tokens": 500, "total_tokens": 1500}
    fake.reply(CHAT, chat_completion(model=model, usage=usage))
    client = make_client("https://api.groq.com/openai/v1", fake)

    client.chat.completions.create(model=model, messages=MESSAGES)

    attributes = telemetry.span().attributes
    assert attributes["gen_ai.provider.name"] == "groq"
    assert attributes["gen_ai.usage.cost.source"] == "local"
    expected = (1000 * input_price + 500 * output_price) / 1_000_000
    assert attributes["gen_ai.usage.cost.amount"] == pytest.approx(expected)


# --- the application's entries and names --------------------------------------------------------


def test_provider_hosts_argument_names_a_private_server(make_telemetry: Callable[..., Telemetry]) -> None:
    telemetry = make_telemetry(provider_hosts={"llm.internal:8000": "vllm", "*.corp.example": "mistral_ai"})
    fake = FakeOpenAI()
    fake.reply(CHAT, chat_completion())
    fake.reply(CHAT, chat_completion())
    fake.reply(CHAT, chat_completion())

    make_client("http://llm.internal:8000/v1", fake).chat.completions.create(model="m", messages=MESSAGES)
    make_client("https://eu.corp.example/v1", fake).chat.completions.create(model="m", messages=MESSAGES)
    # the port is part of the entry: another port of the same host is not that server
    make_client("http://llm.internal:9000/v1", fake).chat.completions.create(model="m", messages=MESSAGES)

    providers = [span.attributes["gen_ai.provider.name"] for span in telemetry.spans()]
    assert providers == ["vllm", "mistral_ai", "openai"]


def test_an_entry_of_the_application_wins_over_the_table(make_telemetry: Callable[..., Telemetry]) -> None:
    """A company proxy answering at a well-known host name (split DNS) is what the application says."""
    telemetry = make_telemetry(provider_hosts={"api.groq.com": "internal_proxy"})
    fake = FakeOpenAI()
    fake.reply(CHAT, chat_completion())

    make_client("https://api.groq.com/openai/v1", fake).chat.completions.create(model="m", messages=MESSAGES)

    assert telemetry.span().attributes["gen_ai.provider.name"] == "internal_proxy"


def test_provider_hosts_from_the_environment(
    make_telemetry: Callable[..., Telemetry],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv("OTEL_GENAI_PROVIDER_HOSTS", "llm.internal=vllm, not-a-pair ,gw.example:8443=x_ai")
    with caplog.at_level(logging.WARNING, logger="otel_genai"):
        telemetry = make_telemetry()
    assert any("not-a-pair" in record.getMessage() for record in caplog.records)
    fake = FakeOpenAI()
    fake.reply(CHAT, chat_completion())
    fake.reply(CHAT, chat_completion())

    make_client("http://llm.internal/v1", fake).chat.completions.create(model="m", messages=MESSAGES)
    make_client("https://gw.example:8443/v1", fake).chat.completions.create(model="m", messages=MESSAGES)

    assert [span.attributes["gen_ai.provider.name"] for span in telemetry.spans()] == ["vllm", "x_ai"]


@pytest.mark.parametrize(
    ("pattern", "base_url"),
    [
        ("http://llm.internal:8000/v1", "http://llm.internal:8000/v1"),  # pasted as a URL
        ("[fd00::7]:8000", "http://[fd00::7]:8000/v1"),
        ("llm.internal/v2", "http://llm.internal/v2/"),
    ],
)
def test_provider_hosts_patterns(
    make_telemetry: Callable[..., Telemetry], pattern: str, base_url: str
) -> None:
    telemetry = make_telemetry(provider_hosts={pattern: "vllm"})
    fake = FakeOpenAI()
    fake.reply(CHAT, chat_completion())

    make_client(base_url, fake).chat.completions.create(model="m", messages=MESSAGES)

    assert telemetry.span().attributes["gen_ai.provider.name"] == "vllm"


def test_the_argument_wins_over_the_environment(
    make_telemetry: Callable[..., Telemetry], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OTEL_GENAI_PROVIDER_HOSTS", "llm.internal=vllm")
    telemetry = make_telemetry(provider_hosts={"llm.internal": "ollama"})
    fake = FakeOpenAI()
    fake.reply(CHAT, chat_completion())

    make_client("http://llm.internal/v1", fake).chat.completions.create(model="m", messages=MESSAGES)

    assert telemetry.span().attributes["gen_ai.provider.name"] == "ollama"


@pytest.mark.parametrize("bad", [{"": "vllm"}, {"llm.internal": " "}, {"llm.internal": 3}])
def test_a_malformed_provider_hosts_argument_raises(bad: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="provider_hosts"):
        otel_genai.instrument(exporter="none", provider_hosts=bad)
    otel_genai.uninstrument()


def test_set_provider_name_names_one_client(telemetry: Telemetry) -> None:
    fake = FakeOpenAI()
    for _ in range(3):
        fake.reply(CHAT, chat_completion())
    named = make_client("http://10.0.0.7:8000/v1", fake)
    other = make_client("http://10.0.0.7:8000/v1", fake)

    assert otel_genai.set_provider_name(named, "vllm") is named
    named.chat.completions.create(model="m", messages=MESSAGES)
    other.chat.completions.create(model="m", messages=MESSAGES)
    # a client already used, then named: its next call has the name (the cached lookup is redone)
    otel_genai.set_provider_name(other, "together_ai")
    other.chat.completions.create(model="m", messages=MESSAGES)

    assert [span.attributes["gen_ai.provider.name"] for span in telemetry.spans()] == [
        "vllm",
        "openai",
        "together_ai",
    ]


def test_set_provider_name_wins_over_the_client_class(telemetry: Telemetry) -> None:
    fake = FakeOpenAI()
    fake.reply(CHAT, chat_completion())
    client = openai.AzureOpenAI(
        api_key="k",
        api_version="2024-10-21",
        base_url="https://apim.corp.example/openai/deployments/gpt-4o",
        http_client=httpx.Client(transport=httpx.MockTransport(fake)),
        max_retries=0,
    )
    otel_genai.set_provider_name(client, "azure.ai.inference")

    client.chat.completions.create(model="gpt-4o", messages=MESSAGES)

    assert telemetry.span().attributes["gen_ai.provider.name"] == "azure.ai.inference"


@pytest.mark.parametrize("name", ["", "  ", None])
def test_set_provider_name_refuses_an_empty_name(name: Any) -> None:
    with pytest.raises(ValueError):
        otel_genai.set_provider_name(object(), name)


# --- recognised by the answer -------------------------------------------------------------------


def ollama_answer() -> dict[str, Any]:
    """What Ollama's /v1/chat/completions returns (its OpenAI layer: ``fp_ollama``, no service tier)."""
    body = chat_completion(
        model="llama3.2", usage={"prompt_tokens": 26, "completion_tokens": 9, "total_tokens": 35}
    )
    body["id"] = "chatcmpl-219"
    body["system_fingerprint"] = "fp_ollama"
    del body["service_tier"]
    return body


def vllm_answer() -> dict[str, Any]:
    """What vLLM's OpenAI server returns: its own fields beside OpenAI's."""
    body = chat_completion(model="Qwen/Qwen2.5-7B-Instruct")
    body["id"] = "chatcmpl-5f1b0e3f2c9b4f7c9d1e2a3b4c5d6e7f"
    body["choices"][0]["stop_reason"] = None
    body["prompt_logprobs"] = None
    body["kv_transfer_params"] = None
    body["service_tier"] = None
    body["system_fingerprint"] = None
    return body


@pytest.mark.parametrize(("answer", "provider"), [(ollama_answer, "ollama"), (vllm_answer, "vllm")])
def test_a_local_server_is_recognised_by_its_answer(
    telemetry: Telemetry,
    answer: Callable[[], dict[str, Any]],
    provider: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    starts = StartAttributes()
    telemetry.tracer_provider.add_span_processor(starts)
    fake = FakeOpenAI()
    fake.reply(CHAT, answer())
    fake.reply(CHAT, answer())
    client = make_client("http://gpu-box.lan:8000/v1", fake)

    with caplog.at_level(logging.WARNING, logger="otel_genai"):
        client.chat.completions.create(model="m", messages=MESSAGES)
        client.chat.completions.create(model="m", messages=MESSAGES)

    first, second = telemetry.spans()
    # the first call learns it as it ends; the next one starts with it (what a sampler sees)
    assert first.attributes["gen_ai.provider.name"] == provider
    assert starts.seen[0]["gen_ai.provider.name"] == "openai"
    assert starts.seen[1]["gen_ai.provider.name"] == provider
    assert second.attributes["gen_ai.provider.name"] == provider
    assert provider_metric_values(telemetry) == {provider}
    # a model on one's own hardware has no price: no cost, and no warning about a missing price
    assert "gen_ai.usage.cost.amount" not in first.attributes
    assert not [record for record in caplog.records if "price" in record.getMessage().lower()]


def test_a_streamed_vllm_answer_is_recognised(telemetry: Telemetry) -> None:
    chunks = chat_chunks(["Hel", "lo"])
    for chunk in chunks:
        chunk["model"] = "Qwen/Qwen2.5-7B-Instruct"
        chunk.pop("system_fingerprint")
        chunk.pop("service_tier")
    chunks[-1]["choices"][0]["stop_reason"] = None  # vLLM's last choice says why it stopped
    fake = FakeOpenAI()
    fake.reply(CHAT, stream=sse(chunks))
    client = make_client("http://gpu-box.lan:8000/v1", fake)

    text = "".join(
        chunk.choices[0].delta.content or ""
        for chunk in client.chat.completions.create(model="m", messages=MESSAGES, stream=True)
        if chunk.choices
    )

    assert text == "Hello"
    assert telemetry.span().attributes["gen_ai.provider.name"] == "vllm"


async def test_an_async_ollama_stream_is_recognised(telemetry: Telemetry) -> None:
    chunks = chat_chunks(["Hi"])
    for chunk in chunks:
        chunk["system_fingerprint"] = "fp_ollama"
    fake = FakeOpenAI()
    fake.reply(CHAT, stream=sse(chunks))
    client = make_client("http://localhost:8080/v1", fake, cls=openai.AsyncOpenAI)

    stream = await client.chat.completions.create(model="m", messages=MESSAGES, stream=True)
    async for _chunk in stream:
        pass

    assert telemetry.span().attributes["gen_ai.provider.name"] == "ollama"


@pytest.mark.parametrize(
    ("base_url", "provider"),
    [("https://api.openai.com/v1", "openai"), ("https://api.groq.com/openai/v1", "groq")],
)
def test_an_answer_never_renames_a_server_the_url_names(
    telemetry: Telemetry, base_url: str, provider: str
) -> None:
    fake = FakeOpenAI()
    fake.reply(CHAT, vllm_answer())
    fake.reply(CHAT, ollama_answer())
    client = make_client(base_url, fake)

    client.chat.completions.create(model="m", messages=MESSAGES)
    client.chat.completions.create(model="m", messages=MESSAGES)

    assert [span.attributes["gen_ai.provider.name"] for span in telemetry.spans()] == [provider, provider]


def test_a_named_client_keeps_its_name_whatever_it_answers(telemetry: Telemetry) -> None:
    fake = FakeOpenAI()
    fake.reply(CHAT, ollama_answer())
    client = otel_genai.set_provider_name(make_client("http://gpu-box.lan:8000/v1", fake), "my_gateway")

    client.chat.completions.create(model="m", messages=MESSAGES)

    assert telemetry.span().attributes["gen_ai.provider.name"] == "my_gateway"


# --- the table itself ---------------------------------------------------------------------------


def test_every_table_entry_is_reachable() -> None:
    """An entry shadowed by an earlier, broader one would never answer: each pattern's own host (with its
    port and path) must be looked up to that entry's provider."""
    table = _servers.ServerTable()
    for pattern, provider in _servers.KNOWN_SERVERS:
        host_glob, port, path, _ = _servers._parse_pattern(pattern, provider)
        host = host_glob.replace("*", "example")
        assert table.known_provider(host, port or 443, path) == provider, pattern


def test_the_table_names_only_well_known_or_documented_providers() -> None:
    """Every provider the table names is a semconv well-known value or one the README documents."""
    from pathlib import Path

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    for _pattern, provider in _servers.KNOWN_SERVERS:
        assert f"`{provider}`" in readme, provider
