"""Cohere's v2 client (``cohere.ClientV2`` / ``AsyncClientV2``) against Cohere's API answered locally.

What the cross-provider promises (``tests/test_providers.py``) do not already hold: Cohere's request
parameters and answers (usage from ``usage.billed_units``, its finish reasons, tool plans, thinking), streams
read the ways an application reads a generator, ``embed``, ``rerank`` as a retrieval (alone and inside an
application's retriever), API errors, and clients built before ``instrument()``.
"""

from __future__ import annotations

import gc
import inspect
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

pytest.importorskip("cohere")

import cohere
import httpx
from opentelemetry import trace
from opentelemetry.instrumentation.utils import suppress_instrumentation
from opentelemetry.trace import SpanKind, StatusCode

import otel_genai
from helpers.api import END, SyncOrAsync
from helpers.conformance import assert_conforms
from helpers.providers import ANSWER, ANSWER_PIECES, TOOL_ARGUMENTS, TOOL_NAME, TOOL_SCHEMA
from helpers.providers_cohere import (
    BILLED,
    CHAT_ID,
    EMBED_ID,
    NO_RETRIES,
    RERANK_ID,
    STREAM_ID,
    TOKENS,
    TOOL_CALL_ID,
    TOOL_PLAN,
    FakeCohere,
    chat_response,
    embed_response,
    make_client,
    rerank_response,
    sse,
    stream_events,
    tool_call,
)
from helpers.telemetry import Telemetry, ended_once, settle, span_content

MODEL = "command-a-03-2025"
RERANK_MODEL = "rerank-v3.5"
EMBED_MODEL = "embed-v4.0"
PROMPT = "What is the capital of France?"
DOCUMENTS = ["Paris is the capital of France.", "Berlin is in Germany.", "France borders Spain."]
TOOL = {
    "type": "function",
    "function": {"name": TOOL_NAME, "description": "Weather.", "parameters": TOOL_SCHEMA},
}


class Api(SyncOrAsync):
    """The same calls on ``ClientV2`` and ``AsyncClientV2``."""

    def __init__(self, fake: FakeCohere, is_async: bool) -> None:
        self.fake = fake
        self.async_client = is_async
        self.client = make_client(fake, is_async=is_async)

    @property
    def is_async(self) -> bool:
        return self.async_client

    async def chat(self, **kwargs: Any) -> Any:
        kwargs.setdefault("messages", [{"role": "user", "content": PROMPT}])
        return await self._await(self.client.chat(model=MODEL, **kwargs))

    def chat_stream(self, **kwargs: Any) -> Any:
        kwargs.setdefault("messages", [{"role": "user", "content": PROMPT}])
        return self.client.chat_stream(model=MODEL, **kwargs)

    async def embed(self, **kwargs: Any) -> Any:
        return await self._await(self.client.embed(model=EMBED_MODEL, input_type="search_document", **kwargs))

    async def rerank(self, **kwargs: Any) -> Any:
        kwargs.setdefault("documents", DOCUMENTS)
        return await self._await(self.client.rerank(model=RERANK_MODEL, query=PROMPT, **kwargs))

    async def close(self, stream: Any) -> None:
        if self.is_async:
            await stream.aclose()
        else:
            stream.close()


@pytest.fixture
def fake() -> FakeCohere:
    return FakeCohere()


@pytest.fixture(params=["sync", "async"])
def api(request: pytest.FixtureRequest, fake: FakeCohere) -> Api:
    """Built before the test instruments (fixture order): the SDK binds ``chat`` onto each client as it
    is built, so this is also the client an application made before ``instrument()``."""
    return Api(fake, request.param == "async")


def text_of(events: list[Any]) -> str:
    return "".join(e.delta.message.content.text or "" for e in events if e.type == "content-delta")


# === chat ==================================================================================================


# ``thinking`` is not a parameter of older releases (5.16 has none)
THINKING = "thinking" in inspect.signature(cohere.ClientV2.chat_stream).parameters


