"""Typed invocation records: what an instrumentor learned about one call, free of attribute names.

An instrumentor fills a record from the client's request and response; the ``TelemetryHandler`` is the
only code that turns records into spans, metrics and events.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from opentelemetry.trace import Span


@dataclass(slots=True)
class Invocation:
    """Fields every GenAI client operation has."""

    operation: str
    provider: str
    request_model: str | None = None
    server_address: str | None = None
    server_port: int | None = None
    response_model: str | None = None
    response_id: str | None = None
    input_tokens: int | None = None
    # Provider refinements (``openai.*``) and anything else without a typed field; names from semconv.
    request_attributes: dict[str, Any] = field(default_factory=dict)
    response_attributes: dict[str, Any] = field(default_factory=dict)
    # Provider refinements that the conventions also put on metrics.
    metric_attributes: dict[str, Any] = field(default_factory=dict)
    # Set by the handler.
    span: Span | None = None
    start_time: float = 0.0
    error_type: str | None = None


@dataclass(slots=True)
class ToolCallRequest:
    """A tool call the model asked for (assembled from deltas when streaming)."""

    id: str | None
    name: str | None
    arguments: str | None = None


@dataclass(slots=True)
class Inference(Invocation):
    """A chat / text-completion call."""

    temperature: float | None = None
    top_p: float | None = None
    top_k: int | None = None
    max_tokens: int | None = None
    seed: int | None = None
    stop_sequences: list[str] | None = None
    frequency_penalty: float | None = None
    presence_penalty: float | None = None
    choice_count: int | None = None
    stream: bool = False
    output_type: str | None = None
    reasoning_level: str | None = None
    previous_response_id: str | None = None
    conversation_id: str | None = None

    finish_reasons: list[str] | None = None
    output_tokens: int | None = None
    cache_read_input_tokens: int | None = None
    cache_write_input_tokens: int | None = None
    reasoning_output_tokens: int | None = None
    tool_calls: list[ToolCallRequest] | None = None

    # Content: filled only when the capture mode asks for it (semconv-shaped lists of dicts).
    input_messages: list[dict[str, Any]] | None = None
    output_messages: list[dict[str, Any]] | None = None
    system_instructions: list[dict[str, Any]] | None = None
    tool_definitions: list[dict[str, Any]] | None = None

    # Streaming timings (seconds, monotonic clock).
    time_to_first_chunk: float | None = None
    chunk_intervals: list[float] | None = None


@dataclass(slots=True)
class Embedding(Invocation):
    """An embeddings call."""

    dimension_count: int | None = None
    encoding_formats: list[str] | None = None
