"""Record -> span name, kind and attributes, one mapping per record type.

Records (``records.py``) carry no attribute names; each record type's mapping lives here, next to the
others, and is found by the record's type (``mapping_for``: one dict lookup, the type's MRO walked once
for a subclass). ``TelemetryHandler`` calls the mapping at each point of a span's life:

- ``start``: what is known before the call (the sampling-relevant attributes among them);
- ``end``: what the response taught, plus documents and content as ``EndOptions`` allow;
- ``event``: the attributes of the ``gen_ai.client.inference.operation.details`` event.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from opentelemetry.trace import Span, SpanKind

from otel_genai import semconv as sc
from otel_genai.telemetry.content import limit_parts, parse_json_arguments, parts_json, to_json
from otel_genai.telemetry.metrics import database_attributes, operation_attributes, present
from otel_genai.telemetry.records import (
    AgentInvocation,
    Embedding,
    Inference,
    Invocation,
    Retrieval,
    StoreCall,
    ToolExecution,
    WorkflowInvocation,
)
from otel_genai.telemetry.retrieval import cut, documents_json, retrieval_content

R = TypeVar("R", bound=Invocation)


@dataclass(frozen=True, slots=True)
class EndOptions:
    """What the settings allow on a span when it ends."""

    content: bool  # content goes on spans (SPAN_ONLY / SPAN_AND_EVENT)
    document_ids: bool  # OTEL_GENAI_RETRIEVAL_DOCUMENT_IDS
    limit: int | None  # OTEL_GENAI_MAX_CONTENT_LENGTH


class RecordMapping(Generic[R]):
    """A GenAI operation (``{operation} {model}``, a CLIENT span); subclasses refine it per record type."""

    # whether a call of this kind is described by the inference details event (in the event modes)
    has_event = True

    def span_name(self, record: R) -> str:
        return f"{record.operation} {record.request_model}" if record.request_model else record.operation

    def span_kind(self, record: R) -> SpanKind:
        return SpanKind.CLIENT

    def start(self, record: R) -> dict[str, Any]:
        """The attributes known before the call (the sampling-relevant ones among them)."""
        attributes = self._request(record)
        if record.request_attributes:
            attributes.update(record.request_attributes)
        return attributes

    def response(self, record: R, span: Span | None = None) -> dict[str, Any]:
        """What the response (or the failure) taught; ``span`` is the one it ends, when there is one."""
        attributes: dict[str, Any] = {}
        if record.response_model:
            attributes[sc.GEN_AI_RESPONSE_MODEL] = record.response_model
        if record.response_id:
            attributes[sc.GEN_AI_RESPONSE_ID] = record.response_id
        if record.input_tokens is not None:
            attributes[sc.GEN_AI_USAGE_INPUT_TOKENS] = record.input_tokens
        if record.error_type:
            attributes[sc.ERROR_TYPE] = record.error_type
        self._add_response(record, span, attributes)
        if record.response_attributes:
            attributes.update(record.response_attributes)
        return attributes

    def end(self, record: R, span: Span, options: EndOptions) -> dict[str, Any]:
        """Everything set on the span as it ends: the response, then content when it goes on spans."""
        attributes = self.response(record, span)
        if options.content:
            attributes.update(self.span_content(record, options.limit))
        return attributes

    def event(self, record: R, limit: int | None) -> dict[str, Any]:
        """The inference details event's attributes: the span's facts and the content, structured."""
        attributes = self.start(record)
        attributes.update(self.response(record))
        return attributes

    def span_content(self, record: R, limit: int | None) -> dict[str, str]:
        """Content attributes for the span, as JSON strings."""
        return {}

    # --- hooks ------------------------------------------------------------------------------------

    def _request(self, record: R) -> dict[str, Any]:
        return operation_attributes(record)

    def _add_response(self, record: R, span: Span | None, attributes: dict[str, Any]) -> None:
        pass


class InferenceMapping(RecordMapping[Inference]):
    """A chat / text-completion call."""

    def _request(self, record: Inference) -> dict[str, Any]:
        attributes = operation_attributes(record)
        add_known(attributes, _inference_request_fields(record))
        if record.stream:
            attributes[sc.GEN_AI_REQUEST_STREAM] = True
        return attributes

    def _add_response(self, record: Inference, span: Span | None, attributes: dict[str, Any]) -> None:
        add_known(
            attributes,
            (
                (sc.GEN_AI_RESPONSE_FINISH_REASONS, record.finish_reasons),
                *_usage(record),
                (sc.GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK, record.time_to_first_chunk),
            ),
        )
        if record.tool_calls:
            attributes[sc.OTEL_GENAI_RESPONSE_TOOL_CALL_COUNT] = len(record.tool_calls)
            attributes[sc.OTEL_GENAI_RESPONSE_TOOL_CALL_NAMES] = [c.name or "" for c in record.tool_calls]
            ids = [c.id for c in record.tool_calls if c.id]
            if ids:
                attributes[sc.OTEL_GENAI_RESPONSE_TOOL_CALL_IDS] = ids

    def span_content(self, record: Inference, limit: int | None) -> dict[str, str]:
        return {name: parts_json(value, limit) for name, value in _content_fields(record) if value}

    def event(self, record: Inference, limit: int | None) -> dict[str, Any]:
        attributes = super().event(record, limit)
        for name, value in _content_fields(record):
            if value:
                attributes[name] = limit_parts(value, limit)  # structured on events
        return attributes


class EmbeddingMapping(RecordMapping[Embedding]):
    """An embeddings call."""

    def _request(self, record: Embedding) -> dict[str, Any]:
        attributes = operation_attributes(record)
        if record.encoding_formats:
            attributes[sc.GEN_AI_REQUEST_ENCODING_FORMATS] = record.encoding_formats
        return attributes

    def _add_response(self, record: Embedding, span: Span | None, attributes: dict[str, Any]) -> None:
        if record.dimension_count is not None:
            attributes[sc.GEN_AI_EMBEDDINGS_DIMENSION_COUNT] = record.dimension_count


class StoreCallMapping(RecordMapping[StoreCall]):
    """A vector-store call as a database operation: ``{db.operation.name} {collection}``, no content."""

    has_event = False

    def span_name(self, record: StoreCall) -> str:
        name = " ".join(part for part in (record.db_operation, record.collection) if part)
        return name or record.db_system or "database"

    def _request(self, record: StoreCall) -> dict[str, Any]:
        return database_attributes(record)

    def _add_response(self, record: StoreCall, span: Span | None, attributes: dict[str, Any]) -> None:
        _add_counts(record, attributes)


class RetrievalMapping(RecordMapping[Retrieval]):
    """A ``retrieval`` operation: database facts, the GenAI operation, the documents."""

    has_event = False

    def span_name(self, record: Retrieval) -> str:
        return f"{sc.OPERATION_RETRIEVAL} {record.data_source_id}" if record.data_source_id else "retrieval"

    def _request(self, record: Retrieval) -> dict[str, Any]:
        attributes = database_attributes(record)
        attributes.update(operation_attributes(record))
        if record.data_source_id:
            attributes[sc.GEN_AI_DATA_SOURCE_ID] = record.data_source_id
        if record.top_k is not None:
            attributes[sc.GEN_AI_RETRIEVAL_TOP_K] = record.top_k
            attributes[sc.GEN_AI_REQUEST_TOP_K] = record.top_k
        if record.query_count is not None and record.query_count != 1:
            attributes[sc.OTEL_GENAI_RETRIEVAL_QUERY_COUNT] = record.query_count
        return attributes

    def _add_response(self, record: Retrieval, span: Span | None, attributes: dict[str, Any]) -> None:
        _add_counts(record, attributes)
        if record.documents:
            if record.score_kind:
                attributes[sc.OTEL_GENAI_RETRIEVAL_SCORE_KIND] = record.score_kind
            if record.score_metric:
                attributes[sc.OTEL_GENAI_RETRIEVAL_SCORE_METRIC] = record.score_metric

    def end(self, record: Retrieval, span: Span, options: EndOptions) -> dict[str, Any]:
        attributes = self.response(record, span)
        if record.documents is not None:
            # IDs and scores always (not content); text only when content goes on spans
            attributes[sc.GEN_AI_RETRIEVAL_DOCUMENTS] = documents_json(
                record.documents, ids=options.document_ids, content=options.content, limit=options.limit
            )
        if options.content:
            attributes.update(self.span_content(record, options.limit))
        return attributes

    def span_content(self, record: Retrieval, limit: int | None) -> dict[str, str]:
        return retrieval_content(record, limit)


class ToolExecutionMapping(RecordMapping[ToolExecution]):
    """An ``execute_tool`` operation: INTERNAL when run in process, CLIENT when remote (an MCP server)."""

    has_event = False

    def span_name(self, record: ToolExecution) -> str:
        if record.span_name:
            return record.span_name
        if record.tool_name:
            return f"{sc.OPERATION_EXECUTE_TOOL} {record.tool_name}"
        return sc.OPERATION_EXECUTE_TOOL

    def span_kind(self, record: ToolExecution) -> SpanKind:
        return SpanKind.CLIENT if record.remote else SpanKind.INTERNAL

    def start(self, record: ToolExecution) -> dict[str, Any]:
        return _tool_attributes(record)  # request_attributes included

    def _add_response(self, record: ToolExecution, span: Span | None, attributes: dict[str, Any]) -> None:
        # what was learned while it ran (a tool call id, a description read late)
        attributes.update(changed(span, _tool_attributes(record)))

    def span_content(self, record: ToolExecution, limit: int | None) -> dict[str, str]:
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
            content[name] = to_json(cut(value, limit))
        return content


class AgentMapping(RecordMapping[AgentInvocation]):
    """An ``invoke_agent`` operation: ``invoke_agent {agent}``, INTERNAL in process, CLIENT when remote;
    the usage of the model calls made inside it."""

    has_event = False

    def span_name(self, record: AgentInvocation) -> str:
        name = record.agent_name
        return f"{sc.OPERATION_INVOKE_AGENT} {name}" if name else sc.OPERATION_INVOKE_AGENT

    def span_kind(self, record: AgentInvocation) -> SpanKind:
        return SpanKind.CLIENT if record.remote else SpanKind.INTERNAL

    def _request(self, record: AgentInvocation) -> dict[str, Any]:
        attributes = operation_attributes(record)
        add_known(attributes, _agent_fields(record))
        return attributes

    def _add_response(self, record: AgentInvocation, span: Span | None, attributes: dict[str, Any]) -> None:
        add_known(attributes, _usage(record))
        # learned while it ran: the model it called first, an id or conversation the framework assigned
        attributes.update(changed(span, self._request(record)))

    def span_content(self, record: AgentInvocation, limit: int | None) -> dict[str, str]:
        fields = (
            (sc.GEN_AI_INPUT_MESSAGES, record.input_messages),
            (sc.GEN_AI_OUTPUT_MESSAGES, record.output_messages),
            (sc.GEN_AI_SYSTEM_INSTRUCTIONS, record.system_instructions),
            (sc.GEN_AI_TOOL_DEFINITIONS, record.tool_definitions),
        )
        return {name: parts_json(value, limit) for name, value in fields if value}


class WorkflowMapping(RecordMapping[WorkflowInvocation]):
    """An ``invoke_workflow`` operation: ``invoke_workflow {workflow}``, INTERNAL."""

    has_event = False

    def span_name(self, record: WorkflowInvocation) -> str:
        name = record.workflow_name
        return f"{sc.OPERATION_INVOKE_WORKFLOW} {name}" if name else sc.OPERATION_INVOKE_WORKFLOW

    def span_kind(self, record: WorkflowInvocation) -> SpanKind:
        return SpanKind.INTERNAL

    def _request(self, record: WorkflowInvocation) -> dict[str, Any]:
        attributes = operation_attributes(record)
        add_known(
            attributes,
            (
                (sc.GEN_AI_WORKFLOW_NAME, record.workflow_name),
                (sc.GEN_AI_CONVERSATION_ID, record.conversation_id),
            ),
        )
        return attributes

    def _add_response(
        self, record: WorkflowInvocation, span: Span | None, attributes: dict[str, Any]
    ) -> None:
        attributes.update(changed(span, self._request(record)))

    def span_content(self, record: WorkflowInvocation, limit: int | None) -> dict[str, str]:
        fields = (
            (sc.GEN_AI_INPUT_MESSAGES, record.input_messages),
            (sc.GEN_AI_OUTPUT_MESSAGES, record.output_messages),
        )
        return {name: parts_json(value, limit) for name, value in fields if value}


_MAPPINGS: dict[type, RecordMapping[Any]] = {
    Invocation: RecordMapping(),
    Inference: InferenceMapping(),
    Embedding: EmbeddingMapping(),
    StoreCall: StoreCallMapping(),
    Retrieval: RetrievalMapping(),
    ToolExecution: ToolExecutionMapping(),
    AgentInvocation: AgentMapping(),
    WorkflowInvocation: WorkflowMapping(),
}


def mapping_for(record: Invocation) -> RecordMapping[Any]:
    """The mapping of the record's type (a subclass gets its nearest mapped base's, remembered)."""
    kind = type(record)
    mapping = _MAPPINGS.get(kind)
    if mapping is None:
        mapping = next(_MAPPINGS[base] for base in kind.__mro__ if base in _MAPPINGS)
        _MAPPINGS[kind] = mapping
    return mapping


def span_name(record: Invocation) -> str:
    return mapping_for(record).span_name(record)


def start_attributes(record: Invocation) -> dict[str, Any]:
    return mapping_for(record).start(record)


def changed(span: Any, attributes: dict[str, Any]) -> dict[str, Any]:
    """The attributes the span does not already carry with that value (the SDK cleans every one set)."""
    current = getattr(span, "attributes", None) or {}
    return {name: value for name, value in attributes.items() if current.get(name) != value}


def add_known(attributes: dict[str, Any], pairs: Iterable[tuple[str, Any]]) -> None:
    """Add the ``(name, value)`` pairs whose value is known: unlike ``present``, a 0 or an empty list is kept
    (a count of zero is a fact)."""
    for name, value in pairs:
        if value is not None:
            attributes[name] = value


def _add_counts(record: StoreCall, attributes: dict[str, Any]) -> None:
    add_known(
        attributes,
        (
            (sc.DB_RESPONSE_RETURNED_ROWS, record.returned_rows),
            (sc.OTEL_GENAI_DB_RECORD_COUNT, record.record_count),
        ),
    )


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


def _content_fields(record: Inference) -> tuple[tuple[str, list[Any] | None], ...]:
    return (
        (sc.GEN_AI_INPUT_MESSAGES, record.input_messages),
        (sc.GEN_AI_OUTPUT_MESSAGES, record.output_messages),
        (sc.GEN_AI_SYSTEM_INSTRUCTIONS, record.system_instructions),
        (sc.GEN_AI_TOOL_DEFINITIONS, record.tool_definitions),
    )


def _inference_request_fields(record: Inference) -> tuple[tuple[str, Any], ...]:
    """The request's parameters (one tuple: a generator would be resumed thirteen times per call)."""
    choice_count = record.choice_count if record.choice_count != 1 else None
    return (
        (sc.GEN_AI_REQUEST_TEMPERATURE, record.temperature),
        (sc.GEN_AI_REQUEST_TOP_P, record.top_p),
        (sc.GEN_AI_REQUEST_TOP_K, record.top_k),
        (sc.GEN_AI_REQUEST_MAX_TOKENS, record.max_tokens),
        (sc.GEN_AI_REQUEST_SEED, record.seed),
        (sc.GEN_AI_REQUEST_STOP_SEQUENCES, record.stop_sequences),
        (sc.GEN_AI_REQUEST_FREQUENCY_PENALTY, record.frequency_penalty),
        (sc.GEN_AI_REQUEST_PRESENCE_PENALTY, record.presence_penalty),
        (sc.GEN_AI_REQUEST_CHOICE_COUNT, choice_count),
        (sc.GEN_AI_OUTPUT_TYPE, record.output_type),
        (sc.GEN_AI_REQUEST_REASONING_LEVEL, record.reasoning_level),
        (sc.GEN_AI_REQUEST_PREVIOUS_RESPONSE_ID, record.previous_response_id),
        (sc.GEN_AI_CONVERSATION_ID, record.conversation_id),
    )


def _usage(record: Inference | AgentInvocation) -> tuple[tuple[str, Any], ...]:
    """The usage beyond input tokens (which every operation's response has): a model call's, or the sum an
    agent made of its calls'."""
    return (
        (sc.GEN_AI_USAGE_OUTPUT_TOKENS, record.output_tokens),
        (sc.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS, record.cache_read_input_tokens),
        (sc.GEN_AI_USAGE_CACHE_WRITE_INPUT_TOKENS, record.cache_write_input_tokens),
        (sc.GEN_AI_USAGE_REASONING_OUTPUT_TOKENS, record.reasoning_output_tokens),
    )


def _agent_fields(record: AgentInvocation) -> Iterator[tuple[str, Any]]:
    yield sc.GEN_AI_AGENT_NAME, record.agent_name
    yield sc.GEN_AI_AGENT_ID, record.agent_id
    yield sc.GEN_AI_AGENT_DESCRIPTION, record.description
    yield sc.GEN_AI_AGENT_VERSION, record.version
    yield sc.GEN_AI_CONVERSATION_ID, record.conversation_id
    yield sc.GEN_AI_DATA_SOURCE_ID, record.data_source_id
