"""OpenAI: ``chat.completions.create`` / ``parse``, ``responses.create`` / ``parse``,
``embeddings.create`` and the legacy ``completions.create`` (``text_completion``: what vLLM, TGI and
instruct models are called with), sync and async, openai 1.66 through 3.x (3.x uses ``httpx2``; before 1.92,
``parse`` lives under ``beta.chat.completions``).

The openai client also reaches every OpenAI-compatible server (Groq, DeepSeek, Ollama, vLLM, ...): the
provider is named from the base URL, the application's entries and the answers (``_servers.py``).

This module only reads the client's requests and responses into records; names and emission live in
``otel_genai.telemetry``. Response fields are read with ``getattr`` defaults, because the SDK's types
change between releases (and OpenAI-compatible servers omit fields).
"""

from __future__ import annotations

import importlib
import logging
import math
from collections.abc import Callable, Iterable, Mapping
from functools import partial
from typing import Any

from otel_genai import semconv as sc
from otel_genai.instrumentation import _servers
from otel_genai.instrumentation._base import Instrumentor, Target
from otel_genai.instrumentation._servers import ServerTable
from otel_genai.instrumentation._stainless import (
    StainlessReader,
    StainlessSDK,
    content_parts,
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
    refusal_part,
    semconv_finish_reason,
    server_tool_call_part,
    text_part,
    tool_call_part,
    tool_call_response_part,
)
from otel_genai.telemetry.handler import TelemetryHandler
from otel_genai.telemetry.records import Embedding, Inference, Invocation, ToolCallRequest
from otel_genai.telemetry.streams import StreamAccumulator

logger = logging.getLogger("otel_genai")

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
    ("openai.resources.completions", "Completions", "create", "completions"),
    ("openai.resources.completions", "AsyncCompletions", "create", "completions"),
)
# openai 1.x before ``chat.completions.parse`` existed had it under ``beta``.
_BETA_PARSE_TARGETS = (
    ("openai.resources.beta.chat.completions", "Completions", "parse", "chat"),
    ("openai.resources.beta.chat.completions", "AsyncCompletions", "parse", "chat"),
)
# What ``with_raw_response`` returns (releases before it existed return the model itself).
_RAW_RESPONSES = ("openai._legacy_response:LegacyAPIResponse",)
_AZURE_CLIENTS = ("AzureOpenAI", "AsyncAzureOpenAI")


class OpenAIInstrumentor(Instrumentor):
    """Instruments the ``openai`` package."""

    name = "openai"

    def targets(self, handler: TelemetryHandler, kwargs: Mapping[str, Any]) -> Iterable[Target]:
        servers = ServerTable(handler.settings.provider_hosts)
        sdk = StainlessSDK.load("openai", provider=partial(_provider, servers), raw_responses=_RAW_RESPONSES)
        readers: dict[str, StainlessReader] = {
            "chat": ChatReader(handler, sdk),
            "responses": _ResponsesReader(handler, sdk),
            "embeddings": EmbeddingsReader(handler, sdk),
            "completions": _CompletionsReader(handler, sdk),
        }
        targets = list(_TARGETS)
        chat_module = importlib.import_module("openai.resources.chat.completions")
        if not hasattr(getattr(chat_module, "Completions", None), "parse"):
            targets.extend(_BETA_PARSE_TARGETS)
        # by class name: the SDK's argument-checking decorator hides that the async methods are coroutines
        return [
            (module, cls, method, _wrapper(readers[kind], cls.startswith("Async")))
            for module, cls, method, kind in targets
        ]


def _wrapper(reader: StainlessReader, is_async: bool) -> Any:
    return reader.async_wrapper if is_async else reader.sync_wrapper


def _provider(servers: ServerTable, client: Any, host: str | None) -> str:
    """The application's entry for the base URL; else Azure OpenAI by its client class (also behind a
    gateway); else the built-in table of OpenAI-compatible servers (``_servers.py``); else OpenAI."""
    if client is None:
        return sc.PROVIDER_OPENAI
    base_url = getattr(client, "_base_url", None) or getattr(client, "base_url", None)
    port = getattr(base_url, "port", None) or _servers.DEFAULT_PORTS.get(getattr(base_url, "scheme", ""))
    path = str(getattr(base_url, "path", "") or "")
    named = servers.user_provider(host, port, path)
    if named is not None:
        return named
    if any(cls.__name__ in _AZURE_CLIENTS for cls in type(client).__mro__):
        return sc.PROVIDER_AZURE_OPENAI
    return servers.known_provider(host, port, path) or sc.PROVIDER_OPENAI


