"""Google GenAI (``google-genai``): ``generate_content``, ``generate_content_stream`` and ``embed_content``,
sync and async (``client.aio``), Gemini Developer API and Vertex AI.

What is wrapped, and why there: the SDK's public ``Models.generate_content`` runs its own loops around the
model, automatic function calling (the model asks for a Python function, the SDK runs it and asks again)
and, in 3.x, automatic continuation. Each turn of those loops is one request to the model, with its own
prompt, answer and usage, so a span is one request: the private ``_generate_content`` and
``_generate_content_stream`` that every path ends in (``chats`` too, which call ``models``). A plain call is
exactly one span; a call whose functions the SDK runs is one span per round, with the function runs between
them, never nested in a model call. Retries happen below them (one span whatever the retries).
``embed_content`` is wrapped where the application calls it.

Naming, decided here (see ``docs/architecture.md``):

- the operation is ``generate_content`` (the conventions' name for Gemini's multimodal generateContent);
  ``gen_ai.request.model`` is the model exactly as requested (``models/`` prefix and Vertex resource paths
  kept, as the conventions ask); ``gen_ai.response.model`` is the response's ``modelVersion`` as sent.
- provider ``gcp.vertex_ai`` for a ``vertexai=True`` client, ``gcp.gemini`` otherwise (also behind a
  custom base URL: the client's backend decides, not the host).
- usage: ``input_tokens = prompt_token_count + tool_use_prompt_token_count`` (Gemini's prompt count already
  includes cached tokens; the tool-use prompt is billed as input but counted apart), ``output_tokens =
  candidates_token_count + thoughts_token_count`` (the conventions count reasoning as output; Gemini counts
  thoughts apart), ``cache_read`` = ``cached_content_token_count``, ``reasoning`` = ``thoughts_token_count``.
- finish reasons: ``gen_ai.response.finish_reasons`` has the provider's value lower-cased (``stop``,
  ``max_tokens``, ``safety``); output messages map it onto the schema's enum, and a candidate that asks for
  a function (Gemini says ``STOP``) says ``tool_call``. A prompt blocked before any candidate
  (``prompt_feedback.block_reason``) is ``content_filter``: the call did not fail, the model refused.
- an API error's ``error.type`` is its status (``RESOURCE_EXHAUSTED``), else its HTTP code.
"""

from __future__ import annotations

import base64
import contextlib
import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TypeVar
from weakref import WeakKeyDictionary

from otel_genai import semconv as sc
from otel_genai.instrumentation._base import CallReader, Instrumentor, Target, host_and_port
from otel_genai.instrumentation._stainless import double, field, number, string, strings
from otel_genai.telemetry.content import (
    InputMessage,
    Part,
    ToolDefinition,
    blob_part,
    generic_part,
    input_message,
    output_message,
    reasoning_part,
    semconv_finish_reason,
    server_tool_call_part,
    text_part,
    tool_call_part,
    tool_call_response_part,
    tool_definition,
    uri_part,
)
from otel_genai.telemetry.handler import TelemetryHandler
from otel_genai.telemetry.records import Embedding, Inference, Invocation, ToolCallRequest
from otel_genai.telemetry.streams import AsyncGeneratorProxy, StreamAccumulator, SyncStreamProxy

logger = logging.getLogger("otel_genai")

_MODULE = "google.genai.models"
# (class, method, reader kind). The private methods are where every public path (and chats) ends.
_TARGETS = (
    ("Models", "_generate_content", "generate"),
    ("AsyncModels", "_generate_content", "generate"),
    ("Models", "_generate_content_stream", "stream"),
    ("AsyncModels", "_generate_content_stream", "stream"),
    ("Models", "embed_content", "embed"),
    ("AsyncModels", "embed_content", "embed"),
)
_ROLES = {"model": "assistant", "user": "user", "function": "tool", "tool": "tool", "system": "system"}
# The one field of a Tool that declares the application's functions; every other field is a tool Google runs.
_FUNCTION_DECLARATIONS = "function_declarations"
_RecordT = TypeVar("_RecordT", bound=Invocation)


