"""Cohere's v2 API answered locally, and the Cohere adapter for ``tests/test_providers.py``.

``FakeCohere`` is an ``httpx.MockTransport`` handler (the SDK's ``httpx_client=``): it records each request
and answers from a queue, with bodies shaped like Cohere's v2 API reference (``/v2/chat``, ``/v2/embed``,
``/v2/rerank``) and streams framed as the API sends them (``event: <type>`` and ``data: <json>`` lines, the
event's ``type`` also inside its JSON, which is what the SDK's decoder reads). The client library is
imported inside the functions that need it, so this module imports without it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from helpers.providers import (
    ANSWER,
    ANSWER_PIECES,
    TOOL_ARGUMENTS,
    TOOL_DESCRIPTION,
    TOOL_NAME,
    TOOL_SCHEMA,
    Expected,
    Provider,
)

CHAT_ID = "c14c80c3-18eb-4519-9460-6c92edd8cfb4"
STREAM_ID = "29f14a5a-11de-4cae-9800-25e4747408ea"
EMBED_ID = "1f3a7c44-4b8e-4c8e-9b76-3a1a7e1f0c42"
RERANK_ID = "07734bd2-2473-4f07-94e1-0d9f0e6843cf"
# usage.tokens (what the model read and wrote) and usage.billed_units (what is billed) differ: the
# tokens include Cohere's own prompt template
TOKENS = (71, 9)
BILLED = (5, 9)
TOOL_CALL_ID = "get_weather_1byjy32y4hvq"
TOOL_PLAN = "I will look up the weather in Paris."


def usage(
    tokens: tuple[int, int] = TOKENS, billed: tuple[int, int] = BILLED, cached: int = 0
) -> dict[str, Any]:
    return {
        "billed_units": {"input_tokens": billed[0], "output_tokens": billed[1]},
        "tokens": {"input_tokens": tokens[0], "output_tokens": tokens[1]},
        "cached_tokens": cached,
    }


def chat_response(
    text: str | None = ANSWER,
    *,
    tool_calls: list[dict[str, Any]] | None = None,
    tool_plan: str | None = None,
    thinking: str | None = None,
    finish_reason: str = "COMPLETE",
    response_id: str = CHAT_ID,
    **usage_kwargs: Any,
) -> dict[str, Any]:
    """A ``/v2/chat`` answer (``V2ChatResponse``)."""
    message: dict[str, Any] = {"role": "assistant"}
    content = []
    if thinking is not None:
        content.append({"type": "thinking", "thinking": thinking})
    if text is not None:
        content.append({"type": "text", "text": text})
    if content:
        message["content"] = content
    if tool_plan is not None:
        message["tool_plan"] = tool_plan
    if tool_calls is not None:
        message["tool_calls"] = tool_calls
    return {
        "id": response_id,
        "finish_reason": finish_reason,
        "message": message,
        "usage": usage(**usage_kwargs),
    }


def tool_call(call_id: str = TOOL_CALL_ID, name: str = TOOL_NAME, arguments: Any = None) -> dict[str, Any]:
    arguments = TOOL_ARGUMENTS if arguments is None else arguments
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": json.dumps(arguments)}}


def stream_events(
    pieces: Iterable[str] = ANSWER_PIECES,
    *,
    finish_reason: str | None = "COMPLETE",
    tool_calls: list[tuple[str, str, list[str]]] = (),  # type: ignore[assignment]
    tool_plan: list[str] = (),  # type: ignore[assignment]
    response_id: str = STREAM_ID,
    **usage_kwargs: Any,
) -> list[dict[str, Any]]:
    """The events of a ``chat_stream`` in the order the API sends them; ``finish_reason=None``: the stream
    stops before its ``message-end``. ``tool_calls``: ``(id, name, argument pieces)``."""
    start = {"role": "assistant", "content": [], "tool_plan": "", "tool_calls": [], "citations": []}
    events: list[dict[str, Any]] = [{"id": response_id, "type": "message-start", "delta": {"message": start}}]
    for piece in tool_plan:
        events.append({"type": "tool-plan-delta", "delta": {"message": {"tool_plan": piece}}})
    for index, (call_id, name, argument_pieces) in enumerate(tool_calls):
        call = {"id": call_id, "type": "function", "function": {"name": name, "arguments": ""}}
        events.append({"type": "tool-call-start", "index": index, "delta": {"message": {"tool_calls": call}}})
        for argument in argument_pieces:
            message = {"tool_calls": {"function": {"arguments": argument}}}
            events.append({"type": "tool-call-delta", "index": index, "delta": {"message": message}})
        events.append({"type": "tool-call-end", "index": index})
    pieces = list(pieces)
    if pieces:
        content = {"type": "text", "text": ""}
        events.append({"type": "content-start", "index": 0, "delta": {"message": {"content": content}}})
        for piece in pieces:
            delta = {"message": {"content": {"text": piece}}}
            events.append({"type": "content-delta", "index": 0, "delta": delta, "logprobs": None})
        events.append({"type": "content-end", "index": 0})
    if finish_reason is not None:
        delta = {"finish_reason": finish_reason, "usage": usage(**usage_kwargs)}
        events.append({"type": "message-end", "delta": delta})
    return events


def sse(events: Iterable[dict[str, Any]]) -> bytes:
    """Server-sent events as the API frames them."""
    return b"".join(f"event: {event['type']}\ndata: {json.dumps(event)}\n\n".encode() for event in events)


def embed_response(
    vectors: int = 2, dimensions: int = 4, types: Iterable[str] = ("float",), input_tokens: int = 6
) -> dict[str, Any]:
    """A ``/v2/embed`` answer (``EmbedByTypeResponse``): one list of vectors per embedding type."""
    embeddings: dict[str, Any] = {}
    for kind in types:
        if kind == "float":
            embeddings["float"] = [[0.25] * dimensions for _ in range(vectors)]
        elif kind in ("int8", "uint8"):
            embeddings[kind] = [[7] * dimensions for _ in range(vectors)]
        elif kind in ("binary", "ubinary"):
            embeddings[kind] = [[-3] * (dimensions // 8) for _ in range(vectors)]
    return {
        "id": EMBED_ID,
        "embeddings": embeddings,
        "texts": ["x"] * vectors,
        "meta": {
            "api_version": {"version": "2"},
            "billed_units": {"input_tokens": input_tokens},
            "tokens": {"input_tokens": input_tokens},
        },
        "response_type": "embeddings_by_type",
    }


def rerank_response(ranking: Iterable[tuple[int, float]]) -> dict[str, Any]:
    """A ``/v2/rerank`` answer: ``(index in the request's documents, relevance_score)`` in rank order."""
    return {
        "id": RERANK_ID,
        "results": [{"index": index, "relevance_score": score} for index, score in ranking],
        "meta": {"api_version": {"version": "2"}, "billed_units": {"search_units": 1}},
    }


@dataclass
class Answer:
    status: int = 200
    body: Any = None
    stream: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)


