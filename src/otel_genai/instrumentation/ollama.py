"""Ollama (the ``ollama`` client, 0.4 on): ``chat``, ``generate``, ``embed`` and the older ``embeddings``
of ``Client`` and ``AsyncClient``, plain and ``stream=True``, and the module's own functions
(``ollama.chat(...)``, bound to a default client when the package is imported).

What is read, and why:

- ``chat`` is the ``chat`` operation, ``generate`` (a prompt in, text out) ``text_completion``, ``embed`` and
  ``embeddings`` ``embeddings``; provider ``ollama``; ``server.*`` from the client's host (the SDK's
  default is ``127.0.0.1:11434``).
- ``options`` carry the sampling parameters (``num_predict`` is the token limit); ``format`` (``"json"``
  or a JSON schema) asks for JSON; ``think`` as a level (``"high"``) is the reasoning level.
- A response has no id; its ``done_reason`` is the finish reason, ``prompt_eval_count`` /
  ``eval_count`` the usage (only when the server sends them: it leaves the prompt count out when the
  whole prompt was cached), and the server's timings go on ``ollama.response.*`` (seconds).
- Tool calls carry no id in Ollama's API: none is made up (a release that declares one is read).
- ``stream=True`` returns a plain generator (an async generator on ``AsyncClient``) whose first step sends
  the request: the application gets it proxied, that first step runs with the call's span current (so
  the HTTP request nests under it), and the span ends once, when the stream is consumed, closed, fails
  or is collected.
- A ``ResponseError``'s ``error.type`` is its HTTP status code; one sent inside a stream has none (the
  exception's type then); its text is content, like every error message.
"""

from __future__ import annotations

import base64
import contextlib
import logging
import os
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping
from functools import partial
from pathlib import PurePath
from typing import Any
from weakref import WeakKeyDictionary

from opentelemetry import context as otel_context

from otel_genai import semconv as sc
from otel_genai.instrumentation._base import CallReader, Instrumentor, Target
from otel_genai.instrumentation._servers import DEFAULT_PORTS
from otel_genai.instrumentation._stainless import double, field, number, string, strings, tool_definitions
from otel_genai.llmops.fingerprint import system_messages
from otel_genai.telemetry.content import (
    InputMessage,
    OutputMessage,
    Part,
    blob_part,
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
from otel_genai.telemetry.records import Embedding, Inference, Invocation, ToolCallRequest
from otel_genai.telemetry.streams import AsyncGeneratorProxy, StreamAccumulator, SyncStreamProxy, span_context

logger = logging.getLogger("otel_genai")

_CLIENT_MODULE = "ollama._client"
# method -> reader kind; each on Client, AsyncClient and (sync) as the package's own function
_METHODS = (("chat", "chat"), ("generate", "generate"), ("embed", "embed"), ("embeddings", "embeddings"))
# the server's timings (nanoseconds) -> our attributes (seconds)
_DURATIONS = (
    ("load_duration", sc.OLLAMA_RESPONSE_LOAD_DURATION),
    ("prompt_eval_duration", sc.OLLAMA_RESPONSE_PROMPT_EVAL_DURATION),
    ("eval_duration", sc.OLLAMA_RESPONSE_EVAL_DURATION),
)
# the first base64 characters of the image formats Ollama's vision models take
_IMAGE_SIGNATURES = (("iVBORw0KGgo", "image/png"), ("/9j/", "image/jpeg"), ("R0lGOD", "image/gif"))
_IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".webp", ".gif")