class GoogleGenAIInstrumentor(Instrumentor):
    """Instruments the ``google-genai`` package (``from google import genai``)."""

    name = "google_genai"

    def targets(self, handler: TelemetryHandler, kwargs: Mapping[str, Any]) -> Iterable[Target]:
        readers: dict[str, CallReader] = {
            "generate": _GenerateReader(handler),
            "stream": _GenerateReader(handler, stream=True),
            "embed": _EmbedReader(handler),
        }
        return [(_MODULE, cls, method, _wrapper(readers[kind], cls)) for cls, method, kind in _TARGETS]

    def forget(self) -> None:
        _ENDPOINTS.clear()


def _wrapper(reader: CallReader, cls: str) -> Any:
    """The sync or async wrapper by class name: the async methods are coroutine functions, but a decorator
    could hide that from ``wrap_methods``."""
    return reader.async_wrapper if cls.startswith("Async") else reader.sync_wrapper


# --- the client -----------------------------------------------------------------------------------

# api client -> (base URL it was read from, provider, server.address, server.port)
_ENDPOINTS: WeakKeyDictionary[Any, tuple[Any, str, str | None, int | None]] = WeakKeyDictionary()


def _endpoint(models: Any) -> tuple[str, str | None, int | None]:
    """(provider, server.address, server.port) of the client a ``Models`` belongs to, cached per client."""
    client = getattr(models, "_api_client", None)
    if client is None:
        return sc.PROVIDER_GCP_GEN_AI, None, None
    options = getattr(client, "_http_options", None)
    # an HttpOptions model since 1.x, a plain dict in the first releases
    base_url = field(options, "base_url") if options is not None else None
    cached = _ENDPOINTS.get(client)
    if cached is not None and cached[0] == base_url:
        return cached[1], cached[2], cached[3]
    provider = sc.PROVIDER_GCP_VERTEX_AI if getattr(client, "vertexai", None) else sc.PROVIDER_GCP_GEMINI
    host, port = host_and_port(base_url) if isinstance(base_url, str) and base_url else (None, None)
    with contextlib.suppress(TypeError):  # a client that cannot be weakly referenced is not cached
        _ENDPOINTS[client] = (base_url, provider, host, port)
    return provider, host, port


def _new_record(kind: type[_RecordT], operation: str, models: Any, kwargs: dict[str, Any]) -> _RecordT:
    """The record of one call on ``client.models`` / ``client.aio.models``: where it goes, which model."""
    provider, address, port = _endpoint(models)
    return kind(
        operation=operation,
        provider=provider,
        request_model=string(kwargs.get("model")),
        server_address=address,
        server_port=port,
    )


def _enum_name(value: Any) -> str | None:
    """An SDK enum's value (the API's name for it), or the raw string a release older than the API keeps."""
    if value is None:
        return None
    name = getattr(value, "value", value)
    return name if isinstance(name, str) and name else None


# --- generate_content -----------------------------------------------------------------------------


class _Reader(CallReader):
    """What every google-genai call shares: an ``APIError`` says its status in ``error.type``."""

    def on_error(self, record: Invocation, error: BaseException) -> None:
        record.error_type = api_error_type(error)


class _GenerateReader(_Reader):
    """``_generate_content`` (a response) or ``_generate_content_stream`` (a generator of chunks)."""

    def __init__(self, handler: TelemetryHandler, *, stream: bool = False) -> None:
        super().__init__(handler)
        self.stream = stream

    def build(self, instance: Any, kwargs: dict[str, Any]) -> Inference:
        record = _new_record(Inference, sc.OPERATION_GENERATE_CONTENT, instance, kwargs)
        record.stream = self.stream
        config = kwargs.get("config")
        if config is not None:
            _read_config(record, config)
            # fingerprint sources, whatever the capture mode: references, hashed as the span ends
            record.instructions = field(config, "system_instruction")
            record.tool_schemas = field(config, "tools")
        return record

    def capture_request(self, record: Inference, kwargs: dict[str, Any]) -> None:
        record.input_messages = input_messages(kwargs.get("contents"))
        config = kwargs.get("config")
        if config is not None:
            instruction = field(config, "system_instruction")
            if instruction is not None:
                record.system_instructions = _parts(instruction)
            record.tool_definitions = tool_definitions(
                field(config, "tools"), self.handler.tool_definition_details
            )

    def on_result(self, record: Inference, result: Any) -> Any:
        if self.stream:
            if hasattr(result, "__anext__"):
                return AsyncGeneratorProxy(result, _StreamAccumulator(self.handler, record))
            if hasattr(result, "__next__"):
                return SyncStreamProxy(result, _StreamAccumulator(self.handler, record))
        return super().on_result(record, result)

    def read(self, record: Inference, result: Any) -> None:
        read_response(record, result, self.handler.wants_content(record))