# --- request helpers ----------------------------------------------------------------------------


def _output_type(sdk: StainlessSDK, response_format: Any) -> str | None:
    response_format = sdk.given(response_format)
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


def _output_schema(response_format: Any) -> Any:
    """The schema an answer must follow, for the schema_valid evaluator (a reference, never exported): a
    pydantic model class (``parse``), a ``json_schema`` format's schema (chat nests it under ``json_schema``,
    Responses does not), or ``{}`` for ``json_object`` (any JSON)."""
    if response_format is None:
        return None
    if isinstance(response_format, type):
        return response_format
    kind = field(response_format, "type")
    if kind == "json_object":
        return {}
    if kind == "json_schema":
        nested = field(response_format, "json_schema")
        return field(nested if nested is not None else response_format, "schema")
    return None


def _service_tier(record: Inference, value: Any) -> None:
    tier = string(value)
    if tier and tier != "auto":
        record.request_attributes[sc.OPENAI_REQUEST_SERVICE_TIER] = tier


def read_response_meta(record: Inference, response: Any) -> None:
    """``service_tier`` and ``system_fingerprint``: on the span and, per the conventions, on metrics."""
    tier = getattr(response, "service_tier", None)
    if isinstance(tier, str):
        record.response_attributes[sc.OPENAI_RESPONSE_SERVICE_TIER] = tier
        record.metric_attributes[sc.OPENAI_RESPONSE_SERVICE_TIER] = tier
    fingerprint = getattr(response, "system_fingerprint", None)
    if isinstance(fingerprint, str):
        record.response_attributes[sc.OPENAI_RESPONSE_SYSTEM_FINGERPRINT] = fingerprint
        record.metric_attributes[sc.OPENAI_RESPONSE_SYSTEM_FINGERPRINT] = fingerprint


class _Reader(StainlessReader):
    """One OpenAI API family (``openai.api.type``)."""

    api_type: str | None = None
    # OpenAI's own refinements (service tier, system fingerprint): off for another provider's SDK that
    # reuses these readers (Groq)
    openai_refinements = True

    def _inference(self, instance: Any, model: Any) -> Inference:
        provider, address, port = self.endpoint_of(instance)
        record = Inference(
            operation=sc.OPERATION_CHAT,
            provider=provider,
            request_model=string(model),
            server_address=address,
            server_port=port,
        )
        if self.api_type is not None:
            record.request_attributes[sc.OPENAI_API_TYPE] = self.api_type
        return record


# --- chat completions ---------------------------------------------------------------------------


class ChatReader(_Reader):
    api_type: str | None = "chat_completions"

    def build(self, instance: Any, kwargs: dict[str, Any]) -> Inference:
        record = self._inference(instance, kwargs.get("model"))
        sdk = self.sdk
        get = kwargs.get
        read_sampling(record, get)
        record.stream = sdk.given(get("stream")) is True
        record.output_type = _output_type(sdk, get("response_format"))
        record.output_schema = _output_schema(sdk.given(get("response_format")))
        record.reasoning_level = string(get("reasoning_effort"))
        if self.openai_refinements:
            _service_tier(record, get("service_tier"))
        # fingerprint sources (any capture mode): the system messages are found only as the span ends
        messages = sdk.given(get("messages"))
        if isinstance(messages, (list, tuple)) and messages:
            record.instructions = partial(system_messages, messages)
        record.tool_schemas = sdk.given(get("tools")) or sdk.given(get("functions"))
        return record

    def capture_request(self, record: Inference, kwargs: dict[str, Any]) -> None:
        given = self.sdk.given
        record.input_messages = chat_input_messages(given(kwargs.get("messages")))
        record.tool_definitions = tool_definitions(
            given(kwargs.get("tools")), self.handler.tool_definition_details
        )

    def read(self, record: Inference, response: Any) -> None:
        record.response_id = getattr(response, "id", None)
        record.response_model = getattr(response, "model", None)
        if self.openai_refinements:
            read_response_meta(record, response)
        read_chat_usage(record, getattr(response, "usage", None))
        choices = getattr(response, "choices", None) or ()
        _servers.recognize(record, response, choices)
        read_chat_choices(record, choices, self.handler.wants_content(record), self.reasoning_of)

    @staticmethod
    def reasoning_of(message: Any) -> Any:
        """A message's reasoning text: ``reasoning_content`` (DeepSeek, vLLM, ...), which the SDK does not
        declare; another provider's SDK names its own field."""
        return extra_field(message, "reasoning_content")

    def accumulator(self, record: Inference) -> StreamAccumulator:
        return ChatStreamAccumulator(self.handler, record)


