"""Groq: ``chat.completions.create`` (plain and ``stream=True``) and ``embeddings.create``, sync and
async, groq 0.9 through 1.x (a Stainless SDK on ``httpx``).

Groq's chat API is OpenAI's shape, so the OpenAI chat and embeddings readers do the reading; this module
holds what Groq adds or does differently:

- the provider is always ``groq``, the server is the client's base URL, and OpenAI's own refinements
  (``openai.api.type``, service tier, system fingerprint) are left off;
- a stream's usage arrives in its last chunk's ``x_groq.usage`` (a top-level ``usage`` when the request
  asked with ``stream_options``, which wins), and ``x_groq.id`` is the request id Groq support asks for;
- reasoning models answer with ``message.reasoning`` / ``delta.reasoning`` (``reasoning_format="parsed"``);
- errors: the code sits in the body (``{"error": {"code": "rate_limit_exceeded", ...}}``), not on the
  exception; inside an open stream the server may send an error instead of a chunk, which the SDK (0.11
  on) raises as ``groq.APIError`` mid-iteration and older ones yield as a chunk; a chunk whose
  ``x_groq.error`` is set says the stream was stopped early. Each ends the span once, failed, with the code
  as ``error.type``; the message stays off the span unless content goes there (``telemetry/errors.py``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from otel_genai import semconv as sc
from otel_genai.instrumentation._base import Instrumentor, Target
from otel_genai.instrumentation._stainless import StainlessReader, StainlessSDK, extra_field, string
from otel_genai.instrumentation.openai import (
    ChatReader,
    ChatStreamAccumulator,
    EmbeddingsReader,
)
from otel_genai.telemetry.handler import TelemetryHandler
from otel_genai.telemetry.records import Inference
from otel_genai.telemetry.streams import StreamAccumulator

# (module, class, method, kind). Missing ones (older SDKs) are skipped.
_TARGETS = (
    ("groq.resources.chat.completions", "Completions", "create", "chat"),
    ("groq.resources.chat.completions", "AsyncCompletions", "create", "chat"),
    ("groq.resources.embeddings", "Embeddings", "create", "embeddings"),
    ("groq.resources.embeddings", "AsyncEmbeddings", "create", "embeddings"),
)
# What ``with_raw_response`` returns on the sync client (its ``parse()`` is cached).
_RAW_RESPONSES = ("groq._response:APIResponse",)

_USAGE_TIMES = (
    ("queue_time", sc.GROQ_USAGE_QUEUE_TIME),
    ("prompt_time", sc.GROQ_USAGE_PROMPT_TIME),
    ("completion_time", sc.GROQ_USAGE_COMPLETION_TIME),
)
# error.type of a stream Groq stopped early with an ``x_groq.error`` that is no code (the conventions'
# fallback value): its text may quote the request, so it is never written.
_OTHER_ERROR = "_OTHER"


class GroqInstrumentor(Instrumentor):
    """Instruments the ``groq`` package."""

    name = "groq"

    def targets(self, handler: TelemetryHandler, kwargs: Mapping[str, Any]) -> Iterable[Target]:
        sdk = StainlessSDK.load("groq", provider=_provider, raw_responses=_RAW_RESPONSES)
        import groq

        api_error = getattr(groq, "APIError", None)
        readers: dict[str, StainlessReader] = {
            "chat": _GroqChatReader(handler, sdk, api_error),
            "embeddings": _GroqEmbeddingsReader(handler, sdk, api_error),
        }
        # by class name: the SDK's argument-checking decorator hides that the async methods are coroutines
        return [
            (module, cls, method, _wrapper(readers[kind], cls.startswith("Async")))
            for module, cls, method, kind in _TARGETS
        ]


def _wrapper(reader: StainlessReader, is_async: bool) -> Any:
    return reader.async_wrapper if is_async else reader.sync_wrapper


def _provider(client: Any, host: str | None) -> str:
    return sc.PROVIDER_GROQ


# --- errors -------------------------------------------------------------------------------------------


def error_code(error: BaseException, api_error: Any) -> str | None:
    """Groq's code for a failed call (``rate_limit_exceeded``, ``tool_use_failed``, ...), else its type.

    The SDK keeps the answer's body on ``groq.APIError.body``: the whole ``{"error": {...}}`` of an HTTP
    error, the inner object of an error sent inside a stream. None for anything else (a connection error:
    ``error.type`` is then the exception's type)."""
    if api_error is None or not isinstance(error, api_error):
        return None
    body = getattr(error, "body", None)
    if isinstance(body, Mapping) and isinstance(body.get("error"), Mapping):
        body = body["error"]
    return _body_code(body)


def _body_code(error: Any) -> str | None:
    """``code`` of Groq's error object, else its ``type``."""
    if isinstance(error, Mapping):
        return _code(error.get("code")) or _code(error.get("type"))
    return None


def _code(value: Any) -> str | None:
    """A value that reads as a code (no message text: those may quote the request)."""
    if isinstance(value, str) and value and len(value) <= 64 and " " not in value:
        return value
    return None


def _value(model: Any, name: str) -> Any:
    """A response field, declared (``__dict__``) or, in SDKs that predate it, among the pydantic extras;
    never ``getattr`` on a missing pydantic field (it raises inside pydantic, slowly)."""
    value = getattr(model, "__dict__", {}).get(name)
    return value if value is not None else extra_field(model, name)


def _read_groq_usage(record: Inference, usage: Any) -> None:
    """Where the time went: ``usage.queue_time`` / ``prompt_time`` / ``completion_time`` (seconds)."""
    if usage is None:
        return
    for name, attribute in _USAGE_TIMES:
        seconds = usage.get(name) if isinstance(usage, Mapping) else _value(usage, name)
        if isinstance(seconds, (int, float)) and not isinstance(seconds, bool):
            record.response_attributes[attribute] = float(seconds)


def _read_request_id(record: Inference, x_groq: Any) -> None:
    request_id = string(x_groq.get("id") if isinstance(x_groq, Mapping) else _value(x_groq, "id"))
    if request_id:
        record.response_attributes[sc.GROQ_REQUEST_ID] = request_id


# --- chat completions ---------------------------------------------------------------------------------


class _GroqChatReader(ChatReader):
    """OpenAI's chat reader, with Groq's provider facts, reasoning and error codes (and without OpenAI's
    refinements: ``openai.api.type``, service tier, system fingerprint)."""

    api_type = None
    openai_refinements = False

    def __init__(self, handler: TelemetryHandler, sdk: StainlessSDK, api_error: Any) -> None:
        super().__init__(handler, sdk)
        self.api_error = api_error

    def build(self, instance: Any, kwargs: dict[str, Any]) -> Inference:
        record = super().build(instance, kwargs)
        reasoning_format = string(kwargs.get("reasoning_format"))
        if reasoning_format:
            record.request_attributes[sc.GROQ_REQUEST_REASONING_FORMAT] = reasoning_format
        return record

    def read(self, record: Inference, response: Any) -> None:
        super().read(record, response)
        x_groq = _value(response, "x_groq")
        if x_groq is not None:
            _read_request_id(record, x_groq)
        _read_groq_usage(record, getattr(response, "usage", None))

    @staticmethod
    def reasoning_of(message: Any) -> Any:
        """``message.reasoning`` (``reasoning_format="parsed"``)."""
        return _value(message, "reasoning")

    def on_error(self, record: Inference, error: BaseException) -> None:
        record.error_type = error_code(error, self.api_error)

    def accumulator(self, record: Inference) -> StreamAccumulator:
        return _GroqStreamAccumulator(self.handler, record, self.api_error)


class _GroqStreamAccumulator(ChatStreamAccumulator):
    """OpenAI's chunk assembly, plus ``x_groq`` (request id, usage, early stop), ``delta.reasoning`` and
    an error sent in place of a chunk."""

    __slots__ = ("api_error", "groq_usage", "request_id")
    openai_refinements = False

    def __init__(self, handler: TelemetryHandler, record: Inference, api_error: Any) -> None:
        super().__init__(handler, record)
        self.api_error = api_error
        self.groq_usage: Any = None
        self.request_id: Any = None

    def on_chunk(self, chunk: Any) -> None:
        # per chunk: two dict lookups for what Groq adds (declared fields live in ``__dict__``; what an
        # older SDK does not declare among the pydantic extras, or in ``__dict__`` with pydantic 1)
        fields = chunk.__dict__
        extra = getattr(chunk, "__pydantic_extra__", None) or fields
        x_groq = fields.get("x_groq") or extra.get("x_groq")
        if x_groq is not None:
            self._x_groq(x_groq)
        error = extra.get("error")
        if error is not None:  # SDKs before 0.11 yield an in-stream error as a chunk with no choices
            self.record.error_type = _body_code(error) or _OTHER_ERROR
            return
        super().on_chunk(chunk)
        if self.capture:
            for choice in chunk.choices:
                reasoning = _value(choice.delta, "reasoning")
                if reasoning:
                    self.choices[choice.index].reasoning.append(reasoning)

    def _x_groq(self, x_groq: Any) -> None:
        get = x_groq.get if isinstance(x_groq, Mapping) else lambda name: _value(x_groq, name)
        request_id = get("id")
        if request_id:
            self.request_id = request_id
        usage = get("usage")
        if usage is not None:
            self.groq_usage = usage
        stopped = get("error")
        if stopped:  # Groq stopped the stream early and said why
            self.record.error_type = _code(stopped) or _OTHER_ERROR

    def on_error(self, error: BaseException) -> None:
        code = error_code(error, self.api_error)
        if code:
            self.record.error_type = code

    def on_end(self) -> None:
        if self.usage is None:  # ``usage`` only when asked for with stream_options; x_groq's always
            self.usage = self.groq_usage
        super().on_end()
        record = self.record
        if isinstance(self.request_id, str):
            record.response_attributes[sc.GROQ_REQUEST_ID] = self.request_id
        _read_groq_usage(record, self.usage)


# --- embeddings ---------------------------------------------------------------------------------------


class _GroqEmbeddingsReader(EmbeddingsReader):
    def __init__(self, handler: TelemetryHandler, sdk: StainlessSDK, api_error: Any) -> None:
        super().__init__(handler, sdk)
        self.api_error = api_error

    def on_error(self, record: Any, error: BaseException) -> None:
        record.error_type = error_code(error, self.api_error)