async def test_chat_request_and_answer(api: Api, telemetry: Telemetry) -> None:
    api.fake.reply(chat_response(ANSWER, cached=40))
    thinking = {"thinking": {"type": "enabled", "token_budget": 512}} if THINKING else {}
    response = await api.chat(
        temperature=0.3,
        p=0.75,
        k=40,
        max_tokens=256,
        seed=7,
        stop_sequences=["\n\n"],
        frequency_penalty=0.1,
        presence_penalty=0.2,
        response_format={"type": "json_object"},
        documents=["Paris is the capital of France.", {"data": {"title": "Spain"}, "id": "doc-2"}],
        **thinking,
    )

    assert response.message.content[0].text == ANSWER
    span = assert_conforms(telemetry, operation="chat", content=False)
    attributes = dict(span.attributes or {})
    assert span.name == f"chat {MODEL}" and span.kind is SpanKind.CLIENT
    assert attributes["gen_ai.provider.name"] == "cohere"
    assert (attributes["server.address"], attributes["server.port"]) == ("api.cohere.com", 443)
    assert attributes["gen_ai.request.temperature"] == 0.3
    assert attributes["gen_ai.request.top_p"] == 0.75
    assert attributes["gen_ai.request.top_k"] == 40
    assert attributes["gen_ai.request.max_tokens"] == 256
    assert attributes["gen_ai.request.seed"] == 7
    assert attributes["gen_ai.request.stop_sequences"] == ("\n\n",)
    assert attributes["gen_ai.request.frequency_penalty"] == 0.1
    assert attributes["gen_ai.request.presence_penalty"] == 0.2
    assert attributes["gen_ai.output.type"] == "json"
    assert attributes.get("gen_ai.request.reasoning.level") == ("enabled" if THINKING else None)
    assert attributes["cohere.request.document.count"] == 2
    assert attributes["gen_ai.response.id"] == CHAT_ID
    assert attributes["gen_ai.response.finish_reasons"] == ("COMPLETE",)
    # billed_units, not usage.tokens (which also count Cohere's own prompt template)
    assert (
        attributes["gen_ai.usage.input_tokens"],
        attributes["gen_ai.usage.output_tokens"],
    ) == BILLED  # billed counts, as the conventions ask where both are given
    assert TOKENS != BILLED
    assert attributes["gen_ai.usage.cache_read.input_tokens"] == 40
    assert "gen_ai.request.stream" not in attributes
    assert api.fake.sent()["model"] == MODEL  # the request went out as the application made it


async def test_chat_content(api: Api, content_telemetry: Telemetry) -> None:
    api.fake.reply(chat_response("It is sunny in Paris.", thinking="The tool said sunny."))
    messages = [
        {"role": "system", "content": "You are terse."},
        {"role": "user", "content": [{"type": "text", "text": "Weather in Paris?"}]},
        {"role": "assistant", "tool_plan": TOOL_PLAN, "tool_calls": [tool_call()]},
        {
            "role": "tool",
            "tool_call_id": TOOL_CALL_ID,
            "content": [{"type": "document", "document": {"data": {"forecast": "sunny"}}}],
        },
    ]

    await api.chat(messages=messages, tools=[TOOL])

    span = assert_conforms(content_telemetry, operation="chat", content=True)
    assert span_content(span, "gen_ai.input.messages") == [
        {"role": "system", "parts": [{"type": "text", "content": "You are terse."}]},
        {"role": "user", "parts": [{"type": "text", "content": "Weather in Paris?"}]},
        {
            "role": "assistant",
            "parts": [
                {"type": "reasoning", "content": TOOL_PLAN},
                {"type": "tool_call", "id": TOOL_CALL_ID, "name": TOOL_NAME, "arguments": TOOL_ARGUMENTS},
            ],
        },
        {
            "role": "tool",
            "parts": [
                {"type": "tool_call_response", "id": TOOL_CALL_ID, "response": [{"forecast": "sunny"}]}
            ],
        },
    ]
    assert span_content(span, "gen_ai.output.messages") == [
        {
            "role": "assistant",
            "parts": [
                {"type": "reasoning", "content": "The tool said sunny."},
                {"type": "text", "content": "It is sunny in Paris."},
            ],
            "finish_reason": "stop",
        }
    ]
    assert span_content(span, "gen_ai.tool.definitions") == [{"type": "function", "name": TOOL_NAME}]


