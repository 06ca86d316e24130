"""Mistral AI: ``chat.complete`` / ``stream``, ``fim.complete`` / ``stream`` (``text_completion``) and
``embeddings.create``, sync and async, on the Speakeasy-generated ``mistralai`` SDK (declared from 2.9.2:
see the registry; the 1.x layout is read too).

Where the SDK lives moved: ``mistralai.chat`` (1.x), ``mistralai.client.chat`` (2.x on, a namespace
package; 3.x sends with ``httpx2``). Streams are the SDK's ``EventStream`` / ``EventStreamAsync`` of
``CompletionEvent`` (a plain generator before 1.5), kept as they are behind our proxy.

The SDK traces itself from 1.12 (its ``TracingHook``: a span per HTTP request; with any global tracer
provider at first, only when the application opts in by 2.9: ``MISTRAL_SDK_TELEMETRY``,
``configure_telemetry``). For a call we trace, that span would be a second one for the same call: the SDK
is told it has none (``_SdkSpanDecline``), and the trace context it would have sent with its span is sent
with ours (so too under a routing library's span that owns the call, LiteLLM's). Only an SDK-owned
provider (``configure_telemetry(client, "dedicated")``, which exports to Mistral, never to the
application's backend) keeps its span.
"""

from __future__ import annotations

import importlib
import json
import logging
from collections.abc import Iterable, Mapping
from contextlib import AbstractContextManager
from contextvars import ContextVar
from functools import partial
from typing import Any

from opentelemetry import propagate, trace

from otel_genai import semconv as sc
from otel_genai.instrumentation._base import (
    CallReader,
    Instrumentor,
    Target,
    host_and_port,
    traced_async_call,
    traced_call,
)
from otel_genai.instrumentation._stainless import (
    double,
    extra_field,
    field,
    number,
    string,
    strings,
    tool_definitions,
    uri_or_blob,
)
from otel_genai.llmops.fingerprint import system_messages
from otel_genai.telemetry.content import (
    InputMessage,
    OutputMessage,
    Part,
    blob_part,
    file_part,
    generic_part,
    input_message,
    output_message,
    reasoning_part,
    semconv_finish_reason,
    text_part,
    tool_call_part,
    tool_call_response_part,
    uri_part,
)
from otel_genai.telemetry.handler import TelemetryHandler
from otel_genai.telemetry.records import Embedding, Inference, ToolCallRequest
from otel_genai.telemetry.streams import AsyncStreamProxy, StreamAccumulator, SyncStreamProxy

logger = logging.getLogger("otel_genai")

# (module under the SDK's root, class, method, reader kind); what a release lacks is skipped.
_TARGETS = (
    ("chat", "Chat", "complete", "chat"),
    ("chat", "Chat", "complete_async", "chat"),
    ("chat", "Chat", "stream", "chat_stream"),
    ("chat", "Chat", "stream_async", "chat_stream"),
    ("fim", "Fim", "complete", "fim"),
    ("fim", "Fim", "complete_async", "fim"),
    ("fim", "Fim", "stream", "fim_stream"),
    ("fim", "Fim", "stream_async", "fim_stream"),
    ("embeddings", "Embeddings", "create", "embeddings"),
    ("embeddings", "Embeddings", "create_async", "embeddings"),
)
# ``get_traced_request_and_span``'s parameters, in order (the SDK passes them by name).
_HOOK_PARAMETERS = ("tracing_enabled", "tracer", "span", "operation_id", "request")
# The SDK's tool-call id when the API sent none (``ToolCall.id`` defaults to the string "null").
_NO_ID = "null"


