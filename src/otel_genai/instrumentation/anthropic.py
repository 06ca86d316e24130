"""Anthropic: ``messages.create`` (plain and ``stream=True``), the ``messages.stream(...)`` manager and
``messages.parse``, and their ``beta.messages`` twins, sync and async, on anthropic 0.43 through 2.x (1.0
on talks through ``httpx2``). The Bedrock and Vertex clients of the same SDK share these resources and are
named by their provider.

The SDK's own tracing (2.x: one CLIENT span per API call, opened by ``_base_client.start_api_call_span``
whenever a tracer provider is reachable) is handed our span for a call we trace (``NativeSpan``): one span
per call, ours, through our provider and redaction, whatever the SDK's ``open_telemetry`` option says. The
SDK is told there is no span (``_SdkSpanBypass``), so it skips its span path, and what that path gave
our span and the request is done here at the same moments: its ``url.*`` facts, and our span's trace
context in each request's headers once the client signed it (``httpx2`` send), as its ``propagation``
option says. A call with a trace header preset, or an SDK without the helpers this uses, is lent our span
instead: the SDK then sends its context, is told the span does not record (so it does not read the
response and the stream a second time), and writes at most its HTTP facts, never the conventions' names
nor content.

This module only reads requests and responses into records; names and emission live in
``otel_genai.telemetry``. Fields are read with ``getattr`` / ``field`` defaults: the SDK's types change
between releases, and messages sent back to the model may be dicts or the SDK's own models.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Generator, Iterable, Mapping
from contextlib import AbstractContextManager
from typing import Any

from opentelemetry import trace

from otel_genai import semconv as sc
from otel_genai.instrumentation._base import (
    Instrumentor,
    Target,
    call_arguments,
    traced_async_call,
    traced_call,
)
from otel_genai.instrumentation._native_span import NativeSpan, lend_span_keeping
from otel_genai.instrumentation._stainless import (
    StainlessReader,
    StainlessSDK,
    content_parts,
    double,
    field,
    number,
    string,
    strings,
    tool_definitions,
)
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
    server_tool_call_part,
    server_tool_call_response_part,
    text_part,
    tool_call_part,
    tool_call_response_part,
    uri_part,
)
from otel_genai.telemetry.handler import TelemetryHandler
from otel_genai.telemetry.records import Inference, ToolCallRequest
from otel_genai.telemetry.streams import AsyncStreamProxy, StreamAccumulator, SyncStreamProxy

logger = logging.getLogger("otel_genai")

# (module, class) of the resources whose create / parse / stream we wrap; the beta twin is missing nowhere
# we support, but a release without one is skipped like any missing target.
_RESOURCES = (
    ("anthropic.resources.messages", "Messages"),
    ("anthropic.resources.messages", "AsyncMessages"),
    ("anthropic.resources.beta.messages", "Messages"),
    ("anthropic.resources.beta.messages", "AsyncMessages"),
)
# What ``with_raw_response`` returns: ``APIResponse`` in 2.x, ``LegacyAPIResponse`` before.
_RAW_RESPONSES = ("anthropic._response:APIResponse", "anthropic._legacy_response:LegacyAPIResponse")
_BEDROCK_HOST = ".amazonaws.com"
_VERTEX_HOST = "aiplatform.googleapis.com"
# The SDK's own span name for the calls we trace (``FinalRequestOptions.span_name``).
_SDK_SPAN_NAME = "anthropic.messages.create"
# What the SDK's own tracing may add to our span: its HTTP facts (``url.*``) and ``anthropic.*`` ids. Never
# the conventions' names (ours, read our way) nor content (``gen_ai.*``, ``anthropic.content.*``, tool
# results), whatever the SDK's content mode says.
_SDK_ATTRIBUTE_PREFIXES = ("http.", "url.", "anthropic.")
_SDK_CONTENT_PREFIXES = ("anthropic.content", "anthropic.tool_result")


class AnthropicInstrumentor(Instrumentor):
    """Instruments the ``anthropic`` package (``Anthropic``, ``AnthropicBedrock``, ``AnthropicVertex``...)."""

    name = "anthropic"

    def targets(self, handler: TelemetryHandler, kwargs: Mapping[str, Any]) -> Iterable[Target]:
        sdk = StainlessSDK.load("anthropic", provider=_provider, raw_responses=_RAW_RESPONSES)
        import anthropic

        reader = _MessagesReader(handler, sdk, getattr(anthropic, "APIStatusError", None))
        managers = _StreamManagers(reader)
        targets: list[Target] = []
        for module, cls in _RESOURCES:
            is_async = cls.startswith("Async")  # the SDK's argument checks hide that create is a coroutine
            wrapper = reader.async_wrapper if is_async else reader.sync_wrapper
            targets.append((module, cls, "create", wrapper))
            targets.append((module, cls, "parse", wrapper))
            targets.append((module, cls, "stream", managers.async_wrapper if is_async else managers.wrapper))
        targets.append(_SDK_SPAN.target())  # anthropic 2.x only: earlier releases do not trace themselves
        targets.extend(_sdk_span_bypass())
        # anthropic 0.x: Stream's metaclass answers isinstance() itself, and knows nothing of proxies
        for meta in ("_SyncStreamMeta", "_AsyncStreamMeta"):
            targets.append(("anthropic._streaming", meta, "__instancecheck__", _stream_instance_check))
        return targets


def _provider(client: Any, host: str | None) -> str:
    """Bedrock and Vertex by their client classes (also behind a gateway) or their hosts; else Anthropic."""
    if client is not None:
        for cls in type(client).__mro__:
            if "Bedrock" in cls.__name__:
                return sc.PROVIDER_AWS_BEDROCK
            if "Vertex" in cls.__name__:
                return sc.PROVIDER_GCP_VERTEX_AI
    if host:
        if host.startswith("bedrock") and host.endswith(_BEDROCK_HOST):
            return sc.PROVIDER_AWS_BEDROCK
        if host.endswith(_VERTEX_HOST):
            return sc.PROVIDER_GCP_VERTEX_AI
    return sc.PROVIDER_ANTHROPIC


def _stream_instance_check(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
    """``isinstance(stream, anthropic.Stream)`` stays true for our proxy of one (anthropic 0.x, whose
    ``Stream`` metaclass overrides ``__instancecheck__`` and never looks at ``__class__``)."""
    candidate = args[0] if args else None
    if isinstance(candidate, (SyncStreamProxy, AsyncStreamProxy)):
        return isinstance(candidate.__wrapped__, instance)
    return wrapped(*args, **kwargs)


# --- the SDK's own span ---------------------------------------------------------------------------------


def _is_sdk_span_for(record: Inference, args: tuple[Any, ...], kwargs: dict[str, Any]) -> bool:
    """``start_api_call_span(tracer, base_url, options, attributes, ...)`` for a Messages call."""
    options = args[2] if len(args) > 2 else kwargs.get("options")
    return getattr(options, "span_name", None) == _SDK_SPAN_NAME


def _keeps_sdk_attribute(key: str) -> bool:
    return key.startswith(_SDK_ATTRIBUTE_PREFIXES) and not key.startswith(_SDK_CONTENT_PREFIXES)


_SDK_SPAN: NativeSpan[Inference] = NativeSpan(
    "anthropic._base_client",
    "start_api_call_span",
    matches=_is_sdk_span_for,
    lend=lend_span_keeping(_keeps_sdk_attribute, recording=False),
)


class _SdkSpanWork:
    """What the SDK's span path does for a call we trace, done by us while the SDK runs the call without
    one: the URL of the call's first request on our span (the SDK's ``url.*``), and our span's trace context
    in the headers of each request to the API (every attempt), after the client signed it, as the SDK would
    have with ``inject_trace_headers``."""

    __slots__ = ("host", "options", "propagator", "sent", "set_url", "span")

    def __init__(
        self, set_url: Callable[..., None], span: Any, host: str, options: Any, propagator: Any
    ) -> None:
        self.set_url = set_url
        self.span = span
        self.host = host
        self.options = options
        self.propagator = propagator  # None: the SDK's ``propagation`` option is off
        self.sent = False

    def sending(self, request: Any) -> None:
        url = request.url
        if url.host != self.host:  # not the API's request (a credential refresh, ...)
            return
        if not self.sent:
            self.sent = True
            options = self.options
            # content=False: no query parameter the messages endpoints define is content
            self.set_url(
                self.span, url, options.span_query_params, options.span_content_query_params, content=False
            )
        if self.propagator is not None:
            self.propagator.inject(request.headers, trace.set_span_in_context(self.span))


class _SdkSpanBypass:
    """``NativeSpan.bypass`` for the SDK's span: for a call we trace, the SDK is told there is no span
    (``start_api_call_span`` returning None, what it gets for a span that neither records nor propagates),
    so it skips its span path entirely: the attributes built for a span it does not start, our span made
    current again, the trace headers computed twice per attempt (removed before signing, then set), its
    result recording. ``_SdkSpanWork`` does the part of that path that reached our span and the request.

    A call with a trace header already set (the client's default headers or the call's ``extra_headers``)
    is lent our span instead: the SDK removes those before the client signs the request (Bedrock), which
    only its own path can do."""

    __slots__ = ("known", "set_url", "textmap")

    def __init__(self, textmap: Callable[[], Any], set_url: Callable[..., None]) -> None:
        self.textmap = textmap  # opentelemetry.propagate's global propagator, as the SDK's own
        self.set_url = set_url  # the SDK's set_url_attributes
        self.known: tuple[Any, frozenset[str]] = (None, frozenset())

    def __call__(self, span: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> _SdkSpanWork | None:
        options = args[2]
        propagator = None
        if kwargs.get("propagation", True):
            propagator, fields = self.propagator()
            default_headers = kwargs.get("default_headers")
            extra = options.headers
            if (default_headers is not None and not fields.isdisjoint(map(str.lower, default_headers()))) or (
                isinstance(extra, Mapping) and not fields.isdisjoint(map(str.lower, extra))
            ):
                return None
        return _SdkSpanWork(self.set_url, span, args[1].host, options, propagator)

    def propagator(self) -> tuple[Any, frozenset[str]]:
        """The application's propagator (it may change after instrumenting) and the headers it writes (lower
        case), worked out once per propagator."""
        propagator = self.textmap()
        known, fields = self.known
        if propagator is not known:
            fields = frozenset(name.lower() for name in propagator.fields)
            self.known = (propagator, fields)
        return propagator, fields


def _sdk_span_bypass() -> list[Target]:
    """The ``httpx2`` sends that ``_SdkSpanWork`` watches, when this SDK release has the helper it uses and
    the propagators load (then the SDK's span path is bypassed for the calls we trace; else our span is
    lent to it, and the SDK copes with the propagators itself)."""
    _SDK_SPAN.bypass = None
    try:
        from anthropic._tracing import set_url_attributes
        from opentelemetry.propagate import get_global_textmap
    except Exception:  # an older SDK; OTEL_PROPAGATORS naming one that is not installed raises on import
        return []
    _SDK_SPAN.bypass = _SdkSpanBypass(get_global_textmap, set_url_attributes)
    return [("httpx2", "Client", "send", _sending), ("httpx2", "AsyncClient", "send", _sending)]


def _sending(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
    """``httpx2.Client.send`` / ``AsyncClient.send`` (the async one's coroutine is returned as it is): the
    request of a call whose span work is ours gets it done here, at the moment the SDK would."""
    work = _SDK_SPAN.handoff()
    if work is not None:
        try:
            work.sending(args[0] if args else kwargs["request"])
        except Exception:
            logger.debug("otel_genai: could not add our span to the request", exc_info=True)
    return wrapped(*args, **kwargs)


# --- errors ---------------------------------------------------------------------------------------------


def _error_type(error: BaseException, status_error: Any) -> str | None:
    """The API's error type (``rate_limit_error``, ``overloaded_error``, ...): ``APIStatusError.type`` in
    2.x, else ``error.type`` of the body (a failed response's, or a stream's ``error`` event's)."""
    if status_error is None or not isinstance(error, status_error):
        return None
    kind = getattr(error, "type", None)
    if isinstance(kind, str) and kind:
        return kind
    body = getattr(error, "body", None)
    if isinstance(body, Mapping):
        inner = body.get("error")
        kind = inner.get("type") if isinstance(inner, Mapping) else body.get("type")
        if isinstance(kind, str) and kind and kind != "error":
            return kind
    return None


# --- messages -------------------------------------------------------------------------------------------


class _MessagesReader(StainlessReader):
    """``messages.create`` / ``parse`` / ``stream`` (and ``beta.messages``): one chat call each."""

    def __init__(self, handler: TelemetryHandler, sdk: StainlessSDK, status_error: Any) -> None:
        super().__init__(handler, sdk)
        self.status_error = status_error

    def build(self, instance: Any, kwargs: dict[str, Any]) -> Inference:
        provider, address, port = self.endpoint_of(instance)
        get = kwargs.get
        given = self.sdk.given
        record = Inference(
            operation=sc.OPERATION_CHAT,
            provider=provider,
            request_model=string(get("model")),
            server_address=address,
            server_port=port,
        )
        record.max_tokens = number(get("max_tokens"))
        record.stop_sequences = strings(get("stop_sequences"))
        # anthropic 1.0 dropped the sampling parameters from its signatures: they travel in extra_body since
        sampling = get("extra_body")
        if not isinstance(sampling, Mapping) or "temperature" in kwargs:
            sampling = kwargs
        record.temperature = double(sampling.get("temperature"))
        record.top_p = double(sampling.get("top_p"))
        record.top_k = number(sampling.get("top_k"))
        record.stream = given(get("stream")) is True
        output_config = given(get("output_config"))
        if output_config is not None:
            record.reasoning_level = string(field(output_config, "effort"))
        record.output_type = _output_type(given(get("output_format")), output_config)
        record.output_schema = _output_schema(given(get("output_format")), output_config)
        # fingerprint sources, whatever the capture mode: the request's own objects, hashed as the span ends
        record.instructions = given(get("system"))
        record.tool_schemas = given(get("tools"))
        return record

    def capture_request(self, record: Inference, kwargs: dict[str, Any]) -> None:
        given = self.sdk.given
        system = given(kwargs.get("system"))
        if system:
            record.system_instructions = _content_parts(system)
        record.input_messages = input_messages(given(kwargs.get("messages")))
        record.tool_definitions = tool_definitions(
            given(kwargs.get("tools")), self.handler.tool_definition_details, parameters="input_schema"
        )

    def on_error(self, record: Inference, error: BaseException) -> None:
        record.error_type = _error_type(error, self.status_error)

    def calling(self, record: Inference) -> AbstractContextManager[Any]:
        return _SDK_SPAN.replacing(record)

    def on_result(self, record: Inference, result: Any) -> Any:
        if isinstance(result, (self.sync_stream, self.async_stream)):
            _request_id_header(record, getattr(getattr(result, "response", None), "headers", None))
        return super().on_result(record, result)

    def read(self, record: Inference, message: Any) -> None:
        """A ``Message`` (or its JSON, from a raw response the SDK parses asynchronously)."""
        http = getattr(message, "http_response", None)
        if http is not None:  # a raw response ``StainlessSDK.parsed`` could not parse
            if isinstance(message, self.sdk.raw_responses) or not http.is_closed:
                return  # a body still streaming: reading it would consume it
            _request_id_header(record, http.headers)
            message = http.json()  # 2.x ``AsyncAPIResponse``: its ``parse()`` is a coroutine
        else:
            _request_id(
                record, getattr(message, "_request_id", None)
            )  # the SDK keeps the header on the model
        record.response_id = field(message, "id")
        record.response_model = field(message, "model")
        _read_usage(record, field(message, "usage"), complete=True)
        stop_reason = field(message, "stop_reason")
        record.finish_reasons = [stop_reason or "error"]
        blocks = field(message, "content") or ()
        calls = [
            ToolCallRequest(field(b, "id"), field(b, "name"))
            for b in blocks
            if field(b, "type") == "tool_use"
        ]
        if calls:
            record.tool_calls = calls
        if self.handler.wants_content(record):
            record.output_messages = [_output_message([_block_part(b) for b in blocks], stop_reason)]

    def accumulator(self, record: Inference) -> StreamAccumulator:
        return _MessageStreamAccumulator(self.handler, record, self.status_error)


def _request_id_header(record: Inference, headers: Any) -> None:
    if headers is not None:
        _request_id(record, headers.get("request-id"))


def _request_id(record: Inference, request_id: Any) -> None:
    """The ``request-id`` header: what Anthropic's support asks for."""
    if isinstance(request_id, str):
        record.response_attributes[sc.ANTHROPIC_REQUEST_ID] = request_id


def _output_type(output_format: Any, output_config: Any) -> str | None:
    """``json`` for structured outputs: ``output_format=Model`` (``parse`` / ``stream``), a JSON-schema
    ``output_config.format``, or the beta's older ``output_format={"type": "json_schema", ...}``."""
    if isinstance(output_format, type):
        return "json"
    formats = (output_format, field(output_config, "format") if output_config is not None else None)
    if any(f is not None and field(f, "type") == "json_schema" for f in formats):
        return "json"
    return None


def _output_schema(output_format: Any, output_config: Any) -> Any:
    """The schema a structured output must follow (for the schema_valid evaluator; never exported): the
    pydantic model class, or the JSON-schema format's ``schema``."""
    if isinstance(output_format, type):
        return output_format
    for candidate in (output_format, field(output_config, "format") if output_config is not None else None):
        if candidate is not None and field(candidate, "type") == "json_schema":
            return field(candidate, "schema")
    return None


def _read_usage(record: Inference, usage: Any, *, complete: bool) -> None:
    """Usage per the conventions: Anthropic's ``input_tokens`` leaves the cache out, so the input count is
    ``input_tokens + cache_read_input_tokens + cache_creation_input_tokens``. ``complete`` False (a stream
    that ended before ``message_delta``): ``output_tokens`` is still the placeholder of ``message_start``."""
    if usage is None:
        return
    # field(): releases that predate a usage field keep it as a plain dict, or not at all
    cache_read = field(usage, "cache_read_input_tokens")
    cache_write = field(usage, "cache_creation_input_tokens")
    input_tokens = field(usage, "input_tokens")
    if isinstance(input_tokens, int):
        record.input_tokens = input_tokens + (cache_read or 0) + (cache_write or 0)
    record.cache_read_input_tokens = cache_read
    record.cache_write_input_tokens = cache_write
    if complete:
        record.output_tokens = field(usage, "output_tokens")
        details = field(usage, "output_tokens_details")
        if details is not None:
            record.reasoning_output_tokens = field(details, "thinking_tokens")


def _output_message(parts: list[Part], stop_reason: Any) -> OutputMessage:
    return output_message(parts, semconv_finish_reason(stop_reason if isinstance(stop_reason, str) else None))


# --- content --------------------------------------------------------------------------------------------


def input_messages(messages: Any) -> list[InputMessage] | None:
    """``messages`` as semconv input messages; tool results stay in the user message that carries them."""
    if not messages:
        return None
    return [
        input_message(str(field(message, "role") or "user"), _content_parts(field(message, "content")))
        for message in messages
    ]


def _content_parts(content: Any) -> list[Part]:
    """A string, or a list of content blocks (dicts or the SDK's models), as semconv parts."""
    return content_parts(content, _block_part)


def _block_part(block: Any) -> Part:
    """One content block, of a request or a response, as a semconv part."""
    kind = field(block, "type")
    if kind == "text":
        return text_part(field(block, "text") or "")
    if kind == "tool_use":
        return tool_call_part(field(block, "id"), field(block, "name"), field(block, "input"))
    if kind == "tool_result":
        return tool_call_response_part(field(block, "tool_use_id"), _tool_result(field(block, "content")))
    if kind == "thinking":
        return reasoning_part(field(block, "thinking") or "")
    if kind == "redacted_thinking":  # encrypted by the provider: there is nothing to read
        return reasoning_part("")
    if kind in ("image", "document"):
        return _source_part(field(block, "source"), kind)
    if kind in ("server_tool_use", "mcp_tool_use"):
        return server_tool_call_part(field(block, "id"), str(field(block, "name") or kind))
    # web_search_tool_result, mcp_tool_result, ...
    if isinstance(kind, str) and kind.endswith("_tool_result"):
        return server_tool_call_response_part(field(block, "tool_use_id"), kind)
    return generic_part(str(kind or "unknown"))


def _source_part(source: Any, kind: str) -> Part:
    """An image or document ``source``: inline base64, a URL, an uploaded file, or (documents) text."""
    modality = "image" if kind == "image" else "document"
    source_type = field(source, "type")
    if source_type == "base64":
        return blob_part(field(source, "data") or "", modality, field(source, "media_type"))
    if source_type == "url":
        return uri_part(str(field(source, "url") or ""), modality)
    if source_type == "file":
        return file_part(str(field(source, "file_id") or ""), modality)
    if source_type == "text":
        return text_part(field(source, "data") or "")
    if source_type == "content":  # a document made of content blocks: its text
        text = _tool_result(field(source, "content"))
        return text_part(text if isinstance(text, str) else "")
    return generic_part(kind)


def _tool_result(content: Any) -> Any:
    """A ``tool_result``'s content: a string as it is, content blocks as their text."""
    if content is None or isinstance(content, str):
        return content
    return " ".join(field(block, "text") or "" for block in content if field(block, "type") == "text")


# --- streams --------------------------------------------------------------------------------------------


class _Block:
    """One streamed content block: its start, and (with content captured) its deltas."""

    __slots__ = ("chunks", "start")

    def __init__(self, start: Any) -> None:
        self.start = start
        self.chunks: list[str] = []

    def part(self) -> Part:
        start = self.start
        kind = getattr(start, "type", None)
        text = "".join(self.chunks)
        if kind == "text":
            return text_part((getattr(start, "text", None) or "") + text)
        if kind == "thinking":
            return reasoning_part((getattr(start, "thinking", None) or "") + text)
        if kind == "tool_use":
            return tool_call_part(
                getattr(start, "id", None), getattr(start, "name", None), text or start.input
            )
        return _block_part(start)


class _MessageStreamAccumulator(StreamAccumulator):
    """Assembles the raw stream events (``message_start``, ``content_block_start`` / ``_delta``,
    ``message_delta``, ``message_stop``); the stream helpers' own events are made above the raw stream."""

    __slots__ = ("blocks", "capture", "message", "status_error", "stop_reason", "usage")

    def __init__(self, handler: TelemetryHandler, record: Inference, status_error: Any) -> None:
        super().__init__(handler, record)
        self.capture = handler.wants_content(record)
        self.status_error = status_error
        self.blocks: dict[int, _Block] = {}
        self.message: Any = None
        self.usage: Any = None  # message_delta's, final
        self.stop_reason: Any = None

    def on_chunk(self, event: Any) -> None:
        kind = event.type
        if kind == "content_block_delta":
            if self.capture:
                block = self.blocks.get(event.index)
                delta = event.delta
                delta_type = delta.type
                if block is None:
                    return
                if delta_type == "text_delta":
                    block.chunks.append(delta.text)
                elif delta_type == "input_json_delta":
                    block.chunks.append(delta.partial_json)
                elif delta_type == "thinking_delta":
                    block.chunks.append(delta.thinking)
                # signature_delta and citations_delta add nothing the conventions record
        elif kind == "content_block_start":
            self.blocks[event.index] = _Block(event.content_block)
        elif kind == "message_start":
            self.message = event.message
        elif kind == "message_delta":
            self.stop_reason = getattr(event.delta, "stop_reason", None)
            self.usage = getattr(event, "usage", None)

    def on_error(self, error: BaseException) -> None:
        # a failed response, or the stream's own ``error`` event (overloaded_error, ...)
        self.record.error_type = _error_type(error, self.status_error)

    def on_end(self) -> None:
        message = self.message
        if message is None:
            return
        record = self.record
        record.response_id = getattr(message, "id", None)
        record.response_model = getattr(message, "model", None)
        usage = getattr(message, "usage", None)
        if self.usage is None:  # no message_delta: the start's counts, without its placeholder output
            _read_usage(record, usage, complete=False)
        else:
            _read_usage(record, _merged_usage(usage, self.usage), complete=True)
        record.finish_reasons = [self.stop_reason or "error"]
        blocks = [self.blocks[i] for i in sorted(self.blocks)]
        calls = [
            ToolCallRequest(getattr(b.start, "id", None), getattr(b.start, "name", None))
            for b in blocks
            if getattr(b.start, "type", None) == "tool_use"
        ]
        if calls:
            record.tool_calls = calls
        if self.capture:
            record.output_messages = [_output_message([b.part() for b in blocks], self.stop_reason)]


def _merged_usage(start: Any, delta: Any) -> dict[str, Any]:
    """``message_delta``'s usage over ``message_start``'s: the delta's counts are cumulative, and the API
    repeats the input and cache counts there (older responses did not: then the start's stand)."""
    merged = {
        name: field(start, name)
        for name in ("input_tokens", "cache_read_input_tokens", "cache_creation_input_tokens")
    }
    for name in (*merged, "output_tokens", "output_tokens_details"):
        value = field(delta, name)
        if value is not None:
            merged[name] = value
    return merged


# --- the stream() manager -------------------------------------------------------------------------------


class _StreamManagers:
    """``messages.stream(...)`` returns a manager whose request is made when it is entered: that request is
    the call we trace. The manager keeps it as a callable (sync) or an awaitable (async) in a private
    attribute; ours takes its place, so entering the manager opens the span, and the raw stream the SDK's
    ``MessageStream`` reads (``text_stream``, ``get_final_message()``, ``until_done()``, events) is our
    proxy. A manager of a release that keeps its request elsewhere is left untraced."""

    def __init__(self, reader: _MessagesReader) -> None:
        self.reader = reader

    def wrapper(self, wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
        return self._traced(_TracedRequest, wrapped, instance, args, kwargs)

    def async_wrapper(self, wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
        return self._traced(_TracedAsyncRequest, wrapped, instance, args, kwargs)

    def _traced(
        self, traced: type[_TracedRequest], wrapped: Any, instance: Any, args: Any, kwargs: Any
    ) -> Any:
        manager = wrapped(*args, **kwargs)
        try:
            attribute = _request_attribute(manager)
            if attribute is not None:
                arguments = {**call_arguments(wrapped, args, kwargs), "stream": True}
                setattr(
                    manager, attribute, traced(self.reader, getattr(manager, attribute), instance, arguments)
                )
        except Exception:
            logger.debug("otel_genai: could not trace a stream() manager", exc_info=True)
        return manager


def _request_attribute(manager: Any) -> str | None:
    """The manager's private ``__api_request`` (name-mangled by its class)."""
    attributes = getattr(manager, "__dict__", {})
    for cls in type(manager).__mro__:
        name = f"_{cls.__name__}__api_request"
        if name in attributes:
            return name
    return None


class _TracedRequest:
    """A sync manager's request (a callable), traced when called."""

    __slots__ = ("arguments", "instance", "reader", "request")

    def __init__(
        self, reader: _MessagesReader, request: Any, instance: Any, arguments: dict[str, Any]
    ) -> None:
        self.reader = reader
        self.request = request
        self.instance = instance
        self.arguments = arguments

    def __call__(self) -> Any:
        return traced_call(self.reader, self._request, self.instance, (), self.arguments)

    def _request(self, **_: Any) -> Any:
        """The wrapped call of ``traced_call`` (which passes the call's arguments: the request has them)."""
        return self.request()


class _TracedAsyncRequest(_TracedRequest):
    """An async manager's request (an awaitable), traced when awaited (a plain awaitable: one never awaited
    warns once, as the SDK's own coroutine does, not twice)."""

    __slots__ = ()

    def __await__(self) -> Generator[Any, None, Any]:
        return traced_async_call(self.reader, self._request, self.instance, (), self.arguments).__await__()

    def _request(self, **_: Any) -> Any:
        return self.request
