"""Content capture: the capture modes, semconv message JSON, and the size limit.

Content is opt-in. The instrumentors build messages as plain dicts shaped like the semconv JSON schemas
(``gen-ai-input-messages.json`` and friends) only when a mode asks for content; this module serialises
them, truncating text so that the JSON stays valid.
"""

from __future__ import annotations

import enum
import json
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


# --- message shapes (TypedDicts: typing only, plain dicts at run time) -------------------------


class TextPart(TypedDict):
    type: Literal["text"]
    content: str


class ReasoningPart(TypedDict):
    type: Literal["reasoning"]
    content: str


class ToolCallPart(TypedDict):
    type: Literal["tool_call"]
    id: NotRequired[str | None]
    name: str
    arguments: Any


class ToolCallResponsePart(TypedDict):
    type: Literal["tool_call_response"]
    id: NotRequired[str | None]
    response: Any


Part = dict[str, Any]


class InputMessage(TypedDict):
    role: str
    parts: list[Part]
    name: NotRequired[str]


class OutputMessage(TypedDict):
    role: str
    parts: list[Part]
    finish_reason: str


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
}


def semconv_finish_reason(reason: str | None) -> str:
    """Map a provider's finish reason onto the schema's enum (``error`` when unknown or missing)."""
    if reason in _FINISH_REASONS:
        return reason  # type: ignore[return-value]
    return _FINISH_REASON_ALIASES.get(reason or "", "error")


def text_part(content: str) -> Part:
    return {"type": "text", "content": content}


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


def _truncate_part(part: Part, limit: int) -> Part:
    changed = None
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


def to_json(value: Any) -> str:
    """Compact JSON; anything the encoder cannot handle becomes its ``str()``."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