def read_sampling(record: Inference, get: Callable[[str], Any]) -> None:
    """The sampling parameters of an OpenAI-shaped request (chat, legacy completions; LiteLLM's too), read
    with ``get`` (the call's ``kwargs.get``). A not-given sentinel is no number: it reads as unset."""
    record.temperature = double(get("temperature"))
    record.top_p = double(get("top_p"))
    record.max_tokens = number(get("max_completion_tokens")) or number(get("max_tokens"))
    record.seed = number(get("seed"))
    record.stop_sequences = strings(get("stop"))
    record.frequency_penalty = double(get("frequency_penalty"))
    record.presence_penalty = double(get("presence_penalty"))
    record.choice_count = number(get("n"))


def read_chat_choices(
    record: Inference, choices: Any, capture: bool, reasoning_of: Callable[[Any], Any]
) -> None:
    """A chat completion's ``choices``: finish reasons and tool calls always; the output messages (with
    ``reasoning_of(message)`` as their reasoning part) when ``capture``. OpenAI's shape, which Groq and
    LiteLLM answer in too."""
    record.finish_reasons = [getattr(c, "finish_reason", None) or "error" for c in choices]
    tool_calls: list[ToolCallRequest] = []
    outputs = []
    for choice in choices:
        message = getattr(choice, "message", None)
        calls = [chat_tool_call(call) for call in getattr(message, "tool_calls", None) or ()]
        tool_calls.extend(calls)
        if capture:
            outputs.append(
                chat_output_message(
                    getattr(message, "content", None),
                    getattr(message, "refusal", None),
                    reasoning_of(message),
                    calls,
                    getattr(choice, "finish_reason", None),
                )
            )
    if tool_calls:
        record.tool_calls = tool_calls
    if capture:
        record.output_messages = outputs


def read_chat_usage(record: Inference, usage: Any) -> None:
    if usage is None:
        return
    # field(): SDKs that predate a field keep it as a plain dict (pydantic extra)
    record.input_tokens = field(usage, "prompt_tokens")
    record.output_tokens = field(usage, "completion_tokens")
    _reported_cost(record, usage)
    prompt_details = field(usage, "prompt_tokens_details")
    if prompt_details is not None:
        record.cache_read_input_tokens = field(prompt_details, "cached_tokens")
        record.cache_write_input_tokens = field(prompt_details, "cache_write_tokens")
    completion_details = field(usage, "completion_tokens_details")
    if completion_details is not None:
        record.reasoning_output_tokens = field(completion_details, "reasoning_tokens")


def _reported_cost(record: Invocation, usage: Any) -> None:
    """``usage.cost``: the price of the call in USD, as OpenAI-compatible routers (OpenRouter) report it.
    The SDK does not declare it: a typed usage keeps it among its pydantic extras (read without
    ``getattr``, which raises inside pydantic for a missing field); a later SDK might declare it."""
    if isinstance(usage, Mapping):
        cost = usage.get("cost")
    else:
        cost = extra_field(usage, "cost")
        if cost is None:
            cost = getattr(usage, "__dict__", {}).get("cost")  # a declared field (pydantic keeps them there)
    if isinstance(cost, (int, float)) and not isinstance(cost, bool) and math.isfinite(cost) and cost >= 0:
        record.reported_cost = float(cost)
        record.reported_cost_currency = "USD"


def chat_tool_call(call: Any) -> ToolCallRequest:
    function = getattr(call, "function", None)
    if function is not None:
        return ToolCallRequest(
            getattr(call, "id", None), getattr(function, "name", None), getattr(function, "arguments", None)
        )
    custom = getattr(call, "custom", None)  # custom tools: {name, input}
    return ToolCallRequest(
        getattr(call, "id", None), getattr(custom, "name", None), getattr(custom, "input", None)
    )