class MistralInstrumentor(Instrumentor):
    """Instruments the ``mistralai`` package."""

    name = "mistralai"

    def targets(self, handler: TelemetryHandler, kwargs: Mapping[str, Any]) -> Iterable[Target]:
        sdk = _Sdk.load()
        decline = _SdkSpanDecline()
        readers: dict[str, _Reader] = {
            "chat": _ChatReader(handler, sdk, decline, sc.OPERATION_CHAT, streaming=False),
            "chat_stream": _ChatReader(handler, sdk, decline, sc.OPERATION_CHAT, streaming=True),
            "fim": _ChatReader(handler, sdk, decline, sc.OPERATION_TEXT_COMPLETION, streaming=False),
            "fim_stream": _ChatReader(handler, sdk, decline, sc.OPERATION_TEXT_COMPLETION, streaming=True),
            "embeddings": _EmbeddingsReader(handler, sdk, decline),
        }
        targets: list[Target] = [
            (f"{sdk.root}.{module}", cls, method, readers[kind]) for module, cls, method, kind in _TARGETS
        ]
        # the SDK's own span (1.12 on): ``TracingHook.before_request`` asks this function for it
        targets.append((f"{sdk.root}._hooks.tracing", None, "get_traced_request_and_span", decline))
        return targets


class _Sdk:
    """What differs between the installed SDK's releases: where it lives, its not-given sentinel, its
    error classes."""

    def __init__(self, root: str, unset: type | None, errors: tuple[type, ...], validation: type | None):
        self.root = root
        self.unset = unset
        self.errors = errors
        self.validation = validation

    @classmethod
    def load(cls) -> _Sdk:
        """The installed SDK (imports it: call when instrumenting, never at our import)."""
        try:
            importlib.import_module("mistralai.client.chat")
            root = "mistralai.client"  # 2.x on; in 1.x ``mistralai.client`` is the retired v0 client's module
        except ImportError:
            root = "mistralai"
        types = importlib.import_module(f"{root}.types")
        unset = getattr(types, "UNSET", None)
        try:  # 1.9 on: ``errors``; before: the error classes are models
            errors_module = importlib.import_module(f"{root}.errors")
        except ImportError:
            errors_module = importlib.import_module(f"{root}.models")
        errors = tuple(
            kind
            for name in ("MistralError", "SDKError", "HTTPValidationError")
            if isinstance(kind := getattr(errors_module, name, None), type)
        )
        validation = getattr(errors_module, "HTTPValidationError", None)
        return cls(root, type(unset) if unset is not None else None, errors, validation)

    def given(self, value: Any) -> Any:
        """``None`` for an argument left unset (``None`` or the SDK's ``UNSET``), the value otherwise."""
        if value is None or (self.unset is not None and isinstance(value, self.unset)):
            return None
        return value


# --- the SDK's own span ----------------------------------------------------------------------------


_NOT_OURS = object()  # outside our wrapped methods: the SDK's span for another operation is its own