async def test_typed_messages_are_read_like_dicts(api: Api, content_telemetry: Telemetry) -> None:
    api.fake.reply(chat_response(ANSWER))
    messages = [cohere.SystemChatMessageV2(content="Be brief."), cohere.UserChatMessageV2(content=PROMPT)]

    await api.chat(messages=messages)

    span = content_telemetry.span()
    assert [m["role"] for m in span_content(span, "gen_ai.input.messages")] == ["system", "user"]
    assert span.attributes["otel_genai.prompt.fingerprint"]  # the system message, hashed


async def test_tool_call_ids_without_content(api: Api, telemetry: Telemetry) -> None:
    api.fake.reply(
        chat_response(None, tool_calls=[tool_call()], tool_plan=TOOL_PLAN, finish_reason="TOOL_CALL")
    )

    response = await api.chat(tools=[TOOL])

    assert response.message.tool_calls[0].id == TOOL_CALL_ID
    attributes = dict(telemetry.span().attributes or {})
    assert attributes["gen_ai.response.finish_reasons"] == ("TOOL_CALL",)
    assert attributes["otel_genai.response.tool_call.ids"] == (TOOL_CALL_ID,)
    assert attributes["otel_genai.response.tool_call.names"] == (TOOL_NAME,)
    assert TOOL_PLAN not in json.dumps(attributes)


async def test_a_generation_that_ended_in_error_fails_the_span(api: Api, telemetry: Telemetry) -> None:
    api.fake.reply(chat_response("", finish_reason="ERROR"))

    response = await api.chat()

    assert response.finish_reason == "ERROR"  # the application gets its answer as it came
    span = assert_conforms(telemetry, operation="chat", failed=True, error_type="ERROR")
    assert span.status.status_code is StatusCode.ERROR


async def test_with_raw_response_is_one_span(api: Api, telemetry: Telemetry) -> None:
    api.fake.reply(chat_response(ANSWER))

    raw = await api._await(
        api.client.with_raw_response.chat(model=MODEL, messages=[{"role": "user", "content": "x"}])
    )

    assert raw.data.id == CHAT_ID
    [span] = telemetry.spans()
    assert span.attributes["gen_ai.response.id"] == CHAT_ID


async def test_a_raw_stream_never_entered_ends_its_span_when_collected(
    api: Api, telemetry: Telemetry
) -> None:
    """``with_raw_response.chat_stream(...)`` returns a context manager that sends the request when entered:
    one dropped unentered sent nothing, and its span still ends (once)."""
    manager = api.client.with_raw_response.chat_stream(
        model=MODEL, messages=[{"role": "user", "content": "x"}]
    )
    assert telemetry.spans() == []

    del manager
    gc.collect()

    span = ended_once(telemetry)
    assert span.attributes["gen_ai.request.model"] == MODEL
    assert api.fake.requests == []


async def test_server_from_the_clients_base_url(fake: FakeCohere, telemetry: Telemetry) -> None:
    fake.reply(chat_response(ANSWER))
    client = make_client(fake, base_url="http://127.0.0.1:8089")

    client.chat(model=MODEL, messages=[{"role": "user", "content": PROMPT}])

    attributes = telemetry.span().attributes
    assert (attributes["server.address"], attributes["server.port"]) == ("127.0.0.1", 8089)
    assert str(fake.requests[0].url) == "http://127.0.0.1:8089/v2/chat"


# === errors ================================================================================================


@pytest.mark.parametrize(
    ("status", "body", "error_class", "error_type"),
    [
        (429, {"message": "too many tokens"}, "TooManyRequestsError", "429"),
        (
            400,
            {"message": "invalid request: bad model", "code": "invalid_model"},
            "BadRequestError",
            "invalid_model",
        ),
        (503, "upstream overloaded", "ServiceUnavailableError", "503"),
    ],
)
async def test_api_errors(
    api: Api,
    telemetry: Telemetry,
    failures: list[BaseException],
    status: int,
    body: Any,
    error_class: str,
    error_type: str,
) -> None:
    api.fake.reply(body, status=status)

    with pytest.raises(getattr(cohere, error_class)) as raised:
        await api.chat(request_options=NO_RETRIES)

    assert failures == [raised.value]  # the SDK's own exception object reaches the application
    span = assert_conforms(telemetry, operation="chat", failed=True, error_type=error_type, content=False)
    assert span.status.description == error_type


