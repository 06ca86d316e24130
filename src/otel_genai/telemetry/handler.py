"""The one place that turns invocation records into spans, metrics and events.

Instrumentors call ``start`` before the client call, then exactly one of ``finish`` or ``fail``. The
handler owns the lifecycle (the span, the context keys, the metrics, the event); what each record type
becomes is its mapping's business (``attributes.py``), what a retrieval adopts from the store calls
under it is ``retrieval.py``'s, and how a failure is written is ``errors.py``'s. Nothing here may break
the host application: every public method catches its own failures and logs them at debug level.
"""

from __future__ import annotations

import logging
import timeit
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.instrumentation.utils import is_instrumentation_enabled
from opentelemetry.metrics import MeterProvider
from opentelemetry.trace import Span, TracerProvider

from otel_genai import semconv as sc
from otel_genai._config import Settings
from otel_genai.evaluation.events import JUDGING_KEY as _JUDGING_KEY
from otel_genai.evaluation.events import RESPONSES, Evaluations, answer_dimensions
from otel_genai.llmops.engine import LLMOps
from otel_genai.telemetry import attributes as record_attributes
from otel_genai.telemetry.attributes import EndOptions, RecordMapping, changed, mapping_for
from otel_genai.telemetry.content import CaptureMode
from otel_genai.telemetry.errors import error_type, record_error
from otel_genai.telemetry.metrics import GenAIMetrics
from otel_genai.telemetry.records import (
    AgentInvocation,
    Inference,
    Invocation,
    Retrieval,
    ToolExecution,
    is_database_call,
)
from otel_genai.telemetry.retrieval import adopt_store_calls
from otel_genai.version import __version__

logger = logging.getLogger("otel_genai")

