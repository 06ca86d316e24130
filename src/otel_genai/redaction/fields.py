"""Structure-aware access to the text inside content attributes.

A content attribute is parsed (JSON where the convention says so), only its text leaves are handed to
the detector, and it is written back with the same shape: roles, ids, tool names, finish reasons,
types and numbers are never analysed and never change, so the result still validates against the
GenAI JSON schemas.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from otel_genai import semconv

# How each attribute's value is laid out.
MESSAGES = "messages"  # [{role, parts: [...], name?, finish_reason?}]
PARTS = "parts"  # [{type, content | arguments | response, ...}]
TOOL_DEFINITIONS = "tool_definitions"  # [{type, name, description, parameters}]
DOCUMENTS = "documents"  # [{id, score, content?, ...}]
ANY_JSON = "any_json"  # JSON if it parses (every string leaf is text), else plain text
TEXT = "text"

LAYOUTS: dict[str, str] = {
    semconv.GEN_AI_INPUT_MESSAGES: MESSAGES,
    semconv.GEN_AI_OUTPUT_MESSAGES: MESSAGES,
    semconv.GEN_AI_SYSTEM_INSTRUCTIONS: PARTS,
    semconv.GEN_AI_TOOL_DEFINITIONS: TOOL_DEFINITIONS,
    semconv.GEN_AI_TOOL_CALL_ARGUMENTS: ANY_JSON,
    semconv.GEN_AI_TOOL_CALL_RESULT: ANY_JSON,
    semconv.GEN_AI_RETRIEVAL_QUERY_TEXT: TEXT,
    semconv.GEN_AI_RETRIEVAL_DOCUMENTS: DOCUMENTS,
    semconv.GEN_AI_EVALUATION_EXPLANATION: TEXT,  # an evaluation's explanation may quote the answer
    semconv.EXCEPTION_MESSAGE: TEXT,
    # analysed whole: chained exceptions carry their own messages
    semconv.EXCEPTION_STACKTRACE: TEXT,
}

# Values under these keys describe the structure, not what a person wrote.
_MESSAGE_KEEP = frozenset({"role", "finish_reason"})
_PART_KEEP = frozenset({"type", "id", "name", "mime_type", "modality", "file_id"})
_DOCUMENT_KEEP = frozenset({"id", "score", "rank", "query_index"})
# JSON-schema keywords, at every depth of a tool definition
_TOOL_DEFINITION_KEEP = frozenset({"type", "name", "format", "required", "$ref", "additionalProperties"})
# Binary parts cannot be analysed; they are replaced (fail closed).
_BINARY_PART_TYPES = frozenset({"blob"})
BINARY_MARKER = "[BINARY_CONTENT_REDACTED]"


def layout_for(key: str, extra: Callable[[str], bool] | None = None) -> str | None:
    """The layout of a content attribute, or None for attributes that are not content."""
    layout = LAYOUTS.get(key)
    if layout is not None:
        return layout
    if key.startswith(semconv.GEN_AI_PROMPT_VARIABLE_PREFIX):
        return TEXT
    if extra is not None and extra(key):
        return ANY_JSON
    return None


@dataclass
class Leaf:
    """A text leaf inside a field, and how to write its redacted value back."""

    text: str
    container: Any  # the dict or list holding it; None for a plain-text field
    slot: Any  # its key or index
    # a string that is itself a JSON object or array (tool results usually are): its own leaves
    nested: Field | None = None
    # the entity type when the value sits under a sensitive key ({"password": ...}): replaced unanalysed
    forced: str | None = None


@dataclass
class Field:
    """One attribute (or log body) opened up: its text leaves and how to serialise it again.

    This base is a plain-text value (its one leaf has no container); subclasses hold structures."""

    value: Any
    leaves: list[Leaf] = field(default_factory=list)
    binary_parts: int = 0
    changed: bool = False
    # json key -> entity type for values replaced whole (RedactionPolicy.sensitive_keys)
    classify: Callable[[str], str | None] | None = None

    def add(self, text: str, container: Any, slot: Any) -> None:
        """A text leaf; a string holding a JSON object or array is opened so its keys stay intact."""
        forced = self.classify(slot) if self.classify is not None and isinstance(slot, str) else None
        nested = None
        if forced is None and text[:1] in "{[" and text[-1:] in "}]":
            try:
                parsed = json.loads(text)
            except ValueError:
                parsed = None
            if isinstance(parsed, (dict, list)):
                nested = _JsonField([parsed], classify=self.classify)
                _walk_any(parsed, nested)
        self.leaves.append(Leaf(text, container, slot, nested, forced))

    def texts(self) -> Any:
        """Every text to analyse, nested ones included."""
        for leaf in self.leaves:
            if leaf.forced is not None:
                continue
            if leaf.nested is None:
                yield leaf.text
            else:
                yield from leaf.nested.texts()

    def set(self, leaf: Leaf, text: str) -> None:
        self.changed = True
        if leaf.container is None:
            self.value = text
        else:
            leaf.container[leaf.slot] = text

    def dump(self) -> Any:
        return self.value


def open_field(value: Any, layout: str, classify: Callable[[str], str | None] | None = None) -> Field | None:
    """Parse an attribute value into a Field, or None when there is nothing textual in it.

    ``classify`` names the entity of values under sensitive JSON keys (they are replaced unanalysed)."""
    if isinstance(value, (list, tuple)) and value and all(isinstance(v, str) for v in value):
        items = list(value)  # a string-array attribute: each element is text
        return _ArrayField(items, [Leaf(text, items, i) for i, text in enumerate(items)])
    if isinstance(value, (Mapping, list, tuple)):
        # Structured content (log-record attributes and bodies): walk a copy, hand the copy back.
        opened: Field = _StructuredField([_thaw(value)], classify=classify)
        _WALKERS[ANY_JSON if layout == TEXT else layout](opened.value[0], opened)
        return opened
    if not isinstance(value, str):
        return None
    if layout == TEXT:
        return Field(value, leaves=[Leaf(value, None, None)])
    try:
        parsed = json.loads(value)
    except ValueError:
        # Not JSON (a plain string, or cut by someone else's limit): the whole value is text.
        return Field(value, leaves=[Leaf(value, None, None)])
    holder = [parsed]  # the walkers write into containers; the root needs one too
    opened = _JsonField(holder, classify=classify)
    if isinstance(parsed, str):
        opened.add(parsed, holder, 0)
    else:
        _WALKERS[layout](parsed, opened)
    return opened


class _ArrayField(Field):
    def dump(self) -> Any:
        return tuple(self.value)


def _thaw(value: Any) -> Any:
    """A mutable deep copy: mappings become dicts, sequences lists."""
    if isinstance(value, Mapping):
        return {key: _thaw(child) for key, child in value.items()}
    if isinstance(value, (list, tuple)):
        return [_thaw(child) for child in value]
    return value


class _StructuredField(Field):
    """``value`` is ``[structure]``: a holder, so the root can be written like any container."""

    def dump(self) -> Any:
        return self.value[0]


class _JsonField(_StructuredField):
    def dump(self) -> Any:
        return json.dumps(self.value[0], ensure_ascii=False, separators=(",", ":"))


# --- walkers -----------------------------------------------------------------------------------------


def _walk_any(node: Any, opened: Field, keep: frozenset[str] = frozenset(), deep: bool = False) -> None:
    """Every string leaf is text, except values of ``keep`` keys at this level (at every level if deep)."""
    slots: Iterable[tuple[Any, Any]]
    if isinstance(node, dict):
        slots = ((key, child) for key, child in node.items() if key not in keep)
    elif isinstance(node, list):
        slots = enumerate(node)
    else:
        return
    for slot, child in slots:
        if isinstance(child, str):
            opened.add(child, node, slot)
        elif _long_number(child):
            opened.add(str(child), node, slot)  # a card or account number sent as a JSON number
        else:
            _walk_any(child, opened, keep if deep else frozenset(), deep)


def _long_number(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 100_000


def _walk_items(node: Any, opened: Field, walk_item: Callable[[dict, Field], None]) -> None:
    """A list of objects: ``walk_item`` for each object; strings and anything else are all text."""
    if not isinstance(node, list):
        _walk_any(node, opened)
        return
    for index, item in enumerate(node):
        if isinstance(item, dict):
            walk_item(item, opened)
        elif isinstance(item, str):
            opened.add(item, node, index)
        else:
            _walk_any(item, opened)


def _walk_message(message: dict, opened: Field) -> None:
    for key, child in message.items():
        if key in _MESSAGE_KEEP:
            continue
        if key == "parts":
            _walk_items(child, opened, _walk_part)
        elif isinstance(child, str):
            opened.add(child, message, key)
        else:
            _walk_any(child, opened)


def _walk_part(part: dict, opened: Field) -> None:
    if part.get("type") in _BINARY_PART_TYPES and isinstance(part.get("content"), str):
        part["content"] = BINARY_MARKER
        opened.binary_parts += 1
        opened.changed = True
        _walk_any(part, opened, keep=_PART_KEEP | {"content"})
        return
    # Inside arguments and responses every string is data (a key called "name" there holds a name).
    _walk_any(part, opened, keep=_PART_KEEP)


_WALKERS: dict[str, Callable[[Any, Field], None]] = {
    MESSAGES: lambda node, opened: _walk_items(node, opened, _walk_message),
    PARTS: lambda node, opened: _walk_items(node, opened, _walk_part),
    TOOL_DEFINITIONS: lambda node, opened: _walk_items(
        node, opened, lambda item, o: _walk_any(item, o, keep=_TOOL_DEFINITION_KEEP, deep=True)
    ),
    DOCUMENTS: lambda node, opened: _walk_items(
        node, opened, lambda item, o: _walk_any(item, o, keep=_DOCUMENT_KEEP)
    ),
    ANY_JSON: _walk_any,
}
