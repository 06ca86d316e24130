"""The ``gen_ai.evaluation.result`` event and the evaluation score metric.

An evaluation judges one model answer: a score, a label, an explanation. The conventions make it a log event
parented to the span it judges, so a backend shows it on that span and can join it to everything the span
carries (model, provider, release, tenant). This module emits it (``Evaluations.emit``) through the
LoggerProvider ``instrument()`` set up (built on the first evaluation when the capture mode built none), and
records ``otel_genai.evaluation.score`` by evaluation name, so rates and means can be charted and alerted on.

The judged span is the one given, else the one whose answer carried ``response_id`` (a bounded index of recent
model spans, filled as they end), else the current span. An explanation may quote what it judges, so it is
content: it goes out only when content capture is on (then through the redacting log processor), unless the
evaluator vouches that it quotes nothing (the built-ins' JSON paths and entity counts).
"""

from __future__ import annotations

import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.metrics import MeterProvider, get_meter
from opentelemetry.trace import NonRecordingSpan, Span, SpanContext

from otel_genai import semconv as sc
from otel_genai.version import __version__

logger = logging.getLogger("otel_genai")

SCOPE_NAME = "otel_genai"
# the judged span's attributes the score metric carries: what an SLO is grouped by
METRIC_DIMENSIONS = (
    sc.GEN_AI_PROVIDER_NAME,
    sc.GEN_AI_REQUEST_MODEL,
    sc.OTEL_GENAI_RELEASE_FEATURE,
    sc.OTEL_GENAI_RELEASE_VERSION,
    sc.OTEL_GENAI_TENANT_ID,
)
_INDEX_SIZE = 4096  # recent answers findable by response id
# Set by ``online.judging()``: the model calls inside are an evaluator's own (marked, never judged).
JUDGING_KEY = otel_context.create_key("otel_genai.evaluation.judging")


