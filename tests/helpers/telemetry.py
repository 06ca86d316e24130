"""In-memory OpenTelemetry pipelines: what one instrumented test emitted."""

from __future__ import annotations

import asyncio
import inspect
import json
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pytest
from opentelemetry._logs import LogRecord
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

# LogRecord(exception=...) (the SDK fills exception.* attributes from it) is new in opentelemetry-api 1.42.
NEEDS_LOG_EXCEPTIONS = pytest.mark.skipif(
    "exception" not in inspect.signature(LogRecord.__init__).parameters,
    reason="LogRecord(exception=...) is new in opentelemetry-api 1.42",
)


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


def exported_metrics(reader: InMemoryMetricReader) -> dict[str, Any]:
    """Metric name -> the exported metric (name, unit, data points)."""
    found = {}
    data = reader.get_metrics_data()
    for resource_metrics in data.resource_metrics if data else ():
        for scope_metrics in resource_metrics.scope_metrics:
            for metric in scope_metrics.metrics:
                found[metric.name] = metric
    return found


def redacted_entity_counts(reader: InMemoryMetricReader) -> Counter[str]:
    """Entity type -> the ``otel_genai.redaction.entities`` counter's total."""
    counts: Counter[str] = Counter()
    for point in metric_points(reader).get("otel_genai.redaction.entities", ()):
        counts[point.attributes["otel_genai.redaction.entity_type"]] += point.value
    return counts


# --- reading what a test emitted (module functions: a test file imports what it uses) ----------------

DURATION = "gen_ai.client.operation.duration"


def attributes(span: ReadableSpan) -> dict[str, Any]:
    return dict(span.attributes or {})


# What the LLMOps layer adds to every model span whatever the provider (cost, fingerprints, release, prompt,
# attribution; tests/test_llmops*.py hold those to account): left out where a provider's test checks that
# its reader sets exactly the attributes it should.
LLMOPS_ATTRIBUTES = (
    "gen_ai.usage.cost.",
    "otel_genai.usage.cost.",
    "otel_genai.prompt.fingerprint",
    "otel_genai.tool.definitions.fingerprint",
    "otel_genai.release.",
    "gen_ai.prompt.",
    "otel_genai.tenant.",
    "otel_genai.feature",
    "session.id",
    "enduser.",
)


def reader_attributes(span: ReadableSpan) -> dict[str, Any]:
    """The span's attributes without the LLMOps layer's (``LLMOPS_ATTRIBUTES``)."""
    return {
        name: value
        for name, value in (span.attributes or {}).items()
        if not name.startswith(LLMOPS_ATTRIBUTES)
    }


def points(telemetry: Telemetry, name: str) -> list[Any]:
    """The data points of one metric (none when it was never recorded)."""
    return telemetry.metrics().get(name, [])


def ended_once(telemetry: Telemetry) -> ReadableSpan:
    """The one span, ended exactly once: one exported span and one duration measurement."""
    span = telemetry.span()
    assert span.end_time is not None
    assert sum(p.count for p in points(telemetry, DURATION)) == 1
    return span


def span_content(span: ReadableSpan, name: str) -> Any:
    """A content attribute on a span: JSON text there, returned parsed."""
    value = (span.attributes or {})[name]
    assert isinstance(value, str), f"{name} should be JSON text on spans"
    return json.loads(value)


def plain(value: Any) -> Any:
    """Event attribute values (tuples, mappings) as JSON-shaped lists and dicts."""
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, Mapping):
        return {k: plain(v) for k, v in value.items()}
    return value


async def settle(telemetry: Telemetry, spans: int = 1) -> None:
    """Let the event loop finalise abandoned async generators (a bounded number of turns, no sleeping)."""
    for _ in range(20):
        if len(telemetry.spans()) >= spans:
            return
        await asyncio.sleep(0)
