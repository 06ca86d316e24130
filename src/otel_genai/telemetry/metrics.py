"""The ``gen_ai.client.*`` metrics.

Recorded on the calling thread when a span ends. The SDK cleans and hashes the attribute set on every
``Histogram.record`` (about 6 µs plus 1 µs per attribute here), and the conventions record
``time_per_output_chunk`` once per chunk after the first: that was most of what a stream cost us. A process
records the same few attribute sets again and again (all of a stream's intervals share one), so each
histogram is wrapped in an ``_sdk_internals.HistogramRecorder``: a set's first value through
``Histogram.record``, later ones straight to the aggregations it reached (the same exported points and
exemplars, about a third of the cost). The chunk metric can still be turned off
(``OTEL_GENAI_CHUNK_TIMING_METRIC=false``). We tried a background thread for all of this: it lowered the
median latency of a call but not the CPU it costs, and added GIL stalls; see ``docs/architecture.md``.
"""

from __future__ import annotations

from typing import Any

from opentelemetry.metrics import MeterProvider, get_meter
from opentelemetry.trace import Span, set_span_in_context

from otel_genai import semconv as sc
from otel_genai._sdk_internals import HistogramRecorder
from otel_genai.telemetry.records import (
    AgentInvocation,
    Inference,
    Invocation,
    Retrieval,
    StoreCall,
    ToolExecution,
    WorkflowInvocation,
    is_database_call,
)
from otel_genai.version import __version__


def operation_attributes(record: Invocation) -> dict[str, Any]:
    """What identifies an operation on its span (from the start, for samplers) and on every metric."""
    attributes: dict[str, Any] = {sc.GEN_AI_OPERATION_NAME: record.operation}
    if record.provider:
        attributes[sc.GEN_AI_PROVIDER_NAME] = record.provider
    if record.request_model:
        attributes[sc.GEN_AI_REQUEST_MODEL] = record.request_model
    if record.server_address:
        attributes[sc.SERVER_ADDRESS] = record.server_address
    if record.server_port:
        attributes[sc.SERVER_PORT] = record.server_port
    return attributes


