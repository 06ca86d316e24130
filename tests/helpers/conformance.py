"""The GenAI conventions every provider's spans and metrics must follow, checked the same way for all.

Each provider's tests call ``assert_conforms(telemetry, operation=...)`` on what one call emitted (and a
few calls with ``failed=True`` / ``stream=True``): the span's name and kind, the attributes the conventions
require for the operation (``/work/shared/reference/genai-semconv.md`` §1; names spelled out here, not taken
from ``otel_genai.semconv``, so the check is against the conventions and not our constants), their types,
the content attributes against the JSON schemas in ``tests/schemas``, the error path, the operation's
metric with the span's identifying attributes, and that a span ended exactly once. A provider's own tests
keep checking its specific values; this is what a new provider cannot get wrong unnoticed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import SpanKind, StatusCode

from helpers.schemas import validate_schema
from helpers.telemetry import Telemetry

INFERENCE_OPERATIONS = ("chat", "text_completion", "generate_content")
CLIENT_OPERATIONS = (*INFERENCE_OPERATIONS, "embeddings", "retrieval")

# Required on every span of the operation (error.type, required on failure, is checked by ``failed``).
REQUIRED: dict[str, tuple[str, ...]] = {
    **{op: ("gen_ai.operation.name", "gen_ai.provider.name") for op in INFERENCE_OPERATIONS},
    "embeddings": ("gen_ai.operation.name", "gen_ai.provider.name"),
    "retrieval": ("gen_ai.operation.name",),
    "execute_tool": ("gen_ai.operation.name", "gen_ai.tool.name"),
}
# Providers whose own conventions make the request model required (openai.md).
MODEL_REQUIRED_PROVIDERS = ("openai", "azure.ai.openai")

# Content attribute -> its schema.
CONTENT_SCHEMAS = {
    "gen_ai.input.messages": "gen-ai-input-messages",
    "gen_ai.output.messages": "gen-ai-output-messages",
    "gen_ai.system_instructions": "gen-ai-system-instructions",
    "gen_ai.tool.definitions": "gen-ai-tool-definitions",
    "gen_ai.retrieval.documents": "gen-ai-retrieval-documents",
}
# Attributes that are content in every mode: never on a span with capture off.
CONTENT_ONLY = (
    "gen_ai.input.messages",
    "gen_ai.output.messages",
    "gen_ai.system_instructions",
    "gen_ai.retrieval.query.text",
    "gen_ai.tool.call.arguments",
    "gen_ai.tool.call.result",
)

_INTS = (
    "server.port",
    "gen_ai.request.max_tokens",
    "gen_ai.request.seed",
    "gen_ai.request.choice.count",
    "gen_ai.usage.input_tokens",
    "gen_ai.usage.output_tokens",
    "gen_ai.usage.cache_read.input_tokens",
    "gen_ai.usage.reasoning.output_tokens",
    "gen_ai.embeddings.dimension.count",
    "gen_ai.retrieval.top_k",
)
_DOUBLES = (
    "gen_ai.request.temperature",
    "gen_ai.request.top_p",
    "gen_ai.request.frequency_penalty",
    "gen_ai.request.presence_penalty",
)
_STRING_LISTS = (
    "gen_ai.response.finish_reasons",
    "gen_ai.request.stop_sequences",
    "gen_ai.request.encoding_formats",
)

DURATION = "gen_ai.client.operation.duration"
TOKEN_USAGE = "gen_ai.client.token.usage"
TOOL_DURATION = "gen_ai.execute_tool.duration"
# The GenAI metrics' ExplicitBucketBoundaries advice (gen-ai-metrics.md), copied from the spec.
SPEC_TOKEN_BUCKETS = (
    1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864,
)  # fmt: skip
SPEC_DURATION_BUCKETS = (
    0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
)  # fmt: skip
# What identifies an operation on its span and on its metrics (the conventions' metric attributes).
METRIC_IDENTITY = (
    "gen_ai.operation.name",
    "gen_ai.provider.name",
    "gen_ai.request.model",
    "gen_ai.response.model",
    "server.address",
    "server.port",
    "error.type",
)


def assert_conforms(
    telemetry: Telemetry,
    span: ReadableSpan | None = None,
    *,
    operation: str,
    name: str | None = None,
    kind: SpanKind | None = None,
    content: bool | None = None,
    failed: bool = False,
    error_type: str | None = None,
    stream: bool = False,
) -> ReadableSpan:
    """Check one operation's span and metrics against the conventions; returns the span.

    ``span`` defaults to the only span exported. ``name`` and ``kind`` default to the conventions'
    (``{operation} {model}``, CLIENT; ``execute_tool {tool}``, INTERNAL); pass a provider's own where its
    conventions name it otherwise (MCP's ``tools/call {tool}``). ``content`` True/False: content attributes
    must be present (and valid) / absent; None: whatever is there must be valid. ``failed``: the error path
    (status ERROR, ``error.type``, ``error_type`` if given). ``stream``: a streamed call (flagged as one).
    """
    if span is None:
        span = telemetry.span()
    attributes = dict(span.attributes or {})
    assert_span_shape(span, operation=operation, name=name, kind=kind)
    assert_required_attributes(attributes, operation)
    assert_attribute_types(attributes)
    assert_content(attributes, expected=content)
    assert_error_path(span, failed=failed, error_type=error_type)
    assert_ended_once(telemetry, span)
    if stream:
        assert attributes.get("gen_ai.request.stream") is True, "a streamed call says so"
    else:
        assert "gen_ai.request.stream" not in attributes, "unset means not streaming"
    assert_metrics(telemetry, attributes, operation)
    return span


def is_database_span(attributes: Mapping[str, Any]) -> bool:
    """A vector store's own call (a write, or a query under a retrieval): a database span (digest §5), which
    carries no ``gen_ai.operation.name``; ``operation`` is then its ``db.operation.name``."""
    return "db.system.name" in attributes and "gen_ai.operation.name" not in attributes


def assert_span_shape(
    span: ReadableSpan, *, operation: str, name: str | None = None, kind: SpanKind | None = None
) -> None:
    attributes = span.attributes or {}
    database = is_database_span(attributes)
    assert attributes.get("db.operation.name" if database else "gen_ai.operation.name") == operation
    if name is None:
        if database:  # {db.operation.name} {target}; pass ``name`` where the target is not the collection
            collection = attributes.get("db.collection.name")
            name = f"{operation} {collection}" if collection else operation
        elif operation == "execute_tool":
            name = f"execute_tool {attributes['gen_ai.tool.name']}"
        elif operation == "retrieval":
            source = attributes.get("gen_ai.data_source.id")
            name = f"retrieval {source}" if source else "retrieval"
        else:
            model = attributes.get("gen_ai.request.model")
            name = f"{operation} {model}" if model else operation
    assert span.name == name
    if kind is None:
        kind = SpanKind.CLIENT if database or operation in CLIENT_OPERATIONS else SpanKind.INTERNAL
    assert span.kind is kind, (span.kind, kind)


def assert_required_attributes(attributes: Mapping[str, Any], operation: str) -> None:
    default = ("db.system.name",) if is_database_span(attributes) else ("gen_ai.operation.name",)
    missing = [key for key in REQUIRED.get(operation, default) if not attributes.get(key)]
    assert not missing, f"{operation} spans require {missing}"
    if attributes.get("gen_ai.provider.name") in MODEL_REQUIRED_PROVIDERS:
        assert attributes.get("gen_ai.request.model"), "the request model is required for this provider"
    if "server.address" in attributes:
        assert "server.port" in attributes, "server.port is required when server.address is set"


def assert_attribute_types(attributes: Mapping[str, Any]) -> None:
    for key in _INTS:
        if key in attributes:
            value = attributes[key]
            assert isinstance(value, int) and not isinstance(value, bool), (key, value)
    for key in _DOUBLES:
        if key in attributes:
            assert isinstance(attributes[key], float), (key, attributes[key])
    for key in _STRING_LISTS:
        if key in attributes:
            value = attributes[key]
            assert isinstance(value, tuple) and all(isinstance(v, str) for v in value), (key, value)


def assert_content(attributes: Mapping[str, Any], *, expected: bool | None) -> None:
    """Content attributes are JSON text valid against their schema; present or absent as expected."""
    for key, schema in CONTENT_SCHEMAS.items():
        if key in attributes:
            value = attributes[key]
            assert isinstance(value, str), f"{key} is JSON text on spans"
            document = json.loads(value)
            if key == "gen_ai.retrieval.documents":
                document = _with_optional_id_and_score(document)
            validate_schema(schema, document)
    present = [key for key in CONTENT_ONLY if key in attributes]
    if expected is False:
        assert not present, f"content without capture: {present}"
    elif expected is True:
        assert present, "content capture is on, and the span carries no content"


def _with_optional_id_and_score(documents: Any) -> Any:
    """[C]'s schema requires ``id`` and ``score``; [G]'s makes both optional ("SHOULD when available", digest
    §1.3 and §8.3), and a retriever that gives no score (most LangChain retrievers) or ids turned off leaves
    one out. Fill only what is absent with a valid placeholder, so what is present is still checked."""
    if not isinstance(documents, list):
        return documents
    return [{"id": "", "score": 0.0, **d} if isinstance(d, dict) else d for d in documents]


def assert_error_path(span: ReadableSpan, *, failed: bool, error_type: str | None = None) -> None:
    attributes = span.attributes or {}
    if failed:
        assert span.status.status_code is StatusCode.ERROR
        assert attributes.get("error.type"), "a failed operation has error.type"
        if error_type is not None:
            assert attributes["error.type"] == error_type
    else:
        assert span.status.status_code is not StatusCode.ERROR, span.status
        assert "error.type" not in attributes


def assert_ended_once(telemetry: Telemetry, span: ReadableSpan) -> None:
    """Exported once (a second end() would be a second export or a warning), with an end time."""
    assert span.end_time is not None
    same = [s for s in telemetry.spans() if s.context.span_id == span.context.span_id]
    assert len(same) == 1, f"{span.name} was exported {len(same)} times"


def assert_metrics(telemetry: Telemetry, attributes: Mapping[str, Any], operation: str) -> None:
    """The operation's duration metric, recorded once, with the span's identifying attributes."""
    metrics = telemetry.metrics()
    if operation == "execute_tool":
        points = metrics.get(TOOL_DURATION, [])
        identity: tuple[str, ...] = (
            "gen_ai.operation.name",
            "gen_ai.tool.name",
            "gen_ai.tool.type",
            "error.type",
        )
    elif is_database_span(attributes):
        points = metrics.get("db.client.operation.duration", [])
        identity = ("db.system.name", "db.operation.name", "server.address", "server.port", "error.type")
    else:
        points = metrics.get(DURATION, [])
        identity = METRIC_IDENTITY
    expected = {key: attributes[key] for key in identity if key in attributes}
    matching = [
        p
        for p in points
        if {key: p.attributes.get(key) for key in identity if key in p.attributes} == expected
    ]
    assert matching, f"no duration point with {expected}; got {[dict(p.attributes) for p in points]}"
    assert sum(p.count for p in matching) == 1, "one operation, one duration measurement"
    if operation in INFERENCE_OPERATIONS or operation == "embeddings":
        tokens = {p.attributes.get("gen_ai.token.type"): p for p in metrics.get(TOKEN_USAGE, [])}
        if "gen_ai.usage.input_tokens" in attributes and "error.type" not in attributes:
            assert "input" in tokens, "input tokens on the span, so on gen_ai.client.token.usage too"
            for key, value in expected.items():
                assert tokens["input"].attributes.get(key) == value, (key, value)
        if "gen_ai.usage.output_tokens" in attributes and "error.type" not in attributes:
            assert "output" in tokens, "output tokens on the span, so on gen_ai.client.token.usage too"