def chat_output_message(
    content: Any, refusal: Any, reasoning: Any, calls: list[ToolCallRequest], finish_reason: Any
) -> OutputMessage:
    parts: list[Part] = []
    if isinstance(reasoning, str) and reasoning:
        parts.append(reasoning_part(reasoning))
    if isinstance(content, str) and content:
        parts.append(text_part(content))
    if isinstance(refusal, str) and refusal:
        parts.append(refusal_part(refusal))
    for call in calls:
        parts.append(tool_call_part(call.id, call.name, call.arguments))
    return output_message(parts, semconv_finish_reason(finish_reason))


class _ChoiceState:
    __slots__ = ("finish_reason", "reasoning", "refusal", "text", "tool_calls")

    def __init__(self) -> None:
        self.text: list[str] = []
        self.reasoning: list[str] = []
        self.refusal: list[str] = []
        self.tool_calls: dict[int, ToolCallRequest] = {}
        self.finish_reason: str | None = None


class ChatStreamAccumulator(StreamAccumulator):
    """Assembles ``ChatCompletionChunk``s: text, tool-call deltas, finish reasons, usage."""

    __slots__ = ("capture", "choices", "first", "last_finished", "usage")
    openai_refinements = True  # as on the readers

    def __init__(self, handler: TelemetryHandler, record: Inference) -> None:
        super().__init__(handler, record)
        self.capture = handler.wants_content(record)
        self.choices: dict[int, _ChoiceState] = {}
        self.first: Any = None
        self.usage: Any = None
        self.last_finished: Any = None  # the last choice that finished: what a server adds shows there

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
                    content = delta.content
                    if content:
                        state.text.append(content)
                    refusal = getattr(delta, "refusal", None)  # newer SDKs only
                    if refusal:
                        state.refusal.append(refusal)
                    reasoning = extra_field(delta, "reasoning_content")
                    if reasoning:
                        state.reasoning.append(reasoning)
                if delta.tool_calls:
                    self._tool_call_deltas(state, delta.tool_calls)
            if choice.finish_reason:
                state.finish_reason = choice.finish_reason
                self.last_finished = choice

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
            if self.openai_refinements:
                read_response_meta(record, first)
            _servers.recognize(record, first, (self.last_finished,) if self.last_finished else ())
        read_chat_usage(record, self.usage)
        if not self.choices:
            return
        states = [self.choices[i] for i in sorted(self.choices)]
        record.finish_reasons = [s.finish_reason or "error" for s in states]
        # each choice's calls in their index order, put in order once for both the record and the content
        calls = [[call for _, call in sorted(s.tool_calls.items())] if s.tool_calls else [] for s in states]
        tool_calls = [call for choice_calls in calls for call in choice_calls]
        if tool_calls:
            record.tool_calls = tool_calls
        if self.capture:
            record.output_messages = [
                chat_output_message(
                    "".join(s.text), "".join(s.refusal), "".join(s.reasoning), choice_calls, s.finish_reason
                )
                for s, choice_calls in zip(states, calls, strict=True)
            ]


# --- chat content -------------------------------------------------------------------------------


def _content_parts(content: Any) -> list[Part]:
    """A chat or Responses ``content`` value (string, list of typed parts, or one typed part) as semconv
    parts."""
    if content is not None and not isinstance(content, (str, list, tuple)):
        content = (content,)
    return content_parts(content, _content_part)


def _content_part(item: Any) -> Part:
    """One typed part of a chat or Responses ``content`` list."""
    kind = field(item, "type")
    if kind in ("text", "input_text", "output_text"):
        return text_part(field(item, "text") or "")
    if kind == "refusal":
        return refusal_part(field(item, "refusal") or "")
    if kind in ("image_url", "input_image"):
        image = field(item, "image_url")
        url = field(image, "url") if image is not None and not isinstance(image, str) else image
        return uri_or_blob(url, "image", field(item, "file_id"))
    if kind == "input_audio":
        audio = field(item, "input_audio")
        fmt = field(audio, "format")
        return blob_part(field(audio, "data") or "", "audio", f"audio/{fmt}" if fmt else None)
    if kind in ("file", "input_file"):
        file = field(item, "file") or item
        file_id = field(file, "file_id")
        if file_id:
            return file_part(file_id, "document")
        return uri_or_blob(field(file, "file_data") or field(file, "file_url"), "document", None)
    return generic_part(str(kind or "unknown"))