class GenAIMetrics:
    """Owns the GenAI client instruments."""

    def __init__(self, scope_name: str, meter_provider: MeterProvider | None = None) -> None:
        meter = get_meter(scope_name, __version__, meter_provider)

        def histogram(
            name: str, unit: str, description: str, buckets: tuple[float, ...]
        ) -> HistogramRecorder:
            return HistogramRecorder(
                meter.create_histogram(
                    name,
                    unit=unit,
                    description=description,
                    explicit_bucket_boundaries_advisory=list(buckets),
                )
            )

        self._token_usage = histogram(
            sc.METRIC_TOKEN_USAGE, "{token}", "Number of input and output tokens used.", sc.TOKEN_BUCKETS
        )
        self._duration = histogram(
            sc.METRIC_OPERATION_DURATION, "s", "GenAI operation duration.", sc.DURATION_BUCKETS
        )
        self._time_to_first_chunk = histogram(
            sc.METRIC_TIME_TO_FIRST_CHUNK,
            "s",
            "Time to receive the first chunk of a streaming response.",
            sc.DURATION_BUCKETS,
        )
        self._time_per_output_chunk = histogram(
            sc.METRIC_TIME_PER_OUTPUT_CHUNK,
            "s",
            "Time between consecutive chunks of a streaming response, after the first one.",
            sc.DURATION_BUCKETS,
        )
        self._tool_duration = histogram(
            sc.METRIC_EXECUTE_TOOL_DURATION, "s", "Duration of tool executions.", sc.DURATION_BUCKETS
        )
        self._cost = histogram(
            sc.METRIC_OPERATION_COST,
            "{USD}",
            "Cost of GenAI operations (tokens x price, or the price the provider reported).",
            sc.COST_BUCKETS,
        )
        self._drift = meter.create_counter(
            sc.METRIC_RELEASE_DRIFT,
            unit="{call}",
            description="Calls that differ from their release manifest, by kind of drift.",
        )
        self._agent_duration = histogram(
            sc.METRIC_INVOKE_AGENT_DURATION, "s", "Duration of agent invocations.", sc.AGENT_DURATION_BUCKETS
        )
        self._workflow_duration = histogram(
            sc.METRIC_INVOKE_WORKFLOW_DURATION,
            "s",
            "Duration of workflow invocations.",
            sc.WORKFLOW_DURATION_BUCKETS,
        )
        self._db_duration = histogram(
            sc.METRIC_DB_OPERATION_DURATION,
            "s",
            "Duration of database client operations.",
            sc.DB_DURATION_BUCKETS,
        )

    def record(self, record: Invocation, duration: float, span: Span | None = None) -> None:
        """Record one finished invocation; the span's context lets trace-based exemplars point at it."""
        context = set_span_in_context(span) if span is not None else None
        if is_database_call(record):
            self._db_duration.record(duration, database_attributes(record), context)
            return
        scope = record.scope  # llmops.engine.Derived: release (all metrics); tenant, feature, prompt (spend)
        if isinstance(record, (AgentInvocation, WorkflowInvocation)):
            self._record_invocation(record, duration, scope, context)
            return
        if isinstance(record, ToolExecution):
            tool_attributes = _tool_metric_attributes(record)
            if scope is not None and scope.metric:
                tool_attributes.update(scope.metric)
            self._tool_duration.record(duration, tool_attributes, context)
            return
        attributes = operation_attributes(record)
        if scope is not None and scope.metric:
            attributes.update(scope.metric)
        if isinstance(record, Retrieval) and record.db_system:
            attributes[sc.DB_SYSTEM_NAME] = record.db_system
        if record.response_model:
            attributes[sc.GEN_AI_RESPONSE_MODEL] = record.response_model
        if record.metric_attributes:
            attributes.update(record.metric_attributes)
        if record.error_type:
            attributes[sc.ERROR_TYPE] = record.error_type
        self._duration.record(duration, attributes, context)
        outcome = record.outcome  # llmops.engine.Outcome: cost and drift
        if outcome is not None and outcome.drift:
            self._record_drift(outcome.drift, attributes)
        if record.error_type:
            return

        spend = {**attributes, **scope.spend} if scope is not None and scope.spend else attributes
        if record.input_tokens is not None:
            input_attributes = {**spend, sc.TOKEN_TYPE: sc.TOKEN_TYPE_INPUT}
            self._token_usage.record(record.input_tokens, input_attributes, context)
        if outcome is not None and outcome.cost is not None:
            cost = outcome.cost
            cost_attributes = {**spend, sc.GEN_AI_USAGE_COST_CURRENCY: cost.currency}
            self._cost.record(cost.amount, cost_attributes, context)
        if not isinstance(record, Inference):
            return
        if record.output_tokens is not None:
            output_attributes = {**spend, sc.TOKEN_TYPE: sc.TOKEN_TYPE_OUTPUT}
            self._token_usage.record(record.output_tokens, output_attributes, context)
        if record.time_to_first_chunk is None and not record.chunk_intervals:
            return
        # The conventions add the provider refinements (openai.*) to token and duration metrics only.
        chunk_attributes = attributes
        if record.metric_attributes:
            chunk_attributes = {k: v for k, v in attributes.items() if k not in record.metric_attributes}
        if record.time_to_first_chunk is not None:
            self._time_to_first_chunk.record(record.time_to_first_chunk, chunk_attributes, context)
        if record.chunk_intervals:  # collected only when the metric is on
            self._time_per_output_chunk.record_values(record.chunk_intervals, chunk_attributes, context)

    def _record_invocation(
        self, record: AgentInvocation | WorkflowInvocation, duration: float, scope: Any, context: Any
    ) -> None:
        """An agent's or a workflow's duration (not ``gen_ai.client.operation.duration``: in-process work is
        not a client operation; its model calls record their own)."""
        if isinstance(record, AgentInvocation):
            instrument = self._agent_duration
            attributes = present(
                (sc.GEN_AI_OPERATION_NAME, record.operation),
                (sc.GEN_AI_PROVIDER_NAME, record.provider),
                (sc.GEN_AI_AGENT_NAME, record.agent_name),
                (sc.GEN_AI_REQUEST_MODEL, record.request_model),
                (sc.SERVER_ADDRESS, record.server_address),
                (sc.SERVER_PORT, record.server_port),
                (sc.ERROR_TYPE, record.error_type),
            )
        else:
            instrument = self._workflow_duration
            attributes = present(
                (sc.GEN_AI_OPERATION_NAME, record.operation),
                (sc.GEN_AI_WORKFLOW_NAME, record.workflow_name),
                (sc.ERROR_TYPE, record.error_type),
            )
        if scope is not None and scope.metric:
            attributes.update(scope.metric)
        instrument.record(duration, attributes, context)

    def _record_drift(self, kinds: list[str], attributes: dict[str, Any]) -> None:
        """One count per kind: the release, the operation and the provider say where."""
        base = {
            name: attributes[name]
            for name in (
                sc.OTEL_GENAI_RELEASE_FEATURE,
                sc.OTEL_GENAI_RELEASE_VERSION,
                sc.GEN_AI_OPERATION_NAME,
                sc.GEN_AI_PROVIDER_NAME,
            )
            if name in attributes
        }
        for kind in kinds:
            self._drift.add(1, {**base, sc.OTEL_GENAI_RELEASE_DRIFT_KIND: kind})


def present(*pairs: tuple[str, Any]) -> dict[str, Any]:
    """The ``(name, value)`` pairs whose value is set, as attributes."""
    return {name: value for name, value in pairs if value}


def database_attributes(record: StoreCall) -> dict[str, Any]:
    """What identifies a store call on its span and on ``db.client.operation.duration``."""
    return present(
        (sc.DB_SYSTEM_NAME, record.db_system),
        (sc.DB_COLLECTION_NAME, record.collection),
        (sc.DB_NAMESPACE, record.namespace),
        (sc.DB_OPERATION_NAME, record.db_operation),
        (sc.SERVER_ADDRESS, record.server_address),
        (sc.SERVER_PORT, record.server_port),
        (sc.ERROR_TYPE, record.error_type),
    )


def _tool_metric_attributes(record: ToolExecution) -> dict[str, Any]:
    """``gen_ai.execute_tool.duration``'s attributes: the operation, the tool, and how it ended."""
    return present(
        (sc.GEN_AI_OPERATION_NAME, record.operation),
        (sc.GEN_AI_TOOL_NAME, record.tool_name),
        (sc.GEN_AI_TOOL_TYPE, record.tool_type),
        (sc.ERROR_TYPE, record.error_type),
    )
