"""AWS Bedrock through botocore (boto3): ``bedrock-runtime`` ``converse``, ``converse_stream``,
``invoke_model`` and ``invoke_model_with_response_stream``; ``bedrock-agent-runtime`` ``retrieve`` (a
retrieval span) and ``retrieve_and_generate``.

The hook is ``botocore.client.BaseClient._make_api_call``, through which every generated client method
goes (``client.converse(**kw)`` is ``self._make_api_call("Converse", kw)``). Wrapping it, rather than the
methods of each client as ``ClientCreator.create_client`` makes it, also traces clients created before
``instrument()`` and leaves nothing on client objects to undo. Every AWS call of the application passes
through it, so the wrapper first reads the client's service name (one attribute and a property) and hands
anything that is not a Bedrock operation we read straight back to botocore. Retries happen inside the
call (botocore's endpoint), so a throttled call that succeeds on its third attempt is one span.

The model families' own JSON (``invoke_model`` bodies and stream chunks: Anthropic, Nova, Titan, Llama,
Mistral, Cohere) is read by ``_bedrock_models``; this module owns the call path: the record, the span, the
response body read without consuming it for the application, and the stream proxies.

Decisions (see ``docs/architecture.md``):

- ``gen_ai.response.id`` is the model's response id. Converse has none, so it is left unset; the request
  id AWS answered with (``x-amzn-RequestId``) goes on ``aws.request_id`` (core semconv), on errors too.
- Usage: Bedrock's ``inputTokens`` leaves out the tokens read from and written to the prompt cache, so
  ``gen_ai.usage.input_tokens = inputTokens + cacheReadInputTokens + cacheWriteInputTokens`` (the semconv
  rule), with the cache counts on their own attributes.
- ``gen_ai.response.finish_reasons`` keeps Bedrock's ``stopReason`` (``end_turn``, ``tool_use``, ...);
  output messages carry the schema's value.
- A Knowledge Base hit's id is its chunk id (``x-amz-bedrock-kb-chunk-id``, unique per hit), else its
  source location (S3 URI, URL, custom document id); scores are Bedrock's relevance (higher is closer).
- ``retrieve`` inside a retrieval already open (a LangChain retriever such as
  ``AmazonKnowledgeBasesRetriever``, an ``@retriever`` function) is that retrieval's database span
  (``retrieve {knowledge base}``, ``db.system.name`` ``aws.bedrock``: none is registered for Knowledge
  Bases), its hits and scores handed up, as a vector store's query is (``docs/architecture.md``).
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from otel_genai import semconv as sc
from otel_genai.instrumentation import _bedrock_models
from otel_genai.instrumentation._base import CallReader, Instrumentor, Target, host_and_port, traced_call
from otel_genai.instrumentation._bedrock_models import (
    content_parts,
    converse_input_messages,
    converse_tool_definitions,
)
from otel_genai.instrumentation._documents import score_of
from otel_genai.instrumentation._stainless import double, number, string, strings
from otel_genai.telemetry.content import (
    Part,
    input_message,
    output_message,
    reasoning_part,
    semconv_finish_reason,
    text_part,
    tool_call_part,
)
from otel_genai.telemetry.handler import TelemetryHandler
from otel_genai.telemetry.records import (
    Embedding,
    Inference,
    Invocation,
    Retrieval,
    RetrievedDocument,
    StoreCall,
    ToolCallRequest,
)
from otel_genai.telemetry.streams import StreamAccumulator, SyncStreamProxy

logger = logging.getLogger("otel_genai")

RUNTIME = "bedrock-runtime"
AGENT_RUNTIME = "bedrock-agent-runtime"
_KB_OPERATION = "retrieve"  # db.operation.name of a Knowledge Base query made inside a retrieval


class BedrockInstrumentor(Instrumentor):
    """Instruments AWS Bedrock calls made with ``boto3`` / ``botocore``."""

    name = "bedrock"

    def targets(self, handler: TelemetryHandler, kwargs: Mapping[str, Any]) -> Iterable[Target]:
        readers: dict[tuple[str, str], CallReader] = {
            (RUNTIME, "Converse"): _ConverseReader(handler, stream=False),
            (RUNTIME, "ConverseStream"): _ConverseReader(handler, stream=True),
            (RUNTIME, "InvokeModel"): _InvokeModelReader(handler, stream=False),
            (RUNTIME, "InvokeModelWithResponseStream"): _InvokeModelReader(handler, stream=True),
            (AGENT_RUNTIME, "Retrieve"): _RetrieveReader(handler),
            (AGENT_RUNTIME, "RetrieveAndGenerate"): _RetrieveAndGenerateReader(handler),
        }
        return [("botocore.client", "BaseClient", "_make_api_call", api_call_wrapper(readers))]


def api_call_wrapper(readers: Mapping[tuple[str, str], CallReader]) -> Any:
    """The wrapper of ``BaseClient._make_api_call``: Bedrock operations we read are traced, every other
    AWS call goes straight through (a service-name lookup, botocore caches it, and one dict lookup)."""
    by_service: dict[str, dict[str, CallReader]] = {}
    for (service, operation), reader in readers.items():
        by_service.setdefault(service, {})[operation] = reader

    def wrapper(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
        try:
            operations = by_service.get(instance._service_model.service_name)
        except Exception:
            operations = None
        if operations is None:
            return wrapped(*args, **kwargs)
        reader = operations.get(args[0] if args else kwargs.get("operation_name"))
        if reader is None:
            return wrapped(*args, **kwargs)
        return traced_call(reader, wrapped, instance, args, kwargs)

    return wrapper


# --- shared pieces -------------------------------------------------------------------------------


def endpoint(client: Any) -> tuple[str | None, int | None]:
    """``server.address`` / ``server.port`` of a botocore client (its resolved endpoint URL)."""
    url = getattr(getattr(client, "meta", None), "endpoint_url", None)
    if not isinstance(url, str):
        return None, None
    return host_and_port(url)


def aws_error_code(error: BaseException) -> str | None:
    """The AWS error code of a botocore ``ClientError`` (``ThrottlingException``; in a stream
    ``modelStreamErrorException``), None for anything else."""
    response = getattr(error, "response", None)
    if isinstance(response, dict):
        code = (response.get("Error") or {}).get("Code")
        if isinstance(code, str) and code:
            return code
    return None


def request_id(response: Any) -> str | None:
    metadata = response.get("ResponseMetadata") if isinstance(response, dict) else None
    value = metadata.get("RequestId") if isinstance(metadata, dict) else None
    return value if isinstance(value, str) and value else None


def _headers(response: Any) -> Mapping[str, Any]:
    metadata = response.get("ResponseMetadata") if isinstance(response, dict) else None
    headers = metadata.get("HTTPHeaders") if isinstance(metadata, dict) else None
    return headers if isinstance(headers, dict) else {}


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _set(attributes: dict[str, Any], name: str, value: Any) -> None:
    """An attribute that is set only when the value is a non-empty string."""
    value = string(value)
    if value:
        attributes[name] = value


class _BedrockReader(CallReader):
    """What every Bedrock operation shares: the endpoint, the request id, the AWS error code, and (unless
    the operation proxies a stream) a response dict read by ``read`` under a guard."""

    api = "Bedrock"  # the operation's name, for logs

    def on_error(self, record: Invocation, error: BaseException) -> None:
        code = aws_error_code(error)
        if code:
            record.error_type = code
        self.remember_request_id(record, getattr(error, "response", None))

    @staticmethod
    def remember_request_id(record: Invocation, response: Any) -> None:
        _set(record.response_attributes, sc.AWS_REQUEST_ID, request_id(response))

    def on_result(self, record: Any, result: Any) -> Any:
        self.remember_request_id(record, result)
        if not isinstance(result, dict):  # nothing to read: the span ends with what the request said
            self.handler.finish(record)
            return result
        return super().on_result(record, result)


def _record(record_type: type[Invocation], instance: Any, model: Any, operation: str, **fields: Any) -> Any:
    address, port = endpoint(instance)
    return record_type(
        operation=operation,
        provider=sc.PROVIDER_AWS_BEDROCK,
        request_model=string(model),
        server_address=address,
        server_port=port,
        **fields,
    )


def _inference(instance: Any, model: Any, *, stream: bool) -> Inference:
    record: Inference = _record(Inference, instance, model, sc.OPERATION_CHAT, stream=stream)
    return record


def _read_inference_config(record: Inference, config: dict[str, Any]) -> None:
    """Converse's ``inferenceConfig`` and RetrieveAndGenerate's ``textInferenceConfig``: the same fields."""
    record.max_tokens = number(config.get("maxTokens"))
    record.temperature = double(config.get("temperature"))
    record.top_p = double(config.get("topP"))
    record.stop_sequences = strings(config.get("stopSequences"))


class _BedrockStreamAccumulator(StreamAccumulator):
    """A Bedrock event stream: an exception event mid-stream fails the span with its AWS code."""

    __slots__ = ()

    def on_error(self, error: BaseException) -> None:
        code = aws_error_code(error)
        if code:
            self.record.error_type = code


# --- Converse / ConverseStream --------------------------------------------------------------------


class _ConverseReader(_BedrockReader):
    api = "Converse"

    def __init__(self, handler: TelemetryHandler, *, stream: bool) -> None:
        super().__init__(handler)
        self.stream = stream

    def build(self, instance: Any, kwargs: dict[str, Any]) -> Inference:
        params = _dict(kwargs.get("api_params"))
        record = _inference(instance, params.get("modelId"), stream=self.stream)
        _read_inference_config(record, _dict(params.get("inferenceConfig")))
        extra = _dict(params.get("additionalModelRequestFields"))
        if extra:
            record.top_k = model_top_k(extra)
            record.reasoning_level = _reasoning_level(extra)
        guardrail = _dict(params.get("guardrailConfig")).get("guardrailIdentifier")
        _set(record.request_attributes, sc.AWS_BEDROCK_GUARDRAIL_ID, guardrail)
        # fingerprint sources, whatever the capture mode: references, hashed as the span ends
        record.instructions = params.get("system")
        record.tool_schemas = _dict(params.get("toolConfig")).get("tools")
        return record

    def capture_request(self, record: Inference, kwargs: dict[str, Any]) -> None:
        params = _dict(kwargs.get("api_params"))
        record.input_messages = converse_input_messages(params.get("messages"))
        system = params.get("system")
        if system:
            record.system_instructions = content_parts(system)
        record.tool_definitions = converse_tool_definitions(
            _dict(params.get("toolConfig")).get("tools"), self.handler.tool_definition_details
        )

    def on_result(self, record: Inference, result: Any) -> Any:
        if not self.stream:
            return super().on_result(record, result)
        self.remember_request_id(record, result)
        events = result.get("stream") if isinstance(result, dict) else None
        if events is None:  # no event stream to proxy: the span ends unread
            self.handler.finish(record)
            return result
        result["stream"] = SyncStreamProxy(events, _ConverseStreamAccumulator(self.handler, record))
        return result

    def read(self, record: Inference, response: dict[str, Any]) -> None:
        stop_reason = string(response.get("stopReason"))
        record.finish_reasons = [stop_reason or "error"]
        read_converse_usage(record, response.get("usage"))
        message = _dict(_dict(response.get("output")).get("message"))
        blocks = message.get("content") or ()
        calls = [
            ToolCallRequest(string(use.get("toolUseId")), string(use.get("name")))
            for use in (_dict(block).get("toolUse") for block in blocks)
            if isinstance(use, dict)
        ]
        if calls:
            record.tool_calls = calls
        if self.handler.wants_content(record):
            record.output_messages = [
                output_message(
                    content_parts(blocks),
                    semconv_finish_reason(stop_reason),
                    string(message.get("role")) or "assistant",
                )
            ]


def read_converse_usage(record: Inference, usage: Any) -> None:
    """Converse ``TokenUsage``: input tokens are reported without the cache; the semconv count includes it."""
    if not isinstance(usage, dict):
        return
    cache_read = number(usage.get("cacheReadInputTokens"))
    cache_write = number(usage.get("cacheWriteInputTokens"))
    input_tokens = number(usage.get("inputTokens"))
    if input_tokens is not None:
        record.input_tokens = input_tokens + (cache_read or 0) + (cache_write or 0)
    record.output_tokens = number(usage.get("outputTokens"))
    record.cache_read_input_tokens = cache_read
    record.cache_write_input_tokens = cache_write


def model_top_k(extra: dict[str, Any]) -> int | None:
    """Top-k from ``additionalModelRequestFields``: ``top_k`` (Anthropic, Mistral), ``topK``,
    ``inferenceConfig.topK`` (Nova), ``k`` (Cohere)."""
    for value in (
        extra.get("top_k"),
        extra.get("topK"),
        _dict(extra.get("inferenceConfig")).get("topK"),
        extra.get("k"),
    ):
        top_k = number(value)
        if top_k is not None:
            return int(top_k)
    return None


def _reasoning_level(extra: dict[str, Any]) -> str | None:
    """The effort string sent: ``reasoning_effort`` (OpenAI-style models), Nova's
    ``reasoningConfig.maxReasoningEffort``."""
    return string(extra.get("reasoning_effort")) or string(
        _dict(extra.get("reasoningConfig")).get("maxReasoningEffort")
    )


class _BlockState:
    __slots__ = ("reasoning", "text", "tool_call", "tool_input")

    def __init__(self) -> None:
        self.text: list[str] = []
        self.reasoning: list[str] = []
        self.tool_call: ToolCallRequest | None = None
        self.tool_input: list[str] = []


class _ConverseStreamAccumulator(_BedrockStreamAccumulator):
    """Assembles ``ConverseStream`` events: content blocks by index, stop reason, usage."""

    __slots__ = ("blocks", "capture", "role", "stop_reason", "usage")

    def __init__(self, handler: TelemetryHandler, record: Inference) -> None:
        super().__init__(handler, record)
        self.capture = handler.wants_content(record)
        self.blocks: dict[int, _BlockState] = {}
        self.role: str | None = None
        self.stop_reason: str | None = None
        self.usage: Any = None

    def _block(self, event: dict[str, Any]) -> _BlockState:
        index = event.get("contentBlockIndex") or 0
        state = self.blocks.get(index)
        if state is None:
            state = self.blocks[index] = _BlockState()
        return state

    def on_chunk(self, chunk: Any) -> None:
        delta_event = chunk.get("contentBlockDelta")
        if delta_event is not None:
            if self.capture:  # deltas are content only: without capture they teach nothing
                self._delta(delta_event)
            return
        start_event = chunk.get("contentBlockStart")
        if start_event is not None:
            use = _dict(start_event.get("start")).get("toolUse")
            if isinstance(use, dict):
                self._block(start_event).tool_call = ToolCallRequest(
                    string(use.get("toolUseId")), string(use.get("name"))
                )
            return
        if "messageStart" in chunk:
            self.role = string(_dict(chunk["messageStart"]).get("role"))
        elif "messageStop" in chunk:
            self.stop_reason = string(_dict(chunk["messageStop"]).get("stopReason"))
        elif "metadata" in chunk:
            self.usage = _dict(chunk["metadata"]).get("usage")

    def _delta(self, event: dict[str, Any]) -> None:
        delta = event.get("delta") or {}
        state = self._block(event)
        if "text" in delta:
            state.text.append(delta["text"])
        elif "toolUse" in delta:
            state.tool_input.append(delta["toolUse"].get("input") or "")
        elif "reasoningContent" in delta:
            text = delta["reasoningContent"].get("text")
            if text:
                state.reasoning.append(text)

    def on_end(self) -> None:
        record = self.record
        read_converse_usage(record, self.usage)
        # a message that started (messageStart, read in every capture mode; text blocks are only kept
        # with capture on) and got no stopReason ended early: "error", whatever the capture mode
        if self.stop_reason is None and not self.blocks and self.role is None:
            return
        record.finish_reasons = [self.stop_reason or "error"]
        states = [self.blocks[index] for index in sorted(self.blocks)]
        calls = [state.tool_call for state in states if state.tool_call is not None]
        if calls:
            record.tool_calls = calls
        if not self.capture:
            return
        parts: list[Part] = []
        for state in states:
            if state.reasoning:
                parts.append(reasoning_part("".join(state.reasoning)))
            if state.text:
                parts.append(text_part("".join(state.text)))
            if state.tool_call is not None:
                call = state.tool_call
                parts.append(tool_call_part(call.id, call.name, "".join(state.tool_input) or None))
        record.output_messages = [
            output_message(parts, semconv_finish_reason(self.stop_reason), self.role or "assistant")
        ]


# --- InvokeModel / InvokeModelWithResponseStream ------------------------------------------------------


def _request_body(params: dict[str, Any]) -> dict[str, Any] | None:
    """The JSON the application sent (bytes or text; a file object is left alone: reading it would move
    the application's position)."""
    body = params.get("body")
    if isinstance(body, (bytes, bytearray, str)):
        try:
            parsed = json.loads(body)
        except ValueError:
            return None
        return parsed if isinstance(parsed, dict) else None
    return None


@dataclass(slots=True)
class _InvokeInference(Inference):
    """An InvokeModel* chat or completion, with the model family that reads its JSON and the request body
    ``build`` parsed (kept for ``capture_request`` only, which drops it)."""

    family: Any = None
    body: dict[str, Any] | None = None


@dataclass(slots=True)
class _InvokeEmbedding(Embedding):
    """An InvokeModel embeddings call (Titan Embeddings, Cohere Embed), with its model family and the
    request body, as ``_InvokeInference``."""

    family: Any = None
    body: dict[str, Any] | None = None


class _InvokeModelReader(_BedrockReader):
    """The call path of InvokeModel*: the model family (``_bedrock_models``) reads the JSON."""

    def __init__(self, handler: TelemetryHandler, *, stream: bool) -> None:
        super().__init__(handler)
        self.stream = stream

    def build(self, instance: Any, kwargs: dict[str, Any]) -> Invocation:
        params = _dict(kwargs.get("api_params"))
        model = string(params.get("modelId"))
        body = _request_body(params)
        family = _bedrock_models.family_for(model, body)
        record: _InvokeInference | _InvokeEmbedding
        if family is not None and issubclass(family.record_type, Embedding):
            record = _record(_InvokeEmbedding, instance, model, sc.OPERATION_EMBEDDINGS, family=family)
        else:
            record = _record(
                _InvokeInference, instance, model, sc.OPERATION_CHAT, family=family, stream=self.stream
            )
        _set(record.request_attributes, sc.AWS_BEDROCK_GUARDRAIL_ID, params.get("guardrailIdentifier"))
        if family is not None and body is not None:
            family.read_request(record, body, False)
            record.body = body
        return record

    def capture_request(self, record: _InvokeInference | _InvokeEmbedding, kwargs: dict[str, Any]) -> None:
        body, record.body = record.body, None
        if record.family is not None and body is not None:
            record.family.read_content(record, body, self.handler.tool_definition_details)

    def on_result(self, record: _InvokeInference | _InvokeEmbedding, result: Any) -> Any:
        record.body = None  # content was not wanted: the parsed request need not live as long as the span
        self.remember_request_id(record, result)
        if not isinstance(result, dict):
            self.handler.finish(record)
            return result
        family = record.family
        if self.stream and isinstance(record, Inference):
            events = result.get("body")
            if events is not None:
                chunks = family.chunk_reader() if family is not None else _bedrock_models.ChunkReader()
                result["body"] = SyncStreamProxy(
                    events, _InvokeStreamAccumulator(self.handler, record, chunks)
                )
                return result
        data, error = _read_body(result)
        if error is not None:
            self.handler.fail(record, error)
            return result
        if family is not None and data:
            try:
                family.read_response(record, json.loads(data), self.handler.wants_content(record))
            except ValueError:
                logger.debug("otel_genai: an InvokeModel body that is not JSON", exc_info=True)
        _bedrock_models.read_usage_headers(record, _headers(result))
        self.handler.finish(record)
        return result


def _read_body(result: dict[str, Any]) -> tuple[bytes | None, BaseException | None]:
    """Read InvokeModel's ``StreamingBody`` and hand the application an equivalent one over the same bytes.

    A body that fails to read is replaced by one that raises the same exception object when the
    application reads it; that error is also the call's outcome.
    """
    from botocore.response import StreamingBody

    body = result.get("body")
    if not isinstance(body, StreamingBody):
        return None, None
    try:
        data = body.read()
    except Exception as error:
        result["body"] = StreamingBody(_FailedRead(error), None)
        return None, error
    result["body"] = StreamingBody(io.BytesIO(data), len(data))
    return data, None


class _FailedRead(io.RawIOBase):
    """A body whose read fails the way the original did (the same exception object)."""

    def __init__(self, error: BaseException) -> None:
        super().__init__()
        self._error = error

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        raise self._error


class _InvokeStreamAccumulator(_BedrockStreamAccumulator):
    """``chunk`` events: each carries the model's JSON (bytes), which the family's chunk reader reads
    (Bedrock's invocation metrics on the last one included)."""

    __slots__ = ("capture", "chunks")

    def __init__(self, handler: TelemetryHandler, record: Inference, chunks: Any) -> None:
        super().__init__(handler, record)
        self.capture = handler.wants_content(record)
        self.chunks = chunks

    def on_chunk(self, chunk: Any) -> None:
        part = chunk.get("chunk")
        if part is not None:
            self.chunks.feed(json.loads(part.get("bytes") or b"null"))

    def on_end(self) -> None:
        self.chunks.finish(self.record, self.capture)


# --- Knowledge Bases (bedrock-agent-runtime) ----------------------------------------------------------


class _RetrieveReader(_BedrockReader):
    """``retrieve``: a retrieval span with the knowledge base, top-k, hit ids and scores; inside a
    retrieval already open (a LangChain retriever, an ``@retriever`` function), that retrieval's database
    span (``retrieve {knowledge base}``), whose hits and scores are handed up to it, as a vector store's."""

    api = "Retrieve"

    def build(self, instance: Any, kwargs: dict[str, Any]) -> StoreCall:
        params = _dict(kwargs.get("api_params"))
        knowledge_base = string(params.get("knowledgeBaseId"))
        search = _dict(_dict(params.get("retrievalConfiguration")).get("vectorSearchConfiguration"))
        top_k = number(search.get("numberOfResults"))
        address, port = endpoint(instance)
        record: StoreCall
        if self.handler.active_retrieval() is not None:
            record = StoreCall(
                operation=_KB_OPERATION,
                provider=None,
                db_system=sc.PROVIDER_AWS_BEDROCK,  # no db.system.name is registered for Knowledge Bases
                collection=knowledge_base,
                db_operation=_KB_OPERATION,
                server_address=address,
                server_port=port,
            )
        else:
            record = Retrieval(
                operation=sc.OPERATION_RETRIEVAL,
                provider=sc.PROVIDER_AWS_BEDROCK,
                server_address=address,
                server_port=port,
                data_source_id=knowledge_base,
                top_k=int(top_k) if top_k is not None else None,
            )
        _set(record.request_attributes, sc.AWS_BEDROCK_KNOWLEDGE_BASE_ID, knowledge_base)
        guardrail = _dict(params.get("guardrailConfiguration")).get("guardrailId")
        _set(record.request_attributes, sc.AWS_BEDROCK_GUARDRAIL_ID, guardrail)
        return record

    def capture_request(self, record: StoreCall, kwargs: dict[str, Any]) -> None:
        if isinstance(record, Retrieval):  # a database span carries no content
            query = _dict(_dict(kwargs.get("api_params")).get("retrievalQuery")).get("text")
            record.query_text = string(query)

    def read(self, record: StoreCall, response: dict[str, Any]) -> None:
        results = response.get("retrievalResults")
        if isinstance(results, list):
            capture = isinstance(record, Retrieval) and self.handler.wants_content(record)
            record.documents = [_document(_dict(hit), capture) for hit in results]
            record.returned_rows = len(results)
            record.score_kind = "similarity"


def _document(hit: dict[str, Any], capture: bool) -> RetrievedDocument:
    content = _dict(hit.get("content")).get("text") if capture else None
    return RetrievedDocument(
        id=knowledge_base_document_id(hit),
        score=score_of(hit.get("score")),
        content=content if isinstance(content, str) else None,
    )


def knowledge_base_document_id(hit: dict[str, Any]) -> str | None:
    """A hit's chunk id (unique per hit), else the location it came from."""
    metadata = _dict(hit.get("metadata"))
    chunk = metadata.get("x-amz-bedrock-kb-chunk-id")
    if isinstance(chunk, str) and chunk:
        return chunk
    location = _dict(hit.get("location"))
    for key, field_name in (
        ("s3Location", "uri"),
        ("webLocation", "url"),
        ("confluenceLocation", "url"),
        ("salesforceLocation", "url"),
        ("sharePointLocation", "url"),
        ("kendraDocumentLocation", "uri"),
        ("customDocumentLocation", "id"),
    ):
        value = _dict(location.get(key)).get(field_name)
        if isinstance(value, str) and value:
            return value
    source = metadata.get("x-amz-bedrock-kb-source-uri")
    return source if isinstance(source, str) and source else None


class _RetrieveAndGenerateReader(_BedrockReader):
    """``retrieve_and_generate``: a chat span (the generation) naming its knowledge base and session."""

    api = "RetrieveAndGenerate"

    def build(self, instance: Any, kwargs: dict[str, Any]) -> Inference:
        params = _dict(kwargs.get("api_params"))
        config = _dict(params.get("retrieveAndGenerateConfiguration"))
        source = _dict(config.get("knowledgeBaseConfiguration")) or _dict(
            config.get("externalSourcesConfiguration")
        )
        record = _inference(instance, source.get("modelArn"), stream=False)
        generation = _dict(source.get("generationConfiguration"))
        _read_inference_config(
            record, _dict(_dict(generation.get("inferenceConfig")).get("textInferenceConfig"))
        )
        extra = _dict(generation.get("additionalModelRequestFields"))
        if extra:
            record.top_k = model_top_k(extra)
        record.conversation_id = string(params.get("sessionId"))
        _set(record.request_attributes, sc.AWS_BEDROCK_KNOWLEDGE_BASE_ID, source.get("knowledgeBaseId"))
        guardrail = _dict(generation.get("guardrailConfiguration")).get("guardrailId")
        _set(record.request_attributes, sc.AWS_BEDROCK_GUARDRAIL_ID, guardrail)
        # the generation's prompt template is this API's system instructions (the prompt fingerprint)
        record.instructions = _dict(generation.get("promptTemplate")).get("textPromptTemplate")
        return record

    def capture_request(self, record: Inference, kwargs: dict[str, Any]) -> None:
        text = _dict(_dict(kwargs.get("api_params")).get("input")).get("text")
        if isinstance(text, str):
            record.input_messages = [input_message("user", [text_part(text)])]

    def read(self, record: Inference, response: dict[str, Any]) -> None:
        session = string(response.get("sessionId"))
        if session and record.conversation_id is None:
            record.response_attributes[sc.GEN_AI_CONVERSATION_ID] = session
        # no stop reason in this API: a guardrail that intervened is the only reason it reports
        finish = "content_filter" if response.get("guardrailAction") == "INTERVENED" else "stop"
        if self.handler.wants_content(record):
            text = _dict(response.get("output")).get("text")
            if isinstance(text, str):
                record.output_messages = [output_message([text_part(text)], finish)]