class OllamaInstrumentor(Instrumentor):
    """Instruments the ``ollama`` package."""

    name = "ollama"

    def targets(self, handler: TelemetryHandler, kwargs: Mapping[str, Any]) -> Iterable[Target]:
        import ollama

        response_error: type[BaseException] = ollama.ResponseError
        readers: dict[str, CallReader] = {
            "chat": _ChatReader(handler, response_error),
            "generate": _GenerateReader(handler, response_error),
            "embed": _EmbedReader(handler, response_error),
            "embeddings": _EmbedReader(handler, response_error),
        }
        targets: list[Target] = []
        for method, kind in _METHODS:
            targets.append((_CLIENT_MODULE, "Client", method, readers[kind]))
            targets.append((_CLIENT_MODULE, "AsyncClient", method, readers[kind]))
            # ``ollama.chat`` is the default client's bound method, taken before any class was wrapped
            targets.append(("ollama", None, method, readers[kind]))
        return targets

    def forget(self) -> None:
        _ENDPOINTS.clear()


# --- the client -----------------------------------------------------------------------------------

# client -> (the httpx base URL it was read from, server.address, server.port)
_ENDPOINTS: WeakKeyDictionary[Any, tuple[Any, str | None, int | None]] = WeakKeyDictionary()


def _endpoint(client: Any) -> tuple[str | None, int | None]:
    """``server.address`` / ``server.port`` of an ollama client (its httpx client's base URL), cached."""
    base_url = getattr(getattr(client, "_client", None), "base_url", None)
    if base_url is None:
        return None, None
    cached = _ENDPOINTS.get(client)
    if cached is not None and cached[0] is base_url:
        return cached[1], cached[2]
    host = getattr(base_url, "host", None) or None
    # httpx leaves a scheme's default port out of ``port``
    port = getattr(base_url, "port", None) or DEFAULT_PORTS.get(getattr(base_url, "scheme", ""))
    with contextlib.suppress(TypeError):  # a client that cannot be weakly referenced is not cached
        _ENDPOINTS[client] = (base_url, host, port)
    return host, port


class _Reader(CallReader):
    """What every ollama call shares: where it goes, and what its ``ResponseError`` says."""

    operation: str

    def __init__(self, handler: TelemetryHandler, response_error: type[BaseException]) -> None:
        super().__init__(handler)
        self.response_error = response_error

    def on_error(self, record: Invocation, error: BaseException) -> None:
        record.error_type = _error_type(error, self.response_error)


class _InferenceReader(_Reader):
    """``chat`` and ``generate``: a response, or with ``stream=True`` a generator of chunks."""

    def _inference(self, instance: Any, kwargs: dict[str, Any]) -> Inference:
        address, port = _endpoint(instance)
        record = Inference(
            operation=self.operation,
            provider=sc.PROVIDER_OLLAMA,
            request_model=string(kwargs.get("model")),
            server_address=address,
            server_port=port,
        )
        record.stream = kwargs.get("stream") is True
        _read_options(record, kwargs.get("options"))
        record.output_type = _output_type(kwargs.get("format"))
        record.reasoning_level = string(kwargs.get("think"))  # a level; True / False name none
        return record

    def on_result(self, record: Inference, result: Any) -> Any:
        if record.stream:
            if hasattr(result, "__anext__"):
                accumulator = self.accumulator(record)
                return AsyncGeneratorProxy(_first_step_async(span_context(record), result), accumulator)
            if hasattr(result, "__next__"):
                return SyncStreamProxy(_first_step(span_context(record), result), self.accumulator(record))
        return super().on_result(record, result)

    def read(self, record: Inference, response: Any) -> None:
        raise NotImplementedError

    def accumulator(self, record: Inference) -> StreamAccumulator:
        raise NotImplementedError


def _error_type(error: BaseException, response_error: type[BaseException]) -> str | None:
    """A ``ResponseError``'s HTTP status code (``"404"``); None otherwise (the exception's type then)."""
    if isinstance(error, response_error):
        code = getattr(error, "status_code", None)
        if isinstance(code, int) and code > 0:  # -1: an error the server sent inside a stream
            return str(code)
    return None