def chat_input_messages(messages: Any) -> list[InputMessage] | None:
    """Chat Completions ``messages`` as semconv input messages (system messages stay in the list)."""
    if not messages:
        return None
    result = []
    for message in messages:
        role = field(message, "role") or "user"
        parts: list[Part]
        if role == "tool":
            parts = [
                tool_call_response_part(
                    field(message, "tool_call_id"), _tool_response(field(message, "content"))
                )
            ]
        else:
            parts = _content_parts(field(message, "content"))
            for call in field(message, "tool_calls") or ():
                request = chat_tool_call(call) if not isinstance(call, dict) else _tool_call_from_dict(call)
                parts.append(tool_call_part(request.id, request.name, request.arguments))
        name = field(message, "name")
        result.append(input_message(role, parts, name if isinstance(name, str) else None))
    return result


def _tool_call_from_dict(call: dict[str, Any]) -> ToolCallRequest:
    function = call.get("function") or call.get("custom") or {}
    return ToolCallRequest(
        call.get("id"), function.get("name"), function.get("arguments", function.get("input"))
    )


def _tool_response(content: Any) -> Any:
    if isinstance(content, str) or content is None:
        return content
    parts: list[Mapping[str, Any]] = list(_content_parts(content))
    return " ".join(part.get("content", "") for part in parts if part.get("type") == "text")


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


# --- responses ----------------------------------------------------------------------------------


class _ResponsesReader(_Reader):
    api_type = "responses"

    def build(self, instance: Any, kwargs: dict[str, Any]) -> Inference:
        record = self._inference(instance, kwargs.get("model"))
        sdk = self.sdk
        get = kwargs.get
        record.temperature = double(get("temperature"))
        record.top_p = double(get("top_p"))
        record.max_tokens = number(get("max_output_tokens"))
        record.stream = sdk.given(get("stream")) is True
        record.previous_response_id = string(get("previous_response_id"))
        conversation = sdk.given(get("conversation"))
        record.conversation_id = (
            conversation if isinstance(conversation, str) else string(field(conversation, "id"))
        )
        reasoning = sdk.given(get("reasoning"))
        if reasoning is not None:
            record.reasoning_level = string(field(reasoning, "effort"))
        text = sdk.given(get("text"))
        if text is not None:
            record.output_type = _output_type(sdk, field(text, "format"))
            record.output_schema = _output_schema(field(text, "format"))
        text_format = sdk.given(get("text_format"))
        if text_format is not None:  # parse(text_format=PydanticModel)
            record.output_type = "json"
            record.output_schema = text_format
        _service_tier(record, get("service_tier"))
        # fingerprint sources: ``instructions`` and the system / developer messages of ``input`` (found later)
        instructions = sdk.given(get("instructions"))
        items = sdk.given(get("input"))
        if isinstance(items, (list, tuple)) and items:
            record.instructions = partial(_responses_instructions, instructions, items)
        else:
            record.instructions = instructions
        record.tool_schemas = sdk.given(get("tools"))
        return record

    def capture_request(self, record: Inference, kwargs: dict[str, Any]) -> None:
        given = self.sdk.given
        instructions = given(kwargs.get("instructions"))
        if isinstance(instructions, str) and instructions:
            record.system_instructions = [text_part(instructions)]
        record.input_messages = responses_input_messages(given(kwargs.get("input")))
        record.tool_definitions = tool_definitions(
            given(kwargs.get("tools")), self.handler.tool_definition_details
        )

    def read(self, record: Inference, response: Any) -> None:
        record.response_id = getattr(response, "id", None)
        record.response_model = getattr(response, "model", None)
        read_response_meta(record, response)
        usage = getattr(response, "usage", None)
        if usage is not None:
            record.input_tokens = getattr(usage, "input_tokens", None)
            record.output_tokens = getattr(usage, "output_tokens", None)
            _reported_cost(record, usage)
            # a dict where the SDK predates the field (openai 1.66.0 declares no input_tokens_details)
            input_details = getattr(usage, "input_tokens_details", None)
            if input_details is not None:
                record.cache_read_input_tokens = field(input_details, "cached_tokens")
                record.cache_write_input_tokens = field(input_details, "cache_write_tokens")
            output_details = getattr(usage, "output_tokens_details", None)
            if output_details is not None:
                record.reasoning_output_tokens = field(output_details, "reasoning_tokens")
        parts: list[Part] = []
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
                    parts.append(tool_call_part(call.id, call.name, call.arguments))
            elif capture and kind == "message":
                parts.extend(_content_parts(getattr(item, "content", None)))
            elif capture and kind == "reasoning":
                # dicts where the SDK predates ``summary`` (openai 1.66.0 declared ``content`` instead)
                for summary in getattr(item, "summary", None) or ():
                    parts.append(reasoning_part(field(summary, "text") or ""))
            elif capture and kind:
                parts.append(server_tool_call_part(getattr(item, "id", None), kind))
        status = getattr(response, "status", None)
        reason = _responses_finish_reason(response, status, bool(tool_calls))
        record.finish_reasons = [reason]
        if tool_calls:
            record.tool_calls = tool_calls
        if status == "failed":
            error = getattr(response, "error", None)
            record.error_type = _text(getattr(error, "code", None)) or "failed"
        if capture:
            record.output_messages = [output_message(parts, reason)]

    def accumulator(self, record: Inference) -> StreamAccumulator:
        return _ResponsesStreamAccumulator(self.handler, record, self)