async def test_a_transport_error_is_its_type(api: Api, telemetry: Telemetry) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    api.client = make_client(refuse, is_async=api.is_async)  # type: ignore[arg-type]
    with pytest.raises(httpx.ConnectError):
        await api.chat(request_options=NO_RETRIES)

    assert telemetry.span().attributes["error.type"] == "ConnectError"


# === chat_stream ===========================================================================================


async def test_stream_consumed(api: Api, telemetry: Telemetry) -> None:
    api.fake.reply(stream=sse(stream_events(cached=3)))
    stream = api.chat_stream(temperature=0.5)

    assert not api.fake.requests  # a generator: nothing is sent before it is iterated
    events = await api.drain(stream)

    assert text_of(events) == ANSWER
    assert events[0].type == "message-start"
    span = assert_conforms(telemetry, operation="chat", content=False, stream=True)
    attributes = dict(span.attributes or {})
    assert attributes["gen_ai.request.stream"] is True
    assert attributes["gen_ai.request.temperature"] == 0.5
    assert attributes["gen_ai.response.id"] == STREAM_ID
    assert attributes["gen_ai.response.finish_reasons"] == ("COMPLETE",)
    assert (attributes["gen_ai.usage.input_tokens"], attributes["gen_ai.usage.output_tokens"]) == BILLED
    assert attributes["gen_ai.usage.cache_read.input_tokens"] == 3
    assert attributes["gen_ai.response.time_to_first_chunk"] >= 0
    ended_once(telemetry)


async def test_stream_that_is_never_iterated_sends_nothing_and_traces_nothing(
    api: Api, telemetry: Telemetry
) -> None:
    api.fake.reply(stream=sse(stream_events()))
    stream = api.chat_stream()
    del stream
    gc.collect()
    await settle(telemetry, spans=0)

    assert not api.fake.requests
    assert telemetry.spans() == []


async def test_stream_with_tool_calls_and_content(api: Api, content_telemetry: Telemetry) -> None:
    pieces = ['{"city":', ' "Paris"}']
    api.fake.reply(
        stream=sse(
            stream_events(
                (),
                tool_plan=["I will look up ", "the weather."],
                tool_calls=[(TOOL_CALL_ID, TOOL_NAME, pieces)],
                finish_reason="TOOL_CALL",
            )
        )
    )

    events = await api.drain(api.chat_stream(tools=[TOOL]))

    assert [e.type for e in events].count("tool-call-delta") == len(pieces)
    span = assert_conforms(content_telemetry, operation="chat", content=True, stream=True)
    assert span.attributes["otel_genai.response.tool_call.ids"] == (TOOL_CALL_ID,)
    assert span_content(span, "gen_ai.output.messages") == [
        {
            "role": "assistant",
            "parts": [
                {"type": "reasoning", "content": "I will look up the weather."},
                {"type": "tool_call", "id": TOOL_CALL_ID, "name": TOOL_NAME, "arguments": TOOL_ARGUMENTS},
            ],
            "finish_reason": "tool_call",
        }
    ]


async def test_stream_broken_off_ends_the_span_once(
    api: Api, make_telemetry: Callable[..., Telemetry]
) -> None:
    telemetry = make_telemetry(capture_content=True)
    api.fake.reply(stream=sse(stream_events()))
    stream = api.chat_stream()

    received = ""
    while not received:
        event = await api.next(stream)
        assert event is not END
        if event.type == "content-delta":
            received = event.delta.message.content.text
    assert telemetry.spans() == []
    await api.close(stream)  # what ``break`` out of a ``for`` does to a generator when it is dropped

    span = ended_once(telemetry)
    assert span.status.status_code is StatusCode.UNSET
    assert span.attributes["gen_ai.response.finish_reasons"] == ("error",)  # no finish reason arrived
    [message] = span_content(span, "gen_ai.output.messages")
    assert message["parts"] == [{"type": "text", "content": received}]
    await api.close(stream)
    ended_once(telemetry)


