"""AWS Bedrock ``invoke_model`` / ``invoke_model_with_response_stream``: the model families' bodies, and
Bedrock's own content blocks (Converse's, which Nova's ``messages-v1`` bodies share).

``invoke_model`` passes each model vendor's own JSON through Bedrock, so request parameters, usage, finish
reasons, tool calls and content sit in a different place for every family. This module reads them; the
instrumentor (``bedrock.py``) owns the call path, the span and the stream proxy. What families share is
one piece of code fed a table of their differences: the request parameters (record field -> body keys),
the usage keys, the prompt and stream-chunk keys of the text-completion families; per-choice results
all end in ``_finish_choices``.

Interface (what ``bedrock.py`` codes against)::

    family_for(model_id, body=None) -> ModelFamily | None
        model_id as given to boto3: a model id (``anthropic.claude-3-5-sonnet-20240620-v1:0``), a
        cross-region inference profile (``us.`` / ``eu.`` / ``apac.`` / ``global.`` ... + model id), or an
        ARN (foundation model, inference profile, custom model: the model id inside it is read).
        Application inference profiles, provisioned and imported models name no model: then the request
        ``body`` (the decoded JSON dict, optional) decides by its shape; None when neither tells.
    ModelFamily
        .name                       short family name (``anthropic``, ``amazon.nova``, ...), for logs/tests
        .record_type                ``Inference`` or ``Embedding``: the record the call path builds
        .operation(body)            ``chat`` / ``text_completion`` / ``embeddings`` for this request body;
                                    ``read_request`` sets ``record.operation`` to it as well
        .read_request(record, body, capture, tool_details=False)
                                    request parameters (always) and, with ``capture``, the input messages,
                                    system instructions and tool definitions (``tool_details``: the
                                    handler's ``tool_definition_details``). Idempotent: call it before
                                    ``handler.start`` with ``capture=False`` (the operation and parameters
                                    are sampling-relevant), then ``read_content`` once content is wanted.
        .read_content(record, body, tool_details=False)
                                    the content part of ``read_request`` alone
        .read_response(record, body, capture)
                                    the decoded response body
        .chunk_reader() -> ChunkReader
            .feed(chunk)            one decoded JSON chunk of the response stream (``chunk.bytes``)
            .finish(record, capture)
    read_usage_headers(record, headers)
        token counts from the ``x-amzn-bedrock-*-token-count`` response headers
        (``response["ResponseMetadata"]["HTTPHeaders"]``), used only where the body gave none: several
        families (Cohere, Mistral) put no usage in the body of ``invoke_model``. Call it after
        ``read_response``.
    content_parts(blocks), converse_input_messages(messages), converse_tool_definitions(tools, details)
        Bedrock ``ContentBlock``s (Converse requests and responses, Nova bodies) as semconv content.

The readers never raise: an unreadable body or chunk leaves the record as it was (logged at debug).

Decisions:

- Operation: ``chat`` for message-shaped bodies (Anthropic Messages, Nova, Mistral ``messages``, OpenAI
  gpt-oss Chat Completions, Cohere Command R ``message`` / ``chat_history``), ``text_completion`` for
  prompt-shaped ones (Llama, Mistral ``prompt``, Titan Text ``inputText``, Cohere Command ``prompt``,
  Anthropic's legacy ``prompt``), ``embeddings`` for Titan Embeddings and Cohere Embed (``Embedding``
  records).
- Usage follows the semconv rule: ``gen_ai.usage.input_tokens`` includes cache reads and writes, which
  Anthropic, Nova and Bedrock's own counts (``amazon-bedrock-invocationMetrics``, the token headers)
  report beside the uncached input. The body's usage wins; the stream's invocation metrics and the headers
  only fill what the body left out.
- ``gen_ai.response.finish_reasons`` keeps the model's own value, one per choice (``error`` where one is
  missing), except when Bedrock says a guardrail intervened (``amazon-bedrock-guardrailAction``): then it
  is Bedrock's ``guardrail_intervened`` (what Converse reports), as the model's ``end_turn`` would hide it.
- Cohere's tool calls carry no ids (its v1 chat API has none); its ``COMPLETE`` with tool calls is the
  ``tool_call`` finish reason in output messages. ``generation_id`` is the response id (the stream's first
  event has only that one).
- Anthropic ``redacted_thinking`` blocks are ``reasoning`` parts with empty content (the text is
  encrypted); server tool uses are ``server_tool_call`` parts, their results generic parts of their type.
  (``anthropic.py``'s block reader is not reused: it reads the SDK's models, and differs on these points
  and on tool results, whose text blocks it joins with spaces.)
- Nova's ``messages-v1`` content blocks are Converse's, read by the same ``content_parts``; Nova's stream
  joins consecutive text deltas (it may open a new content block for each), Converse's keeps its blocks.
"""

from __future__ import annotations

import base64
import json
import logging
import re
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

from otel_genai import semconv as sc
from otel_genai.instrumentation._stainless import double as _float
from otel_genai.instrumentation._stainless import string as _str
from otel_genai.llmops.fingerprint import system_messages
from otel_genai.telemetry.content import (
    InputMessage,
    OutputMessage,
    Part,
    ToolDefinition,
    blob_part,
    generic_part,
    input_message,
    output_message,
    reasoning_part,
    semconv_finish_reason,
    server_tool_call_part,
    text_part,
    tool_call_part,
    tool_call_response_part,
    tool_definition,
    uri_part,
)
from otel_genai.telemetry.records import Embedding, Inference, Invocation, ToolCallRequest

logger = logging.getLogger("otel_genai")

INVOCATION_METRICS = "amazon-bedrock-invocationMetrics"
GUARDRAIL_ACTION = "amazon-bedrock-guardrailAction"
GUARDRAIL_INTERVENED = "guardrail_intervened"

# --- small readers: the body is JSON, so everything is checked for its type ------------------------


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def _strs(value: Any) -> list[str] | None:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        strings = [item for item in value if isinstance(item, str)]
        return strings or None
    return None


_NOTHING: Mapping[str, Any] = {}  # shared, never written: no new dict per missing field


