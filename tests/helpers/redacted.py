"""``instrument()`` with in-memory exporters behind the real redacting processors: what left the process.

The redaction package (Presidio) is imported when a pipeline is made, so this module imports without it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, TypeVar

from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import SimpleLogRecordProcessor
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import otel_genai
from helpers.telemetry import InMemoryLogRecordExporter, plain

P = TypeVar("P", bound="RedactedPipeline")


@dataclass
class RedactedPipeline:
    """One ``instrument()``: its exporters, and the processors in front of them (flushed before reading)."""

    mode: str  # the capture mode
    tracer_provider: TracerProvider
    span_exporter: InMemorySpanExporter
    log_exporter: InMemoryLogRecordExporter
    processors: list[Any] = field(default_factory=list)
    instrumentation: Any = None

    def flush(self) -> None:
        for processor in self.processors:
            assert processor.force_flush(60_000) is True

    def spans(self, scope: str | None = None) -> list[ReadableSpan]:
        """What was exported, flushed first; only ``scope``'s spans if given."""
        self.flush()
        spans = list(self.span_exporter.get_finished_spans())
        return [s for s in spans if scope is None or s.instrumentation_scope.name == scope]

    def logs(self) -> list[Any]:
        self.flush()
        return list(self.log_exporter.get_finished_logs())

    def exported_texts(self, scope: str | None = None) -> list[tuple[str, str]]:
        """``(where, text)`` for every span attribute, event attribute, status description and log record
        (``scope``'s spans only, if given)."""
        texts: list[tuple[str, str]] = []
        for span in self.spans(scope):
            texts += [(f"{span.name} {key}", str(value)) for key, value in (span.attributes or {}).items()]
            for event in span.events:
                attributes = (event.attributes or {}).items()
                texts += [(f"{span.name} {event.name} {key}", str(value)) for key, value in attributes]
            texts.append((f"{span.name} status", span.status.description or ""))
        for log in self.logs():
            record = log.log_record
            attributes = (record.attributes or {}).items()
            texts += [(f"log {key}", json.dumps(plain(value), default=str)) for key, value in attributes]
            texts.append(("log body", json.dumps(record.body, default=str)))
        return texts

    @classmethod
    def start(
        cls: type[P], mode: str, *, redact_spans: bool, redact_logs: bool, **instrument_kwargs: Any
    ) -> P:
        """``instrument(capture_content=mode)`` whose spans and log records pass the real redacting processor
        where asked (a plain one otherwise). Undo with ``otel_genai.uninstrument()`` and ``shutdown()``."""
        from otel_genai.redaction import RedactingLogRecordProcessor, RedactingSpanProcessor, RedactionPolicy

        span_exporter, log_exporter = InMemorySpanExporter(), InMemoryLogRecordExporter()
        span_processor: Any = SimpleSpanProcessor(span_exporter)
        log_processor: Any = SimpleLogRecordProcessor(log_exporter)
        if redact_spans:
            span_processor = RedactingSpanProcessor(
                span_exporter, RedactionPolicy(), schedule_delay_millis=20
            )
        if redact_logs:
            log_processor = RedactingLogRecordProcessor(
                log_exporter, RedactionPolicy(), schedule_delay_millis=20
            )
        tracer_provider, logger_provider = TracerProvider(), LoggerProvider()
        tracer_provider.add_span_processor(span_processor)
        logger_provider.add_log_record_processor(log_processor)
        pipeline = cls(mode, tracer_provider, span_exporter, log_exporter, [span_processor, log_processor])
        pipeline.instrumentation = otel_genai.instrument(
            tracer_provider=tracer_provider,
            meter_provider=MeterProvider(metric_readers=[InMemoryMetricReader()]),
            logger_provider=logger_provider,
            capture_content=mode,
            exporter="none",
            **instrument_kwargs,
        )
        return pipeline

    def shutdown(self) -> None:
        if self.instrumentation is not None:
            self.instrumentation.shutdown()
        for processor in self.processors:
            processor.shutdown()