def _responses_instructions(instructions: Any, items: Iterable[Any]) -> list[Any]:
    return [instructions, *system_messages(items)]


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
            self.record.error_type = _text(getattr(event, "code", None)) or "error"
        elif kind is None and extra_field(event, "event") == "error":
            # openai 1.90 and before yield an ``error`` event untyped: {"event": "error", "data": {...}}
            self.record.error_type = _text(field(extra_field(event, "data"), "code")) or "error"

    def on_end(self) -> None:
        if self.final is not None:
            self.reader.read(self.record, self.final)
        elif self.started is not None:
            self.record.response_id = getattr(self.started, "id", None)
            self.record.response_model = getattr(self.started, "model", None)


def responses_input_messages(items: Any) -> list[InputMessage] | None:
    """Responses ``input`` (a string or a list of items) as semconv input messages."""
    if items is None:
        return None
    if isinstance(items, str):
        return [input_message("user", [text_part(items)])]
    messages: list[InputMessage] = []
    for item in items:
        kind = field(item, "type")
        role = field(item, "role")
        if kind == "function_call_output" or kind == "custom_tool_call_output":
            response = _tool_response(field(item, "output"))
            messages.append(
                input_message("tool", [tool_call_response_part(field(item, "call_id"), response)])
            )
        elif kind == "function_call" or kind == "custom_tool_call":
            arguments = field(item, "arguments") or field(item, "input")
            part = tool_call_part(field(item, "call_id"), field(item, "name"), arguments)
            messages.append(input_message("assistant", [part]))
        elif role is not None:
            messages.append(input_message(role, _content_parts(field(item, "content"))))
        elif kind is not None:
            messages.append(input_message("assistant", [generic_part(str(kind))]))
    return messages


# --- embeddings ---------------------------------------------------------------------------------


class EmbeddingsReader(_Reader):
    def build(self, instance: Any, kwargs: dict[str, Any]) -> Embedding:
        provider, address, port = self.endpoint_of(instance)
        record = Embedding(
            operation=sc.OPERATION_EMBEDDINGS,
            provider=provider,
            request_model=string(kwargs.get("model")),
            server_address=address,
            server_port=port,
        )
        encoding = string(kwargs.get("encoding_format"))
        if encoding:
            record.encoding_formats = [encoding]
        record.dimension_count = number(kwargs.get("dimensions"))
        return record

    def read(self, record: Embedding, response: Any) -> None:
        record.response_model = getattr(response, "model", None)
        usage = getattr(response, "usage", None)
        if usage is not None:
            record.input_tokens = getattr(usage, "prompt_tokens", None)
            _reported_cost(record, usage)
        if record.dimension_count is None:
            data = getattr(response, "data", None)
            if data:
                vector = getattr(data[0], "embedding", None)
                if isinstance(vector, list):
                    record.dimension_count = len(vector)
                elif isinstance(vector, str):  # encoding_format="base64": little-endian float32s
                    record.dimension_count = len(vector) * 3 // 4 // 4  # padding is under 4 bytes