# ``options`` key -> (record field, reader): the sampling parameters the conventions name
_OPTIONS: dict[str, tuple[str, Callable[[Any], Any]]] = {
    "temperature": ("temperature", double),
    "top_p": ("top_p", double),
    "top_k": ("top_k", number),
    "num_predict": ("max_tokens", number),
    "seed": ("seed", number),
    "stop": ("stop_sequences", strings),
    "frequency_penalty": ("frequency_penalty", double),
    "presence_penalty": ("presence_penalty", double),
}


def _read_options(record: Inference, options: Any) -> None:
    """``options`` (a dict: only the keys it has are looked at; or the SDK's ``Options``) onto the record."""
    if options is None:
        return
    if isinstance(options, dict):
        items: Iterable[tuple[str, Any]] = options.items()
    else:
        items = ((key, getattr(options, key, None)) for key in _OPTIONS)
    for key, value in items:
        target = _OPTIONS.get(key)
        if target is not None and value is not None:
            setattr(record, target[0], target[1](value))


def _output_type(value: Any) -> str | None:
    """``format="json"`` or a JSON schema asks for JSON; ``""`` / None for nothing in particular."""
    if value is None:
        return None
    if value == "json" or isinstance(value, Mapping):
        return "json"
    return None


def _read_common(record: Inference | Embedding, response: Any) -> None:
    """Model, usage and the server's timings: fields every ollama response has (the final chunk's in a
    stream)."""
    record.response_model = string(getattr(response, "model", None))
    record.input_tokens = number(getattr(response, "prompt_eval_count", None))
    if isinstance(record, Inference):
        record.output_tokens = number(getattr(response, "eval_count", None))
    for name, attribute in _DURATIONS:
        nanoseconds = number(getattr(response, name, None))
        if nanoseconds is not None:
            record.response_attributes[attribute] = nanoseconds / 1e9


def _finish(
    record: Inference, done_reason: Any, calls: list[ToolCallRequest], parts: list[Part] | None
) -> None:
    """The finish reason (the conventions' ``error`` when the server sent none), tool calls, the output."""
    reason = string(done_reason)
    record.finish_reasons = [reason or "error"]
    if calls:
        record.tool_calls = calls
    if parts is not None:
        record.output_messages = [_output(parts, reason, bool(calls))]


def _output(parts: list[Part], reason: str | None, calls_tools: bool) -> OutputMessage:
    """Ollama ends a turn that calls tools with ``stop``: to the schema, that turn asks for tools."""
    if calls_tools and reason in (None, "stop"):
        return output_message(parts, "tool_call")
    return output_message(parts, semconv_finish_reason(reason))


# --- chat -----------------------------------------------------------------------------------------


class _ChatReader(_InferenceReader):
    operation = sc.OPERATION_CHAT

    def build(self, instance: Any, kwargs: dict[str, Any]) -> Inference:
        record = self._inference(instance, kwargs)
        # fingerprint sources, whatever the capture mode: references, read as the span ends
        messages = kwargs.get("messages")
        if isinstance(messages, (list, tuple)) and messages:
            record.instructions = partial(system_messages, messages)
        tools = kwargs.get("tools")
        if isinstance(tools, (list, tuple)) and tools:
            record.tool_schemas = tools
        return record

    def capture_request(self, record: Inference, kwargs: dict[str, Any]) -> None:
        messages = kwargs.get("messages")
        if isinstance(messages, (list, tuple)):  # never a one-shot iterator the SDK still has to read
            record.input_messages = chat_input_messages(messages)
        tools = kwargs.get("tools")
        if isinstance(tools, (list, tuple)) and tools:
            details = self.handler.tool_definition_details
            record.tool_definitions = tool_definitions([_tool_spec(tool, details) for tool in tools], details)

    def read(self, record: Inference, response: Any) -> None:
        _read_common(record, response)
        message = getattr(response, "message", None)
        calls = [_tool_call(call) for call in field(message, "tool_calls") or ()]
        parts = None
        if self.handler.wants_content(record):
            parts = _message_parts(
                string(field(message, "thinking")), string(field(message, "content")), message
            )
        _finish(record, getattr(response, "done_reason", None), calls, parts)

    def accumulator(self, record: Inference) -> StreamAccumulator:
        return _ChatStream(self.handler, record, self.response_error)


