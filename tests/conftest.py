"""Shared fixtures: in-memory OpenTelemetry pipelines and a real ``openai`` client answered locally.

The client is the real ``openai.OpenAI`` / ``AsyncOpenAI``; only its HTTP transport is replaced
(``httpx2.MockTransport``, the transport openai 3.x really uses), so every request goes through the SDK's
own request building, retries, SSE decoding and response parsing.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter, SimpleLogRecordProcessor
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import otel_genai

# The semconv JSON schemas (v1.41.1), copied from the team's shared reference.
SCHEMAS = Path(__file__).resolve().parent / "schemas"


# --- OpenTelemetry pipelines --------------------------------------------------------------------


@dataclass
class Telemetry:
    """What one instrumented test emitted."""

    span_exporter: InMemorySpanExporter
    metric_reader: InMemoryMetricReader
    log_exporter: InMemoryLogRecordExporter
    tracer_provider: TracerProvider
    meter_provider: MeterProvider
    logger_provider: LoggerProvider
    instrumentation: Any = None

    def spans(self) -> list[ReadableSpan]:
        return list(self.span_exporter.get_finished_spans())

    def span(self) -> ReadableSpan:
        """The one span the test expects."""
        spans = self.spans()
        assert len(spans) == 1, [s.name for s in spans]
        return spans[0]

    def logs(self) -> list[Any]:
        return list(self.log_exporter.get_finished_logs())

    def metrics(self) -> dict[str, list[Any]]:
        """Metric name -> data points."""
        return metric_points(self.metric_reader)


def metric_points(reader: InMemoryMetricReader) -> dict[str, list[Any]]:
    """Metric name -> the data points ``reader`` has collected."""
    points: dict[str, list[Any]] = {}
    data = reader.get_metrics_data()
    for resource_metrics in data.resource_metrics if data else ():
        for scope_metrics in resource_metrics.scope_metrics:
            for metric in scope_metrics.metrics:
                points.setdefault(metric.name, []).extend(metric.data.data_points)
    return points


def redacted_entity_counts(reader: InMemoryMetricReader) -> Counter:
    """Entity type -> the ``otel_genai.redaction.entities`` counter's total."""
    counts: Counter = Counter()
    for point in metric_points(reader).get("otel_genai.redaction.entities", ()):
        counts[point.attributes["otel_genai.redaction.entity_type"]] += point.value
    return counts


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

MODEL = "gpt-4o-mini"
RESPONSE_MODEL = "gpt-4o-mini-2024-07-18"


