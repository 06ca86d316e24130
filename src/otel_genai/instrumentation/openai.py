"""OpenAI: ``chat.completions.create`` / ``parse``, ``responses.create`` / ``parse`` and
``embeddings.create``, sync and async, openai 1.x through 3.x (3.x uses ``httpx2``).

This module only reads the client's requests and responses into records; names and emission live in
``otel_genai.telemetry``. Response fields are read with ``getattr`` defaults, because the SDK's types
change between releases (and OpenAI-compatible servers omit fields).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Collection, Iterable
from typing import Any
from weakref import WeakKeyDictionary

from opentelemetry.instrumentation.instrumentor import BaseInstrumentor

from otel_genai import semconv as sc
from otel_genai.instrumentation._base import CallReader, handler_from_kwargs, unwrap_methods, wrap_methods
from otel_genai.telemetry.content import parse_json_arguments, semconv_finish_reason, text_part
from otel_genai.telemetry.handler import TelemetryHandler
from otel_genai.telemetry.records import Embedding, Inference, ToolCallRequest
from otel_genai.telemetry.streams import AsyncStreamProxy, StreamAccumulator, SyncStreamProxy

logger = logging.getLogger("otel_genai")

NAME = "openai"
_instruments = ("openai >= 1.0.0, < 4",)

# (module, class, method, kind). Missing ones (older SDKs) are skipped.
_TARGETS = (
    ("openai.resources.chat.completions", "Completions", "create", "chat"),
    ("openai.resources.chat.completions", "AsyncCompletions", "create", "chat"),
    ("openai.resources.chat.completions", "Completions", "parse", "chat"),
    ("openai.resources.chat.completions", "AsyncCompletions", "parse", "chat"),
    ("openai.resources.responses", "Responses", "create", "responses"),
    ("openai.resources.responses", "AsyncResponses", "create", "responses"),
    ("openai.resources.responses", "Responses", "parse", "responses"),
    ("openai.resources.responses", "AsyncResponses", "parse", "responses"),
    ("openai.resources.embeddings", "Embeddings", "create", "embeddings"),
    ("openai.resources.embeddings", "AsyncEmbeddings", "create", "embeddings"),
)
# openai 1.x before ``chat.completions.parse`` existed had it under ``beta``.
_BETA_PARSE_TARGETS = (
    ("openai.resources.beta.chat.completions", "Completions", "parse", "chat"),
    ("openai.resources.beta.chat.completions", "AsyncCompletions", "parse", "chat"),
)

# The SDK's "argument not given" sentinels (NotGiven, Omit) and its raw-response wrapper; filled in when
# instrumenting.
_SENTINELS: tuple[type, ...] = ()
_RAW_RESPONSE_TYPES: tuple[type, ...] = ()


class OpenAIInstrumentor(BaseInstrumentor):
    """Instruments the ``openai`` package."""

    def instrumentation_dependencies(self) -> Collection[str]:
        return _instruments

    def _instrument(self, **kwargs: Any) -> None:
        global _SENTINELS, _RAW_RESPONSE_TYPES
        import importlib

        import openai
        from openai import _types

        _SENTINELS = tuple(t for t in (getattr(_types, "NotGiven", None), getattr(_types, "Omit", None)) if t)
        try:
            from openai._legacy_response import LegacyAPIResponse

            _RAW_RESPONSE_TYPES = (LegacyAPIResponse,)
        except ImportError:  # releases before with_raw_response returned it
            _RAW_RESPONSE_TYPES = ()
        handler = handler_from_kwargs(kwargs)
        streams = (openai.Stream, openai.AsyncStream)
        readers = {
            "chat": _ChatReader(handler, streams),
            "responses": _ResponsesReader(handler, streams),
            "embeddings": _EmbeddingsReader(handler),
        }
        targets = list(_TARGETS)
        chat_module = importlib.import_module("openai.resources.chat.completions")
        if not hasattr(getattr(chat_module, "Completions", None), "parse"):
            targets.extend(_BETA_PARSE_TARGETS)
        self._wrapped = wrap_methods(
            (
                module,
                cls,
                method,
                readers[kind].async_wrapper if cls.startswith("Async") else readers[kind].sync_wrapper,
            )
            for module, cls, method, kind in targets
        )

    def _uninstrument(self, **kwargs: Any) -> None:
        unwrap_methods(getattr(self, "_wrapped", ()))
        self._wrapped = []


# --- request helpers ----------------------------------------------------------------------------


def _given(value: Any) -> Any:
    """``None`` for the SDK's not-given sentinels, the value otherwise."""
    if value is None or isinstance(value, _SENTINELS):
        return None
    return value


