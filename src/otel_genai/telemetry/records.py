"""Typed invocation records: what an instrumentor learned about one call, free of attribute names.

An instrumentor fills a record from the client's request and response; the ``TelemetryHandler`` is the
only code that turns records into spans, metrics and events.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypeGuard

from opentelemetry.trace import Span

from otel_genai.telemetry.content import InputMessage, OutputMessage, Part, ToolDefinition


@dataclass(slots=True)
class Invocation:
    """Fields every GenAI client operation has."""

    operation: str
    provider: str | None  # gen_ai.provider.name; None where there is none (a vector store)
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
    # The price the response itself carried (OpenRouter's ``usage.cost``, LiteLLM's response cost): it wins
    # over the price table (``gen_ai.usage.cost.source = provider``).
    reported_cost: float | None = None
    reported_cost_currency: str | None = None
    # Set by the handler.
    span: Span | None = None
    start_time: float = 0.0
    error_type: str | None = None
    # The LLMOps scope in force when the call started (``llmops.scope.Scope``): release, prompt, attribution.
    scope: Any = None
    # What the LLMOps layer worked out as the call ended (``llmops.engine.Outcome``): cost and drift.
    outcome: Any = None


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
    input_messages: list[InputMessage] | None = None
    output_messages: list[OutputMessage] | None = None
    system_instructions: list[Part] | None = None
    tool_definitions: list[ToolDefinition] | None = None

    # The request's system instructions and tool schema as the application passed them (the SDK's own
    # shapes, never exported): only hashed, into the prompt and tool-definition fingerprints, whatever the
    # capture mode. Set by every reader in ``build``; references, not copies.
    instructions: Any = None
    tool_schemas: Any = None

    # The agents this call was made inside (innermost last; set by the handler): their usage counts it.
    agents: tuple[Any, ...] = ()

    # The JSON schema the request asked the answer to follow (a mapping, or a pydantic model class), for the
    # schema_valid evaluator; set by readers in ``build``, never exported.
    output_schema: Any = None
    # Whether the online evaluators judge this call (set by the handler when it starts: sampled, not a judge's
    # own call); its content is then built even when capture is off, and never exported for it.
    evaluate: bool = False

    # Streaming timings (seconds, monotonic clock).
    time_to_first_chunk: float | None = None
    chunk_intervals: list[float] | None = None


@dataclass(slots=True)
class Embedding(Invocation):
    """An embeddings call."""

    dimension_count: int | None = None
    encoding_formats: list[str] | None = None


@dataclass(slots=True)
class RetrievedDocument:
    """One hit, in the backend's rank order. ``content`` is filled only when content is captured."""

    id: str | None = None
    score: float | None = None
    content: str | None = None
    # which query of a batch call it answers (None for single-query calls)
    query_index: int | None = None


@dataclass(slots=True)
class StoreCall(Invocation):
    """A vector-store call seen as a database operation: ``db.*`` facts and counts, never content.

    Writes (add, upsert, delete) are always this. A query is this when a retrieval span is already open
    above it (a framework retriever, the ``@retriever`` decorator): the query becomes that retrieval's
    database span, and its documents and scores are handed up to it.
    """

    db_system: str | None = None
    collection: str | None = None
    namespace: str | None = None
    db_operation: str | None = None
    record_count: int | None = None  # records a write carried
    returned_rows: int | None = None
    # A query's hits, handed to the enclosing retrieval (not put on this span).
    documents: list[RetrievedDocument] | None = None
    score_kind: str | None = None
    score_metric: str | None = None


@dataclass(slots=True)
class Retrieval(StoreCall):
    """A ``retrieval`` operation: a vector-store query, a framework retriever, a decorated function."""

    data_source_id: str | None = None
    top_k: int | None = None
    query_count: int | None = None  # queries in one batch call
    query_text: str | None = None  # content
    # A reranking model's call (Cohere ``rerank``): it orders documents it was handed and searches no index,
    # so a release's index and top-k do not apply to it.
    reranker: bool = False
    # Store calls made inside this retrieval (see StoreCall); they fill in what this record lacks.
    store_calls: list[StoreCall] = field(default_factory=list)


@dataclass(slots=True)
class ToolExecution(Invocation):
    """An ``execute_tool`` operation: a decorated function, a framework tool, an MCP tool.

    ``arguments`` and ``result`` are content (recorded only when content is captured), as objects or JSON
    strings. ``remote`` tools (run by another process, like an MCP server) get a CLIENT span.
    """

    tool_name: str | None = None
    description: str | None = None
    tool_type: str | None = None  # function | extension | datastore
    call_id: str | None = None
    arguments: Any = None
    result: Any = None
    remote: bool = False
    # a provider refinement's own span name (MCP: "tools/call {tool}"); default "execute_tool {tool}"
    span_name: str | None = None


@dataclass(slots=True)
class AgentInvocation(Invocation):
    """An ``invoke_agent`` operation: an agent's run, INTERNAL in process, CLIENT for a remote agent.

    The usage fields sum the model calls made inside it (an agent that hands off to another includes the
    other's calls); ``request_model`` is the first model it called unless the agent names one. Content
    (messages, instructions) only when content is captured.
    """

    agent_name: str | None = None
    agent_id: str | None = None
    description: str | None = None
    version: str | None = None
    conversation_id: str | None = None
    data_source_id: str | None = None
    remote: bool = False
    output_tokens: int | None = None
    cache_read_input_tokens: int | None = None
    cache_write_input_tokens: int | None = None
    reasoning_output_tokens: int | None = None
    input_messages: list[InputMessage] | None = None
    output_messages: list[OutputMessage] | None = None
    system_instructions: list[Part] | None = None
    tool_definitions: list[ToolDefinition] | None = None

    def add_usage(self, call: Inference) -> None:
        """Count a model call made inside this agent."""
        if self.request_model is None:
            self.request_model = call.request_model or call.response_model
        for name in _USAGE_FIELDS:
            value = getattr(call, name)
            if value is not None:
                setattr(self, name, (getattr(self, name) or 0) + value)


_USAGE_FIELDS = (
    "input_tokens",
    "output_tokens",
    "cache_read_input_tokens",
    "cache_write_input_tokens",
    "reasoning_output_tokens",
)


@dataclass(slots=True)
class WorkflowInvocation(Invocation):
    """An ``invoke_workflow`` operation: a graph or pipeline run (INTERNAL); content only when captured."""

    workflow_name: str | None = None
    conversation_id: str | None = None
    input_messages: list[InputMessage] | None = None
    output_messages: list[OutputMessage] | None = None


def is_database_call(record: Invocation) -> TypeGuard[StoreCall]:
    """A store call that is not itself a retrieval: a database span (no GenAI operation, no content)."""
    return isinstance(record, StoreCall) and not isinstance(record, Retrieval)