def _tool_call(call: Any) -> ToolCallRequest:
    """A ``message.tool_calls`` item: its function's name (and an id, only if a release sends one)."""
    return ToolCallRequest(string(field(call, "id")), string(field(field(call, "function"), "name")))


def _tool_call_parts(calls: Any) -> list[Part]:
    parts: list[Part] = []
    for call in calls or ():
        function = field(call, "function")
        arguments = field(function, "arguments")
        parts.append(
            tool_call_part(
                string(field(call, "id")),
                string(field(function, "name")),
                dict(arguments) if isinstance(arguments, Mapping) else arguments,
            )
        )
    return parts


def _message_parts(thinking: str | None, content: str | None, message: Any) -> list[Part]:
    """A message as parts: its thinking, its text, its images, its tool calls."""
    parts: list[Part] = []
    if thinking:
        parts.append(reasoning_part(thinking))
    if content:
        parts.append(text_part(content))
    parts.extend(_image_part(image) for image in field(message, "images") or ())
    parts.extend(_tool_call_parts(field(message, "tool_calls")))
    return parts


def chat_input_messages(messages: Iterable[Any]) -> list[InputMessage]:
    """``messages`` (dicts or the SDK's ``Message``) as semconv input messages; a tool's result is a
    ``tool_call_response`` (no id: Ollama's calls have none) from the message named by its tool."""
    result: list[InputMessage] = []
    for message in messages:
        role = string(field(message, "role")) or "user"
        content = field(message, "content")
        if role == "tool":
            part = tool_call_response_part(string(field(message, "tool_call_id")), content)
            result.append(input_message(role, [part], string(field(message, "tool_name"))))
            continue
        parts = _message_parts(string(field(message, "thinking")), string(content), message)
        result.append(input_message(role, parts))
    return result


def _tool_spec(tool: Any, details: bool) -> Any:
    """A ``tools`` item as ``tool_definitions`` reads it: a Python function by its name (with details, as
    the SDK converts it for the request); with details, a ``Tool`` model dumped, so that its nested schema
    models become JSON (without, ``field`` reads its name as it is)."""
    if callable(tool):  # neither a dict nor a pydantic model is
        if not details:
            return {"type": "function", "function": {"name": getattr(tool, "__name__", None)}}
        from ollama._utils import convert_function_to_tool

        tool = convert_function_to_tool(tool)
    dump = getattr(tool, "model_dump", None)
    if details and callable(dump):  # the schema's nested models as JSON (``field`` reads the rest)
        return dump(exclude_none=True, by_alias=True)
    return tool


class _Stream(StreamAccumulator):
    """What a stream of ollama responses shares: each chunk names the model, the last (``done``) carries
    the finish reason, the counts and the timings; text and thinking arrive in pieces, kept only when
    content is captured and joined once at the end."""

    __slots__ = ("capture", "chunks", "final", "model", "response_error", "text", "thinking")

    def __init__(
        self, handler: TelemetryHandler, record: Inference, response_error: type[BaseException]
    ) -> None:
        super().__init__(handler, record)
        self.response_error = response_error
        self.capture = handler.wants_content(record)
        self.chunks = 0
        self.model: Any = None
        self.final: Any = None
        self.text: list[str] = []
        self.thinking: list[str] = []

    def on_chunk(self, chunk: Any) -> None:
        self.chunks += 1
        if self.model is None:
            self.model = chunk.model
        if chunk.done:
            self.final = chunk

    def on_end(self) -> None:
        record = self.record
        if self.final is not None:
            _read_common(record, self.final)
        elif isinstance(self.model, str):
            record.response_model = self.model
        if self.chunks:  # a stream closed before its first chunk taught nothing more
            self.summarise(getattr(self.final, "done_reason", None))

    def summarise(self, done_reason: Any) -> None:
        """Finish reason, tool calls and output (subclass)."""

    def on_error(self, error: BaseException) -> None:
        self.record.error_type = _error_type(error, self.response_error)