SCOPE_NAME = "otel_genai"
_clock = timeit.default_timer  # perf_counter
# The retrieval whose span is open in this context: store calls under it become its database spans.
_RETRIEVAL_KEY = otel_context.create_key("otel_genai.retrieval")
# The tool execution whose span is open: the same tool run inside it (a decorated function called by
# run_tool) is that execution, not another one.
_TOOL_KEY = otel_context.create_key("otel_genai.tool")
# The agents whose spans are open in this context (outermost first): the model calls under them add their
# usage to every one of them.
_AGENTS_KEY = otel_context.create_key("otel_genai.agents")
# A model call whose span stands for the SDK calls made inside it (LiteLLM calling the openai SDK): those
# run untraced, so one logical call is one span (``owning`` / ``owning_model_call``).
_MODEL_CALL_KEY = otel_context.create_key("otel_genai.model_call")


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
        # release, prompt, attribution, cost, drift (``llmops/engine.py``)
        self.llmops = LLMOps(settings)
        self._event_logger = None
        if self.capture_mode.on_event:
            from opentelemetry._logs import get_logger

            self._event_logger = get_logger(SCOPE_NAME, __version__, logger_provider=logger_provider)
        # ``instrument()`` sets this when it built no LoggerProvider: evaluations build one on first use
        self.logger_provider_factory: Any = None
        self._logger_provider = logger_provider
        # record_evaluation's event, metric and response index (``evaluation/events.py``)
        self.evaluations = Evaluations(
            meter_provider, self._evaluation_logger_provider, settings.capture_mode.captures
        )
        self.online: Any = None  # the online evaluators (``evaluation/online.py``), when configured
        if settings.evaluators:
            from otel_genai.evaluation.online import OnlineEvaluation

            self.online = OnlineEvaluation(
                settings.evaluators,
                settings.evaluation_sample_rate,
                self.evaluations,
                settings.capture_mode.captures,
            )
        self._end_options = EndOptions(
            content=self.capture_mode.on_span,
            document_ids=settings.retrieval_document_ids,
            limit=settings.max_content_length,
        )

    def _evaluation_logger_provider(self) -> Any:
        if self._logger_provider is None and self.logger_provider_factory is not None:
            self._logger_provider = self.logger_provider_factory()
        return self._logger_provider  # None: the global LoggerProvider

    # --- lifecycle -----------------------------------------------------------------------------

    def start(self, record: Invocation, current: Context | None = None) -> object | None:
        """Start the record's span and make it current; returns the token for ``detach``. ``current``: the
        context the call runs in, when the caller has it already (every lookup here reads that one)."""
        try:
            if current is None:
                current = otel_context.get_current()
            if is_database_call(record):
                enclosing = self.active_retrieval()
                if enclosing is not None:
                    enclosing.store_calls.append(record)
            scoped = self.llmops.begin(record, current)  # release, prompt and attribution (llmops/engine.py)
            mapping = mapping_for(record)
            attributes = mapping.start(record)
            if scoped:
                attributes.update(scoped)
            record.span = self._tracer.start_span(
                mapping.span_name(record),
                context=current,
                kind=mapping.span_kind(record),
                attributes=attributes,
            )
            record.start_time = _clock()
            context = trace.set_span_in_context(record.span, current)
            if isinstance(record, Retrieval):
                context = otel_context.set_value(_RETRIEVAL_KEY, record, context)
            elif isinstance(record, ToolExecution):
                context = otel_context.set_value(_TOOL_KEY, record, context)
            elif isinstance(record, Inference):
                record.agents = current.get(_AGENTS_KEY) or ()  # type: ignore[assignment]
                if self.online is not None:
                    record.evaluate = self.online.sampled()
                if current.get(_JUDGING_KEY) is True:
                    record.span.set_attribute(sc.OTEL_GENAI_EVALUATION_JUDGE, True)
            elif isinstance(record, AgentInvocation):
                outer: Any = current.get(_AGENTS_KEY) or ()
                context = otel_context.set_value(_AGENTS_KEY, (*outer, record), context)
            return otel_context.attach(context)
        except Exception:
            logger.debug("otel_genai: could not start a span", exc_info=True)
            return None

    @staticmethod
    def active_tool(name: str | None = None) -> ToolExecution | None:
        """The tool execution whose span is the current span (nothing opened under it), if any; with
        ``name``, only that tool's: a run of the same tool right inside it (``run_tool`` calling a ``@tool``
        function, a LangChain tool, an MCP call) is that execution, not another one."""
        if not is_instrumentation_enabled():
            return None
        record = otel_context.get_value(_TOOL_KEY)
        if not isinstance(record, ToolExecution) or record.span is None:
            return None
        if name is not None and record.tool_name != name:
            return None
        return record if trace.get_current_span() is record.span else None

    @staticmethod
    def owning_model_call(current: Context | None = None) -> Invocation | None:
        """The model call of a routing library (LiteLLM) this call is made inside (``current``: the call's
        context, when the caller has it), if any: a provider SDK call there is part of it, not a call of its
        own."""
        record = otel_context.get_value(_MODEL_CALL_KEY, current)
        return record if isinstance(record, Invocation) and record.span is not None else None

    @staticmethod
    def owning(record: Invocation) -> _Owning:
        """What a routing library's call runs inside: the model calls made under it join ``record``."""
        return _Owning(record)

    @staticmethod
    def active_retrieval() -> Retrieval | None:
        """The retrieval whose span is open in the current context, if any."""
        record = otel_context.get_value(_RETRIEVAL_KEY)
        return record if isinstance(record, Retrieval) and record.span is not None else None

    def wants_content(self, record: Invocation) -> bool:
        """Whether to build this call's content: capture is on and something will record it.

        A span the sampler dropped records nothing, so its content is not even built (events, when the
        mode asks for them, are emitted whatever the sampler decided).
        """
        if not self.capture_content or is_database_call(record):
            # a call the online evaluators judge has its content built (never exported for them)
            return getattr(record, "evaluate", False) is True
        if getattr(record, "evaluate", False) is True:
            return True
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
            record.error_type = record.error_type or error_type(error)
        mapping = None
        try:
            if isinstance(record, Inference) and record.agents:
                for agent in record.agents:
                    agent.add_usage(record)
            mapping = mapping_for(record)
            if isinstance(record, Retrieval):
                self._learned_at_end(record, span)
            options = self._end_options
            recording = span.is_recording()
            # cost and drift are worked out for the metrics even when the span is not sampled
            llmops = self.llmops.end(record, recording, options.content)
            if recording:
                attributes = mapping.end(record, span, options)
                if llmops:
                    attributes.update(llmops)
                span.set_attributes(attributes)
                if record.error_type:  # raised, or returned a failure (e.g. a failed response)
                    record_error(span, error, record.error_type, with_message=options.content)
        except Exception:
            logger.debug("otel_genai: could not describe a span", exc_info=True)
        # before the span ends: an exporter that runs as it ends (the console tree behind a simple processor)
        # then already knows its answer is being judged, and holds its trace for the results
        if isinstance(record, Inference) and (record.response_id or record.evaluate):
            self._remember_answer(record, span)
        elif self.online is not None and isinstance(record, Retrieval):
            self._remember_documents(record, span)
        _end_quietly(span)
        try:
            self.metrics.record(record, duration, span)
            # a failed call's input is content too
            if self._event_logger is not None and mapping is not None and mapping.has_event:
                self._emit_event(record, span, mapping)
        except Exception:
            logger.debug("otel_genai: could not record metrics or the event", exc_info=True)

    # --- pieces --------------------------------------------------------------------------------

    def _remember_answer(self, record: Inference, span: Span) -> None:
        """The answer's span, findable by its response id for an evaluation that comes later; and the answer
        itself to the online evaluators, when they judge it."""
        try:
            context = span.get_span_context()
            if record.response_id:
                RESPONSES.remember(record.response_id, context, record)
            if record.evaluate and self.online is not None:
                dimensions = answer_dimensions(record.provider, record.request_model, record.scope)
                self.online.submit(record, context, dimensions)
        except Exception:
            logger.debug("otel_genai: could not index or evaluate an answer", exc_info=True)

    def _remember_documents(self, record: Retrieval, span: Span) -> None:
        """A retrieval's document texts (none without content capture: then only that the trace had one),
        for the groundedness of the answers later in its trace."""
        try:
            texts = [document.content for document in record.documents or () if document.content]
            self.online.remember_documents(span.get_span_context().trace_id, texts)
        except Exception:
            logger.debug("otel_genai: could not keep a retrieval's documents", exc_info=True)

    def _learned_at_end(self, record: Retrieval, span: Span) -> None:
        """What a retrieval learned as it ran, on its span too: what the store calls under it found
        (``retrieval.py``), else the release's index as its data source (``llmops``)."""
        renamed = bool(record.store_calls) and adopt_store_calls(record)
        renamed = self.llmops.default_data_source(record) or renamed
        if renamed:
            span.update_name(record_attributes.span_name(record))
        if (record.store_calls or renamed) and span.is_recording():
            span.set_attributes(changed(span, record_attributes.start_attributes(record)))

    def _emit_event(self, record: Invocation, span: Span, mapping: RecordMapping[Any]) -> None:
        """The opt-in ``gen_ai.client.inference.operation.details`` event, with structured content."""
        from opentelemetry._logs import LogRecord

        attributes = mapping.event(record, self.settings.max_content_length)
        attributes.update(self.llmops.event_attributes(record))
        self._event_logger.emit(  # type: ignore[union-attr]
            LogRecord(
                event_name=sc.EVENT_INFERENCE_DETAILS,
                context=trace.set_span_in_context(span),
                attributes=attributes,
            )
        )


class _Owning:
    """A context manager that marks the model calls under it as part of one record's call."""

    __slots__ = ("record", "token")

    def __init__(self, record: Invocation) -> None:
        self.record = record
        self.token: object | None = None

    def __enter__(self) -> Invocation:
        self.token = otel_context.attach(otel_context.set_value(_MODEL_CALL_KEY, self.record))
        return self.record

    def __exit__(self, *exc: object) -> None:
        TelemetryHandler.detach(self.token)


def _end_quietly(span: Any) -> None:
    try:
        span.end()
    except Exception:
        logger.debug("otel_genai: could not end a span", exc_info=True)
