"""The one place that turns invocation records into spans, metrics and events.

Instrumentors call ``start`` before the client call, then exactly one of ``finish`` or ``fail``. Nothing
here may break the host application: every public method catches its own failures and logs them at
debug level.
"""

from __future__ import annotations

import logging
import timeit
from collections.abc import Iterator
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.metrics import MeterProvider
from opentelemetry.trace import SpanKind, Status, StatusCode, TracerProvider

from otel_genai import semconv as sc
from otel_genai._config import Settings
from otel_genai.telemetry.content import CaptureMode, limit_parts, to_json
from otel_genai.telemetry.metrics import GenAIMetrics, operation_attributes
from otel_genai.telemetry.records import Embedding, Inference, Invocation
from otel_genai.version import __version__

logger = logging.getLogger("otel_genai")

SCOPE_NAME = "otel_genai"
_clock = timeit.default_timer  # perf_counter


class TelemetryHandler:
    """Maps records to GenAI semconv spans, metrics and (per the capture mode) events."""

    def __init__(
        self,
        settings: Settings,
        tracer_provider: TracerProvider | None = None,
        meter_provider: MeterProvider | None = None,
        logger_provider: Any = None,
    ) -> None:
        self.settings = settings
        self.capture_mode: CaptureMode = settings.capture_mode
        # Instrumentors check this before building any content.
        self.capture_content: bool = settings.capture_mode.captures
        self.tool_definition_details = settings.tool_definition_details
        # Streams collect chunk intervals only for the time_per_output_chunk metric.
        self.chunk_timing: bool = settings.chunk_timing_metric
        self._tracer = trace.get_tracer(SCOPE_NAME, __version__, tracer_provider)
        self.metrics = GenAIMetrics(SCOPE_NAME, meter_provider)
        self._event_logger = None
        if self.capture_mode.on_event:
            from opentelemetry._logs import get_logger

            self._event_logger = get_logger(SCOPE_NAME, __version__, logger_provider=logger_provider)

    # --- lifecycle -----------------------------------------------------------------------------

    def start(self, record: Invocation) -> object | None:
        """Start the record's span and make it current; returns the token for ``detach``."""
        try:
            attributes = _start_attributes(record)
            name = f"{record.operation} {record.request_model}" if record.request_model else record.operation
            record.span = self._tracer.start_span(name, kind=SpanKind.CLIENT, attributes=attributes)
            record.start_time = _clock()
            return otel_context.attach(trace.set_span_in_context(record.span))
        except Exception:
            logger.debug("otel_genai: could not start a span", exc_info=True)
            return None

    def wants_content(self, record: Invocation) -> bool:
        """Whether to build this call's content: capture is on and something will record it.

        A span the sampler dropped records nothing, so its content is not even built (events, when the
        mode asks for them, are emitted whatever the sampler decided).
        """
        if not self.capture_content:
            return False
        if self.capture_mode.on_event:
            return True
        span = record.span
        return span is not None and span.is_recording()

    @staticmethod
    def detach(token: object | None) -> None:
        if token is not None:
            try:
                otel_context.detach(token)  # type: ignore[arg-type]
            except Exception:
                logger.debug("otel_genai: could not detach the context", exc_info=True)

    def finish(self, record: Invocation) -> None:
        """End the span with everything the response taught us, and record the metrics."""
        self._end(record, None)

    def fail(self, record: Invocation, error: BaseException) -> None:
        """End the span as failed: status ERROR, ``error.type``, the exception recorded."""
        self._end(record, error)

    def _end(self, record: Invocation, error: BaseException | None) -> None:
        span = record.span
        if span is None:
            return
        record.span = None  # finish and fail act once
        duration = _clock() - record.start_time
        if error is not None:
            record.error_type = record.error_type or _error_type(error)
        try:
            if span.is_recording():
                attributes = _response_attributes(record)
                if self.capture_mode.on_span:
                    attributes.update(self._content(record))
                span.set_attributes(attributes)
                if error is not None:
                    span.record_exception(error)
                if record.error_type:  # raised, or returned a failure (e.g. a failed response)
                    span.set_status(Status(StatusCode.ERROR, (error and str(error)) or record.error_type))
        except Exception:
            logger.debug("otel_genai: could not describe a span", exc_info=True)
        _end_quietly(span)
        try:
            self.metrics.record(record, duration, span)
            if self._event_logger is not None:  # a failed call's input is content too
                self._emit_event(record, span)
        except Exception:
            logger.debug("otel_genai: could not record metrics or the event", exc_info=True)

    # --- pieces --------------------------------------------------------------------------------

    def _content(self, record: Invocation) -> dict[str, str]:
        """Content attributes for the span, as JSON strings."""
        if not isinstance(record, Inference):
            return {}
        limit = self.settings.max_content_length
        return {name: to_json(limit_parts(value, limit)) for name, value in _content_fields(record) if value}

    def _emit_event(self, record: Invocation, span: Any) -> None:
        """The opt-in ``gen_ai.client.inference.operation.details`` event, with structured content."""
        from opentelemetry._logs import LogRecord

        attributes = _start_attributes(record)
        attributes.update(_response_attributes(record))
        if isinstance(record, Inference):
            limit = self.settings.max_content_length
            for name, value in _content_fields(record):
                if value:
                    attributes[name] = limit_parts(value, limit)  # structured on events
        self._event_logger.emit(  # type: ignore[union-attr]
            LogRecord(
                event_name=sc.EVENT_INFERENCE_DETAILS,
                context=trace.set_span_in_context(span),
                attributes=attributes,
            )
        )


