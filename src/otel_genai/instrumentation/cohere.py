"""Cohere (``cohere``, the v2 client ``ClientV2`` / ``AsyncClientV2``, also ``Client().v2``): ``chat``,
``chat_stream``, ``embed`` and ``rerank``, sync and async, cohere 5.16 through 7.x.

Where it is wrapped, and why: the raw client (``RawV2Client`` / ``AsyncRawV2Client``) that every public
v2 method calls, not the public methods. The SDK's ``Client.__init__`` binds ``chat`` and
``chat_stream`` onto each client instance (its argument checks), so a class-level wrapper on the public
methods would miss every client built before ``instrument()``; the raw client's methods are looked up on
its class at each call. ``with_raw_response`` is that same raw client: traced once, like the public call.
``chat_stream`` is a generator: its request goes out at the first ``next()``, which is when the raw
client's stream context manager is entered, so that is where the span starts. The application keeps the
SDK's own generator; only the events the raw response carries pass through our proxy.

Naming, decided here (see ``docs/architecture.md``):

- usage: ``usage.billed_units`` for ``gen_ai.usage.*`` (the conventions ask for billed counts where a
  provider gives both), else ``usage.tokens`` when a response has no billed units;
  ``usage.cached_tokens`` is the cache read.
- ``gen_ai.response.finish_reasons`` keeps Cohere's values (``COMPLETE``, ``TOOL_CALL``, ``MAX_TOKENS``);
  output messages map them onto the schema's enum. An answer that ends with ``ERROR`` / ``TIMEOUT`` (a
  200 with a failed generation) is a failed span with that value as ``error.type``.
- ``tool_plan`` (the model's plan before calling tools) and ``thinking`` content are reasoning parts;
  citations are left out.
- ``rerank`` is a retrieval (``gen_ai.operation.name = retrieval``, CLIENT): the rerank model as
  ``gen_ai.request.model``, ``top_n`` as top-k, each result's index in the request's ``documents`` (a
  string) as the document id and its ``relevance_score`` as the score, in rank order; the query and the
  documents' text only with content capture. Inside a retrieval already open (an application's
  ``@retriever`` that searches a store and then reranks) it stays a retrieval span of its own, a child:
  a rerank is a model call, not the store search the enclosing retrieval adopts hits from, and its ids
  are positions in its request, which cannot be matched with the store's document ids.
- an API error's ``error.type`` is the code its body names, else its HTTP status (``429``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

import wrapt
from opentelemetry import context as otel_context

from otel_genai import semconv as sc
from otel_genai.instrumentation._base import CallReader, Instrumentor, Target, host_and_port
from otel_genai.instrumentation._stainless import (
    content_parts,
    double,
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
    Part,
    generic_part,
    input_message,
    output_message,
    reasoning_part,
    semconv_finish_reason,
    text_part,
    tool_call_part,
    tool_call_response_part,
)
from otel_genai.telemetry.handler import TelemetryHandler
from otel_genai.telemetry.records import (
    Embedding,
    Inference,
    Invocation,
    Retrieval,
    RetrievedDocument,
    ToolCallRequest,
)
from otel_genai.telemetry.streams import AsyncGeneratorProxy, StreamAccumulator, SyncStreamProxy, span_context

logger = logging.getLogger("otel_genai")

_RAW = "cohere.v2.raw_client"
# (module, class, method, kind); a release without the raw client (before 5.16) wraps nothing
_TARGETS = (
    (_RAW, "RawV2Client", "chat", "chat"),
    (_RAW, "AsyncRawV2Client", "chat", "chat"),
    (_RAW, "RawV2Client", "chat_stream", "stream"),
    (_RAW, "AsyncRawV2Client", "chat_stream", "stream"),
    (_RAW, "RawV2Client", "embed", "embed"),
    (_RAW, "AsyncRawV2Client", "embed", "embed"),
    (_RAW, "RawV2Client", "rerank", "rerank"),
    (_RAW, "AsyncRawV2Client", "rerank", "rerank"),
)
# A generation that ended without an answer (HTTP 200): the span fails with this value as error.type.
_FAILED_FINISH = ("ERROR", "TIMEOUT")
_RELEVANCE = "relevance"  # otel_genai.retrieval.score.metric of a rerank: Cohere's relevance_score


class CohereInstrumentor(Instrumentor):
    """Instruments the ``cohere`` package (its v2 client)."""

    name = "cohere"

    def targets(self, handler: TelemetryHandler, kwargs: Mapping[str, Any]) -> Iterable[Target]:
        readers: dict[str, CallReader] = {
            "chat": _ChatReader(handler),
            "stream": _ChatStreamReader(handler),
            "embed": _EmbedReader(handler),
            "rerank": _RerankReader(handler),
        }
        return [(module, cls, method, readers[kind]) for module, cls, method, kind in _TARGETS]


# --- the client ---------------------------------------------------------------------------------------


def _endpoint(raw_client: Any) -> tuple[str | None, int | None]:
    """``server.address`` / ``server.port`` of a client (its wrapper's base URL)."""
    wrapper = getattr(raw_client, "_client_wrapper", None)
    get_base_url = getattr(wrapper, "get_base_url", None)
    base_url = get_base_url() if callable(get_base_url) else None
    return host_and_port(base_url) if isinstance(base_url, str) else (None, None)


def _given(value: Any) -> Any:
    """``None`` for an argument left out (the SDK's ``OMIT`` is ``...``)."""
    return None if value is None or value is Ellipsis else value


def _int(value: Any) -> int | None:
    """A count the API sends as a float (``usage.tokens.input_tokens: 12.0``) as an int."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return int(value)
    return None


def _data(result: Any) -> Any:
    """The response model inside the raw client's ``HttpResponse``."""
    return getattr(result, "data", result)


def api_error_type(error: BaseException) -> str | None:
    """``cohere.core.api_error.ApiError`` (``TooManyRequestsError``, ...): the code its body names, else
    its HTTP status; None for anything else (the default rule, the exception's type, then applies)."""
    if not any(
        kind.__name__ == "ApiError" and kind.__module__.startswith("cohere.") for kind in type(error).__mro__
    ):
        return None
    body = getattr(error, "body", None)
    if isinstance(body, Mapping):
        for key in ("code", "error_code"):
            code = body.get(key)
            if isinstance(code, str) and code:
                return code
    status = getattr(error, "status_code", None)
    return str(status) if isinstance(status, int) else None


class _Reader(CallReader):
    def on_error(self, record: Invocation, error: BaseException) -> None:
        record.error_type = api_error_type(error)

    def on_result(self, record: Any, result: Any) -> Any:
        super().on_result(record, _data(result))  # the model is read; the application gets its result
        return result


# --- chat -------------------------------------------------------------------------------------------


class _ChatReader(_Reader):
    stream = False

    def build(self, instance: Any, kwargs: dict[str, Any]) -> Inference:
        address, port = _endpoint(instance)
        get = kwargs.get
        record = Inference(
            operation=sc.OPERATION_CHAT,
            provider=sc.PROVIDER_COHERE,
            request_model=string(get("model")),
            server_address=address,
            server_port=port,
            stream=self.stream,
        )
        record.temperature = double(get("temperature"))
        record.top_p = double(get("p"))
        record.top_k = number(get("k"))
        record.max_tokens = number(get("max_tokens"))
        record.seed = number(get("seed"))
        record.stop_sequences = strings(_given(get("stop_sequences")))
        record.frequency_penalty = double(get("frequency_penalty"))
        record.presence_penalty = double(get("presence_penalty"))
        record.output_type = _output_type(_given(get("response_format")))
        thinking = _given(get("thinking"))
        if thinking is not None:  # the exact string sent: "enabled" / "disabled"
            record.reasoning_level = string(_enum_value(field(thinking, "type")))
        documents = _given(get("documents"))
        if isinstance(documents, (list, tuple)):
            record.request_attributes[sc.COHERE_REQUEST_DOCUMENT_COUNT] = len(documents)
        # fingerprint sources (any capture mode): the system messages are found only as the span ends
        messages = _given(get("messages"))
        if isinstance(messages, (list, tuple)) and messages:
            record.instructions = partial(system_messages, messages)
        record.tool_schemas = _given(get("tools"))
        return record

    def capture_request(self, record: Inference, kwargs: dict[str, Any]) -> None:
        record.input_messages = input_messages(_given(kwargs.get("messages")))
        record.tool_definitions = tool_definitions(
            _given(kwargs.get("tools")), self.handler.tool_definition_details
        )

    def read(self, record: Inference, response: Any) -> None:
        record.response_id = getattr(response, "id", None)
        finish_reason = _enum_value(getattr(response, "finish_reason", None))
        record.finish_reasons = [finish_reason if isinstance(finish_reason, str) else "error"]
        _read_usage(record, getattr(response, "usage", None))
        message = getattr(response, "message", None)
        calls = [_tool_call(call) for call in getattr(message, "tool_calls", None) or ()]
        if calls:
            record.tool_calls = calls
        if finish_reason in _FAILED_FINISH:
            record.error_type = finish_reason
        if self.handler.wants_content(record):
            parts: list[Part] = []
            plan = getattr(message, "tool_plan", None)
            if isinstance(plan, str) and plan:
                parts.append(reasoning_part(plan))
            parts.extend(_content_parts(getattr(message, "content", None)))
            parts.extend(tool_call_part(call.id, call.name, call.arguments) for call in calls)
            record.output_messages = [output_message(parts, semconv_finish_reason(finish_reason))]


def _enum_value(value: Any) -> Any:
    """A value the SDK may hand back as an enum member (older releases) as its string."""
    return getattr(value, "value", value)


def _output_type(response_format: Any) -> str | None:
    kind = _enum_value(field(response_format, "type")) if response_format is not None else None
    if kind in ("json_object", "json_schema", "json"):
        return "json"
    if kind == "text":
        return "text"
    return None


def _read_usage(record: Inference | Embedding, usage: Any) -> None:
    """``usage.billed_units`` (else ``tokens``) into the record; the cached prompt tokens as cache reads.

    The conventions ask for billed counts where a provider gives both: Cohere's ``tokens`` also count its
    own prompt template (71 against 5 billed for a short prompt), which it does not charge, so cost from
    them would overstate the bill. Read as a model or a dict: releases before the stream's ``usage`` was
    declared (5.16) keep it as one."""
    if usage is None:
        return
    counts = field(usage, "billed_units") or field(usage, "tokens")
    if counts is not None:
        record.input_tokens = _int(field(counts, "input_tokens"))
        if isinstance(record, Inference):
            record.output_tokens = _int(field(counts, "output_tokens"))
    cached = _int(field(usage, "cached_tokens"))
    if cached and isinstance(record, Inference):
        record.cache_read_input_tokens = cached


def _tool_call(call: Any) -> ToolCallRequest:
    function = field(call, "function")
    return ToolCallRequest(
        string(field(call, "id")), string(field(function, "name")), field(function, "arguments")
    )


# --- chat content -------------------------------------------------------------------------------------


def _content_parts(content: Any) -> list[Part]:
    return content_parts(content, _content_part)


def _content_part(item: Any) -> Part:
    """One typed item of a message's ``content`` (a dict or the SDK's model)."""
    kind = field(item, "type")
    if kind == "text":
        return text_part(field(item, "text") or "")
    if kind == "thinking":
        return reasoning_part(field(item, "thinking") or "")
    if kind == "image_url":
        image = field(item, "image_url")
        url = image if isinstance(image, str) else field(image, "url")
        return uri_or_blob(url, "image", None)
    return generic_part(str(kind or "unknown"))


def _tool_result(content: Any) -> Any:
    """A tool message's ``content``: its text, else the documents' data (a string or a list of items)."""
    if content is None or isinstance(content, str):
        return content
    values = []
    for item in content:
        if field(item, "type") == "text":
            values.append(field(item, "text"))
        else:  # {"type": "document", "document": {"data": {...}, "id": ...}}
            document = field(item, "document")
            values.append(field(document, "data") if document is not None else str(field(item, "type")))
    if all(isinstance(value, str) for value in values):
        return "".join(values)
    return values


def input_messages(messages: Any) -> list[InputMessage] | None:
    """Cohere v2 ``messages`` as semconv input messages (system messages stay in the list, in place)."""
    if not messages:
        return None
    result = []
    for message in messages:
        role = _enum_value(field(message, "role")) or "user"
        parts: list[Part]
        if role == "tool":
            parts = [
                tool_call_response_part(
                    field(message, "tool_call_id"), _tool_result(field(message, "content"))
                )
            ]
        else:
            parts = []
            plan = field(message, "tool_plan")
            if isinstance(plan, str) and plan:
                parts.append(reasoning_part(plan))
            parts.extend(_content_parts(field(message, "content")))
            for call in field(message, "tool_calls") or ():
                request = _tool_call(call)
                parts.append(tool_call_part(request.id, request.name, request.arguments))
        result.append(input_message(str(role), parts))
    return result


# --- chat_stream --------------------------------------------------------------------------------------


class _ChatStreamReader(_ChatReader):
    """``chat_stream``: the raw client's stream context manager, proxied; entering it sends the request."""

    stream = True

    def on_result(self, record: Inference, result: Any) -> Any:
        accumulator = _ChatStreamAccumulator(self.handler, record)
        if hasattr(result, "__aenter__"):
            return _AsyncStreamContext(result, accumulator)
        if hasattr(result, "__enter__"):
            return _SyncStreamContext(result, accumulator)
        self.handler.finish(record)  # not the SDK's context manager: the request's facts are kept
        return result


def _entered(record: Inference) -> object | None:
    """Our span current while the request goes out (the raw client sends it when its manager is entered)."""
    context = span_context(record)
    return otel_context.attach(context) if context is not None else None


def _events_proxy(response: Any, accumulator: StreamAccumulator, is_async: bool) -> Any:
    """The raw ``HttpResponse`` with its ``data`` (the event iterator) proxied; as it is when unreadable."""
    try:
        events = response.data
        proxy = (AsyncGeneratorProxy if is_async else SyncStreamProxy)(events, accumulator)
        return _HttpResponseProxy(response, proxy)
    except Exception:
        logger.debug("otel_genai: could not follow a cohere stream", exc_info=True)
        return response


class _StreamContext(wrapt.ObjectProxy):
    """The raw client's stream context manager: never entered (so no request went out), the span ends
    when it is collected; once entered, the events proxy and ``__exit__`` end it."""

    def __init__(self, manager: Any, accumulator: StreamAccumulator) -> None:
        super().__init__(manager)
        self._self_accumulator = accumulator
        self._self_entered = False

    def __del__(self) -> None:
        if not getattr(self, "_self_entered", True):
            self._self_accumulator.abandoned()


class _SyncStreamContext(_StreamContext):
    """``RawV2Client.chat_stream(...)``: entering sends the request (its failure fails the span); the
    events it yields are observed; leaving ends the span if the events did not (never read, closed)."""

    def __enter__(self) -> Any:
        self._self_entered = True
        accumulator = self._self_accumulator
        token = _entered(accumulator.record)
        try:
            response = self.__wrapped__.__enter__()
        except BaseException as error:
            accumulator.fail(error)
            raise
        finally:
            TelemetryHandler.detach(token)
        return _events_proxy(response, accumulator, is_async=False)

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> Any:
        try:
            return self.__wrapped__.__exit__(exc_type, exc, tb)
        finally:
            self._self_accumulator.finish()


class _AsyncStreamContext(_StreamContext):
    """``AsyncRawV2Client.chat_stream(...)``: the same, entered with ``async with``."""

    async def __aenter__(self) -> Any:
        self._self_entered = True
        accumulator = self._self_accumulator
        token = _entered(accumulator.record)
        try:
            response = await self.__wrapped__.__aenter__()
        except BaseException as error:
            accumulator.fail(error)
            raise
        finally:
            TelemetryHandler.detach(token)
        return _events_proxy(response, accumulator, is_async=True)

    async def __aexit__(self, exc_type: Any, exc: Any, tb: Any) -> Any:
        try:
            return await self.__wrapped__.__aexit__(exc_type, exc, tb)
        finally:
            self._self_accumulator.finish()


class _HttpResponseProxy(wrapt.ObjectProxy):
    """The raw stream's ``HttpResponse`` whose ``data`` is our proxy of its events."""

    def __init__(self, response: Any, events: Any) -> None:
        super().__init__(response)
        self._self_events = events

    @property
    def data(self) -> Any:
        return self._self_events


class _ToolCallState:
    __slots__ = ("call", "pieces")

    def __init__(self, call: ToolCallRequest) -> None:
        self.call = call
        self.pieces: list[str] = []


class _ChatStreamAccumulator(StreamAccumulator):
    """Assembles v2 stream events: ``message-start`` (id), content and tool-plan deltas, tool-call
    start / delta, ``message-end`` (finish reason, usage)."""

    __slots__ = ("capture", "finish_reason", "reasoning", "response_id", "text", "tool_calls", "usage")

    def __init__(self, handler: TelemetryHandler, record: Inference) -> None:
        super().__init__(handler, record)
        self.capture = handler.wants_content(record)
        self.response_id: str | None = None
        self.finish_reason: Any = None
        self.usage: Any = None
        self.text: list[str] = []
        self.reasoning: list[str] = []
        self.tool_calls: dict[int, _ToolCallState] = {}

    def on_chunk(self, event: Any) -> None:
        kind = getattr(event, "type", None)
        if kind == "content-delta":
            if self.capture:
                content = _delta_message(event, "content")
                self._content(content)
        elif kind == "message-start":
            self.response_id = getattr(event, "id", None)
        elif kind == "tool-call-start":
            self._tool_call_start(event)
        elif kind == "tool-call-delta":
            if self.capture:
                self._tool_call_delta(event)
        elif kind == "tool-plan-delta":
            if self.capture:
                plan = _delta_message(event, "tool_plan")
                if isinstance(plan, str):
                    self.reasoning.append(plan)
        elif kind == "content-start":
            if self.capture:
                self._content(_delta_message(event, "content"))
        elif kind == "message-end":
            delta = getattr(event, "delta", None)
            self.finish_reason = _enum_value(field(delta, "finish_reason"))
            self.usage = field(delta, "usage")

    def _tool_call_start(self, event: Any) -> None:
        call = _delta_message(event, "tool_calls")
        if call is None:
            return
        request = _tool_call(call)
        state = _ToolCallState(ToolCallRequest(request.id, request.name, None))
        if self.capture and isinstance(request.arguments, str):
            state.pieces.append(request.arguments)
        index = getattr(event, "index", None)
        self.tool_calls[index if isinstance(index, int) else len(self.tool_calls)] = state

    def _tool_call_delta(self, event: Any) -> None:
        arguments = field(field(_delta_message(event, "tool_calls"), "function"), "arguments")
        index = getattr(event, "index", None)
        state = self.tool_calls.get(index if isinstance(index, int) else len(self.tool_calls) - 1)
        if state is not None and isinstance(arguments, str):
            state.pieces.append(arguments)

    def _content(self, content: Any) -> None:
        if content is None:
            return
        text = field(content, "text")
        if isinstance(text, str) and text:
            self.text.append(text)
        thinking = field(content, "thinking")
        if isinstance(thinking, str) and thinking:
            self.reasoning.append(thinking)

    def on_error(self, error: BaseException) -> None:
        self.record.error_type = api_error_type(error)

    def on_end(self) -> None:
        record = self.record
        record.response_id = self.response_id
        reason = self.finish_reason if isinstance(self.finish_reason, str) else None
        record.finish_reasons = [reason or "error"]
        if reason in _FAILED_FINISH and record.error_type is None:
            record.error_type = reason
        _read_usage(record, self.usage)
        calls = [state.call for _, state in sorted(self.tool_calls.items())]
        if self.capture:
            for state in self.tool_calls.values():
                state.call.arguments = "".join(state.pieces)
        if calls:
            record.tool_calls = calls
        if self.capture:
            parts: list[Part] = []
            if self.reasoning:
                parts.append(reasoning_part("".join(self.reasoning)))
            if self.text:
                parts.append(text_part("".join(self.text)))
            parts.extend(tool_call_part(call.id, call.name, call.arguments) for call in calls)
            record.output_messages = [output_message(parts, semconv_finish_reason(reason))]


def _delta_message(event: Any, name: str) -> Any:
    """``event.delta.message.<name>``, whatever is missing on the way."""
    message = getattr(getattr(event, "delta", None), "message", None)
    return getattr(message, name, None) if message is not None else None


# --- embed --------------------------------------------------------------------------------------------


class _EmbedReader(_Reader):
    def build(self, instance: Any, kwargs: dict[str, Any]) -> Embedding:
        address, port = _endpoint(instance)
        record = Embedding(
            operation=sc.OPERATION_EMBEDDINGS,
            provider=sc.PROVIDER_COHERE,
            request_model=string(kwargs.get("model")),
            server_address=address,
            server_port=port,
        )
        types = _given(kwargs.get("embedding_types"))
        if isinstance(types, (list, tuple)) and types:
            record.encoding_formats = [str(_enum_value(kind)) for kind in types]
        record.dimension_count = number(kwargs.get("output_dimension"))
        return record

    def read(self, record: Embedding, response: Any) -> None:
        record.response_id = getattr(response, "id", None)
        meta = getattr(response, "meta", None)
        if meta is not None:
            _read_usage(record, meta)
        if record.dimension_count is None:
            record.dimension_count = _dimensions(getattr(response, "embeddings", None))


# (embedding type, field of the response's ``embeddings``, values per dimension)
_VECTOR_FIELDS = (("float_", 1.0), ("int8", 1.0), ("uint8", 1.0), ("binary", 1 / 8), ("ubinary", 1 / 8))


def _dimensions(embeddings: Any) -> int | None:
    """The vectors' length: the first vector of the first type returned (packed binary: 8 per value;
    base64: float32 bytes). A v1-style answer (a bare list of vectors) too."""
    if embeddings is None:
        return None
    if isinstance(embeddings, list):
        first = embeddings[0] if embeddings else None
        return len(first) if isinstance(first, list) else None
    for name, per_value in _VECTOR_FIELDS:
        vectors = getattr(embeddings, name, None)
        if vectors:
            return int(len(vectors[0]) / per_value)
    encoded = getattr(embeddings, "base64", None)
    if encoded and isinstance(encoded[0], str):
        return len(encoded[0].rstrip("=")) * 3 // 4 // 4
    return None


# --- rerank -------------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Rerank(Retrieval):
    """A rerank as a retrieval, with the request's documents kept for content (only when captured)."""

    texts: Any = None


class _RerankReader(_Reader):
    def build(self, instance: Any, kwargs: dict[str, Any]) -> _Rerank:
        address, port = _endpoint(instance)
        top_n = number(kwargs.get("top_n"))
        return _Rerank(
            operation=sc.OPERATION_RETRIEVAL,
            provider=sc.PROVIDER_COHERE,
            request_model=string(kwargs.get("model")),
            server_address=address,
            server_port=port,
            top_k=int(top_n) if top_n is not None else None,
            score_kind=sc.SCORE_SIMILARITY,
            score_metric=_RELEVANCE,
            reranker=True,
        )

    def capture_request(self, record: _Rerank, kwargs: dict[str, Any]) -> None:
        record.query_text = string(kwargs.get("query"))
        documents = _given(kwargs.get("documents"))
        if isinstance(documents, (list, tuple)):
            record.texts = documents

    def read(self, record: _Rerank, response: Any) -> None:
        record.response_id = getattr(response, "id", None)
        results = getattr(response, "results", None)
        if not isinstance(results, list):
            return
        texts = record.texts if self.handler.wants_content(record) else None
        record.documents = [_reranked(result, texts) for result in results]
        record.returned_rows = len(results)
        record.texts = None  # nothing of the request outlives the call


def _reranked(result: Any, texts: Any) -> RetrievedDocument:
    index = getattr(result, "index", None)
    score = getattr(result, "relevance_score", None)
    content = None
    if texts is not None and isinstance(index, int) and 0 <= index < len(texts):
        text = texts[index]
        content = text if isinstance(text, str) else _document_text(text)
    return RetrievedDocument(
        id=str(index) if isinstance(index, int) else None,
        score=float(score) if isinstance(score, (int, float)) else None,
        content=content,
    )


def _document_text(document: Any) -> str | None:
    """A document given as an object (v1-style ``{"text": ...}``): its text."""
    text = field(document, "text")
    return text if isinstance(text, str) else None