def _read_config(record: Inference, config: Any) -> None:
    """A ``GenerateContentConfig`` (or its dict) onto the record: sampling, limits, output type."""
    record.temperature = double(field(config, "temperature"))
    record.top_p = double(field(config, "top_p"))
    top_k = field(config, "top_k")  # a float in the SDK, a whole number in the conventions
    if isinstance(top_k, float) and top_k.is_integer():
        top_k = int(top_k)
    record.top_k = number(top_k)
    record.max_tokens = number(field(config, "max_output_tokens"))
    record.stop_sequences = strings(field(config, "stop_sequences"))
    record.choice_count = number(field(config, "candidate_count"))
    record.seed = number(field(config, "seed"))
    record.presence_penalty = double(field(config, "presence_penalty"))
    record.frequency_penalty = double(field(config, "frequency_penalty"))
    record.output_type = _output_type(config)
    record.output_schema = _output_schema(config)
    thinking = field(config, "thinking_config")
    if thinking is not None:
        record.reasoning_level = _enum_name(field(thinking, "thinking_level"))


def _output_schema(config: Any) -> Any:
    """The schema a structured answer must follow (for the schema_valid evaluator; never exported):
    ``response_json_schema`` (JSON schema), else ``response_schema`` (a dict, a pydantic model class, or
    the SDK's ``Schema``, read as its JSON form), else ``{}`` when JSON is all that is asked for."""
    schema = field(config, "response_json_schema")
    if schema is None:
        schema = field(config, "response_schema")
        dump = getattr(schema, "model_dump", None)
        if dump is not None and not isinstance(schema, type):  # the SDK's Schema object
            schema = dump(exclude_none=True, mode="json")
    if schema is not None:
        return schema
    return {} if string(field(config, "response_mime_type")) == "application/json" else None


def _output_type(config: Any) -> str | None:
    mime_type = string(field(config, "response_mime_type"))
    if mime_type == "application/json" or (
        field(config, "response_schema") is not None or field(config, "response_json_schema") is not None
    ):
        return "json"
    if mime_type is not None and mime_type.startswith("text/"):  # text/plain, text/x.enum
        return "text"
    requested = field(config, "response_modalities")
    if not isinstance(requested, (list, tuple)):
        return None
    modalities = {str(_enum_name(modality)).upper() for modality in requested}
    if modalities == {"IMAGE"}:
        return "image"
    if modalities == {"AUDIO"}:
        return "speech"
    return None


class _Candidate:
    """One answer of the model, as a response or a stream's chunks together gave it."""

    __slots__ = ("finish_reason", "parts", "tool_calls")

    def __init__(self) -> None:
        self.parts: list[Part] = []
        self.tool_calls: list[ToolCallRequest] = []
        self.finish_reason: str | None = None


def read_response(record: Inference, response: Any, capture: bool) -> None:
    """A ``GenerateContentResponse`` onto the record: ids, usage, finish reasons, tool calls, content."""
    record.response_id = string(getattr(response, "response_id", None))
    record.response_model = string(getattr(response, "model_version", None))
    _read_usage(record, getattr(response, "usage_metadata", None))
    candidates: list[_Candidate] = []
    for candidate in getattr(response, "candidates", None) or ():
        answer = _Candidate()
        answer.finish_reason = _finish_reason(candidate)
        parts = _candidate_parts(candidate)
        answer.tool_calls = [
            _tool_call(call) for part in parts if (call := field(part, "function_call")) is not None
        ]
        if capture:
            answer.parts = _parts(parts)
        candidates.append(answer)
    blocked = not candidates and _block_reason(response) is not None
    _read_candidates(record, candidates, blocked, capture)