def _content_fields(record: Inference) -> tuple[tuple[str, list[dict[str, Any]] | None], ...]:
    return (
        (sc.GEN_AI_INPUT_MESSAGES, record.input_messages),
        (sc.GEN_AI_OUTPUT_MESSAGES, record.output_messages),
        (sc.GEN_AI_SYSTEM_INSTRUCTIONS, record.system_instructions),
        (sc.GEN_AI_TOOL_DEFINITIONS, record.tool_definitions),
    )


def _start_attributes(record: Invocation) -> dict[str, Any]:
    """The attributes known before the call (the sampling-relevant ones among them)."""
    attributes = operation_attributes(record)
    if isinstance(record, Inference):
        for name, value in _inference_request_fields(record):
            if value is not None:
                attributes[name] = value
        if record.stream:
            attributes[sc.GEN_AI_REQUEST_STREAM] = True
    elif isinstance(record, Embedding) and record.encoding_formats:
        attributes[sc.GEN_AI_REQUEST_ENCODING_FORMATS] = record.encoding_formats
    if record.request_attributes:
        attributes.update(record.request_attributes)
    return attributes


def _inference_request_fields(record: Inference) -> Iterator[tuple[str, Any]]:
    yield sc.GEN_AI_REQUEST_TEMPERATURE, record.temperature
    yield sc.GEN_AI_REQUEST_TOP_P, record.top_p
    yield sc.GEN_AI_REQUEST_TOP_K, record.top_k
    yield sc.GEN_AI_REQUEST_MAX_TOKENS, record.max_tokens
    yield sc.GEN_AI_REQUEST_SEED, record.seed
    yield sc.GEN_AI_REQUEST_STOP_SEQUENCES, record.stop_sequences
    yield sc.GEN_AI_REQUEST_FREQUENCY_PENALTY, record.frequency_penalty
    yield sc.GEN_AI_REQUEST_PRESENCE_PENALTY, record.presence_penalty
    if record.choice_count is not None and record.choice_count != 1:
        yield sc.GEN_AI_REQUEST_CHOICE_COUNT, record.choice_count
    yield sc.GEN_AI_OUTPUT_TYPE, record.output_type
    yield sc.GEN_AI_REQUEST_REASONING_LEVEL, record.reasoning_level
    yield sc.GEN_AI_REQUEST_PREVIOUS_RESPONSE_ID, record.previous_response_id
    yield sc.GEN_AI_CONVERSATION_ID, record.conversation_id


def _response_attributes(record: Invocation) -> dict[str, Any]:
    attributes: dict[str, Any] = {}
    if record.response_model:
        attributes[sc.GEN_AI_RESPONSE_MODEL] = record.response_model
    if record.response_id:
        attributes[sc.GEN_AI_RESPONSE_ID] = record.response_id
    if record.input_tokens is not None:
        attributes[sc.GEN_AI_USAGE_INPUT_TOKENS] = record.input_tokens
    if record.error_type:
        attributes[sc.ERROR_TYPE] = record.error_type
    if isinstance(record, Inference):
        for name, value in (
            (sc.GEN_AI_RESPONSE_FINISH_REASONS, record.finish_reasons),
            (sc.GEN_AI_USAGE_OUTPUT_TOKENS, record.output_tokens),
            (sc.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS, record.cache_read_input_tokens),
            (sc.GEN_AI_USAGE_CACHE_WRITE_INPUT_TOKENS, record.cache_write_input_tokens),
            (sc.GEN_AI_USAGE_REASONING_OUTPUT_TOKENS, record.reasoning_output_tokens),
            (sc.GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK, record.time_to_first_chunk),
        ):
            if value is not None:
                attributes[name] = value
        if record.tool_calls:
            attributes[sc.OTEL_GENAI_RESPONSE_TOOL_CALL_COUNT] = len(record.tool_calls)
            attributes[sc.OTEL_GENAI_RESPONSE_TOOL_CALL_NAMES] = [c.name or "" for c in record.tool_calls]
            ids = [c.id for c in record.tool_calls if c.id]
            if ids:
                attributes[sc.OTEL_GENAI_RESPONSE_TOOL_CALL_IDS] = ids
    elif isinstance(record, Embedding) and record.dimension_count is not None:
        attributes[sc.GEN_AI_EMBEDDINGS_DIMENSION_COUNT] = record.dimension_count
    if record.response_attributes:
        attributes.update(record.response_attributes)
    return attributes


def _error_type(error: BaseException) -> str:
    """The provider's error code when the exception carries one, else the exception's type."""
    code = getattr(error, "code", None)
    if isinstance(code, str) and code:
        return code
    return type(error).__qualname__


def _end_quietly(span: Any) -> None:
    try:
        span.end()
    except Exception:
        logger.debug("otel_genai: could not end a span", exc_info=True)
