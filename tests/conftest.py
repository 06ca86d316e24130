"""Shared fixtures: in-memory OpenTelemetry pipelines and a real ``openai`` client answered locally.

The client is the real ``openai.OpenAI`` / ``AsyncOpenAI``; only its HTTP transport is replaced
(the ``MockTransport`` of the HTTP library the installed openai uses: httpx2 from 3.0, httpx before),
so every request goes through the SDK's own request building, retries, SSE decoding and response
parsing. Plain helpers (response bodies, ``FakeOpenAI``, subprocess helpers, schema validation) live in
``tests/helpers/``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import SimpleLogRecordProcessor
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import otel_genai
from helpers.openai_fakes import FakeOpenAI, openai_http
from helpers.schemas import validate_schema as _validate_schema
from helpers.telemetry import InMemoryLogRecordExporter, Telemetry
from otel_genai.telemetry.handler import TelemetryHandler

# LiteLLM fetches its model-price map from GitHub when imported unless told to use the copy it ships.
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

# --- OpenTelemetry pipelines --------------------------------------------------------------------


@pytest.fixture
def make_telemetry() -> Iterator[Callable[..., Telemetry]]:
    """``make_telemetry(capture_content=...)`` instruments with in-memory pipelines; undone afterwards."""
    created: list[Telemetry] = []

    def make(**instrument_kwargs: Any) -> Telemetry:
        span_exporter = InMemorySpanExporter()
        tracer_provider = TracerProvider()
        tracer_provider.add_span_processor(SimpleSpanProcessor(span_exporter))
        metric_reader = InMemoryMetricReader()
        meter_provider = MeterProvider(metric_readers=[metric_reader])
        log_exporter = InMemoryLogRecordExporter()
        logger_provider = LoggerProvider()
        logger_provider.add_log_record_processor(SimpleLogRecordProcessor(log_exporter))
        telemetry = Telemetry(
            span_exporter, metric_reader, log_exporter, tracer_provider, meter_provider, logger_provider
        )
        instrument_kwargs.setdefault("exporter", "none")
        telemetry.instrumentation = otel_genai.instrument(
            tracer_provider=tracer_provider,
            meter_provider=meter_provider,
            logger_provider=logger_provider,
            **instrument_kwargs,
        )
        created.append(telemetry)
        return telemetry

    yield make
    otel_genai.uninstrument()
    for telemetry in created:
        if telemetry.instrumentation is not None:
            telemetry.instrumentation.shutdown()


@pytest.fixture
def telemetry(make_telemetry: Callable[..., Telemetry]) -> Telemetry:
    """Instrumented, content off (the default)."""
    return make_telemetry()


@pytest.fixture
def content_telemetry(make_telemetry: Callable[..., Telemetry]) -> Telemetry:
    """Instrumented with content captured on spans."""
    return make_telemetry(capture_content=True)


# --- a local OpenAI API -------------------------------------------------------------------------


@pytest.fixture
def fake_openai() -> FakeOpenAI:
    return FakeOpenAI()


@pytest.fixture
def client(fake_openai: FakeOpenAI) -> Any:
    """A real ``openai.OpenAI`` whose HTTP is answered by ``fake_openai`` (no retries)."""
    import openai

    httpx = openai_http()
    return openai.OpenAI(
        api_key="sk-test",
        base_url="https://api.openai.com/v1",
        http_client=httpx.Client(transport=httpx.MockTransport(fake_openai)),
        max_retries=0,
    )


@pytest.fixture
def async_client(fake_openai: FakeOpenAI) -> Any:
    """A real ``openai.AsyncOpenAI`` whose HTTP is answered by ``fake_openai`` (no retries)."""
    import openai

    httpx = openai_http()
    return openai.AsyncOpenAI(
        api_key="sk-test",
        base_url="https://api.openai.com/v1",
        http_client=httpx.AsyncClient(transport=httpx.MockTransport(fake_openai)),
        max_retries=0,
    )


# --- a local Gemini API (google-genai, imported only by these fixtures: legs without it load this file) ---


@pytest.fixture
def fake_gemini() -> Iterator[Any]:
    """A loopback server answering the Gemini and Vertex AI REST APIs (``helpers.google_genai_fakes``)."""
    from helpers.google_genai_fakes import FakeGemini

    server = FakeGemini()
    yield server
    server.close()


@pytest.fixture(params=["sync", "async"])
def gemini_api(request: pytest.FixtureRequest, fake_gemini: Any) -> Any:
    """A real Gemini Developer API client answered by ``fake_gemini``: its sync and its async calls."""
    from helpers.google_genai_fakes import Api, gemini_client

    return Api(gemini_client(fake_gemini), request.param == "async")


@pytest.fixture(params=["sync", "async"])
def vertex_api(request: pytest.FixtureRequest, fake_gemini: Any) -> Any:
    """A real Vertex AI client (offline credentials) answered by ``fake_gemini``: sync and async."""
    from helpers.google_genai_fakes import Api, vertex_client

    return Api(vertex_client(fake_gemini), request.param == "async")


# --- a local Anthropic API (helpers imported inside the fixtures, as for Gemini) -------------------------


@pytest.fixture
def fake_anthropic() -> Any:
    """Answers the ``anthropic`` client's HTTP (``helpers.anthropic_fakes``)."""
    from helpers.anthropic_fakes import FakeAnthropic

    return FakeAnthropic()