def _read_candidates(
    record: Inference, candidates: Sequence[_Candidate], blocked: bool, capture: bool
) -> None:
    """Finish reasons, tool calls and output messages, one per candidate, in the response's order."""
    if not candidates:
        if blocked:
            _blocked(record, capture)
        return
    record.finish_reasons = [candidate.finish_reason or "error" for candidate in candidates]
    tool_calls = [call for candidate in candidates for call in candidate.tool_calls]
    if tool_calls:
        record.tool_calls = tool_calls
    if capture:
        record.output_messages = [
            output_message(
                candidate.parts, _output_finish_reason(candidate.finish_reason, bool(candidate.tool_calls))
            )
            for candidate in candidates
        ]


def _candidate_parts(candidate: Any) -> Any:
    return getattr(getattr(candidate, "content", None), "parts", None) or ()


def _block_reason(response: Any) -> str | None:
    """Why the API blocked the prompt (``prompt_feedback.block_reason``), if it did."""
    feedback = getattr(response, "prompt_feedback", None)
    reason = _enum_name(getattr(feedback, "block_reason", None)) if feedback is not None else None
    return reason if reason and reason != "BLOCKED_REASON_UNSPECIFIED" else None


def _blocked(record: Inference, capture: bool) -> None:
    """No candidates because the prompt was blocked: the model refused, a content filter."""
    record.finish_reasons = ["content_filter"]
    if capture:
        record.output_messages = [output_message([], "content_filter")]


def _finish_reason(candidate: Any) -> str | None:
    """The provider's reason, lower-cased (``stop``, ``max_tokens``, ``safety``); None when there is none."""
    reason = _enum_name(getattr(candidate, "finish_reason", None))
    if reason is None or reason == "FINISH_REASON_UNSPECIFIED":
        return None
    return reason.lower()


def _output_finish_reason(reason: str | None, calls_tools: bool) -> str:
    """The schema's finish reason: Gemini stops normally when it asks for a function; that is a tool call."""
    if calls_tools and reason in (None, "stop"):
        return "tool_call"
    return semconv_finish_reason(reason)


def _read_usage(record: Inference, usage: Any) -> None:
    """A ``usage_metadata`` (a stream's last: Gemini's counts there are the response's running totals)."""
    if usage is None:
        return
    prompt = number(getattr(usage, "prompt_token_count", None))
    if prompt is not None:
        record.input_tokens = prompt + (number(getattr(usage, "tool_use_prompt_token_count", None)) or 0)
    candidates = number(getattr(usage, "candidates_token_count", None))
    thoughts = number(getattr(usage, "thoughts_token_count", None))
    if candidates is not None or thoughts is not None:
        record.output_tokens = (candidates or 0) + (thoughts or 0)
    record.reasoning_output_tokens = thoughts
    record.cache_read_input_tokens = number(getattr(usage, "cached_content_token_count", None))


def _tool_call(call: Any) -> ToolCallRequest:
    """A ``FunctionCall``'s id and name (its arguments are content: they go into the output parts)."""
    return ToolCallRequest(string(field(call, "id")), string(field(call, "name")))


# --- streams --------------------------------------------------------------------------------------


