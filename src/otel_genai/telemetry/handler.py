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
from opentelemetry.instrumentation.utils import is_instrumentation_enabled
from opentelemetry.metrics import MeterProvider
from opentelemetry.trace import SpanKind, Status, StatusCode, TracerProvider

from otel_genai import semconv as sc
from otel_genai._config import Settings
from otel_genai.telemetry.content import (
    CaptureMode,
    limit_parts,
    parse_json_arguments,
    to_json,
    truncated,
)
from otel_genai.telemetry.metrics import GenAIMetrics, database_attributes, operation_attributes, present
from otel_genai.telemetry.records import (
    Embedding,
    Inference,
    Invocation,
    Retrieval,
    RetrievedDocument,
    StoreCall,
    ToolExecution,
    is_database_call,
)
from otel_genai.version import __version__

logger = logging.getLogger("otel_genai")

SCOPE_NAME = "otel_genai"
_clock = timeit.default_timer  # perf_counter
# The retrieval whose span is open in this context: store calls under it become its database spans.
_RETRIEVAL_KEY = otel_context.create_key("otel_genai.retrieval")
# The tool execution whose span is open: the same tool run inside it (a decorated function called by
# run_tool) is that execution, not another one.
_TOOL_KEY = otel_context.create_key("otel_genai.tool")


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
        self.retrieval_document_ids = settings.retrieval_document_ids
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
            if is_database_call(record):
                enclosing = self.active_retrieval()
                if enclosing is not None:
                    enclosing.store_calls.append(record)
            kind = (
                SpanKind.INTERNAL
                if isinstance(record, ToolExecution) and not record.remote
                else SpanKind.CLIENT
            )
            record.span = self._tracer.start_span(
                _span_name(record), kind=kind, attributes=_start_attributes(record)
            )
            record.start_time = _clock()
            context = trace.set_span_in_context(record.span)
            if isinstance(record, Retrieval):
                context = otel_context.set_value(_RETRIEVAL_KEY, record, context)
            elif isinstance(record, ToolExecution):
                context = otel_context.set_value(_TOOL_KEY, record, context)
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
            return False  # a database span never carries content
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
            if isinstance(record, Retrieval) and record.store_calls:
                _adopt_store_calls(record, span)
            if span.is_recording():
                attributes = _response_attributes(record, span)
                if isinstance(record, Retrieval) and record.documents is not None:
                    # IDs and scores always (not content); text only when content goes on spans
                    attributes[sc.GEN_AI_RETRIEVAL_DOCUMENTS] = documents_json(
                        record.documents,
                        ids=self.retrieval_document_ids,
                        content=self.capture_mode.on_span,
                        limit=self.settings.max_content_length,
                    )
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
            # no event for store calls; a failed call's input is content too
            if self._event_logger is not None and not isinstance(record, (StoreCall, ToolExecution)):
                self._emit_event(record, span)
        except Exception:
            logger.debug("otel_genai: could not record metrics or the event", exc_info=True)

    # --- pieces --------------------------------------------------------------------------------

    def _content(self, record: Invocation) -> dict[str, str]:
        """Content attributes for the span, as JSON strings."""
        limit = self.settings.max_content_length
        if isinstance(record, Retrieval):
            return _retrieval_content(record, limit)
        if isinstance(record, ToolExecution):
            return _tool_content(record, limit)
        if not isinstance(record, Inference):
            return {}
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


def _span_name(record: Invocation) -> str:
    if isinstance(record, ToolExecution):
        if record.span_name:
            return record.span_name
        return (
            f"{sc.OPERATION_EXECUTE_TOOL} {record.tool_name}"
            if record.tool_name
            else sc.OPERATION_EXECUTE_TOOL
        )
    if isinstance(record, Retrieval):
        return f"{sc.OPERATION_RETRIEVAL} {record.data_source_id}" if record.data_source_id else "retrieval"
    if isinstance(record, StoreCall):  # database conventions: "{db.operation.name} {target}"
        name = " ".join(part for part in (record.db_operation, record.collection) if part)
        return name or record.db_system or "database"
    return f"{record.operation} {record.request_model}" if record.request_model else record.operation


def _tool_attributes(record: ToolExecution) -> dict[str, Any]:
    attributes = operation_attributes(record)
    attributes.update(
        present(
            (sc.GEN_AI_TOOL_NAME, record.tool_name),
            (sc.GEN_AI_TOOL_TYPE, record.tool_type),
            (sc.GEN_AI_TOOL_DESCRIPTION, record.description),
            (sc.GEN_AI_TOOL_CALL_ID, record.call_id),
            (sc.SERVER_ADDRESS, record.server_address),
            (sc.SERVER_PORT, record.server_port),
        )
    )
    if record.request_attributes:
        attributes.update(record.request_attributes)
    return attributes


def _start_attributes(record: Invocation) -> dict[str, Any]:
    """The attributes known before the call (the sampling-relevant ones among them)."""
    if isinstance(record, ToolExecution):
        return _tool_attributes(record)
    if is_database_call(record):
        return database_attributes(record)
    if isinstance(record, Retrieval):
        attributes = database_attributes(record)
        attributes.update(operation_attributes(record))
        if record.data_source_id:
            attributes[sc.GEN_AI_DATA_SOURCE_ID] = record.data_source_id
        if record.top_k is not None:
            attributes[sc.GEN_AI_RETRIEVAL_TOP_K] = record.top_k
            attributes[sc.GEN_AI_REQUEST_TOP_K] = record.top_k
        if record.query_count is not None and record.query_count != 1:
            attributes[sc.OTEL_GENAI_RETRIEVAL_QUERY_COUNT] = record.query_count
    else:
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