async def test_stream_abandoned_ends_when_collected(api: Api, telemetry: Telemetry) -> None:
    api.fake.reply(stream=sse(stream_events()))
    stream = api.chat_stream()
    assert (await api.next(stream)).type == "message-start"

    del stream
    gc.collect()
    await settle(telemetry)

    span = ended_once(telemetry)
    assert span.attributes["gen_ai.response.id"] == STREAM_ID


async def test_stream_refused_fails_the_span(
    api: Api, telemetry: Telemetry, failures: list[BaseException]
) -> None:
    api.fake.reply({"message": "too many requests"}, status=429)
    stream = api.chat_stream(request_options=NO_RETRIES)

    with pytest.raises(cohere.TooManyRequestsError) as raised:
        await api.next(stream)

    assert failures == [raised.value]
    assert_conforms(telemetry, operation="chat", failed=True, error_type="429", stream=True)


async def test_stream_ending_in_error(api: Api, telemetry: Telemetry) -> None:
    api.fake.reply(stream=sse(stream_events(ANSWER_PIECES[:1], finish_reason="ERROR")))

    events = await api.drain(api.chat_stream())

    assert events[-1].type == "message-end"
    assert_conforms(telemetry, operation="chat", failed=True, error_type="ERROR", stream=True)


async def test_stream_keeps_the_parent_and_nests_the_request(api: Api, telemetry: Telemetry) -> None:
    api.fake.reply(stream=sse(stream_events()))
    tracer = telemetry.tracer_provider.get_tracer("app")

    with tracer.start_as_current_span("handle-request") as parent:
        await api.drain(api.chat_stream())

    chat = next(s for s in telemetry.spans() if s.name.startswith("chat"))
    assert chat.parent is not None and chat.parent.span_id == parent.get_span_context().span_id


# === embed =================================================================================================


@pytest.mark.parametrize(
    ("kwargs", "types", "formats", "dimensions"),
    [
        ({}, ("float",), None, 4),
        ({"embedding_types": ["float", "int8"]}, ("float", "int8"), ("float", "int8"), 4),
        ({"embedding_types": ["ubinary"]}, ("ubinary",), ("ubinary",), 16),  # packed: 8 dimensions per value
        ({"embedding_types": ["float"], "output_dimension": 256}, ("float",), ("float",), 256),
    ],
)
async def test_embed(
    api: Api,
    telemetry: Telemetry,
    kwargs: dict[str, Any],
    types: tuple[str, ...],
    formats: Any,
    dimensions: int,
) -> None:
    api.fake.reply(
        embed_response(dimensions=4 if dimensions == 256 else dimensions, types=types, input_tokens=9)
    )

    response = await api.embed(texts=["first", "second"], **kwargs)

    assert response.id == EMBED_ID
    span = assert_conforms(telemetry, operation="embeddings")
    attributes = dict(span.attributes or {})
    assert span.name == f"embeddings {EMBED_MODEL}"
    assert attributes["gen_ai.provider.name"] == "cohere"
    assert attributes.get("gen_ai.request.encoding_formats") == formats
    assert attributes["gen_ai.embeddings.dimension.count"] == dimensions
    assert attributes["gen_ai.usage.input_tokens"] == 9
    assert attributes["gen_ai.response.id"] == EMBED_ID
    assert "first" not in json.dumps(attributes)


# === rerank ================================================================================================

RANKING = [(2, 0.91), (0, 0.42)]


def retrieved(span: Any) -> list[dict[str, Any]]:
    return json.loads(span.attributes["gen_ai.retrieval.documents"])


