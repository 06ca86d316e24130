"""The ``gen_ai.client.*`` metrics.

Recorded on the calling thread when a span ends. The SDK cleans and hashes the attribute set on every
``Histogram.record`` (about 6 µs plus 1 µs per attribute here), and the conventions record
``time_per_output_chunk`` once per chunk after the first: that was most of what a stream cost us. A process
records the same few attribute sets again and again (all of a stream's intervals share one), so each
histogram is wrapped in an ``_sdk_internals.HistogramRecorder``: a set's first value through
``Histogram.record``, later ones straight to the aggregations it reached (the same exported points and
exemplars, about a third of the cost). A model call's attribute sets (duration, tokens, cost, a stream's
timings) depend only on what identifies the call (model, server, scope, error), so they are built once per
kind of call into an ``_sdk_internals.RecordPlan``, which also checks the meter and makes the SDK's exemplar
decision once per call instead of once per value. The chunk metric can still be turned off
(``OTEL_GENAI_CHUNK_TIMING_METRIC=false``). We tried a background thread for all of this: it lowered the
median latency of a call but not the CPU it costs, and added GIL stalls; see ``docs/architecture.md``.
"""

from __future__ import annotations

from typing import Any

from opentelemetry.metrics import MeterProvider, get_meter
from opentelemetry.trace import Span, set_span_in_context

from otel_genai import semconv as sc
from otel_genai._sdk_internals import HistogramRecorder, RecordPlan
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

# Kinds of call (model, server, scope, error...) whose attribute sets are kept, per GenAIMetrics; calls of
# more kinds build theirs each time.
_PLANS = 1024
_NO_ATTRIBUTES: dict[str, Any] = {}


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
        self._plans: dict[tuple[Any, ...], tuple[RecordPlan, dict[str, Any]]] = {}

    def record(self, record: Invocation, duration: float, span: Span | None = None) -> None:
        """Record one finished invocation; the span's context lets trace-based exemplars point at it."""
        context = set_span_in_context(span) if span is not None else None
        if is_database_call(record):
            self._db_duration.record(duration, database_attributes(record), context)
            return
        scope = record.scope
        if isinstance(record, (AgentInvocation, WorkflowInvocation)):
            self._record_invocation(record, duration, scope, context)
            return
        if isinstance(record, ToolExecution):
            tool_attributes = _tool_metric_attributes(record)
            if scope is not None and scope.metric:
                tool_attributes.update(scope.metric)
            self._tool_duration.record(duration, tool_attributes, context)
            return
        outcome = record.outcome  # llmops.engine.Outcome: cost and drift
        cost = outcome.cost if outcome is not None else None
        plan, attributes = self._plan(record, cost.currency if cost is not None else None)
        if record.error_type:
            values: tuple[Any, ...] = (duration,)
        else:
            amount = cost.amount if cost is not None else None
            if isinstance(record, Inference):
                chunks = record.chunk_intervals or None  # collected only when the metric is on
                values = (
                    duration,
                    record.input_tokens,
                    amount,
                    record.output_tokens,
                    record.time_to_first_chunk,
                    chunks,
                )
            else:
                values = (duration, record.input_tokens, amount)
        plan.record(values, context)
        if outcome is not None and outcome.drift:
            self._record_drift(outcome.drift, attributes)

    def _plan(self, record: Invocation, currency: Any) -> tuple[RecordPlan, dict[str, Any]]:
        """The plan of the calls like this one (the same attribute sets), made on the first; and the
        duration's attributes. Past ``_PLANS`` kinds of call, or with an unhashable attribute value, one for
        this call only (each set then found by its recorder, as before plans)."""
        key = _plan_key(record, currency)
        try:
            known = self._plans.get(key)
        except TypeError:  # a list among the attribute values
            return self._new_plan(record, currency)
        if known is None:
            known = self._new_plan(record, currency)
            if len(self._plans) < _PLANS:
                self._plans[key] = known
        return known

    def _new_plan(self, record: Invocation, currency: Any) -> tuple[RecordPlan, dict[str, Any]]:
        """Each histogram a call like this one records into, with its attribute set: duration, input
        tokens, cost, then for a chat call output tokens and a stream's time to first chunk and per chunk."""
        scope = record.scope  # llmops.engine.Derived: release (all metrics); tenant, feature, prompt (spend)
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
            return RecordPlan([(self._duration, attributes, False)]), attributes
        spend = {**attributes, **scope.spend} if scope is not None and scope.spend else attributes
        targets = [
            (self._duration, attributes, False),
            (self._token_usage, {**spend, sc.TOKEN_TYPE: sc.TOKEN_TYPE_INPUT}, False),
            (self._cost, {**spend, sc.GEN_AI_USAGE_COST_CURRENCY: currency}, False),
        ]
        if isinstance(record, Inference):
            # The conventions add the provider refinements (openai.*) to token and duration metrics only.
            chunk_attributes = attributes
            if record.metric_attributes:
                chunk_attributes = {k: v for k, v in attributes.items() if k not in record.metric_attributes}
            targets += [
                (self._token_usage, {**spend, sc.TOKEN_TYPE: sc.TOKEN_TYPE_OUTPUT}, False),
                (self._time_to_first_chunk, chunk_attributes, False),
                (self._time_per_output_chunk, chunk_attributes, True),
            ]
        return RecordPlan(targets), attributes

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


def _plan_key(record: Invocation, currency: Any) -> tuple[Any, ...]:
    """All that a model call's metric attribute sets depend on, told apart as the SDK tells attribute values
    apart (``True`` from ``1``: each value's type is part of the key). The scope's metric and spend
    attributes count by value: ``llmops`` derives them once per scope object, but a request that opens its
    own scope (a tenant, a user) makes a new one."""
    scope = record.scope
    scoped, spend = (scope.metric, scope.spend) if scope is not None else (_NO_ATTRIBUTES, _NO_ATTRIBUTES)
    refinements = record.metric_attributes
    values = (
        record.operation,
        record.provider,
        record.request_model,
        record.server_address,
        record.server_port,
        record.response_model,
        record.error_type,
        record.db_system if isinstance(record, Retrieval) else None,
        currency,
        *refinements.values(),
        *scoped.values(),
        *spend.values(),
    )
    return type(record), tuple(refinements), tuple(scoped), tuple(spend), values, tuple(map(type, values))


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