@pytest.fixture(params=["sync", "async"])
def anthropic_api(request: pytest.FixtureRequest, fake_anthropic: Any) -> Any:
    """A real ``anthropic.Anthropic`` / ``AsyncAnthropic`` answered by ``fake_anthropic``: sync and async."""
    from helpers.anthropic_fakes import Api, make_client

    return Api(make_client(fake_anthropic, is_async=request.param == "async"))


# --- a local AWS Bedrock (boto3 is a dev extra: a leg without it skips the tests that ask for this) -------


@pytest.fixture
def fake_bedrock() -> Any:
    """Answers real boto3 ``bedrock-runtime`` and ``bedrock-agent-runtime`` clients (``bedrock_fakes``)."""
    fakes = pytest.importorskip("helpers.bedrock_fakes")
    return fakes.FakeBedrock()


# --- Chroma in process ----------------------------------------------------------------------------


@pytest.fixture
def chroma_client() -> Any:
    """Chroma's in-process client, emptied. Chroma keeps one per process and refuses other settings."""
    import chromadb
    from chromadb.config import Settings

    client = chromadb.EphemeralClient(settings=Settings(anonymized_telemetry=False, allow_reset=True))
    client.reset()
    return client


# --- what the handler was told ------------------------------------------------------------------


@pytest.fixture
def failures(monkeypatch: pytest.MonkeyPatch) -> list[BaseException]:
    """Every exception the handler was asked to record (spied on, behaviour unchanged)."""
    seen: list[BaseException] = []
    original = TelemetryHandler.fail

    def spy(self: TelemetryHandler, record: Any, error: BaseException) -> None:
        seen.append(error)
        original(self, record, error)

    monkeypatch.setattr(TelemetryHandler, "fail", spy)
    return seen


# --- schemas ------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def validate_schema() -> Callable[[str, Any], None]:
    """``validate_schema("gen-ai-input-messages", value)``: value (JSON text or object) against the schema."""
    return _validate_schema


# --- LLMOps state ---------------------------------------------------------------------------------


@pytest.fixture(scope="session", autouse=True)
def _llmops_state_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Models seen without a price are recorded under ``OTEL_GENAI_STATE_DIR``: a temporary directory in
    tests, never the real home's cache."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("OTEL_GENAI_STATE_DIR", str(tmp_path_factory.mktemp("otel-genai-state")))
        yield


@pytest.fixture(autouse=True)
def _forget_recognized_servers() -> Iterator[None]:
    """OpenAI-compatible servers recognised by their answers are remembered process-wide
    (``instrumentation/_servers.py``): no test inherits what another taught."""
    yield
    from otel_genai.instrumentation import _servers

    _servers.forget_recognized()