class _SdkSpanDecline:
    """A wrapper of the SDK's ``get_traced_request_and_span(tracing_enabled, tracer, span, operation_id,
    request)``, which starts the SDK's span for each HTTP request of a call (retries too) and returns it with
    the request. During a call of a method we wrap whose span is current (ours, or the span of a routing
    library's call that owns it: LiteLLM's), the SDK is answered with no span, what it gets with tracing off,
    so it skips its span path (its response reading, its stream copy); the trace context it would have put
    in the request's headers is put there with that span. The client's configuration is kept for the call,
    to leave the SDK's span to an SDK-owned provider."""

    def __init__(self) -> None:
        # the calling client's configuration, for the whole call of a wrapped method (``_Reader``)
        self.config: ContextVar[Any] = ContextVar("otel_genai_mistralai_config", default=_NOT_OURS)
        # the call's record, once its span is current (``calling``)
        self._record: ContextVar[Inference | Embedding | None] = ContextVar(
            "otel_genai_mistralai_record", default=None
        )

    def calling(self, record: Inference | Embedding) -> AbstractContextManager[None]:
        return _Calling(self._record, record)

    def __call__(self, wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
        try:
            declined = self._decline(args, kwargs)
        except Exception:
            logger.debug("otel_genai: could not decline the Mistral SDK's span", exc_info=True)
            declined = None
        return wrapped(*args, **kwargs) if declined is None else declined

    def _decline(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, Any] | None:
        config = self.config.get()
        if config is _NOT_OURS:
            return None
        arguments = dict(zip(_HOOK_PARAMETERS, args, strict=False))
        arguments.update(kwargs)
        if not arguments.get("tracing_enabled"):
            return None  # the SDK makes no span: nothing to decline
        record = self._record.get() or TelemetryHandler.owning_model_call()
        span = record.span if record is not None else None
        if span is None or trace.get_current_span() is not span or _exports_to_mistral(config):
            return None
        request = arguments["request"]
        propagate.inject(request.headers)  # the current span's context: the server continues this trace
        return request, arguments.get("span")


class _Calling:
    """``_SdkSpanDecline.calling``'s block (a plain class: it runs once per traced call)."""

    __slots__ = ("record", "records", "token")

    def __init__(self, records: ContextVar[Any], record: Any) -> None:
        self.records = records
        self.record = record

    def __enter__(self) -> None:
        self.token = self.records.set(self.record)

    def __exit__(self, *exc_info: Any) -> None:
        self.records.reset(self.token)


def _exports_to_mistral(config: Any) -> bool:
    """Whether the client's ``TracingHook`` uses the provider the SDK built for itself (3.x ``dedicated``
    telemetry, exported to Mistral's endpoint): that span never reaches the application's backend, and
    Mistral's telemetry is the application's choice. Read only when the SDK is about to make a span."""
    hooks = getattr(config, "__dict__", {}).get("_hooks")
    for hook in getattr(hooks, "before_request_hooks", ()):
        if type(hook).__name__ == "TracingHook":
            own = getattr(hook, "_auto_telemetry_provider", None)
            return own is not None and getattr(hook, "tracer_provider", None) is own
    return False


# --- readers ---------------------------------------------------------------------------------------


class _Reader(CallReader):
    """One API family of the SDK: the client's server from its configuration, errors from its classes."""

    def __init__(self, handler: TelemetryHandler, sdk: _Sdk, decline: _SdkSpanDecline) -> None:
        super().__init__(handler)
        self.sdk = sdk
        self.decline = decline

    # The whole call, traced or not (a routing library's span may own it), runs with the client's
    # configuration known to the SDK-span wrapper (``_SdkSpanDecline``).
    def sync_wrapper(self, wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
        config = self.decline.config
        token = config.set(getattr(instance, "sdk_configuration", None))
        try:
            return traced_call(self, wrapped, instance, args, kwargs)
        finally:
            config.reset(token)

    async def async_wrapper(self, wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
        config = self.decline.config
        token = config.set(getattr(instance, "sdk_configuration", None))
        try:
            return await traced_async_call(self, wrapped, instance, args, kwargs)
        finally:
            config.reset(token)

    def calling(self, record: Any) -> AbstractContextManager[Any] | None:
        return self.decline.calling(record)

    def on_error(self, record: Any, error: BaseException) -> None:
        if self.sdk.errors and isinstance(error, self.sdk.errors):
            record.error_type = _error_type(error, self.sdk.validation)

    def endpoint(self, instance: Any, server_url: Any) -> tuple[str | None, int | None]:
        """``server.address`` / ``server.port``: the call's ``server_url``, else the client's server."""
        url = string(server_url)
        if url is None:
            config = getattr(instance, "sdk_configuration", None)
            if config is None:
                return None, None
            url = config.get_server_details()[0]
        return host_and_port(url)


def _error_type(error: BaseException, validation: Any) -> str | None:
    """The API's error type (``invalid_request_error``, ``rate_limited``) from the error body, else the HTTP
    status code."""
    body = getattr(error, "body", None)
    if isinstance(body, str) and body.startswith("{"):
        try:
            parsed = json.loads(body)
        except ValueError:
            parsed = None
        if isinstance(parsed, dict):
            kind = parsed.get("type")
            if isinstance(kind, str) and kind and kind != "error":
                return kind
    status = getattr(error, "status_code", None)
    if isinstance(status, int) and not isinstance(status, bool) and status > 0:
        return str(status)
    if validation is not None and isinstance(error, validation):
        return "422"  # 1.x's HTTPValidationError carries no status; the SDK raises it for 422 only
    return None


# --- chat and fim ----------------------------------------------------------------------------------


class _ChatReader(_Reader):
    """``chat.complete`` / ``stream`` (``chat``) and ``fim.complete`` / ``stream`` (``text_completion``)."""

    def __init__(
        self,
        handler: TelemetryHandler,
        sdk: _Sdk,
        decline: _SdkSpanDecline,
        operation: str,
        *,
        streaming: bool,
    ) -> None:
        super().__init__(handler, sdk, decline)
        self.operation = operation
        self.streaming = streaming

    def build(self, instance: Any, kwargs: dict[str, Any]) -> Inference:
        get = kwargs.get
        given = self.sdk.given
        address, port = self.endpoint(instance, get("server_url"))
        record = Inference(
            operation=self.operation,
            provider=sc.PROVIDER_MISTRAL_AI,
            request_model=string(get("model")),
            server_address=address,
            server_port=port,
        )
        record.temperature = double(get("temperature"))
        record.top_p = double(get("top_p"))
        record.top_k = number(get("top_k"))
        record.max_tokens = number(get("max_tokens"))
        record.seed = number(get("random_seed"))
        record.stop_sequences = strings(get("stop"))
        record.frequency_penalty = double(get("frequency_penalty"))
        record.presence_penalty = double(get("presence_penalty"))
        record.choice_count = number(get("n"))
        record.stream = self.streaming
        record.reasoning_level = string(get("reasoning_effort"))
        record.output_type = _output_type(given(get("response_format")))
        if get("safe_prompt") is True:
            record.request_attributes[sc.MISTRAL_AI_REQUEST_SAFE_PROMPT] = True
        # fingerprint sources (any capture mode): the system messages are found only as the span ends
        messages = given(get("messages"))
        if isinstance(messages, (list, tuple)) and messages:
            record.instructions = partial(system_messages, messages)
        record.tool_schemas = given(get("tools"))
        return record

    def capture_request(self, record: Inference, kwargs: dict[str, Any]) -> None:
        given = self.sdk.given
        if self.operation == sc.OPERATION_TEXT_COMPLETION:
            prompt = string(kwargs.get("prompt"))
            record.input_messages = [input_message("user", [text_part(prompt)] if prompt else [])]
            return
        record.input_messages = input_messages(given(kwargs.get("messages")))
        record.tool_definitions = tool_definitions(
            given(kwargs.get("tools")), self.handler.tool_definition_details
        )

    def on_result(self, record: Inference, result: Any) -> Any:
        if self.streaming:
            accumulator = _StreamAccumulator(self.handler, record)
            if hasattr(result, "__anext__"):
                return AsyncStreamProxy(result, accumulator)
            return SyncStreamProxy(result, accumulator)
        return super().on_result(record, result)

    def read(self, record: Inference, result: Any) -> None:
        _read_response(record, result, self.handler.wants_content(record))


def _output_type(response_format: Any) -> str | None:
    kind = field(response_format, "type") if response_format is not None else None
    if kind in ("json_object", "json_schema"):
        return "json"
    if kind == "text":
        return "text"
    return None


def _read_usage(record: Inference, usage: Any) -> None:
    if usage is None:
        return
    record.input_tokens = number(field(usage, "prompt_tokens"))
    record.output_tokens = number(field(usage, "completion_tokens"))
    # not declared by the SDK (kept among its extras): part of prompt_tokens, as the conventions count
    details = usage.get("prompt_tokens_details") if isinstance(usage, dict) else None
    if details is None and not isinstance(usage, dict):
        details = extra_field(usage, "prompt_tokens_details")
    if details is not None:
        record.cache_read_input_tokens = number(field(details, "cached_tokens"))


def _read_response(record: Inference, response: Any, capture: bool) -> None:
    """A ``ChatCompletionResponse`` (also what ``fim.complete`` returns)."""
    if response is None:
        return
    record.response_id = string(getattr(response, "id", None))
    record.response_model = string(getattr(response, "model", None))
    _read_usage(record, getattr(response, "usage", None))
    choices = getattr(response, "choices", None) or ()
    record.finish_reasons = [string(getattr(c, "finish_reason", None)) or "error" for c in choices]
    tool_calls: list[ToolCallRequest] = []
    outputs: list[OutputMessage] = []
    for choice in choices:
        message = getattr(choice, "message", None)
        calls = [_tool_call(call) for call in field(message, "tool_calls") or ()]
        tool_calls.extend(calls)
        if capture:
            parts = _content_parts(field(message, "content"))
            parts.extend(tool_call_part(c.id, c.name, c.arguments) for c in calls)
            reason = semconv_finish_reason(string(getattr(choice, "finish_reason", None)))
            outputs.append(output_message(parts, reason))
    if tool_calls:
        record.tool_calls = tool_calls
    if capture:
        record.output_messages = outputs


def _tool_call(call: Any) -> ToolCallRequest:
    """A ``ToolCall`` (typed or a dict); its arguments are a JSON string or already an object."""
    function = field(call, "function")
    call_id = field(call, "id")
    return ToolCallRequest(
        call_id if isinstance(call_id, str) and call_id != _NO_ID else None,
        string(field(function, "name")),
        field(function, "arguments"),
    )


class _ChoiceState:
    __slots__ = ("finish_reason", "reasoning", "text", "tool_calls")

    def __init__(self) -> None:
        self.text: list[str] = []
        self.reasoning: list[str] = []
        self.tool_calls: dict[int, ToolCallRequest] = {}
        self.finish_reason: str | None = None


class _StreamAccumulator(StreamAccumulator):
    """Assembles ``CompletionEvent``s (their ``data``, a ``CompletionChunk``): text, tool calls (Mistral
    sends each whole, with its index), finish reasons, and the usage of the final chunk."""

    __slots__ = ("capture", "choices", "first", "usage")

    def __init__(self, handler: TelemetryHandler, record: Inference) -> None:
        super().__init__(handler, record)
        self.capture = handler.wants_content(record)
        self.choices: dict[int, _ChoiceState] = {}
        self.first: Any = None
        self.usage: Any = None

    def on_chunk(self, event: Any) -> None:
        chunk = getattr(event, "data", None)
        if chunk is None:
            return
        if self.first is None:
            self.first = chunk
        usage = getattr(chunk, "usage", None)
        if usage is not None:
            self.usage = usage
        for choice in chunk.choices:
            state = self.choices.get(choice.index)
            if state is None:
                state = self.choices[choice.index] = _ChoiceState()
            delta = choice.delta
            if delta is not None:
                if self.capture:
                    self._content(state, delta.content)
                calls = delta.tool_calls
                if calls and not isinstance(calls, (str, bytes)):
                    self._tool_calls(state, calls)
            if choice.finish_reason:
                state.finish_reason = choice.finish_reason

    def _content(self, state: _ChoiceState, content: Any) -> None:
        if isinstance(content, str):
            state.text.append(content)
        elif isinstance(content, list):  # text and thinking chunks (reasoning models); else UNSET or None
            for chunk in content:
                kind = field(chunk, "type")
                if kind == "text":
                    state.text.append(field(chunk, "text") or "")
                elif kind == "thinking":
                    state.reasoning.append(_thinking_text(chunk))

    def _tool_calls(self, state: _ChoiceState, calls: Iterable[Any]) -> None:
        for delta in calls:
            index = number(field(delta, "index")) or 0
            piece = _tool_call(delta)
            call = state.tool_calls.get(index)
            if call is None:
                state.tool_calls[index] = piece
                continue
            call.id = call.id or piece.id
            call.name = call.name or piece.name
            if not self.capture:  # arguments are content: not assembled when nothing will show them
                continue
            if isinstance(call.arguments, str) and isinstance(piece.arguments, str):
                call.arguments += piece.arguments  # a call sent in pieces, as OpenAI-style servers do
            elif piece.arguments:
                call.arguments = piece.arguments

    def on_end(self) -> None:
        record = self.record
        first = self.first
        if first is not None:
            record.response_id = string(getattr(first, "id", None))
            record.response_model = string(getattr(first, "model", None))
        _read_usage(record, self.usage)
        if not self.choices:
            return
        states = [self.choices[i] for i in sorted(self.choices)]
        record.finish_reasons = [s.finish_reason or "error" for s in states]
        tool_calls = [call for s in states for _, call in sorted(s.tool_calls.items())]
        if tool_calls:
            record.tool_calls = tool_calls
        if self.capture:
            outputs = []
            for state in states:
                parts: list[Part] = []
                reasoning, text = "".join(state.reasoning), "".join(state.text)
                if reasoning:
                    parts.append(reasoning_part(reasoning))
                if text:
                    parts.append(text_part(text))
                for _, call in sorted(state.tool_calls.items()):
                    parts.append(tool_call_part(call.id, call.name, call.arguments))
                outputs.append(output_message(parts, semconv_finish_reason(state.finish_reason)))
            record.output_messages = outputs


# --- content ---------------------------------------------------------------------------------------


def _content_parts(content: Any) -> list[Part]:
    """A message's ``content``: a string, or a list of chunks (dicts or the SDK's models)."""
    if content is None:
        return []
    if isinstance(content, str):
        return [text_part(content)] if content else []
    if not isinstance(content, (list, tuple)):
        return []  # the SDK's UNSET
    return [_content_part(chunk) for chunk in content]


def _content_part(chunk: Any) -> Part:
    kind = field(chunk, "type")
    if kind == "text":
        return text_part(field(chunk, "text") or "")
    if kind == "thinking":
        return reasoning_part(_thinking_text(chunk))
    if kind == "image_url":
        image = field(chunk, "image_url")
        return uri_or_blob(image if isinstance(image, str) else field(image, "url"), "image", None)
    if kind == "document_url":
        return uri_part(str(field(chunk, "document_url") or ""), "document")
    if kind == "file":
        return file_part(str(field(chunk, "file_id") or ""), "document")
    if kind == "input_audio":
        audio = field(chunk, "input_audio")
        if isinstance(audio, str) and audio.startswith(("http://", "https://")):
            return uri_part(audio, "audio")
        return blob_part(audio if isinstance(audio, str) else "", "audio", None)
    return generic_part(str(kind or "unknown"))


def _thinking_text(chunk: Any) -> str:
    """A ``thinking`` chunk's text (its ``thinking`` is a list of text chunks)."""
    thinking = field(chunk, "thinking")
    if isinstance(thinking, str):
        return thinking
    return "".join(field(item, "text") or "" for item in thinking or ())


def input_messages(messages: Any) -> list[InputMessage] | None:
    """Chat ``messages`` as semconv input messages (system messages stay in the list, as they were sent)."""
    if not messages:
        return None
    result = []
    for message in messages:
        role = field(message, "role") or "user"
        parts: list[Part]
        if role == "tool":
            call_id = field(message, "tool_call_id")
            parts = [
                tool_call_response_part(
                    call_id if isinstance(call_id, str) else None, _tool_response(field(message, "content"))
                )
            ]
        else:
            parts = _content_parts(field(message, "content"))
            calls = field(message, "tool_calls")
            if isinstance(calls, (list, tuple)):
                for call in calls:
                    request = _tool_call(call)
                    parts.append(tool_call_part(request.id, request.name, request.arguments))
        name = field(message, "name")
        result.append(input_message(role, parts, name if isinstance(name, str) else None))
    return result


def _tool_response(content: Any) -> Any:
    if isinstance(content, str) or content is None:
        return content
    parts: list[Mapping[str, Any]] = list(_content_parts(content))
    return " ".join(part.get("content", "") for part in parts if part.get("type") == "text")


# --- embeddings ------------------------------------------------------------------------------------


class _EmbeddingsReader(_Reader):
    def build(self, instance: Any, kwargs: dict[str, Any]) -> Embedding:
        address, port = self.endpoint(instance, kwargs.get("server_url"))
        record = Embedding(
            operation=sc.OPERATION_EMBEDDINGS,
            provider=sc.PROVIDER_MISTRAL_AI,
            request_model=string(kwargs.get("model")),
            server_address=address,
            server_port=port,
        )
        encoding = string(kwargs.get("encoding_format"))
        if encoding:
            record.encoding_formats = [encoding]
        record.dimension_count = number(kwargs.get("output_dimension"))
        return record

    def read(self, record: Embedding, result: Any) -> None:
        _read_embeddings(record, result)


def _read_embeddings(record: Embedding, response: Any) -> None:
    if response is None:
        return
    record.response_id = string(getattr(response, "id", None))
    record.response_model = string(getattr(response, "model", None))
    usage = getattr(response, "usage", None)
    if usage is not None:
        record.input_tokens = number(field(usage, "prompt_tokens"))
    if record.dimension_count is None:
        data = getattr(response, "data", None)
        if data:
            vector = getattr(data[0], "embedding", None)
            if isinstance(vector, list):
                record.dimension_count = len(vector)