class FakeCohere:
    """An ``httpx.MockTransport`` handler: answers in order (the last one again when the queue runs out)."""

    def __init__(self) -> None:
        self.answers: list[Answer] = []
        self.last: Answer | None = None
        self.requests: list[Any] = []

    def reply(self, body: Any = None, *, status: int = 200, stream: bytes | None = None) -> None:
        self.answers.append(Answer(status, body, stream))

    def __call__(self, request: Any) -> Any:
        import httpx

        self.requests.append(request)
        answer = self.answers.pop(0) if self.answers else self.last
        if answer is None:
            return httpx.Response(500, json={"message": "no answer queued"})
        self.last = answer
        if answer.stream is not None:
            headers = {"content-type": "text/event-stream", **answer.headers}
            return httpx.Response(answer.status, headers=headers, stream=_byte_stream(answer.stream))
        return httpx.Response(answer.status, json=answer.body, headers=answer.headers)

    def sent(self, index: int = -1) -> dict[str, Any]:
        """The JSON body of a request the client sent."""
        return json.loads(self.requests[index].content)


def _byte_stream(data: bytes) -> Any:
    """A response body that arrives in pieces, one SSE event each, for the sync and the async client."""
    import httpx

    pieces = [piece + b"\n\n" for piece in data.split(b"\n\n") if piece]

    class Pieces(httpx.SyncByteStream, httpx.AsyncByteStream):
        def __iter__(self) -> Iterator[bytes]:
            yield from pieces

        async def __aiter__(self) -> Any:
            for piece in pieces:
                yield piece

    return Pieces()


