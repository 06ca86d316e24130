"""Content capture: the capture modes, semconv message JSON, and the size limit.

Content is opt-in. The instrumentors build messages with the part builders below (plain dicts shaped like
the semconv JSON schemas, ``gen-ai-input-messages.json`` and friends) only when a mode asks for content;
this module serialises them, truncating text so that the JSON stays valid.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Mapping
from typing import Any, Literal, TypedDict

from typing_extensions import NotRequired


class CaptureMode(enum.Enum):
    """Where captured content goes (``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT``)."""

    NO_CONTENT = "NO_CONTENT"
    SPAN_ONLY = "SPAN_ONLY"
    EVENT_ONLY = "EVENT_ONLY"
    SPAN_AND_EVENT = "SPAN_AND_EVENT"

    @property
    def captures(self) -> bool:
        return self is not CaptureMode.NO_CONTENT

    @property
    def on_span(self) -> bool:
        return self in (CaptureMode.SPAN_ONLY, CaptureMode.SPAN_AND_EVENT)

    @property
    def on_event(self) -> bool:
        return self in (CaptureMode.EVENT_ONLY, CaptureMode.SPAN_AND_EVENT)


# --- message parts and messages ----------------------------------------------------------------
# TypedDicts (typing only: plain dicts at run time) shaped exactly like the semconv JSON schemas
# (``gen-ai-input-messages.json``, ``gen-ai-output-messages.json``, ``gen-ai-system-instructions.json``,
# ``gen-ai-tool-definitions.json``), and one builder per part type. Instrumentors build content only with
# these builders, so a part looks the same whichever provider it comes from.


class TextPart(TypedDict):
    type: Literal["text"]
    content: str


class ReasoningPart(TypedDict):
    type: Literal["reasoning"]
    content: str


class RefusalPart(TypedDict):
    """A refusal: the schemas' ``GenericPart`` (any ``type``, extra properties allowed)."""

    type: Literal["refusal"]
    content: str


class ToolCallPart(TypedDict):
    type: Literal["tool_call"]
    id: str | None
    name: str | None
    arguments: Any


class ToolCallResponsePart(TypedDict):
    type: Literal["tool_call_response"]
    id: str | None
    response: Any


class ServerToolCallPart(TypedDict):
    """A tool the provider ran itself (web search, code interpreter, ...)."""

    type: Literal["server_tool_call"]
    id: str | None
    name: str
    server_tool_call: dict[str, Any]


class ServerToolCallResponsePart(TypedDict):
    """What a tool the provider ran itself returned (only its type: the results are the provider's)."""

    type: Literal["server_tool_call_response"]
    id: str | None
    server_tool_call_response: dict[str, Any]


class UriPart(TypedDict):
    type: Literal["uri"]
    modality: str
    uri: str
    mime_type: NotRequired[str]


class BlobPart(TypedDict):
    type: Literal["blob"]
    modality: str
    mime_type: str | None
    content: str


class FilePart(TypedDict):
    type: Literal["file"]
    modality: str
    file_id: str


class GenericPart(TypedDict):
    """A part of a type the conventions do not define: only its type is kept."""

    type: str


Part = (
    TextPart
    | ReasoningPart
    | RefusalPart
    | ToolCallPart
    | ToolCallResponsePart
    | ServerToolCallPart
    | ServerToolCallResponsePart
    | UriPart
    | BlobPart
    | FilePart
    | GenericPart
)


class InputMessage(TypedDict):
    role: str
    parts: list[Part]
    name: NotRequired[str]


class OutputMessage(TypedDict):
    role: str
    parts: list[Part]
    finish_reason: str


class ToolDefinition(TypedDict):
    type: str
    name: str
    description: NotRequired[str]
    parameters: NotRequired[Any]


def text_part(content: str) -> TextPart:
    return {"type": "text", "content": content}


def reasoning_part(content: str) -> ReasoningPart:
    return {"type": "reasoning", "content": content}


def refusal_part(content: str) -> RefusalPart:
    return {"type": "refusal", "content": content}


def tool_call_part(id: str | None, name: str | None, arguments: Any) -> ToolCallPart:
    """A tool call the model asked for; arguments sent as a JSON string become an object when they parse."""
    return {"type": "tool_call", "id": id, "name": name, "arguments": parse_json_arguments(arguments)}


def tool_call_response_part(id: str | None, response: Any) -> ToolCallResponsePart:
    return {"type": "tool_call_response", "id": id, "response": response}


def server_tool_call_part(id: str | None, name: str, kind: str | None = None) -> ServerToolCallPart:
    """A server-side tool call; ``kind`` is the discriminator of its details (the name by default)."""
    return {"type": "server_tool_call", "id": id, "name": name, "server_tool_call": {"type": kind or name}}


def server_tool_call_response_part(id: str | None, kind: str) -> ServerToolCallResponsePart:
    """The result of a server-side tool call (``id`` the call's); ``kind`` is its discriminator."""
    return {"type": "server_tool_call_response", "id": id, "server_tool_call_response": {"type": kind}}


def uri_part(uri: str, modality: str, mime_type: str | None = None) -> UriPart:
    """A reference to data by URI; ``mime_type`` when the request names it (the schema asks for it then)."""
    part: UriPart = {"type": "uri", "modality": modality, "uri": uri}
    if mime_type:
        part["mime_type"] = mime_type
    return part


def blob_part(content: str, modality: str, mime_type: str | None) -> BlobPart:
    """Inline data (base64 text, as the provider sent it)."""
    return {"type": "blob", "modality": modality, "mime_type": mime_type, "content": content}