class ResponseIndex:
    """response id -> the span context of a recent model span, with what its score dimensions are made of
    (provider, model, LLMOps scope): an evaluation that arrives later (a user's judge, a review queue) finds
    the span it judges. Filled on every model call, so it stores references and builds no dimensions (``find``
    does, rarely); bounded, oldest out first."""

    def __init__(self, size: int = _INDEX_SIZE) -> None:
        self._size = size
        self._entries: OrderedDict[str, tuple[SpanContext, Any, Any, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def remember(self, response_id: str, context: SpanContext, record: Any) -> None:
        entry = (context, record.provider, record.request_model, record.scope)
        with self._lock:
            self._entries[response_id] = entry
            if len(self._entries) > self._size:
                self._entries.popitem(last=False)

    def find(self, response_id: str) -> tuple[SpanContext, dict[str, Any]] | None:
        with self._lock:
            found = self._entries.get(response_id)
        if found is None:
            return None
        context, provider, model, scope = found
        return context, answer_dimensions(provider, model, scope)


def answer_dimensions(provider: Any, model: Any, scope: Any) -> dict[str, Any]:
    """A model call's score dimensions: provider, model, the release (as on every metric) and the tenant
    (bounded, as on the spend metrics)."""
    dimensions = {sc.GEN_AI_PROVIDER_NAME: provider, sc.GEN_AI_REQUEST_MODEL: model}
    if scope is not None:
        dimensions.update(scope.metric)
        dimensions.update(scope.spend)
    return {key: value for key, value in dimensions.items() if value is not None and key in METRIC_DIMENSIONS}


# One per process: an answer traced by any handler (zero-code builds one per instrumentor) can be judged.
RESPONSES = ResponseIndex()


class Watchers:
    """Who wants to see evaluations as they happen (the console tree prints them under the span they judge),
    and which traces still have answers waiting for the online evaluators (so it can wait for them)."""

    def __init__(self) -> None:
        self.emitted: list[Callable[[SpanContext, dict[str, Any]], None]] = []
        self.judged: list[Callable[[int], None]] = []
        self._pending: dict[int, int] = {}
        self._lock = threading.Lock()

    def queued(self, trace_id: int) -> None:
        with self._lock:
            self._pending[trace_id] = self._pending.get(trace_id, 0) + 1

    def done(self, trace_id: int) -> None:
        with self._lock:
            left = self._pending.get(trace_id, 1) - 1
            if left > 0:
                self._pending[trace_id] = left
            else:
                self._pending.pop(trace_id, None)
        for callback in list(self.judged):
            _quietly(callback, trace_id)

    def pending(self, trace_id: int) -> bool:
        return trace_id in self._pending

    def notify(self, context: SpanContext, attributes: dict[str, Any]) -> None:
        for callback in list(self.emitted):
            _quietly(callback, context, attributes)


def _quietly(callback: Callable[..., Any], *args: Any) -> None:
    try:
        callback(*args)
    except Exception:
        logger.debug("otel_genai: an evaluation watcher failed", exc_info=True)


WATCHERS = Watchers()


def _after_fork() -> None:
    """In a forked child (a pre-fork server): locks nobody holds, and no pending judgements (the parent's
    worker judges the parent's answers). A lock held by another thread at the fork would otherwise stay held
    in the child, and the first model call's end would wait on it forever."""
    RESPONSES._lock = threading.Lock()
    WATCHERS._lock = threading.Lock()
    WATCHERS._pending.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork)


class Evaluations:
    """What ``record_evaluation`` needs from one ``instrument()``: the logger, the metric, the index."""

    def __init__(
        self,
        meter_provider: MeterProvider | None,
        logger_provider: Callable[[], Any],
        content: bool,
    ) -> None:
        meter = get_meter(SCOPE_NAME, __version__, meter_provider)
        self._score = meter.create_histogram(
            sc.METRIC_EVALUATION_SCORE,
            unit="1",
            description="Scores of evaluations of model answers, by evaluation name.",
            explicit_bucket_boundaries_advisory=list(sc.EVALUATION_SCORE_BUCKETS),
        )
        self._logger_provider = logger_provider  # built on first use
        self._logger: Any = None
        self._lock = threading.Lock()
        self.content = content  # content capture is on: explanations may go out (redacted)
        self.responses = RESPONSES

    def _event_logger(self) -> Any:
        if self._logger is None:
            with self._lock:
                if self._logger is None:
                    from opentelemetry._logs import get_logger

                    self._logger = get_logger(
                        SCOPE_NAME, __version__, logger_provider=self._logger_provider()
                    )
        return self._logger

    def emit(
        self,
        name: str,
        *,
        score: float | None = None,
        label: str | None = None,
        explanation: str | None = None,
        error_type: str | None = None,
        span: Span | None = None,
        response_id: str | None = None,
        dimensions: dict[str, Any] | None = None,
        explanation_is_content: bool = True,
    ) -> bool:
        """Emit one evaluation; False when there is no span to parent it to (nothing is emitted then).
        ``dimensions``: the judged span's metric dimensions where the caller knows them (the worker)."""
        from opentelemetry._logs import LogRecord

        context, found, response_id = self._target(span, response_id)
        if dimensions is None:
            dimensions = found
        if context is None or not context.is_valid:
            logger.debug("otel_genai: evaluation %r has no span to judge; not emitted", name)
            return False
        attributes: dict[str, Any] = {sc.GEN_AI_EVALUATION_NAME: name}
        if score is not None:
            attributes[sc.GEN_AI_EVALUATION_SCORE_VALUE] = float(score)
        if label is not None:
            attributes[sc.GEN_AI_EVALUATION_SCORE_LABEL] = label
        if explanation is not None and (self.content or not explanation_is_content):
            attributes[sc.GEN_AI_EVALUATION_EXPLANATION] = explanation
        if response_id is not None:
            attributes[sc.GEN_AI_RESPONSE_ID] = response_id
        if error_type is not None:
            attributes[sc.ERROR_TYPE] = error_type
        self._event_logger().emit(
            LogRecord(
                event_name=sc.EVENT_EVALUATION_RESULT,
                context=trace.set_span_in_context(NonRecordingSpan(context)),
                attributes=attributes,
            )
        )
        if WATCHERS.emitted:
            WATCHERS.notify(context, attributes)
        if score is not None:
            metric = {sc.GEN_AI_EVALUATION_NAME: name, **dimensions}
            if label is not None:
                metric[sc.GEN_AI_EVALUATION_SCORE_LABEL] = label
            if error_type is not None:
                metric[sc.ERROR_TYPE] = error_type
            self._score.record(float(score), metric)
        return True

    def _target(
        self, span: Span | None, response_id: str | None
    ) -> tuple[SpanContext | None, dict[str, Any], str | None]:
        """The judged span's context and dimensions: the given span, else the answer's, else the current."""
        if span is not None:
            return span.get_span_context(), dimensions_of(span), response_id
        if response_id is not None:
            found = self.responses.find(response_id)
            if found is not None:
                return found[0], found[1], response_id
        current = trace.get_current_span()
        return current.get_span_context(), dimensions_of(current), response_id


def dimensions_of(span: Any) -> dict[str, Any]:
    """The metric dimensions an SDK span (live or ended) carries; none for anything else."""
    attributes = getattr(span, "attributes", None)
    if not isinstance(attributes, Mapping):
        return {}
    return {key: attributes[key] for key in METRIC_DIMENSIONS if key in attributes}