def make_client(fake: FakeCohere, *, is_async: bool = False, base_url: str | None = None) -> Any:
    """A real ``ClientV2`` / ``AsyncClientV2`` whose HTTP goes to ``fake``."""
    import cohere
    import httpx

    extra: dict[str, Any] = {} if base_url is None else {"base_url": base_url}
    if is_async:
        return cohere.AsyncClientV2(
            api_key="co-test", httpx_client=httpx.AsyncClient(transport=httpx.MockTransport(fake)), **extra
        )
    return cohere.ClientV2(
        api_key="co-test", httpx_client=httpx.Client(transport=httpx.MockTransport(fake)), **extra
    )


NO_RETRIES = {"max_retries": 0}  # the SDK retries a 429 after a back-off: tests answer once


# --- the cross-provider adapter ----------------------------------------------------------------------------


class CohereProvider(Provider):
    key = "cohere"
    modules = ("cohere",)
    provider_name = "cohere"
    model = "command-a-03-2025"
    response_model = None  # Cohere's answer names no model
    error_type = "429"  # Cohere's error bodies carry a message, no code: the HTTP status
    tool_call_id = TOOL_CALL_ID
    plain = Expected(CHAT_ID, BILLED, ("COMPLETE",))
    streamed = Expected(STREAM_ID, BILLED, ("COMPLETE",))
    tool_finish_reasons = ("TOOL_CALL",)

    @property
    def server(self) -> tuple[str, int]:
        return ("api.cohere.com", 443)

    def open(self) -> None:
        self.fake = FakeCohere()
        self.client = make_client(self.fake)

    def _reply(self, body: Any = None, **kwargs: Any) -> None:
        self.fake.answers.clear()
        self.fake.reply(body, **kwargs)

    def _messages(self, prompt: str) -> list[dict[str, Any]]:
        return [{"role": "user", "content": prompt}]

    def chat(self, prompt: str) -> str:
        self._reply(chat_response(ANSWER))
        response = self.client.chat(model=self.model, messages=self._messages(prompt))
        return str(response.message.content[0].text)

    def chat_with_tool_call(self, prompt: str) -> Any:
        self._reply(
            chat_response(None, tool_calls=[tool_call()], tool_plan=TOOL_PLAN, finish_reason="TOOL_CALL")
        )
        tool = {
            "type": "function",
            "function": {"name": TOOL_NAME, "description": TOOL_DESCRIPTION, "parameters": TOOL_SCHEMA},
        }
        return self.client.chat(model=self.model, messages=self._messages(prompt), tools=[tool])

    def fail(self, prompt: str, message: str) -> Any:
        self._reply({"id": "f1e1c4a4-6a55-4d06-9b0f-7c3a1e9b2a10", "message": message}, status=429)
        return self.client.chat(model=self.model, messages=self._messages(prompt), request_options=NO_RETRIES)

    def error_class(self) -> type[BaseException]:
        import cohere

        return cohere.TooManyRequestsError  # type: ignore[no-any-return]

    def stream(self, prompt: str) -> Any:
        self._reply(stream=sse(stream_events()))
        return self.client.chat_stream(model=self.model, messages=self._messages(prompt))

    def stream_types(self) -> tuple[type, ...]:
        import types

        return (types.GeneratorType,)

    def chunk_text(self, chunk: Any) -> str:
        if chunk.type != "content-delta":
            return ""
        return str(chunk.delta.message.content.text or "")