async def test_rerank_is_a_retrieval(api: Api, telemetry: Telemetry, validate_schema: Any) -> None:
    api.fake.reply(rerank_response(RANKING))

    response = await api.rerank(top_n=2)

    assert [r.index for r in response.results] == [2, 0]
    span = assert_conforms(telemetry, operation="retrieval", name="retrieval", content=False)
    attributes = dict(span.attributes or {})
    assert span.kind is SpanKind.CLIENT
    assert attributes["gen_ai.operation.name"] == "retrieval"
    assert attributes["gen_ai.provider.name"] == "cohere"
    assert attributes["gen_ai.request.model"] == RERANK_MODEL
    assert attributes["gen_ai.retrieval.top_k"] == 2
    assert attributes["gen_ai.response.id"] == RERANK_ID
    assert attributes["db.response.returned_rows"] == 2
    assert attributes["otel_genai.retrieval.score.kind"] == "similarity"
    # ids are the documents' positions in the request, in rank order, with their relevance scores
    assert retrieved(span) == [{"id": "2", "score": 0.91}, {"id": "0", "score": 0.42}]
    validate_schema("gen-ai-retrieval-documents", retrieved(span))
    assert "gen_ai.retrieval.query.text" not in attributes
    assert not any(text in json.dumps(attributes) for text in DOCUMENTS)


async def test_a_rerank_keeps_clear_of_the_releases_index_and_top_k(
    api: Api, make_telemetry: Callable[..., Telemetry]
) -> None:
    """Retrieve 10, rerank to 3: the release's retrieval pin (its index, its top-k) describes the search,
    not the reranker, so the rerank neither takes the index as its data source nor drifts on top-k."""
    manifest = {
        "release": {
            "feature": "kb",
            "version": "7",
            "retrieval": {"index": "kb-embeddings@2025-03", "top_k": 10},
        }
    }
    telemetry = make_telemetry(release=manifest)
    api.fake.reply(rerank_response(RANKING))

    await api.rerank(top_n=2)

    attributes = dict(telemetry.span().attributes or {})
    assert "gen_ai.data_source.id" not in attributes
    assert "otel_genai.release.drift" not in attributes
    assert attributes["otel_genai.release.feature"] == "kb"


async def test_rerank_content(api: Api, content_telemetry: Telemetry) -> None:
    api.fake.reply(rerank_response(RANKING))

    await api.rerank()

    span = content_telemetry.span()
    assert "gen_ai.retrieval.top_k" not in span.attributes  # top_n not given
    assert span.attributes["gen_ai.retrieval.query.text"] == PROMPT
    assert retrieved(span) == [
        {"id": "2", "score": 0.91, "content": DOCUMENTS[2]},
        {"id": "0", "score": 0.42, "content": DOCUMENTS[0]},
    ]


async def test_rerank_inside_an_applications_retriever_is_its_child(api: Api, telemetry: Telemetry) -> None:
    """Search, then rerank: one trace, the retriever's span over the rerank's; each keeps its own
    documents (the retriever's are what it returned; the rerank's ids are positions in its request)."""
    api.fake.reply(rerank_response(RANKING))

    @otel_genai.retriever(data_source="kb")
    async def search(query: str, k: int = 2) -> list[dict[str, Any]]:
        hits = [{"id": f"doc-{i}", "content": text} for i, text in enumerate(DOCUMENTS)]
        reranked = await api.rerank(documents=[hit["content"] for hit in hits], top_n=k)
        return [{"id": hits[r.index]["id"], "score": r.relevance_score} for r in reranked.results]

    result = await search(PROMPT)

    rerank, outer = telemetry.spans()  # the inner one ends first
    assert outer.name == "retrieval kb" and rerank.name == "retrieval"
    assert rerank.parent is not None and rerank.parent.span_id == outer.context.span_id
    assert rerank.context.trace_id == outer.context.trace_id
    assert retrieved(outer) == [{"id": "doc-2", "score": 0.91}, {"id": "doc-0", "score": 0.42}] == result
    assert retrieved(rerank) == [{"id": "2", "score": 0.91}, {"id": "0", "score": 0.42}]
    assert rerank.attributes["gen_ai.request.model"] == RERANK_MODEL
    assert "gen_ai.request.model" not in outer.attributes  # the rerank's model is not the retriever's