class _ChatStream(_Stream):
    """``ChatResponse`` chunks: ``message`` pieces, and tool calls (each whole, in one chunk)."""

    __slots__ = ("calls",)

    def __init__(
        self, handler: TelemetryHandler, record: Inference, response_error: type[BaseException]
    ) -> None:
        super().__init__(handler, record, response_error)
        self.calls: list[Any] = []

    def on_chunk(self, chunk: Any) -> None:
        super().on_chunk(chunk)
        message = chunk.message
        if message is None:
            return
        calls = message.tool_calls
        if calls:
            self.calls.extend(calls)
        if self.capture:
            if message.content:
                self.text.append(message.content)
            thinking = getattr(message, "thinking", None)  # 0.5 on
            if thinking:
                self.thinking.append(thinking)

    def summarise(self, done_reason: Any) -> None:
        parts = None
        if self.capture:
            parts = _message_parts("".join(self.thinking), "".join(self.text), None)
            parts.extend(_tool_call_parts(self.calls))
        _finish(self.record, done_reason, [_tool_call(call) for call in self.calls], parts)


# --- generate -------------------------------------------------------------------------------------


class _GenerateReader(_InferenceReader):
    operation = sc.OPERATION_TEXT_COMPLETION

    def build(self, instance: Any, kwargs: dict[str, Any]) -> Inference:
        record = self._inference(instance, kwargs)
        record.instructions = string(kwargs.get("system"))  # fingerprinted as the span ends
        return record

    def capture_request(self, record: Inference, kwargs: dict[str, Any]) -> None:
        system = string(kwargs.get("system"))
        if system:
            record.system_instructions = [text_part(system)]
        # a fill-in-the-middle request's suffix is the text after the gap: a second text part
        parts: list[Part] = [
            text_part(text)
            for text in (kwargs.get("prompt"), kwargs.get("suffix"))
            if isinstance(text, str) and text
        ]
        images = kwargs.get("images")
        if isinstance(images, (list, tuple)):
            parts.extend(_image_part(image) for image in images)
        if parts:
            record.input_messages = [input_message("user", parts)]

    def read(self, record: Inference, response: Any) -> None:
        _read_common(record, response)
        parts = None
        if self.handler.wants_content(record):
            parts = _generated_parts(
                string(getattr(response, "thinking", None)),
                string(getattr(response, "response", None)),
                getattr(response, "image", None),
            )
        _finish(record, getattr(response, "done_reason", None), [], parts)

    def accumulator(self, record: Inference) -> StreamAccumulator:
        return _GenerateStream(self.handler, record, self.response_error)


def _generated_parts(thinking: str | None, text: str | None, image: Any) -> list[Part]:
    parts: list[Part] = []
    if thinking:
        parts.append(reasoning_part(thinking))
    if text:
        parts.append(text_part(text))
    if isinstance(image, str) and image:  # image generation models (experimental): base64
        parts.append(blob_part(image, "image", _image_type(image)))
    return parts


class _GenerateStream(_Stream):
    """``GenerateResponse`` chunks: ``response`` pieces (and a generated image, for image models)."""

    __slots__ = ("image",)

    def __init__(
        self, handler: TelemetryHandler, record: Inference, response_error: type[BaseException]
    ) -> None:
        super().__init__(handler, record, response_error)
        self.image: Any = None

    def on_chunk(self, chunk: Any) -> None:
        super().on_chunk(chunk)
        if self.capture:
            if chunk.response:
                self.text.append(chunk.response)
            thinking = getattr(chunk, "thinking", None)  # 0.5 on
            if thinking:
                self.thinking.append(thinking)
            image = getattr(chunk, "image", None)  # 0.6.2 on
            if image:
                self.image = image

    def summarise(self, done_reason: Any) -> None:
        parts = None
        if self.capture:
            parts = _generated_parts("".join(self.thinking), "".join(self.text), self.image)
        _finish(self.record, done_reason, [], parts)


