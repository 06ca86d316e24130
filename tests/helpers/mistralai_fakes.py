"""A local Mistral API for the real ``mistralai`` client: answers in the API reference's shapes.

The client is the real ``Mistral`` (``mistralai.client`` from 2.x, ``mistralai`` in 1.x) with its HTTP
client's transport replaced by a ``MockTransport`` of the HTTP library the installed SDK sends with
(``httpx2`` from 3.x, ``httpx`` before), passed as ``client=`` / ``async_client=``, so request building,
hooks, SSE decoding, response parsing and errors are the SDK's own. Streams are framed as the API sends
them: ``data: {json}`` events separated by blank lines, ending with ``data: [DONE]``.
"""

from __future__ import annotations

import importlib
import json
import sys
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from helpers.api import SyncOrAsync

MODEL = "mistral-large-latest"
RESPONSE_MODEL = "mistral-large-2411"
EMBED_MODEL = "mistral-embed"
FIM_MODEL = "codestral-latest"
RESPONSE_ID = "cmpl-e5cc70bb28c444948073e77776eb30ef"
STREAM_ID = "cmpl-9b1a4f0e8c2d4e6f8a0b2c4d6e8f0a1b"
EMBEDDING_ID = "embd-aad6fc62b17349b192ef09225058bc45"
TOOL_CALL_ID = "D681PevKs"
SERVER = ("api.mistral.ai", 443)
MESSAGES = [{"role": "user", "content": "What is the best French cheese?"}]


def sdk_root() -> str:
    """Where the installed SDK lives: ``mistralai.client`` from 2.x, ``mistralai`` in 1.x."""
    try:
        importlib.import_module("mistralai.client.chat")
        return "mistralai.client"
    except ImportError:
        return "mistralai"


def sdk_module(name: str) -> Any:
    return importlib.import_module(f"{sdk_root()}.{name}")


def sdk_version() -> tuple[int, ...]:
    from importlib.metadata import version

    return tuple(int(part) for part in version("mistralai").split(".")[:3] if part.isdigit())


def mistral_http() -> Any:
    """The HTTP library the installed SDK sends with (its ``sdk`` module's ``httpx``)."""
    importlib.import_module(f"{sdk_root()}.sdk")
    return sys.modules[f"{sdk_root()}.sdk"].httpx


def errors_module() -> Any:
    """Where the SDK's error classes are: ``errors`` from 1.9, ``models`` before."""
    try:
        return sdk_module("errors")
    except ImportError:
        return sdk_module("models")


# --- bodies ---------------------------------------------------------------------------------------------


def usage(prompt: int = 16, completion: int = 34, cached: int | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }
    if cached is not None:
        body["prompt_tokens_details"] = {"cached_tokens": cached}
    return body


def tool_call(call_id: str, name: str, arguments: Any, index: int = 0) -> dict[str, Any]:
    """A tool call as the API sends it (``arguments`` a JSON string; the SDK also accepts an object)."""
    text = arguments if isinstance(arguments, str) else json.dumps(arguments)
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": text}, "index": index}


def chat_completion(
    content: Any = "Comté is a fine choice.",
    *,
    tool_calls: list[dict[str, Any]] | None = None,
    finish_reason: str = "stop",
    model: str = RESPONSE_MODEL,
    response_id: str = RESPONSE_ID,
    usage_body: dict[str, Any] | None = None,
    choices: int = 1,
) -> dict[str, Any]:
    """``POST /v1/chat/completions`` (and ``/v1/fim/completions``): a ``ChatCompletionResponse``."""
    message: dict[str, Any] = {
        "role": "assistant",
        "content": content,
        "tool_calls": tool_calls,
        "prefix": False,
    }
    return {
        "id": response_id,
        "object": "chat.completion",
        "model": model,
        "created": 1702256327,
        "choices": [{"index": i, "message": message, "finish_reason": finish_reason} for i in range(choices)],
        "usage": usage_body or usage(),
    }


def chunk(
    choices: list[dict[str, Any]], *, usage_body: dict[str, Any] | None = None, model: str = RESPONSE_MODEL
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": STREAM_ID,
        "object": "chat.completion.chunk",
        "created": 1702256327,
        "model": model,
        "choices": choices,
    }
    if usage_body is not None:
        body["usage"] = usage_body
    return body


def delta(content: Any = None, *, index: int = 0, finish_reason: str | None = None, **fields: Any) -> dict:
    body: dict[str, Any] = dict(fields)
    if content is not None:
        body["content"] = content
    return {"index": index, "delta": body, "finish_reason": finish_reason}