def _map(value: Any) -> Mapping[str, Any]:
    if type(value) is dict:  # what JSON gives: skip the slower ABC check (several calls per stream chunk)
        return value
    return value if isinstance(value, Mapping) else _NOTHING


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _json_text(value: Any) -> str | None:
    """Tool-call arguments as JSON text (the record's form); a string stays as it came."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    except (TypeError, ValueError):
        return str(value)


# --- request parameters: record field -> the body keys that may hold it ------------------------------

_READERS: dict[str, Callable[[Any], Any]] = {
    "max_tokens": _int,
    "temperature": _float,
    "top_p": _float,
    "top_k": _int,
    "stop_sequences": _strs,
    "frequency_penalty": _float,
    "presence_penalty": _float,
    "seed": _int,
    "choice_count": _int,
    "reasoning_level": _str,
    "encoding_formats": _strs,
    "dimension_count": _int,
}
Params = Mapping[str, tuple[str, ...]]


def _params(**fields: str | tuple[str, ...]) -> Params:
    """``record field=body key`` (or several keys: the first that holds a value wins)."""
    return {name: (keys,) if isinstance(keys, str) else keys for name, keys in fields.items()}


def _read_params(record: Invocation, source: Mapping[str, Any], params: Params) -> None:
    for name, keys in params.items():
        read = _READERS[name]
        value = None
        for key in keys:
            value = read(source.get(key))
            if value:
                break
        setattr(record, name, value)


# --- usage ------------------------------------------------------------------------------------------

# (uncached input, output, cache read, cache write) keys of each usage object
UsageKeys = tuple[str, str, str, str]
_ANTHROPIC_USAGE: UsageKeys = (
    "input_tokens",
    "output_tokens",
    "cache_read_input_tokens",
    "cache_creation_input_tokens",
)
_NOVA_USAGE: UsageKeys = (
    "inputTokens",
    "outputTokens",
    "cacheReadInputTokenCount",
    "cacheWriteInputTokenCount",
)
_METRICS_USAGE: UsageKeys = (
    "inputTokenCount",
    "outputTokenCount",
    "cacheReadInputTokenCount",
    "cacheWriteInputTokenCount",
)
_OPENAI_USAGE: UsageKeys = ("prompt_tokens", "completion_tokens", "", "")
_COHERE_USAGE: UsageKeys = ("input_tokens", "output_tokens", "", "")  # meta.billed_units


def _set_usage(
    record: Invocation,
    uncached_input: int | None,
    output: int | None,
    cache_read: int | None = None,
    cache_write: int | None = None,
    *,
    fill_only: bool = False,
) -> None:
    """Token counts onto the record; input includes the cache (semconv). ``fill_only``: keep what is set."""
    if uncached_input is not None and not (fill_only and record.input_tokens is not None):
        record.input_tokens = uncached_input + (cache_read or 0) + (cache_write or 0)
    if not isinstance(record, Inference):
        return
    if output is not None and not (fill_only and record.output_tokens is not None):
        record.output_tokens = output
    if cache_read is not None and not (fill_only and record.cache_read_input_tokens is not None):
        record.cache_read_input_tokens = cache_read
    if cache_write is not None and not (fill_only and record.cache_write_input_tokens is not None):
        record.cache_write_input_tokens = cache_write


def _read_usage(record: Invocation, usage: Any, keys: UsageKeys, *, fill_only: bool = False) -> None:
    usage = _map(usage)
    counts = [_int(usage.get(key)) if key else None for key in keys]
    _set_usage(record, *counts, fill_only=fill_only)


def read_usage_headers(record: Invocation, headers: Any) -> None:
    """``x-amzn-bedrock-*-token-count`` headers (botocore's ``HTTPHeaders``, lower-case names) fill the
    token counts the body did not give. Never raises."""
    try:
        if not isinstance(headers, Mapping):
            return

        def count(name: str) -> int | None:
            value = headers.get(f"x-amzn-bedrock-{name}-token-count")
            if isinstance(value, str) and value.strip().isdigit():
                return int(value)
            return _int(value)

        names = ("input", "output", "cache-read-input", "cache-write-input")
        _set_usage(record, *map(count, names), fill_only=True)
    except Exception:
        logger.debug("otel_genai: could not read Bedrock's token headers", exc_info=True)


# --- content helpers --------------------------------------------------------------------------------


def _text_parts(text: Any) -> list[Part]:
    return [text_part(text)] if isinstance(text, str) and text else []


def _prompt_input(body: Mapping[str, Any], key: str) -> list[InputMessage]:
    """A text-completion body's prompt as the one user message."""
    return [input_message("user", _text_parts(body.get(key)))]


def _input_messages(messages: Any, parts: Callable[[Any], list[Part]]) -> list[InputMessage]:
    """``[{"role", "content"}]`` messages whose content ``parts`` reads."""
    return [
        input_message(_str(_map(m).get("role")) or "user", parts(_map(m).get("content")))
        for m in _list(messages)
    ]


def _output(parts: list[Part], reason: str | None, *, tool_calls: bool = False) -> OutputMessage:
    mapped = semconv_finish_reason(reason)
    if tool_calls and mapped == "stop":
        mapped = "tool_call"
    return output_message(parts, mapped)


def _tool_definitions(
    tools: Any, details: bool, spec: Callable[[Mapping[str, Any]], tuple[str, Any, Any, Any]]
) -> list[ToolDefinition] | None:
    """``spec(tool) -> (type, name, description, parameters)`` for each tool of a request."""
    definitions = []
    for tool in _list(tools):
        kind, name, description, parameters = spec(_map(tool))
        if isinstance(name, str) and name:
            definitions.append(tool_definition(kind, name, description, parameters, details=details))
    return definitions or None


class _PartsBuilder:
    """Output parts in stream order: consecutive text (or reasoning) deltas joined, tool calls in place."""

    __slots__ = ("entries",)

    def __init__(self, text: Any = None) -> None:
        # (kind, payload): "text" / "reasoning" -> list of deltas; "tool" -> ToolCallRequest; "part" -> Part
        self.entries: list[tuple[str, Any]] = []
        self.add_text(text)

    def add_text(self, text: Any, kind: str = "text") -> None:
        if not isinstance(text, str) or not text:
            return
        if self.entries and self.entries[-1][0] == kind:
            self.entries[-1][1].append(text)
        else:
            self.entries.append((kind, [text]))

    def add_tool(self, call: ToolCallRequest) -> None:
        self.entries.append(("tool", call))

    def add_part(self, part: Part | None) -> None:
        if part is not None:
            self.entries.append(("part", part))

    def tool_calls(self) -> list[ToolCallRequest]:
        return [payload for kind, payload in self.entries if kind == "tool"]

    def parts(self) -> list[Part]:
        parts: list[Part] = []
        for kind, payload in self.entries:
            if kind == "text":
                parts.append(text_part("".join(payload)))
            elif kind == "reasoning":
                parts.append(reasoning_part("".join(payload)))
            elif kind == "tool":
                parts.append(tool_call_part(payload.id, payload.name, payload.arguments))
            else:
                parts.append(payload)
        return parts


Choice = tuple[_PartsBuilder, "str | None"]


def _add_blocks(
    builder: _PartsBuilder,
    blocks: Any,
    tool_call: Callable[[Mapping[str, Any]], ToolCallRequest | None],
    part: Callable[[Mapping[str, Any]], Part | None],
    capture: bool,
) -> None:
    """A response's content blocks in order: tool calls (``tool_call``: None for any other block) always,
    the other blocks (``part``) only with content."""
    for block in map(_map, _list(blocks)):
        call = tool_call(block)
        if call is not None:
            builder.add_tool(call)
        elif capture:
            builder.add_part(part(block))


def _finish_choices(
    record: Inference, choices: list[Choice], capture: bool, *, tool_reason: bool = False
) -> None:
    """The choices' results onto the record: finish reasons, tool calls (arguments only with content) and,
    with content, one output message each (``tool_reason``: a plain stop with tool calls is ``tool_call``)."""
    record.finish_reasons = [reason or "error" for _, reason in choices] or None
    calls = [call for builder, _ in choices for call in builder.tool_calls()]
    if calls:
        record.tool_calls = [
            ToolCallRequest(call.id, call.name, call.arguments if capture else None) for call in calls
        ]
    if capture:
        record.output_messages = [
            _output(builder.parts(), reason, tool_calls=tool_reason and bool(builder.tool_calls()))
            for builder, reason in choices
        ]


def _guardrail_intervened(record: Inference) -> None:
    record.finish_reasons = [GUARDRAIL_INTERVENED for _ in record.finish_reasons or (None,)]
    for message in record.output_messages or ():
        message["finish_reason"] = semconv_finish_reason(GUARDRAIL_INTERVENED)


# --- Bedrock content blocks: Converse requests and responses, Nova's messages-v1 bodies ----------------

_DOCUMENT_TYPES = {
    "pdf": "application/pdf",
    "csv": "text/csv",
    "doc": "application/msword",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xls": "application/vnd.ms-excel",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "html": "text/html",
    "txt": "text/plain",
    "md": "text/markdown",
}
_MEDIA = ("image", "video", "audio", "document")


def converse_input_messages(messages: Any) -> list[InputMessage] | None:
    if not isinstance(messages, (list, tuple)):
        return None
    return _input_messages(list(messages), content_parts)


def content_parts(blocks: Any) -> list[Part]:
    """``ContentBlock``s (and ``SystemContentBlock``s) as semconv parts; cache points dropped."""
    parts: list[Part] = []
    for block in blocks if isinstance(blocks, (list, tuple)) else ():
        part = content_part(_map(block))
        if part is not None:
            parts.append(part)
    return parts


def content_part(block: Mapping[str, Any]) -> Part | None:
    if "text" in block:
        return text_part(str(block["text"]))
    if "toolUse" in block:
        use = _map(block["toolUse"])
        return tool_call_part(_str(use.get("toolUseId")), _str(use.get("name")), use.get("input"))
    if "toolResult" in block:
        result = _map(block["toolResult"])
        return tool_call_response_part(_str(result.get("toolUseId")), _tool_result(result.get("content")))
    if "reasoningContent" in block:
        reasoning = _map(block["reasoningContent"])
        text = _map(reasoning.get("reasoningText")).get("text")
        return reasoning_part(text if isinstance(text, str) else "")  # redactedContent: reasoning, unread
    for modality in _MEDIA:
        if modality in block:
            return _media_part(_map(block[modality]), modality)
    if "guardContent" in block:
        return text_part(str(_map(_map(block["guardContent"]).get("text")).get("text") or ""))
    if "citationsContent" in block:
        pieces = _map(block["citationsContent"]).get("content") or ()
        return text_part("".join(str(_map(piece).get("text") or "") for piece in pieces))
    if "cachePoint" in block:
        return None
    return generic_part(next(iter(block), "unknown"))


def _media_part(media: Mapping[str, Any], modality: str) -> Part:
    """An image, document, video or audio block: inline bytes as a blob (base64), S3 as a URI."""
    source = _map(media.get("source"))
    mime_type = _mime_type(modality, _str(media.get("format")))
    data = source.get("bytes")
    if isinstance(data, (bytes, bytearray)):
        return blob_part(base64.b64encode(data).decode("ascii"), modality, mime_type)
    if isinstance(data, str):  # base64 already (a JSON body; or the application serialised it itself)
        return blob_part(data, modality, mime_type)
    location = _map(source.get("s3Location"))
    if location.get("uri"):
        return uri_part(str(location["uri"]), modality)
    if isinstance(source.get("text"), str):  # a text document
        return text_part(source["text"])
    return generic_part(modality)


def _mime_type(modality: str, fmt: str | None) -> str | None:
    if not fmt:
        return None
    if modality == "document":
        return _DOCUMENT_TYPES.get(fmt)
    return f"{modality}/{'jpeg' if fmt == 'jpg' else fmt}"


def _tool_result(content: Any) -> Any:
    """A ``toolResult``'s content: JSON as the object, text as the string; a list when several."""
    values: list[Any] = []
    for item in content if isinstance(content, (list, tuple)) else ():
        item = _map(item)
        if "json" in item:
            values.append(item["json"])
        elif "text" in item:
            values.append(item["text"])
        else:
            part = content_part(item)
            if part is not None:
                values.append(part)
    return values[0] if len(values) == 1 else values


def converse_tool_definitions(tools: Any, details: bool) -> list[ToolDefinition] | None:
    """``toolConfig.tools``: ``toolSpec`` functions (schema in ``inputSchema.json``) and system tools."""
    if not isinstance(tools, (list, tuple)) or not tools:
        return None
    definitions = []
    for tool in tools:
        tool = _map(tool)
        spec = _map(tool.get("toolSpec"))
        if spec:
            definitions.append(
                tool_definition(
                    "function",
                    str(spec.get("name") or "function"),
                    spec.get("description"),
                    _map(spec.get("inputSchema")).get("json"),
                    details=details,
                )
            )
        elif "systemTool" in tool:
            definitions.append(
                tool_definition("system", str(_map(tool["systemTool"]).get("name") or "system"))
            )
    return definitions or None


# --- the family interface ---------------------------------------------------------------------------


class ChunkReader:
    """Reads one response stream's decoded chunks; ``finish`` writes what they said onto the record.

    Subclasses implement ``on_chunk`` and ``on_finish`` (called only if a chunk came). Bedrock's
    invocation metrics (token counts on the last chunk, for every family) and its guardrail action are
    read here.
    """

    def __init__(self) -> None:
        self.metrics: Mapping[str, Any] | None = None
        self.guardrail = False
        self.seen = False

    def feed(self, chunk: Any) -> None:
        try:
            if not isinstance(chunk, Mapping):
                return
            metrics = chunk.get(INVOCATION_METRICS)
            if isinstance(metrics, Mapping):
                self.metrics = metrics
            if chunk.get(GUARDRAIL_ACTION) == "INTERVENED":
                self.guardrail = True
            self.seen = True
            self.on_chunk(chunk)
        except Exception:
            logger.debug("otel_genai: could not read a Bedrock stream chunk", exc_info=True)

    def finish(self, record: Invocation, capture: bool) -> None:
        try:
            if isinstance(record, Inference) and self.seen:
                self.on_finish(record, capture)
                if self.guardrail:
                    _guardrail_intervened(record)
            if self.metrics is not None:
                _read_usage(record, self.metrics, _METRICS_USAGE, fill_only=True)
        except Exception:
            logger.debug("otel_genai: could not summarise a Bedrock stream", exc_info=True)

    def on_chunk(self, chunk: Mapping[str, Any]) -> None:
        """Read one chunk (subclass)."""

    def on_finish(self, record: Inference, capture: bool) -> None:
        """Turn what was collected into record fields (subclass)."""


class ModelFamily:
    """How one model family's ``invoke_model`` bodies read: ``params`` (read from the body, or from its
    ``params_under`` object) and the ``_read_*`` hooks, which get only a record of ``record_type``."""

    name = "unknown"
    record_type: type[Invocation] = Inference
    default_operation = sc.OPERATION_CHAT
    params: Params = {}
    params_under: str | None = None

    def operation(self, body: Any) -> str:
        return self.default_operation

    def read_request(self, record: Invocation, body: Any, capture: bool, tool_details: bool = False) -> None:
        try:
            if not isinstance(body, Mapping):
                return
            record.operation = self.operation(body)
            if not isinstance(record, self.record_type):
                return
            self._read_parameters(record, body)
            self._read_fingerprint_sources(record, body)
            if capture:
                self._read_content(record, body, tool_details)
        except Exception:
            logger.debug("otel_genai: could not read a %s request body", self.name, exc_info=True)

    def read_content(self, record: Invocation, body: Any, tool_details: bool = False) -> None:
        """The request's content alone, once ``read_request(..., capture=False)`` has read the rest."""
        try:
            if isinstance(body, Mapping) and isinstance(record, self.record_type):
                self._read_content(record, body, tool_details)
        except Exception:
            logger.debug("otel_genai: could not read a %s request body", self.name, exc_info=True)

    def read_response(self, record: Invocation, body: Any, capture: bool) -> None:
        try:
            if not isinstance(body, Mapping) or not isinstance(record, self.record_type):
                return
            self._read_response(record, body, capture)
            if isinstance(record, Inference) and body.get(GUARDRAIL_ACTION) == "INTERVENED":
                _guardrail_intervened(record)
        except Exception:
            logger.debug("otel_genai: could not read a %s response body", self.name, exc_info=True)

    def chunk_reader(self) -> ChunkReader:
        return ChunkReader()

    def _read_parameters(self, record: Any, body: Mapping[str, Any]) -> None:
        _read_params(record, _map(body.get(self.params_under)) if self.params_under else body, self.params)

    def _read_fingerprint_sources(self, record: Any, body: Mapping[str, Any]) -> None:
        """``record.instructions`` / ``record.tool_schemas``: the body's system part and tools as they are
        (or a callable that finds them), for the prompt and tool fingerprints in any capture mode (subclass:
        families whose bodies have them)."""

    def _read_content(self, record: Any, body: Mapping[str, Any], tool_details: bool) -> None:
        """The request's content: input messages, system instructions, tool definitions (subclass)."""

    def _read_response(self, record: Any, body: Mapping[str, Any], capture: bool) -> None:
        """The response body (subclass)."""

    def __repr__(self) -> str:
        return f"<ModelFamily {self.name}>"


_SAMPLING = {"temperature": "temperature", "top_p": "top_p"}


# --- Anthropic Claude (Messages API; the legacy Text Completions ``prompt``) -------------------------


def _anthropic_source(block: Mapping[str, Any], modality: str) -> Part:
    source = _map(block.get("source"))
    kind = source.get("type")
    if kind == "base64" and isinstance(source.get("data"), str):
        return blob_part(source["data"], modality, _str(source.get("media_type")))
    if kind == "url" and isinstance(source.get("url"), str):
        return uri_part(source["url"], modality)
    if kind == "text" and isinstance(source.get("data"), str):
        return text_part(source["data"])
    return generic_part(str(block.get("type") or modality))


def _anthropic_tool_result(content: Any) -> Any:
    if isinstance(content, list) and all(_map(b).get("type") == "text" for b in content):
        return "".join(_str(_map(b).get("text")) or "" for b in content)
    return content


def _anthropic_tool_call(block: Mapping[str, Any], arguments: Any) -> ToolCallRequest:
    return ToolCallRequest(_str(block.get("id")), _str(block.get("name")), _json_text(arguments))


def _anthropic_block_call(block: Mapping[str, Any]) -> ToolCallRequest | None:
    return _anthropic_tool_call(block, block.get("input")) if block.get("type") == "tool_use" else None


def _anthropic_server_tool(block: Mapping[str, Any]) -> Part:
    return server_tool_call_part(_str(block.get("id")), _str(block.get("name")) or "server_tool")


def _anthropic_part(block: Any) -> Part | None:
    if isinstance(block, str):
        return text_part(block)
    block = _map(block)
    kind = block.get("type")
    if kind == "text":
        return text_part(_str(block.get("text")) or "")
    if kind in ("image", "document"):
        return _anthropic_source(block, kind)
    if kind == "tool_use":
        return tool_call_part(_str(block.get("id")), _str(block.get("name")), block.get("input"))
    if kind == "tool_result":
        return tool_call_response_part(
            _str(block.get("tool_use_id")), _anthropic_tool_result(block.get("content"))
        )
    if kind == "thinking":
        return reasoning_part(_str(block.get("thinking")) or "")
    if kind == "redacted_thinking":
        return reasoning_part("")
    if kind == "server_tool_use":
        return _anthropic_server_tool(block)
    return generic_part(kind) if isinstance(kind, str) else None


def _anthropic_parts(content: Any) -> list[Part]:
    if isinstance(content, str):
        return _text_parts(content)
    return [part for part in map(_anthropic_part, _list(content)) if part is not None]


def _anthropic_tool(tool: Mapping[str, Any]) -> tuple[str, Any, Any, Any]:
    kind = tool.get("type")
    # custom tools have no type (or "custom"); server tools are typed by version ("web_search_20250305")
    kind = "function" if kind in (None, "custom") else str(kind)
    return kind, tool.get("name"), tool.get("description"), tool.get("input_schema")


def _response_meta(record: Inference, body: Mapping[str, Any]) -> None:
    """``id`` and ``model``, where a body (or a stream's first event) has them."""
    record.response_id = _str(body.get("id")) or record.response_id
    record.response_model = _str(body.get("model")) or record.response_model


class _Anthropic(ModelFamily):
    name = "anthropic"
    params = _params(
        max_tokens=("max_tokens", "max_tokens_to_sample"),
        **_SAMPLING,
        top_k="top_k",
        stop_sequences="stop_sequences",
    )

    def operation(self, body: Any) -> str:
        legacy = "prompt" in body and "messages" not in body
        return sc.OPERATION_TEXT_COMPLETION if legacy else sc.OPERATION_CHAT

    def _read_fingerprint_sources(self, record: Inference, body: Mapping[str, Any]) -> None:
        if record.operation == sc.OPERATION_CHAT:  # the legacy prompt has no system part of its own
            record.instructions = body.get("system")
            record.tool_schemas = body.get("tools")

    def _read_content(self, record: Inference, body: Mapping[str, Any], tool_details: bool) -> None:
        if record.operation == sc.OPERATION_TEXT_COMPLETION:
            record.input_messages = _prompt_input(body, "prompt")
            return
        if body.get("system"):
            record.system_instructions = _anthropic_parts(body["system"]) or None
        record.input_messages = _input_messages(body.get("messages"), _anthropic_parts)
        record.tool_definitions = _tool_definitions(body.get("tools"), tool_details, _anthropic_tool)

    def _read_response(self, record: Inference, body: Mapping[str, Any], capture: bool) -> None:
        _response_meta(record, body)
        _read_usage(record, body.get("usage"), _ANTHROPIC_USAGE)
        builder = _PartsBuilder(body.get("completion"))  # legacy Text Completions
        _add_blocks(builder, body.get("content"), _anthropic_block_call, _anthropic_part, capture)
        _finish_choices(record, [(builder, _str(body.get("stop_reason")))], capture)

    def chunk_reader(self) -> ChunkReader:
        return _AnthropicChunks()


class _AnthropicChunks(ChunkReader):
    """The Messages API's server-sent events, one JSON chunk each (or legacy ``completion`` chunks)."""

    def __init__(self) -> None:
        super().__init__()
        self.builder = _PartsBuilder()
        self.reason: str | None = None
        self.message: Mapping[str, Any] = {}
        self.usage: dict[str, Any] = {}
        self.blocks: dict[int, str] = {}  # content block index -> its type

    def on_chunk(self, chunk: Mapping[str, Any]) -> None:
        kind = chunk.get("type")
        if kind is None and "completion" in chunk:  # legacy Text Completions stream
            self.builder.add_text(chunk.get("completion"))
            self.reason = _str(chunk.get("stop_reason")) or self.reason
        elif kind == "message_start":
            self.message = _map(chunk.get("message"))
            self.usage.update(_map(self.message.get("usage")))
        elif kind == "content_block_start":
            self._block_start(_int(chunk.get("index")), _map(chunk.get("content_block")))
        elif kind == "content_block_delta":
            delta = _map(chunk.get("delta"))
            delta_type = delta.get("type")
            if delta_type == "text_delta":
                self.builder.add_text(delta.get("text"))
            elif delta_type == "thinking_delta":
                self.builder.add_text(delta.get("thinking"), "reasoning")
            elif delta_type == "input_json_delta":
                call = self._open_call(_int(chunk.get("index")))
                partial = _str(delta.get("partial_json"))
                if call is not None and partial:
                    call.arguments = (call.arguments or "") + partial
        elif kind == "message_delta":
            self.reason = _str(_map(chunk.get("delta")).get("stop_reason")) or self.reason
            # cumulative counts: the latest wins
            self.usage.update({k: v for k, v in _map(chunk.get("usage")).items() if v is not None})

    def _block_start(self, index: int | None, block: Mapping[str, Any]) -> None:
        kind = block.get("type")
        if index is not None and isinstance(kind, str):
            self.blocks[index] = kind
        if kind == "text":
            self.builder.add_text(block.get("text"))
        elif kind == "thinking":
            self.builder.add_text(block.get("thinking"), "reasoning")
        elif kind == "tool_use":
            initial = block.get("input")
            self.builder.add_tool(_anthropic_tool_call(block, None if initial == {} else initial))
        elif kind == "redacted_thinking":
            self.builder.add_part(reasoning_part(""))
        elif kind == "server_tool_use":
            self.builder.add_part(_anthropic_server_tool(block))
        elif isinstance(kind, str):
            self.builder.add_part(generic_part(kind))

    def _open_call(self, index: int | None) -> ToolCallRequest | None:
        """The tool call a delta continues: the last one started (blocks stream one at a time)."""
        if index is not None and self.blocks.get(index) not in (None, "tool_use"):
            return None
        calls = self.builder.tool_calls()
        return calls[-1] if calls else None

    def on_finish(self, record: Inference, capture: bool) -> None:
        _response_meta(record, self.message)
        _read_usage(record, self.usage, _ANTHROPIC_USAGE)
        _finish_choices(record, [(self.builder, self.reason)], capture)


# --- Amazon Nova (messages-v1: Converse's content blocks) ---------------------------------------------


def _nova_block_call(block: Mapping[str, Any]) -> ToolCallRequest | None:
    if "toolUse" not in block:
        return None
    use = _map(block["toolUse"])
    return ToolCallRequest(_str(use.get("toolUseId")), _str(use.get("name")), _json_text(use.get("input")))


def _nova_parts(content: Any) -> list[Part]:
    return _text_parts(content) if isinstance(content, str) else content_parts(_list(content))


class _Nova(ModelFamily):
    name = "amazon.nova"
    params_under = "inferenceConfig"
    params = _params(
        max_tokens=("maxTokens", "max_new_tokens"),
        temperature="temperature",
        top_p="topP",
        top_k="topK",
        stop_sequences="stopSequences",
    )

    def _read_fingerprint_sources(self, record: Inference, body: Mapping[str, Any]) -> None:
        record.instructions = body.get("system")
        record.tool_schemas = _map(body.get("toolConfig")).get("tools")

    def _read_content(self, record: Inference, body: Mapping[str, Any], tool_details: bool) -> None:
        system = _nova_parts(body.get("system"))
        if system:
            record.system_instructions = system
        record.input_messages = _input_messages(body.get("messages"), _nova_parts)
        tools = _map(body.get("toolConfig")).get("tools")
        record.tool_definitions = converse_tool_definitions(_list(tools), tool_details)

    def _read_response(self, record: Inference, body: Mapping[str, Any], capture: bool) -> None:
        _read_usage(record, body.get("usage"), _NOVA_USAGE)
        builder = _PartsBuilder()
        message = _map(_map(body.get("output")).get("message"))
        _add_blocks(builder, message.get("content"), _nova_block_call, content_part, capture)
        _finish_choices(record, [(builder, _str(body.get("stopReason")))], capture)

    def chunk_reader(self) -> ChunkReader:
        return _NovaChunks()


class _NovaChunks(ChunkReader):
    """``messageStart``, ``contentBlockStart`` (tool use), ``contentBlockDelta``, ``messageStop``,
    ``metadata`` (usage). Nova may open a new content block for every text delta: text is joined."""

    def __init__(self) -> None:
        super().__init__()
        self.builder = _PartsBuilder()
        self.reason: str | None = None
        self.usage: Mapping[str, Any] = {}
        self.tool_blocks: dict[int, ToolCallRequest] = {}

    def on_chunk(self, chunk: Mapping[str, Any]) -> None:
        if "contentBlockDelta" in chunk:
            event = _map(chunk.get("contentBlockDelta"))
            delta = _map(event.get("delta"))
            if "text" in delta:
                self.builder.add_text(delta.get("text"))
            elif "toolUse" in delta:
                call = self._call(_int(event.get("contentBlockIndex")))
                piece = _map(delta.get("toolUse")).get("input")
                if call is not None and piece is not None:
                    call.arguments = (call.arguments or "") + (_json_text(piece) or "")
            elif "reasoningContent" in delta:
                self.builder.add_text(_map(delta.get("reasoningContent")).get("text"), "reasoning")
        elif "contentBlockStart" in chunk:
            event = _map(chunk.get("contentBlockStart"))
            use = _map(_map(event.get("start")).get("toolUse"))
            if use:
                call = ToolCallRequest(_str(use.get("toolUseId")), _str(use.get("name")))
                index = _int(event.get("contentBlockIndex"))
                if index is not None:
                    self.tool_blocks[index] = call
                self.builder.add_tool(call)
        elif "messageStop" in chunk:
            self.reason = _str(_map(chunk.get("messageStop")).get("stopReason")) or self.reason
        elif "metadata" in chunk:
            self.usage = _map(_map(chunk.get("metadata")).get("usage"))

    def _call(self, index: int | None) -> ToolCallRequest | None:
        if index is not None and index in self.tool_blocks:
            return self.tool_blocks[index]
        calls = self.builder.tool_calls()
        return calls[-1] if calls else None

    def on_finish(self, record: Inference, capture: bool) -> None:
        _read_usage(record, self.usage, _NOVA_USAGE)
        _finish_choices(record, [(self.builder, self.reason)], capture)


# --- text completion: Amazon Titan Text, Meta Llama ------------------------------------------------------


class _TextCompletion(ModelFamily):
    """A prompt in, text out; a stream of chunks carrying the next text, the reason and running counts
    under the keys of ``chunk_keys`` (text, finish reason, input tokens, output tokens)."""

    default_operation = sc.OPERATION_TEXT_COMPLETION
    prompt_key = "prompt"
    chunk_keys: tuple[str, str, str, str] = ("", "", "", "")

    def _read_content(self, record: Inference, body: Mapping[str, Any], tool_details: bool) -> None:
        record.input_messages = _prompt_input(body, self.prompt_key)

    def chunk_reader(self) -> ChunkReader:
        return _TextChunks(self.chunk_keys)


class _TextChunks(ChunkReader):
    def __init__(self, keys: tuple[str, str, str, str]) -> None:
        super().__init__()
        self.keys = keys
        self.builder = _PartsBuilder()
        self.reason: str | None = None
        self.input_tokens: int | None = None
        self.output_tokens: int | None = None

    def on_chunk(self, chunk: Mapping[str, Any]) -> None:
        text, reason, input_tokens, output_tokens = self.keys
        self.builder.add_text(chunk.get(text))
        self.reason = _str(chunk.get(reason)) or self.reason
        self.input_tokens = _int(chunk.get(input_tokens)) or self.input_tokens
        self.output_tokens = _int(chunk.get(output_tokens)) or self.output_tokens

    def on_finish(self, record: Inference, capture: bool) -> None:
        _set_usage(record, self.input_tokens, self.output_tokens)
        _finish_choices(record, [(self.builder, self.reason)], capture)


class _TitanText(_TextCompletion):
    name = "amazon.titan"
    params_under = "textGenerationConfig"
    params = _params(
        max_tokens="maxTokenCount", temperature="temperature", top_p="topP", stop_sequences="stopSequences"
    )
    prompt_key = "inputText"
    chunk_keys = ("outputText", "completionReason", "inputTextTokenCount", "totalOutputTextTokenCount")

    def _read_response(self, record: Inference, body: Mapping[str, Any], capture: bool) -> None:
        results = [_map(r) for r in _list(body.get("results"))]
        counts = [count for count in (_int(r.get("tokenCount")) for r in results) if count is not None]
        _set_usage(record, _int(body.get("inputTextTokenCount")), sum(counts) if counts else None)
        if results:
            choices = [(_PartsBuilder(r.get("outputText")), _str(r.get("completionReason"))) for r in results]
            _finish_choices(record, choices, capture)


# The system part of a Llama prompt: Llama 3's system header (up to its end-of-turn), Llama 2's <<SYS>> block.
_LLAMA_SYSTEM = re.compile(
    r"<\|start_header_id\|>system<\|end_header_id\|>(.*?)(?:<\|eot_id\|>|$)|<<SYS>>(.*?)<</SYS>>", re.DOTALL
)


def llama_system_prompt(prompt: str) -> str | None:
    """The system text inside a Llama chat-template prompt (Bedrock's Llama takes the template as text):
    what its prompt fingerprint hashes, without the template's markup and the newlines around it."""
    texts = [(llama3 or llama2).strip() for llama3, llama2 in _LLAMA_SYSTEM.findall(prompt)]
    return "\n".join(text for text in texts if text) or None


class _Llama(_TextCompletion):
    name = "meta.llama"
    params = _params(max_tokens="max_gen_len", **_SAMPLING)
    # a response body is one whole chunk
    chunk_keys = ("generation", "stop_reason", "prompt_token_count", "generation_token_count")

    def _read_fingerprint_sources(self, record: Inference, body: Mapping[str, Any]) -> None:
        prompt = body.get("prompt")
        if isinstance(prompt, str) and prompt:
            record.instructions = partial(llama_system_prompt, prompt)

    def _read_content(self, record: Inference, body: Mapping[str, Any], tool_details: bool) -> None:
        parts = _text_parts(body.get("prompt"))
        # Llama 3.2 vision: base64 images beside the prompt
        parts.extend(blob_part(image, "image", None) for image in _list(body.get("images")) if image)
        record.input_messages = [input_message("user", parts)]

    def _read_response(self, record: Inference, body: Mapping[str, Any], capture: bool) -> None:
        text, reason, input_tokens, output_tokens = self.chunk_keys
        _set_usage(record, _int(body.get(input_tokens)), _int(body.get(output_tokens)))
        _finish_choices(record, [(_PartsBuilder(body.get(text)), _str(body.get(reason)))], capture)


# --- Mistral (text completion ``prompt``; chat ``messages``), OpenAI gpt-oss (Chat Completions) --------


def _openai_tool_call(call: Any) -> ToolCallRequest:
    call = _map(call)
    function = _map(call.get("function"))
    return ToolCallRequest(
        _str(call.get("id")), _str(function.get("name")), _json_text(function.get("arguments"))
    )


def _mistral_content(content: Any) -> list[Part]:
    if isinstance(content, str):
        return _text_parts(content)
    parts: list[Part] = []
    for chunk in map(_map, _list(content)):
        if chunk.get("type") == "text":
            parts.extend(_text_parts(chunk.get("text")))
        elif chunk.get("type") == "image_url":
            url = chunk.get("image_url")
            url = _map(url).get("url") if isinstance(url, Mapping) else url
            if isinstance(url, str):
                parts.append(uri_part(url, "image"))
        elif isinstance(chunk.get("type"), str):
            parts.append(generic_part(chunk["type"]))
    return parts


def _mistral_message(message: Any) -> InputMessage:
    message = _map(message)
    role = _str(message.get("role")) or "user"
    if role == "tool":
        content = message.get("content")
        response = content if isinstance(content, str) or content is None else _mistral_content(content)
        return input_message(role, [tool_call_response_part(_str(message.get("tool_call_id")), response)])
    parts = _mistral_content(message.get("content"))
    for call in map(_openai_tool_call, _list(message.get("tool_calls"))):
        parts.append(tool_call_part(call.id, call.name, call.arguments))
    return input_message(role, parts)


def _mistral_tool(tool: Mapping[str, Any]) -> tuple[str, Any, Any, Any]:
    kind = _str(tool.get("type")) or "function"
    spec = _map(tool.get(kind)) or tool
    return kind, spec.get("name"), spec.get("description"), spec.get("parameters")


def _choice_reason(choice: Mapping[str, Any]) -> str | None:
    return _str(choice.get("stop_reason")) or _str(choice.get("finish_reason"))


def _chat_choice(choice: Mapping[str, Any]) -> Choice:
    message = _map(choice.get("message"))
    builder = _PartsBuilder()
    for part in _mistral_content(message.get("content")):
        builder.add_part(part)
    for call in _list(message.get("tool_calls")):
        builder.add_tool(_openai_tool_call(call))
    return builder, _choice_reason(choice)


class _Mistral(ModelFamily):
    name = "mistral"
    params = _params(max_tokens="max_tokens", **_SAMPLING, top_k="top_k", stop_sequences="stop")

    def operation(self, body: Any) -> str:
        return sc.OPERATION_CHAT if "messages" in body else sc.OPERATION_TEXT_COMPLETION

    def _read_fingerprint_sources(self, record: Inference, body: Mapping[str, Any]) -> None:
        """Chat bodies (and gpt-oss's): the system / developer messages, found as the span ends; a text
        completion's ``[INST]`` prompt has no system part."""
        if record.operation != sc.OPERATION_CHAT:
            return
        messages = _list(body.get("messages"))
        if messages:
            record.instructions = partial(system_messages, messages)
        record.tool_schemas = body.get("tools")

    def _read_content(self, record: Inference, body: Mapping[str, Any], tool_details: bool) -> None:
        if record.operation == sc.OPERATION_TEXT_COMPLETION:
            record.input_messages = _prompt_input(body, "prompt")
            return
        record.input_messages = [_mistral_message(m) for m in _list(body.get("messages"))]
        record.tool_definitions = _tool_definitions(body.get("tools"), tool_details, _mistral_tool)

    def _read_response(self, record: Inference, body: Mapping[str, Any], capture: bool) -> None:
        _response_meta(record, body)
        _read_usage(record, body.get("usage"), _OPENAI_USAGE)
        if "outputs" in body:  # text completion
            outputs = [_map(o) for o in _list(body.get("outputs"))]
            choices = [(_PartsBuilder(o.get("text")), _str(o.get("stop_reason"))) for o in outputs]
            _finish_choices(record, choices, capture)
        elif _list(body.get("choices")):
            _finish_choices(record, [_chat_choice(_map(c)) for c in body["choices"]], capture)

    def chunk_reader(self) -> ChunkReader:
        return _MistralChunks()


class _MistralChunks(ChunkReader):
    """Text completion: ``{"outputs": [{"text", "stop_reason"}]}``; chat: ``{"choices": [{"index",
    "message" | "delta": {"content", "tool_calls"}, "stop_reason" | "finish_reason"}]}``."""

    def __init__(self) -> None:
        super().__init__()
        self.choices: dict[int, _PartsBuilder] = {}
        self.reasons: dict[int, str] = {}
        self.first: Mapping[str, Any] = {}
        self.usage: Mapping[str, Any] = {}

    def on_chunk(self, chunk: Mapping[str, Any]) -> None:
        if not self.first and (chunk.get("id") or chunk.get("model")):
            self.first = chunk
        if isinstance(chunk.get("usage"), Mapping):
            self.usage = chunk["usage"]
        for position, output in enumerate(map(_map, _list(chunk.get("outputs")))):
            self._builder(position).add_text(output.get("text"))
            self._reason(position, _str(output.get("stop_reason")))
        for position, choice in enumerate(map(_map, _list(chunk.get("choices")))):
            index = _int(choice.get("index"))
            index = position if index is None else index
            builder = self._builder(index)
            message = _map(choice.get("delta")) or _map(choice.get("message"))
            builder.add_text(message.get("content"))
            for call in _list(message.get("tool_calls")):
                self._tool_delta(builder, _map(call))
            self._reason(index, _choice_reason(choice))

    def _builder(self, index: int) -> _PartsBuilder:
        return self.choices.setdefault(index, _PartsBuilder())

    def _reason(self, index: int, reason: str | None) -> None:
        if reason:
            self.reasons[index] = reason

    @staticmethod
    def _tool_delta(builder: _PartsBuilder, call: Mapping[str, Any]) -> None:
        function = _map(call.get("function"))
        calls = builder.tool_calls()
        call_id = _str(call.get("id"))
        if calls and (call_id is None or call_id == calls[-1].id):
            current = calls[-1]  # a continuation of the last call's arguments
        else:
            current = ToolCallRequest(call_id, None)
            builder.add_tool(current)
        current.name = _str(function.get("name")) or current.name
        arguments = function.get("arguments")
        if arguments is not None:
            current.arguments = (current.arguments or "") + (_json_text(arguments) or "")

    def on_finish(self, record: Inference, capture: bool) -> None:
        _response_meta(record, self.first)
        _read_usage(record, self.usage, _OPENAI_USAGE)
        choices = [(self.choices[i], self.reasons.get(i)) for i in sorted(self.choices)]
        if choices:
            _finish_choices(record, choices, capture)


class _OpenAIChat(_Mistral):
    """OpenAI's open-weight models (``openai.gpt-oss-*``): the Chat Completions request and response (and
    its ``chat.completion.chunk`` stream), which Mistral's chat bodies already follow."""

    name = "openai"
    params = {
        **_Mistral.params,
        **_params(
            max_tokens=("max_completion_tokens", "max_tokens"),
            seed="seed",
            frequency_penalty="frequency_penalty",
            presence_penalty="presence_penalty",
            choice_count="n",
            reasoning_level="reasoning_effort",
        ),
    }

    def operation(self, body: Any) -> str:
        return sc.OPERATION_CHAT


# --- Cohere Command R / R+ (chat) and Command (generate) ----------------------------------------------

_COHERE_ROLES = {"USER": "user", "CHATBOT": "assistant", "SYSTEM": "system", "TOOL": "tool"}
_COHERE_SAMPLING = _params(
    max_tokens="max_tokens", temperature="temperature", top_p="p", top_k="k", stop_sequences="stop_sequences"
)


def _cohere_tool_call(call: Any) -> ToolCallRequest:
    call = _map(call)
    return ToolCallRequest(None, _str(call.get("name")), _json_text(call.get("parameters")))


def _cohere_tool_results(results: Any) -> list[Part]:
    parts: list[Part] = []
    for result in map(_map, _list(results)):
        outputs = _list(result.get("outputs"))
        parts.append(tool_call_response_part(None, outputs[0] if len(outputs) == 1 else outputs))
    return parts


def _cohere_history(entry: Any) -> InputMessage:
    entry = _map(entry)
    role = _str(entry.get("role")) or "USER"
    mapped = _COHERE_ROLES.get(role.upper(), role.lower())
    if mapped == "tool":
        return input_message(mapped, _cohere_tool_results(entry.get("tool_results")))
    parts = _text_parts(entry.get("message"))
    for call in map(_cohere_tool_call, _list(entry.get("tool_calls"))):
        parts.append(tool_call_part(call.id, call.name, call.arguments))
    return input_message(mapped, parts)


def _cohere_tool(tool: Mapping[str, Any]) -> tuple[str, Any, Any, Any]:
    return "function", tool.get("name"), tool.get("description"), tool.get("parameter_definitions")


def _cohere_usage(record: Invocation, body: Mapping[str, Any]) -> None:
    """Cohere's ``meta.billed_units`` where a body carries it (Bedrock's usually does not: headers then)."""
    _read_usage(record, _map(body.get("meta")).get("billed_units"), _COHERE_USAGE)


class _CohereChat(ModelFamily):
    name = "cohere.command-r"
    params = {
        **_COHERE_SAMPLING,
        **_params(frequency_penalty="frequency_penalty", presence_penalty="presence_penalty", seed="seed"),
    }

    def _read_fingerprint_sources(self, record: Inference, body: Mapping[str, Any]) -> None:
        record.instructions = body.get("preamble")
        record.tool_schemas = body.get("tools")

    def _read_content(self, record: Inference, body: Mapping[str, Any], tool_details: bool) -> None:
        preamble = body.get("preamble")
        if isinstance(preamble, str) and preamble:
            record.system_instructions = [text_part(preamble)]
        messages = [_cohere_history(entry) for entry in _list(body.get("chat_history"))]
        tool_results = _cohere_tool_results(body.get("tool_results"))
        if tool_results:
            messages.append(input_message("tool", tool_results))
        if isinstance(body.get("message"), str) and body["message"]:
            messages.append(input_message("user", [text_part(body["message"])]))
        record.input_messages = messages
        record.tool_definitions = _tool_definitions(body.get("tools"), tool_details, _cohere_tool)

    def _read_response(self, record: Inference, body: Mapping[str, Any], capture: bool) -> None:
        record.response_id = (
            _str(body.get("generation_id")) or _str(body.get("response_id")) or record.response_id
        )
        _cohere_usage(record, body)
        builder = _PartsBuilder(body.get("text"))
        for call in _list(body.get("tool_calls")):
            builder.add_tool(_cohere_tool_call(call))
        _finish_choices(record, [(builder, _str(body.get("finish_reason")))], capture, tool_reason=True)

    def chunk_reader(self) -> ChunkReader:
        return _CohereChatChunks(self)


class _CohereChatChunks(ChunkReader):
    """Cohere's chat stream events (``event_type``): ``stream-start`` (generation id), ``text-generation``,
    ``tool-calls-generation``, ``stream-end`` (finish reason and the whole response, read as one)."""

    def __init__(self, family: _CohereChat) -> None:
        super().__init__()
        self.family = family
        self.builder = _PartsBuilder()
        self.generation_id: str | None = None
        self.reason: str | None = None
        self.final: Mapping[str, Any] | None = None

    def on_chunk(self, chunk: Mapping[str, Any]) -> None:
        kind = chunk.get("event_type")
        if kind == "stream-start":
            self.generation_id = _str(chunk.get("generation_id")) or self.generation_id
        elif kind == "text-generation":
            self.builder.add_text(chunk.get("text"))
        elif kind == "tool-calls-generation":
            for call in _list(chunk.get("tool_calls")):
                self.builder.add_tool(_cohere_tool_call(call))
        elif kind == "stream-end":
            self.reason = _str(chunk.get("finish_reason")) or self.reason
            response = chunk.get("response")
            if isinstance(response, Mapping):
                self.final = response

    def on_finish(self, record: Inference, capture: bool) -> None:
        if self.final is not None:
            body = dict(self.final)
            body.setdefault("finish_reason", self.reason)
            body.setdefault("generation_id", self.generation_id)
            self.family._read_response(record, body, capture)
            return
        record.response_id = self.generation_id or record.response_id
        _finish_choices(record, [(self.builder, self.reason)], capture, tool_reason=True)


class _CohereGenerate(ModelFamily):
    name = "cohere.command"
    default_operation = sc.OPERATION_TEXT_COMPLETION
    params = {**_COHERE_SAMPLING, **_params(choice_count="num_generations")}

    def _read_content(self, record: Inference, body: Mapping[str, Any], tool_details: bool) -> None:
        record.input_messages = _prompt_input(body, "prompt")

    def _read_response(self, record: Inference, body: Mapping[str, Any], capture: bool) -> None:
        record.response_id = _str(body.get("id")) or record.response_id
        _cohere_usage(record, body)
        generations = [_map(g) for g in _list(body.get("generations"))]
        if generations:
            choices = [(_PartsBuilder(g.get("text")), _str(g.get("finish_reason"))) for g in generations]
            _finish_choices(record, choices, capture)

    def chunk_reader(self) -> ChunkReader:
        return _CohereGenerateChunks(self)


class _CohereGenerateChunks(ChunkReader):
    """``{"text", "is_finished": false, "index"?}`` chunks, then ``{"is_finished": true, "finish_reason",
    "response"?}``; a chunk carrying ``generations`` is a whole response."""

    def __init__(self, family: _CohereGenerate) -> None:
        super().__init__()
        self.family = family
        self.text: dict[int, _PartsBuilder] = {}
        self.reason: str | None = None
        self.final: Mapping[str, Any] | None = None

    def on_chunk(self, chunk: Mapping[str, Any]) -> None:
        if isinstance(chunk.get("generations"), list):
            self.final = chunk
        elif isinstance(_map(chunk.get("response")).get("generations"), list):
            self.final = chunk["response"]
        if chunk.get("is_finished") is True:
            self.reason = _str(chunk.get("finish_reason")) or self.reason
        elif isinstance(chunk.get("text"), str):
            self.text.setdefault(_int(chunk.get("index")) or 0, _PartsBuilder()).add_text(chunk["text"])

    def on_finish(self, record: Inference, capture: bool) -> None:
        if self.final is not None:
            final = dict(self.final)
            # the reason may be on the finishing chunk only, not on its generations
            final["generations"] = [
                {**_map(g), "finish_reason": _map(g).get("finish_reason") or self.reason}
                for g in _list(final.get("generations"))
            ]
            self.family._read_response(record, final, capture)
            return
        builders = [self.text[i] for i in sorted(self.text)] or [_PartsBuilder()]
        _finish_choices(record, [(builder, self.reason) for builder in builders], capture)


# --- embeddings: Titan Embeddings and Cohere Embed ------------------------------------------------------


def _length(vector: Any) -> int | None:
    return len(vector) if isinstance(vector, list) and vector else None


class _Embed(ModelFamily):
    record_type = Embedding
    default_operation = sc.OPERATION_EMBEDDINGS


class _TitanEmbed(_Embed):
    name = "amazon.titan-embed"
    params = _params(dimension_count="dimensions", encoding_formats="embeddingTypes")

    def _read_parameters(self, record: Embedding, body: Mapping[str, Any]) -> None:
        super()._read_parameters(record, body)
        if not record.dimension_count:
            record.dimension_count = _int(_map(body.get("embeddingConfig")).get("outputEmbeddingLength"))

    def _read_response(self, record: Embedding, body: Mapping[str, Any], capture: bool) -> None:
        _set_usage(record, _int(body.get("inputTextTokenCount")), None)
        if record.dimension_count is None:
            vector = body.get("embedding")
            if not isinstance(vector, list):
                vector = _map(body.get("embeddingsByType")).get("float")
            record.dimension_count = _length(vector)


class _CohereEmbed(_Embed):
    name = "cohere.embed"
    params = _params(encoding_formats="embedding_types", dimension_count="output_dimension")

    def _read_response(self, record: Embedding, body: Mapping[str, Any], capture: bool) -> None:
        record.response_id = _str(body.get("id")) or record.response_id
        _cohere_usage(record, body)
        if record.dimension_count is None:
            embeddings = body.get("embeddings")
            if isinstance(embeddings, Mapping):  # embeddings_by_type: {"float": [[...]], "int8": [[...]]}
                embeddings = next((v for v in embeddings.values() if isinstance(v, list) and v), None)
            record.dimension_count = _length(
                embeddings[0] if isinstance(embeddings, list) and embeddings else None
            )


# --- which family a model id (or a body) belongs to ----------------------------------------------------

ANTHROPIC = _Anthropic()
NOVA = _Nova()
TITAN_TEXT = _TitanText()
TITAN_EMBED = _TitanEmbed()
LLAMA = _Llama()
MISTRAL = _Mistral()
OPENAI = _OpenAIChat()
COHERE_CHAT = _CohereChat()
COHERE_GENERATE = _CohereGenerate()
COHERE_EMBED = _CohereEmbed()

FAMILIES: tuple[ModelFamily, ...] = (
    ANTHROPIC,
    NOVA,
    TITAN_TEXT,
    TITAN_EMBED,
    LLAMA,
    MISTRAL,
    OPENAI,
    COHERE_CHAT,
    COHERE_GENERATE,
    COHERE_EMBED,
)

# model id prefix -> family, the first that matches (Command R / A before the older Command)
_ID_PREFIXES = (
    ("anthropic", ANTHROPIC),
    ("meta.llama", LLAMA),
    ("mistral", MISTRAL),
    ("openai.gpt-oss", OPENAI),
    ("amazon.nova-", NOVA),
    ("amazon.titan-embed", TITAN_EMBED),
    ("amazon.titan-text", TITAN_TEXT),
    ("amazon.titan-tg1", TITAN_TEXT),
    ("cohere.command-r", COHERE_CHAT),
    ("cohere.command-a", COHERE_CHAT),
    ("cohere.command", COHERE_GENERATE),
    ("cohere.embed", COHERE_EMBED),
)
# Nova models that are not text generation over messages-v1 (image, video, speech-to-speech)
_NOVA_NOT_TEXT = ("amazon.nova-canvas", "amazon.nova-reel", "amazon.nova-sonic", "amazon.nova-2-sonic")
_VENDORS = ("anthropic", "amazon", "meta", "mistral", "cohere", "openai")
# ARN resource types whose name is (or starts with) a model id
_ARN_MODEL_RESOURCES = ("foundation-model/", "inference-profile/", "custom-model/")


def base_model_id(model_id: str) -> str | None:
    """The ``vendor.model`` id inside a model id, an inference profile id or an ARN; None if none is."""
    model = model_id.strip()
    if model.startswith("arn:"):
        resource = model.split(":", 5)[-1]
        prefix = next((p for p in _ARN_MODEL_RESOURCES if resource.startswith(p)), None)
        if prefix is None:
            return None  # application-inference-profile/, provisioned-model/, imported-model/, ...
        model = resource[len(prefix) :]
    segments = model.split(".")
    # cross-region inference profiles: "us.", "eu.", "apac.", "global.", "us-gov." ... before the vendor
    if len(segments) > 2 and segments[0] not in _VENDORS and segments[1] in _VENDORS:
        model = ".".join(segments[1:])
    return model if model.split(".", 1)[0] in _VENDORS else None


def _family_of_id(model: str) -> ModelFamily | None:
    if model.startswith("amazon.nova-") and ("embed" in model or model.startswith(_NOVA_NOT_TEXT)):
        return None
    return next((family for prefix, family in _ID_PREFIXES if model.startswith(prefix)), None)


def family_for_body(body: Any) -> ModelFamily | None:
    """A family recognised by the request body's own shape (for ARNs that name no model)."""
    if not isinstance(body, Mapping):
        return None
    if "anthropic_version" in body:
        return ANTHROPIC
    if body.get("schemaVersion") == "messages-v1" or "inferenceConfig" in body:
        return NOVA
    if "textGenerationConfig" in body:
        return TITAN_TEXT
    if "max_gen_len" in body:
        return LLAMA
    if isinstance(body.get("message"), str) or "chat_history" in body or "preamble" in body:
        return COHERE_CHAT
    if "texts" in body and "input_type" in body:
        return COHERE_EMBED
    if "inputText" in body:
        return TITAN_EMBED
    if "prompt" in body and ("p" in body or "k" in body or "num_generations" in body):
        return COHERE_GENERATE
    if "prompt" in body and "max_tokens_to_sample" in body:
        return ANTHROPIC
    messages = [_map(m) for m in _list(body.get("messages"))]
    if messages and all(isinstance(m.get("content"), list) for m in messages):
        blocks = [_map(b) for m in messages for b in m["content"]]
        if blocks and not any("type" in b for b in blocks):
            return NOVA  # Nova's blocks are keyed by kind ({"text": ...}); Anthropic's have a "type"
    if "messages" in body or "prompt" in body:
        return MISTRAL  # OpenAI-shaped chat or a bare prompt with max_tokens / stop / top_k
    return None


def family_for(model_id: Any, body: Any = None) -> ModelFamily | None:
    """The family of ``model_id`` (see the module docstring); the body decides where the id cannot."""
    try:
        if isinstance(model_id, str):
            model = base_model_id(model_id)
            if model is not None:
                return _family_of_id(model)
        return family_for_body(body)
    except Exception:
        logger.debug("otel_genai: could not tell the Bedrock model family of %r", model_id, exc_info=True)
        return None
