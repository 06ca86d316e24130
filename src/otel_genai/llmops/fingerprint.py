"""Short stable hashes of a call's system instructions and tool schema, recorded whatever the capture mode.

A one-word prompt edit or a changed tool schema is what silently breaks a release; these fingerprints make
it visible in every trace without exporting the prompt. Both are 16 lowercase hex characters: BLAKE2b with
an 8-byte digest of UTF-8 text, so they are the same in every process and on every machine (Python's
``hash()`` is salted per process), and anyone can compute one outside the process
(``printf '%s' "$PROMPT" | b2sum -l 64`` for a single-text prompt).

- ``instructions_fingerprint`` hashes only the *text* of the system instructions, joined with ``"\\n"``,
  whatever shape carries it: a string, content blocks or parts with ``"text"`` (OpenAI, Anthropic, Bedrock
  Converse), SDK models, a Gemini ``Content``, system / developer messages. Cache markers (Anthropic
  ``cache_control``, Bedrock ``cachePoint``) and guard wrappers (Bedrock ``guardContent``) do not change it;
  non-text blocks (images) are not part of it. User messages are never given to it.
- ``tools_fingerprint`` hashes the canonical JSON (sorted keys, compact) of the tool schema as the
  application passed it: names, descriptions, parameters; SDK models dumped without unset / ``None``
  fields; Python functions (Gemini's automatic function calling) by qualified name, signature and
  docstring, never by ``repr`` (it carries memory addresses).

Readers store the request's own objects (references, never copies) on the record, or a zero-argument
callable where finding them needs a scan (the system messages of a chat ``messages`` list), so that work
is done only as the span ends. These functions call it first (for tools: only a lambda, since a named
function there is a tool). Neither ever raises: anything unexpected gives ``None`` (logged at debug).
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import hashlib
import inspect
import json
import logging
import re
import types
import weakref
from collections.abc import Callable, Iterable, Mapping
from typing import Any

logger = logging.getLogger("otel_genai")

DIGEST_SIZE = 8  # bytes: 16 hex characters
# The same system prompt string comes with nearly every call: its digest is kept (by value; texts longer
# than _CACHED_TEXT_LIMIT are hashed each time, so the cache holds at most ~8 MB of prompt text).
_CACHE_SIZE = 256
_CACHED_TEXT_LIMIT = 32 * 1024
# Nesting deeper than this is not a prompt (or is a cycle): no fingerprint.
_MAX_DEPTH = 64
# Where text sits in an instruction block, in order: the text itself, a guard wrapper (Bedrock
# ``guardContent``), a message's ``content``, a Gemini ``Content``'s ``parts``.
_TEXT_CONTAINERS = ("guardContent", "content", "parts")
_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")
_INSTRUCTION_ROLES = ("system", "developer")


class _TooDeep(ValueError):
    """Instructions nested deeper than ``_MAX_DEPTH``."""


def instructions_fingerprint(instructions: object) -> str | None:
    """The fingerprint of a call's system instructions, or None when they have no text."""
    try:
        if callable(instructions) and not isinstance(instructions, type):
            instructions = instructions()
        if instructions is None:
            return None
        if type(instructions) is str:  # the common case: one system prompt string
            text = instructions
        else:
            pieces: list[str] = []
            _collect_text(instructions, pieces, 0)
            text = "\n".join(piece for piece in pieces if piece)
        if not text:
            return None
        return _cached_digest(text) if len(text) <= _CACHED_TEXT_LIMIT else digest(text)
    except Exception:
        logger.debug("otel_genai: could not fingerprint the system instructions", exc_info=True)
        return None


def tools_fingerprint(tools: object) -> str | None:
    """The fingerprint of a call's tool schema, or None when it offers no tools."""
    try:
        if _is_lambda(tools):
            tools = tools()  # type: ignore[operator]
        if tools is None or (isinstance(tools, (list, tuple, Mapping)) and not tools):
            return None
        if isinstance(tools, (list, tuple)):
            return _remembered_tools_fingerprint(tools)
        return digest(canonical_json(tools))
    except Exception:
        logger.debug("otel_genai: could not fingerprint the tool definitions", exc_info=True)
        return None


# Most applications pass the same tool list (the same objects) with every call, and encoding a schema is
# the costly part (~60 µs for ten tools here): its fingerprint is remembered by the identity of the list
# and of its items, which the entry keeps alive so that no other object takes their ids. A schema edited
# in place (the same objects, changed) is seen at the next re-check: every _TOOLS_RECHECK-th use encodes
# it again.
_TOOLS_MEMO: dict[tuple[int, ...], list[Any]] = {}  # ids -> [the list, its items, fingerprint, uses]
_TOOLS_MEMO_SIZE = 64
_TOOLS_RECHECK = 64


def _remembered_tools_fingerprint(tools: list[Any] | tuple[Any, ...]) -> str:
    items = tuple(tools)
    key = (id(tools), *map(id, items))
    entry = _TOOLS_MEMO.get(key)
    if entry is not None and entry[0] is tools and entry[1] == items and entry[3] % _TOOLS_RECHECK:
        entry[3] += 1
        return str(entry[2])
    fingerprint = digest(canonical_json(tools))
    if len(_TOOLS_MEMO) >= _TOOLS_MEMO_SIZE:
        _TOOLS_MEMO.clear()
    _TOOLS_MEMO[key] = [tools, items, fingerprint, 1]
    return fingerprint