class _StreamedCandidate(_Candidate):
    """A candidate as a stream's chunks give it: its text and thoughts as runs of pieces, joined at the end.

    ``items`` holds the parts in order, each a finished part, or for text and thoughts a ``(kind, pieces)``
    run the next piece of the same kind continues (a chunk's text joins the text before it).
    """

    __slots__ = ("items", "run", "run_kind")

    def __init__(self) -> None:
        super().__init__()
        self.items: list[Part | tuple[str, list[str]]] = []
        self.run: list[str] = []
        self.run_kind: str | None = None  # the kind of the run items ends with, None after any other part

    def add_text(self, kind: str, text: str) -> None:
        if kind == self.run_kind:
            self.run.append(text)
        else:
            self.run = [text]
            self.run_kind = kind
            self.items.append((kind, self.run))

    def add_part(self, part: Part) -> None:
        """A part other than text or thoughts (those come through ``add_text``): it ends the run before it."""
        self.items.append(part)
        self.run_kind = None

    def assemble(self) -> None:
        """The runs joined into parts (once, when the stream ends)."""
        self.parts = [_joined_part(*item) if isinstance(item, tuple) else item for item in self.items]


def _joined_part(kind: str, pieces: list[str]) -> Part:
    text = "".join(pieces)
    return reasoning_part(text) if kind == "reasoning" else text_part(text)


class _StreamAccumulator(StreamAccumulator):
    """Assembles ``GenerateContentResponse`` chunks: text and thoughts per candidate, whole function calls,
    the finish reason of each candidate, and the usage of the last chunk (cumulative in each response).

    Per chunk it only reads the fields every release since 1.8 declares (plain attribute reads: ``getattr``
    with a default costs more, and this runs between the SDK's own parsing of each chunk, cold) and keeps
    text pieces; parts are joined and everything mapped once, in ``on_end``.
    """

    __slots__ = ("blocked", "candidates", "capture", "response_id", "response_model", "usage")

    def __init__(self, handler: TelemetryHandler, record: Inference) -> None:
        super().__init__(handler, record)
        self.capture = handler.wants_content(record)
        self.candidates: dict[int, _StreamedCandidate] = {}
        self.response_id: Any = None
        self.response_model: Any = None
        self.usage: Any = None
        self.blocked = False

    def on_chunk(self, chunk: Any) -> None:
        if self.response_id is None:
            self.response_id = getattr(chunk, "response_id", None)
        if self.response_model is None:
            self.response_model = getattr(chunk, "model_version", None)
        usage = chunk.usage_metadata
        if usage is not None:
            self.usage = usage
        candidates = chunk.candidates
        if not candidates:
            if not self.candidates and _block_reason(chunk) is not None:
                self.blocked = True
            return
        answers = self.candidates
        capture = self.capture
        for position, candidate in enumerate(candidates):
            index = candidate.index
            key = index if isinstance(index, int) else position
            answer = answers.get(key)
            if answer is None:
                answer = answers[key] = _StreamedCandidate()
            content = candidate.content
            parts = content.parts if content is not None else None
            if parts:
                for part in parts:
                    call = part.function_call
                    if call is not None:
                        answer.tool_calls.append(_tool_call(call))
                    if capture:
                        text = part.text
                        if not isinstance(text, str):
                            converted = _part(part)
                            if converted is not None:
                                answer.add_part(converted)
                        elif text:  # what _part would make of it, without the call
                            answer.add_text("reasoning" if part.thought else "text", text)
            if candidate.finish_reason is not None:
                reason = _finish_reason(candidate)
                if reason is not None:
                    answer.finish_reason = reason

    def on_end(self) -> None:
        record = self.record
        record.response_id = string(self.response_id)
        record.response_model = string(self.response_model)
        _read_usage(record, self.usage)
        candidates = [self.candidates[key] for key in sorted(self.candidates)]
        if self.capture:
            for candidate in candidates:
                candidate.assemble()
        _read_candidates(record, candidates, self.blocked, self.capture)

    def on_error(self, error: BaseException) -> None:
        self.record.error_type = api_error_type(error)


# --- embed_content --------------------------------------------------------------------------------


class _EmbedReader(_Reader):
    def build(self, instance: Any, kwargs: dict[str, Any]) -> Embedding:
        record = _new_record(Embedding, sc.OPERATION_EMBEDDINGS, instance, kwargs)
        config = kwargs.get("config")
        if config is not None:
            record.dimension_count = number(field(config, "output_dimensionality"))
        return record

    def read(self, record: Embedding, result: Any) -> None:
        _read_embeddings(record, result)