def _number(value: Any) -> float | int | None:
    value = _given(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    return None


def _float(value: Any) -> float | None:
    """A number as a float: the conventions type temperature and the like as double, also for ``0``."""
    number = _number(value)
    return None if number is None else float(number)


def _string(value: Any) -> str | None:
    value = _given(value)
    return value if isinstance(value, str) else None


_endpoints: WeakKeyDictionary[Any, tuple[Any, str, str | None, int | None]] = WeakKeyDictionary()
_DEFAULT_PORTS = {"https": 443, "http": 80}


def _endpoint(client: Any) -> tuple[str, str | None, int | None]:
    """(provider name, server.address, server.port) of a client, cached per client and base URL."""
    if client is None:
        return sc.PROVIDER_OPENAI, None, None
    base_url = getattr(client, "_base_url", None) or getattr(client, "base_url", None)
    cached = _endpoints.get(client)
    if cached is not None and cached[0] is base_url:
        return cached[1], cached[2], cached[3]
    host = getattr(base_url, "host", None) or None
    port = getattr(base_url, "port", None) or _DEFAULT_PORTS.get(getattr(base_url, "scheme", ""))
    azure = any(cls.__name__ in ("AzureOpenAI", "AsyncAzureOpenAI") for cls in type(client).__mro__)
    if not azure and host:
        azure = host.endswith((".openai.azure.com", ".cognitiveservices.azure.com"))
    provider = sc.PROVIDER_AZURE_OPENAI if azure else sc.PROVIDER_OPENAI
    with contextlib.suppress(TypeError):  # a client that cannot be weakly referenced is not cached
        _endpoints[client] = (base_url, provider, host, port)
    return provider, host, port


def _stop_sequences(stop: Any) -> list[str] | None:
    stop = _given(stop)
    if isinstance(stop, str):
        return [stop]
    if isinstance(stop, (list, tuple)):
        return [str(s) for s in stop]
    return None


def _output_type(response_format: Any) -> str | None:
    response_format = _given(response_format)
    if response_format is None:
        return None
    if isinstance(response_format, type):  # parse(response_format=PydanticModel)
        return "json"
    kind = response_format.get("type") if isinstance(response_format, dict) else None
    if kind in ("json_object", "json_schema"):
        return "json"
    if kind == "text":
        return "text"
    return None


def _service_tier(record: Inference, value: Any) -> None:
    tier = _string(value)
    if tier and tier != "auto":
        record.request_attributes[sc.OPENAI_REQUEST_SERVICE_TIER] = tier


def _read_response_meta(record: Inference, response: Any) -> None:
    """``service_tier`` and ``system_fingerprint``: on the span and, per the conventions, on metrics."""
    tier = getattr(response, "service_tier", None)
    if isinstance(tier, str):
        record.response_attributes[sc.OPENAI_RESPONSE_SERVICE_TIER] = tier
        record.metric_attributes[sc.OPENAI_RESPONSE_SERVICE_TIER] = tier
    fingerprint = getattr(response, "system_fingerprint", None)
    if isinstance(fingerprint, str):
        record.response_attributes[sc.OPENAI_RESPONSE_SYSTEM_FINGERPRINT] = fingerprint
        record.metric_attributes[sc.OPENAI_RESPONSE_SYSTEM_FINGERPRINT] = fingerprint


class _Reader(CallReader):
    """One OpenAI API family: builds the record from kwargs and reads the response into it."""

    api_type: str | None = None

    def __init__(self, handler: TelemetryHandler, streams: tuple[type, type] | None = None) -> None:
        super().__init__(handler)
        self.sync_stream, self.async_stream = streams or (type(None), type(None))

    def read(self, record: Any, response: Any) -> None:
        raise NotImplementedError

    def accumulator(self, record: Inference) -> StreamAccumulator:
        raise NotImplementedError

    def on_result(self, record: Any, result: Any) -> Any:
        if isinstance(result, self.sync_stream):
            return SyncStreamProxy(result, self.accumulator(record))
        if isinstance(result, self.async_stream):
            return AsyncStreamProxy(result, self.accumulator(record))
        if not getattr(record, "stream", False):
            try:
                # ``with_raw_response`` (LangChain uses it for headers): the SDK caches parse(), so the
                # application's own parse() returns this very object at no extra cost.
                raw = isinstance(result, _RAW_RESPONSE_TYPES)
                self.read(record, result.parse() if raw else result)
            except Exception:
                logger.debug("otel_genai: could not read an OpenAI response", exc_info=True)
        self.handler.finish(record)
        return result

    def _inference(self, instance: Any, model: Any) -> Inference:
        provider, address, port = _endpoint(getattr(instance, "_client", None))
        record = Inference(
            operation=sc.OPERATION_CHAT,
            provider=provider,
            request_model=_string(model),
            server_address=address,
            server_port=port,
        )
        record.request_attributes[sc.OPENAI_API_TYPE] = self.api_type
        return record


# --- chat completions ---------------------------------------------------------------------------


class _ChatReader(_Reader):
    api_type = "chat_completions"

    def build(self, instance: Any, kwargs: dict[str, Any]) -> Inference:
        record = self._inference(instance, kwargs.get("model"))
        get = kwargs.get
        record.temperature = _float(get("temperature"))
        record.top_p = _float(get("top_p"))
        record.max_tokens = _number(get("max_completion_tokens")) or _number(get("max_tokens"))  # type: ignore[assignment]
        record.seed = _number(get("seed"))  # type: ignore[assignment]
        record.stop_sequences = _stop_sequences(get("stop"))
        record.frequency_penalty = _float(get("frequency_penalty"))
        record.presence_penalty = _float(get("presence_penalty"))
        record.choice_count = _number(get("n"))  # type: ignore[assignment]
        record.stream = _given(get("stream")) is True
        record.output_type = _output_type(get("response_format"))
        record.reasoning_level = _string(get("reasoning_effort"))
        _service_tier(record, get("service_tier"))
        return record

    def capture_request(self, record: Inference, kwargs: dict[str, Any]) -> None:
        record.input_messages = chat_input_messages(_given(kwargs.get("messages")))
        record.tool_definitions = tool_definitions(
            _given(kwargs.get("tools")), self.handler.tool_definition_details
        )

    def read(self, record: Inference, response: Any) -> None:
        record.response_id = getattr(response, "id", None)
        record.response_model = getattr(response, "model", None)
        _read_response_meta(record, response)
        _read_chat_usage(record, getattr(response, "usage", None))
        choices = getattr(response, "choices", None) or ()
        record.finish_reasons = [getattr(c, "finish_reason", None) or "error" for c in choices]
        tool_calls: list[ToolCallRequest] = []
        outputs = []
        capture = self.handler.wants_content(record)
        for choice in choices:
            message = getattr(choice, "message", None)
            calls = [_tool_call(call) for call in getattr(message, "tool_calls", None) or ()]
            tool_calls.extend(calls)
            if capture:
                outputs.append(
                    _output_message(
                        getattr(message, "content", None),
                        getattr(message, "refusal", None),
                        _extra_field(message, "reasoning_content"),
                        calls,
                        getattr(choice, "finish_reason", None),
                    )
                )
        if tool_calls:
            record.tool_calls = tool_calls
        if capture:
            record.output_messages = outputs

    def accumulator(self, record: Inference) -> StreamAccumulator:
        return _ChatStreamAccumulator(self.handler, record)


def _read_chat_usage(record: Inference, usage: Any) -> None:
    if usage is None:
        return
    # _field: SDKs that predate a field keep it as a plain dict (pydantic extra)
    record.input_tokens = _field(usage, "prompt_tokens")
    record.output_tokens = _field(usage, "completion_tokens")
    prompt_details = _field(usage, "prompt_tokens_details")
    if prompt_details is not None:
        record.cache_read_input_tokens = _field(prompt_details, "cached_tokens")
        record.cache_write_input_tokens = _field(prompt_details, "cache_write_tokens")
    completion_details = _field(usage, "completion_tokens_details")
    if completion_details is not None:
        record.reasoning_output_tokens = _field(completion_details, "reasoning_tokens")


def _extra_field(model: Any, name: str) -> Any:
    """A field the SDK does not declare (``reasoning_content`` from OpenAI-compatible servers).

    ``getattr`` on a missing pydantic field raises inside pydantic and costs microseconds per chunk;
    the extras dict (pydantic 2) or ``__dict__`` (pydantic 1) is a plain lookup.
    """
    extra = getattr(model, "__pydantic_extra__", None)
    if extra is not None:
        return extra.get(name)
    return getattr(model, "__dict__", {}).get(name)


def _tool_call(call: Any) -> ToolCallRequest:
    function = getattr(call, "function", None)
    if function is not None:
        return ToolCallRequest(
            getattr(call, "id", None), getattr(function, "name", None), getattr(function, "arguments", None)
        )
    custom = getattr(call, "custom", None)  # custom tools: {name, input}
    return ToolCallRequest(
        getattr(call, "id", None), getattr(custom, "name", None), getattr(custom, "input", None)
    )


def _output_message(
    content: Any, refusal: Any, reasoning: Any, calls: list[ToolCallRequest], finish_reason: Any
) -> dict[str, Any]:
    parts: list[dict[str, Any]] = []
    if isinstance(reasoning, str) and reasoning:
        parts.append({"type": "reasoning", "content": reasoning})
    if isinstance(content, str) and content:
        parts.append(text_part(content))
    if isinstance(refusal, str) and refusal:
        parts.append({"type": "refusal", "content": refusal})
    for call in calls:
        parts.append(
            {
                "type": "tool_call",
                "id": call.id,
                "name": call.name,
                "arguments": parse_json_arguments(call.arguments),
            }
        )
    return {"role": "assistant", "parts": parts, "finish_reason": semconv_finish_reason(finish_reason)}


class _ChoiceState:
    __slots__ = ("finish_reason", "reasoning", "refusal", "text", "tool_calls")

    def __init__(self) -> None:
        self.text: list[str] = []
        self.reasoning: list[str] = []
        self.refusal: list[str] = []
        self.tool_calls: dict[int, ToolCallRequest] = {}
        self.finish_reason: str | None = None


class _ChatStreamAccumulator(StreamAccumulator):
    """Assembles ``ChatCompletionChunk``s: text, tool-call deltas, finish reasons, usage."""

    __slots__ = ("capture", "choices", "first", "usage")

    def __init__(self, handler: TelemetryHandler, record: Inference) -> None:
        super().__init__(handler, record)
        self.capture = handler.wants_content(record)
        self.choices: dict[int, _ChoiceState] = {}
        self.first: Any = None
        self.usage: Any = None

    def on_chunk(self, chunk: Any) -> None:
        if self.first is None and (getattr(chunk, "id", None) or getattr(chunk, "model", None)):
            # the first chunk that names the response (Azure opens with an id-less prompt-filter chunk)
            self.first = chunk
        usage = getattr(chunk, "usage", None)  # newer SDKs only
        if usage is not None:
            self.usage = usage
        for choice in chunk.choices:
            state = self.choices.get(choice.index)
            if state is None:
                state = self.choices[choice.index] = _ChoiceState()
            delta = choice.delta
            if delta is not None:
                if self.capture:
                    if delta.content:
                        state.text.append(delta.content)
                    refusal = getattr(delta, "refusal", None)  # newer SDKs only
                    if refusal:
                        state.refusal.append(refusal)
                    reasoning = _extra_field(delta, "reasoning_content")
                    if reasoning:
                        state.reasoning.append(reasoning)
                if delta.tool_calls:
                    self._tool_call_deltas(state, delta.tool_calls)
            if choice.finish_reason:
                state.finish_reason = choice.finish_reason

    def _tool_call_deltas(self, state: _ChoiceState, deltas: Iterable[Any]) -> None:
        for delta in deltas:
            index = getattr(delta, "index", 0) or 0
            call = state.tool_calls.get(index)
            if call is None:
                call = state.tool_calls[index] = ToolCallRequest(None, None, "")
            if delta.id:
                call.id = delta.id
            function = delta.function
            if function is not None:
                if function.name:
                    call.name = function.name
                if function.arguments and self.capture:
                    call.arguments = (call.arguments or "") + function.arguments

    def on_end(self) -> None:
        record = self.record
        first = self.first
        if first is not None:
            record.response_id = getattr(first, "id", None)
            record.response_model = getattr(first, "model", None)
            _read_response_meta(record, first)
        _read_chat_usage(record, self.usage)
        if not self.choices:
            return
        states = [self.choices[i] for i in sorted(self.choices)]
        record.finish_reasons = [s.finish_reason or "error" for s in states]
        tool_calls = [call for s in states for _, call in sorted(s.tool_calls.items())]
        if tool_calls:
            record.tool_calls = tool_calls
        if self.capture:
            record.output_messages = [
                _output_message(
                    "".join(s.text),
                    "".join(s.refusal),
                    "".join(s.reasoning),
                    [c for _, c in sorted(s.tool_calls.items())],
                    s.finish_reason,
                )
                for s in states
            ]


# --- chat content -------------------------------------------------------------------------------


def _field(item: Any, name: str) -> Any:
    if isinstance(item, dict):
        return item.get(name)
    return getattr(item, name, None)


def _content_parts(content: Any) -> list[dict[str, Any]]:
    """A chat or Responses ``content`` value (string or list of typed parts) as semconv parts."""
    if content is None:
        return []
    if isinstance(content, str):
        return [text_part(content)] if content else []
    parts = []
    for item in content if isinstance(content, (list, tuple)) else (content,):
        kind = _field(item, "type")
        if kind in ("text", "input_text", "output_text"):
            parts.append(text_part(_field(item, "text") or ""))
        elif kind == "refusal":
            parts.append({"type": "refusal", "content": _field(item, "refusal") or ""})
        elif kind in ("image_url", "input_image"):
            image = _field(item, "image_url")
            url = _field(image, "url") if image is not None and not isinstance(image, str) else image
            parts.append(_uri_or_blob(url, "image", _field(item, "file_id")))
        elif kind == "input_audio":
            audio = _field(item, "input_audio")
            fmt = _field(audio, "format")
            parts.append(
                {
                    "type": "blob",
                    "modality": "audio",
                    "mime_type": f"audio/{fmt}" if fmt else None,
                    "content": _field(audio, "data") or "",
                }
            )
        elif kind in ("file", "input_file"):
            file = _field(item, "file") or item
            file_id = _field(file, "file_id")
            if file_id:
                parts.append({"type": "file", "modality": "document", "file_id": file_id})
            else:
                parts.append(
                    _uri_or_blob(_field(file, "file_data") or _field(file, "file_url"), "document", None)
                )
        else:
            parts.append({"type": str(kind or "unknown")})
    return parts


def _uri_or_blob(url: Any, modality: str, file_id: Any) -> dict[str, Any]:
    if file_id:
        return {"type": "file", "modality": modality, "file_id": file_id}
    if isinstance(url, str) and url.startswith("data:") and ";base64," in url:
        header, data = url.split(",", 1)
        return {
            "type": "blob",
            "modality": modality,
            "mime_type": header[5:].split(";")[0] or None,
            "content": data,
        }
    return {"type": "uri", "modality": modality, "uri": str(url or "")}


def chat_input_messages(messages: Any) -> list[dict[str, Any]] | None:
    """Chat Completions ``messages`` as semconv input messages (system messages stay in the list)."""
    if not messages:
        return None
    result = []
    for message in messages:
        role = _field(message, "role") or "user"
        if role == "tool":
            parts = [
                {
                    "type": "tool_call_response",
                    "id": _field(message, "tool_call_id"),
                    "response": _tool_response(_field(message, "content")),
                }
            ]
        else:
            parts = _content_parts(_field(message, "content"))
            for call in _field(message, "tool_calls") or ():
                request = _tool_call(call) if not isinstance(call, dict) else _tool_call_from_dict(call)
                parts.append(
                    {
                        "type": "tool_call",
                        "id": request.id,
                        "name": request.name,
                        "arguments": parse_json_arguments(request.arguments),
                    }
                )
        entry: dict[str, Any] = {"role": role, "parts": parts}
        name = _field(message, "name")
        if isinstance(name, str):
            entry["name"] = name
        result.append(entry)
    return result


def _tool_call_from_dict(call: dict[str, Any]) -> ToolCallRequest:
    function = call.get("function") or call.get("custom") or {}
    return ToolCallRequest(
        call.get("id"), function.get("name"), function.get("arguments", function.get("input"))
    )


def _tool_response(content: Any) -> Any:
    if isinstance(content, str) or content is None:
        return content
    return " ".join(p.get("content", "") for p in _content_parts(content) if p.get("type") == "text")


def tool_definitions(tools: Any, details: bool) -> list[dict[str, Any]] | None:
    """Chat or Responses ``tools`` as semconv tool definitions (type and name; more if ``details``)."""
    if not tools:
        return None
    definitions = []
    for tool in tools:
        kind = _field(tool, "type") or "function"
        spec = _field(tool, kind) if kind in ("function", "custom") else None
        source = spec if spec is not None else tool
        definition: dict[str, Any] = {"type": kind, "name": _field(source, "name") or kind}
        if details:
            description = _field(source, "description")
            if description:
                definition["description"] = description
            parameters = _field(source, "parameters")
            if parameters:
                definition["parameters"] = parameters
        definitions.append(definition)
    return definitions


# --- responses ----------------------------------------------------------------------------------


class _ResponsesReader(_Reader):
    api_type = "responses"

    def build(self, instance: Any, kwargs: dict[str, Any]) -> Inference:
        record = self._inference(instance, kwargs.get("model"))
        get = kwargs.get
        record.temperature = _float(get("temperature"))
        record.top_p = _float(get("top_p"))
        record.max_tokens = _number(get("max_output_tokens"))  # type: ignore[assignment]
        record.stream = _given(get("stream")) is True
        record.previous_response_id = _string(get("previous_response_id"))
        conversation = _given(get("conversation"))
        record.conversation_id = (
            conversation if isinstance(conversation, str) else _string(_field(conversation, "id"))
        )
        reasoning = _given(get("reasoning"))
        if reasoning is not None:
            record.reasoning_level = _string(_field(reasoning, "effort"))
        text = _given(get("text"))
        if text is not None:
            record.output_type = _output_type(_field(text, "format"))
        if _given(get("text_format")) is not None:  # parse(text_format=PydanticModel)
            record.output_type = "json"
        _service_tier(record, get("service_tier"))
        return record

    def capture_request(self, record: Inference, kwargs: dict[str, Any]) -> None:
        instructions = _given(kwargs.get("instructions"))
        if isinstance(instructions, str) and instructions:
            record.system_instructions = [text_part(instructions)]
        record.input_messages = responses_input_messages(_given(kwargs.get("input")))
        record.tool_definitions = tool_definitions(
            _given(kwargs.get("tools")), self.handler.tool_definition_details
        )

    def read(self, record: Inference, response: Any) -> None:
        record.response_id = getattr(response, "id", None)
        record.response_model = getattr(response, "model", None)
        _read_response_meta(record, response)
        usage = getattr(response, "usage", None)
        if usage is not None:
            record.input_tokens = getattr(usage, "input_tokens", None)
            record.output_tokens = getattr(usage, "output_tokens", None)
            input_details = getattr(usage, "input_tokens_details", None)
            if input_details is not None:
                record.cache_read_input_tokens = getattr(input_details, "cached_tokens", None)
                record.cache_write_input_tokens = getattr(input_details, "cache_write_tokens", None)
            output_details = getattr(usage, "output_tokens_details", None)
            if output_details is not None:
                record.reasoning_output_tokens = getattr(output_details, "reasoning_tokens", None)
        parts: list[dict[str, Any]] = []
        tool_calls: list[ToolCallRequest] = []
        capture = self.handler.wants_content(record)
        for item in getattr(response, "output", None) or ():
            kind = getattr(item, "type", None)
            if kind == "function_call" or kind == "custom_tool_call":
                call = ToolCallRequest(
                    getattr(item, "call_id", None),
                    getattr(item, "name", None),
                    getattr(item, "arguments", None) or getattr(item, "input", None),
                )
                tool_calls.append(call)
                if capture:
                    parts.append(
                        {
                            "type": "tool_call",
                            "id": call.id,
                            "name": call.name,
                            "arguments": parse_json_arguments(call.arguments),
                        }
                    )
            elif capture and kind == "message":
                parts.extend(_content_parts(getattr(item, "content", None)))
            elif capture and kind == "reasoning":
                for summary in getattr(item, "summary", None) or ():
                    parts.append({"type": "reasoning", "content": getattr(summary, "text", "") or ""})
            elif capture and kind:
                parts.append({"type": "server_tool_call", "id": getattr(item, "id", None), "name": kind,
                              "server_tool_call": {"type": kind}})  # fmt: skip
        status = getattr(response, "status", None)
        reason = _responses_finish_reason(response, status, bool(tool_calls))
        record.finish_reasons = [reason]
        if tool_calls:
            record.tool_calls = tool_calls
        if status == "failed":
            error = getattr(response, "error", None)
            record.error_type = _string(getattr(error, "code", None)) or "failed"
        if capture:
            record.output_messages = [{"role": "assistant", "parts": parts, "finish_reason": reason}]

    def accumulator(self, record: Inference) -> StreamAccumulator:
        return _ResponsesStreamAccumulator(self.handler, record, self)


def _responses_finish_reason(response: Any, status: Any, has_tool_calls: bool) -> str:
    if status == "incomplete":
        details = getattr(response, "incomplete_details", None)
        return "content_filter" if getattr(details, "reason", None) == "content_filter" else "length"
    if status == "failed":
        return "error"
    if has_tool_calls:
        return "tool_call"
    return "stop"


_TERMINAL_EVENTS = {"response.completed", "response.incomplete", "response.failed"}


class _ResponsesStreamAccumulator(StreamAccumulator):
    """Responses streams end with a terminal event that carries the whole response: read that."""

    __slots__ = ("final", "reader", "started")

    def __init__(self, handler: TelemetryHandler, record: Inference, reader: _ResponsesReader) -> None:
        super().__init__(handler, record)
        self.reader = reader
        self.final: Any = None
        self.started: Any = None

    def on_chunk(self, event: Any) -> None:
        kind = event.type
        if kind in _TERMINAL_EVENTS:
            self.final = event.response
        elif kind == "response.created":
            self.started = event.response
        elif kind == "error":
            self.record.error_type = _string(getattr(event, "code", None)) or "error"

    def on_end(self) -> None:
        if self.final is not None:
            self.reader.read(self.record, self.final)
        elif self.started is not None:
            self.record.response_id = getattr(self.started, "id", None)
            self.record.response_model = getattr(self.started, "model", None)


def responses_input_messages(items: Any) -> list[dict[str, Any]] | None:
    """Responses ``input`` (a string or a list of items) as semconv input messages."""
    if items is None:
        return None
    if isinstance(items, str):
        return [{"role": "user", "parts": [text_part(items)]}]
    messages: list[dict[str, Any]] = []
    for item in items:
        kind = _field(item, "type")
        role = _field(item, "role")
        if kind == "function_call_output" or kind == "custom_tool_call_output":
            output = _field(item, "output")
            messages.append(
                {
                    "role": "tool",
                    "parts": [
                        {
                            "type": "tool_call_response",
                            "id": _field(item, "call_id"),
                            "response": _tool_response(output),
                        }
                    ],
                }
            )
        elif kind == "function_call" or kind == "custom_tool_call":
            arguments = _field(item, "arguments") or _field(item, "input")
            part = {
                "type": "tool_call",
                "id": _field(item, "call_id"),
                "name": _field(item, "name"),
                "arguments": parse_json_arguments(arguments),
            }
            messages.append({"role": "assistant", "parts": [part]})
        elif role is not None:
            messages.append({"role": role, "parts": _content_parts(_field(item, "content"))})
        elif kind is not None:
            messages.append({"role": "assistant", "parts": [{"type": str(kind)}]})
    return messages


# --- embeddings ---------------------------------------------------------------------------------


class _EmbeddingsReader(_Reader):
    def build(self, instance: Any, kwargs: dict[str, Any]) -> Embedding:
        provider, address, port = _endpoint(getattr(instance, "_client", None))
        record = Embedding(
            operation=sc.OPERATION_EMBEDDINGS,
            provider=provider,
            request_model=_string(kwargs.get("model")),
            server_address=address,
            server_port=port,
        )
        encoding = _string(kwargs.get("encoding_format"))
        if encoding:
            record.encoding_formats = [encoding]
        record.dimension_count = _number(kwargs.get("dimensions"))  # type: ignore[assignment]
        return record

    def read(self, record: Embedding, response: Any) -> None:
        record.response_model = getattr(response, "model", None)
        usage = getattr(response, "usage", None)
        if usage is not None:
            record.input_tokens = getattr(usage, "prompt_tokens", None)
        if record.dimension_count is None:
            data = getattr(response, "data", None)
            if data:
                vector = getattr(data[0], "embedding", None)
                if isinstance(vector, list):
                    record.dimension_count = len(vector)
                elif isinstance(vector, str):  # encoding_format="base64": little-endian float32s
                    record.dimension_count = len(vector) * 3 // 4 // 4  # padding is under 4 bytes