# --- legacy completions -------------------------------------------------------------------------


class _CompletionsReader(_Reader):
    """``completions.create``: a prompt in, text out (``text_completion``). OpenAI keeps it for its
    instruct models; vLLM, TGI and most local servers are called this way."""

    def build(self, instance: Any, kwargs: dict[str, Any]) -> Inference:
        record = self._inference(instance, kwargs.get("model"))
        record.operation = sc.OPERATION_TEXT_COMPLETION
        get = kwargs.get
        read_sampling(record, get)
        record.stream = self.sdk.given(get("stream")) is True
        return record  # no system instructions, no tools: nothing to fingerprint

    def capture_request(self, record: Inference, kwargs: dict[str, Any]) -> None:
        record.input_messages = completion_prompts(self.sdk.given(kwargs.get("prompt")))

    def read(self, record: Inference, response: Any) -> None:
        record.response_id = getattr(response, "id", None)
        record.response_model = getattr(response, "model", None)
        read_response_meta(record, response)
        read_chat_usage(record, getattr(response, "usage", None))
        choices = getattr(response, "choices", None) or ()
        _servers.recognize(record, response, choices)
        record.finish_reasons = [getattr(c, "finish_reason", None) or "error" for c in choices]
        if self.handler.wants_content(record):
            record.output_messages = [
                _completion_output(getattr(c, "text", None), getattr(c, "finish_reason", None))
                for c in choices
            ]

    def accumulator(self, record: Inference) -> StreamAccumulator:
        return _CompletionStreamAccumulator(self.handler, record)


def completion_prompts(prompt: Any) -> list[InputMessage] | None:
    """A legacy ``prompt`` as user messages: a string, or one message per string of a batch. Token-id
    prompts (lists of ints) carry no text we could show: a generic part says what they were."""
    if prompt is None:
        return None
    if isinstance(prompt, str):
        return [input_message("user", [text_part(prompt)])]
    if isinstance(prompt, (list, tuple)):
        if prompt and all(isinstance(item, str) for item in prompt):
            return [input_message("user", [text_part(item)]) for item in prompt]
        return [input_message("user", [generic_part("token_ids")])]
    return None


def _completion_output(text: Any, finish_reason: Any) -> OutputMessage:
    parts: list[Part] = [text_part(text)] if isinstance(text, str) and text else []
    return output_message(parts, semconv_finish_reason(finish_reason))


class _CompletionStreamAccumulator(StreamAccumulator):
    """Assembles legacy ``Completion`` chunks: text per choice index, finish reasons, usage (last chunk,
    with ``stream_options.include_usage``)."""

    __slots__ = ("capture", "finish_reasons", "first", "last_finished", "texts", "usage")

    def __init__(self, handler: TelemetryHandler, record: Inference) -> None:
        super().__init__(handler, record)
        self.capture = handler.wants_content(record)
        self.texts: dict[int, list[str]] = {}
        self.finish_reasons: dict[int, str | None] = {}
        self.first: Any = None
        self.usage: Any = None
        self.last_finished: Any = None

    def on_chunk(self, chunk: Any) -> None:
        if self.first is None and getattr(chunk, "id", None):
            self.first = chunk
        usage = getattr(chunk, "usage", None)
        if usage is not None:
            self.usage = usage
        for choice in getattr(chunk, "choices", None) or ():
            index = getattr(choice, "index", 0) or 0
            if index not in self.finish_reasons:
                self.finish_reasons[index] = None
                self.texts[index] = []
            if self.capture and choice.text:
                self.texts[index].append(choice.text)
            if choice.finish_reason:
                self.finish_reasons[index] = choice.finish_reason
                self.last_finished = choice

    def on_end(self) -> None:
        record = self.record
        first = self.first
        if first is not None:
            record.response_id = getattr(first, "id", None)
            record.response_model = getattr(first, "model", None)
            read_response_meta(record, first)
            _servers.recognize(record, first, (self.last_finished,) if self.last_finished else ())
        read_chat_usage(record, self.usage)
        if not self.finish_reasons:
            return
        indexes = sorted(self.finish_reasons)
        record.finish_reasons = [self.finish_reasons[i] or "error" for i in indexes]
        if self.capture:
            record.output_messages = [
                _completion_output("".join(self.texts[i]), self.finish_reasons[i]) for i in indexes
            ]