def _read_embeddings(record: Embedding, response: Any) -> None:
    """Dimensions from the first vector; input tokens from the usage (newer APIs) or, on Vertex AI, the
    per-input statistics (counted only when every input has one)."""
    embeddings = getattr(response, "embeddings", None) or ()
    if record.dimension_count is None and embeddings:
        values = getattr(embeddings[0], "values", None)
        if isinstance(values, list):
            record.dimension_count = len(values)
    usage = getattr(response, "usage_metadata", None)
    tokens = number(getattr(usage, "prompt_token_count", None)) if usage is not None else None
    if tokens is None and embeddings:
        counts = [getattr(getattr(e, "statistics", None), "token_count", None) for e in embeddings]
        if all(isinstance(count, (int, float)) for count in counts):
            tokens = int(sum(counts))  # type: ignore[arg-type]
    record.input_tokens = tokens


# --- errors ---------------------------------------------------------------------------------------


def api_error_type(error: BaseException) -> str | None:
    """``google.genai.errors.APIError``: its status (``RESOURCE_EXHAUSTED``), else its HTTP code (``503``);
    None for anything else (the default rule, the exception's type, then applies)."""
    if not _is_sdk_type(error, "APIError"):
        return None
    status = getattr(error, "status", None)
    # the API's canonical status (RESOURCE_EXHAUSTED); releases before 1.8 put the HTTP reason phrase
    # ("Too Many Requests") there for a stream's error, which the code says better
    if isinstance(status, str) and status and status.replace("_", "").isalpha() and status.isupper():
        return status
    code = getattr(error, "code", None)
    if isinstance(code, int) and not isinstance(code, bool):
        return str(code)
    return None


# --- content --------------------------------------------------------------------------------------


def input_messages(contents: Any) -> list[InputMessage]:
    """``contents`` as the SDK takes it (a string, a part, a ``Content``, dicts, or a list of any of those)
    as semconv messages: each ``Content`` is a message; loose parts around them make one user message."""
    if contents is None:
        return []
    items = contents if isinstance(contents, (list, tuple)) else [contents]
    messages: list[InputMessage] = []
    loose: list[Part] = []
    for item in items:
        if _is_content(item):
            if loose:
                messages.append(input_message("user", loose))
                loose = []
            parts = _parts(field(item, "parts") or ())
            messages.append(input_message(_role(field(item, "role"), parts), parts))
        else:
            loose.extend(_parts(item))
    if loose:
        messages.append(input_message("user", loose))
    return messages


def _is_content(item: Any) -> bool:
    if isinstance(item, dict):
        return "parts" in item or "role" in item
    return _is_sdk_type(item, "Content")  # chats send UserContent / ModelContent, its subclasses


def _is_sdk_type(item: Any, name: str) -> bool:
    """An instance of the SDK's type ``name`` or a subclass, without importing the SDK here."""
    return any(kind.__name__ == name for kind in type(item).__mro__)


def _role(role: Any, parts: list[Part]) -> str:
    """Gemini's roles: ``model`` is the assistant; a user turn of function responses only is a tool turn."""
    role = string(role) or "user"
    if role == "user" and parts and all(part["type"] == "tool_call_response" for part in parts):
        return "tool"
    return _ROLES.get(role, role)


def _parts(value: Any) -> list[Part]:
    """One part, a list of parts or a ``Content`` (system instructions take any) as semconv parts."""
    if value is None:
        return []
    if _is_content(value):
        value = field(value, "parts") or ()
    items = value if isinstance(value, (list, tuple)) else [value]
    parts: list[Part] = []
    for item in items:
        part = _part(item)
        if part is not None:
            parts.append(part)
    return parts