def text_chunks(
    pieces: Iterable[str], *, finish_reason: str = "stop", usage_body: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    """A streamed answer as the API sends it: the role first, the text in pieces, then the finish reason
    with the usage in the last chunk."""
    chunks = [chunk([delta("", role="assistant")])]
    chunks.extend(chunk([delta(piece)]) for piece in pieces)
    chunks.append(chunk([delta("", finish_reason=finish_reason)], usage_body=usage_body or usage()))
    return chunks


def tool_call_chunks(call_id: str, name: str, arguments: Any) -> list[dict[str, Any]]:
    """A streamed tool call: Mistral sends it whole in one chunk, with the finish reason."""
    return [
        chunk([delta("", role="assistant")]),
        chunk(
            [delta("", tool_calls=[tool_call(call_id, name, arguments)], finish_reason="tool_calls")],
            usage_body=usage(),
        ),
    ]


def sse(chunks: Iterable[dict[str, Any]], *, done: bool = True) -> bytes:
    events = [f"data: {json.dumps(body)}\n\n" for body in chunks]
    if done:
        events.append("data: [DONE]\n\n")
    return "".join(events).encode()


def embeddings(count: int = 1, dimensions: int = 4, prompt_tokens: int = 9) -> dict[str, Any]:
    """``POST /v1/embeddings``: an ``EmbeddingResponse``."""
    return {
        "id": EMBEDDING_ID,
        "object": "list",
        "data": [
            {"object": "embedding", "embedding": [0.125 * (i + 1)] * dimensions, "index": i}
            for i in range(count)
        ],
        "model": EMBED_MODEL,
        "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": 0, "total_tokens": prompt_tokens},
    }


def error_body(message: str, kind: str, code: str | None = None) -> dict[str, Any]:
    """The API's error object (``{"object": "error", ...}``)."""
    return {"object": "error", "message": message, "type": kind, "param": None, "code": code}


# --- the fake -------------------------------------------------------------------------------------------


@dataclass
class Answer:
    body: Any = None
    status: int = 200
    stream: Any = None  # bytes, or a (sync or async) iterator of bytes: a body that may break


class FakeMistral:
    """Answers the client's requests in order (the last answer is served again when none is queued)."""

    def __init__(self) -> None:
        self.answers: deque[Answer] = deque()
        self.last: Answer | None = None
        self.requests: list[Any] = []

    def reply(self, body: Any = None, *, status: int = 200, stream: Any = None) -> None:
        self.answers.append(Answer(body, status, stream))

    def __call__(self, request: Any) -> Any:
        http = mistral_http()
        request.read()
        self.requests.append(request)
        answer = self.answers.popleft() if self.answers else self.last
        assert answer is not None, "no answer queued"
        self.last = answer
        if answer.stream is not None:
            headers = {"content-type": "text/event-stream"}
            return http.Response(answer.status, headers=headers, content=answer.stream)
        return http.Response(answer.status, json=answer.body)

    def request_json(self, index: int = -1) -> dict[str, Any]:
        return dict(json.loads(self.requests[index].content))


def mistral_class() -> Any:
    return sdk_module("sdk").Mistral


def make_client(fake: FakeMistral, **kwargs: Any) -> Any:
    """The real ``Mistral`` client, sync and async, answered by ``fake``."""
    http = mistral_http()
    transport = http.MockTransport(fake)
    kwargs.setdefault("api_key", "test-key")
    return mistral_class()(
        client=http.Client(transport=transport),
        async_client=http.AsyncClient(transport=transport),
        **kwargs,
    )


class Api(SyncOrAsync):
    """The same Mistral calls on the sync or the async methods of one client."""

    def __init__(self, client: Any, is_async: bool) -> None:
        self.client = client
        self._is_async = is_async

    @property
    def is_async(self) -> bool:
        return self._is_async

    async def complete(self, **kwargs: Any) -> Any:
        kwargs.setdefault("model", MODEL)
        kwargs.setdefault("messages", MESSAGES)
        chat = self.client.chat
        return await self._await(chat.complete_async(**kwargs) if self.is_async else chat.complete(**kwargs))

    async def stream(self, **kwargs: Any) -> Any:
        kwargs.setdefault("model", MODEL)
        kwargs.setdefault("messages", MESSAGES)
        chat = self.client.chat
        return await self._await(chat.stream_async(**kwargs) if self.is_async else chat.stream(**kwargs))

    async def fim(self, **kwargs: Any) -> Any:
        kwargs.setdefault("model", FIM_MODEL)
        fim = self.client.fim
        return await self._await(fim.complete_async(**kwargs) if self.is_async else fim.complete(**kwargs))

    async def fim_stream(self, **kwargs: Any) -> Any:
        kwargs.setdefault("model", FIM_MODEL)
        fim = self.client.fim
        return await self._await(fim.stream_async(**kwargs) if self.is_async else fim.stream(**kwargs))

    async def embed(self, **kwargs: Any) -> Any:
        kwargs.setdefault("model", EMBED_MODEL)
        embeddings = self.client.embeddings
        if self.is_async:
            return await embeddings.create_async(**kwargs)
        return embeddings.create(**kwargs)