def digest(text: str) -> str:
    """16 hex characters of BLAKE2b-64 over the UTF-8 text (``b2sum -l 64``)."""
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=DIGEST_SIZE).hexdigest()


_cached_digest: Callable[[str], str] = functools.lru_cache(maxsize=_CACHE_SIZE)(digest)


def canonical_json(value: Any) -> str:
    """The text a tool schema is hashed as: sorted keys, no spaces, non-ASCII kept; SDK models, enums,
    functions and other objects as ``_json_default`` describes them."""
    return _ENCODER.encode(value)


def system_messages(messages: Iterable[Any]) -> list[Any]:
    """The system and developer messages of a chat ``messages`` list (dicts or SDK models): what a reader
    hands to ``instructions_fingerprint`` (lazily, as ``partial(system_messages, messages)``), never the
    user's messages."""
    return [message for message in messages if _role(message) in _INSTRUCTION_ROLES]


def _role(message: Any) -> Any:
    return message.get("role") if isinstance(message, Mapping) else getattr(message, "role", None)


# --- instructions: the text, whatever carries it ----------------------------------------------------


def _collect_text(value: Any, pieces: list[str], depth: int) -> None:
    if depth > _MAX_DEPTH:
        raise _TooDeep("system instructions nested too deep")
    if value is None:
        return
    if isinstance(value, str):
        pieces.append(value)
        return
    if isinstance(value, (list, tuple)):
        for item in value:
            _collect_text(item, pieces, depth + 1)
        return
    if isinstance(value, Mapping):
        text = value.get("text")
        if text is not None:  # a text block; Bedrock's guardContent nests {"text": {"text": ...}}
            _collect_text(text, pieces, depth + 1)
            return
        for key in _TEXT_CONTAINERS:
            inner = value.get(key)
            if inner is not None:
                _collect_text(inner, pieces, depth + 1)
                return
        return  # a cache point, an image: no text
    # an SDK model: a part or block with ``text``, a message with ``content``, a Gemini Content's ``parts``
    text = getattr(value, "text", None)
    if isinstance(text, str):
        pieces.append(text)
        return
    for key in _TEXT_CONTAINERS[1:]:
        inner = getattr(value, key, None)
        if inner is not None:
            _collect_text(inner, pieces, depth + 1)
            return


# --- tools: a canonical JSON value ---------------------------------------------------------------------


def _is_lambda(value: Any) -> bool:
    return isinstance(value, types.LambdaType) and value.__name__ == "<lambda>"


def _json_default(value: Any) -> Any:
    """What the JSON encoder cannot write itself, as plain data that is the same in every process."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (set, frozenset)):
        return sorted(canonical_json(item) for item in value)
    if isinstance(value, (bytes, bytearray)):
        return {"bytes": hashlib.blake2b(bytes(value), digest_size=DIGEST_SIZE).hexdigest()}
    if not isinstance(value, type):
        dump = getattr(value, "model_dump", None)  # pydantic 2 (every SDK we instrument)
        if callable(dump):
            return dump(exclude_none=True, exclude_unset=True)
        to_dict = getattr(value, "to_dict", None)
        if callable(to_dict):
            return to_dict()
        if dataclasses.is_dataclass(value):
            return {f.name: getattr(value, f.name, None) for f in dataclasses.fields(value)}
    if callable(value):
        return _describe_callable(value)
    # something the SDK adapts (an MCP session as a Gemini tool): by its type, never its repr
    return {"object": _qualified_name(type(value))}


# One encoder, built once (``json.dumps`` builds one per call). A cycle raises ValueError: no fingerprint.
_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_json_default)


# Functions described once (inspect.signature costs microseconds), with what the description was made of,
# so that a docstring or default edited in place is seen; forgotten with the function.
_DESCRIBED: weakref.WeakKeyDictionary[Any, tuple[tuple[Any, ...], dict[str, Any]]] = (
    weakref.WeakKeyDictionary()
)


def _describe_callable(fn: Any) -> dict[str, Any]:
    """A Python function offered as a tool: what the SDK builds its declaration from."""
    key: tuple[Any, ...] | None = None
    if isinstance(fn, types.FunctionType):
        key = (fn.__code__, fn.__doc__, fn.__defaults__, fn.__kwdefaults__, dict(fn.__annotations__))
        known = _DESCRIBED.get(fn)
        if known is not None and _same(known[0], key):
            return known[1]
    target = fn.func if isinstance(fn, functools.partial) else fn
    try:
        signature = _ADDRESS.sub("", str(inspect.signature(fn)))
    except (TypeError, ValueError):  # builtins without a signature
        signature = ""
    description = {
        "callable": _qualified_name(target),
        "signature": signature,
        "doc": inspect.getdoc(target) or "",
    }
    if key is not None:
        _DESCRIBED[fn] = (key, description)
    return description


def _same(known: tuple[Any, ...], key: tuple[Any, ...]) -> bool:
    """The code, docstring and defaults are the same objects, the annotations equal."""
    return all(a is b for a, b in zip(known[:-1], key[:-1], strict=True)) and known[-1] == key[-1]


def _qualified_name(target: Any) -> str:
    """``module.QualName`` of a function or class; of its type for anything else (a callable instance)."""
    name = getattr(target, "__qualname__", None) or getattr(target, "__name__", None)
    if not isinstance(name, str):
        target = type(target)
        name = target.__qualname__
    module = getattr(target, "__module__", None)
    return f"{module}.{name}" if isinstance(module, str) and module else name