def _part(part: Any) -> Part | None:
    """One ``Part`` (or its dict, or what the SDK turns into one: a string, an uploaded ``File``)."""
    if isinstance(part, str):
        return text_part(part) if part else None
    text = field(part, "text")
    if isinstance(text, str):
        if not text:
            return None  # a part that only carries a thought signature
        return reasoning_part(text) if field(part, "thought") else text_part(text)
    call = field(part, "function_call")
    if call is not None:
        return tool_call_part(string(field(call, "id")), string(field(call, "name")), field(call, "args"))
    response = field(part, "function_response")
    if response is not None:
        return tool_call_response_part(string(field(response, "id")), field(response, "response"))
    blob = field(part, "inline_data")
    if blob is not None:
        mime_type = string(field(blob, "mime_type"))
        return blob_part(_base64(field(blob, "data")), _modality(mime_type), mime_type)
    file = field(part, "file_data")
    if file is not None:
        mime_type = string(field(file, "mime_type"))
        return uri_part(str(field(file, "file_uri") or ""), _modality(mime_type), mime_type)
    code = field(part, "executable_code")
    if code is not None:
        return server_tool_call_part(string(field(code, "id")), "code_execution")
    server_call = field(part, "tool_call")
    if server_call is not None:
        kind = (_enum_name(field(server_call, "tool_type")) or "server_tool").lower()
        return server_tool_call_part(string(field(server_call, "id")), kind)
    uri = getattr(part, "uri", None)  # an uploaded types.File passed as a part
    if isinstance(uri, str) and uri:
        mime_type = string(getattr(part, "mime_type", None))
        return uri_part(uri, _modality(mime_type), mime_type)
    if isinstance(part, dict):
        key = next((key for key, value in part.items() if value is not None), None)
        return generic_part(str(key)) if key else None
    for name in ("code_execution_result", "tool_response", "video_metadata"):
        if field(part, name) is not None:
            return generic_part(name)
    if _is_sdk_type(part, "Part"):
        return None  # only metadata (a thought signature, media resolution)
    return generic_part(type(part).__name__)  # a PIL image, or anything the SDK converts


def _modality(mime_type: str | None) -> str:
    kind = (mime_type or "").split("/", 1)[0]
    return kind if kind in ("image", "audio", "video") else "document"


def _base64(data: Any) -> str:
    """Inline data as base64 text: the SDK holds bytes; a dict from the application may hold either."""
    if isinstance(data, (bytes, bytearray)):
        return base64.b64encode(bytes(data)).decode("ascii")
    return data if isinstance(data, str) else ""


def tool_definitions(tools: Any, details: bool) -> list[ToolDefinition] | None:
    """``config.tools``: Python functions (run by the SDK), function declarations, and Google's own tools
    (``google_search``, ``code_execution``, ...) as what they are."""
    if not tools:
        return None
    definitions: list[ToolDefinition] = []
    for tool in tools if isinstance(tools, (list, tuple)) else [tools]:
        if callable(tool) and not isinstance(tool, type) and hasattr(tool, "__name__"):
            description = getattr(tool, "__doc__", None) if details else None
            definitions.append(tool_definition("function", tool.__name__, description, details=details))
            continue
        for name, value in _given_fields(tool):
            if name == _FUNCTION_DECLARATIONS:
                for declaration in value or ():
                    definitions.append(_function_definition(declaration, details))
            else:
                definitions.append(tool_definition(name, name))
    return definitions or None


def _given_fields(tool: Any) -> Iterable[tuple[str, Any]]:
    """A ``Tool``'s fields that are set (one per tool, in practice), by name."""
    if isinstance(tool, dict):
        return [(key, value) for key, value in tool.items() if value is not None]
    names = getattr(type(tool), "model_fields", None)
    if names is None:  # an MCP session or another object the SDK adapts
        return [(type(tool).__name__, True)]
    return [(name, value) for name in names if (value := getattr(tool, name, None)) is not None]


def _function_definition(declaration: Any, details: bool) -> ToolDefinition:
    name = string(field(declaration, "name")) or "function"
    if not details:
        return tool_definition("function", name)
    parameters = field(declaration, "parameters")
    if parameters is None:
        parameters = field(declaration, "parameters_json_schema")
    if hasattr(parameters, "model_dump"):
        parameters = parameters.model_dump(mode="json", exclude_none=True)
    return tool_definition("function", name, field(declaration, "description"), parameters, details=True)