def chat_completion(
    content: str | None = "Hello! How can I help?",
    *,
    choices: list[dict[str, Any]] | None = None,
    tool_calls: list[dict[str, Any]] | None = None,
    finish_reason: str = "stop",
    usage: dict[str, Any] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A ``chat.completion`` body."""
    if choices is None:
        message: dict[str, Any] = {"role": "assistant", "content": content}
        if tool_calls:
            message["tool_calls"] = tool_calls
        choices = [{"index": 0, "message": message, "finish_reason": finish_reason, "logprobs": None}]
    body = {
        "id": "chatcmpl-abc123",
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": RESPONSE_MODEL,
        "choices": choices,
        "usage": usage
        if usage is not None
        else {
            "prompt_tokens": 31,
            "completion_tokens": 58,
            "total_tokens": 89,
            "prompt_tokens_details": {"cached_tokens": 12},
            "completion_tokens_details": {"reasoning_tokens": 7},
        },
        "service_tier": "default",
        "system_fingerprint": "fp_44709d6fcb",
    }
    body.update(extra)
    return body


def tool_call(call_id: str, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": json.dumps(arguments)}}


def chat_chunks(
    words: list[str],
    *,
    finish_reason: str = "stop",
    include_usage: bool = False,
    tool_call_deltas: list[dict[str, Any]] | None = None,
) -> list[dict[str, Any]]:
    """``chat.completion.chunk`` bodies for a streamed answer made of ``words``."""
    base = {
        "id": "chatcmpl-stream1",
        "object": "chat.completion.chunk",
        "created": 1_700_000_000,
        "model": RESPONSE_MODEL,
        "system_fingerprint": "fp_44709d6fcb",
        "service_tier": "default",
    }

    def chunk(delta: dict[str, Any], reason: str | None = None) -> dict[str, Any]:
        return {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": reason, "logprobs": None}]}

    chunks = [chunk({"role": "assistant", "content": ""})]
    chunks += [chunk({"content": word}) for word in words]
    for delta in tool_call_deltas or ():
        chunks.append(chunk({"tool_calls": [delta]}))
    chunks.append(chunk({}, finish_reason))
    if include_usage:
        chunks.append(
            {
                **base,
                "choices": [],
                "usage": {"prompt_tokens": 31, "completion_tokens": 58, "total_tokens": 89},
            }
        )
    return chunks


def sse(events: list[dict[str, Any]], *, done: bool = True, named: bool = False) -> bytes:
    """Server-sent events; ``named`` adds ``event:`` lines (the Responses API does)."""
    lines = []
    for event in events:
        if named:
            lines.append(f"event: {event['type']}\n")
        lines.append(f"data: {json.dumps(event)}\n\n")
    if done:
        lines.append("data: [DONE]\n\n")
    return "".join(lines).encode()


def responses_body(
    text: str = "Paris is the capital of France.",
    *,
    output: list[dict[str, Any]] | None = None,
    status: str = "completed",
    **extra: Any,
) -> dict[str, Any]:
    """A Responses API ``response`` object."""
    if output is None:
        output = [
            {
                "type": "message",
                "id": "msg_1",
                "status": "completed",
                "role": "assistant",
                "content": [{"type": "output_text", "text": text, "annotations": []}],
            }
        ]
    body = {
        "id": "resp_123",
        "object": "response",
        "created_at": 1_700_000_000,
        "model": RESPONSE_MODEL,
        "status": status,
        "output": output,
        "parallel_tool_calls": True,
        "tool_choice": "auto",
        "tools": [],
        "usage": {
            "input_tokens": 20,
            "output_tokens": 9,
            "total_tokens": 29,
            "input_tokens_details": {"cached_tokens": 4},
            "output_tokens_details": {"reasoning_tokens": 2},
        },
        "service_tier": "default",
    }
    body.update(extra)
    return body


def embeddings_body(vectors: int = 2, dimensions: int = 8) -> dict[str, Any]:
    return {
        "object": "list",
        "model": "text-embedding-3-small",
        "data": [
            {"object": "embedding", "index": i, "embedding": [0.01 * (i + 1)] * dimensions}
            for i in range(vectors)
        ],
        "usage": {"prompt_tokens": 6, "total_tokens": 6},
    }


@dataclass
class FakeOpenAI:
    """Answers the SDK's HTTP requests from a queue of canned responses, and keeps the requests."""

    routes: dict[str, list[Any]] = field(default_factory=dict)
    requests: list[Any] = field(default_factory=list)

    def reply(self, path: str, body: Any = None, *, status: int = 200, stream: bytes | None = None,
              headers: dict[str, str] | None = None, error: BaseException | None = None) -> None:  # fmt: skip
        """Queue an answer for ``path`` (e.g. ``/chat/completions``): JSON, SSE bytes, or an exception.

        Answers are served in order; the last one stays and answers every later request.
        """
        self.routes.setdefault(path, []).append((body, status, stream, headers or {}, error))

    def __call__(self, request: Any) -> Any:
        import httpx2

        self.requests.append(request)
        path = request.url.path.removeprefix("/v1")
        queue = self.routes.get(path)
        if not queue:
            return httpx2.Response(404, json={"error": {"message": f"no canned answer for {path}"}})
        body, status, stream, headers, error = queue.pop(0) if len(queue) > 1 else queue[0]
        if error is not None:
            raise error
        if stream is not None:
            return httpx2.Response(
                status, content=stream, headers={"content-type": "text/event-stream", **headers}
            )
        return httpx2.Response(status, json=body, headers=headers)

    def last_json(self) -> dict[str, Any]:
        return json.loads(self.requests[-1].content)


@pytest.fixture
def fake_openai() -> FakeOpenAI:
    return FakeOpenAI()


@pytest.fixture
def client(fake_openai: FakeOpenAI) -> Any:
    """A real ``openai.OpenAI`` whose HTTP is answered by ``fake_openai`` (no retries)."""
    import httpx2
    import openai

    return openai.OpenAI(
        api_key="sk-test",
        base_url="https://api.openai.com/v1",
        http_client=httpx2.Client(transport=httpx2.MockTransport(fake_openai)),
        max_retries=0,
    )


@pytest.fixture
def async_client(fake_openai: FakeOpenAI) -> Any:
    """A real ``openai.AsyncOpenAI`` whose HTTP is answered by ``fake_openai`` (no retries)."""
    import httpx2
    import openai

    return openai.AsyncOpenAI(
        api_key="sk-test",
        base_url="https://api.openai.com/v1",
        http_client=httpx2.AsyncClient(transport=httpx2.MockTransport(fake_openai)),
        max_retries=0,
    )


# --- Chroma in process ----------------------------------------------------------------------------


@pytest.fixture
def chroma_client() -> Any:
    """Chroma's in-process client, emptied. Chroma keeps one per process and refuses other settings."""
    import chromadb
    from chromadb.config import Settings

    client = chromadb.EphemeralClient(settings=Settings(anonymized_telemetry=False, allow_reset=True))
    client.reset()
    return client


# --- schemas ------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def validate_schema() -> Callable[[str, Any], None]:
    """``validate_schema("gen-ai-input-messages", value)``: value (JSON text or object) against the schema."""
    import jsonschema

    cache: dict[str, Any] = {}

    def validate(name: str, value: Any) -> None:
        if name not in cache:
            schema = json.loads((SCHEMAS / f"{name}.json").read_text())
            cache[name] = jsonschema.validators.validator_for(schema)(schema)
        document = json.loads(value) if isinstance(value, str) else value
        cache[name].validate(document)

    return validate


# --- subprocesses ---------------------------------------------------------------------------------


def unused_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def subprocess_env() -> dict[str, str]:
    """This environment without OTEL_*, exporting nowhere fast if anything is exported at all."""
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    env.update(
        {
            "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{unused_port()}",
            "OTEL_EXPORTER_OTLP_TIMEOUT": "1",
            "OTEL_METRICS_EXPORTER": "none",
            "OTEL_LOGS_EXPORTER": "none",
            "PYTHONDONTWRITEBYTECODE": "1",
        }
    )
    return env


def collect_runs(running: dict[str, tuple[Any, Any]], timeout: float) -> dict[str, dict[str, Any]]:
    """Waits for subprocesses started together: name -> {"returncode", "stdout", "stderr", "result"},
    where "result" is the JSON the program wrote to its output path (None if it wrote none)."""
    import subprocess

    results: dict[str, dict[str, Any]] = {}
    for name, (process, output) in running.items():
        try:
            stdout, stderr = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            stdout, stderr = process.communicate()
        results[name] = {
            "returncode": process.returncode,
            "stdout": stdout,
            "stderr": stderr,
            "result": json.loads(output.read_text()) if output.exists() else None,
        }
    return results


def json_documents(text: str) -> list[dict[str, Any]]:
    """The JSON documents printed one after another (the SDK's console exporters print one per item)."""
    decoder, documents, position = json.JSONDecoder(), [], 0
    while (start := text.find("{", position)) != -1:
        document, position = decoder.raw_decode(text, start)
        documents.append(document)
    return documents


def trace_children(lines: Iterable[str]) -> list[str]:
    """The names of the root span's children in a trace printed as a tree (``├─ name  ...`` lines)."""
    return [line[3:].split("  ")[0] for line in lines if line.startswith(("├─ ", "└─ "))]