def _response_attributes(record: Invocation, span: Any = None) -> dict[str, Any]:
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
    elif isinstance(record, ToolExecution):
        # what was learned while it ran (a tool call id, a description read late)
        attributes.update(_changed(span, _tool_attributes(record)))
    elif isinstance(record, StoreCall):
        for name, value in (
            (sc.DB_RESPONSE_RETURNED_ROWS, record.returned_rows),
            (sc.OTEL_GENAI_DB_RECORD_COUNT, record.record_count),
        ):
            if value is not None:
                attributes[name] = value
        if isinstance(record, Retrieval) and record.documents:
            if record.score_kind:
                attributes[sc.OTEL_GENAI_RETRIEVAL_SCORE_KIND] = record.score_kind
            if record.score_metric:
                attributes[sc.OTEL_GENAI_RETRIEVAL_SCORE_METRIC] = record.score_metric
    if record.response_attributes:
        attributes.update(record.response_attributes)
    return attributes


def documents_json(documents: list[RetrievedDocument], *, ids: bool, content: bool, limit: int | None) -> str:
    """``gen_ai.retrieval.documents``: ``[{"id", "score", "content"?}]`` in rank order."""
    items = []
    for document in documents:
        item: dict[str, Any] = {}
        if ids and document.id is not None:
            item["id"] = document.id
        if document.score is not None:
            item["score"] = document.score
        if document.query_index is not None:
            item["query_index"] = document.query_index
        if content and document.content is not None:
            item["content"] = _cut(document.content, limit)
        items.append(item)
    return to_json(items)


def _retrieval_content(record: Retrieval, limit: int | None) -> dict[str, str]:
    """The query text, the only retrieval content outside the documents attribute."""
    text = record.query_text
    if not text:
        return {}
    return {sc.GEN_AI_RETRIEVAL_QUERY_TEXT: _cut(text, limit)}


def _cut(value: Any, limit: int | None) -> Any:
    """Long strings cut at ``limit`` characters, at any depth (``OTEL_GENAI_MAX_CONTENT_LENGTH``)."""
    return truncated(value, limit) if limit else value


def _changed(span: Any, attributes: dict[str, Any]) -> dict[str, Any]:
    """The attributes the span does not already carry with that value (the SDK cleans every one set)."""
    current = getattr(span, "attributes", None) or {}
    return {name: value for name, value in attributes.items() if current.get(name) != value}


def _tool_content(record: ToolExecution, limit: int | None) -> dict[str, str]:
    """Arguments and result as JSON (objects when they were JSON strings), long strings cut."""
    content = {}
    for name, value in (
        (sc.GEN_AI_TOOL_CALL_ARGUMENTS, record.arguments),
        (sc.GEN_AI_TOOL_CALL_RESULT, record.result),
    ):
        if value is None:
            continue
        if isinstance(value, str) and value.lstrip()[:1] in ("{", "["):
            value = parse_json_arguments(value)  # a JSON object or array: recorded as one, not as text
        content[name] = to_json(_cut(value, limit))
    return content


def _adopt_store_calls(record: Retrieval, span: Any) -> None:
    """Fill what a framework retrieval could not see from the store queries made under it.

    A LangChain retriever returns documents without scores and knows no collection; the store call
    beneath it knows both.
    """
    queries = [call for call in record.store_calls if call.documents is not None]
    if queries and _scores_from_store(record, queries):
        kinds = {(call.score_kind, call.score_metric) for call in queries}
        if record.score_kind is None and len(kinds) == 1:
            record.score_kind, record.score_metric = kinds.pop()
    calls = record.store_calls

    def first(field: str) -> Any:
        return next((getattr(call, field) for call in calls if getattr(call, field)), None)

    record.db_system = record.db_system or first("db_system")
    record.request_model = record.request_model or first("request_model")
    if record.collection is None:
        record.collection = first("collection")
        if record.data_source_id is None and record.collection:
            record.data_source_id = record.collection
            span.update_name(_span_name(record))
    if span.is_recording():
        span.set_attributes(_changed(span, _start_attributes(record)))


def _scores_from_store(record: Retrieval, queries: list[StoreCall]) -> bool:
    """Give the retrieval the store's scores where it has none; True when its scores are the store's.

    Matched by document id, never by position. A retrieval with scores of its own keeps them (a
    reranker's are never mixed with the store's); they count as the store's when they are the same.
    """
    store_scores = {d.id: d.score for call in queries for d in call.documents or () if d.id is not None}
    own = record.documents or []
    if any(d.score is not None for d in own):
        return all(d.score is None or store_scores.get(d.id) == d.score for d in own)
    if any(d.id is not None for d in own):
        for document in own:
            document.score = store_scores.get(document.id)
        return True
    # nothing to match by (a function returning bare texts): the store's hits describe it better, and
    # keep the function's texts when they line up one to one
    record.documents = [document for call in queries for document in call.documents or ()]
    if len(own) == len(record.documents):
        for mine, theirs in zip(own, record.documents, strict=True):
            theirs.content = theirs.content or mine.content
    return True


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