def file_part(file_id: str, modality: str) -> FilePart:
    """A file uploaded to the provider, referred to by its id."""
    return {"type": "file", "modality": modality, "file_id": file_id}


def generic_part(kind: str) -> GenericPart:
    return {"type": kind}


def input_message(role: str, parts: list[Part], name: str | None = None) -> InputMessage:
    message: InputMessage = {"role": role, "parts": parts}
    if name is not None:
        message["name"] = name
    return message


def output_message(parts: list[Part], finish_reason: str, role: str = "assistant") -> OutputMessage:
    """``finish_reason`` must already be one of the schema's values (``semconv_finish_reason``)."""
    return {"role": role, "parts": parts, "finish_reason": finish_reason}


def tool_definition(
    kind: str, name: str, description: Any = None, parameters: Any = None, *, details: bool = False
) -> ToolDefinition:
    """Type and name; with ``details``, also the description and parameters (when present)."""
    definition: ToolDefinition = {"type": kind, "name": name}
    if details:
        if description:
            definition["description"] = description
        if parameters:
            definition["parameters"] = parameters
    return definition


# The output-message schema's finish_reason enum; provider values outside it are mapped here.
_FINISH_REASONS = {"stop", "length", "content_filter", "tool_call", "error"}
_FINISH_REASON_ALIASES = {
    "tool_calls": "tool_call",
    "function_call": "tool_call",
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "max_output_tokens": "length",
    "tool_use": "tool_call",
    "completed": "stop",
    "incomplete": "length",
    "failed": "error",
    # Anthropic
    "pause_turn": "stop",
    "refusal": "content_filter",
    # Google GenAI (FinishReason names, matched lower-case)
    "safety": "content_filter",
    "recitation": "content_filter",
    "blocklist": "content_filter",
    "prohibited_content": "content_filter",
    "spii": "content_filter",
    "image_safety": "content_filter",
    "malformed_function_call": "error",
    "unexpected_tool_call": "error",
    # AWS Bedrock (Converse stopReason and the model families' own values)
    "guardrail_intervened": "content_filter",
    "content_filtered": "content_filter",
    "model_context_window_exceeded": "length",
    "complete": "stop",
    "error_toxic": "content_filter",
    "finish": "stop",
    "stop_criteria_met": "stop",  # Titan Text: a stop sequence was reached
    "model_length": "length",  # Mistral chat: the model's context length
}


def semconv_finish_reason(reason: str | None) -> str:
    """Map a provider's finish reason onto the schema's enum (``error`` when unknown or missing)."""
    if reason is None:
        return "error"
    if reason in _FINISH_REASONS:
        return reason
    alias = _FINISH_REASON_ALIASES.get(reason)
    if alias is None:
        lowered = reason.lower()
        alias = lowered if lowered in _FINISH_REASONS else _FINISH_REASON_ALIASES.get(lowered, "error")
    return alias


def parse_json_arguments(arguments: Any) -> Any:
    """Tool-call arguments as an object when they are a JSON string (best effort, per semconv)."""
    if isinstance(arguments, str):
        try:
            return json.loads(arguments)
        except ValueError:
            return arguments
    return arguments


# --- serialisation ----------------------------------------------------------------------------

_TRUNCATED_FIELDS = ("content", "response", "arguments")
TRUNCATION_MARK = "…[truncated]"


def truncated(value: Any, limit: int) -> Any:
    """``value`` with every string longer than ``limit`` cut, at any depth; the same object if none is."""
    if isinstance(value, str):
        return value[:limit] + TRUNCATION_MARK if len(value) > limit else value
    if isinstance(value, dict):
        items = {key: truncated(item, limit) for key, item in value.items()}
        return value if all(items[key] is value[key] for key in value) else items
    if isinstance(value, list):
        cut = [truncated(item, limit) for item in value]
        return value if all(a is b for a, b in zip(cut, value, strict=True)) else cut
    return value


def _truncate_part(part: Mapping[str, Any], limit: int) -> Mapping[str, Any]:
    changed: dict[str, Any] | None = None
    for field in _TRUNCATED_FIELDS:
        value = part.get(field)
        if value is None:
            continue
        cut = truncated(value, limit)
        if cut is not value:
            if changed is None:
                changed = dict(part)
            changed[field] = cut
    return changed if changed is not None else part


def limit_parts(messages: list[Any], limit: int | None) -> list[Any]:
    """Truncate every long string field of every part to ``limit`` characters, leaving the input as is."""
    if not limit:
        return messages
    limited = []
    for message in messages:
        parts = message.get("parts") if isinstance(message, dict) else None
        if parts is None:
            # system instructions are a bare list of parts
            limited.append(_truncate_part(message, limit) if isinstance(message, dict) else message)
            continue
        new_parts = [_truncate_part(p, limit) if isinstance(p, dict) else p for p in parts]
        limited.append({**message, "parts": new_parts})
    return limited


# ``json.dumps`` with options builds a new encoder on every call; ``encode`` keeps no state between calls.
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=str)


def to_json(value: Any) -> str:
    """Compact JSON; anything the encoder cannot handle becomes its ``str()``."""
    return _ENCODER.encode(value)


def parts_json(messages: list[Any], limit: int | None) -> str:
    """``to_json(limit_parts(messages, limit))``, walking the parts only when the JSON is longer than
    ``limit``: a string longer than the limit makes the JSON longer still (escapes only lengthen it), so a
    short JSON has nothing to cut."""
    text = _ENCODER.encode(messages)
    if limit and len(text) > limit:
        text = _ENCODER.encode(limit_parts(messages, limit))
    return text