# --- embeddings -----------------------------------------------------------------------------------


class _EmbedReader(_Reader):
    """``embed`` (``embeddings``: a list of vectors, the model and the prompt count) and the older
    ``embeddings`` (``embedding``: one vector, nothing else)."""

    operation = sc.OPERATION_EMBEDDINGS

    def build(self, instance: Any, kwargs: dict[str, Any]) -> Embedding:
        address, port = _endpoint(instance)
        record = Embedding(
            operation=self.operation,
            provider=sc.PROVIDER_OLLAMA,
            request_model=string(kwargs.get("model")),
            server_address=address,
            server_port=port,
        )
        record.dimension_count = number(kwargs.get("dimensions"))
        return record

    def read(self, record: Embedding, result: Any) -> None:
        _read_common(record, result)
        if record.dimension_count is None:
            vectors = getattr(result, "embeddings", None)
            vector = vectors[0] if vectors else getattr(result, "embedding", None)
            if vector is not None:
                record.dimension_count = len(vector)


# --- images ---------------------------------------------------------------------------------------


def _image_part(image: Any) -> Part:
    """An image as the application passed it (the SDK's ``Image``, bytes, base64 text, or a file's path):
    inline data as a blob part, a file as a ``file://`` URI (never read here)."""
    value = getattr(image, "value", image)  # ``ollama.Image`` holds what it was given
    if isinstance(value, (bytes, bytearray)):
        data = base64.b64encode(value).decode()
        return blob_part(data, "image", _image_type(data))
    if isinstance(value, str) and not _is_path(value):
        return blob_part(value, "image", _image_type(value))
    try:
        return uri_part(PurePath(os.path.abspath(value)).as_uri(), "image")
    except (TypeError, ValueError):
        return uri_part(str(value), "image")


def _is_path(value: str) -> bool:
    """What the SDK would read as a file: a name with an image extension, or a file that exists."""
    if len(value) > 4096:
        return False
    return value.lower().endswith(_IMAGE_EXTENSIONS) or os.path.isfile(value)


def _image_type(data: str) -> str | None:
    """The image's MIME type by the first characters of its base64 text, when it is a common one."""
    for prefix, mime_type in _IMAGE_SIGNATURES:
        if data.startswith(prefix):
            return mime_type
    if data.startswith("UklGR") and data[8:12] == "V0VC":  # RIFF....WEBP
        return "image/webp"
    return None


# --- streams --------------------------------------------------------------------------------------


def _first_step(context: Any, stream: Iterator[Any]) -> Iterator[Any]:
    """The SDK's generator, whose first step sends the request: that step runs inside ``context``."""
    token = otel_context.attach(context) if context is not None else None
    try:
        first = next(stream)
    except StopIteration:
        return
    finally:
        if token is not None:
            otel_context.detach(token)
    yield first
    yield from stream  # close() reaches the SDK's generator (its HTTP response is closed)


async def _first_step_async(context: Any, stream: AsyncIterator[Any]) -> AsyncIterator[Any]:
    """``_first_step`` for the async generator of ``AsyncClient``."""
    token = otel_context.attach(context) if context is not None else None
    try:
        first = await stream.__anext__()
    except StopAsyncIteration:
        return
    finally:
        if token is not None:
            otel_context.detach(token)
    try:
        yield first
        async for item in stream:
            yield item
    finally:
        aclose = getattr(stream, "aclose", None)
        if aclose is not None:
            await aclose()