def test_rerank_after_a_chroma_search_inside_a_retriever(
    fake: FakeCohere, telemetry: Telemetry, request: pytest.FixtureRequest
) -> None:
    """The store's query is the retriever's database span (its hits handed up); the rerank is a retrieval
    of its own beside it: the retriever's documents keep the rerank's scores it returned."""
    pytest.importorskip("chromadb")  # not in the cohere legs of the version matrix
    collection = request.getfixturevalue("chroma_client").create_collection("facts")
    collection.add(
        ids=["paris", "berlin", "spain"], documents=DOCUMENTS, embeddings=[[1, 0], [0, 1], [0.7, 0.7]]
    )
    fake.reply(rerank_response([(0, 0.97), (2, 0.31)]))
    client = make_client(fake)

    @otel_genai.retriever
    def search(query: str, k: int = 2) -> list[dict[str, Any]]:
        found = collection.query(query_embeddings=[[0.9, 0.1]], n_results=3)
        ids, texts = found["ids"][0], found["documents"][0]
        reranked = client.rerank(model=RERANK_MODEL, query=query, documents=texts, top_n=k)
        return [{"id": ids[r.index], "score": r.relevance_score} for r in reranked.results]

    result = search(PROMPT)

    spans = {s.name: s for s in telemetry.spans()}
    outer = spans["retrieval facts"]  # named after the collection it adopted from the store call
    store = next(s for n, s in spans.items() if n.startswith("query"))
    rerank = spans["retrieval"]
    for child in (store, rerank):
        assert child.parent is not None and child.parent.span_id == outer.context.span_id
    # the retriever's own scores (the reranker's) are kept, never replaced by the store's distances
    assert retrieved(outer) == result
    assert [d["score"] for d in result] == [0.97, 0.31] and result[0]["id"] == "paris"
    assert [d["id"] for d in retrieved(rerank)] == ["0", "2"]


# === switched off ==========================================================================================


async def test_suppressed(api: Api, telemetry: Telemetry) -> None:
    api.fake.reply(rerank_response(RANKING))
    api.fake.reply(stream=sse(stream_events()))
    with suppress_instrumentation():
        await api.rerank()
        await api.drain(api.chat_stream())

    assert telemetry.spans() == []


def test_uninstrument_restores_the_raw_client(
    fake: FakeCohere, make_telemetry: Callable[..., Telemetry]
) -> None:
    from cohere.v2.raw_client import AsyncRawV2Client, RawV2Client

    originals = {name: RawV2Client.__dict__[name] for name in ("chat", "chat_stream", "embed", "rerank")}
    telemetry = make_telemetry()
    assert all(RawV2Client.__dict__[name] is not original for name, original in originals.items())
    client = make_client(fake)  # built while instrumented: the SDK bound our wrapper onto it

    otel_genai.uninstrument()

    assert all(RawV2Client.__dict__[name] is original for name, original in originals.items())
    assert not hasattr(AsyncRawV2Client.__dict__["chat"], "__wrapped__")
    fake.reply(chat_response(ANSWER))
    assert client.chat(model=MODEL, messages=[{"role": "user", "content": PROMPT}]).id == CHAT_ID
    assert telemetry.spans() == []


def test_a_stream_in_a_thread_keeps_its_parent(fake: FakeCohere, telemetry: Telemetry) -> None:
    """The stream's span starts at the first ``next()``: the parent is whatever is current then."""
    fake.reply(stream=sse(stream_events()))
    client = make_client(fake)
    tracer = telemetry.tracer_provider.get_tracer("app")
    with tracer.start_as_current_span("request") as parent:
        stream = client.chat_stream(model=MODEL, messages=[{"role": "user", "content": PROMPT}])
        first: Iterator[Any] = stream
        assert next(first).type == "message-start"
    list(stream)

    [chat] = [s for s in telemetry.spans() if s.name.startswith("chat")]
    assert chat.parent is not None and chat.parent.span_id == parent.get_span_context().span_id
    assert trace.get_current_span() is trace.INVALID_SPAN


def test_the_v1_clients_v2_attribute_is_traced(fake: FakeCohere, telemetry: Telemetry) -> None:
    fake.reply(chat_response(ANSWER))
    client = cohere.Client(api_key="co-test", httpx_client=httpx.Client(transport=httpx.MockTransport(fake)))

    client.v2.chat(model=MODEL, messages=[{"role": "user", "content": PROMPT}])

    assert [s.name for s in telemetry.spans()] == [f"chat {MODEL}"]
